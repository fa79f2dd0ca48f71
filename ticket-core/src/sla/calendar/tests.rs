use super::*;
use crate::error::Error;
use chrono::{Datelike, TimeZone};
use chrono_tz::America::New_York;
use chrono_tz::Europe::{Berlin, London};

fn calendar(tz: Tz, week: WeekHours, holidays: &[NaiveDate]) -> BusinessCalendar {
    BusinessCalendar::new(
        CalendarId::new(),
        TenantId::DEFAULT,
        Name::parse("test").unwrap(),
        tz,
        week,
        holidays.iter().copied().collect(),
        DateTime::UNIX_EPOCH,
    )
    .unwrap()
}

/// Mon–Fri 09:00–12:00 and 13:00–17:00.
fn office(tz: Tz, holidays: &[NaiveDate]) -> BusinessCalendar {
    calendar(
        tz,
        WeekHours::weekdays(&[WorkInterval::hours(9, 12), WorkInterval::hours(13, 17)]),
        holidays,
    )
}

fn around_the_clock(tz: Tz) -> BusinessCalendar {
    calendar(tz, WeekHours::every_day(&[WorkInterval::WHOLE_DAY]), &[])
}

fn nine_to_five(tz: Tz) -> BusinessCalendar {
    calendar(tz, WeekHours::every_day(&[WorkInterval::hours(9, 17)]), &[])
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A local wall-clock time in `tz` (the earliest instant when ambiguous).
fn local(tz: Tz, y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, m, d, h, mi, 0)
        .earliest()
        .unwrap()
        .to_utc()
}

fn utc(y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, mi, 0).unwrap()
}

fn hours(h: i64) -> Duration {
    Duration::hours(h)
}

