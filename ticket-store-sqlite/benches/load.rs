//! Load benchmark of the SQLite store (`cargo bench -p ticket-store-sqlite --bench load`):
//! ticket creation throughput through the `HelpDesk` at concurrency 1 and 16, then, with
//! the database seeded to 100,000 tickets, p50/p99 latencies of a first page, a filtered
//! list, full-text searches, a deep cursor page and statistics. Prints a table. The
//! corpus and the creation load are `ticket_core::testkit::bench`'s, shared with the
//! `stores` bench of `ticket-examples` (SQLite next to MongoDB).
//!
//! Environment: `TICKET_BENCH_SECS` (seconds per creation run, default 5; 0 skips them),
//! `TICKET_BENCH_TICKETS` (seeded tickets, default 100000), `TICKET_BENCH_SAMPLES`
//! (samples per latency, default 300), `TICKET_BENCH_DB` (a database file to use and
//! keep, so a second run skips the seeding; default a temporary one).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration as Span;
use std::sync::Arc;
use std::time::Instant;
use ticket_core::account::HashCost;
use ticket_core::id::{TenantId, UserId};
use ticket_core::ports::{Store, TicketStore, UserStore};
use ticket_core::query::{AssigneeFilter, StatsQuery, TicketQuery, TicketSort};
use ticket_core::testkit::bench::{self, ms, percentile, vocabulary};
use ticket_core::testkit::fixtures;
use ticket_core::text::Status;
use ticket_core::ticket::Priority;
use ticket_core::workflow::StatusCategory;
use ticket_core::{Actor, HelpDesk, HelpDeskConfig};
use ticket_store_sqlite::SqliteStore;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Creates tickets through the desk from `concurrency` tasks for `secs` seconds.
async fn create_run(desk: &HelpDesk, customers: &[Actor], concurrency: usize, secs: u64) {
    let load = bench::create_load(desk, customers, concurrency, secs).await;
    println!(
        "| create, concurrency {concurrency:>2} | {:>8.0} tickets/s | p50 {} | p99 {} | {} created |",
        load.rate(),
        ms(percentile(&load.latencies, 50)),
        ms(percentile(&load.latencies, 99)),
        load.latencies.len()
    );
}

/// Seeds the tenant up to `target` tickets (the shared generated corpus) with direct
/// saves from 16 tasks.
async fn seed(
    store: &Arc<SqliteStore>,
    tenant: TenantId,
    requesters: &[UserId],
    agents: &[UserId],
    target: u64,
) {
    let have = store
        .stats(tenant, &StatsQuery::default())
        .await
        .unwrap()
        .total;
    let missing = target.saturating_sub(have);
    let started = Instant::now();
    let tickets = bench::generated_tickets(tenant, requesters, agents, missing);
    let as_store: Arc<dyn Store> = store.clone();
    bench::save_all(&as_store, tickets, 16).await;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "| seed {missing} tickets (direct saves, 16 tasks) | {:>8.0} tickets/s | {secs:.1} s |",
        missing as f64 / secs
    );
}

/// Runs `op` `samples` times and prints p50/p99 and the size of its last result.
async fn latency<F, Fut>(name: &str, samples: u64, mut op: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..samples {
        let t0 = Instant::now();
        size = op().await;
        times.push(t0.elapsed());
    }
    times.sort();
    println!(
        "| {name:<44} | p50 {:>10} | p99 {:>10} | {size:>6} items |",
        ms(percentile(&times, 50)),
        ms(percentile(&times, 99))
    );
}

async fn list(store: &Arc<SqliteStore>, tenant: TenantId, q: &TicketQuery) -> usize {
    store.list_tickets(tenant, q).await.unwrap().items.len()
}

