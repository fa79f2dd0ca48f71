//! A property test of availability-aware routing over MemoryStore: random sequences of
//! shift, break and availability events, ticket creations (routed by a rule), status
//! moves, queue runs and rebalances. Whatever the sequence:
//!
//! - every assignment the desk makes by itself (rule, queue, rebalance) goes to an agent
//!   who was online (on shift, not on a break, or set online) and had room when the step
//!   began;
//! - no agent ever holds more working tickets than their capacity;
//! - no ticket is assigned twice in one step.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test set-up may unwrap

mod common;

use common::{account, world, World};
use proptest::prelude::*;
use std::collections::HashMap;
use ticket_core::account::{Actor, Availability, Role};
use ticket_core::desk::{RuleInput, ShiftAction, UserPatch};
use ticket_core::event::EventKind;
use ticket_core::id::{TicketId, UserId};
use ticket_core::ports::{TicketStore, UserStore};
use ticket_core::routing::{AgentLoad, AssignStrategy};
use ticket_core::rules::{Action, Condition, Trigger};
use ticket_core::ticket::TicketInput;

/// One step of a run.
#[derive(Debug, Clone)]
enum Op {
    Shift(usize, ShiftAction),
    SetAvailability(usize, Availability),
    Create,
    /// Moves the ticket at this index (modulo) to a status.
    Transition(usize, &'static str),
    Queue(AssignStrategy),
    Rebalance,
    /// The agent's capacity changes (may leave them over capacity).
    Capacity(usize, u32),
}

const AGENTS: usize = 3;

fn op() -> impl Strategy<Value = Op> {
    let action = prop_oneof![
        Just(ShiftAction::StartShift),
        Just(ShiftAction::EndShift),
        Just(ShiftAction::StartBreak),
        Just(ShiftAction::EndBreak),
    ];
    let availability = prop_oneof![
        Just(Availability::Online),
        Just(Availability::Away),
        Just(Availability::Offline),
    ];
    let strategy = prop_oneof![
        Just(AssignStrategy::RoundRobin),
        Just(AssignStrategy::LeastLoaded),
        Just(AssignStrategy::SkillsMatch),
    ];
    let status = prop_oneof![
        Just("in_progress"),
        Just("pending"),
        Just("resolved"),
        Just("open")
    ];
    prop_oneof![
        4 => (0..AGENTS, action).prop_map(|(a, x)| Op::Shift(a, x)),
        1 => (0..AGENTS, availability).prop_map(|(a, x)| Op::SetAvailability(a, x)),
        5 => Just(Op::Create),
        2 => (0..16usize, status).prop_map(|(i, s)| Op::Transition(i, s)),
        2 => strategy.prop_map(Op::Queue),
        1 => Just(Op::Rebalance),
        1 => (0..AGENTS, 0..4u32).prop_map(|(a, c)| Op::Capacity(a, c)),
    ]
}

struct Run {
    w: World,
    agents: Vec<Actor>,
    tickets: Vec<TicketId>,
}

impl Run {
    async fn new() -> Self {
        let w = world().await;
        let mut agents = Vec::new();
        for name in ["ann", "bob", "cid"] {
            let u = w
                .desk
                .create_user(&w.superadmin, account(name), Role::Agent)
                .await
                .unwrap();
            w.desk
                .update_user(
                    &w.superadmin,
                    u.id,
                    UserPatch {
                        capacity: Some(2),
                        ..UserPatch::default()
                    },
                )
                .await
                .unwrap();
            agents.push(Actor::user(w.tenant, u.id, Role::Agent));
        }
        // The world's own agent and admin take no part: offline, no capacity.
        for other in [w.agent, w.admin] {
            let id = other.user_id().unwrap();
            w.desk
                .set_availability(&w.superadmin, id, Availability::Offline)
                .await
                .unwrap();
        }
        w.desk
            .create_rule(
                &w.admin,
                RuleInput {
                    name: "Route".into(),
                    position: 0,
                    enabled: true,
                    triggers: vec![Trigger::TicketCreated],
                    condition: Condition::Always,
                    actions: vec![Action::Assign {
                        strategy: AssignStrategy::LeastLoaded,
                    }],
                },
            )
            .await
            .unwrap();
        Self {
            w,
            agents,
            tickets: Vec::new(),
        }
    }

    fn id(&self, a: usize) -> UserId {
        self.agents[a].user_id().unwrap()
    }

