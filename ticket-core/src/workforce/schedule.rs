//! An agent's planned shifts: recurring weekly shifts in a time zone, one-off shifts,
//! time off, and the breaks planned within shifts; and the concrete shifts they give
//! over a range of time.

use super::Span;
use crate::error::{Error, Result, Validator};
use crate::id::{TenantId, UserId};
use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The most weekly shifts a schedule holds.
pub const MAX_WEEKLY: usize = 50;
/// The most one-off shifts a schedule holds.
pub const MAX_ONE_OFF: usize = 200;
/// The most time-off entries a schedule holds.
pub const MAX_TIME_OFF: usize = 200;
/// The most breaks planned within one shift.
pub const MAX_BREAKS: usize = 10;
/// The longest range [`ShiftSchedule::shifts_between`] expands.
pub const MAX_RANGE_DAYS: i64 = 62;

/// A break planned within a weekly shift, in the schedule's local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedBreak {
    /// Local start (the day after the shift's start day when earlier than the shift's
    /// start time: a night shift's break after midnight).
    pub start: NaiveTime,
    /// Length in minutes (1–240).
    pub minutes: u32,
}

/// A shift that recurs every week, in the schedule's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyShift {
    /// The day it starts.
    pub weekday: Weekday,
    /// Local start time.
    pub start: NaiveTime,
    /// Local end time; at or before `start` means the next day (a night shift).
    pub end: NaiveTime,
    /// Breaks planned within it.
    #[serde(default)]
    pub breaks: Vec<PlannedBreak>,
}

/// A shift worked once, at absolute times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneOffShift {
    /// Start.
    pub start: DateTime<Utc>,
    /// End (after `start`, at most 24 hours later).
    pub end: DateTime<Utc>,
    /// Breaks planned within it.
    #[serde(default)]
    pub breaks: Vec<Span>,
}

/// Time the agent does not work (holiday, sickness): it removes whatever scheduled time
/// it overlaps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeOff {
    /// Start.
    pub start: DateTime<Utc>,
    /// End (after `start`).
    pub end: DateTime<Utc>,
    /// Why (free text, at most 200 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

/// The planned shifts of one agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShiftSchedule {
    /// The tenant.
    pub tenant: TenantId,
    /// The agent.
    pub user: UserId,
    /// The time zone of the weekly shifts (the agent's or their team's).
    pub time_zone: Tz,
    /// Shifts every week.
    #[serde(default)]
    pub weekly: Vec<WeeklyShift>,
    /// Shifts on given dates.
    #[serde(default)]
    pub one_off: Vec<OneOffShift>,
    /// Time off.
    #[serde(default)]
    pub time_off: Vec<TimeOff>,
    /// Optimistic-concurrency version, starting at 1.
    pub version: u64,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// One concrete scheduled shift: when it starts and ends and its planned breaks (time
/// off already taken out, so a shift may come in pieces).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledShift {
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// Planned breaks within it, in order.
    pub breaks: Vec<Span>,
}

impl ScheduledShift {
    /// The working time: the shift minus its breaks.
    #[must_use]
    pub fn working(&self) -> Vec<Span> {
        Span::new(self.start, self.end).minus(&self.breaks)
    }
}

impl ShiftSchedule {
    /// An empty schedule in `time_zone`.
    #[must_use]
    pub fn new(tenant: TenantId, user: UserId, time_zone: Tz, now: DateTime<Utc>) -> Self {
        Self {
            tenant,
            user,
            time_zone,
            weekly: Vec::new(),
            one_off: Vec::new(),
            time_off: Vec::new(),
            version: 1,
            updated_at: now,
        }
    }

    /// Checks the bounds: sizes, ends after starts, breaks inside their shift.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming every bad field.
    pub fn validate(&self) -> Result<()> {
        let mut v = Validator::new();
        if self.weekly.len() > MAX_WEEKLY {
            v.push("weekly", format!("at most {MAX_WEEKLY} weekly shifts"));
        }
        if self.one_off.len() > MAX_ONE_OFF {
            v.push("one_off", format!("at most {MAX_ONE_OFF} one-off shifts"));
        }
        if self.time_off.len() > MAX_TIME_OFF {
            v.push("time_off", format!("at most {MAX_TIME_OFF} entries"));
        }
        for (i, w) in self.weekly.iter().enumerate() {
            if w.breaks.len() > MAX_BREAKS {
                v.push(
                    format!("weekly[{i}].breaks"),
                    format!("at most {MAX_BREAKS}"),
                );
            }
            let len = weekly_length(w);
            for (j, b) in w.breaks.iter().enumerate() {
                let offset = local_offset(w.start, b.start);
                if !(1..=240).contains(&b.minutes)
                    || offset + Duration::minutes(i64::from(b.minutes)) > len
                {
                    v.push(
                        format!("weekly[{i}].breaks[{j}]"),
                        "1 to 240 minutes, within the shift",
                    );
                }
            }
        }
        for (i, o) in self.one_off.iter().enumerate() {
            if o.end <= o.start || o.end - o.start > Duration::hours(24) {
                v.push(
                    format!("one_off[{i}]"),
                    "ends after it starts, within 24 hours",
                );
            }
            if o.breaks.len() > MAX_BREAKS {
                v.push(
                    format!("one_off[{i}].breaks"),
                    format!("at most {MAX_BREAKS}"),
                );
            }
            if o.breaks
                .iter()
                .any(|b| b.is_empty() || b.start < o.start || b.end > o.end)
            {
                v.push(format!("one_off[{i}].breaks"), "each within the shift");
            }
        }
        for (i, t) in self.time_off.iter().enumerate() {
            if t.end <= t.start {
                v.push(format!("time_off[{i}]"), "ends after it starts");
            }
            if t.reason.as_ref().is_some_and(|r| r.chars().count() > 200) {
                v.push(format!("time_off[{i}].reason"), "at most 200 characters");
            }
        }
        v.finish()
    }

