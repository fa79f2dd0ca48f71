//! Three instances (three `HelpDesk`s on three pools) sweeping one PostgreSQL schema at
//! once split the due tickets: each is handled by one instance, its warning and breach
//! are recorded once, the re-evaluation a policy change requested is walked once, and
//! the work done together is what one instance alone would do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::Arc;
use ticket_core::account::{HashCost, Role};
use ticket_core::clock::ManualClock;
use ticket_core::desk::{SlaPolicyInput, SweepReport};
use ticket_core::event::{EventKind, SlaTarget};
use ticket_core::id::TicketId;
use ticket_core::sla::{SlaCondition, SlaTargets};
use ticket_core::testkit::account;
use ticket_core::ticket::TicketInput;
use ticket_core::{Actor, HelpDesk, HelpDeskConfig, TenantId};
use ticket_store_postgres::{sqlx, PostgresStore};

/// Tickets due at the sweep.
const TICKETS: usize = 90;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn desk(store: PostgresStore, clock: Arc<ManualClock>) -> HelpDesk {
    let config = HelpDeskConfig {
        hash_cost: HashCost::TESTING,
        // Small batches, so that the three instances claim many times each.
        sweep_batch: 5,
        sweep_concurrency: 2,
        ..HelpDeskConfig::default()
    };
    HelpDesk::builder(Arc::new(store))
        .clock(clock)
        .config(config)
        .build()
        .unwrap()
}

/// Three desks on three pools over one fresh schema, sharing a manual clock.
struct Instances {
    desks: [HelpDesk; 3],
    clock: Arc<ManualClock>,
    admin: Actor,
    customer: Actor,
    pool: sqlx::PgPool,
    schema: String,
}

async fn instances() -> Instances {
    let (p1, p2, p3) = (
        common::pool().await,
        common::pool().await,
        common::pool().await,
    );
    let a = common::fresh_in(p1.clone()).await;
    let b = PostgresStore::with_schema(p2, a.schema()).unwrap();
    let c = PostgresStore::with_schema(p3, a.schema()).unwrap();
    let clock = Arc::new(ManualClock::new(start()));
    let schema = a.schema().to_string();
    let desks = [
        desk(a, clock.clone()),
        desk(b, clock.clone()),
        desk(c, clock.clone()),
    ];
    let tenant = TenantId::new();
    let root = desks[0]
        .ensure_super_admin(tenant, account("root"))
        .await
        .unwrap()
        .unwrap();
    let admin = Actor::user(tenant, root.id, Role::SuperAdmin);
    let carl = desks[0]
        .create_user(&admin, account("carl"), Role::Customer)
        .await
        .unwrap();
    let customer = Actor::user(tenant, carl.id, Role::Customer);
    Instances {
        desks,
        clock,
        admin,
        customer,
        pool: p1,
        schema,
    }
}

impl Instances {
    async fn add_policy(&self) {
        self.desks[1]
            .create_sla_policy(
                &self.admin,
                SlaPolicyInput {
                    name: "Everything".into(),
                    position: 0,
                    enabled: true,
                    condition: SlaCondition::default(),
                    targets: SlaTargets {
                        first_response_minutes: Some(60),
                        next_response_minutes: None,
                        resolution_minutes: None,
                    },
                    calendar_id: None,
                    warn_at_percent: 80,
                },
            )
            .await
            .unwrap();
    }

    async fn tickets(&self) -> Vec<TicketId> {
        let mut ids = Vec::new();
        for i in 0..TICKETS {
            let t = self.desks[i % 3]
                .create_ticket(
                    &self.customer,
                    TicketInput {
                        title: format!("Ticket {i}"),
                        description: "Waiting for an answer".into(),
                        ..TicketInput::default()
                    },
                )
                .await
                .unwrap();
            ids.push(t.id);
        }
        ids
    }

    /// All three sweep at `now` at once; their reports.
    async fn sweep_together(&self, now: DateTime<Utc>) -> Vec<SweepReport> {
        self.clock.set(now);
        let sweeps: Vec<_> = self
            .desks
            .iter()
            .cloned()
            .map(|d| tokio::spawn(async move { d.sweep_sla(now).await.unwrap() }))
            .collect();
        let mut reports = Vec::new();
        for s in sweeps {
            reports.push(s.await.unwrap());
        }
        reports
    }
}

fn total(reports: &[SweepReport], field: fn(&SweepReport) -> u64) -> u64 {
    reports.iter().map(field).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_split_the_due_tickets_and_handle_each_once() {
    if !common::should_run() {
        return;
    }
    let w = instances().await;
    w.add_policy().await;
    // The policy's re-evaluation (of no ticket yet) is done before the tickets come.
    w.desks[0].sweep_sla(start()).await.unwrap();
    let ids = w.tickets().await;

    // All three sweep at once, past the warning and the breach of every ticket.
    let now = start() + Duration::minutes(61);
    let reports = w.sweep_together(now).await;
    let checked = total(&reports, |r| r.checked);
    let n = TICKETS as u64;
    println!(
        "three instances: checked {:?} (total {checked}, {:.2}x the {n} due tickets)",
        reports.iter().map(|r| r.checked).collect::<Vec<_>>(),
        checked as f64 / n as f64
    );
    assert_eq!(
        (
            checked,
            total(&reports, |r| r.breaches),
            total(&reports, |r| r.warnings),
            total(&reports, |r| r.conflicts)
        ),
        (n, n, n, 0),
        "each due ticket was looked at once, by one instance: {reports:?}"
    );
    assert!(
        reports.iter().filter(|r| r.checked > 0).count() >= 2,
        "the instances shared the work: {reports:?}"
    );
    for id in ids {
        let history = w.desks[0].history(&w.admin, id).await.unwrap();
        let breached = history
            .iter()
            .filter(|e| {
                matches!(
                    e.kind,
                    EventKind::SlaBreached {
                        target: SlaTarget::FirstResponse,
                        cycle: 0
                    }
                )
            })
            .count();
        assert_eq!(breached, 1, "one breach recorded for {id}");
    }
    // A second round finds nothing due: the claims ended with the saved snapshots.
    for d in &w.desks {
        assert_eq!(d.sweep_sla(now).await.unwrap().checked, 0);
    }
    common::drop_schema(&w.pool, &w.schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_walk_a_policy_change_once() {
    if !common::should_run() {
        return;
    }
    let w = instances().await;
    let ids = w.tickets().await;
    w.add_policy().await;
    let reports = w.sweep_together(start() + Duration::minutes(1)).await;
    println!(
        "three instances re-evaluating: batches {:?}, checked {:?}",
        reports.iter().map(|r| r.stale_batches).collect::<Vec<_>>(),
        reports.iter().map(|r| r.checked).collect::<Vec<_>>(),
    );
    // 18 full batches of 5 and the empty one that ends the walk, walked once in all.
    assert_eq!(total(&reports, |r| r.stale_batches), 19, "{reports:?}");
    assert_eq!(
        total(&reports, |r| r.checked),
        TICKETS as u64,
        "{reports:?}"
    );
    for id in ids {
        let t = w.desks[2].get_ticket(&w.admin, id).await.unwrap();
        let sla = t.sla.expect("the new policy reached every open ticket");
        assert_eq!(
            sla.first_response_due,
            Some(start() + Duration::minutes(60))
        );
    }
    common::drop_schema(&w.pool, &w.schema).await;
}
