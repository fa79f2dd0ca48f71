//! The outbox relay end to end, printing its figures: deliveries per second through the
//! real webhook notifier to a receiver on loopback (one relay worker draining a backlog),
//! and the time from an entry's commit to its first attempt arriving at the receiver with
//! the server's relay timer at its default interval (p50/p99), on SQLite and, when
//! `TICKET_BENCH_POSTGRES_URL` is set, PostgreSQL (in a fresh schema, dropped after).
//!
//! ```sh
//! TICKET_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!   cargo bench -p ticket-examples --bench relay
//! ```
//!
//! Knobs: `TICKET_BENCH_BACKLOG` (entries drained, default 5,000), `TICKET_BENCH_LATENCY_N`
//! (entries committed one by one for the latency figure, default 200, 20 per second).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use axum::http::HeaderMap;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use ticket_core::net::AddressPolicy;
use ticket_core::notify::{Channel, NotificationKind, OutboxEntry};
use ticket_core::ports::Store;
use ticket_core::testkit::fixtures;
use ticket_core::{HelpDesk, HelpDeskConfig};
use ticket_examples::store::{open, DatabaseOptions};
use ticket_http::background::{Background, BackgroundConfig};
use ticket_http::middleware::metrics::Metrics;
use ticket_notify::{WebhookConfig, WebhookNotifier};

type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

async fn receiver() -> (String, Arrivals) {
    let arrivals: Arrivals = Arc::default();
    let seen = Arc::clone(&arrivals);
    let app = axum::Router::new().fallback(axum::routing::any(move |h: HeaderMap| {
        let seen = Arc::clone(&seen);
        async move {
            let id = h["webhook-id"].to_str().unwrap().to_string();
            seen.lock().unwrap().entry(id).or_insert_with(Instant::now);
            "ok"
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, arrivals)
}

fn entry(url: &str) -> OutboxEntry {
    OutboxEntry::new(
        ticket_core::id::TenantId::DEFAULT,
        None,
        NotificationKind::Distributed,
        Channel::Webhook {
            url: url.to_string(),
            secret: Some(ticket_core::text::Secret::new(
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            )),
        },
        serde_json::json!({"kind": "distributed", "ticket": {"title": "Printer on fire"}}),
        10,
        fixtures::now(),
    )
}

fn desk(store: Arc<dyn Store>) -> HelpDesk {
    let notifier = WebhookNotifier::new(WebhookConfig {
        addresses: AddressPolicy {
            allow: vec!["127.0.0.0/8".parse().unwrap()],
        },
        ..WebhookConfig::default()
    })
    .unwrap();
    HelpDesk::builder(store)
        .notifier(Arc::new(notifier))
        .config(HelpDeskConfig::default())
        .build()
        .unwrap()
}

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn run(label: &str, store: Arc<dyn Store>) {
    let backlog = env_num("TICKET_BENCH_BACKLOG", 5_000);
    let latency_n = env_num("TICKET_BENCH_LATENCY_N", 200);
    let (url, arrivals) = receiver().await;
    let desk = desk(Arc::clone(&store));

    // Throughput: drain a backlog with one relay worker.
    let entries: Vec<OutboxEntry> = (0..backlog).map(|_| entry(&url)).collect();
    for chunk in entries.chunks(500) {
        store.enqueue(chunk).await.unwrap();
    }
    let start = Instant::now();
    let mut delivered = 0;
    loop {
        let r = desk.relay_outbox(100).await.unwrap();
        delivered += r.delivered;
        if r.claimed == 0 {
            break;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label}: drained {delivered} deliveries in {secs:.2} s = {:.0} deliveries/s (batch 100, concurrency 32)",
        delivered as f64 / secs
    );

    // Latency: the server's relay timer at its default interval; entries committed one by
    // one; commit → first arrival at the receiver.
    let config = BackgroundConfig::default();
    let background = Background::spawn(desk.clone(), config, Metrics::default());
    let mut committed = Vec::with_capacity(latency_n);
    for _ in 0..latency_n {
        let e = entry(&url);
        store.enqueue(std::slice::from_ref(&e)).await.unwrap();
        committed.push((e.idempotency_key.clone(), Instant::now()));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(config.relay_every * 3).await;
    background.shutdown().await;
    let seen = arrivals.lock().unwrap().clone();
    let mut lat: Vec<Duration> = committed
        .iter()
        .filter_map(|(id, at)| seen.get(id).map(|t| t.saturating_duration_since(*at)))
        .collect();
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "{label}: commit -> first attempt over {} entries (relay every {:?}): p50 {:?}, p99 {:?}, max {:?}, missing {}",
        lat.len(),
        config.relay_every,
        pct(0.5),
        pct(0.99),
        lat[lat.len() - 1],
        committed.len() - lat.len()
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let sqlite = open(&url, DatabaseOptions::default()).await.unwrap();
    run("sqlite", sqlite.store.clone()).await;
    match std::env::var("TICKET_BENCH_POSTGRES_URL") {
        Ok(pg) => {
            let schema = format!("relay_bench_{}", std::process::id());
            let options = DatabaseOptions {
                schema: Some(&schema),
                max_connections: 16,
            };
            let store = open(&pg, options).await.unwrap();
            run("postgres", store.store.clone()).await;
            let pool = ticket_store_postgres::sqlx::PgPool::connect(&pg)
                .await
                .unwrap();
            ticket_store_postgres::sqlx::query(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
                .execute(&pool)
                .await
                .unwrap();
        }
        Err(_) => println!("postgres: skipped (set TICKET_BENCH_POSTGRES_URL)"),
    }
}
