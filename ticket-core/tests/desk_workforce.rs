//! Workforce use cases of the desk with a moving clock: a shift still open after its
//! scheduled end is ended at that end and its agent goes offline; an agent becoming
//! available wakes the queue processor; a manual assignment past capacity is allowed and
//! flagged in the history.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test set-up may unwrap

mod common;

use chrono::{Duration, NaiveTime, Weekday};
use common::world;
use ticket_core::account::Availability;
use ticket_core::desk::{AssignInput, ScheduleInput, ShiftAction, UserPatch};
use ticket_core::event::EventKind;
use ticket_core::workforce::{PlannedBreak, WeeklyShift};

#[tokio::test]
async fn a_shift_past_its_scheduled_end_is_ended_and_the_agent_goes_offline() {
    let w = world().await;
    let bea = w.agent.user_id().unwrap();
    // Mondays 09:00–17:00 in Paris (UTC+1 in March before the change): 08:00–16:00 UTC.
    w.desk
        .set_shift_schedule(
            &w.admin,
            bea,
            ScheduleInput {
                time_zone: "Europe/Paris".into(),
                weekly: vec![WeeklyShift {
                    weekday: Weekday::Mon,
                    start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                    end: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
                    breaks: vec![PlannedBreak {
                        start: NaiveTime::from_hms_opt(13, 0, 0).unwrap(),
                        minutes: 60,
                    }],
                }],
                one_off: vec![],
                time_off: vec![],
            },
            None,
        )
        .await
        .unwrap();
    let start = common::start(); // Monday 09:00 UTC = 10:00 in Paris
    w.desk
        .shift_event(&w.agent, bea, ShiftAction::StartShift)
        .await
        .unwrap();
    // Still scheduled, or within the grace after the end: nothing happens.
    for at in [
        start + Duration::hours(6),
        start + Duration::minutes(7 * 60 + 10),
    ] {
        w.clock.set(at);
        assert_eq!(w.desk.end_finished_shifts(10).await.unwrap(), 0, "at {at}");
    }
    w.clock.set(start + Duration::minutes(7 * 60 + 20));
    assert_eq!(w.desk.end_finished_shifts(10).await.unwrap(), 1);
    let user = w.desk.get_user(&w.admin, bea).await.unwrap();
    assert_eq!(user.agent.unwrap().availability, Availability::Offline);
    let range =
        ticket_core::workforce::Span::new(start - Duration::hours(1), start + Duration::hours(9));
    let shifts = w
        .desk
        .shift_history(&w.admin, Some(bea), range)
        .await
        .unwrap();
    assert_eq!(shifts.len(), 1);
    assert_eq!(
        shifts[0].ended_at,
        Some(start + Duration::hours(7)),
        "ended at the scheduled end, 16:00 UTC"
    );
    assert!(shifts[0].ended_automatically);
    // Adherence of the day: scheduled 08:00–16:00 minus the 12:00–13:00 break, worked
    // 09:00–16:00 without a break: 6 of the 7 scheduled hours in adherence.
    let report = w
        .desk
        .adherence(
            &w.admin,
            ticket_core::desk::AdherenceScope::Agent(bea),
            ticket_core::workforce::Span::new(
                start - Duration::hours(2),
                start + Duration::hours(10),
            ),
        )
        .await
        .unwrap();
    assert_eq!(report.scheduled_secs, 7 * 3600);
    assert_eq!(report.actual_secs, 7 * 3600);
    assert_eq!(report.adherent_secs, 6 * 3600);
}

#[tokio::test]
async fn becoming_available_wakes_the_queue_processor() {
    let w = world().await;
    let bea = w.agent.user_id().unwrap();
    w.desk
        .set_availability(&w.agent, bea, Availability::Offline)
        .await
        .unwrap();
    // The world set its agent online while it was built: take that wake-up first.
    let _ = tokio::time::timeout(std::time::Duration::from_millis(50), w.desk.queue_woken()).await;
    let woken = tokio::time::timeout(std::time::Duration::from_millis(50), w.desk.queue_woken());
    assert!(woken.await.is_err(), "nobody became available since");
    w.desk
        .shift_event(&w.agent, bea, ShiftAction::StartShift)
        .await
        .unwrap();
    let woken = tokio::time::timeout(std::time::Duration::from_secs(5), w.desk.queue_woken());
    assert!(woken.await.is_ok(), "the shift start wakes the queue");
}

#[tokio::test]
async fn a_manual_assignment_past_capacity_is_allowed_and_flagged() {
    let w = world().await;
    let bea = w.agent.user_id().unwrap();
    w.desk
        .update_user(
            &w.superadmin,
            bea,
            UserPatch {
                capacity: Some(1),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    let first = w.ticket(&w.customer, "First").await;
    let second = w.ticket(&w.customer, "Second").await;
    let to_bea = AssignInput {
        assignee: Some(Some(bea)),
        team: None,
    };
    w.desk.assign(&w.admin, first.id, to_bea).await.unwrap();
    let t = w.desk.assign(&w.admin, second.id, to_bea).await.unwrap();
    assert_eq!(
        t.assignee,
        Some(bea),
        "a manual assignment may exceed capacity"
    );
    let reason = |events: Vec<ticket_core::event::TicketEvent>| {
        events.into_iter().find_map(|e| match e.kind {
            EventKind::Assigned { reason, .. } => Some(reason),
            _ => None,
        })
    };
    let flagged = reason(w.desk.history(&w.admin, second.id).await.unwrap()).unwrap();
    assert_eq!(
        flagged.as_deref(),
        Some("manual assignment over capacity: 1/1 working tickets before this one")
    );
    let plain = reason(w.desk.history(&w.admin, first.id).await.unwrap()).unwrap();
    assert_eq!(plain, None, "within capacity: no flag");
}
