//! Load benchmark of the PostgreSQL store, end to end through `HelpDesk`:
//!
//! 1. creates tickets at 1, 16 and 64 concurrent clients for a fixed time each, and runs
//!    `pgbench` with a one-row `INSERT` of the same shape at the same concurrency as the
//!    yardstick (our create rate as a ratio of its rate; the row's values bound at every
//!    execution, see `pgbench.rs`), then pgbench with the store's
//!    whole create statement (the insert, its event, the notification: what PostgreSQL
//!    alone does for a create), with the CPU one create costs here and in PostgreSQL's
//!    backends (see `cpu.rs`: steadier than a rate on a shared machine);
//! 2. fills the table to 1,000,000 open tickets (bulk `INSERT … unnest`, rows built by the
//!    store's own code), `VACUUM ANALYZE`, `CHECKPOINT`;
//! 3. times the first page of the list, a filtered list (status + priority + tag), full
//!    text search and the next page by cursor (p50/p99), the raw `sla_due` query, and
//!    `HelpDesk::sweep_sla` over the million open tickets (`TICKET_BENCH_SWEEPS` sweeps,
//!    default 5, each meeting about `TICKET_BENCH_DUE` due tickets: see `sweep.rs`);
//! 4. with `TICKET_BENCH_AI=off,classifier,full`, creates through desks with each AI
//!    setup, interleaved, on the filled table (see `ai.rs`): what classification, the
//!    FAQ matcher and the helpful notes add to a create, by rate and by CPU per create.
//!
//! ```sh
//! TICKET_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo bench -p ticket-store-postgres --bench load
//! ```
//!
//! The URL falls back to `TICKET_TEST_POSTGRES_URL`. Knobs: `TICKET_BENCH_SECONDS`
//! (per concurrency level, default 10), `TICKET_BENCH_CLIENTS` (default `1,16,64`),
//! `TICKET_BENCH_TICKETS` (default 1000000), `TICKET_BENCH_SAMPLES` (per read query,
//! default 300), `TICKET_BENCH_DUE` (tickets due at the sweep, default 100),
//! `TICKET_BENCH_ONLY_CREATES=1` stops after step 1, `TICKET_BENCH_KEEP=1` keeps the schema (`TICKET_BENCH_SCHEMA=<it>` then runs the
//! reads and the sweeps again on it, without creates or seeding), `TICKET_BENCH_PING=1` makes the pools check
//! each connection they hand out (sqlx's default; off here, see `ping_on_acquire`). Everything happens in a schema of its own
//! (`bench_…`), dropped at the end. The server needs `max_connections` above the largest
//! client count plus 10.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod ai;
mod cpu;
mod creates;
mod data;
mod measure;
mod pgbench;
mod population;
mod sweep;

/// The allocator `ticket-server` runs with, so that a create costs here what it costs
/// there.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use chrono::Utc;
use data::Rng;
use measure::{timed, Samples};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::sync::Arc;
use std::time::Duration;
use ticket_core::account::HashCost;
use ticket_core::ports::TicketStore;
use ticket_core::query::{TicketQuery, TicketSort};
use ticket_core::text::{Status, Tag};
use ticket_core::{Actor, HelpDesk, HelpDeskConfig, Role};
use ticket_store_postgres::{sqlx, PostgresStore};

pub struct Config {
    pub url: String,
    pub secs: u64,
    pub clients: Vec<usize>,
    pub tickets: u64,
    pub samples: usize,
    pub due: usize,
    pub keep: bool,
}

pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn config() -> Option<Config> {
    let url = std::env::var("TICKET_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("TICKET_TEST_POSTGRES_URL"))
        .ok()
        .filter(|u| !u.trim().is_empty())?;
    let clients = std::env::var("TICKET_BENCH_CLIENTS")
        .ok()
        .map(|v| v.split(',').filter_map(|c| c.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 16, 64]);
    Some(Config {
        url,
        secs: env_or("TICKET_BENCH_SECONDS", 10),
        clients,
        tickets: env_or("TICKET_BENCH_TICKETS", 1_000_000),
        samples: env_or("TICKET_BENCH_SAMPLES", 300),
        due: env_or("TICKET_BENCH_DUE", 100),
        keep: std::env::var_os("TICKET_BENCH_KEEP").is_some(),
    })
}

/// Whether pools check a connection with a round trip each time they hand it out
/// (`sqlx`'s default; `TICKET_BENCH_PING=1`). Off by default here: it doubles the round
/// trips of every statement, and pgbench does not do it either.
fn ping_on_acquire() -> bool {
    std::env::var_os("TICKET_BENCH_PING").is_some()
}

pub async fn pool(url: &str, max: u32) -> PgPool {
    named_pool(url, max, "ticket-bench").await
}

/// A pool whose connections carry `application_name = app`, so that [`cpu`] finds their
/// backends.
pub async fn named_pool(url: &str, max: u32, app: &str) -> PgPool {
    let options: PgConnectOptions = url.parse().expect("a PostgreSQL URL");
    PgPoolOptions::new()
        .max_connections(max)
        .test_before_acquire(ping_on_acquire())
        .acquire_timeout(Duration::from_secs(60))
        .connect_with(options.application_name(app))
        .await
        .expect("connect to the benchmark database")
}

pub fn desk_config() -> HelpDeskConfig {
    HelpDeskConfig {
        hash_cost: HashCost::TESTING,
        ..HelpDeskConfig::default()
    }
}

/// A desk over a store of its own pool (the event bus too, as a server composes it).
pub fn desk(pool: PgPool, schema: &str) -> HelpDesk {
    let store = Arc::new(PostgresStore::with_schema(pool, schema).unwrap());
    let builder = HelpDesk::builder(store.clone()).config(desk_config());
    // `TICKET_BENCH_NO_BUS=1`: no event bus (what publishing costs).
    let builder = if std::env::var_os("TICKET_BENCH_NO_BUS").is_some() {
        builder
    } else {
        builder.event_bus(store)
    };
    builder.build().unwrap()
}

/// Samples of one read query: `make` builds the query of sample `i`.
async fn reads(
    desk: &HelpDesk,
    actor: &Actor,
    samples: usize,
    mut make: impl FnMut(usize) -> TicketQuery,
) -> (Samples, f64) {
    let mut out = Samples::default();
    let mut rows = 0usize;
    let mut slowest: Vec<(Duration, String)> = Vec::new();
    for i in 0..samples + 20 {
        let q = make(i);
        let what = format!(
            "{:?} {:?} {:?} {:?}",
            q.text.as_deref().unwrap_or(""),
            q.statuses,
            q.priorities,
            q.tags
        );
        let (page, d) = timed(desk.list_tickets(actor, q)).await;
        let page = page.unwrap();
        if i >= 20 {
            out.push(d);
            rows += page.items.len();
            slowest.push((d, what));
        }
    }
    // `TICKET_BENCH_SLOWEST=n` prints the n slowest queries of each kind.
    let show: usize = env_or("TICKET_BENCH_SLOWEST", 0);
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    for (d, what) in slowest.iter().take(show) {
        println!("    {:>7.2} ms  {what}", d.as_secs_f64() * 1000.0);
    }
    (out, rows as f64 / samples as f64)
}

fn tag(s: &str) -> Tag {
    Tag::parse(s).unwrap()
}

/// What people search for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Search {
    /// One help-desk word (not one of the ten commonest function words).
    Word,
    /// Two of them.
    TwoWords,
    /// An identifier (order number, error code…).
    Identifier,
}

/// The search mix: 40 % one word, 25 % two words, 35 % an identifier.
fn search_kind(rng: &mut Rng) -> Search {
    match rng.below(20) {
        0..=7 => Search::Word,
        8..=12 => Search::TwoWords,
        _ => Search::Identifier,
    }
}

/// A search of `kind`.
fn search_terms(rng: &mut Rng, kind: Search) -> String {
    let content = &data::WORDS[10..];
    let word = |rng: &mut Rng| content[rng.zipf(content.len())].to_string();
    match kind {
        Search::Word => word(rng),
        Search::TwoWords => format!("{} {}", word(rng), word(rng)),
        Search::Identifier => data::identifier(rng),
    }
}

