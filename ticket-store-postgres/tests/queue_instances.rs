//! The queue processed by two server instances at once (two pools, two desks, one
//! schema) while both raise tickets routed on create: every slot is filled once, the
//! queue takes the most urgent tickets, no ticket is assigned twice and no agent goes
//! past capacity. The store's capacity check (a row lock on the
//! agent) and the versioned saves are what make it hold; each desk only knows its own
//! picks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use ticket_core::account::Actor;
use ticket_core::account::HashCost;
use ticket_core::event::EventKind;
use ticket_core::ports::{ConfigStore, Store, TicketStore, UserStore};
use ticket_core::routing::AssignStrategy;
use ticket_core::rules::{Action, Condition, Rule, Trigger};
use ticket_core::testkit::fixtures;
use ticket_core::ticket::{Priority, Ticket, TicketInput};
use ticket_core::{HelpDesk, HelpDeskConfig};
use ticket_store_postgres::PostgresStore;

fn desk(store: PostgresStore) -> HelpDesk {
    HelpDesk::builder(Arc::new(store) as Arc<dyn Store>)
        .config(HelpDeskConfig {
            hash_cost: HashCost::TESTING,
            ..HelpDeskConfig::default()
        })
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_queue_on_two_instances_assigns_each_ticket_once() {
    if !common::should_run() {
        return;
    }
    let (p1, p2) = (common::pool().await, common::pool().await);
    let a = common::fresh_in(p1.clone()).await;
    let b = PostgresStore::with_schema(p2, a.schema()).unwrap();
    let tenant = fixtures::tenant();
    let mut agents = Vec::new();
    for i in 0..5 {
        let agent = fixtures::agent(tenant, &format!("agent{i}"), &[]);
        a.create_user(&agent).await.unwrap();
        agents.push(agent.id);
    }
    let customer = fixtures::user(tenant, "ann");
    a.create_user(&customer).await.unwrap();
    // 240 queued tickets, 60 of each priority, oldest first; 50 slots.
    let mut queued: Vec<Ticket> = Vec::new();
    for i in 0..240 {
        let priority = Priority::ALL[i % 4];
        let t = Ticket {
            priority,
            title: fixtures::title(&format!("Queued {i}")),
            ..fixtures::ticket_at(
                tenant,
                customer.id,
                fixtures::now() - chrono::Duration::seconds(1000 - i as i64),
            )
        };
        a.save(&fixtures::create(t.clone())).await.unwrap();
        queued.push(t);
    }
    // New tickets routed on create by a rule, raised on both instances meanwhile.
    a.save_rule(&Rule {
        triggers: vec![Trigger::TicketCreated],
        condition: Condition::Always,
        actions: vec![Action::Assign {
            strategy: AssignStrategy::LeastLoaded,
        }],
        ..fixtures::rule(tenant, "Route", 0)
    })
    .await
    .unwrap();
    let (one, two) = (desk(a.clone()), desk(b));
    let ann = Actor::user(tenant, customer.id, customer.role);
    let queue_runs = futures::future::join_all((0..4).map(|i| {
        let d = if i % 2 == 0 { one.clone() } else { two.clone() };
        async move { d.run_queue(tenant, AssignStrategy::LeastLoaded).await }
    }));
    let creates = futures::future::join_all((0..40).map(|i| {
        let d = if i % 2 == 0 { two.clone() } else { one.clone() };
        async move {
            d.create_ticket(
                &ann,
                TicketInput {
                    title: format!("New {i}"),
                    description: "raised while the queue runs".into(),
                    ..TicketInput::default()
                },
            )
            .await
        }
    }));
    let (runs, created) = futures::join!(queue_runs, creates);
    let from_queue: u32 = runs.iter().map(|r| r.as_ref().unwrap().assigned).sum();
    let on_create = created
        .iter()
        .filter(|t| t.as_ref().expect("no create is lost").assignee.is_some())
        .count();
    assert_eq!(
        from_queue as usize + on_create,
        50,
        "every slot filled once: {runs:?}"
    );
    for t in created.iter().flatten() {
        queued.push(t.clone());
    }
    let loads = a.agent_loads(tenant, None).await.unwrap();
    for l in loads.iter().filter(|l| agents.contains(&l.user_id)) {
        assert_eq!(l.open_tickets, 10, "{} holds {}", l.user_id, l.open_tickets);
    }
    for t in &queued {
        let stored = a.get_ticket(tenant, t.id).await.unwrap();
        let times = a
            .ticket_events(tenant, t.id)
            .await
            .unwrap()
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Assigned { .. }))
            .count();
        assert!(times <= 1, "ticket {} assigned {times} times", t.id);
        if stored.assignee.is_some() && t.title.as_str().starts_with("Queued") {
            assert_eq!(
                stored.priority,
                Priority::Critical,
                "the queue takes the 60 critical tickets first"
            );
        }
    }
    common::drop_schema(&p1, a.schema()).await;
}
