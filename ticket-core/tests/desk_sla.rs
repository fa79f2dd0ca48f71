//! HelpDesk behaviour: SLA under configuration changes, the sweep's bookkeeping and
//! firings, and the order of replies and status moves, over MemoryStore.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test set-up may unwrap

mod common;

use chrono::Duration;
use common::{start, world, world_with, World};
use ticket_core::desk::{CalendarInput, RuleInput, SlaPolicyInput};
use ticket_core::event::{EventKind, SlaTarget};
use ticket_core::id::TicketId;
use ticket_core::ports::ConfigStore as _;
use ticket_core::query::StatsQuery;
use ticket_core::rules::{Action, Condition, Trigger};
use ticket_core::sla::{SlaCondition, SlaPolicy, SlaTargets, TargetState, WeekHours, WorkInterval};
use ticket_core::text::Status;
use ticket_core::ticket::{Priority, Ticket, TicketPatch};
use ticket_core::HelpDeskConfig;

fn policy(name: &str, priorities: &[Priority], targets: SlaTargets) -> SlaPolicyInput {
    SlaPolicyInput {
        name: name.into(),
        position: 0,
        enabled: true,
        condition: SlaCondition {
            priorities: priorities.to_vec(),
            ..SlaCondition::default()
        },
        targets,
        calendar_id: None,
        warn_at_percent: 80,
    }
}

fn targets(first: Option<u32>, next: Option<u32>, resolution: Option<u32>) -> SlaTargets {
    SlaTargets {
        first_response_minutes: first,
        next_response_minutes: next,
        resolution_minutes: resolution,
    }
}

async fn add_policy(w: &World, input: SlaPolicyInput) -> SlaPolicy {
    w.desk.create_sla_policy(&w.admin, input).await.unwrap()
}

async fn rule(
    w: &World,
    name: &str,
    triggers: Vec<Trigger>,
    condition: Condition,
    actions: Vec<Action>,
) {
    w.desk
        .create_rule(
            &w.admin,
            RuleInput {
                name: name.into(),
                position: 0,
                enabled: true,
                triggers,
                condition,
                actions,
            },
        )
        .await
        .unwrap();
}

async fn reload(w: &World, id: TicketId) -> Ticket {
    w.desk.get_ticket(&w.admin, id).await.unwrap()
}

async fn count(w: &World, id: TicketId, what: fn(&EventKind) -> bool) -> usize {
    let history = w.desk.history(&w.admin, id).await.unwrap();
    history.iter().filter(|e| what(&e.kind)).count()
}

fn at(minutes: i64) -> chrono::DateTime<chrono::Utc> {
    start() + Duration::minutes(minutes)
}

#[tokio::test]
async fn a_policy_created_after_the_ticket_reaches_it_at_the_next_sweep() {
    let w = world().await;
    let t = w.ticket(&w.customer, "Before any policy").await;
    assert!(t.sla.is_none());
    w.clock.set(at(5));
    add_policy(&w, policy("All", &[], targets(Some(60), None, None))).await;
    w.desk.sweep_sla(at(5)).await.unwrap();
    let sla = reload(&w, t.id).await.sla.expect("the new policy applies");
    assert_eq!(sla.first_response_due, Some(at(60)));
    // And it is swept on time from then on.
    let report = w.desk.sweep_sla(at(61)).await.unwrap();
    assert_eq!(report.breaches, 1);
}

#[tokio::test]
async fn a_tightened_target_breaches_on_time() {
    let w = world().await;
    let p = add_policy(&w, policy("All", &[], targets(None, None, Some(8 * 60)))).await;
    let t = w.ticket(&w.customer, "Slow").await;
    assert_eq!(t.sla.unwrap().resolution_due, Some(at(8 * 60)));
    w.clock.set(at(10));
    w.desk
        .update_sla_policy(
            &w.admin,
            p.id,
            policy("All", &[], targets(None, None, Some(60))),
        )
        .await
        .unwrap();
    w.desk.sweep_sla(at(10)).await.unwrap();
    assert_eq!(
        reload(&w, t.id).await.sla.unwrap().resolution_due,
        Some(at(60))
    );
    let report = w.desk.sweep_sla(at(61)).await.unwrap();
    assert_eq!((report.warnings, report.breaches), (1, 1));
}

