use super::*;
use crate::event::AuthorKind;
use crate::id::{CommentId, EventId, TenantId, TicketId, UserId};
use crate::sla::{SlaCondition, SlaTargets, WeekHours, WorkInterval};
use crate::text::{Category, Name, Status};
use crate::ticket::{Priority, Visibility};
use chrono::{Duration, NaiveDate, TimeZone};
use chrono_tz::Europe::Berlin;

fn policy(first: Option<u32>, next: Option<u32>, resolution: Option<u32>) -> SlaPolicy {
    SlaPolicy {
        id: SlaPolicyId::new(),
        tenant: TenantId::DEFAULT,
        name: Name::parse("standard").unwrap(),
        position: 0,
        enabled: true,
        condition: SlaCondition::default(),
        targets: SlaTargets {
            first_response_minutes: first,
            next_response_minutes: next,
            resolution_minutes: resolution,
        },
        calendar_id: None,
        warn_at_percent: 80,
        updated_at: DateTime::UNIX_EPOCH,
    }
}

/// First response 60 min, next response 120 min, resolution 480 min; warning at 80 %.
fn standard() -> SlaPolicy {
    policy(Some(60), Some(120), Some(480))
}

fn open_24_7() -> BusinessCalendar {
    BusinessCalendar::always_open(TenantId::DEFAULT)
}

/// Mon–Fri 09:00–12:00 and 13:00–17:00 in Berlin.
fn office() -> BusinessCalendar {
    BusinessCalendar::new(
        crate::id::CalendarId::new(),
        TenantId::DEFAULT,
        Name::parse("office").unwrap(),
        Berlin,
        WeekHours::weekdays(&[WorkInterval::hours(9, 12), WorkInterval::hours(13, 17)]),
        [NaiveDate::from_ymd_opt(2024, 5, 1).unwrap()].into(),
        DateTime::UNIX_EPOCH,
    )
    .unwrap()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 4, 8, 0, 0).unwrap()
}

fn mins(m: i64) -> Duration {
    Duration::minutes(m)
}

fn berlin(y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Berlin.with_ymd_and_hms(y, m, d, h, mi, 0).unwrap().to_utc()
}

/// A ticket history under construction.
struct History {
    ticket: TicketId,
    requester: UserId,
    status: Status,
    events: Vec<TicketEvent>,
}

impl History {
    fn created_at(at: DateTime<Utc>) -> Self {
        Self::created_in("new", at)
    }

    fn created_in(status: &'static str, at: DateTime<Utc>) -> Self {
        let mut h = Self {
            ticket: TicketId::new(),
            requester: UserId::new(),
            status: Status::known(status),
            events: Vec::new(),
        };
        h.push(
            at,
            EventKind::Created {
                status: Status::known(status),
                priority: Priority::Medium,
                category: Category::default(),
            },
        );
        h
    }

    fn push(&mut self, at: DateTime<Utc>, kind: EventKind) -> &mut Self {
        self.events.push(TicketEvent {
            id: EventId::new(),
            tenant: TenantId::DEFAULT,
            ticket_id: self.ticket,
            actor: None,
            at,
            requester: self.requester,
            kind,
        });
        self
    }

    fn status(&mut self, at: DateTime<Utc>, to: &'static str) -> &mut Self {
        let to = Status::known(to);
        let from = std::mem::replace(&mut self.status, to.clone());
        let category = Workflow::default_workflow().category_of(&to);
        self.push(at, EventKind::StatusChanged { from, to, category })
    }

    fn comment(
        &mut self,
        at: DateTime<Utc>,
        visibility: Visibility,
        author: AuthorKind,
    ) -> &mut Self {
        self.push(
            at,
            EventKind::Commented {
                comment_id: CommentId::new(),
                visibility,
                author,
            },
        )
    }

    fn staff_reply(&mut self, at: DateTime<Utc>) -> &mut Self {
        self.comment(at, Visibility::Public, AuthorKind::Staff)
    }

    fn requester_reply(&mut self, at: DateTime<Utc>) -> &mut Self {
        self.comment(at, Visibility::Public, AuthorKind::Requester)
    }

