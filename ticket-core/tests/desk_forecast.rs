//! Volume forecasts and staffing through `HelpDesk` over `MemoryStore`, with the manual
//! clock: the history ends at the clock's hour, the team scope, the history window, and
//! the staffing of the forecast hours
//! (`cargo test -p ticket-core --features testkit --test desk_forecast`).
#![cfg(feature = "testkit")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Duration;
use common::world;
use ticket_core::desk::{
    ForecastInput, HandleTimeSource, ScheduleInput, StaffingRequest, TeamInput,
};
use ticket_core::forecast::{floor_hour, synthetic, ModelKind, StaffingMethod};
use ticket_core::id::TeamId;
use ticket_core::ports::TicketStore as _;
use ticket_core::testkit::fixtures;
use ticket_core::ticket::Ticket;
use ticket_core::workforce::{OneOffShift, Span};

fn input(days: u32, team: Option<TeamId>, history_weeks: Option<u32>) -> ForecastInput {
    ForecastInput {
        days,
        team,
        category: None,
        history_weeks,
    }
}

#[tokio::test]
async fn forecasts_follow_the_clock_the_team_and_the_window() {
    let w = world().await;
    let team = w
        .desk
        .create_team(
            &w.admin,
            TeamInput {
                name: "Xray".into(),
                ..TeamInput::default()
            },
        )
        .await
        .unwrap();
    // ten weeks of tickets up to the clock's hour, every third one for the team
    let now = floor_hour(w.desk.now());
    let history = synthetic::series(4, 10, None);
    let first = now - Duration::hours(history.len() as i64);
    let requester = w.customer.user_id().unwrap();
    let mut n = 0u64;
    for (i, &count) in history.values().iter().enumerate() {
        for k in 0..count as i64 {
            n += 1;
            let at = first + Duration::hours(i as i64) + Duration::seconds(k * 53 % 3600);
            let ticket = Ticket {
                team: (n % 3 == 0).then_some(team.id),
                assigned_at: Some(fixtures::micros(at)),
                first_response_at: Some(fixtures::micros(at + Duration::minutes(5))),
                ..fixtures::ticket_at(w.tenant, requester, at)
            };
            w.store.save(&fixtures::create(ticket)).await.unwrap();
        }
    }

    let all = w
        .desk
        .forecast_volume(&w.agent, input(7, None, None))
        .await
        .unwrap();
    assert_eq!(all.history_to, now);
    assert_eq!(all.forecast.start, now);
    assert_eq!(all.forecast.values.len(), 168);
    // the default window is eight weeks, though ten are stored
    assert_eq!(all.history_from, now - Duration::weeks(8));
    assert_ne!(all.forecast.model, ModelKind::SeasonalNaive);
    assert!(all.forecast.mase <= all.forecast.baseline_mase);

    let wide = w
        .desk
        .forecast_volume(&w.agent, input(7, None, Some(26)))
        .await
        .unwrap();
    // no ticket before the first one: the history starts with it
    assert_eq!(wide.history_from, floor_hour(first));

    let scoped = w
        .desk
        .forecast_volume(&w.admin, input(7, Some(team.id), None))
        .await
        .unwrap();
    assert_eq!(scoped.team, Some(team.id));
    let (sum_all, sum_team): (f64, f64) = (
        all.forecast.values.iter().sum(),
        scoped.forecast.values.iter().sum(),
    );
    assert!(
        (0.25 * sum_all..0.42 * sum_all).contains(&sum_team),
        "{sum_team} of {sum_all}"
    );

    // the clock moves: so does the forecast
    w.clock.advance(Duration::minutes(150));
    let later = w
        .desk
        .forecast_volume(&w.agent, input(1, None, None))
        .await
        .unwrap();
    assert_eq!(later.history_to, now + Duration::hours(2));

    let plan = w
        .desk
        .staffing(
            &w.agent,
            StaffingRequest {
                forecast: input(1, None, None),
                target: Some(0.9),
                within_secs: Some(600.0),
                handle_secs: None,
                method: Some(StaffingMethod::SquareRoot),
            },
        )
        .await
        .unwrap();
    assert_eq!(plan.handle_source, HandleTimeSource::Measured);
    assert!((plan.handle_secs - 300.0).abs() < 1e-6);
    assert_eq!(plan.intervals.len(), 24);
    assert_eq!(plan.intervals[0].start, now + Duration::hours(2));
    assert!(plan.scheduled.is_none());
    assert!(plan.intervals.iter().any(|i| i.required > 0));

    // with a schedule, each hour is compared with the agents on shift: the agent works
    // the forecast's hours 1-3, with a break in the second quarter of hour 2 (so hour 2
    // counts no whole agent)
    let start = plan.intervals[0].start;
    let at = |minutes: i64| start + Duration::minutes(minutes);
    w.desk
        .set_shift_schedule(
            &w.admin,
            w.agent.user_id().unwrap(),
            ScheduleInput {
                time_zone: "UTC".into(),
                weekly: vec![],
                one_off: vec![OneOffShift {
                    start: at(60),
                    end: at(240),
                    breaks: vec![Span::new(at(135), at(150))],
                }],
                time_off: vec![],
            },
            None,
        )
        .await
        .unwrap();
    let plan = w
        .desk
        .staffing(
            &w.agent,
            StaffingRequest {
                forecast: input(1, None, None),
                target: Some(0.9),
                within_secs: Some(600.0),
                handle_secs: None,
                method: Some(StaffingMethod::SquareRoot),
            },
        )
        .await
        .unwrap();
    let coverage = plan.scheduled.expect("a schedule exists");
    assert_eq!(coverage.len(), 24);
    let scheduled: Vec<u32> = coverage.iter().map(|c| c.scheduled).collect();
    assert_eq!(&scheduled[..5], &[0, 1, 0, 1, 0]);
    assert!(scheduled[5..].iter().all(|&s| s == 0));
    for (c, i) in coverage.iter().zip(&plan.intervals) {
        assert_eq!((c.start, c.required), (i.start, i.required));
        assert_eq!(c.gap, i64::from(c.scheduled) - i64::from(c.required));
    }
}
