//! Routing over a real store: a [`HelpDesk`] assigning a burst of simultaneous new
//! tickets never takes an agent past their capacity, whatever the store's isolation.

use crate::account::{Actor, HashCost};
use crate::ports::Store;
use crate::routing::AssignStrategy;
use crate::rules::{Action, Condition, Rule, Trigger};
use crate::testkit::fixtures;
use crate::ticket::TicketInput;
use crate::{HelpDesk, HelpDeskConfig};
use futures::future::join_all;
use std::sync::Arc;

/// Fifty tickets raised at once, routed least-loaded over five agents of capacity ten:
/// every ticket gets an agent and nobody holds more than ten.
pub async fn a_burst_of_creates_never_overfills_an_agent(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let mut agents = Vec::new();
    for i in 0..5 {
        let agent = fixtures::agent(tenant, &format!("agent{i}"), &[]);
        store
            .create_user(&agent)
            .await
            .expect("create_user (agent)");
        agents.push(agent.id);
    }
    let customer = fixtures::user(tenant, "ann");
    store.create_user(&customer).await.expect("create_user");
    store
        .save_rule(&Rule {
            triggers: vec![Trigger::TicketCreated],
            condition: Condition::Always,
            actions: vec![Action::Assign {
                strategy: AssignStrategy::LeastLoaded,
            }],
            ..fixtures::rule(tenant, "Route", 0)
        })
        .await
        .expect("save_rule");
    let desk = HelpDesk::builder(store.clone())
        .config(HelpDeskConfig {
            hash_cost: HashCost::TESTING,
            ..HelpDeskConfig::default()
        })
        .build()
        .expect("a desk");
    let ann = Actor::user(tenant, customer.id, customer.role);
    let raised = join_all((0..50).map(|i| {
        let desk = desk.clone();
        async move {
            desk.create_ticket(
                &ann,
                TicketInput {
                    title: format!("Burst {i}"),
                    description: "all at once".into(),
                    ..TicketInput::default()
                },
            )
            .await
        }
    }))
    .await;
    let mut assigned = 0;
    for t in raised {
        let t = t.expect("create_ticket");
        assert!(t.assignee.is_some(), "there is room for every ticket");
        assigned += 1;
    }
    assert_eq!(assigned, 50);
    let loads = store.agent_loads(tenant, None).await.expect("agent_loads");
    for load in loads.iter().filter(|l| agents.contains(&l.user_id)) {
        assert!(
            load.open_tickets <= 10,
            "{} holds {} tickets, past a capacity of 10",
            load.user_id,
            load.open_tickets
        );
    }
    let total: u32 = loads.iter().map(|l| l.open_tickets).sum();
    assert_eq!(total, 50);
}

/// Two desks over one store (two server instances), each with its own in-memory
/// reservations, and five agents of capacity ten online.
async fn two_desks(
    store: &Arc<dyn Store>,
    tenant: crate::TenantId,
) -> (HelpDesk, HelpDesk, Vec<crate::id::UserId>) {
    let mut agents = Vec::new();
    for i in 0..5 {
        let agent = fixtures::agent(tenant, &format!("agent{i}"), &[]);
        store
            .create_user(&agent)
            .await
            .expect("create_user (agent)");
        agents.push(agent.id);
    }
    let desk = || {
        HelpDesk::builder(store.clone())
            .config(HelpDeskConfig {
                hash_cost: HashCost::TESTING,
                ..HelpDeskConfig::default()
            })
            .build()
            .expect("a desk")
    };
    (desk(), desk(), agents)
}

/// Panics when an agent holds more than ten working tickets; returns the total held.
async fn assert_nobody_over_ten(store: &Arc<dyn Store>, tenant: crate::TenantId) -> u32 {
    let loads = store.agent_loads(tenant, None).await.expect("agent_loads");
    for load in &loads {
        assert!(
            load.open_tickets <= 10,
            "{} holds {} tickets, past a capacity of 10",
            load.user_id,
            load.open_tickets
        );
    }
    loads.iter().map(|l| l.open_tickets).sum()
}

/// Sixty tickets raised at once through two desks over one store, routed least-loaded
/// over fifty slots: every ticket is stored, nobody holds more than ten (the store holds
/// each pick to the agent's capacity in the save), and the tickets that found no slot
/// wait unassigned.
pub async fn creates_on_two_instances_never_overfill_an_agent(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let (one, two, _) = two_desks(&store, tenant).await;
    let customer = fixtures::user(tenant, "ann");
    store.create_user(&customer).await.expect("create_user");
    store
        .save_rule(&Rule {
            triggers: vec![Trigger::TicketCreated],
            condition: Condition::Always,
            actions: vec![Action::Assign {
                strategy: AssignStrategy::LeastLoaded,
            }],
            ..fixtures::rule(tenant, "Route", 0)
        })
        .await
        .expect("save_rule");
    let ann = Actor::user(tenant, customer.id, customer.role);
    let raised = join_all((0..60).map(|i| {
        let desk = if i % 2 == 0 { one.clone() } else { two.clone() };
        async move {
            desk.create_ticket(
                &ann,
                TicketInput {
                    title: format!("Burst {i}"),
                    description: "all at once, on two instances".into(),
                    ..TicketInput::default()
                },
            )
            .await
        }
    }))
    .await;
    let stored: Vec<_> = raised
        .into_iter()
        .map(|t| t.expect("create_ticket: no ticket is lost"))
        .collect();
    let assigned = stored.iter().filter(|t| t.assignee.is_some()).count();
    let total = assert_nobody_over_ten(&store, tenant).await;
    assert_eq!(total as usize, assigned);
    assert!(assigned <= 50);
}

/// Eighty unassigned tickets; the queue processed from two desks at once: fifty are
/// assigned (every slot), each at most once (one `Assigned` event), nobody past ten.
pub async fn queue_processed_on_two_instances_assigns_once(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let (one, two, _) = two_desks(&store, tenant).await;
    let customer = fixtures::user(tenant, "ann");
    store.create_user(&customer).await.expect("create_user");
    let mut ids = Vec::new();
    for i in 0..80 {
        let t = fixtures::ticket_at(
            tenant,
            customer.id,
            fixtures::now() + chrono::Duration::seconds(i),
        );
        store
            .save(&fixtures::create(t.clone()))
            .await
            .expect("save (create)");
        ids.push(t.id);
    }
    let (a, b) = futures::join!(
        one.run_queue(tenant, AssignStrategy::LeastLoaded),
        two.run_queue(tenant, AssignStrategy::LeastLoaded)
    );
    let (a, b) = (a.expect("run_queue (one)"), b.expect("run_queue (two)"));
    assert_eq!(a.assigned + b.assigned, 50, "{a:?} {b:?}");
    assert_eq!(assert_nobody_over_ten(&store, tenant).await, 50);
    for id in ids {
        let assigned = store
            .ticket_events(tenant, id)
            .await
            .expect("ticket_events")
            .iter()
            .filter(|e| matches!(e.kind, crate::event::EventKind::Assigned { .. }))
            .count();
        assert!(assigned <= 1, "ticket {id} assigned {assigned} times");
    }
}
