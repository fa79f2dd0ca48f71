//! Unit tests of the schedule: DST, night shifts, time off, validation.

use super::*;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("an RFC 3339 instant")
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("a time")
}

fn schedule(tz: Tz) -> ShiftSchedule {
    ShiftSchedule::new(
        TenantId::DEFAULT,
        UserId::new(),
        tz,
        t("2026-01-01T00:00:00Z"),
    )
}

#[test]
fn weekly_shifts_follow_the_local_clock_across_dst() {
    let mut s = schedule(chrono_tz::Europe::Berlin);
    s.weekly.push(WeeklyShift {
        weekday: Weekday::Mon,
        start: hm(9, 0),
        end: hm(17, 0),
        breaks: vec![PlannedBreak {
            start: hm(12, 0),
            minutes: 30,
        }],
    });
    // Winter (UTC+1) and summer (UTC+2) Mondays around the 2026-03-29 change.
    let range = Span::new(t("2026-03-23T00:00:00Z"), t("2026-04-01T00:00:00Z"));
    let shifts = s.shifts_between(range).expect("shifts");
    assert_eq!(shifts.len(), 2);
    assert_eq!(shifts[0].start, t("2026-03-23T08:00:00Z"));
    assert_eq!(shifts[1].start, t("2026-03-30T07:00:00Z"));
    assert_eq!(
        shifts[1].breaks,
        vec![Span::new(
            t("2026-03-30T10:00:00Z"),
            t("2026-03-30T10:30:00Z")
        )]
    );
    assert!(s.is_scheduled_at(t("2026-03-30T09:59:00Z")).expect("at"));
    assert!(!s.is_scheduled_at(t("2026-03-30T10:15:00Z")).expect("at"));
    assert!(!s.is_scheduled_at(t("2026-03-31T09:00:00Z")).expect("at"));
}

#[test]
fn night_shifts_cross_midnight_and_time_off_cuts_them() {
    let mut s = schedule(chrono_tz::UTC);
    s.weekly.push(WeeklyShift {
        weekday: Weekday::Fri,
        start: hm(22, 0),
        end: hm(6, 0),
        breaks: vec![PlannedBreak {
            start: hm(2, 0),
            minutes: 60,
        }],
    });
    s.time_off.push(TimeOff {
        start: t("2026-01-03T04:00:00Z"),
        end: t("2026-01-03T05:00:00Z"),
        reason: None,
    });
    s.validate().expect("valid");
    // Friday 2026-01-02 22:00 → Saturday 06:00, seen from Saturday alone.
    let range = Span::new(t("2026-01-03T00:00:00Z"), t("2026-01-03T12:00:00Z"));
    let shifts = s.shifts_between(range).expect("shifts");
    let spans: Vec<(DateTime<Utc>, DateTime<Utc>)> =
        shifts.iter().map(|s| (s.start, s.end)).collect();
    assert_eq!(
        spans,
        vec![
            (t("2026-01-02T22:00:00Z"), t("2026-01-03T04:00:00Z")),
            (t("2026-01-03T05:00:00Z"), t("2026-01-03T06:00:00Z")),
        ]
    );
    assert_eq!(
        shifts[0].breaks,
        vec![Span::new(
            t("2026-01-03T02:00:00Z"),
            t("2026-01-03T03:00:00Z")
        )]
    );
}

#[test]
fn bad_schedules_are_refused_with_every_reason() {
    let mut s = schedule(chrono_tz::UTC);
    s.weekly.push(WeeklyShift {
        weekday: Weekday::Mon,
        start: hm(9, 0),
        end: hm(10, 0),
        breaks: vec![PlannedBreak {
            start: hm(9, 45),
            minutes: 30,
        }],
    });
    s.one_off.push(OneOffShift {
        start: t("2026-01-02T10:00:00Z"),
        end: t("2026-01-02T09:00:00Z"),
        breaks: vec![],
    });
    let Err(Error::Invalid(fields)) = s.validate() else {
        panic!("a break past its shift and a backwards shift are invalid");
    };
    let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(names, ["weekly[0].breaks[0]", "one_off[0]"]);
    let long = Span::new(t("2026-01-01T00:00:00Z"), t("2026-06-01T00:00:00Z"));
    assert!(s.shifts_between(long).is_err());
}
