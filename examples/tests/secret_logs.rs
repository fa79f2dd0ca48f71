//! The database URL's password never reaches the log: the real `ticket-server` binary
//! runs with `RUST_LOG=debug` and a URL holding a password (in the userinfo, written
//! percent-encoded, and as a `password=` parameter), and everything it prints is
//! searched for every spelling of it. Once against PostgreSQL (the server starts,
//! serves, stops), once against a port nobody listens on (the server fails to start and
//! reports why).
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(unix)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use ticket_store_postgres::sqlx;

/// The password, as the URL writes it and as the database receives it.
const WRITTEN: &str = "Pa55-w0rd%21hidden";
const DECODED: &str = "Pa55-w0rd!hidden";
const PARAM: &str = "Param-Secret-7";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn server(dir: &std::path::Path, port: u16, url: &str, schema: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ticket-server"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "debug")
        .env("TICKET_BIND", format!("127.0.0.1:{port}"))
        .env("TICKET_HASH_COST", "testing")
        .env("TICKET_DATABASE_URL", url)
        .env("TICKET_DATABASE_SCHEMA", schema)
        .env("TICKET_ADMIN_EMAIL", "root@example.com")
        .env("TICKET_ADMIN_PASSWORD", "keys to the kingdom 42")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn assert_clean(log: &str) {
    assert!(!log.trim().is_empty(), "the server logged nothing");
    for secret in [WRITTEN, DECODED, PARAM, "Pa55-w0rd"] {
        assert!(!log.contains(secret), "{secret:?} reached the log:\n{log}");
    }
}

/// `postgres://user:password@host/db?password=…` from the test database's URL.
fn with_password(base: &str) -> String {
    let (scheme, rest) = base.split_once("://").unwrap();
    let (user, host) = rest.rsplit_once('@').unwrap_or(("postgres", rest));
    let user = user.split(':').next().unwrap_or("postgres");
    let sep = if host.contains('?') { '&' } else { '?' };
    format!("{scheme}://{user}:{WRITTEN}@{host}{sep}password={PARAM}")
}

#[test]
fn a_server_that_cannot_reach_its_database_says_so_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let dead = free_port();
    let url = format!("postgres://desk:{WRITTEN}@127.0.0.1:{dead}/desk?password={PARAM}");
    let out = server(dir.path(), free_port(), &url, "ticket")
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "it cannot start without its database"
    );
    let log =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("cannot open the postgres store"), "{log}");
    assert!(
        log.contains("desk:***@127.0.0.1"),
        "the URL is shown redacted: {log}"
    );
    assert_clean(&log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serving_server_never_logs_the_database_password() {
    let Ok(base) = std::env::var("TICKET_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set TICKET_TEST_POSTGRES_URL"
        );
        eprintln!("skipped: TICKET_TEST_POSTGRES_URL is not set");
        return;
    };
    // The test server trusts local connections: any password is accepted.
    let url = with_password(&base);
    let schema = format!("logs_{}", uuid::Uuid::now_v7().simple());
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = server(dir.path(), port, &url, &schema).spawn().unwrap();
    let http = reqwest::Client::new();
    let root = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{root}/readyz")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "the server exited ({status}): {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(start.elapsed() < Duration::from_secs(60), "never ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Some work through the store: a login, a ticket, a list.
    let r = http
        .post(format!("{root}/api/v1/auth/login"))
        .json(&serde_json::json!({"login": "admin", "password": "keys to the kingdom 42"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<serde_json::Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = http
        .post(format!("{root}/api/v1/tickets"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"title": "Printer", "description": "Jammed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = http
        .get(format!("{root}/api/v1/tickets"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let log =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("DEBUG"), "debug lines were written");
    assert!(log.contains("store ready"), "{log}");
    assert_clean(&log);

    let pool = sqlx::PgPool::connect(&base).await.unwrap();
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}