fn main() {
    let secs = env_or("TICKET_BENCH_SECS", 5);
    let target = env_or("TICKET_BENCH_TICKETS", 100_000);
    let samples = env_or("TICKET_BENCH_SAMPLES", 300);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let path = std::env::var_os("TICKET_BENCH_DB")
            .map_or_else(|| dir.path().join("bench.db"), std::path::PathBuf::from);
        let store = Arc::new(SqliteStore::connect(path.to_str().unwrap()).await.unwrap());
        store.migrate().await.unwrap();
        let as_store: Arc<dyn Store> = store.clone();
        let desk = HelpDesk::builder(as_store.clone())
            .event_bus(store.clone())
            .config(HelpDeskConfig {
                hash_cost: HashCost::TESTING,
                ..HelpDeskConfig::default()
            })
            .build()
            .unwrap();
        // One fixed tenant and its people, found again in a kept database.
        let people = bench::register_people(&desk, &as_store).await;
        let tenant = people.tenant;
        println!(
            "SQLite store benchmark: {} worker threads, {secs} s per creation run, {target} \
             tickets, {samples} samples per latency; database {}",
            std::thread::available_parallelism().map_or(1, |n| n.get()),
            path.display()
        );
        println!();
        if secs > 0 {
            for concurrency in [1, 16] {
                create_run(&desk, &people.customers, concurrency, secs).await;
            }
        }
        seed(&store, tenant, &people.requesters(), &people.agents, target).await;
        println!();

        let first = TicketQuery::default();
        latency("list: first page (newest, 25)", samples, || {
            list(&store, tenant, &first)
        })
        .await;
        let by_priority = TicketQuery {
            sort: TicketSort::PriorityDesc,
            ..TicketQuery::default()
        };
        latency("list: first page by priority", samples, || {
            list(&store, tenant, &by_priority)
        })
        .await;
        let filtered = TicketQuery {
            statuses: vec![Status::known("open")],
            priorities: vec![Priority::High],
            tags: vec![fixtures::tag("tag-7")],
            ..TicketQuery::default()
        };
        latency("filter: status + priority + tag", samples, || {
            list(&store, tenant, &filtered)
        })
        .await;
        let words = vocabulary();
        let common = TicketQuery {
            text: Some(words[17].clone()),
            ..TicketQuery::default()
        };
        latency(
            &format!("search: one common word ({})", words[17]),
            samples,
            || list(&store, tenant, &common),
        )
        .await;
        let two = TicketQuery {
            text: Some(format!("{} {}", words[17], words[401])),
            ..TicketQuery::default()
        };
        latency("search: two words (AND)", samples, || {
            list(&store, tenant, &two)
        })
        .await;
        let agent = TicketQuery {
            assignee: Some(AssigneeFilter::User(people.agents[7])),
            status_categories: vec![
                StatusCategory::New,
                StatusCategory::Open,
                StatusCategory::Pending,
            ],
            ..TicketQuery::default()
        };
        latency("filter: one agent's open work", samples, || {
            list(&store, tenant, &agent)
        })
        .await;
        let team = TicketQuery {
            team: Some(bench::team(2)),
            sort: TicketSort::UpdatedDesc,
            ..TicketQuery::default()
        };
        latency("filter: one team, recently updated", samples, || {
            list(&store, tenant, &team)
        })
        .await;
        let rare = TicketQuery {
            text: Some("kangaroo".into()),
            ..TicketQuery::default()
        };
        latency("search: rare word (~0.1%)", samples, || {
            list(&store, tenant, &rare)
        })
        .await;
        let rare_filtered = TicketQuery {
            status_categories: vec![StatusCategory::Open, StatusCategory::New],
            ..common.clone()
        };
        latency("search + filter: common word, open work", samples, || {
            list(&store, tenant, &rare_filtered)
        })
        .await;

        // A cursor halfway down the newest-first order.
        let mut deep = TicketQuery {
            limit: 100,
            ..TicketQuery::default()
        };
        let half = store
            .stats(tenant, &StatsQuery::default())
            .await
            .unwrap()
            .total
            / 2;
        for _ in 0..half / 100 {
            let page = store.list_tickets(tenant, &deep).await.unwrap();
            deep.cursor = page.next_cursor;
        }
        let deep_page = TicketQuery {
            cursor: deep.cursor.clone(),
            ..TicketQuery::default()
        };
        latency(
            &format!("deep page: cursor after {half} tickets"),
            samples,
            || list(&store, tenant, &deep_page),
        )
        .await;
        let some = store.list_tickets(tenant, &deep_page).await.unwrap().items[0].id;
        latency("get_ticket by id", samples, || {
            let store = store.clone();
            async move {
                store.get_ticket(tenant, some).await.unwrap();
                1
            }
        })
        .await;
        latency("stats: whole tenant", samples.min(50), || {
            let store = store.clone();
            async move {
                let s = store.stats(tenant, &StatsQuery::default()).await.unwrap();
                usize::try_from(s.total).unwrap()
            }
        })
        .await;
        let month = StatsQuery {
            from: Some(fixtures::now() - Span::days(30)),
            ..StatsQuery::default()
        };
        latency("stats: last 30 days", samples.min(50), || {
            let store = store.clone();
            async move {
                let s = store.stats(tenant, &month).await.unwrap();
                usize::try_from(s.total).unwrap()
            }
        })
        .await;
        latency("agent_loads (20 agents)", samples, || {
            let store = store.clone();
            async move { store.agent_loads(tenant, None).await.unwrap().len() }
        })
        .await;
        store.close().await;
    });
}