    async fn loads(&self) -> HashMap<UserId, AgentLoad> {
        self.w
            .store
            .agent_loads(self.w.tenant, None)
            .await
            .unwrap()
            .into_iter()
            .map(|l| (l.user_id, l))
            .collect()
    }

    /// Who each ticket is assigned to now.
    async fn assignees(&self) -> HashMap<TicketId, Option<UserId>> {
        let mut out = HashMap::new();
        for id in &self.tickets {
            let t = self.w.store.get_ticket(self.w.tenant, *id).await.unwrap();
            out.insert(*id, t.assignee);
        }
        out
    }

    async fn apply(&mut self, op: &Op) {
        let w = &self.w;
        match op {
            Op::Shift(a, action) => {
                // A step that does not follow (a break off shift) is refused: fine.
                let _ = w
                    .desk
                    .shift_event(&self.agents[*a], self.id(*a), *action)
                    .await;
            }
            Op::SetAvailability(a, availability) => {
                w.desk
                    .set_availability(&self.agents[*a], self.id(*a), *availability)
                    .await
                    .unwrap();
            }
            Op::Create => {
                let t = w
                    .desk
                    .create_ticket(
                        &w.customer,
                        TicketInput {
                            title: format!("Ticket {}", self.tickets.len()),
                            description: "help".into(),
                            ..TicketInput::default()
                        },
                    )
                    .await
                    .unwrap();
                self.tickets.push(t.id);
            }
            Op::Transition(i, status) => {
                if let Some(id) =
                    (!self.tickets.is_empty()).then(|| self.tickets[i % self.tickets.len()])
                {
                    let _ = w.desk.transition(&w.admin, id, status, None).await;
                }
            }
            Op::Queue(strategy) => {
                w.desk.process_queue(&w.admin, *strategy).await.unwrap();
            }
            Op::Rebalance => {
                w.desk.rebalance(&w.admin, false).await.unwrap();
            }
            Op::Capacity(a, c) => {
                w.desk
                    .update_user(
                        &w.superadmin,
                        self.id(*a),
                        UserPatch {
                            capacity: Some(*c),
                            ..UserPatch::default()
                        },
                    )
                    .await
                    .unwrap();
            }
        }
    }

    /// Runs `op` and checks every assignment it made and the loads after it.
    async fn step(&mut self, op: &Op, over_before: &mut HashMap<UserId, u32>) {
        let before = self.loads().await;
        let assigned_before = self.assignees().await;
        let known = self.tickets.len();
        self.apply(op).await;
        let after_assignees = self.assignees().await;
        for (i, id) in self.tickets.iter().enumerate() {
            let now = after_assignees[id];
            let was = if i < known { assigned_before[id] } else { None };
            let Some(agent) = now else { continue };
            if was == Some(agent) {
                continue;
            }
            let load = &before[&agent];
            assert_eq!(
                load.availability,
                Availability::Online,
                "{op:?}: ticket {id} went to {agent}, who was {:?}",
                load.availability
            );
            assert!(
                load.open_tickets < load.capacity,
                "{op:?}: ticket {id} went to {agent}, who was full ({}/{})",
                load.open_tickets,
                load.capacity
            );
            let events = self
                .w
                .store
                .ticket_events(self.w.tenant, *id)
                .await
                .unwrap();
            let assigned = events
                .iter()
                .filter(|e| matches!(e.kind, EventKind::Assigned { to: Some(_), .. }))
                .count();
            assert!(assigned >= 1);
        }
        // Nobody gains working tickets past their capacity through the desk's own
        // assignments. A lowered capacity, or a Pending ticket reopened, may leave an
        // agent over it (not an assignment); from there they must not grow.
        let exempt = matches!(op, Op::Transition(..) | Op::Capacity(..));
        for (agent, load) in self.loads().await {
            let allowed = load
                .capacity
                .max(over_before.get(&agent).copied().unwrap_or(0));
            assert!(
                exempt || load.open_tickets <= allowed,
                "{op:?}: {agent} holds {} tickets, capacity {}",
                load.open_tickets,
                load.capacity
            );
            over_before.insert(agent, load.open_tickets);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn routing_never_picks_an_unavailable_or_full_agent(ops in prop::collection::vec(op(), 1..50)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let mut run = Run::new().await;
            let mut held = HashMap::new();
            for op in &ops {
                run.step(op, &mut held).await;
            }
        });
    }
}
