//! Property tests of SLA arithmetic: business calendars (DST, holidays, lunch breaks) and
//! the evaluation of ticket histories (pauses, reopens, next-response cycles, recording
//! each threshold once).

// Test and benchmark set-up: a failed unwrap is a failed run, which is what we want.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use std::collections::BTreeSet;
use ticket_core::event::{AuthorKind, EventKind, SlaTarget, TicketEvent};
use ticket_core::id::{CalendarId, CommentId, EventId, SlaPolicyId, TenantId, TicketId, UserId};
use ticket_core::sla::{
    evaluate, BusinessCalendar, SlaCondition, SlaPolicy, SlaReplay, SlaStatus, SlaTargets,
    TargetState, WeekHours, WorkInterval,
};
use ticket_core::text::{Category, Name, Status};
use ticket_core::ticket::{Priority, Visibility};
use ticket_core::workflow::Workflow;

// ---------------------------------------------------------------- calendars

const ZONES: [Tz; 9] = [
    Tz::UTC,
    Tz::Europe__Berlin,
    Tz::Europe__London,
    Tz::America__New_York,
    Tz::America__Sao_Paulo,
    Tz::Australia__Lord_Howe,
    Tz::Asia__Kolkata,
    Tz::Pacific__Apia,
    Tz::America__St_Johns,
];

fn calendar(tz: Tz, week: WeekHours, holidays: BTreeSet<NaiveDate>) -> Option<BusinessCalendar> {
    BusinessCalendar::new(
        CalendarId::new(),
        TenantId::DEFAULT,
        Name::parse("prop").unwrap(),
        tz,
        week,
        holidays,
        DateTime::UNIX_EPOCH,
    )
    .ok()
}

/// Mon–Fri 09:00–12:00 and 13:00–17:00.
fn office(tz: Tz, holidays: BTreeSet<NaiveDate>) -> BusinessCalendar {
    let week = WeekHours::weekdays(&[WorkInterval::hours(9, 12), WorkInterval::hours(13, 17)]);
    calendar(tz, week, holidays).unwrap()
}

fn every_day(tz: Tz, interval: WorkInterval) -> BusinessCalendar {
    calendar(tz, WeekHours::every_day(&[interval]), BTreeSet::new()).unwrap()
}

/// Up to three disjoint intervals of a day (possibly touching midnight at either end).
fn day_intervals() -> impl Strategy<Value = Vec<WorkInterval>> {
    prop::collection::btree_set(0u16..=1440, 0..=6).prop_map(|points| {
        let points: Vec<u16> = points.into_iter().collect();
        points
            .chunks_exact(2)
            .map(|p| WorkInterval::new(p[0], p[1]))
            .collect()
    })
}

fn week() -> impl Strategy<Value = WeekHours> {
    prop::array::uniform7(day_intervals()).prop_map(|[mon, tue, wed, thu, fri, sat, sun]| {
        WeekHours {
            mon,
            tue,
            wed,
            thu,
            fri,
            sat,
            sun,
        }
    })
}

/// An instant between 2005 and 2030, to the second.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (1_104_537_600i64..1_893_456_000).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
}

/// A random calendar in an interesting zone with holidays in the first weeks after
/// `start`, and that start.
fn calendar_and_start() -> impl Strategy<Value = (BusinessCalendar, DateTime<Utc>)> {
    (
        prop::sample::select(ZONES.to_vec()),
        week(),
        instant(),
        prop::collection::vec(0i64..90, 0..10),
    )
        .prop_filter_map(
            "the week needs working time",
            |(tz, week, start, offsets)| {
                let first = start.with_timezone(&tz).date_naive();
                let holidays = offsets.iter().map(|d| first + Duration::days(*d)).collect();
                calendar(tz, week, holidays).map(|cal| (cal, start))
            },
        )
}

/// Business time up to 300 hours, to the second.
fn business() -> impl Strategy<Value = Duration> {
    (0i64..=300 * 3600).prop_map(Duration::seconds)
}

