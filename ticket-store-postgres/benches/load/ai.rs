//! Step 4 (`TICKET_BENCH_AI=off,classifier,faq,full`): what the AI adds to a create, measured
//! on the filled table, at `TICKET_BENCH_AI_CLIENTS` clients (default 16), the modes
//! interleaved `TICKET_BENCH_AI_ROUNDS` times (default 2) so that the shared machine's
//! noise falls on each alike. Every mode's run starts after a `CHECKPOINT` (so the
//! full-page writes that follow one fall on each run alike, not on whichever ran after
//! PostgreSQL's own), and even rounds run the modes in reverse order (so neither always
//! meets the table its rival has just grown):
//!
//! - `off`: no classifier, no FAQ matcher;
//! - `classifier`: the day-one lexical classifier of `ticket-ai` (as the server runs it);
//! - `faq`: the classifier, the BM25 FAQ matcher over [`FAQS`] entries and helpful notes
//!   on, the similar-solved lookups the creates queue left undone (what the create's own
//!   path costs);
//! - `full`: as `faq`, with the lookups drained meanwhile by a worker (as the server's
//!   background job does), over solved tickets added to the table
//!   (`TICKET_BENCH_AI_SOLVED`, default 5 % of `TICKET_BENCH_TICKETS`): what the machine
//!   does per create in all.

use crate::data::{self, People, Rng};
use crate::measure::{timed, Samples};
use crate::{cpu, desk_config, named_pool, Config};
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use ticket_ai::{Bm25Config, Bm25Matcher, LexicalClassifier, LexicalConfig};
use ticket_core::desk::FaqInput;
use ticket_core::ports::{Classifier, FaqMatcher};
use ticket_core::text::Status;
use ticket_core::workflow::StatusCategory;
use ticket_core::{Actor, HelpDesk, HelpDeskConfig, Role};
use ticket_store_postgres::PostgresStore;

/// FAQ entries in the `full` mode.
pub const FAQS: usize = 50;

/// One AI mode of the desk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Off,
    Classifier,
    Faq,
    Full,
}

impl Mode {
    fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "off" => Some(Self::Off),
            "classifier" => Some(Self::Classifier),
            "faq" => Some(Self::Faq),
            "full" => Some(Self::Full),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Off => "AI off",
            Self::Classifier => "classifier",
            Self::Faq => "classifier + FAQ, no lookups",
            Self::Full => "classifier + FAQ + lookups",
        }
    }
}

/// The modes `TICKET_BENCH_AI` asks for (none: the step is skipped).
pub fn modes() -> Vec<Mode> {
    std::env::var("TICKET_BENCH_AI")
        .ok()
        .map(|v| v.split(',').filter_map(Mode::parse).collect())
        .unwrap_or_default()
}

/// One measured level of one mode.
pub struct AiRow {
    pub mode: Mode,
    pub round: usize,
    pub rate: f64,
    pub p50: f64,
    pub p99: f64,
    pub notes: u64,
    /// CPU microseconds per create: (this process, PostgreSQL's backends).
    pub cpu_us: (f64, f64),
}

/// The desk of `mode` over its own pool.
fn desk(
    mode: Mode,
    pool: sqlx::PgPool,
    schema: &str,
    classifier: &Arc<dyn Classifier>,
) -> HelpDesk {
    let store = Arc::new(PostgresStore::with_schema(pool, schema).unwrap());
    let mut builder = HelpDesk::builder(store.clone()).event_bus(store);
    let mut config: HelpDeskConfig = desk_config();
    if mode != Mode::Off {
        builder = builder.classifier(classifier.clone());
    }
    if matches!(mode, Mode::Faq | Mode::Full) {
        let matcher: Arc<dyn FaqMatcher> = Arc::new(Bm25Matcher::new(Bm25Config::default(), 0.6));
        builder = builder.faq_matcher(matcher);
        config.helpful_notes = true;
    }
    builder.config(config).build().unwrap()
}

