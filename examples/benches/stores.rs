//! The MongoDB store next to the SQLite store, in one run on one machine
//! (`cargo bench -p ticket-examples --bench stores`, with `TICKET_BENCH_MONGO_URL` or
//! `TICKET_TEST_MONGO_URL` naming a MongoDB-protocol server, e.g. the FerretDB of
//! `.ci/test`): ticket creation throughput through the `HelpDesk` at concurrency 1 and
//! 16, then, with each store seeded to the same tickets, p50/p99 latencies of lists,
//! filters, full-text searches, a deep cursor page and statistics. Prints one table per
//! store. It lives here because the store crates never depend on each other.
//!
//! Environment: `TICKET_BENCH_SECS` (seconds per creation run, default 5; 0 skips them),
//! `TICKET_BENCH_TICKETS` (seeded tickets, default 100000), `TICKET_BENCH_SAMPLES`
//! (samples per latency, default 100). The MongoDB database (`ticket_bench_<uuid>`) is
//! dropped at the end.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use chrono::Duration as Span;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use ticket_core::account::{HashCost, Role};
use ticket_core::desk::RegisterInput;
use ticket_core::id::{TeamId, TenantId, UserId};
use ticket_core::ports::{EventBus, Store};
use ticket_core::query::{AssigneeFilter, StatsQuery, TicketQuery, TicketSort};
use ticket_core::testkit::fixtures;
use ticket_core::text::Status;
use ticket_core::ticket::{Priority, Ticket, TicketInput};
use ticket_core::workflow::StatusCategory;
use ticket_core::{Actor, HelpDesk, HelpDeskConfig};
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

/// Creates tickets through the desk from `concurrency` tasks for `secs` seconds.
async fn create_run(desk: &HelpDesk, customers: &[Actor], concurrency: usize, secs: u64) {
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
    println!(
        "| create, concurrency {concurrency:>2} | {:>8.0} tickets/s | p50 {} | p99 {} | {} created |",
        all.len() as f64 / elapsed,
        ms(percentile(&all, 50)),
        ms(percentile(&all, 99)),
        all.len()
    );
}

/// Seeds the tenant up to `target` tickets with direct saves from four tasks.
async fn seed(
    store: &Arc<dyn Store>,
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
    let words = Arc::new(vocabulary());
    let requesters = Arc::new(requesters.to_vec());
    let agents = Arc::new(agents.to_vec());
    let started = Instant::now();
    let workers = 16u64;
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let (store, words) = (store.clone(), words.clone());
            let (requesters, agents) = (requesters.clone(), agents.clone());
            tokio::spawn(async move {
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (w + 1));
                let base = fixtures::now() - Span::days(365);
                for _ in 0..missing / workers + u64::from(w < missing % workers) {
                    let category = StatusCategory::ALL[rng.next(5)];
                    let status = fixtures::status_name(category);
                    let tags: Vec<String> = (0..rng.next(4))
                        .map(|_| format!("tag-{}", rng.next(20)))
                        .collect();
                    let mut description = sentence(&mut rng, &words, 30);
                    if rng.next(1_000) == 0 {
                        description.push_str(" kangaroo");
                    }
                    let at = base + Span::seconds(rng.next(365 * 86_400) as i64);
                    // Teams are fixed ids derived from small numbers.
                    let assignee = (rng.next(10) < 7).then(|| agents[rng.next(agents.len())]);
                    let team = (rng.next(10) < 8).then(|| {
                        TeamId::from_uuid(uuid::Uuid::from_u128(100 + rng.next(5) as u128))
                    });
                    let t = Ticket {
                        assignee,
                        assigned_at: assignee.map(|_| at),
                        team,
                        title: fixtures::title(&sentence(&mut rng, &words, 5)),
                        description: fixtures::description(&description),
                        status,
                        status_category: category,
                        priority: Priority::ALL[rng.next(4)],
                        tags: fixtures::tags(&tags.iter().map(String::as_str).collect::<Vec<_>>()),
                        ..fixtures::ticket_at(tenant, requesters[rng.next(requesters.len())], at)
                    };
                    store.save(&fixtures::create(t)).await.expect("seed save");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "| seed {missing} tickets (direct saves, 16 tasks) | {:>8.0} tickets/s | {secs:.1} s |",
        missing as f64 / secs.max(0.001)
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

async fn list(store: &Arc<dyn Store>, tenant: TenantId, q: &TicketQuery) -> usize {
    store.list_tickets(tenant, q).await.unwrap().items.len()
}

/// Every measurement of one store.
async fn measure(
    name: &str,
    store: Arc<dyn Store>,
    bus: Arc<dyn EventBus>,
    secs: u64,
    target: u64,
    samples: u64,
) {
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
    if secs > 0 {
        for concurrency in [1, 16] {
            create_run(&desk, &customers, concurrency, secs).await;
        }
    }
    let requesters: Vec<UserId> = customers.iter().filter_map(|a| a.user_id()).collect();
    seed(&store, tenant, &requesters, &agents, target).await;
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
    latency("search: one common word", samples, || {
        list(&store, tenant, &common)
    })
    .await;
    let two = TicketQuery {
        text: Some(format!("{} {}", words[17], words[401])),
        ..TicketQuery::default()
    };
    latency("search: two words (AND)", samples, || {
        list(&store, tenant, &two)
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
    let agent = TicketQuery {
        assignee: Some(AssigneeFilter::User(agents[7])),
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
    let mut deep = TicketQuery {
        limit: 100,
        ..TicketQuery::default()
    };
    let total = store
        .stats(tenant, &StatsQuery::default())
        .await
        .unwrap()
        .total;
    for _ in 0..total / 200 {
        let page = store.list_tickets(tenant, &deep).await.unwrap();
        deep.cursor = page.next_cursor;
    }
    let deep_page = TicketQuery {
        cursor: deep.cursor.clone(),
        ..TicketQuery::default()
    };
    latency(
        &format!("deep page: cursor after {} tickets", total / 200 * 100),
        samples,
        || list(&store, tenant, &deep_page),
    )
    .await;
    latency("stats: whole tenant", samples.min(20), || {
        let store = store.clone();
        async move {
            let s = store.stats(tenant, &StatsQuery::default()).await.unwrap();
            usize::try_from(s.total).unwrap()
        }
    })
    .await;
}

fn main() {
    let secs = env_or("TICKET_BENCH_SECS", 5);
    let target = env_or("TICKET_BENCH_TICKETS", 100_000);
    let samples = env_or("TICKET_BENCH_SAMPLES", 100);
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
             {samples} samples per latency (a shared machine: compare the stores, not the runs)",
            std::thread::available_parallelism().map_or(1, |n| n.get()),
        );
        let mongo = MongoStore::connect(&mongo_url).await.unwrap();
        let mongo = MongoStore::new(
            mongo.client().clone(),
            &format!("ticket_bench_{}", uuid::Uuid::now_v7().simple()),
        );
        mongo.migrate().await.unwrap();
        measure(
            "MongoDB store (ticket-store-mongo)",
            Arc::new(mongo.clone()),
            Arc::new(mongo.clone()),
            secs,
            target,
            samples,
        )
        .await;
        mongo.database().drop().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let sqlite = SqliteStore::connect(dir.path().join("bench.db").to_str().unwrap())
            .await
            .unwrap();
        sqlite.migrate().await.unwrap();
        measure(
            "SQLite store (ticket-store-sqlite)",
            Arc::new(sqlite.clone()),
            Arc::new(sqlite.clone()),
            secs,
            target,
            samples,
        )
        .await;
        sqlite.close().await;
    });
}