#[tokio::main]
async fn main() {
    let Some(cfg) = config() else {
        println!("skipped: set TICKET_BENCH_POSTGRES_URL (or TICKET_TEST_POSTGRES_URL)");
        return;
    };
    let admin = pool(&cfg.url, 8).await;
    let reuse = std::env::var("TICKET_BENCH_SCHEMA").ok();
    let (schema, people, created, now) = match reuse {
        // Reads only, on a table kept by an earlier run (`TICKET_BENCH_KEEP=1`).
        Some(schema) => {
            // Kept by an earlier build: brought up to this build's migrations.
            let store = PostgresStore::with_schema(admin.clone(), &schema).unwrap();
            store.migrate().await.unwrap();
            let people = population::existing_people(&admin, &schema).await;
            println!("schema {schema} (kept): reads only");
            (schema, people, Vec::new(), None)
        }
        None => {
            let schema = format!("bench_{}", uuid::Uuid::now_v7().simple());
            let store = PostgresStore::with_schema(admin.clone(), &schema).unwrap();
            store.migrate().await.unwrap();
            // pgbench's tables: copies of the store's, with their storage parameters too
            // (`LIKE` copies none): the same rows, stored alike.
            for (copy, table) in [(pgbench::TABLE, "tickets"), (pgbench::EVENTS, "events")] {
                sqlx::query(&format!(
                    "CREATE TABLE \"{schema}\".{copy} (LIKE \"{schema}\".{table} INCLUDING ALL)"
                ))
                .execute(&admin)
                .await
                .unwrap();
                let options: Option<Vec<String>> = sqlx::query_scalar(&format!(
                    "SELECT reloptions FROM pg_class WHERE oid = '\"{schema}\".{table}'::regclass"
                ))
                .fetch_one(&admin)
                .await
                .unwrap();
                if let Some(options) = options.filter(|o| !o.is_empty()) {
                    sqlx::query(&format!(
                        "ALTER TABLE \"{schema}\".{copy} SET ({})",
                        options.join(", ")
                    ))
                    .execute(&admin)
                    .await
                    .unwrap();
                }
            }
            let people = population::setup(&store).await;
            println!(
                "schema {schema}; {} s per level; pool test_before_acquire = {}",
                cfg.secs,
                ping_on_acquire()
            );

            println!("\n1. create through HelpDesk, then pgbench at the same concurrency");
            let created = creates::creates(&cfg, &schema, &people).await;
            // `TICKET_BENCH_ONLY_CREATES=1`: step 1 alone (what `bench/http/run.sh`
            // interleaves with the HTTP load).
            if std::env::var_os("TICKET_BENCH_ONLY_CREATES").is_some() {
                sqlx::query(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
                    .execute(&admin)
                    .await
                    .unwrap();
                return;
            }

            println!("\n2. fill to {} open tickets", cfg.tickets);
            let now = Utc::now();
            population::seed(&cfg, &store, &people, now).await;
            (schema, people, created, Some(now))
        }
    };
    let store = PostgresStore::with_schema(admin.clone(), &schema).unwrap();

    println!("\n3. reads and the SLA sweep");
    // Step 4 (after the reads, which it would change: it adds solved tickets).
    let ai_at = now.unwrap_or_else(Utc::now);
    let desk = desk(admin.clone(), &schema);
    let agent = Actor::user(people.tenant, people.agents[0], Role::Agent);
    let mut rng = Rng::new(99);
    let (list, list_rows) = reads(&desk, &agent, cfg.samples, |_| TicketQuery::default()).await;
    let (filtered, filtered_rows) = reads(&desk, &agent, cfg.samples, |_| {
        let (status, _, _) = *rng.pick(data::OPEN_STATUSES);
        TicketQuery {
            statuses: vec![Status::parse(status).unwrap()],
            priorities: vec![data::priority(&mut rng)],
            tags: vec![tag(data::TAGS[rng.zipf(data::TAGS.len())])],
            ..TicketQuery::default()
        }
    })
    .await;
    let mut rng = Rng::new(100);
    let kinds: Vec<Search> = (0..cfg.samples + 20)
        .map(|_| search_kind(&mut rng))
        .collect();
    let terms: Vec<String> = kinds.iter().map(|k| search_terms(&mut rng, *k)).collect();
    let (search, search_rows) = reads(&desk, &agent, cfg.samples, |i| TicketQuery {
        text: Some(terms[i].clone()),
        ..TicketQuery::default()
    })
    .await;
    // The same searches by kind, for the report.
    let mut by_kind = Vec::new();
    for kind in [Search::Word, Search::TwoWords, Search::Identifier] {
        let of_kind: Vec<&String> = terms
            .iter()
            .zip(&kinds)
            .filter(|(_, k)| **k == kind)
            .map(|(t, _)| t)
            .collect();
        let n = of_kind.len().saturating_sub(20).max(1);
        let (s, rows) = reads(&desk, &agent, n, |i| TicketQuery {
            text: Some(of_kind[i % of_kind.len()].clone()),
            ..TicketQuery::default()
        })
        .await;
        by_kind.push((kind, s, rows));
    }
    // A walk through the pages of the priority order, each page from the cursor of the
    // one before (keyset: every page costs the same, however deep).
    let mut next = Samples::default();
    let mut next_rows = 0usize;
    let mut q = TicketQuery {
        sort: TicketSort::PriorityDesc,
        ..TicketQuery::default()
    };
    for _ in 0..cfg.samples {
        let (page, d) = timed(desk.list_tickets(&agent, q.clone())).await;
        let page = page.unwrap();
        if q.cursor.is_some() {
            next.push(d);
            next_rows += page.items.len();
        }
        q.cursor = page.next_cursor;
    }
    let next_rows = next_rows as f64 / next.len().max(1) as f64;

    let mut due = Samples::default();
    for _ in 0..50 {
        let (r, d) = timed(store.sla_due(now.unwrap_or_else(Utc::now), 200)).await;
        r.unwrap();
        due.push(d);
    }
    let sweeps = sweep::sweeps(&desk, &store, now, env_or("TICKET_BENCH_SWEEPS", 5)).await;

    let ai_rows = if ai::modes().is_empty() {
        Vec::new()
    } else {
        println!("\n4. create by AI mode, on the filled table");
        ai::creates(&cfg, &store, &people, ai_at).await
    };

    println!("\n== results ({} tickets in the table) ==", cfg.tickets);
    println!(
        "{:<34} {:>9} {:>8} {:>8} {:>11} {:>7} {:>9} {:>9} {:>11} {:>7}",
        "create via HelpDesk",
        "ticket/s",
        "p50 ms",
        "p99 ms",
        "pgbench tps",
        "ratio",
        "CPU µs",
        "of it PG",
        "stmt tps",
        "ratio"
    );
    for r in &created {
        let against = |run: Option<&pgbench::Run>| {
            run.map_or(("-".to_string(), "-".to_string()), |p| {
                (
                    format!("{:.0}", p.tps),
                    format!("{:.0}%", 100.0 * r.rate / p.tps),
                )
            })
        };
        let (tps, ratio) = against(r.pgbench.as_ref());
        let (statement_tps, statement_ratio) = against(r.pgbench_statement.as_ref());
        println!(
            "{:<34} {:>9.0} {:>8.2} {:>8.2} {:>11} {:>7} {:>9.0} {:>9.0} {:>11} {:>7}{}",
            format!("  {} clients", r.clients),
            r.rate,
            r.p50,
            r.p99,
            tps,
            ratio,
            r.cpu_us.0 + r.cpu_us.1,
            r.cpu_us.1,
            statement_tps,
            statement_ratio,
            if r.errors > 0 {
                format!("  ({} errors)", r.errors)
            } else {
                String::new()
            }
        );
    }
    println!(
        "\n{:<34} {:>9} {:>8} {:>8} {:>11}",
        "read (sequential)", "rows/page", "p50 ms", "p99 ms", "target p99"
    );
    for (name, s, rows, target) in [
        ("  list, first page", &list, list_rows, "-"),
        (
            "  filtered (status+priority+tag)",
            &filtered,
            filtered_rows,
            "< 20 ms",
        ),
        (
            "  full-text search (the mix)",
            &search,
            search_rows,
            "< 20 ms",
        ),
        ("  next page by cursor (priority)", &next, next_rows, "-"),
    ] {
        println!(
            "{name:<34} {rows:>9.1} {:>8.2} {:>8.2} {target:>11}",
            s.percentile_ms(50.0),
            s.percentile_ms(99.0)
        );
        if std::ptr::eq(s, &search) {
            for (kind, s, rows) in &by_kind {
                println!(
                    "{:<34} {rows:>9.1} {:>8.2} {:>8.2} {:>11}",
                    match kind {
                        Search::Word => "    of which one word (40 %)",
                        Search::TwoWords => "    of which two words (25 %)",
                        Search::Identifier => "    of which an identifier (35 %)",
                    },
                    s.percentile_ms(50.0),
                    s.percentile_ms(99.0),
                    "-"
                );
            }
        }
    }
    println!(
        "{:<34} {:>9} {:>8.2} {:>8.2} {:>11}",
        "  sla_due query (limit 200)",
        "-",
        due.percentile_ms(50.0),
        due.percentile_ms(99.0),
        "-"
    );
    if let Some((first, time)) = sweeps.runs.first() {
        let checked: u64 = sweeps.runs.iter().map(|(r, _)| r.checked).sum();
        println!(
            "\nsweep_sla over {} open tickets: first {:.0} ms ({} due checked, {} warnings, \
             {} breaches, {} conflicts); {} sweeps p50 {:.0} ms, max {:.0} ms ({:.0} due \
             checked per sweep); target < 200 ms",
            cfg.tickets,
            time.as_secs_f64() * 1000.0,
            first.checked,
            first.warnings,
            first.breaches,
            first.conflicts,
            sweeps.times.len(),
            sweeps.times.percentile_ms(50.0),
            sweeps.times.percentile_ms(100.0),
            checked as f64 / sweeps.runs.len() as f64
        );
    }

    ai::report(&ai_rows);

    if cfg.keep || std::env::var_os("TICKET_BENCH_SCHEMA").is_some() {
        println!("kept schema {schema}");
    } else {
        sqlx::query(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
            .execute(&admin)
            .await
            .unwrap();
    }
}
