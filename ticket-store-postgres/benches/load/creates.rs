//! Step 1: tickets created through `HelpDesk` at each concurrency level, each level
//! followed by pgbench's one-row insert of the same shape at the same concurrency, and by
//! pgbench running the store's whole create statement (see [`crate::pgbench`]).

use crate::data::{self, People, Rng};
use crate::measure::{timed, Samples};
use crate::{cpu, desk, named_pool, pgbench, Config};
use chrono::Utc;
use std::time::{Duration, Instant};
use ticket_core::{Actor, HelpDesk, Role};

/// `clients` tasks creating tickets through the desk until `until`.
async fn create_for(
    desk: &HelpDesk,
    people: &People,
    clients: usize,
    until: Instant,
    seed: u64,
) -> (Samples, usize) {
    let mut tasks = Vec::new();
    for c in 0..clients {
        let desk = desk.clone();
        let requester = people.requesters[c % people.requesters.len()];
        let actor = Actor::user(people.tenant, requester, Role::Customer);
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::new(seed ^ (c as u64).wrapping_mul(0x9E37));
            let (mut samples, mut errors) = (Samples::default(), 0);
            while Instant::now() < until {
                let input = data::input(&mut rng);
                let (r, d) = timed(desk.create_ticket(&actor, input)).await;
                match r {
                    Ok(_) => samples.push(d),
                    Err(e) => {
                        errors += 1;
                        if errors == 1 {
                            eprintln!("create failed: {e}");
                        }
                    }
                }
            }
            (samples, errors)
        }));
    }
    let mut all = (Samples::default(), 0);
    for t in tasks {
        let (s, e) = t.await.unwrap();
        all.0.extend(s);
        all.1 += e;
    }
    all
}

pub struct CreateRow {
    pub clients: usize,
    pub rate: f64,
    pub p50: f64,
    pub p99: f64,
    pub errors: usize,
    /// CPU microseconds per create: (this process, PostgreSQL's backends).
    pub cpu_us: (f64, f64),
    pub pgbench: Option<pgbench::Run>,
    /// pgbench running the store's whole create statement (insert, events, notify).
    pub pgbench_statement: Option<pgbench::Run>,
}

/// Step 1: creates at every concurrency level, each followed by pgbench at that level.
pub async fn creates(cfg: &Config, schema: &str, people: &People) -> Vec<CreateRow> {
    let scripts_dir = std::env::temp_dir().join(format!("{schema}_pgbench"));
    std::fs::create_dir_all(&scripts_dir).unwrap();
    let mut rng = Rng::new(7);
    // One script: pgbench loses its prepared statements with several (`-M prepared`).
    let now = Utc::now();
    let (sample, event) = data::seed_ticket(&mut rng, people, now, now, false);
    let insert = pgbench::insert_script(&scripts_dir, schema, &sample);
    let statement =
        pgbench::statement_script(&scripts_dir, schema, &sample, std::slice::from_ref(&event));
    let mut rows = Vec::new();
    for &clients in &cfg.clients {
        let app = format!("ticket-bench-create-{clients}");
        let pool = named_pool(&cfg.url, u32::try_from(clients).unwrap() + 2, &app).await;
        let desk = desk(pool.clone(), schema);
        // Warm-up: connections opened, statements prepared.
        let warm = Instant::now() + Duration::from_secs(1);
        create_for(&desk, people, clients, warm, 1).await;
        let cpu_start = cpu::mark(&pool, &app).await;
        let start = Instant::now();
        let until = start + Duration::from_secs(cfg.secs);
        let (samples, errors) = create_for(&desk, people, clients, until, 2).await;
        let rate = samples.len() as f64 / start.elapsed().as_secs_f64();
        let (ours, pg) = cpu::since(&cpu_start, &pool, &app).await;
        let n = samples.len().max(1) as f64;
        let cpu_us = (ours * 1e6 / n, pg * 1e6 / n);
        drop(desk);
        pool.close().await;
        let pgbench = pgbench::run(&cfg.url, &insert, clients, cfg.secs);
        let pgbench_statement = pgbench::run(&cfg.url, &statement, clients, cfg.secs);
        println!(
            "  create, {clients:>2} clients: {rate:>8.0} tickets/s (p50 {:.2} ms, p99 {:.2} ms, \
             CPU per create {:.0} µs here + {:.0} µs in PostgreSQL); pgbench {}; \
             pgbench of the store's statement {}",
            samples.percentile_ms(50.0),
            samples.percentile_ms(99.0),
            cpu_us.0,
            cpu_us.1,
            pgbench::summary(pgbench.as_ref()),
            pgbench::summary(pgbench_statement.as_ref()),
        );
        rows.push(CreateRow {
            clients,
            rate,
            p50: samples.percentile_ms(50.0),
            p99: samples.percentile_ms(99.0),
            errors,
            cpu_us,
            pgbench,
            pgbench_statement,
        });
    }
    let _ = std::fs::remove_dir_all(&scripts_dir);
    rows
}