    /// Records what is due at `now`, as the sweep does; returns what was recorded.
    fn sweep(
        &mut self,
        policy: &SlaPolicy,
        calendar: &BusinessCalendar,
        now: DateTime<Utc>,
    ) -> Vec<EventKind> {
        let due = self.eval(policy, calendar, now).due_events();
        for kind in &due {
            self.push(now, kind.clone());
        }
        due
    }

    fn eval(
        &self,
        policy: &SlaPolicy,
        calendar: &BusinessCalendar,
        now: DateTime<Utc>,
    ) -> SlaStatus {
        evaluate(
            policy,
            calendar,
            &Workflow::default_workflow(),
            &self.events,
            now,
        )
    }
}

fn target(status: &SlaStatus, target: SlaTarget) -> &TargetStatus {
    status
        .target(target)
        .unwrap_or_else(|| panic!("no {target:?} in {status:?}"))
}

fn warning(target: SlaTarget, cycle: u32) -> EventKind {
    EventKind::SlaWarning { target, cycle }
}

fn breach(target: SlaTarget, cycle: u32) -> EventKind {
    EventKind::SlaBreached { target, cycle }
}

#[test]
fn a_new_ticket_runs_first_response_and_resolution() {
    let h = History::created_at(t0());
    let s = h.eval(&standard(), &open_24_7(), t0() + mins(30));
    assert_eq!(s.targets.len(), 2, "next response has not started");
    let fr = target(&s, SlaTarget::FirstResponse);
    assert_eq!(
        (fr.state, fr.cycle, fr.started_at),
        (TargetState::Running, 0, t0())
    );
    assert_eq!((fr.target_secs, fr.elapsed_secs), (3600, 1800));
    assert_eq!(fr.due_at, Some(t0() + mins(60)));
    assert_eq!(fr.warn_at, Some(t0() + mins(48)));
    assert!(!fr.warning && !fr.breached);
    let res = target(&s, SlaTarget::Resolution);
    assert_eq!(res.due_at, Some(t0() + mins(480)));
    assert_eq!(s.next_check(), Some(t0() + mins(48)));
    assert!(s.due_events().is_empty());
    let snap = s.snapshot();
    assert_eq!(snap.first_response_due, Some(t0() + mins(60)));
    assert_eq!(snap.next_response_due, None);
    assert_eq!(snap.resolution_due, Some(t0() + mins(480)));
    assert_eq!(snap.next_check, Some(t0() + mins(48)));
    assert!(!snap.at_risk && !snap.breached);
}

#[test]
fn only_a_public_staff_reply_meets_first_response() {
    let mut h = History::created_at(t0());
    h.comment(t0() + mins(5), Visibility::Internal, AuthorKind::Staff)
        .comment(t0() + mins(6), Visibility::Public, AuthorKind::System)
        .comment(t0() + mins(7), Visibility::Public, AuthorKind::Requester);
    let s = h.eval(&standard(), &open_24_7(), t0() + mins(10));
    assert_eq!(
        target(&s, SlaTarget::FirstResponse).state,
        TargetState::Running
    );
    assert!(
        s.target(SlaTarget::NextResponse).is_none(),
        "no next response while the first is awaited"
    );
    h.staff_reply(t0() + mins(20));
    let s = h.eval(&standard(), &open_24_7(), t0() + mins(90));
    let fr = target(&s, SlaTarget::FirstResponse);
    assert_eq!(
        (fr.state, fr.met_at, fr.elapsed_secs),
        (TargetState::Met, Some(t0() + mins(20)), 1200)
    );
    assert_eq!((fr.due_at, fr.warn_at), (None, None));
    assert!(!fr.warning && !fr.breached);
    assert_eq!(s.snapshot().first_response_due, None);
}

#[test]
fn warning_then_breach_are_due_once_each() {
    let (p, cal) = (standard(), open_24_7());
    let mut h = History::created_at(t0());
    let s = h.eval(&p, &cal, t0() + mins(50));
    assert!(target(&s, SlaTarget::FirstResponse).warning);
    assert!(s.snapshot().at_risk);
    assert_eq!(
        h.sweep(&p, &cal, t0() + mins(50)),
        [warning(SlaTarget::FirstResponse, 0)]
    );
    let s = h.eval(&p, &cal, t0() + mins(50));
    assert!(s.due_events().is_empty());
    assert!(target(&s, SlaTarget::FirstResponse).warning_recorded);
    assert_eq!(s.next_check(), Some(t0() + mins(60)));
    assert_eq!(
        h.sweep(&p, &cal, t0() + mins(61)),
        [breach(SlaTarget::FirstResponse, 0)]
    );
    let s = h.eval(&p, &cal, t0() + mins(61));
    assert!(s.due_events().is_empty());
    assert_eq!(
        s.next_check(),
        Some(t0() + mins(384)),
        "the resolution warning is next"
    );
    let snap = s.snapshot();
    assert!(snap.breached && !snap.at_risk);
}

