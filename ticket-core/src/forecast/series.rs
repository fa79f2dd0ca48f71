//! [`HourlySeries`]: ticket counts per UTC hour, the input of every forecast.

use crate::error::{Error, Result};
use chrono::{DateTime, Duration, DurationRound as _, Utc};
use serde::{Deserialize, Serialize};

/// Hours in a day.
pub const DAY: usize = 24;
/// Hours in a week: the season of the weekly models.
pub const WEEK: usize = 168;

/// Counts (or rates) per consecutive UTC hour, starting on the hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HourlySeries {
    start: DateTime<Utc>,
    values: Vec<f64>,
}

/// `at` rounded down to its UTC hour.
#[must_use]
pub fn floor_hour(at: DateTime<Utc>) -> DateTime<Utc> {
    // Truncating to a whole hour cannot overflow for any representable instant.
    at.duration_trunc(Duration::hours(1)).unwrap_or(at)
}

/// `at` plus `hours` hours, saturating at the last representable instant (a series is
/// never near it, but the arithmetic must not panic).
#[must_use]
pub fn after_hours(at: DateTime<Utc>, hours: usize) -> DateTime<Utc> {
    i64::try_from(hours)
        .ok()
        .and_then(|h| h.checked_mul(3600))
        .and_then(Duration::try_seconds)
        .and_then(|d| at.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The hour of the week of `at` in UTC: 0 is Monday 00:00–01:00, 167 Sunday 23:00–24:00.
#[must_use]
pub fn hour_of_week(at: DateTime<Utc>) -> usize {
    let hours = at.timestamp().div_euclid(3600);
    // 1970-01-01 was a Thursday: day 3 of a Monday-based week.
    let index = (hours + 3 * 24).rem_euclid(WEEK as i64);
    usize::try_from(index).unwrap_or(0)
}

impl HourlySeries {
    /// A series whose first value is the hour starting at `start`.
    ///
    /// # Errors
    /// [`Error::Invalid`] (`start`) when `start` is not on a whole UTC hour, (`values`)
    /// when a value is negative or not finite.
    pub fn new(start: DateTime<Utc>, values: Vec<f64>) -> Result<Self> {
        if floor_hour(start) != start {
            return Err(Error::invalid("start", "must be on a whole UTC hour"));
        }
        if values.iter().any(|v| !v.is_finite() || *v < 0.0) {
            return Err(Error::invalid("values", "must be finite and not negative"));
        }
        Ok(Self { start, values })
    }

    /// The hours from `from` (rounded down to its hour) up to `to` (exclusive, rounded
    /// up), each with the count `counts` gives for it (by the hour's start) and zero
    /// otherwise. Counts outside the range are ignored. One value per hour of the range
    /// is allocated: callers bound the range (the desk reads at most 26 weeks).
    #[must_use]
    pub fn from_counts(
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        counts: impl IntoIterator<Item = (DateTime<Utc>, u64)>,
    ) -> Self {
        let start = floor_hour(from);
        let end = if floor_hour(to) == to {
            to
        } else {
            after_hours(floor_hour(to), 1)
        };
        let len = usize::try_from((end - start).num_hours()).unwrap_or(0);
        let mut values = vec![0.0; len];
        for (hour, n) in counts {
            let offset = (floor_hour(hour) - start).num_hours();
            if let Some(v) = usize::try_from(offset).ok().and_then(|i| values.get_mut(i)) {
                *v += n as f64;
            }
        }
        Self { start, values }
    }

    /// The start of the first hour.
    #[must_use]
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// The end of the last hour (exclusive).
    #[must_use]
    pub fn end(&self) -> DateTime<Utc> {
        self.hour(self.values.len())
    }

    /// The values, one per hour.
    #[must_use]
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// How many hours.
    #[must_use]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the series has no hour.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The start of hour `index` (which may lie past the end: forecasts use it).
    #[must_use]
    pub fn hour(&self, index: usize) -> DateTime<Utc> {
        after_hours(self.start, index)
    }

    /// The series from its first non-zero hour on (a desk that opened recently has no
    /// history before, which is not the same as a quiet week). Empty when every value is
    /// zero.
    #[must_use]
    pub fn from_first_activity(&self) -> Self {
        let first = self
            .values
            .iter()
            .position(|v| *v > 0.0)
            .unwrap_or(self.values.len());
        Self {
            start: self.hour(first),
            values: self.values[first..].to_vec(),
        }
    }

    /// The first `len` hours (all when shorter).
    #[must_use]
    pub fn head(&self, len: usize) -> Self {
        Self {
            start: self.start,
            values: self.values[..len.min(self.values.len())].to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn hour_of_week_starts_on_monday_midnight_utc() {
        let monday = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
        assert_eq!(hour_of_week(monday), 0);
        assert_eq!(hour_of_week(monday + Duration::minutes(59)), 0);
        assert_eq!(hour_of_week(monday + Duration::hours(25)), 25);
        assert_eq!(hour_of_week(monday - Duration::hours(1)), 167);
    }

    #[test]
    fn from_counts_fills_missing_hours_with_zero_and_ignores_outsiders() {
        let from = Utc.with_ymd_and_hms(2026, 11, 30, 8, 30, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2026, 11, 30, 11, 10, 0).unwrap();
        let h = |hour| Utc.with_ymd_and_hms(2026, 11, 30, hour, 0, 0).unwrap();
        let s = HourlySeries::from_counts(from, to, [(h(9), 4), (h(11), 2), (h(12), 7)]);
        assert_eq!(s.start(), h(8));
        assert_eq!(s.values(), &[0.0, 4.0, 0.0, 2.0]);
        assert_eq!(s.end(), h(12));
        let active = s.from_first_activity();
        assert_eq!((active.start(), active.len()), (h(9), 3));
    }

    #[test]
    fn new_refuses_an_unaligned_start_and_negative_values() {
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 8, 30, 0).unwrap();
        assert!(HourlySeries::new(at, vec![1.0]).is_err());
        assert!(HourlySeries::new(floor_hour(at), vec![-1.0]).is_err());
        assert!(HourlySeries::new(floor_hour(at), vec![f64::NAN]).is_err());
    }
}
