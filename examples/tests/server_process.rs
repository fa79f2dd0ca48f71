//! The `ticket-server` binary as a process: zero-configuration start in an empty
//! directory, and graceful shutdown on SIGTERM and SIGINT (an in-flight request
//! finishes, open feeds end, the exit code is 0).
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(unix)]

use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(dir: &std::path::Path, port: u16, hash_cost: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ticket-server"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TICKET_BIND", format!("127.0.0.1:{port}"))
        .env("TICKET_HASH_COST", hash_cost)
        .env("TICKET_ADMIN_EMAIL", "root@example.com")
        .env("TICKET_ADMIN_PASSWORD", "keys to the kingdom 42")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

async fn wait_ready(base: &str) {
    let http = reqwest::Client::new();
    let start = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the server did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

fn wait_exit(mut child: Child) -> (i32, String) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            let log = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            return (status.code().unwrap_or(-1), log);
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the server did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_with_nothing_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    // The recommended hashing cost makes a login take a while: a request in flight.
    let child = spawn(dir.path(), port, "recommended");
    wait_ready(&base).await;
    assert!(
        dir.path().join("ticket-data/ticket.db").exists(),
        "SQLite under ./ticket-data"
    );
    assert!(dir.path().join("ticket-data/jwt-secret").exists());

    let http = reqwest::Client::new();
    let login = json!({"login": "admin", "password": "keys to the kingdom 42"});
    let r = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<serde_json::Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let sse = http
        .get(format!("{base}/api/v1/events/sse?access_token={token}"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), 200);

    let in_flight = tokio::spawn({
        let http = http.clone();
        let url = format!("{base}/api/v1/auth/login");
        async move {
            http.post(url)
                .json(&login)
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    });
    tokio::time::sleep(Duration::from_millis(60)).await;
    signal(&child, "-TERM");
    assert_eq!(
        in_flight.await.unwrap().unwrap(),
        200,
        "the in-flight request finished"
    );
    let mut body = sse.bytes_stream();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        use futures::StreamExt as _;
        while let Some(Ok(_)) = body.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the SSE feed ended at shutdown");
    let (code, log) = tokio::task::spawn_blocking(move || wait_exit(child))
        .await
        .unwrap();
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains("SIGTERM received") && log.contains("stopped"),
        "{log}"
    );
    assert!(
        !log.contains("keys to the kingdom"),
        "the admin password is never logged"
    );
    assert!(
        http.get(format!("{base}/healthz")).send().await.is_err(),
        "no longer listening"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stops_on_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = spawn(dir.path(), port, "testing");
    wait_ready(&format!("http://127.0.0.1:{port}")).await;
    signal(&child, "-INT");
    let (code, log) = tokio::task::spawn_blocking(move || wait_exit(child))
        .await
        .unwrap();
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("SIGINT received"), "{log}");
}

#[test]
fn bad_configuration_fails_fast() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ticket-server"))
        .current_dir(dir.path())
        .env("TICKET_BIND", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid configuration"));
    let out = Command::new(env!("CARGO_BIN_EXE_ticket-server"))
        .current_dir(dir.path())
        .env("TICKET_DATABASE_URL", "mysql://nope")
        .env("TICKET_BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("unsupported database URL"));
}