#[tokio::test]
async fn disabling_and_re_enabling_a_policy_follows_at_the_sweep() {
    let w = world().await;
    let p = add_policy(&w, policy("All", &[], targets(Some(60), None, None))).await;
    let t = w.ticket(&w.customer, "Toggle").await;
    let mut off = policy("All", &[], targets(Some(60), None, None));
    off.enabled = false;
    w.desk.update_sla_policy(&w.admin, p.id, off).await.unwrap();
    w.desk.sweep_sla(at(0)).await.unwrap();
    assert!(reload(&w, t.id).await.sla.is_none(), "no policy applies");
    let report = w.desk.sweep_sla(at(61)).await.unwrap();
    assert_eq!(report.breaches, 0, "nothing to breach without a policy");
    w.clock.set(at(62));
    w.desk
        .update_sla_policy(
            &w.admin,
            p.id,
            policy("All", &[], targets(Some(60), None, None)),
        )
        .await
        .unwrap();
    let report = w.desk.sweep_sla(at(62)).await.unwrap();
    assert_eq!(
        report.breaches, 1,
        "the re-enabled policy brings the ticket back"
    );
    assert!(reload(&w, t.id).await.sla.unwrap().breached);
}

#[tokio::test]
async fn a_calendar_change_moves_the_due_time() {
    let w = world().await;
    let cal = w
        .desk
        .create_calendar(
            &w.admin,
            CalendarInput {
                name: "Office".into(),
                timezone: "UTC".into(),
                week: WeekHours::weekdays(&[WorkInterval::hours(9, 17)]),
                holidays: Default::default(),
            },
        )
        .await
        .unwrap();
    let mut input = policy("Office", &[], targets(None, None, Some(60)));
    input.calendar_id = Some(cal.id);
    add_policy(&w, input).await;
    let t = w.ticket(&w.customer, "Monday 9:00").await;
    assert_eq!(t.sla.unwrap().resolution_due, Some(at(60)));
    // The office opens at 10:00 from now on: the hour counts from then.
    w.desk
        .update_calendar(
            &w.admin,
            cal.id,
            CalendarInput {
                name: "Office".into(),
                timezone: "UTC".into(),
                week: WeekHours::weekdays(&[WorkInterval::hours(10, 17)]),
                holidays: Default::default(),
            },
        )
        .await
        .unwrap();
    w.desk.sweep_sla(at(0)).await.unwrap();
    assert_eq!(
        reload(&w, t.id).await.sla.unwrap().resolution_due,
        Some(at(120))
    );
}

#[tokio::test]
async fn a_recorded_breach_stays_after_the_priority_is_lowered() {
    let w = world().await;
    add_policy(
        &w,
        policy("Urgent", &[Priority::Medium], targets(Some(60), None, None)),
    )
    .await;
    let mut loose = policy("Low", &[Priority::Low], targets(Some(24 * 60), None, None));
    loose.position = 1;
    add_policy(&w, loose).await;
    let t = w.ticket(&w.customer, "Late").await;
    w.clock.set(at(61));
    assert_eq!(w.desk.sweep_sla(at(61)).await.unwrap().breaches, 1);
    let lowered = w
        .desk
        .update_ticket(
            &w.agent,
            t.id,
            TicketPatch {
                priority: Some(Priority::Low),
                ..TicketPatch::default()
            },
            None,
        )
        .await
        .unwrap();
    assert!(lowered.sla.unwrap().breached, "the breach stays a breach");
    let status = w.desk.sla_status(&w.agent, t.id).await.unwrap().unwrap();
    assert!(status.target(SlaTarget::FirstResponse).unwrap().breached);
    let stats = w.desk.stats(&w.admin, StatsQuery::default()).await.unwrap();
    assert_eq!(stats.sla.breached, 1);
}