#[test]
fn a_late_sweep_records_warning_and_breach_together() {
    let (p, cal) = (standard(), open_24_7());
    let mut h = History::created_at(t0());
    let s = h.eval(&p, &cal, t0() + mins(75));
    assert_eq!(
        s.next_check(),
        Some(t0() + mins(48)),
        "in the past when the sweep is late"
    );
    assert_eq!(
        h.sweep(&p, &cal, t0() + mins(75)),
        [
            warning(SlaTarget::FirstResponse, 0),
            breach(SlaTarget::FirstResponse, 0)
        ]
    );
    assert!(h.eval(&p, &cal, t0() + mins(75)).due_events().is_empty());
}

#[test]
fn a_late_reply_is_met_but_breached_and_the_breach_is_still_due() {
    let (p, cal) = (standard(), open_24_7());
    let mut h = History::created_at(t0());
    h.staff_reply(t0() + mins(70));
    let s = h.eval(&p, &cal, t0() + mins(80));
    let fr = target(&s, SlaTarget::FirstResponse);
    assert_eq!(fr.state, TargetState::Met);
    assert!(fr.warning && fr.breached && s.ever_breached);
    assert_eq!(
        s.due_events(),
        [breach(SlaTarget::FirstResponse, 0)],
        "no warning once no longer running"
    );
    assert_eq!(s.next_check(), Some(t0() + mins(80)));
    h.sweep(&p, &cal, t0() + mins(80));
    let s = h.eval(&p, &cal, t0() + mins(80));
    assert!(s.due_events().is_empty());
    assert_eq!(s.next_check(), Some(t0() + mins(384)));
}

#[test]
fn resolving_without_reply_cancels_first_response_and_meets_resolution() {
    let mut h = History::created_at(t0());
    h.status(t0() + mins(30), "resolved");
    let s = h.eval(&standard(), &open_24_7(), t0() + mins(200));
    let fr = target(&s, SlaTarget::FirstResponse);
    assert_eq!(
        (fr.state, fr.elapsed_secs, fr.met_at),
        (TargetState::Cancelled, 1800, None)
    );
    assert!(!fr.breached);
    let res = target(&s, SlaTarget::Resolution);
    assert_eq!(
        (res.state, res.met_at, res.elapsed_secs),
        (TargetState::Met, Some(t0() + mins(30)), 1800)
    );
    assert_eq!(s.next_check(), None);
    assert!(s.due_events().is_empty());
}

#[test]
fn a_pause_extends_the_resolution_deadline_by_its_business_duration() {
    let (p, cal) = (policy(None, None, Some(16 * 60)), office());
    // Monday 4 March 2024, 10:00; paused Friday 16:00 to Tuesday 10:30 (3.5 business hours).
    let created = berlin(2024, 3, 4, 10, 0);
    let mut h = History::created_at(created);
    let without_pause = target(&h.eval(&p, &cal, created), SlaTarget::Resolution)
        .due_at
        .unwrap();
    assert_eq!(without_pause, berlin(2024, 3, 6, 12, 0));
    h.status(berlin(2024, 3, 5, 16, 0), "pending");
    let paused = h.eval(&p, &cal, berlin(2024, 3, 6, 9, 0));
    let res = target(&paused, SlaTarget::Resolution);
    assert_eq!(
        (res.state, res.due_at, res.elapsed_secs),
        (TargetState::Paused, None, 12 * 3600)
    );
    assert_eq!(paused.next_check(), None);
    h.status(berlin(2024, 3, 6, 10, 30), "open");
    let res = h.eval(&p, &cal, berlin(2024, 3, 6, 11, 0));
    let pause = cal.between(berlin(2024, 3, 5, 16, 0), berlin(2024, 3, 6, 10, 30));
    assert_eq!(pause, mins(150));
    assert_eq!(
        target(&res, SlaTarget::Resolution).due_at,
        Some(cal.add(without_pause, pause))
    );
    assert_eq!(
        target(&res, SlaTarget::Resolution).due_at,
        Some(berlin(2024, 3, 6, 15, 30))
    );
}

