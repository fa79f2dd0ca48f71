//! The whole journey against the real server wiring on MongoDB
//! (`TICKET_TEST_MONGO_URL`: FerretDB in CI), and realtime events crossing two instances
//! on one database. Skipped with a message when the variable is unset and `CI` is not; a
//! failure when `CI` is set and it is missing. Each test works in a database of its own,
//! dropped at the end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{config, journey, start, ADMIN_PASSWORD};
use futures::StreamExt as _;
use serde_json::json;
use std::time::Duration;
use ticket_examples::config::ServerConfig;
use ticket_store_mongo::mongodb;

fn server_url() -> Option<String> {
    match std::env::var("TICKET_TEST_MONGO_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but TICKET_TEST_MONGO_URL is not: the MongoDB end-to-end tests cannot be skipped in CI"
            );
            eprintln!("skipped: set TICKET_TEST_MONGO_URL to run the MongoDB end-to-end tests");
            None
        }
    }
}

/// The server's URL naming a fresh database (`mongodb://host:port/e2e_<uuid>`).
fn fresh_url(server: &str) -> String {
    let name = format!("e2e_{}", uuid::Uuid::now_v7().simple());
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (server, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    format!("{host}/{name}{query}")
}

async fn drop_database(cfg: &ServerConfig) {
    let url = cfg.database_url();
    let options = mongodb::options::ClientOptions::parse(&url).await.unwrap();
    let name = options.default_database.clone().unwrap();
    let client = mongodb::Client::with_options(options).unwrap();
    client.database(&name).drop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journey_on_mongo() {
    let Some(server) = server_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), Some(fresh_url(&server)));
    let s = start(&cfg).await;
    journey(&s).await;
    s.stop().await;
    drop_database(&cfg).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn realtime_events_cross_instances() {
    let Some(server) = server_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), Some(fresh_url(&server)));
    // Two servers on one database (same data directory for the secret).
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
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = b
        .post(
            "/api/v1/tickets",
            &token,
            json!({"title": "Raised on B", "description": ""}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let published = std::time::Instant::now();
    let id = r.body["id"].as_str().unwrap().to_string();
    let event = tokio::time::timeout(Duration::from_secs(2), async {
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
    .expect("the event of B's change reaches A's subscriber (the bus polls every 200 ms)");
    assert_eq!(event["type"], "created");
    println!(
        "B's event reached A's subscriber {:?} after B answered",
        published.elapsed()
    );
    drop(ws);
    a.stop().await;
    b.stop().await;
    drop_database(&cfg).await;
}

#[test]
fn fresh_urls_name_a_database_and_keep_the_options() {
    let u = fresh_url("mongodb://127.0.0.1:27017");
    assert!(u.starts_with("mongodb://127.0.0.1:27017/e2e_"), "{u}");
    let u = fresh_url("mongodb://h:1/other?serverSelectionTimeoutMS=5");
    assert!(
        u.starts_with("mongodb://h:1/e2e_") && u.ends_with("?serverSelectionTimeoutMS=5"),
        "{u}"
    );
}
