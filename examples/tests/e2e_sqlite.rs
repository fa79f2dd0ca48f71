//! The whole journey against the real server wiring on SQLite, over TCP; then a restart
//! on the same data directory keeps the data, the super-admin and the JWT secret.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{config, journey, start, ADMIN_PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journey_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), None);
    assert!(cfg.database_url().starts_with("sqlite://"));
    let s = start(&cfg).await;
    journey(&s).await;
    let token = s.token("admin", ADMIN_PASSWORD).await;
    s.stop().await;
    assert!(dir.path().join("ticket.db").exists());
    assert!(dir.path().join("jwt-secret").exists());

    // Restart on the same directory: data kept, the old access token still valid (same
    // secret), no second super-admin.
    let s = start(&cfg).await;
    let r = s.get("/api/v1/tickets?limit=100", &token).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    let r = s.get("/api/v1/users?role=superadmin", &token).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    let r = s.get("/api/v1/rules", &token).await;
    assert_eq!(
        r.body["items"].as_array().unwrap().len(),
        3,
        "default rules installed once"
    );
    s.stop().await;
}

#[tokio::test]
async fn journey_on_memory() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(&config(dir.path(), Some("memory:".into()))).await;
    journey(&s).await;
    s.stop().await;
}