#[test]
fn a_pause_across_a_weekend_counts_nothing_of_it() {
    let (p, cal) = (policy(Some(4 * 60), None, None), office());
    let friday = berlin(2024, 3, 8, 15, 0);
    let mut h = History::created_at(friday);
    h.status(friday + mins(60), "pending")
        .status(berlin(2024, 3, 11, 11, 0), "open");
    let s = h.eval(&p, &cal, berlin(2024, 3, 11, 11, 0));
    let fr = target(&s, SlaTarget::FirstResponse);
    assert_eq!(fr.elapsed_secs, 3600);
    assert_eq!(fr.due_at, Some(berlin(2024, 3, 11, 15, 0)));
}

#[test]
fn a_paused_target_never_gets_a_warning_event() {
    let (p, cal) = (standard(), open_24_7());
    let mut h = History::created_at(t0());
    h.status(t0() + mins(55), "pending");
    let s = h.eval(&p, &cal, t0() + mins(300));
    let fr = target(&s, SlaTarget::FirstResponse);
    assert!(fr.warning && !fr.breached && fr.state == TargetState::Paused);
    assert!(s.due_events().is_empty());
    assert!(!s.snapshot().at_risk);
    h.status(t0() + mins(300), "open");
    assert_eq!(
        h.sweep(&p, &cal, t0() + mins(300)),
        [warning(SlaTarget::FirstResponse, 0)]
    );
}

#[test]
fn a_ticket_created_pending_starts_paused() {
    let h = History::created_in("pending", t0());
    let s = h.eval(&standard(), &open_24_7(), t0() + mins(600));
    for t in &s.targets {
        assert_eq!((t.state, t.elapsed_secs), (TargetState::Paused, 0));
    }
}

#[test]
fn reopening_resumes_resolution_with_the_time_so_far() {
    let (p, cal) = (standard(), open_24_7());
    let mut h = History::created_at(t0());
    h.staff_reply(t0() + mins(10))
        .status(t0() + mins(100), "resolved");
    h.status(t0() + mins(200), "closed");
    let s = h.eval(&p, &cal, t0() + mins(300));
    assert_eq!(
        target(&s, SlaTarget::Resolution).met_at,
        Some(t0() + mins(100)),
        "closing keeps the met time"
    );
    h.status(t0() + mins(1000), "open");
    let s = h.eval(&p, &cal, t0() + mins(1030));
    let res = target(&s, SlaTarget::Resolution);
    assert_eq!(
        (res.state, res.met_at, res.elapsed_secs),
        (TargetState::Running, None, 130 * 60)
    );
    assert_eq!(res.due_at, Some(t0() + mins(1000 + 380)));
    assert_eq!(
        target(&s, SlaTarget::FirstResponse).state,
        TargetState::Met,
        "first response stays met"
    );
    h.status(t0() + mins(1100), "resolved");
    let s = h.eval(&p, &cal, t0() + mins(1200));
    let res = target(&s, SlaTarget::Resolution);
    assert_eq!(
        (res.state, res.met_at, res.elapsed_secs),
        (TargetState::Met, Some(t0() + mins(1100)), 200 * 60)
    );
}

#[test]
fn reopening_into_a_pausing_status_keeps_resolution_paused() {
    let mut h = History::created_at(t0());
    h.status(t0() + mins(100), "resolved")
        .status(t0() + mins(200), "pending");
    let s = h.eval(&standard(), &open_24_7(), t0() + mins(300));
    let res = target(&s, SlaTarget::Resolution);
    assert_eq!(
        (res.state, res.met_at, res.elapsed_secs),
        (TargetState::Paused, None, 100 * 60)
    );
}