/// Adds the FAQ entries and `solved` solved tickets (sharing the creates' vocabulary).
async fn prepare(cfg: &Config, store: &PostgresStore, people: &People, now: DateTime<Utc>) {
    let solved: u64 = crate::env_or("TICKET_BENCH_AI_SOLVED", cfg.tickets / 20);
    let desk = HelpDesk::builder(Arc::new(
        PostgresStore::with_schema(store.pool().clone(), store.schema()).unwrap(),
    ))
    .config(desk_config())
    .build()
    .unwrap();
    let admin = Actor::user(people.tenant, people.agents[0], Role::SuperAdmin);
    let mut rng = Rng::new(4242);
    for _ in 0..FAQS {
        let input = FaqInput {
            question: data::words(&mut rng, 6).join(" "),
            answer: data::words(&mut rng, 20).join(" "),
            tags: Vec::new(),
        };
        desk.create_faq(&admin, input).await.unwrap();
    }
    let resolved = Status::parse("resolved").unwrap();
    let mut done = 0;
    while done < solved {
        let n = 5_000.min(solved - done);
        let (tickets, events): (Vec<_>, Vec<_>) = (0..n)
            .map(|_| {
                let created = now - chrono::Duration::days(1 + rng.below(700) as i64);
                let (mut t, e) = data::seed_ticket(&mut rng, people, now, created, false);
                t.status = resolved.clone();
                t.status_category = StatusCategory::Solved;
                t.resolved_at = Some(t.updated_at);
                t.sla = None;
                (t, e)
            })
            .unzip();
        store.bulk_insert(&tickets, &events).await.unwrap();
        done += n;
    }
    sqlx::query(&format!("ANALYZE \"{}\".tickets", store.schema()))
        .execute(store.pool())
        .await
        .unwrap();
    println!("  {FAQS} FAQ entries, {solved} solved tickets added");
}

/// Creates through `desk` by `clients` tasks until `until`.
async fn create_for(desk: &HelpDesk, people: &People, clients: usize, until: Instant) -> Samples {
    let mut tasks = Vec::new();
    for c in 0..clients {
        let desk = desk.clone();
        let actor = Actor::user(
            people.tenant,
            people.requesters[c % people.requesters.len()],
            Role::Customer,
        );
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::new(77 ^ c as u64);
            let mut samples = Samples::default();
            while Instant::now() < until {
                let (r, d) = timed(desk.create_ticket(&actor, data::input(&mut rng))).await;
                if r.is_ok() {
                    samples.push(d);
                }
            }
            samples
        }));
    }
    let mut all = Samples::default();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

/// Step 4: the modes interleaved at one concurrency, on the filled table.
pub async fn creates(
    cfg: &Config,
    store: &PostgresStore,
    people: &People,
    now: DateTime<Utc>,
) -> Vec<AiRow> {
    let modes = modes();
    if modes.is_empty() {
        return Vec::new();
    }
    let clients: usize = crate::env_or("TICKET_BENCH_AI_CLIENTS", 16);
    let rounds: usize = crate::env_or("TICKET_BENCH_AI_ROUNDS", 2);
    prepare(cfg, store, people, now).await;
    let classifier: Arc<dyn Classifier> =
        Arc::new(LexicalClassifier::day_one(LexicalConfig::default()).unwrap());
    let mut rows = Vec::new();
    for round in 1..=rounds {
        let mut order = modes.clone();
        if round % 2 == 0 {
            order.reverse();
        }
        for mode in order {
            if let Err(e) = sqlx::query("CHECKPOINT").execute(store.pool()).await {
                println!("  CHECKPOINT refused ({e}): runs may meet PostgreSQL's own");
            }
            let app = format!("ticket-bench-ai-{round}-{mode:?}");
            let pool = named_pool(&cfg.url, u32::try_from(clients).unwrap() + 4, &app).await;
            let desk = desk(mode, pool.clone(), store.schema(), &classifier);
            // The server's background job: the similar-solved notes, as creates queue them.
            let noted = Arc::new(AtomicU64::new(0));
            let worker = (mode == Mode::Full).then(|| {
                let (desk, noted) = (desk.clone(), noted.clone());
                tokio::spawn(async move {
                    loop {
                        let r = desk.add_similar_notes(32).await.unwrap();
                        noted.fetch_add(r.noted, Ordering::Relaxed);
                    }
                })
            });
            create_for(
                &desk,
                people,
                clients,
                Instant::now() + Duration::from_secs(1),
            )
            .await;
            let cpu_start = cpu::mark(&pool, &app).await;
            let start = Instant::now();
            let samples = create_for(
                &desk,
                people,
                clients,
                start + Duration::from_secs(cfg.secs),
            )
            .await;
            let rate = samples.len() as f64 / start.elapsed().as_secs_f64();
            if let Some(w) = worker {
                w.abort();
            }
            let (ours, pg) = cpu::since(&cpu_start, &pool, &app).await;
            let n = samples.len().max(1) as f64;
            let notes = noted.load(Ordering::Relaxed);
            let row = AiRow {
                mode,
                round,
                rate,
                p50: samples.percentile_ms(50.0),
                p99: samples.percentile_ms(99.0),
                notes,
                cpu_us: (ours * 1e6 / n, pg * 1e6 / n),
            };
            println!(
                "  round {round}, {:<26} {clients} clients: {:>7.0} tickets/s (p50 {:.2} ms, \
                 p99 {:.2} ms; CPU per create {:.0} µs here + {:.0} µs in PostgreSQL), {} \
                 similar-solved notes written meanwhile",
                mode.name(),
                row.rate,
                row.p50,
                row.p99,
                row.cpu_us.0,
                row.cpu_us.1,
                row.notes
            );
            rows.push(row);
            drop(desk);
            pool.close().await;
        }
    }
    rows
}

