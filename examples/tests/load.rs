//! `ticket-load` runs every scenario against an in-process server and prints its table.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn load_generator_prints_figures() {
    let out = Command::new(env!("CARGO_BIN_EXE_ticket-load"))
        .args([
            "--spawn",
            "memory",
            "--connections",
            "2",
            "--duration",
            "0.3",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("req/s") && text.contains("p99 ms"), "{text}");
    for scenario in ["healthz", "create", "get", "list"] {
        let line = text
            .lines()
            .find(|l| l.starts_with(scenario))
            .expect(scenario);
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert!(cols[1].parse::<u64>().unwrap() > 0, "{line}");
        assert_eq!(cols[2], "0", "no errors: {line}");
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_ticket-load"))
        .args(["--connections", "0"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}
