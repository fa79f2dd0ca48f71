//! A property test of the whole desk over MemoryStore: random sequences of creates,
//! replies, transitions, priority changes, policy and calendar edits, and sweeps at random
//! times. Whatever the sequence, once a sweep has caught up:
//!
//! - every target is met, breached (with exactly one `SlaBreached` recorded), or still
//!   running — and every recorded breach is still a breach;
//! - no threshold is recorded twice;
//! - the ticket snapshots and the stats agree with the events;
//! - no rule fires twice in one change.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test set-up may unwrap

mod common;

use chrono::Duration;
use common::{world, World};
use proptest::prelude::*;
use std::collections::BTreeMap;
use ticket_core::desk::{CalendarInput, RuleInput, SlaPolicyInput};
use ticket_core::event::{EventKind, SlaTarget};
use ticket_core::id::{CalendarId, SlaPolicyId, TicketId};
use ticket_core::query::StatsQuery;
use ticket_core::rules::{Action, Condition, Trigger};
use ticket_core::sla::{SlaCondition, SlaTargets, WeekHours, WorkInterval};
use ticket_core::ticket::{Priority, TicketPatch};
use ticket_core::workflow::StatusCategory;

/// One step of a run.
#[derive(Debug, Clone)]
enum Op {
    Create(Priority),
    /// A public reply to the ticket at this index (modulo), by staff or the requester.
    Reply(usize, bool),
    Transition(usize, &'static str),
    Priority(usize, Priority),
    /// New first-response / resolution targets (minutes) for the catch-all policy.
    EditPolicy(u32, u32),
    /// New opening hours (from, to) every day for the calendar.
    EditCalendar(u16, u16),
    /// Moves the clock on this many minutes and sweeps.
    Sweep(i64),
}

fn priority() -> impl Strategy<Value = Priority> {
    prop_oneof![
        Just(Priority::Low),
        Just(Priority::Medium),
        Just(Priority::High),
        Just(Priority::Critical)
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let status = prop_oneof![
        Just("open"),
        Just("in_progress"),
        Just("pending"),
        Just("resolved"),
        Just("closed"),
    ];
    prop_oneof![
        3 => priority().prop_map(Op::Create),
        3 => (0..8usize, any::<bool>()).prop_map(|(i, staff)| Op::Reply(i, staff)),
        3 => (0..8usize, status).prop_map(|(i, s)| Op::Transition(i, s)),
        1 => (0..8usize, priority()).prop_map(|(i, p)| Op::Priority(i, p)),
        1 => (5..240u32, 30..600u32).prop_map(|(f, r)| Op::EditPolicy(f, r)),
        1 => (0..10u16, 12..24u16).prop_map(|(a, b)| Op::EditCalendar(a, b)),
        3 => (1..300i64).prop_map(Op::Sweep),
    ]
}

fn policy_input(first: u32, resolution: u32, calendar: CalendarId) -> SlaPolicyInput {
    SlaPolicyInput {
        name: "Everything".into(),
        position: 10,
        enabled: true,
        condition: SlaCondition::default(),
        targets: SlaTargets {
            first_response_minutes: Some(first),
            next_response_minutes: Some(first),
            resolution_minutes: Some(resolution),
        },
        calendar_id: Some(calendar),
        warn_at_percent: 75,
    }
}

fn calendar_input(from: u16, to: u16) -> CalendarInput {
    CalendarInput {
        name: "Hours".into(),
        timezone: "Europe/Berlin".into(),
        week: WeekHours::every_day(&[WorkInterval::hours(from, to)]),
        holidays: Default::default(),
    }
}

/// The desk, its configuration and the tickets raised so far.
struct Run {
    w: World,
    policy: SlaPolicyId,
    calendar: CalendarId,
    tickets: Vec<TicketId>,
    now: chrono::DateTime<chrono::Utc>,
}

impl Run {
    async fn new() -> Self {
        let w = world().await;
        let cal = w
            .desk
            .create_calendar(&w.admin, calendar_input(8, 18))
            .await
            .unwrap();
        let policy = w
            .desk
            .create_sla_policy(&w.admin, policy_input(60, 240, cal.id))
            .await
            .unwrap();
        // A tighter policy for critical tickets, so priority changes move tickets
        // between policies.
        w.desk
            .create_sla_policy(
                &w.admin,
                SlaPolicyInput {
                    name: "Critical".into(),
                    position: 0,
                    condition: SlaCondition {
                        priorities: vec![Priority::Critical],
                        ..SlaCondition::default()
                    },
                    calendar_id: None,
                    ..policy_input(15, 60, cal.id)
                },
            )
            .await
            .unwrap();
        for (name, trigger) in [
            ("On warning", Trigger::SlaWarning),
            ("On breach", Trigger::SlaBreached),
        ] {
            w.desk
                .create_rule(
                    &w.admin,
                    RuleInput {
                        name: name.into(),
                        position: 0,
                        enabled: true,
                        triggers: vec![trigger, Trigger::TicketUpdated, Trigger::CommentAdded],
                        condition: Condition::Always,
                        actions: vec![Action::AddInternalNote {
                            body: format!("{name} ran"),
                        }],
                    },
                )
                .await
                .unwrap();
        }
        let now = common::start();
        Self {
            w,
            policy: policy.id,
            calendar: cal.id,
            tickets: Vec::new(),
            now,
        }
    }

    fn ticket(&self, i: usize) -> Option<TicketId> {
        (!self.tickets.is_empty()).then(|| self.tickets[i % self.tickets.len()])
    }

    /// Every change gets an instant of its own.
    fn tick(&mut self, minutes: i64) {
        self.now += Duration::minutes(minutes.max(1));
        self.w.clock.set(self.now);
    }

    async fn apply(&mut self, op: &Op) {
        match op {
            Op::Create(p) => {
                self.tick(1);
                let w = &self.w;
                let t = w
                    .desk
                    .create_ticket(
                        &w.customer,
                        ticket_core::ticket::TicketInput {
                            title: format!("Ticket {}", self.tickets.len()),
                            description: "prop".into(),
                            priority: Some(*p),
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap();
                self.tickets.push(t.id);
            }
            Op::Reply(i, staff) => {
                let Some(id) = self.ticket(*i) else { return };
                self.tick(1);
                let w = &self.w;
                let by = if *staff { &w.agent } else { &w.customer };
                // A reply to a closed ticket may be refused; that is fine.
                let _ = w.desk.add_comment(by, id, "a reply", false).await;
            }
            Op::Transition(i, status) => {
                let Some(id) = self.ticket(*i) else { return };
                self.tick(1);
                let w = &self.w;
                let _ = w.desk.transition(&w.admin, id, status, None).await;
            }
            Op::Priority(i, p) => {
                let Some(id) = self.ticket(*i) else { return };
                self.tick(1);
                let w = &self.w;
                let patch = TicketPatch {
                    priority: Some(*p),
                    ..TicketPatch::default()
                };
                let _ = w.desk.update_ticket(&w.agent, id, patch, None).await;
            }
            Op::EditPolicy(first, resolution) => {
                self.tick(1);
                let w = &self.w;
                let input = policy_input(*first, *resolution, self.calendar);
                w.desk
                    .update_sla_policy(&w.admin, self.policy, input)
                    .await
                    .unwrap();
            }
            Op::EditCalendar(from, to) => {
                self.tick(1);
                let w = &self.w;
                w.desk
                    .update_calendar(&w.admin, self.calendar, calendar_input(*from, *to))
                    .await
                    .unwrap();
            }
            Op::Sweep(minutes) => {
                self.tick(*minutes);
                let now = self.now;
                self.w.desk.sweep_sla(now).await.unwrap();
            }
        }
    }

    /// Sweeps until nothing is due, then checks every invariant.
    async fn check(&mut self) {
        self.tick(1);
        let w = &self.w;
        w.desk.sweep_sla(self.now).await.unwrap();
        let again = w.desk.sweep_sla(self.now).await.unwrap();
        assert_eq!(
            (again.warnings, again.breaches),
            (0, 0),
            "a second sweep at the same instant records nothing"
        );
        let mut breached_tickets = 0;
        let mut met_tickets = 0;
        for id in &self.tickets {
            let history = w.desk.history(&w.admin, *id).await.unwrap();
            let mut recorded: BTreeMap<(SlaTarget, u32, bool), usize> = BTreeMap::new();
            let mut fired: BTreeMap<(chrono::DateTime<chrono::Utc>, String), usize> =
                BTreeMap::new();
            for e in &history {
                match &e.kind {
                    EventKind::SlaWarning { target, cycle } => {
                        *recorded.entry((*target, *cycle, false)).or_default() += 1;
                    }
                    EventKind::SlaBreached { target, cycle } => {
                        *recorded.entry((*target, *cycle, true)).or_default() += 1;
                    }
                    EventKind::RuleFired { name, .. } => {
                        *fired.entry((e.at, name.clone())).or_default() += 1;
                    }
                    _ => {}
                }
            }
            for (key, n) in &recorded {
                assert_eq!(*n, 1, "{key:?} recorded {n} times on {id}");
            }
            for (key, n) in &fired {
                assert_eq!(*n, 1, "rule {key:?} fired {n} times in one change of {id}");
            }
            let status = w
                .desk
                .sla_status(&w.admin, *id)
                .await
                .unwrap()
                .expect("every ticket has a policy");
            for cycle in status.cycles() {
                let breach = recorded
                    .get(&(cycle.target, cycle.cycle, true))
                    .copied()
                    .unwrap_or(0);
                if cycle.breached {
                    assert_eq!(breach, 1, "a breached cycle is recorded once: {cycle:?}");
                }
                if breach == 1 {
                    assert!(cycle.breached, "a recorded breach stays one: {cycle:?}");
                }
            }
            let any_breach = recorded.keys().any(|(_, _, breach)| *breach);
            let t = w.desk.get_ticket(&w.admin, *id).await.unwrap();
            let sla = t.sla.clone().expect("a snapshot");
            assert_eq!(
                sla.breached, any_breach,
                "the snapshot agrees with the events"
            );
            assert!(
                sla.next_check.is_none_or(|at| at > self.now),
                "nothing is left due after the sweep: {sla:?}"
            );
            if any_breach {
                breached_tickets += 1;
            } else if matches!(
                t.status_category,
                StatusCategory::Solved | StatusCategory::Closed
            ) {
                met_tickets += 1;
            }
        }
        let stats = w.desk.stats(&w.admin, StatsQuery::default()).await.unwrap();
        assert_eq!(
            stats.sla.breached, breached_tickets,
            "stats agree with the events"
        );
        assert_eq!(stats.sla.met, met_tickets);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn sla_rules_and_stats_hold_whatever_happens(ops in prop::collection::vec(op(), 1..40)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let mut run = Run::new().await;
            for op in &ops {
                run.apply(op).await;
            }
            run.check().await;
        });
    }
}