fn horizon(start: DateTime<Utc>) -> DateTime<Utc> {
    start + Duration::days(BusinessCalendar::SEARCH_HORIZON_DAYS)
}

fn local_midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    midnight(tz, date, |l| l.earliest())
}

/// Where midnight falls in a gap, the day starts when the gap ends; where it is ambiguous
/// (a fall-back across midnight), `pick` chooses which of the two instants.
fn midnight(
    tz: Tz,
    date: NaiveDate,
    pick: impl Fn(chrono::LocalResult<DateTime<Tz>>) -> Option<DateTime<Tz>>,
) -> DateTime<Utc> {
    let local = date.and_time(NaiveTime::MIN);
    (0..=24 * 60)
        .find_map(|m| pick(tz.from_local_datetime(&(local + Duration::minutes(m)))))
        .unwrap()
        .to_utc()
}

fn local_time(tz: Tz, date: NaiveDate, hour: u32) -> DateTime<Utc> {
    tz.from_local_datetime(&date.and_hms_opt(hour, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .to_utc()
}

/// A date between 2005 and 2030.
fn a_date() -> impl Strategy<Value = NaiveDate> {
    (0i64..9131).prop_map(|d| NaiveDate::from_ymd_opt(2005, 1, 1).unwrap() + Duration::days(d))
}

/// The days around the DST changes of 2015–2029 in London and New York.
fn dst_day() -> impl Strategy<Value = (Tz, NaiveDate)> {
    let zones = prop::sample::select(vec![Tz::Europe__London, Tz::America__New_York]);
    (
        zones,
        2015i32..2030,
        prop::sample::select(vec![3u32, 10, 11]),
        1u32..=31,
    )
        .prop_filter_map("a real date", |(tz, year, month, day)| {
            NaiveDate::from_ymd_opt(year, month, day).map(|d| (tz, d))
        })
}

proptest! {
    #[test]
    fn deadlines_are_never_before_the_start_and_use_exactly_the_business_time(
        (cal, start) in calendar_and_start(),
        d in business(),
    ) {
        let due = cal.add(start, d);
        prop_assert!(due >= start);
        if due < horizon(start) {
            prop_assert_eq!(cal.between(start, due), d);
        } else {
            prop_assert_eq!(due, horizon(start));
            prop_assert!(cal.between(start, due) <= d);
        }
    }

    #[test]
    fn add_is_monotonic_and_composes((cal, start) in calendar_and_start(), a in business(), b in business()) {
        let (small, large) = (a.min(b), a.max(b));
        prop_assert!(cal.add(start, small) <= cal.add(start, large));
        let composed = cal.add(cal.add(start, a), b);
        if composed < horizon(start) {
            prop_assert_eq!(composed, cal.add(start, a + b));
        }
    }

    #[test]
    fn a_deadline_ends_on_working_time_never_on_a_holiday((cal, start) in calendar_and_start(), d in business()) {
        prop_assume!(d > Duration::zero());
        let due = cal.add(start, d);
        prop_assume!(due < horizon(start));
        let last = due - Duration::nanoseconds(1);
        prop_assert!(cal.is_working(last));
        prop_assert!(!cal.holidays.contains(&last.with_timezone(&cal.timezone).date_naive()));
    }

    #[test]
    fn between_is_additive((cal, start) in calendar_and_start(), a in 0i64..2_000_000, b in 0i64..2_000_000) {
        let middle = start + Duration::seconds(a);
        let end = middle + Duration::seconds(b);
        prop_assert_eq!(cal.between(start, end), cal.between(start, middle) + cal.between(middle, end));
        prop_assert!(cal.between(start, end) <= end - start);
        prop_assert_eq!(cal.between(end, start), Duration::zero());
    }

    #[test]
    fn is_working_agrees_with_between((cal, start) in calendar_and_start()) {
        let next_ns = cal.between(start, start + Duration::nanoseconds(1));
        prop_assert_eq!(cal.is_working(start), next_ns == Duration::nanoseconds(1));
    }

    #[test]
    fn holidays_are_never_worked(tz in prop::sample::select(ZONES.to_vec()), date in a_date(), minute in 0i64..1440) {
        let cal = calendar(tz, WeekHours::every_day(&[WorkInterval::WHOLE_DAY]), [date].into()).unwrap();
        // The holiday is the time whose local date is `date`: from the last instant the
        // clock reads its midnight (a fall-back across midnight repeats the previous
        // day's last hour, which belongs to that day) to the next day's first midnight.
        let from = midnight(tz, date, |l| l.latest());
        let to = local_midnight(tz, date + Duration::days(1));
        prop_assert_eq!(cal.between(from, to), Duration::zero());
        let at = from + Duration::minutes(minute);
        prop_assume!(at < to);
        prop_assert!(!cal.is_working(at));
        prop_assert_eq!(cal.add(at, Duration::seconds(1)), to + Duration::seconds(1));
    }

    #[test]
    fn lunch_breaks_are_skipped(date in a_date(), lunch_minute in 0i64..60, d in business()) {
        let cal = office(Tz::Europe__Berlin, BTreeSet::new());
        prop_assume!(date.weekday().num_days_from_monday() < 5);
        let at = local_time(Tz::Europe__Berlin, date, 12) + Duration::minutes(lunch_minute);
        prop_assert!(!cal.is_working(at));
        prop_assert_eq!(cal.add(at, d), cal.add(local_time(Tz::Europe__Berlin, date, 13), d));
    }

    #[test]
    fn around_the_clock_business_time_is_real_time_across_dst((tz, date) in dst_day(), hour in 0i64..24, d in business()) {
        let cal = every_day(tz, WorkInterval::WHOLE_DAY);
        let start = local_midnight(tz, date) + Duration::hours(hour);
        prop_assert_eq!(cal.add(start, d), start + d);
        // The holiday is the time whose local date is `date`: from the last instant the
        // clock reads its midnight (a fall-back across midnight repeats the previous
        // day's last hour, which belongs to that day) to the next day's first midnight.
        let from = midnight(tz, date, |l| l.latest());
        let to = local_midnight(tz, date + Duration::days(1));
        let length = cal.between(from, to);
        prop_assert_eq!(length, to - from);
        prop_assert!([23, 24, 25].contains(&length.num_hours()) && length.num_minutes() % 60 == 0);
    }

    #[test]
    fn nine_to_five_is_eight_hours_every_day_across_dst((tz, date) in dst_day()) {
        let cal = every_day(tz, WorkInterval::hours(9, 17));
        // The holiday is the time whose local date is `date`: from the last instant the
        // clock reads its midnight (a fall-back across midnight repeats the previous
        // day's last hour, which belongs to that day) to the next day's first midnight.
        let from = midnight(tz, date, |l| l.latest());
        let to = local_midnight(tz, date + Duration::days(1));
        prop_assert_eq!(cal.between(from, to), Duration::hours(8));
        prop_assert_eq!(cal.add(local_time(tz, date, 9), Duration::hours(8)), local_time(tz, date, 17));
        prop_assert_eq!(cal.add(local_time(tz, date, 16), Duration::hours(2)), local_time(tz, date + Duration::days(1), 10));
    }
}

#[test]
fn dst_days_have_23_and_25_hours_around_the_clock() {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    for (tz, spring, fall) in [
        (Tz::Europe__London, d(2025, 3, 30), d(2025, 10, 26)),
        (Tz::America__New_York, d(2025, 3, 9), d(2025, 11, 2)),
    ] {
        let cal = every_day(tz, WorkInterval::WHOLE_DAY);
        let day = |date: NaiveDate| {
            cal.between(
                local_midnight(tz, date),
                local_midnight(tz, date + Duration::days(1)),
            )
        };
        assert_eq!(day(spring), Duration::hours(23), "{tz} spring");
        assert_eq!(day(fall), Duration::hours(25), "{tz} fall");
    }
}

// ---------------------------------------------------------------- evaluation

fn policy(first: Option<u32>, next: Option<u32>, resolution: Option<u32>) -> SlaPolicy {
    SlaPolicy {
        id: SlaPolicyId::new(),
        tenant: TenantId::DEFAULT,
        name: Name::parse("prop").unwrap(),
        position: 0,
        enabled: true,
        condition: SlaCondition::default(),
        targets: SlaTargets {
            first_response_minutes: first,
            next_response_minutes: next,
            resolution_minutes: resolution,
        },
        calendar_id: None,
        warn_at_percent: 75,
        updated_at: DateTime::UNIX_EPOCH,
    }
}

/// What happens to a ticket after it is raised.
#[derive(Debug, Clone)]
enum Step {
    Comment(Visibility, AuthorKind),
    Status(&'static str),
}

const STATUSES: [&str; 6] = [
    "new",
    "open",
    "in_progress",
    "pending",
    "resolved",
    "closed",
];

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (prop::sample::select(vec![Visibility::Public, Visibility::Internal]),
              prop::sample::select(vec![AuthorKind::Staff, AuthorKind::Requester, AuthorKind::System]))
            .prop_map(|(v, a)| Step::Comment(v, a)),
        2 => prop::sample::select(STATUSES.to_vec()).prop_map(Step::Status),
    ]
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
        let mut h = Self {
            ticket: TicketId::new(),
            requester: UserId::new(),
            status: Status::known("new"),
            events: Vec::new(),
        };
        h.push(
            at,
            EventKind::Created {
                status: Status::known("new"),
                priority: Priority::High,
                category: Category::default(),
            },
        );
        h
    }

    fn push(&mut self, at: DateTime<Utc>, kind: EventKind) {
        self.events.push(TicketEvent {
            id: EventId::new(),
            tenant: TenantId::DEFAULT,
            ticket_id: self.ticket,
            actor: None,
            at,
            requester: self.requester,
            kind,
        });
    }

    fn status(&mut self, at: DateTime<Utc>, to: &'static str) {
        let to = Status::known(to);
        if to == self.status {
            return;
        }
        let from = std::mem::replace(&mut self.status, to.clone());
        let category = Workflow::default_workflow().category_of(&to);
        self.push(at, EventKind::StatusChanged { from, to, category });
    }

    fn apply(&mut self, at: DateTime<Utc>, step: &Step) {
        match step {
            Step::Comment(visibility, author) => {
                self.push(
                    at,
                    EventKind::Commented {
                        comment_id: CommentId::new(),
                        visibility: *visibility,
                        author: *author,
                    },
                );
            }
            Step::Status(to) => self.status(at, to),
        }
    }

    fn eval(&self, policy: &SlaPolicy, cal: &BusinessCalendar, now: DateTime<Utc>) -> SlaStatus {
        evaluate(
            policy,
            cal,
            &Workflow::default_workflow(),
            &self.events,
            now,
        )
    }

    /// Records what is due at `now`, as the HelpDesk sweep does.
    fn sweep(
        &mut self,
        policy: &SlaPolicy,
        cal: &BusinessCalendar,
        now: DateTime<Utc>,
    ) -> Vec<EventKind> {
        let due = self.eval(policy, cal, now).due_events();
        for kind in &due {
            self.push(now, kind.clone());
        }
        due
    }
}

