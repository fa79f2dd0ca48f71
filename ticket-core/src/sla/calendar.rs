//! Business calendars and deadline arithmetic in business time.
//!
//! Working intervals are local wall-clock time in the calendar's time zone. Each local
//! date that is not a holiday contributes its weekday's intervals, mapped to real (UTC)
//! instants:
//!
//! - `end_minute == 1440` is the next local midnight;
//! - a local time inside a spring-forward gap maps to the first instant after the gap;
//! - an ambiguous local time (fall-back) maps to the earliest instant when it starts an
//!   interval and to the latest instant when it ends one.
//!
//! So a 24-hour calendar counts 23 hours on a spring-forward day and 25 hours on a
//! fall-back day, and an interval entirely inside a gap counts nothing. Where the mapping
//! makes two intervals overlap in real time, the overlap counts once.
//!
//! Arithmetic walks the calendar day by day, never minute by minute.
//! [`BusinessCalendar::add`] searches at most [`BusinessCalendar::SEARCH_HORIZON_DAYS`]
//! ahead and saturates there (only a calendar made mostly of holidays gets that far).

mod spans;
#[cfg(test)]
mod tests;

use crate::error::{Result, Validator};
use crate::id::{CalendarId, TenantId};
use crate::text::Name;
use chrono::{DateTime, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use uuid::Uuid;

/// Minutes in a day: the largest `end_minute`.
const MINUTES_PER_DAY: u16 = 1440;

/// One working interval of a day in local wall-clock minutes: `[start, end)`, with
/// `0 <= start < end <= 1440` (1440 = midnight at the end of the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WorkInterval {
    /// Start, minutes after local midnight.
    pub start_minute: u16,
    /// End (exclusive), minutes after local midnight.
    pub end_minute: u16,
}

impl WorkInterval {
    /// The interval `[start_minute, end_minute)` (checked by [`BusinessCalendar::new`]).
    #[must_use]
    pub const fn new(start_minute: u16, end_minute: u16) -> Self {
        Self {
            start_minute,
            end_minute,
        }
    }

    /// The interval from `start_hour:00` to `end_hour:00` (checked by
    /// [`BusinessCalendar::new`]).
    #[must_use]
    pub const fn hours(start_hour: u16, end_hour: u16) -> Self {
        Self::new(start_hour * 60, end_hour * 60)
    }

    /// The whole day, `[0, 1440)`.
    pub const WHOLE_DAY: Self = Self::new(0, MINUTES_PER_DAY);

    /// Whether the bounds hold: `start < end <= 1440`.
    #[must_use]
    pub fn is_valid(self) -> bool {
        self.start_minute < self.end_minute && self.end_minute <= MINUTES_PER_DAY
    }
}

/// Working intervals per weekday (several per day, so a lunch break is expressible).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct WeekHours {
    /// Monday.
    pub mon: Vec<WorkInterval>,
    /// Tuesday.
    pub tue: Vec<WorkInterval>,
    /// Wednesday.
    pub wed: Vec<WorkInterval>,
    /// Thursday.
    pub thu: Vec<WorkInterval>,
    /// Friday.
    pub fri: Vec<WorkInterval>,
    /// Saturday.
    pub sat: Vec<WorkInterval>,
    /// Sunday.
    pub sun: Vec<WorkInterval>,
}

impl WeekHours {
    /// The same intervals Monday to Friday, nothing at the weekend.
    #[must_use]
    pub fn weekdays(intervals: &[WorkInterval]) -> Self {
        let day = intervals.to_vec();
        Self {
            mon: day.clone(),
            tue: day.clone(),
            wed: day.clone(),
            thu: day.clone(),
            fri: day,
            ..Self::default()
        }
    }

    /// The same intervals every day of the week.
    #[must_use]
    pub fn every_day(intervals: &[WorkInterval]) -> Self {
        let day = intervals.to_vec();
        Self {
            sat: day.clone(),
            sun: day,
            ..Self::weekdays(intervals)
        }
    }

    /// The intervals of `day`.
    #[must_use]
    pub fn on(&self, day: Weekday) -> &[WorkInterval] {
        match day {
            Weekday::Mon => &self.mon,
            Weekday::Tue => &self.tue,
            Weekday::Wed => &self.wed,
            Weekday::Thu => &self.thu,
            Weekday::Fri => &self.fri,
            Weekday::Sat => &self.sat,
            Weekday::Sun => &self.sun,
        }
    }

