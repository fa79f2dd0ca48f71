//! `queue-bench`: how fast `HelpDesk::run_queue` assigns a queue. For each store it seeds
//! 200 online agents (capacity 50 each) and 10,000 unassigned tickets of mixed
//! priorities, then times one `run_queue` (least-loaded) that assigns all of them, and
//! prints tickets assigned per second. Each store runs twice on fresh data: saves one at
//! a time (`sweep_concurrency = 1`, the baseline) and at the desk's default concurrency,
//! so the ratio comes from one run of one machine.
//!
//! ```text
//! cargo run --release -p ticket-examples --bin queue-bench
//! TICKET_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo run --release -p ticket-examples --bin queue-bench
//! ```
//!
//! SQLite runs on a temporary file; PostgreSQL (when `TICKET_BENCH_POSTGRES_URL` is set)
//! in a schema of its own, dropped at the end. `TICKET_BENCH_TICKETS` and
//! `TICKET_BENCH_AGENTS` change the sizes (capacity is set so every ticket fits).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;
use ticket_core::account::{Availability, HashCost};
use ticket_core::ports::Store;
use ticket_core::routing::AssignStrategy;
use ticket_core::testkit::fixtures;
use ticket_core::ticket::{Priority, Ticket};
use ticket_core::{HelpDesk, HelpDeskConfig, TenantId};
use ticket_store_postgres::{sqlx, PostgresStore};
use ticket_store_sqlite::SqliteStore;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

struct Sizes {
    tickets: usize,
    agents: usize,
}

/// Seeds the agents and the queue; returns the tenant.
async fn seed(store: &Arc<dyn Store>, sizes: &Sizes) -> Result<TenantId, String> {
    let tenant = fixtures::tenant();
    let capacity = u32::try_from(sizes.tickets.div_ceil(sizes.agents)).unwrap_or(u32::MAX);
    for i in 0..sizes.agents {
        let mut agent = fixtures::agent(tenant, &format!("agent{i}"), &[]);
        if let Some(p) = agent.agent.as_mut() {
            p.capacity = capacity;
            p.availability = Availability::Online;
        }
        store.create_user(&agent).await.map_err(|e| e.to_string())?;
    }
    let customer = fixtures::user(tenant, "requester");
    store
        .create_user(&customer)
        .await
        .map_err(|e| e.to_string())?;
    let base = fixtures::now() - chrono::Duration::days(1);
    let tickets: Vec<Ticket> = (0..sizes.tickets)
        .map(|i| Ticket {
            priority: Priority::ALL[i % 4],
            ..fixtures::ticket_at(
                tenant,
                customer.id,
                base + chrono::Duration::milliseconds(i as i64),
            )
        })
        .collect();
    for chunk in tickets.chunks(64) {
        let saves = chunk.iter().map(|t| {
            let store = store.clone();
            let change = fixtures::create(t.clone());
            async move { store.save(&change).await }
        });
        for r in futures::future::join_all(saves).await {
            r.map_err(|e| e.to_string())?;
        }
    }
    Ok(tenant)
}

/// Seeds `store`, runs the queue once, prints the figure.
async fn measure(
    label: &str,
    store: Arc<dyn Store>,
    sizes: &Sizes,
    concurrency: usize,
) -> Result<f64, String> {
    let tenant = seed(&store, sizes).await?;
    let desk = HelpDesk::builder(store)
        .config(HelpDeskConfig {
            hash_cost: HashCost::TESTING,
            sweep_concurrency: concurrency,
            ..HelpDeskConfig::default()
        })
        .build()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let report = desk
        .run_queue(tenant, AssignStrategy::LeastLoaded)
        .await
        .map_err(|e| e.to_string())?;
    let secs = started.elapsed().as_secs_f64();
    let rate = f64::from(report.assigned) / secs;
    println!(
        "{label:<11} concurrency {concurrency:>2}: {} of {} queued tickets assigned to {} agents in {secs:.2} s = {rate:.0} tickets/s (conflicts {})",
        report.assigned, sizes.tickets, sizes.agents, report.conflicts
    );
    Ok(rate)
}

async fn sqlite(sizes: &Sizes, concurrency: usize) -> Result<f64, String> {
    let dir = std::env::temp_dir().join(format!("queue-bench-{}", uuid_like()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join("bench.db");
    let store = SqliteStore::connect(&path.to_string_lossy())
        .await
        .map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let rate = measure("sqlite", Arc::new(store), sizes, concurrency).await;
    let _ = std::fs::remove_dir_all(&dir);
    rate
}

async fn postgres(url: &str, sizes: &Sizes, concurrency: usize) -> Result<f64, String> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(16)
        .connect(url)
        .await
        .map_err(|e| e.to_string())?;
    let schema = format!("bench_queue_{}", uuid_like());
    let store = PostgresStore::with_schema(pool.clone(), &schema).map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let rate = measure("postgresql", Arc::new(store), sizes, concurrency).await;
    let _ = sqlx::raw_sql(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .execute(&pool)
        .await;
    rate
}

/// A short unique suffix (time-based) for a file or schema name.
fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}")
}

async fn run() -> Result<(), String> {
    let sizes = Sizes {
        tickets: env_or("TICKET_BENCH_TICKETS", 10_000),
        agents: env_or("TICKET_BENCH_AGENTS", 200).max(1),
    };
    let default = HelpDeskConfig::default().sweep_concurrency;
    let one = sqlite(&sizes, 1).await?;
    let many = sqlite(&sizes, default).await?;
    println!("sqlite      concurrent / one at a time: {:.2}x", many / one);
    if let Some(url) = std::env::var("TICKET_BENCH_POSTGRES_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        let one = postgres(&url, &sizes, 1).await?;
        let many = postgres(&url, &sizes, default).await?;
        println!("postgresql  concurrent / one at a time: {:.2}x", many / one);
    } else {
        println!("postgresql  skipped: set TICKET_BENCH_POSTGRES_URL");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("queue-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