fn invalid_fields(result: Result<BusinessCalendar>) -> Vec<String> {
    match result {
        Err(Error::Invalid(fields)) => fields.into_iter().map(|f| f.field).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn try_week(week: WeekHours) -> Result<BusinessCalendar> {
    BusinessCalendar::new(
        CalendarId::new(),
        TenantId::DEFAULT,
        Name::parse("test").unwrap(),
        Berlin,
        week,
        BTreeSet::new(),
        DateTime::UNIX_EPOCH,
    )
}

#[test]
fn new_sorts_each_day() {
    let week = WeekHours {
        mon: vec![WorkInterval::hours(13, 17), WorkInterval::hours(9, 12)],
        ..WeekHours::default()
    };
    let cal = try_week(week).unwrap();
    assert_eq!(
        cal.week.mon,
        [WorkInterval::hours(9, 12), WorkInterval::hours(13, 17)]
    );
}

#[test]
fn new_rejects_bad_bounds_and_overlaps_naming_each() {
    let week = WeekHours {
        mon: vec![WorkInterval::hours(9, 12), WorkInterval::hours(11, 14)],
        tue: vec![WorkInterval::new(600, 600)],
        wed: vec![WorkInterval::new(1000, 1441)],
        thu: vec![WorkInterval::hours(9, 12), WorkInterval::hours(12, 13)],
        ..WeekHours::default()
    };
    assert_eq!(
        invalid_fields(try_week(week)),
        ["week.mon[1]", "week.tue[0]", "week.wed[0]"]
    );
}

#[test]
fn new_rejects_a_week_without_working_time() {
    assert_eq!(invalid_fields(try_week(WeekHours::default())), ["week"]);
}

#[test]
fn new_accepts_a_whole_day_and_touching_intervals() {
    let week = WeekHours {
        sun: vec![WorkInterval::WHOLE_DAY],
        mon: vec![WorkInterval::hours(0, 12), WorkInterval::hours(12, 24)],
        ..WeekHours::default()
    };
    assert!(try_week(week).is_ok());
}

#[test]
fn always_open_is_utc_around_the_clock() {
    let cal = BusinessCalendar::always_open(TenantId::DEFAULT);
    assert_eq!(cal.id.as_uuid(), Uuid::nil());
    assert_eq!(cal.name.as_str(), "Always open");
    assert_eq!(cal.timezone, Tz::UTC);
    assert_eq!(cal.updated_at, DateTime::UNIX_EPOCH);
    assert!(cal.holidays.is_empty());
    let start = utc(2024, 3, 9, 23, 17);
    assert_eq!(cal.add(start, hours(50)), start + hours(50));
    assert_eq!(cal.between(start, start + hours(50)), hours(50));
    assert!(cal.is_working(start));
}

#[test]
fn is_working_respects_interval_bounds_and_weekends() {
    let cal = office(Berlin, &[]);
    // 2024-03-04 is a Monday.
    assert!(!cal.is_working(local(Berlin, 2024, 3, 4, 8, 59)));
    assert!(cal.is_working(local(Berlin, 2024, 3, 4, 9, 0)));
    assert!(cal.is_working(local(Berlin, 2024, 3, 4, 11, 59)));
    assert!(!cal.is_working(local(Berlin, 2024, 3, 4, 12, 0)));
    assert!(cal.is_working(local(Berlin, 2024, 3, 4, 13, 0)));
    assert!(!cal.is_working(local(Berlin, 2024, 3, 4, 17, 0)));
    assert!(!cal.is_working(local(Berlin, 2024, 3, 9, 10, 0)));
}

#[test]
fn add_skips_the_lunch_break() {
    let cal = office(Berlin, &[]);
    let start = local(Berlin, 2024, 3, 4, 11, 0);
    assert_eq!(cal.add(start, hours(2)), local(Berlin, 2024, 3, 4, 14, 0));
    assert_eq!(
        cal.between(start, local(Berlin, 2024, 3, 4, 14, 0)),
        hours(2)
    );
}

#[test]
fn add_ending_exactly_at_an_interval_end_returns_that_end() {
    let cal = office(Berlin, &[]);
    let start = local(Berlin, 2024, 3, 4, 11, 0);
    assert_eq!(cal.add(start, hours(1)), local(Berlin, 2024, 3, 4, 12, 0));
    let friday = local(Berlin, 2024, 3, 8, 16, 0);
    assert_eq!(cal.add(friday, hours(1)), local(Berlin, 2024, 3, 8, 17, 0));
}

#[test]
fn add_from_outside_working_time_starts_at_the_next_interval() {
    let cal = office(Berlin, &[]);
    let saturday = local(Berlin, 2024, 3, 9, 10, 0);
    assert_eq!(
        cal.add(saturday, Duration::minutes(30)),
        local(Berlin, 2024, 3, 11, 9, 30)
    );
    let lunch = local(Berlin, 2024, 3, 4, 12, 30);
    assert_eq!(
        cal.add(lunch, Duration::minutes(30)),
        local(Berlin, 2024, 3, 4, 13, 30)
    );
}

#[test]
fn add_across_a_weekend() {
    let cal = office(Berlin, &[]);
    let friday = local(Berlin, 2024, 3, 8, 16, 0);
    assert_eq!(cal.add(friday, hours(2)), local(Berlin, 2024, 3, 11, 10, 0));
    assert_eq!(
        cal.between(friday, local(Berlin, 2024, 3, 11, 10, 0)),
        hours(2)
    );
}

#[test]
fn zero_or_negative_business_time_is_the_start() {
    let cal = office(Berlin, &[]);
    let saturday = local(Berlin, 2024, 3, 9, 10, 0);
    assert_eq!(cal.add(saturday, Duration::zero()), saturday);
    assert_eq!(cal.add(saturday, hours(-3)), saturday);
}

#[test]
fn holidays_have_no_working_time() {
    // Easter 2024: Good Friday 29 March and Easter Monday 1 April.
    let cal = office(Berlin, &[date(2024, 3, 29), date(2024, 4, 1)]);
    let thursday = local(Berlin, 2024, 3, 28, 16, 0);
    assert!(!cal.is_working(local(Berlin, 2024, 3, 29, 10, 0)));
    assert_eq!(
        cal.add(thursday, hours(2)),
        local(Berlin, 2024, 4, 2, 10, 0)
    );
    let week = cal.between(
        local(Berlin, 2024, 3, 25, 0, 0),
        local(Berlin, 2024, 4, 8, 0, 0),
    );
    assert_eq!(week, hours(7 * 8));
}

#[test]
fn between_is_zero_for_empty_or_reversed_ranges() {
    let cal = office(Berlin, &[]);
    let at = local(Berlin, 2024, 3, 4, 10, 0);
    assert_eq!(cal.between(at, at), Duration::zero());
    assert_eq!(cal.between(at + hours(1), at), Duration::zero());
}

#[test]
fn between_counts_a_week_of_office_hours() {
    let cal = office(Berlin, &[]);
    let monday = local(Berlin, 2024, 3, 4, 0, 0);
    assert_eq!(cal.between(monday, monday + Duration::days(7)), hours(35));
}

/// The working time of the local date `d` (midnight to midnight).
fn day_length(cal: &BusinessCalendar, d: NaiveDate) -> Duration {
    let tz = cal.timezone;
    let midnight = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .unwrap()
            .to_utc()
    };
    cal.between(midnight(d), midnight(d.succ_opt().unwrap()))
}

#[test]
fn around_the_clock_counts_23_and_25_hour_days_across_dst() {
    for (tz, spring, fall) in [
        (London, date(2024, 3, 31), date(2024, 10, 27)),
        (New_York, date(2024, 3, 10), date(2024, 11, 3)),
    ] {
        let cal = around_the_clock(tz);
        assert_eq!(day_length(&cal, spring), hours(23), "{tz} spring");
        assert_eq!(day_length(&cal, fall), hours(25), "{tz} fall");
        assert_eq!(
            day_length(&cal, spring.succ_opt().unwrap()),
            hours(24),
            "{tz} after spring"
        );
        // Adding real hours on an around-the-clock calendar is adding hours.
        let start = local(tz, spring.year(), spring.month(), spring.day(), 0, 30);
        assert_eq!(cal.add(start, hours(5)), start + hours(5));
    }
}

#[test]
fn nine_to_five_keeps_eight_hours_across_dst() {
    for (tz, spring, fall) in [
        (London, date(2024, 3, 31), date(2024, 10, 27)),
        (New_York, date(2024, 3, 10), date(2024, 11, 3)),
    ] {
        let cal = nine_to_five(tz);
        for d in [spring, fall] {
            assert_eq!(day_length(&cal, d), hours(8), "{tz} {d}");
            let nine = local(tz, d.year(), d.month(), d.day(), 9, 0);
            assert_eq!(
                cal.add(nine, hours(8)),
                local(tz, d.year(), d.month(), d.day(), 17, 0)
            );
            // The day before, 16:00 plus 2 hours ends at 10:00 local on the DST day.
            let before = local(tz, d.year(), d.month(), d.day() - 1, 16, 0);
            assert_eq!(
                cal.add(before, hours(2)),
                local(tz, d.year(), d.month(), d.day(), 10, 0)
            );
        }
    }
}

#[test]
fn a_start_inside_the_spring_gap_maps_to_the_end_of_the_gap() {
    // New York, 2024-03-10: 02:00 EST jumps to 03:00 EDT (07:00Z).
    let week = WeekHours::every_day(&[WorkInterval::new(150, 240)]);
    let cal = calendar(New_York, week, &[]);
    assert_eq!(day_length(&cal, date(2024, 3, 10)), hours(1));
    assert!(cal.is_working(utc(2024, 3, 10, 7, 0)));
    assert!(!cal.is_working(utc(2024, 3, 10, 6, 59)));
    // An interval wholly inside the gap counts nothing.
    let inside = calendar(
        New_York,
        WeekHours::every_day(&[WorkInterval::new(130, 170)]),
        &[],
    );
    assert_eq!(day_length(&inside, date(2024, 3, 10)), Duration::zero());
    assert_eq!(
        day_length(&inside, date(2024, 3, 11)),
        Duration::minutes(40)
    );
}

#[test]
fn an_ambiguous_start_is_the_earliest_and_an_ambiguous_end_the_latest() {
    // New York, 2024-11-03: 01:00–02:00 happens twice (EDT 05:00Z–06:00Z, EST 06:00Z–07:00Z).
    let starts = calendar(
        New_York,
        WeekHours::every_day(&[WorkInterval::new(90, 180)]),
        &[],
    );
    assert_eq!(
        day_length(&starts, date(2024, 11, 3)),
        Duration::minutes(150)
    );
    assert!(starts.is_working(utc(2024, 11, 3, 5, 30)));
    let ends = calendar(
        New_York,
        WeekHours::every_day(&[WorkInterval::new(0, 90)]),
        &[],
    );
    assert_eq!(day_length(&ends, date(2024, 11, 3)), Duration::minutes(150));
    assert!(ends.is_working(utc(2024, 11, 3, 6, 29)));
    assert!(!ends.is_working(utc(2024, 11, 3, 6, 30)));
}

#[test]
fn touching_intervals_in_the_ambiguous_hour_count_real_time_once() {
    // London, 2024-10-27: 01:00–02:00 happens twice (BST 00:00Z–01:00Z, GMT 01:00Z–02:00Z).
    let week = WeekHours::every_day(&[WorkInterval::new(0, 90), WorkInterval::new(90, 180)]);
    let cal = calendar(London, week, &[]);
    assert_eq!(day_length(&cal, date(2024, 10, 27)), hours(4));
    let start = utc(2024, 10, 26, 23, 0);
    assert_eq!(cal.add(start, hours(4)), utc(2024, 10, 27, 3, 0));
}

#[test]
fn add_saturates_at_the_search_horizon() {
    let week = WeekHours {
        mon: vec![WorkInterval::hours(9, 10)],
        ..WeekHours::default()
    };
    let start = local(Berlin, 2024, 1, 1, 0, 0);
    let mondays: Vec<NaiveDate> = date(2024, 1, 1).iter_weeks().take(52 * 12).collect();
    let cal = calendar(Berlin, week, &mondays);
    let limit = start + Duration::days(BusinessCalendar::SEARCH_HORIZON_DAYS);
    assert_eq!(cal.add(start, hours(1)), limit);
    assert_eq!(cal.add(start, hours(1000)), limit);
}

#[test]
fn a_month_of_business_time() {
    let cal = office(
        Berlin,
        &[date(2024, 5, 1), date(2024, 5, 9), date(2024, 5, 20)],
    );
    let start = local(Berlin, 2024, 4, 29, 9, 0);
    let end = cal.add(start, hours(160));
    assert_eq!(cal.between(start, end), hours(160));
    // 29–30 April: 14 hours; May: 23 weekdays less 3 holidays = 140 hours; the last 6
    // hours end on Monday 3 June at 16:00.
    assert_eq!(end, local(Berlin, 2024, 6, 3, 16, 0));
}