/// Prints the step's table: each mode's rate and CPU per create, and its cost relative to
/// `off` of the same round by rate and by CPU (this process + PostgreSQL's backends). On a
/// shared machine the rate moves with the other load; the CPU cost is the steadier figure.
pub fn report(rows: &[AiRow]) {
    if rows.is_empty() {
        return;
    }
    println!(
        "\n{:<34} {:>9} {:>8} {:>8} {:>9} {:>9} {:>13} {:>13}",
        "create by AI mode (interleaved)",
        "ticket/s",
        "p50 ms",
        "p99 ms",
        "CPU µs",
        "of it PG",
        "cost by rate",
        "cost by CPU"
    );
    for r in rows {
        let (by_rate, by_cpu) = cost(rows, r).map_or(("-".to_string(), "-".to_string()), |c| {
            (format!("{:+.0}%", c.0), format!("{:+.0}%", c.1))
        });
        println!(
            "{:<34} {:>9.0} {:>8.2} {:>8.2} {:>9.0} {:>9.0} {:>13} {:>13}",
            format!("  round {} {}", r.round, r.mode.name()),
            r.rate,
            r.p50,
            r.p99,
            cpu(r),
            r.cpu_us.1,
            by_rate,
            by_cpu
        );
    }
    summary(rows);
}

/// Prints, per mode beside `off`, the mean and the median over the rounds of its cost
/// by rate and by CPU.
fn summary(rows: &[AiRow]) {
    let mut modes: Vec<Mode> = Vec::new();
    for r in rows.iter().filter(|r| r.mode != Mode::Off) {
        if !modes.contains(&r.mode) {
            modes.push(r.mode);
        }
    }
    for mode in modes {
        let (mut by_rate, mut by_cpu): (Vec<f64>, Vec<f64>) = rows
            .iter()
            .filter(|r| r.mode == mode)
            .filter_map(|r| cost(rows, r))
            .unzip();
        if by_rate.is_empty() {
            continue;
        }
        println!(
            "{:<34} cost by rate mean {:+.1}% median {:+.1}%, by CPU mean {:+.1}% median {:+.1}% ({} rounds)",
            format!("  {} over the rounds", mode.name()),
            mean(&by_rate),
            median(&mut by_rate),
            mean(&by_cpu),
            median(&mut by_cpu),
            by_cpu.len()
        );
    }
}

/// This process's and PostgreSQL's CPU microseconds per create of `r`.
fn cpu(r: &AiRow) -> f64 {
    r.cpu_us.0 + r.cpu_us.1
}

/// What `r` costs beside `off` of the same round, in percent: by rate and by CPU
/// (`None` without such a row).
fn cost(rows: &[AiRow], r: &AiRow) -> Option<(f64, f64)> {
    let off = rows
        .iter()
        .find(|o| o.mode == Mode::Off && o.round == r.round)?;
    Some((
        100.0 * (off.rate / r.rate - 1.0),
        100.0 * (cpu(r) / cpu(off) - 1.0),
    ))
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}