#[test]
fn next_response_cycles_follow_requester_replies() {
    let (p, cal) = (standard(), open_24_7());
    let mut h = History::created_at(t0());
    h.staff_reply(t0() + mins(10))
        .requester_reply(t0() + mins(20))
        .requester_reply(t0() + mins(40))
        .comment(t0() + mins(50), Visibility::Internal, AuthorKind::Staff);
    let s = h.eval(&p, &cal, t0() + mins(60));
    let nr = target(&s, SlaTarget::NextResponse);
    assert_eq!(
        (nr.cycle, nr.started_at, nr.state),
        (1, t0() + mins(20), TargetState::Running)
    );
    assert_eq!(
        nr.due_at,
        Some(t0() + mins(140)),
        "a second requester reply does not restart it"
    );
    assert_eq!(s.snapshot().next_response_due, Some(t0() + mins(140)));
    h.staff_reply(t0() + mins(70));
    let s = h.eval(&p, &cal, t0() + mins(80));
    let nr = target(&s, SlaTarget::NextResponse);
    assert_eq!(
        (nr.cycle, nr.state, nr.met_at),
        (1, TargetState::Met, Some(t0() + mins(70)))
    );
    h.requester_reply(t0() + mins(90));
    let s = h.eval(&p, &cal, t0() + mins(100));
    let nr = target(&s, SlaTarget::NextResponse);
    assert_eq!(
        (nr.cycle, nr.started_at, nr.elapsed_secs),
        (2, t0() + mins(90), 600)
    );
    assert_eq!(s.earlier_cycles.len(), 1);
    assert_eq!(s.earlier_cycles[0].cycle, 1);
    let order: Vec<(SlaTarget, u32)> = s.cycles().iter().map(|t| (t.target, t.cycle)).collect();
    assert_eq!(
        order,
        [
            (SlaTarget::FirstResponse, 0),
            (SlaTarget::NextResponse, 1),
            (SlaTarget::NextResponse, 2),
            (SlaTarget::Resolution, 0)
        ]
    );
}

#[test]
fn an_unrecorded_breach_of_an_earlier_cycle_is_still_due() {
    let (p, cal) = (standard(), open_24_7());
    let mut h = History::created_at(t0());
    h.staff_reply(t0() + mins(10))
        .requester_reply(t0() + mins(20))
        .staff_reply(t0() + mins(200))
        .requester_reply(t0() + mins(210));
    let s = h.eval(&p, &cal, t0() + mins(220));
    assert!(
        !target(&s, SlaTarget::NextResponse).breached,
        "the latest cycle is fine"
    );
    assert!(s.ever_breached && s.snapshot().breached);
    assert_eq!(s.next_check(), Some(t0() + mins(220)));
    assert_eq!(
        h.sweep(&p, &cal, t0() + mins(220)),
        [breach(SlaTarget::NextResponse, 1)]
    );
    let s = h.eval(&p, &cal, t0() + mins(220));
    assert!(s.due_events().is_empty());
    assert_eq!(
        s.next_check(),
        Some(t0() + mins(306)),
        "the second cycle's warning"
    );
}

#[test]
fn resolving_cancels_an_open_next_response_cycle() {
    let mut h = History::created_at(t0());
    h.staff_reply(t0() + mins(10))
        .requester_reply(t0() + mins(20))
        .status(t0() + mins(30), "resolved");
    h.requester_reply(t0() + mins(40));
    let s = h.eval(&standard(), &open_24_7(), t0() + mins(500));
    let nr = target(&s, SlaTarget::NextResponse);
    assert_eq!(
        (nr.cycle, nr.state, nr.elapsed_secs),
        (1, TargetState::Cancelled, 600)
    );
    assert!(
        s.earlier_cycles.is_empty(),
        "no cycle starts on a resolved ticket"
    );
}

#[test]
fn without_a_first_response_target_the_first_requester_reply_starts_next_response() {
    let mut h = History::created_at(t0());
    h.requester_reply(t0() + mins(5));
    let s = h.eval(&policy(None, Some(30), None), &open_24_7(), t0() + mins(10));
    assert_eq!(s.targets.len(), 1);
    let nr = target(&s, SlaTarget::NextResponse);
    assert_eq!((nr.cycle, nr.due_at), (1, Some(t0() + mins(35))));
}

