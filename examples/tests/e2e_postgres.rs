//! The whole journey against the real server wiring on PostgreSQL
//! (`TICKET_TEST_POSTGRES_URL`), and realtime events crossing two instances on one
//! database. Skipped with a message when the variable is unset and `CI` is not; a
//! failure when `CI` is set and it is missing. Each test works in a schema of its own,
//! dropped at the end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{config, journey, start, ADMIN_PASSWORD};
use futures::StreamExt as _;
use serde_json::json;
use std::time::Duration;
use ticket_examples::config::ServerConfig;
use ticket_store_postgres::sqlx;

fn database_url() -> Option<String> {
    match std::env::var("TICKET_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but TICKET_TEST_POSTGRES_URL is not: the PostgreSQL end-to-end tests cannot be skipped in CI"
            );
            eprintln!(
                "skipped: set TICKET_TEST_POSTGRES_URL to run the PostgreSQL end-to-end tests"
            );
            None
        }
    }
}

/// A configuration on a fresh schema of the test database.
fn fresh(dir: &std::path::Path, url: &str) -> ServerConfig {
    let mut cfg = config(dir, Some(url.to_string()));
    cfg.database_schema = Some(format!("e2e_{}", uuid::Uuid::now_v7().simple()));
    cfg
}

async fn drop_schema(cfg: &ServerConfig) {
    let url = cfg.database_url();
    let schema = cfg.database_schema.clone().unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journey_on_postgres() {
    let Some(url) = database_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cfg = fresh(dir.path(), &url);
    let s = start(&cfg).await;
    journey(&s).await;
    s.stop().await;
    drop_schema(&cfg).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn realtime_events_cross_instances() {
    let Some(url) = database_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cfg = fresh(dir.path(), &url);
    // Two servers on one database (same schema, same data directory for the secret).
    let a = start(&cfg).await;
    let b = start(&cfg).await;
    let token = a.token("admin", ADMIN_PASSWORD).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!(
        "ws://{}/api/v1/events?access_token={token}",
        a.addr
    ))
    .await
    .unwrap();
    // Let the subscription settle on A, then change something through B.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let r = b
        .post(
            "/api/v1/tickets",
            &token,
            json!({"title": "Raised on B", "description": ""}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    let event = tokio::time::timeout(Duration::from_secs(1), async {
        loop {
            match ws.next().await {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => {
                    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                    if v["ticket_id"] == id.as_str() {
                        return v;
                    }
                }
                Some(Ok(_)) => {}
                other => panic!("{other:?}"),
            }
        }
    })
    .await
    .expect("the event of B's change reaches A's subscriber within 1 s");
    assert_eq!(event["type"], "created");
    assert!(started.elapsed() < Duration::from_secs(1));
    drop(ws);
    a.stop().await;
    b.stop().await;
    drop_schema(&cfg).await;
}