fn escalated(k: &EventKind) -> bool {
    matches!(k, EventKind::Escalated { .. })
}

fn breached(k: &EventKind) -> bool {
    matches!(k, EventKind::SlaBreached { .. })
}

#[tokio::test]
async fn several_targets_due_at_once_fire_the_rules_once() {
    let w = world().await;
    add_policy(&w, policy("All", &[], targets(Some(60), None, Some(60)))).await;
    let escalate = Action::Escalate {
        reason: "late".into(),
        team_id: None,
    };
    rule(
        &w,
        "Escalate",
        vec![Trigger::SlaBreached, Trigger::SlaWarning],
        Condition::Always,
        vec![escalate],
    )
    .await;
    let t = w.ticket(&w.customer, "Everything late").await;
    w.clock.set(at(61));
    let report = w.desk.sweep_sla(at(61)).await.unwrap();
    assert_eq!((report.warnings, report.breaches), (2, 2));
    assert_eq!(
        count(&w, t.id, escalated).await,
        1,
        "one change, one firing"
    );
    assert_eq!(
        reload(&w, t.id).await.priority,
        Priority::High,
        "raised one step"
    );
}

#[tokio::test]
async fn the_late_breach_of_a_solved_ticket_does_not_escalate_it() {
    let w = world().await;
    add_policy(&w, policy("All", &[], targets(None, None, Some(60)))).await;
    rule(
        &w,
        "Escalate",
        vec![Trigger::SlaBreached],
        Condition::Always,
        vec![Action::Escalate {
            reason: "late".into(),
            team_id: None,
        }],
    )
    .await;
    let t = w.ticket(&w.customer, "Solved late").await;
    // Solved after its due time, before any sweep saw it.
    w.clock.set(at(90));
    w.desk
        .transition(&w.agent, t.id, "resolved", None)
        .await
        .unwrap();
    let report = w.desk.sweep_sla(at(91)).await.unwrap();
    assert_eq!(report.breaches, 1, "the breach is recorded");
    assert_eq!(count(&w, t.id, breached).await, 1);
    assert_eq!(
        count(&w, t.id, escalated).await,
        0,
        "but a solved ticket is not escalated"
    );
    assert_eq!(reload(&w, t.id).await.priority, Priority::Medium);
}

#[tokio::test]
async fn reply_and_resolve_meets_the_first_response() {
    let w = world().await;
    add_policy(&w, policy("All", &[], targets(Some(60), None, Some(240)))).await;
    let t = w.ticket(&w.customer, "Quick one").await;
    w.clock.set(at(10));
    w.desk
        .transition(&w.agent, t.id, "resolved", Some("Done: restart it.".into()))
        .await
        .unwrap();
    let status = w.desk.sla_status(&w.agent, t.id).await.unwrap().unwrap();
    let fr = status.target(SlaTarget::FirstResponse).unwrap();
    assert_eq!(fr.state, TargetState::Met, "{fr:?}");
    assert_eq!(fr.met_at, Some(at(10)));
}

#[tokio::test]
async fn a_customer_reply_that_reopens_starts_a_next_response_clock() {
    let mut workflow = ticket_core::workflow::Workflow::default_workflow();
    workflow
        .on_customer_reply
        .insert(Status::known("resolved"), Status::known("open"));
    let w = world_with(|b| {
        b.config(HelpDeskConfig {
            workflow,
            ..common::config()
        })
    })
    .await;
    add_policy(
        &w,
        policy("All", &[], targets(Some(60), Some(30), Some(240))),
    )
    .await;
    let t = w.ticket(&w.customer, "Comes back").await;
    w.clock.set(at(10));
    w.desk
        .transition(&w.agent, t.id, "resolved", Some("Fixed.".into()))
        .await
        .unwrap();
    w.clock.set(at(20));
    w.desk
        .add_comment(&w.customer, t.id, "Still broken.", false)
        .await
        .unwrap();
    let t = reload(&w, t.id).await;
    assert_eq!(t.status.as_str(), "open");
    let status = w.desk.sla_status(&w.agent, t.id).await.unwrap().unwrap();
    let next = status
        .target(SlaTarget::NextResponse)
        .expect("a next-response cycle");
    assert_eq!(next.state, TargetState::Running);
    assert_eq!(t.sla.unwrap().next_response_due, Some(at(50)));
}

