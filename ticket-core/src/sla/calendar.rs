//! Business calendars and deadline arithmetic in business time.

use crate::error::Result;
use crate::id::{CalendarId, TenantId};
use crate::text::Name;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One working interval of a day in local wall-clock minutes: `[start, end)`, with
/// `0 <= start < end <= 1440` (1440 = midnight at the end of the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WorkInterval {
    /// Start, minutes after local midnight.
    pub start_minute: u16,
    /// End (exclusive), minutes after local midnight.
    pub end_minute: u16,
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
    /// Builds a calendar, checking every interval (bounds, order, no overlap) and that the
    /// week has some working time.
    ///
    /// # Errors
    /// [`crate::Error::Invalid`] naming the bad day (`week.mon[1]`…).
    pub fn new(
        id: CalendarId,
        tenant: TenantId,
        name: Name,
        timezone: Tz,
        week: WeekHours,
        holidays: BTreeSet<NaiveDate>,
        updated_at: DateTime<Utc>,
    ) -> Result<Self> {
        let _ = (&id, &tenant, &name, &timezone, &week, &holidays, &updated_at);
        todo!("sla helper")
    }

    /// Open around the clock, every day, in UTC: what applies when a policy names no
    /// calendar.
    #[must_use]
    pub fn always_open(tenant: TenantId) -> Self {
        let _ = tenant;
        todo!("sla helper")
    }

    /// Whether `at` falls in working time.
    #[must_use]
    pub fn is_working(&self, at: DateTime<Utc>) -> bool {
        let _ = at;
        todo!("sla helper")
    }

    /// The instant at which `business` working time has elapsed after `start`. Zero
    /// business time gives `start` itself.
    #[must_use]
    pub fn add(&self, start: DateTime<Utc>, business: Duration) -> DateTime<Utc> {
        let _ = (start, business);
        todo!("sla helper")
    }

    /// The working time in `[from, to)` (zero when `to <= from`).
    #[must_use]
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        let _ = (from, to);
        todo!("sla helper")
    }
}
