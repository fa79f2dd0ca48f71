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

use chrono::Duration as Span;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use ticket_core::account::{HashCost, Role};
use ticket_core::desk::RegisterInput;
use ticket_core::id::{TeamId, TenantId, UserId};
use ticket_core::ports::{EventBus, Store};
use ticket_core::query::{AssigneeFilter, StatsQuery, TicketCursor, TicketQuery, TicketSort};
use ticket_core::testkit::fixtures;
use ticket_core::text::Status;
use ticket_core::ticket::{Priority, Ticket, TicketInput};
use ticket_core::workflow::StatusCategory;
use ticket_core::{Actor, HelpDesk, HelpDeskConfig};
use ticket_store_mongo::mongodb::bson::Document;
use ticket_store_mongo::MongoStore;
use ticket_store_sqlite::SqliteStore;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A tiny deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// 1,000 made-up words (two or three syllables).
fn vocabulary() -> Vec<String> {
    let syllables = [
        "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "gu", "ba", "fe", "hi",
        "jo", "xu", "we", "qi", "ya",
    ];
    let mut words = Vec::new();
    'outer: for a in syllables {
        for b in syllables {
            for c in ["", "n", "r", "s", "t"] {
                words.push(format!("{a}{b}{c}"));
                if words.len() == 1_000 {
                    break 'outer;
                }
            }
        }
    }
    words
}

fn sentence(rng: &mut Rng, words: &[String], n: usize) -> String {
    (0..n)
        .map(|_| words[rng.next(words.len())].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1_000.0)
}

/// One measured figure per row name, in the order measured.
#[derive(Default)]
struct Figures(Vec<(String, String)>);

impl Figures {
    /// Records `cell` under `row` and prints it at once (progress on a long run).
    fn add(&mut self, store: &str, row: String, cell: String) {
        println!("| {store} | {row:<44} | {cell} |");
        self.0.push((row, cell));
    }

    fn get(&self, row: &str) -> &str {
        self.0
            .iter()
            .find(|(r, _)| r == row)
            .map_or("-", |(_, c)| c.as_str())
    }
}

