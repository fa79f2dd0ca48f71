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