#[tokio::test]
async fn sweep_bookkeeping_leaves_the_version_alone() {
    let w = world().await;
    let p = add_policy(&w, policy("All", &[], targets(Some(60), None, None))).await;
    let t = w.ticket(&w.customer, "Being edited").await;
    let seen = t.version;
    // A policy edit marks the ticket; the sweep refreshes only its snapshot.
    w.desk
        .update_sla_policy(
            &w.admin,
            p.id,
            policy("All", &[], targets(Some(30), None, None)),
        )
        .await
        .unwrap();
    let report = w.desk.sweep_sla(at(1)).await.unwrap();
    assert_eq!(report.checked, 1);
    let swept = reload(&w, t.id).await;
    assert_eq!(swept.version, seen);
    assert_eq!(swept.sla.unwrap().first_response_due, Some(at(30)));
    // The agent's edit against the version they saw goes through.
    w.desk
        .update_ticket(
            &w.agent,
            t.id,
            TicketPatch {
                title: Some("Being edited, still".into()),
                ..TicketPatch::default()
            },
            Some(seen),
        )
        .await
        .unwrap();
    // And the sweep does not pick the ticket again before its next check.
    assert_eq!(w.desk.sweep_sla(at(2)).await.unwrap().checked, 0);
}

#[tokio::test]
async fn default_policies_install_once_and_complete_a_partial_install() {
    let w = world().await;
    assert_eq!(w.desk.install_default_sla(&w.admin).await.unwrap(), 4);
    assert_eq!(
        w.desk.install_default_sla(&w.admin).await.unwrap(),
        0,
        "idempotent"
    );
    let t = w.ticket(&w.customer, "Covered from the start").await;
    assert_eq!(t.priority, Priority::Medium);
    let sla = t.sla.unwrap();
    assert_eq!(sla.first_response_due, Some(at(8 * 60)));
    assert_eq!(sla.resolution_due, Some(at(3 * 24 * 60)));
    let calendars = w.desk.list_calendars(&w.admin).await.unwrap();
    assert_eq!(calendars.len(), 1, "one editable around-the-clock calendar");

    // A partial install (one default missing) is completed, on the same calendar.
    let policies = w.desk.list_sla_policies(&w.admin).await.unwrap();
    let low = policies.iter().find(|p| p.name.as_str() == "Low").unwrap();
    w.store.delete_sla_policy(w.tenant, low.id).await.unwrap();
    assert_eq!(w.desk.install_default_sla(&w.admin).await.unwrap(), 1);
    let policies = w.desk.list_sla_policies(&w.admin).await.unwrap();
    assert_eq!(policies.len(), 4);
    assert!(policies
        .iter()
        .all(|p| p.calendar_id == Some(calendars[0].id)));
    assert_eq!(w.desk.list_calendars(&w.admin).await.unwrap().len(), 1);

    // Once the desk has a policy of its own, the defaults are left alone.
    add_policy(
        &w,
        policy("Ours", &[Priority::High], targets(Some(5), None, None)),
    )
    .await;
    let high = policies.iter().find(|p| p.name.as_str() == "High").unwrap();
    w.desk.delete_sla_policy(&w.admin, high.id).await.unwrap();
    assert_eq!(w.desk.install_default_sla(&w.admin).await.unwrap(), 0);
    assert!(
        w.desk.install_default_sla(&w.customer).await.is_err(),
        "admins only"
    );
}