/// Creates tickets through the desk from `concurrency` tasks for `secs` seconds; the
/// cell is the rate, p50 and p99.
async fn create_run(desk: &HelpDesk, customers: &[Actor], concurrency: usize, secs: u64) -> String {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|i| {
            let (desk, who, stop) = (desk.clone(), customers[i % customers.len()], stop.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let t0 = Instant::now();
                    desk.create_ticket(
                        &who,
                        TicketInput {
                            title: format!("Load ticket {i}-{n}"),
                            description: "The printer on floor two is on fire again.".into(),
                            tags: vec!["load".into(), "printer".into()],
                            ..TicketInput::default()
                        },
                    )
                    .await
                    .expect("create_ticket");
                    latencies.push(t0.elapsed());
                    n += 1;
                }
                latencies
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    format!(
        "{:.0} tickets/s, p50 {}, p99 {} ({} created)",
        all.len() as f64 / elapsed,
        ms(percentile(&all, 50)),
        ms(percentile(&all, 99)),
        all.len()
    )
}

/// `n` generated tickets of `tenant` (deterministic, created over the year before the
/// fixtures' "now"): statuses of every category, four priorities, up to three of 20
/// tags, 70 % assigned to one of `agents`, 80 % in one of five teams, titles of 5 and
/// descriptions of 30 words from a 1,000-word vocabulary, 0.1 % with "kangaroo".
fn generated_tickets(
    tenant: TenantId,
    requesters: &[UserId],
    agents: &[UserId],
    n: u64,
) -> Vec<Ticket> {
    let words = vocabulary();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let base = fixtures::now() - Span::days(365);
    (0..n)
        .map(|_| {
            let category = StatusCategory::ALL[rng.next(5)];
            let tags: Vec<String> = (0..rng.next(4))
                .map(|_| format!("tag-{}", rng.next(20)))
                .collect();
            let mut description = sentence(&mut rng, &words, 30);
            if rng.next(1_000) == 0 {
                description.push_str(" kangaroo");
            }
            let at = base + Span::seconds(rng.next(365 * 86_400) as i64);
            let assignee = (rng.next(10) < 7).then(|| agents[rng.next(agents.len())]);
            // Teams are fixed ids derived from small numbers.
            let team = (rng.next(10) < 8)
                .then(|| TeamId::from_uuid(uuid::Uuid::from_u128(100 + rng.next(5) as u128)));
            Ticket {
                assignee,
                assigned_at: assignee.map(|_| at),
                team,
                title: fixtures::title(&sentence(&mut rng, &words, 5)),
                description: fixtures::description(&description),
                status: fixtures::status_name(category),
                status_category: category,
                priority: Priority::ALL[rng.next(4)],
                tags: fixtures::tags(&tags.iter().map(String::as_str).collect::<Vec<_>>()),
                ..fixtures::ticket_at(tenant, requesters[rng.next(requesters.len())], at)
            }
        })
        .collect()
}

/// Seeds `tickets` by direct saves (each a create change with its event) from 16 tasks.
async fn seed_by_saves(store: &Arc<dyn Store>, tickets: Vec<Ticket>) {
    let workers = 16;
    let mut shares: Vec<Vec<Ticket>> = (0..workers).map(|_| Vec::new()).collect();
    for (i, t) in tickets.into_iter().enumerate() {
        shares[i % workers].push(t);
    }
    let tasks: Vec<_> = shares
        .into_iter()
        .map(|share| {
            let store = store.clone();
            tokio::spawn(async move {
                for t in share {
                    store.save(&fixtures::create(t)).await.expect("seed save");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

/// How a store is seeded.
enum Seeder {
    /// `TicketStore::save` of each ticket's create change.
    Saves,
    /// `MongoStore::import_tickets`.
    Import(MongoStore),
}

/// How many samples a latency takes, and for how long it goes on taking more.
#[derive(Clone, Copy)]
struct Sampling {
    /// At most this many.
    max: u64,
    /// At least this many, whatever the budget.
    min: u64,
    /// No new sample once this is spent (and `min` ran).
    budget: Duration,
}

/// Runs `op` up to `s.max` times (fewer once `s.budget` is spent and `s.min` ran); the
/// cell is p50/p99, the number of samples and the size of the last result.
async fn latency<F, Fut>(s: Sampling, mut op: F) -> String
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let mut times = Vec::new();
    let mut size = 0;
    let started = Instant::now();
    for i in 0..s.max {
        if i >= s.min && started.elapsed() > s.budget {
            break;
        }
        let t0 = Instant::now();
        size = op().await;
        times.push(t0.elapsed());
    }
    times.sort();
    format!(
        "p50 {}, p99 {} ({} samples, {size} items)",
        ms(percentile(&times, 50)),
        ms(percentile(&times, 99)),
        times.len()
    )
}

async fn list(store: &Arc<dyn Store>, tenant: TenantId, q: &TicketQuery) -> usize {
    store.list_tickets(tenant, q).await.unwrap().items.len()
}

/// What a MongoDB-protocol server's `explain` says of a plan: FerretDB 1.x reports
/// whether it pushed the filter, sort and limit down to its backend; MongoDB its winning
/// plan's stages.
fn plan_summary(explained: &Document) -> String {
    let pushdowns: Vec<String> = ["filterPushdown", "sortPushdown", "limitPushdown"]
        .iter()
        .filter_map(|k| explained.get_bool(k).ok().map(|v| format!("{k} {v}")))
        .collect();
    if !pushdowns.is_empty() {
        return pushdowns.join(", ");
    }
    let mut stages = Vec::new();
    let mut plan = explained
        .get_document("queryPlanner")
        .and_then(|q| q.get_document("winningPlan"))
        .ok();
    while let Some(p) = plan {
        let stage = p.get_str("stage").unwrap_or("?");
        match p.get_str("indexName") {
            Ok(index) => stages.push(format!("{stage}({index})")),
            Err(_) => stages.push(stage.to_string()),
        }
        plan = p.get_document("inputStage").ok();
    }
    if stages.is_empty() {
        "no plan in the answer".into()
    } else {
        stages.join(" <- ")
    }
}

/// Seeds one store to `target` tickets and measures it.
#[allow(clippy::too_many_arguments)]
async fn measure(
    name: &str,
    store: Arc<dyn Store>,
    bus: Arc<dyn EventBus>,
    seeder: Seeder,
    secs: u64,
    target: u64,
    sampling: Sampling,
) -> Figures {
    let mut figures = Figures::default();
    let desk = HelpDesk::builder(store.clone())
        .event_bus(bus)
        .config(HelpDeskConfig {
            hash_cost: HashCost::TESTING,
            ..HelpDeskConfig::default()
        })
        .build()
        .unwrap();
    let tenant = TenantId::from_uuid(uuid::Uuid::from_u128(0xbe7c_4000));
    let account = |name: String| RegisterInput {
        email: format!("{name}@example.com"),
        username: name.clone(),
        name,
        password: "correct horse battery staple".into(),
    };
    desk.ensure_super_admin(tenant, account("root".into()))
        .await
        .unwrap();
    let root = store
        .find_user_by_login(tenant, "root")
        .await
        .unwrap()
        .unwrap();
    let admin = Actor::user(tenant, root.id, Role::SuperAdmin);
    let mut customers = Vec::new();
    for i in 0..16 {
        let u = desk
            .create_user(&admin, account(format!("customer-{i}")), Role::Customer)
            .await
            .unwrap();
        customers.push(Actor::user(tenant, u.id, Role::Customer));
    }
    let mut agents = Vec::new();
    for i in 0..20 {
        let u = desk
            .create_user(&admin, account(format!("agent-{i}")), Role::Agent)
            .await
            .unwrap();
        agents.push(u.id);
    }
    println!();
    println!("## {name}");
    println!();

    let requesters: Vec<UserId> = customers.iter().filter_map(|a| a.user_id()).collect();
    let tickets = generated_tickets(tenant, &requesters, &agents, target);
    // The deep page starts after the middle seeded ticket in the newest-first order.
    let mut order: Vec<&Ticket> = tickets.iter().collect();
    order.sort_by_key(|t| std::cmp::Reverse((t.created_at, t.id)));
    let deep_cursor = order
        .get(order.len() / 2)
        .map(|t| TicketCursor::after(t, TicketSort::CreatedDesc).encode());
    drop(order);
    let started = Instant::now();
    let how = match &seeder {
        Seeder::Saves => {
            seed_by_saves(&store, tickets).await;
            "saves from 16 tasks"
        }
        Seeder::Import(mongo) => {
            let stored = mongo.import_tickets(tenant, &tickets).await.unwrap();
            assert_eq!(stored, target, "a fresh database imports every ticket");
            "import_tickets"
        }
    };
    let took = started.elapsed().as_secs_f64();
    figures.add(
        name,
        "seed".into(),
        format!(
            "{target} tickets in {took:.1} s by {how} ({:.0} tickets/s)",
            target as f64 / took.max(0.001)
        ),
    );

    if secs > 0 {
        for concurrency in [1, 16] {
            let cell = create_run(&desk, &customers, concurrency, secs).await;
            figures.add(
                name,
                format!("create through HelpDesk, concurrency {concurrency}"),
                cell,
            );
        }
    }

    if env_or("TICKET_BENCH_READS", 1) == 0 {
        return figures;
    }
    let words = vocabulary();
    let queries: Vec<(&str, TicketQuery)> = vec![
        ("list: first page (newest, 25)", TicketQuery::default()),
        (
            "list: first page by priority",
            TicketQuery {
                sort: TicketSort::PriorityDesc,
                ..TicketQuery::default()
            },
        ),
        (
            "filter: status + priority + tag",
            TicketQuery {
                statuses: vec![Status::known("open")],
                priorities: vec![Priority::High],
                tags: vec![fixtures::tag("tag-7")],
                ..TicketQuery::default()
            },
        ),
        (
            "filter: one agent's open work",
            TicketQuery {
                assignee: Some(AssigneeFilter::User(agents[7])),
                status_categories: vec![
                    StatusCategory::New,
                    StatusCategory::Open,
                    StatusCategory::Pending,
                ],
                ..TicketQuery::default()
            },
        ),
        (
            "search: one common word",
            TicketQuery {
                text: Some(words[17].clone()),
                ..TicketQuery::default()
            },
        ),
        (
            "search: two words (AND)",
            TicketQuery {
                text: Some(format!("{} {}", words[17], words[401])),
                ..TicketQuery::default()
            },
        ),
        (
            "search: rare word (~0.1%)",
            TicketQuery {
                text: Some("kangaroo".into()),
                ..TicketQuery::default()
            },
        ),
    ];
    if let Seeder::Import(mongo) = &seeder {
        for (row, q) in [&queries[0], &queries[2], &queries[4]] {
            let explained = mongo.explain_list(tenant, q).await.unwrap();
            println!("explain {row}: {}", plan_summary(&explained));
        }
    }
    for (row, q) in &queries {
        let cell = latency(sampling, || list(&store, tenant, q)).await;
        figures.add(name, (*row).to_string(), cell);
    }
    let deep = TicketQuery {
        cursor: deep_cursor,
        ..TicketQuery::default()
    };
    let cell = latency(sampling, || list(&store, tenant, &deep)).await;
    figures.add(
        name,
        format!("deep page: cursor after {} seeded", target / 2),
        cell,
    );
    if env_or("TICKET_BENCH_STATS", 1) == 0 {
        return figures;
    }
    let cell = latency(
        Sampling {
            max: sampling.max.min(20),
            ..sampling
        },
        || {
            let store = store.clone();
            async move {
                let s = store.stats(tenant, &StatsQuery::default()).await.unwrap();
                usize::try_from(s.total).unwrap()
            }
        },
    )
    .await;
    figures.add(name, "stats: whole tenant".into(), cell);
    figures
}

/// The prefix of the bench's MongoDB databases (then a UUIDv7: its creation time).
const BENCH_DB: &str = "ticket_bench_";

/// Drops the bench databases created more than an hour ago (left by interrupted runs;
/// a run in progress elsewhere is younger).
async fn drop_stale_bench_databases(client: &ticket_store_mongo::mongodb::Client) {
    let hour_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .saturating_sub(3_600_000);
    for name in client.list_database_names().await.unwrap() {
        let created = name
            .strip_prefix(BENCH_DB)
            .and_then(|hex| uuid::Uuid::parse_str(hex).ok())
            .and_then(|u| u.get_timestamp())
            .map(|t| {
                let (secs, nanos) = t.to_unix();
                u128::from(secs) * 1_000 + u128::from(nanos / 1_000_000)
            });
        if created.is_some_and(|ms| ms < hour_ago) {
            println!("dropping {name}, left by an interrupted run");
            client.database(&name).drop().await.unwrap();
        }
    }
}

fn main() {
    let secs = env_or("TICKET_BENCH_SECS", 5);
    let target = env_or("TICKET_BENCH_TICKETS", 100_000);
    let samples = env_or("TICKET_BENCH_SAMPLES", 100);
    let sampling = Sampling {
        max: samples,
        min: env_or("TICKET_BENCH_MIN_SAMPLES", 5).max(1),
        budget: Duration::from_secs(env_or("TICKET_BENCH_LATENCY_SECS", 60)),
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
                secs,
                target,
                sampling,
            )
            .await;
            sqlite.close().await;
        }
        let mut mongo_figures = Figures::default();
        if run("mongo") {
            let mongo = MongoStore::connect(&mongo_url).await.unwrap();
            drop_stale_bench_databases(mongo.client()).await;
            let mongo = MongoStore::new(
                mongo.client().clone(),
                &format!("{BENCH_DB}{}", uuid::Uuid::now_v7().simple()),
            );
            mongo.migrate().await.unwrap();
            mongo_figures = measure(
                "MongoDB",
                Arc::new(mongo.clone()),
                Arc::new(mongo.clone()),
                Seeder::Import(mongo.clone()),
                secs,
                target,
                sampling,
            )
            .await;
            mongo.database().drop().await.unwrap();
        }

        println!();
        println!("## {target} seeded tickets, both stores in one run");
        println!();
        println!("| measurement | SQLite (ticket-store-sqlite) | MongoDB (ticket-store-mongo) |");
        println!("|---|---|---|");
        let rows = if sqlite_figures.0.is_empty() {
            &mongo_figures.0
        } else {
            &sqlite_figures.0
        };
        for (row, _) in rows {
            println!(
                "| {row} | {} | {} |",
                sqlite_figures.get(row),
                mongo_figures.get(row)
            );
        }
    });
}
