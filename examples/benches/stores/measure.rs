//! One store's run: seeding, creation throughput, then the latencies of reads and
//! statistics, each figure recorded under its row name.

use crate::mongo::plan_summary;
use crate::queries::read_queries;
use crate::seed::{middle_cursor, Seeder};
use crate::table::Figures;
use std::sync::Arc;
use std::time::{Duration, Instant};
use ticket_core::account::HashCost;
use ticket_core::id::TenantId;
use ticket_core::ports::{EventBus, Store};
use ticket_core::query::{StatsQuery, TicketQuery};
use ticket_core::testkit::bench::{
    create_load, generated_tickets, ms, percentile, register_people,
};
use ticket_core::{HelpDesk, HelpDeskConfig};

/// How many samples a latency takes, and for how long it goes on taking more.
#[derive(Clone, Copy)]
pub struct Sampling {
    /// At most this many.
    pub max: u64,
    /// At least this many, whatever the budget.
    pub min: u64,
    /// No new sample once this is spent (and `min` ran).
    pub budget: Duration,
}

/// What a run measures besides the seeding (the knobs of `main.rs`).
#[derive(Clone, Copy)]
pub struct Plan {
    /// Seconds per creation run (0: none).
    pub secs: u64,
    /// Tickets seeded.
    pub target: u64,
    pub sampling: Sampling,
    /// The list, search and deep page latencies.
    pub reads: bool,
    /// The statistics latency (needs `reads`).
    pub stats: bool,
}

/// Seeds one store to `plan.target` tickets and measures it.
pub async fn measure(
    name: &str,
    store: Arc<dyn Store>,
    bus: Arc<dyn EventBus>,
    seeder: Seeder,
    plan: Plan,
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
    let people = register_people(&desk, &store).await;
    let tenant = people.tenant;
    println!();
    println!("## {name}");
    println!();

    let target = plan.target;
    let tickets = generated_tickets(tenant, &people.requesters(), &people.agents, target);
    let deep_cursor = middle_cursor(&tickets);
    let started = Instant::now();
    let how = seeder.seed(&store, tenant, tickets).await;
    let took = started.elapsed().as_secs_f64();
    figures.add(
        name,
        "seed".into(),
        format!(
            "{target} tickets in {took:.1} s by {how} ({:.0} tickets/s)",
            target as f64 / took.max(0.001)
        ),
    );

    if plan.secs > 0 {
        for concurrency in [1, 16] {
            let load = create_load(&desk, &people.customers, concurrency, plan.secs).await;
            let cell = format!(
                "{:.0} tickets/s, p50 {}, p99 {} ({} created)",
                load.rate(),
                ms(percentile(&load.latencies, 50)),
                ms(percentile(&load.latencies, 99)),
                load.latencies.len()
            );
            figures.add(
                name,
                format!("create through HelpDesk, concurrency {concurrency}"),
                cell,
            );
        }
    }

    if !plan.reads {
        return figures;
    }
    let sampling = plan.sampling;
    let queries = read_queries(people.agents[7]);
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
    if !plan.stats {
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

/// The size of the page `q` lists.
async fn list(store: &Arc<dyn Store>, tenant: TenantId, q: &TicketQuery) -> usize {
    store.list_tickets(tenant, q).await.unwrap().items.len()
}