    /// Each day with its wire name, Monday first.
    fn days_mut(&mut self) -> [(&'static str, &mut Vec<WorkInterval>); 7] {
        [
            ("mon", &mut self.mon),
            ("tue", &mut self.tue),
            ("wed", &mut self.wed),
            ("thu", &mut self.thu),
            ("fri", &mut self.fri),
            ("sat", &mut self.sat),
            ("sun", &mut self.sun),
        ]
    }

    /// Sorts every day and checks bounds, overlaps and that some time is worked.
    fn validated(mut self) -> Result<Self> {
        let mut v = Validator::new();
        let mut worked = false;
        for (day, intervals) in self.days_mut() {
            intervals.sort_unstable();
            worked |= !intervals.is_empty();
            check_day(&mut v, day, intervals);
        }
        if !worked {
            v.push("week", "must have some working time");
        }
        v.finish().map(|()| self)
    }
}

/// Records the bad intervals of one (sorted) day.
fn check_day(v: &mut Validator, day: &str, intervals: &[WorkInterval]) {
    for (i, interval) in intervals.iter().enumerate() {
        let field = format!("week.{day}[{i}]");
        if !interval.is_valid() {
            v.push(field, "needs start_minute < end_minute <= 1440");
        } else if i > 0 && interval.start_minute < intervals[i - 1].end_minute {
            v.push(field, "overlaps the previous interval");
        }
    }
}

/// A business calendar: an IANA time zone, working intervals per weekday, and holidays
/// (local dates with no working time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessCalendar {
    /// Its id.
    pub id: CalendarId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its name.
    pub name: Name,
    /// The IANA time zone the hours are in.
    pub timezone: Tz,
    /// Working hours.
    pub week: WeekHours,
    /// Local dates without working time.
    pub holidays: BTreeSet<NaiveDate>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl BusinessCalendar {
    /// How far [`BusinessCalendar::add`] searches for working time, in days (about ten
    /// years).
    pub const SEARCH_HORIZON_DAYS: i64 = 3653;

    /// The name of [`BusinessCalendar::always_open`].
    pub const ALWAYS_OPEN_NAME: &'static str = "Always open";

    /// Builds a calendar, checking every interval (bounds, order, no overlap) and that the
    /// week has some working time. The intervals of each day are sorted first, so indices
    /// in errors refer to the sorted day.
    ///
    /// # Errors
    /// [`crate::Error::Invalid`] naming every bad interval (`week.mon[1]`…), or `week`
    /// when no day has working time.
    pub fn new(
        id: CalendarId,
        tenant: TenantId,
        name: Name,
        timezone: Tz,
        week: WeekHours,
        holidays: BTreeSet<NaiveDate>,
        updated_at: DateTime<Utc>,
    ) -> Result<Self> {
        Ok(Self {
            id,
            tenant,
            name,
            timezone,
            week: week.validated()?,
            holidays,
            updated_at,
        })
    }

    /// Open around the clock, every day, in UTC: what applies when a policy names no
    /// calendar. Its id is the nil UUID and `updated_at` the Unix epoch.
    #[must_use]
    pub fn always_open(tenant: TenantId) -> Self {
        Self {
            id: CalendarId::from_uuid(Uuid::nil()),
            tenant,
            name: always_open_name(),
            timezone: Tz::UTC,
            week: WeekHours::every_day(&[WorkInterval::WHOLE_DAY]),
            holidays: BTreeSet::new(),
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    /// Whether `at` falls in working time.
    #[must_use]
    pub fn is_working(&self, at: DateTime<Utc>) -> bool {
        let just_after = at
            .checked_add_signed(Duration::nanoseconds(1))
            .unwrap_or(at);
        self.spans(at, just_after).next().is_some()
    }

    /// The instant at which `business` working time has elapsed after `start`. Zero or
    /// negative business time gives `start` itself. When the time runs out exactly at the
    /// end of a working interval, that end is returned (not the next start).
    ///
    /// Saturates at `start` + [`BusinessCalendar::SEARCH_HORIZON_DAYS`] when the calendar
    /// holds less working time than `business` before then.
    #[must_use]
    pub fn add(&self, start: DateTime<Utc>, business: Duration) -> DateTime<Utc> {
        if business <= Duration::zero() {
            return start;
        }
        let limit = start
            .checked_add_signed(Duration::days(Self::SEARCH_HORIZON_DAYS))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let mut remaining = business;
        for (from, to) in self.spans(start, limit) {
            let length = to - from;
            if remaining <= length {
                return from + remaining;
            }
            remaining -= length;
        }
        limit
    }

    /// The working time in `[from, to)` (zero when `to <= from`).
    #[must_use]
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        self.spans(from, to).map(|(start, end)| end - start).sum()
    }
}

/// The name of the always-open calendar.
fn always_open_name() -> Name {
    Name::known(BusinessCalendar::ALWAYS_OPEN_NAME)
}