#[test]
fn after_a_cancelled_first_response_a_reopened_ticket_tracks_next_response() {
    let mut h = History::created_at(t0());
    h.status(t0() + mins(5), "resolved")
        .status(t0() + mins(10), "open")
        .requester_reply(t0() + mins(15));
    let s = h.eval(&standard(), &open_24_7(), t0() + mins(20));
    assert_eq!(
        target(&s, SlaTarget::FirstResponse).state,
        TargetState::Cancelled
    );
    assert_eq!(
        target(&s, SlaTarget::NextResponse).state,
        TargetState::Running
    );
}

#[test]
fn events_after_now_are_ignored() {
    let mut h = History::created_at(t0());
    h.staff_reply(t0() + mins(100))
        .push(t0() + mins(100), breach(SlaTarget::FirstResponse, 0));
    let s = h.eval(&standard(), &open_24_7(), t0() + mins(30));
    let fr = target(&s, SlaTarget::FirstResponse);
    assert_eq!(
        (fr.state, fr.breach_recorded),
        (TargetState::Running, false)
    );
    let nothing = h.eval(&standard(), &open_24_7(), t0() - mins(1));
    assert!(nothing.targets.is_empty() && nothing.next_check().is_none());
}

#[test]
fn due_and_warn_times_stay_put_while_running() {
    let (p, cal) = (standard(), office());
    let h = History::created_at(berlin(2024, 3, 8, 16, 0));
    let early = h.eval(&p, &cal, berlin(2024, 3, 8, 16, 10));
    let later = h.eval(&p, &cal, berlin(2024, 3, 11, 9, 55));
    let (a, b) = (
        target(&early, SlaTarget::Resolution),
        target(&later, SlaTarget::Resolution),
    );
    assert_eq!((a.due_at, a.warn_at), (b.due_at, b.warn_at));
    assert_eq!(a.due_at, Some(berlin(2024, 3, 11, 17, 0)));
    let (a, b) = (
        target(&early, SlaTarget::FirstResponse),
        target(&later, SlaTarget::FirstResponse),
    );
    assert_eq!(a.due_at, Some(berlin(2024, 3, 8, 17, 0)));
    assert_eq!(b.warn_at, Some(berlin(2024, 3, 8, 16, 48)));
    assert_eq!((a.due_at, a.warn_at), (b.due_at, b.warn_at));
    assert!(b.breached && b.elapsed_secs == 3600 + 55 * 60);
}

#[test]
fn a_recorded_breach_stays_a_breach_under_a_looser_policy() {
    let cal = open_24_7();
    let mut h = History::created_at(t0());
    h.sweep(&standard(), &cal, t0() + mins(61));
    // The priority is lowered: a policy with a day for the first response applies now,
    // and one without any first-response target at all.
    let loose = policy(Some(24 * 60), Some(120), Some(480));
    let s = h.eval(&loose, &cal, t0() + mins(90));
    let fr = target(&s, SlaTarget::FirstResponse);
    assert!(fr.breached && fr.breach_recorded, "{fr:?}");
    assert!(s.due_events().is_empty(), "nothing recorded twice");
    assert!(s.ever_breached && s.snapshot().breached);
    let none = policy(None, None, Some(480));
    let s = h.eval(&none, &cal, t0() + mins(90));
    assert!(s.ever_breached && s.snapshot().breached);
}

#[test]
fn a_cycle_that_ended_before_the_terms_changed_keeps_its_verdict() {
    let cal = open_24_7();
    let mut h = History::created_at(t0());
    h.staff_reply(t0() + mins(50));
    // Tightened to 30 minutes after the reply: met in time under the terms of then.
    let mut tight = policy(Some(30), Some(120), Some(480));
    tight.updated_at = t0() + mins(100);
    let s = h.eval(&tight, &cal, t0() + mins(120));
    let fr = target(&s, SlaTarget::FirstResponse);
    assert_eq!((fr.state, fr.breached), (TargetState::Met, false), "{fr:?}");
    assert!(s.due_events().is_empty());
    // Tightened before the reply: the reply came late under the terms in force.
    tight.updated_at = t0() + mins(10);
    let s = h.eval(&tight, &cal, t0() + mins(120));
    let fr = target(&s, SlaTarget::FirstResponse);
    assert!(fr.breached && !fr.breach_recorded, "{fr:?}");
    assert_eq!(s.due_events().len(), 1);
}
