//! The outbox under load on one PostgreSQL database: two relay workers (two `HelpDesk`s on
//! two pools) deliver 10,000 entries without handing any entry to both; then a worker is
//! killed in the middle of a batch and the survivor, once the dead worker's leases lapse,
//! delivers everything it held: nothing is lost, and only entries the dead worker was
//! delivering at the kill (at most its concurrency) may arrive twice (at-least-once).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use async_trait::async_trait;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use ticket_core::account::HashCost;
use ticket_core::id::DeliveryId;
use ticket_core::notify::{DeliveryStatus, OutboxEntry, RelayConfig, RetryPolicy};
use ticket_core::ports::{Notifier, Outbox};
use ticket_core::testkit::fixtures;
use ticket_core::{HelpDesk, HelpDeskConfig};
use ticket_store_postgres::PostgresStore;

/// Counts every delivery per entry, after `pause`.
struct Counter {
    pause: Duration,
    seen: Arc<Mutex<HashMap<DeliveryId, u32>>>,
}

#[async_trait]
impl Notifier for Counter {
    async fn deliver(&self, entry: &OutboxEntry) -> ticket_core::Result<()> {
        tokio::time::sleep(self.pause).await;
        *self.seen.lock().unwrap().entry(entry.id).or_default() += 1;
        Ok(())
    }
}

fn desk(store: PostgresStore, notifier: Counter, concurrency: usize) -> HelpDesk {
    HelpDesk::builder(Arc::new(store))
        .notifier(Arc::new(notifier))
        .config(HelpDeskConfig {
            hash_cost: HashCost::TESTING,
            retry: RetryPolicy {
                lease_secs: 2,
                ..RetryPolicy::default()
            },
            relay: RelayConfig {
                concurrency,
                attempt_timeout: Duration::from_millis(500),
                ..RelayConfig::default()
            },
            ..HelpDeskConfig::default()
        })
        .build()
        .unwrap()
}

async fn relay_until_empty(desk: HelpDesk) {
    loop {
        let r = desk.relay_outbox(100).await.unwrap();
        if r.claimed == 0 {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_deliver_ten_thousand_entries_once_and_a_killed_worker_loses_none() {
    if !common::should_run() {
        return;
    }
    let (p1, p2) = (common::pool().await, common::pool().await);
    let a = common::fresh_in(p1.clone()).await;
    let b = PostgresStore::with_schema(p2, a.schema()).unwrap();
    let tenant = fixtures::tenant();
    let now = fixtures::now();
    let entries: Vec<OutboxEntry> = (0..10_000)
        .map(|_| fixtures::outbox_entry(tenant, now))
        .collect();
    for chunk in entries.chunks(1000) {
        a.enqueue(chunk).await.unwrap();
    }

    // Two workers, no failures: every entry exactly once, none to both.
    let seen_a = Arc::new(Mutex::new(HashMap::new()));
    let seen_b = Arc::new(Mutex::new(HashMap::new()));
    let pause = Duration::from_micros(200);
    let wa = tokio::spawn(relay_until_empty(desk(
        a.clone(),
        Counter {
            pause,
            seen: seen_a.clone(),
        },
        16,
    )));
    let wb = tokio::spawn(relay_until_empty(desk(
        b.clone(),
        Counter {
            pause,
            seen: seen_b.clone(),
        },
        16,
    )));
    wa.await.unwrap();
    wb.await.unwrap();
    let (sa, sb) = (
        seen_a.lock().unwrap().clone(),
        seen_b.lock().unwrap().clone(),
    );
    assert!(
        sa.values().chain(sb.values()).all(|n| *n == 1),
        "no entry twice in a worker"
    );
    let ka: HashSet<_> = sa.keys().copied().collect();
    let kb: HashSet<_> = sb.keys().copied().collect();
    assert!(ka.is_disjoint(&kb), "no entry went to both workers");
    assert!(!ka.is_empty() && !kb.is_empty(), "both workers worked");
    assert_eq!(ka.len() + kb.len(), 10_000, "every entry delivered");
    println!(
        "10,000 entries, two workers: {} + {} deliveries, 0 duplicates, 0 lost",
        ka.len(),
        kb.len()
    );

    // A second wave of 2,000; worker A dies in the middle of a batch (slow deliveries).
    let wave: Vec<OutboxEntry> = (0..2_000)
        .map(|_| fixtures::outbox_entry(tenant, now))
        .collect();
    a.enqueue(&wave).await.unwrap();
    let seen = Arc::new(Mutex::new(HashMap::new()));
    let slow = desk(
        a.clone(),
        Counter {
            pause: Duration::from_millis(200),
            seen: seen.clone(),
        },
        8,
    );
    let doomed = tokio::spawn(async move {
        loop {
            slow.relay_outbox(100).await.unwrap();
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    doomed.abort();
    let _ = doomed.await;
    let held = a
        .list_deliveries(tenant, Some(DeliveryStatus::InFlight), 100, None)
        .await
        .unwrap()
        .items
        .len();
    assert!(held > 0, "the killed worker held claimed entries");
    // The survivor reclaims them once their lease lapses.
    let survivor = desk(
        b.clone(),
        Counter {
            pause,
            seen: seen.clone(),
        },
        16,
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        survivor.relay_outbox(100).await.unwrap();
        let pending = a
            .list_deliveries(tenant, Some(DeliveryStatus::InFlight), 1, None)
            .await
            .unwrap()
            .items
            .len()
            + a.list_deliveries(tenant, Some(DeliveryStatus::Pending), 1, None)
                .await
                .unwrap()
                .items
                .len();
        if pending == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the survivor finished in time"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seen = seen.lock().unwrap().clone();
    let lost = wave.iter().filter(|e| !seen.contains_key(&e.id)).count();
    let twice = seen.values().filter(|n| **n > 1).count();
    assert_eq!(lost, 0, "nothing lost");
    assert!(
        twice <= 8,
        "only what was mid-delivery at the kill arrives twice: {twice}"
    );
    for e in &wave {
        let stored = a.get_delivery(tenant, e.id).await.unwrap();
        assert_eq!(stored.status, DeliveryStatus::Delivered);
    }
    println!(
        "kill mid-batch: {held} entries held by the killed worker, 0 lost, {twice} delivered twice"
    );
    common::drop_schema(&p1, a.schema()).await;
}
