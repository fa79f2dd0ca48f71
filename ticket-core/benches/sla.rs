//! Benchmarks of SLA arithmetic: adding a month of business time on a calendar with a
//! lunch break and holidays, and evaluating a month-long ticket history.

// Test and benchmark set-up: a failed unwrap is a failed run, which is what we want.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use criterion::{black_box, criterion_main, Criterion};
use ticket_core::event::{AuthorKind, EventKind, TicketEvent};
use ticket_core::id::{CalendarId, CommentId, EventId, SlaPolicyId, TenantId, TicketId, UserId};
use ticket_core::sla::{
    evaluate, BusinessCalendar, SlaCondition, SlaPolicy, SlaTargets, WeekHours, WorkInterval,
};
use ticket_core::text::{Category, Name, Status};
use ticket_core::ticket::{Priority, Visibility};
use ticket_core::workflow::{StatusCategory, Workflow};

/// Mon–Fri 09:00–12:00 and 13:00–17:00 in Berlin, with the May 2024 public holidays.
fn office() -> BusinessCalendar {
    let holidays = [(5, 1), (5, 9), (5, 20), (5, 30)]
        .into_iter()
        .filter_map(|(m, d)| NaiveDate::from_ymd_opt(2024, m, d))
        .collect();
    BusinessCalendar::new(
        CalendarId::new(),
        TenantId::DEFAULT,
        Name::parse("office").unwrap(),
        Berlin,
        WeekHours::weekdays(&[WorkInterval::hours(9, 12), WorkInterval::hours(13, 17)]),
        holidays,
        DateTime::UNIX_EPOCH,
    )
    .unwrap()
}

fn start() -> DateTime<Utc> {
    Berlin
        .with_ymd_and_hms(2024, 4, 29, 10, 30, 0)
        .unwrap()
        .to_utc()
}

fn calendar_add_month(c: &mut Criterion) {
    let cal = office();
    let (from, month) = (start(), Duration::hours(160));
    c.bench_function("calendar_add_month", |b| {
        b.iter(|| cal.add(black_box(from), black_box(month)))
    });
}

/// About 50 events over a month: replies back and forth, pauses, a resolve and a reopen.
fn month_of_history() -> Vec<TicketEvent> {
    let (ticket, requester) = (TicketId::new(), UserId::new());
    let event = |at: DateTime<Utc>, kind: EventKind| TicketEvent {
        id: EventId::new(),
        tenant: TenantId::DEFAULT,
        ticket_id: ticket,
        actor: None,
        at,
        requester,
        kind,
    };
    let comment = |author| EventKind::Commented {
        comment_id: CommentId::new(),
        visibility: Visibility::Public,
        author,
    };
    let status = |from: &'static str, to: &'static str, category| EventKind::StatusChanged {
        from: Status::known(from),
        to: Status::known(to),
        category,
    };
    let created = EventKind::Created {
        status: Status::known("new"),
        priority: Priority::High,
        category: Category::default(),
    };
    let mut events = vec![event(start(), created)];
    let mut at = start();
    for day in 0..12 {
        at += Duration::hours(13);
        events.push(event(at, comment(AuthorKind::Staff)));
        events.push(event(
            at,
            status("open", "pending", StatusCategory::Pending),
        ));
        at += Duration::hours(20);
        events.push(event(at, comment(AuthorKind::Requester)));
        events.push(event(at, status("pending", "open", StatusCategory::Open)));
        if day == 8 {
            events.push(event(
                at,
                status("open", "resolved", StatusCategory::Solved),
            ));
            events.push(event(
                at + Duration::hours(1),
                status("resolved", "open", StatusCategory::Open),
            ));
        }
    }
    events
}

fn evaluate_history(c: &mut Criterion) {
    let cal = office();
    let workflow = Workflow::default_workflow();
    let policy = SlaPolicy {
        id: SlaPolicyId::new(),
        tenant: TenantId::DEFAULT,
        name: Name::parse("standard").unwrap(),
        position: 0,
        enabled: true,
        condition: SlaCondition::default(),
        targets: SlaTargets {
            first_response_minutes: Some(4 * 60),
            next_response_minutes: Some(8 * 60),
            resolution_minutes: Some(40 * 60),
        },
        calendar_id: None,
        warn_at_percent: 80,
        updated_at: DateTime::UNIX_EPOCH,
    };
    let events = month_of_history();
    let now = events.last().map_or_else(start, |e| e.at) + Duration::hours(2);
    c.bench_function(
        &format!("evaluate_history ({} events)", events.len()),
        |b| b.iter(|| evaluate(&policy, &cal, &workflow, black_box(&events), black_box(now))),
    );
}

/// The group lives in a private module: `criterion_group!` makes an undocumented `pub fn`.
mod group {
    use super::{calendar_add_month, evaluate_history};
    criterion::criterion_group!(benches, calendar_add_month, evaluate_history);
}

criterion_main!(group::benches);