/// A random history: steps at random gaps (minutes) after creation.
fn history() -> impl Strategy<Value = (DateTime<Utc>, Vec<(i64, Step)>)> {
    (instant(), prop::collection::vec((0i64..600, step()), 0..25))
}

fn calendars() -> impl Strategy<Value = BusinessCalendar> {
    prop_oneof![
        Just(BusinessCalendar::always_open(TenantId::DEFAULT)),
        Just(office(Tz::Europe__Berlin, BTreeSet::new())),
        Just(office(Tz::America__New_York, BTreeSet::new())),
    ]
}

fn standard() -> SlaPolicy {
    policy(Some(60), Some(120), Some(16 * 60))
}

proptest! {
    #[test]
    fn a_pause_extends_the_resolution_deadline_by_its_business_duration(
        created in instant(),
        before_pause in 0i64..(6 * 24 * 60),
        pause in 0i64..(6 * 24 * 60),
        target_hours in 1u32..60,
        holidays in prop::collection::vec(0i64..20, 0..4),
    ) {
        let first = created.with_timezone(&Tz::Europe__Berlin).date_naive();
        let cal = office(Tz::Europe__Berlin, holidays.iter().map(|d| first + Duration::days(*d)).collect());
        let p = policy(None, None, Some(target_hours * 60));
        let target = Duration::hours(i64::from(target_hours));
        let (paused, resumed) = (created + Duration::minutes(before_pause), created + Duration::minutes(before_pause + pause));
        prop_assume!(cal.between(created, paused) < target);
        let mut h = History::created_at(created);
        let due_unpaused = h.eval(&p, &cal, created).targets[0].due_at.unwrap();
        h.status(paused, "pending");
        h.status(resumed, "open");
        let due_paused = h.eval(&p, &cal, resumed).targets[0].due_at.unwrap();
        let pause_business = cal.between(paused, resumed);
        prop_assert_eq!(cal.between(due_unpaused, due_paused), pause_business);
        prop_assert_eq!(due_paused, cal.add(created, target + pause_business));
    }

    #[test]
    fn a_reopened_ticket_resumes_resolution_where_it_stopped(
        created in instant(),
        cal in calendars(),
        worked in 0i64..3000,
        solved_for in 0i64..5000,
        after in 0i64..3000,
    ) {
        let p = standard();
        let resolved = created + Duration::minutes(worked);
        let reopened = resolved + Duration::minutes(solved_for);
        let now = reopened + Duration::minutes(after);
        let mut h = History::created_at(created);
        h.status(resolved, "resolved");
        let res = h.eval(&p, &cal, reopened).target(SlaTarget::Resolution).cloned().unwrap();
        prop_assert_eq!((res.state, res.met_at), (TargetState::Met, Some(resolved)));
        h.status(reopened, "open");
        let res = h.eval(&p, &cal, now).target(SlaTarget::Resolution).cloned().unwrap();
        prop_assert_eq!((res.state, res.met_at), (TargetState::Running, None));
        let expected = cal.between(created, resolved) + cal.between(reopened, now);
        prop_assert_eq!(res.elapsed_secs, expected.num_seconds());
        let target = Duration::minutes(16 * 60);
        prop_assert_eq!(res.due_at, Some(cal.add(reopened, target - cal.between(created, resolved))));
    }

    #[test]
    fn next_response_cycles_are_numbered_in_order_and_only_the_latest_is_open(
        (created, steps) in history(),
        cal in calendars(),
        first in prop::option::of(1u32..200),
    ) {
        let p = policy(first, Some(90), Some(600));
        let mut h = History::created_at(created);
        let mut at = created;
        for (gap, step) in &steps {
            at += Duration::minutes(*gap);
            h.apply(at, step);
        }
        let s = h.eval(&p, &cal, at);
        let cycles: Vec<u32> = s.cycles().iter().filter(|t| t.target == SlaTarget::NextResponse).map(|t| t.cycle).collect();
        prop_assert_eq!(cycles.clone(), (1..=u32::try_from(cycles.len()).unwrap()).collect::<Vec<_>>());
        prop_assert!(s.earlier_cycles.iter().all(|t| matches!(t.state, TargetState::Met | TargetState::Cancelled)));
        let requester_replies = steps.iter().filter(|(_, st)| matches!(st, Step::Comment(Visibility::Public, AuthorKind::Requester))).count();
        prop_assert!(cycles.len() <= requester_replies);
        for t in &s.targets {
            let running = t.state == TargetState::Running;
            prop_assert_eq!(t.due_at.is_some(), running);
            if running {
                prop_assert!(t.warn_at <= t.due_at);
            }
        }
        prop_assert_eq!(s.ever_breached, s.cycles().iter().any(|t| t.breached));
    }

    #[test]
    fn every_threshold_is_recorded_exactly_once(
        (created, steps) in history(),
        cal in calendars(),
        sweeps in prop::collection::vec(0i64..400, 1..12),
    ) {
        let p = standard();
        let mut h = History::created_at(created);
        let mut at = created;
        let mut recorded = Vec::new();
        // Interleave the history with sweeps at random instants.
        let mut sweep_times = sweeps.iter().scan(created, |t, gap| { *t += Duration::minutes(*gap * 3); Some(*t) }).peekable();
        for (gap, step) in &steps {
            at += Duration::minutes(*gap);
            while let Some(t) = sweep_times.next_if(|t| *t <= at) {
                recorded.extend(h.sweep(&p, &cal, t));
                prop_assert!(h.eval(&p, &cal, t).due_events().is_empty());
            }
            h.apply(at, step);
        }
        for t in sweep_times.chain([at + Duration::days(30)]) {
            let t = t.max(at);
            recorded.extend(h.sweep(&p, &cal, t));
            prop_assert!(h.eval(&p, &cal, t).due_events().is_empty());
        }
        let names: Vec<String> = recorded.iter().map(|k| format!("{k:?}")).collect();
        let unique: BTreeSet<&String> = names.iter().collect();
        prop_assert_eq!(unique.len(), names.len(), "recorded twice: {:?}", names);
        let s = h.eval(&p, &cal, at + Duration::days(30));
        prop_assert_eq!(s.next_check(), None);
        prop_assert_eq!(s.snapshot().breached, recorded.iter().any(|k| matches!(k, EventKind::SlaBreached { .. })));
    }

    #[test]
    fn next_check_is_when_something_becomes_due(
        (created, steps) in history(),
        cal in calendars(),
        late in 0i64..600,
    ) {
        let p = standard();
        let mut h = History::created_at(created);
        let mut at = created;
        for (gap, step) in &steps {
            at += Duration::minutes(*gap);
            h.apply(at, step);
        }
        let now = at + Duration::minutes(late);
        h.sweep(&p, &cal, now);
        let s = h.eval(&p, &cal, now);
        prop_assert!(s.due_events().is_empty());
        if let Some(next) = s.next_check() {
            prop_assert!(next > now, "nothing is due at now, so the next check is later");
            prop_assert!(!h.eval(&p, &cal, next).due_events().is_empty());
            prop_assert!(h.eval(&p, &cal, next - Duration::nanoseconds(1)).due_events().is_empty());
        }
    }

    #[test]
    fn a_replay_kept_between_changes_agrees_with_the_full_history(
        (created, steps) in history(),
        cal in calendars(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        late in 0i64..2000,
    ) {
        let p = standard();
        let wf = Workflow::default_workflow();
        let mut h = History::created_at(created);
        let mut at = created;
        for (gap, step) in &steps {
            at += Duration::minutes(*gap);
            h.apply(at, step);
        }
        let now = at + Duration::minutes(late);
        // Changes store the replay (as JSON, like a store) and the next goes on from it.
        let mut bounds: Vec<usize> = cuts.iter().map(|i| i.index(h.events.len() + 1)).collect();
        bounds.push(h.events.len());
        bounds.sort_unstable();
        let mut replay = SlaReplay::new(&p, &cal);
        let mut from = 0;
        for to in bounds {
            replay.apply(&p, &cal, &wf, &h.events[from..to], now);
            let kept = serde_json::to_string(&replay).unwrap();
            replay = serde_json::from_str(&kept).unwrap();
            prop_assert!(replay.fits(&p, &cal, now));
            from = to;
        }
        prop_assert_eq!(replay.status(&p, &cal, now), h.eval(&p, &cal, now));
    }
}