    /// The concrete shifts overlapping `range`, in start order: the weekly shifts of
    /// every local day around the range (DST-aware: a start in a spring-forward gap
    /// moves to the first instant after it), then the one-off shifts, each with time off
    /// taken out. Shifts are returned whole (not clipped to `range`).
    ///
    /// # Errors
    /// [`Error::Invalid`] (`range`) when the range is longer than [`MAX_RANGE_DAYS`].
    pub fn shifts_between(&self, range: Span) -> Result<Vec<ScheduledShift>> {
        if range.end - range.start > Duration::days(MAX_RANGE_DAYS) {
            return Err(Error::invalid(
                "range",
                format!("at most {MAX_RANGE_DAYS} days"),
            ));
        }
        let mut out = Vec::new();
        if range.is_empty() {
            return Ok(out);
        }
        let tz = self.time_zone;
        // A night shift that started the local day before the range still overlaps it.
        let first = range.start.with_timezone(&tz).date_naive() - Duration::days(1);
        let last = range.end.with_timezone(&tz).date_naive();
        let mut day = first;
        while day <= last {
            for w in self.weekly.iter().filter(|w| w.weekday == day.weekday()) {
                out.push(weekly_on(tz, day, w));
            }
            day += Duration::days(1);
        }
        out.extend(self.one_off.iter().map(|o| ScheduledShift {
            start: o.start,
            end: o.end,
            breaks: o.breaks.clone(),
        }));
        let off: Vec<Span> = self
            .time_off
            .iter()
            .map(|t| Span::new(t.start, t.end))
            .collect();
        let mut shifts: Vec<ScheduledShift> = out
            .into_iter()
            .flat_map(|s| {
                let breaks = s.breaks.clone();
                Span::new(s.start, s.end)
                    .minus(&off)
                    .into_iter()
                    .map(move |piece| ScheduledShift {
                        start: piece.start,
                        end: piece.end,
                        breaks: breaks.iter().filter_map(|b| b.intersect(&piece)).collect(),
                    })
            })
            .filter(|s| Span::new(s.start, s.end).intersect(&range).is_some())
            .collect();
        shifts.sort_by_key(|s| (s.start, s.end));
        Ok(shifts)
    }

    /// Whether the agent is scheduled to work at `at` (on a shift, not on a planned
    /// break).
    ///
    /// # Errors
    /// As [`ShiftSchedule::shifts_between`] (never for one instant).
    pub fn is_scheduled_at(&self, at: DateTime<Utc>) -> Result<bool> {
        let probe = Span::new(at, at + Duration::seconds(1));
        Ok(self
            .shifts_between(probe)?
            .iter()
            .any(|s| s.working().iter().any(|w| w.contains(at))))
    }
}

/// The length of a weekly shift (a day when the end equals the start).
fn weekly_length(w: &WeeklyShift) -> Duration {
    let len = local_offset(w.start, w.end);
    if len.is_zero() {
        Duration::days(1)
    } else {
        len
    }
}

/// How long after `from` the local time `to` comes (wrapping over midnight).
fn local_offset(from: NaiveTime, to: NaiveTime) -> Duration {
    let d = to - from;
    if d < Duration::zero() {
        d + Duration::days(1)
    } else {
        d
    }
}

/// The instant of a local date and time; in a DST gap, the first instant after it; in a
/// fold, the earlier one.
fn instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local;
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            return t.with_timezone(&Utc);
        }
        probe += Duration::minutes(30);
    }
    // No zone has a gap over two hours; fall back to reading the wall time as UTC.
    Utc.from_utc_datetime(&local)
}

/// The weekly shift `w` on local day `day`.
fn weekly_on(tz: Tz, day: NaiveDate, w: &WeeklyShift) -> ScheduledShift {
    let start_local = day.and_time(w.start);
    let end_local = start_local + weekly_length(w);
    let breaks = w
        .breaks
        .iter()
        .map(|b| {
            let s = start_local + local_offset(w.start, b.start);
            Span::new(
                instant(tz, s),
                instant(tz, s + Duration::minutes(i64::from(b.minutes))),
            )
        })
        .collect();
    ScheduledShift {
        start: instant(tz, start_local),
        end: instant(tz, end_local),
        breaks,
    }
}

#[cfg(test)]
mod tests;
