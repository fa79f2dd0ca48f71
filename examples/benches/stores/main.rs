//! The MongoDB store next to the SQLite store, in one run on one machine
//! (`cargo bench -p ticket-examples --bench stores`, with `TICKET_BENCH_MONGO_URL` or
//! `TICKET_TEST_MONGO_URL` naming a MongoDB-protocol server, e.g. the FerretDB of
//! `.ci/test`). Each store is seeded to the same generated tickets (SQLite by direct
//! saves from 16 tasks, MongoDB by `MongoStore::import_tickets`, whose documents are
//! exactly those of a save: one change at a time, FerretDB with its SQLite backend takes
//! about 30 saves per second), then: ticket creation through the `HelpDesk` at
//! concurrency 1 and 16 (tickets/s, p50, p99), and p50/p99 latencies of lists, filters,
//! full-text searches, a deep cursor page and statistics. On MongoDB it prints the
//! server's plan (`explain`) of a list and of a search. Ends with one table, the two
//! stores side by side. It lives here because the store crates never depend on each
//! other.
//!
//! The files: `main.rs` the knobs and the run of each store, `seed.rs` the bench
//! tenant's people and the seeding (the corpus itself is
//! `ticket_core::testkit::bench`'s, shared with the SQLite store's `load` bench),
//! `measure.rs` one store's figures (creation runs, sampled latencies), `queries.rs` the
//! reads measured, `mongo.rs` the MongoDB database of a run and the `explain` summary,
//! `table.rs` the printed figures and the closing side-by-side table.
//!
//! Environment: `TICKET_BENCH_SECS` (seconds per creation run, default 5; 0 skips them),
//! `TICKET_BENCH_TICKETS` (seeded tickets, default 100000), `TICKET_BENCH_SAMPLES`
//! (samples per latency, default 100), `TICKET_BENCH_LATENCY_SECS` (a latency stops
//! sampling after this many seconds once it has its minimum, default 60; the table says
//! how many it took), `TICKET_BENCH_MIN_SAMPLES` (the samples a latency takes whatever
//! the budget, default 5), `TICKET_BENCH_STORES` (`sqlite`, `mongo` or both, the
//! default: `sqlite,mongo`), `TICKET_BENCH_READS` (0 skips the list, search and deep
//! page latencies), `TICKET_BENCH_STATS` (0 skips the statistics: on FerretDB 1.x a
//! whole-tenant statistic decodes every ticket once per breakdown). The MongoDB
//! database (`ticket_bench_<uuid v7>`) is dropped at the end, and a run first drops
//! the bench databases older than an hour that interrupted runs left behind.
//!
//! `bench/mongo/ferretdb-pg.sh` starts a second FerretDB on port 27018 with the
//! PostgreSQL backend (which pushes equality filters down), for
//! `TICKET_BENCH_MONGO_URL=mongodb://127.0.0.1:27018`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod measure;
mod mongo;
mod queries;
mod seed;
mod table;

use measure::{measure, Plan, Sampling};
use seed::Seeder;
use std::sync::Arc;
use std::time::Duration;
use table::{print_side_by_side, Figures};
use ticket_store_sqlite::SqliteStore;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let secs = env_or("TICKET_BENCH_SECS", 5);
    let target = env_or("TICKET_BENCH_TICKETS", 100_000);
    let samples = env_or("TICKET_BENCH_SAMPLES", 100);
    let plan = Plan {
        secs,
        target,
        sampling: Sampling {
            max: samples,
            min: env_or("TICKET_BENCH_MIN_SAMPLES", 5).max(1),
            budget: Duration::from_secs(env_or("TICKET_BENCH_LATENCY_SECS", 60)),
        },
        reads: env_or("TICKET_BENCH_READS", 1) != 0,
        stats: env_or("TICKET_BENCH_STATS", 1) != 0,
    };
    let stores = std::env::var("TICKET_BENCH_STORES").unwrap_or_else(|_| "sqlite,mongo".into());
    let run = |name: &str| stores.split(',').any(|s| s.trim() == name);
    let mongo_url = std::env::var("TICKET_BENCH_MONGO_URL")
        .or_else(|_| std::env::var("TICKET_TEST_MONGO_URL"))
        .expect(
            "set TICKET_BENCH_MONGO_URL (or TICKET_TEST_MONGO_URL) to a MongoDB-protocol server",
        );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        println!(
            "Store benchmark: {} worker threads, {secs} s per creation run, {target} tickets, \
             up to {samples} samples per latency (a shared machine: compare the stores, not \
             the runs)",
            std::thread::available_parallelism().map_or(1, |n| n.get()),
        );
        let mut sqlite_figures = Figures::default();
        if run("sqlite") {
            let dir = tempfile::tempdir().unwrap();
            let sqlite = SqliteStore::connect(dir.path().join("bench.db").to_str().unwrap())
                .await
                .unwrap();
            sqlite.migrate().await.unwrap();
            sqlite_figures = measure(
                "SQLite",
                Arc::new(sqlite.clone()),
                Arc::new(sqlite.clone()),
                Seeder::Saves,
                plan,
            )
            .await;
            sqlite.close().await;
        }
        let mut mongo_figures = Figures::default();
        if run("mongo") {
            let mongo = mongo::fresh_store(&mongo_url).await;
            mongo_figures = measure(
                "MongoDB",
                Arc::new(mongo.clone()),
                Arc::new(mongo.clone()),
                Seeder::Import(mongo.clone()),
                plan,
            )
            .await;
            mongo.database().drop().await.unwrap();
        }
        print_side_by_side(target, &sqlite_figures, &mongo_figures);
    });
}
