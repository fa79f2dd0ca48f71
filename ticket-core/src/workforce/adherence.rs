//! Scheduled against actual, per 15-minute interval: how many agents a schedule puts on
//! the floor (what staffing needs are compared with), and how closely the shifts worked
//! followed the schedule (adherence).

use super::schedule::ShiftSchedule;
use super::shifts::ShiftRecord;
use super::Span;
use crate::error::{Error, Result};
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::{Deserialize, Serialize};

/// The length of one interval.
pub const INTERVAL: Duration = Duration::minutes(15);

/// The agents scheduled in one interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IntervalStaff {
    /// The interval's start (a multiple of 15 minutes since the epoch).
    pub start: DateTime<Utc>,
    /// Agents scheduled, on shift and not on a planned break, as full-interval
    /// equivalents: an agent on for the whole interval counts 1, one on for 5 of its 15
    /// minutes counts 1/3. The sum over agents.
    pub agents: f64,
}

/// Scheduled and actual working time of one interval (of one agent or summed over a
/// team), in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntervalAdherence {
    /// The interval's start.
    pub start: DateTime<Utc>,
    /// Seconds scheduled to work (on shift, not on a planned break).
    pub scheduled_secs: u32,
    /// Seconds actually working (on a recorded shift, not on a recorded break).
    pub actual_secs: u32,
    /// Seconds both scheduled and working: the time in adherence.
    pub adherent_secs: u32,
}

impl IntervalAdherence {
    /// Time in adherence ÷ scheduled time; `None` when nothing was scheduled.
    #[must_use]
    pub fn ratio(&self) -> Option<f64> {
        (self.scheduled_secs > 0)
            .then(|| f64::from(self.adherent_secs) / f64::from(self.scheduled_secs))
    }
}

/// The 15-minute intervals covering `range` (its start rounded down to an interval
/// boundary).
///
/// # Errors
/// [`Error::Invalid`] (`range`) past the schedule's range limit.
fn intervals(range: Span) -> Result<Vec<Span>> {
    if range.end - range.start > Duration::days(super::schedule::MAX_RANGE_DAYS) {
        return Err(Error::invalid(
            "range",
            format!("at most {} days", super::schedule::MAX_RANGE_DAYS),
        ));
    }
    let mut at = range
        .start
        .duration_trunc(INTERVAL)
        .map_err(|_| Error::invalid("range", "out of range"))?;
    let mut out = Vec::new();
    while at < range.end {
        out.push(Span::new(at, at + INTERVAL));
        at += INTERVAL;
    }
    Ok(out)
}

/// Seconds of `spans` within `interval`.
fn secs_in(spans: &[Span], interval: &Span) -> i64 {
    spans.iter().map(|s| s.overlap_secs(interval)).sum()
}

/// Seconds shared by two sets of disjoint spans within `interval`.
fn shared_secs(a: &[Span], b: &[Span], interval: &Span) -> i64 {
    a.iter()
        .filter_map(|x| x.intersect(interval))
        .map(|x| b.iter().map(|y| x.overlap_secs(y)).sum::<i64>())
        .sum()
}

fn secs(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// The working time a schedule plans within `range`.
fn scheduled_working(schedule: &ShiftSchedule, range: Span) -> Result<Vec<Span>> {
    Ok(schedule
        .shifts_between(range)?
        .iter()
        .flat_map(super::schedule::ScheduledShift::working)
        .collect())
}

/// How many agents `schedules` put to work in each 15-minute interval of `range`: on a
/// scheduled shift and not on a planned break, time off taken out (see
/// [`IntervalStaff::agents`] for partial intervals). Pass the schedules of one team's
/// agents for that team's figure. This is the supply that staffing needs (e.g. from an
/// Erlang C forecast, also per 15-minute interval) are compared with.
///
/// # Errors
/// [`Error::Invalid`] (`range`) when `range` is longer than
/// [`MAX_RANGE_DAYS`](super::schedule::MAX_RANGE_DAYS).
pub fn scheduled_agents_per_interval(
    schedules: &[ShiftSchedule],
    range: Span,
) -> Result<Vec<IntervalStaff>> {
    let slots = intervals(range)?;
    let mut out: Vec<IntervalStaff> = slots
        .iter()
        .map(|s| IntervalStaff {
            start: s.start,
            agents: 0.0,
        })
        .collect();
    let len = INTERVAL.num_seconds() as f64;
    for schedule in schedules {
        let working = scheduled_working(schedule, range)?;
        for (slot, staff) in slots.iter().zip(out.iter_mut()) {
            staff.agents += secs_in(&working, slot) as f64 / len;
        }
    }
    Ok(out)
}

/// Adherence per 15-minute interval of `range`, summed over the agents given: each
/// agent's schedule (if any) against their recorded shifts (those still going count
/// until `now`). One agent gives their own adherence; a team's agents give the team's.
///
/// # Errors
/// [`Error::Invalid`] (`range`) when `range` is longer than
/// [`MAX_RANGE_DAYS`](super::schedule::MAX_RANGE_DAYS).
pub fn adherence(
    agents: &[(Option<&ShiftSchedule>, &[ShiftRecord])],
    range: Span,
    now: DateTime<Utc>,
) -> Result<Vec<IntervalAdherence>> {
    let slots = intervals(range)?;
    let mut out: Vec<IntervalAdherence> = slots
        .iter()
        .map(|s| IntervalAdherence {
            start: s.start,
            scheduled_secs: 0,
            actual_secs: 0,
            adherent_secs: 0,
        })
        .collect();
    for (schedule, records) in agents {
        let planned = match schedule {
            Some(s) => scheduled_working(s, range)?,
            None => Vec::new(),
        };
        let worked: Vec<Span> = records.iter().flat_map(|r| r.working(now)).collect();
        for (slot, a) in slots.iter().zip(out.iter_mut()) {
            a.scheduled_secs = a
                .scheduled_secs
                .saturating_add(secs(secs_in(&planned, slot)));
            a.actual_secs = a.actual_secs.saturating_add(secs(secs_in(&worked, slot)));
            a.adherent_secs = a
                .adherent_secs
                .saturating_add(secs(shared_secs(&planned, &worked, slot)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{TenantId, UserId};
    use crate::workforce::schedule::OneOffShift;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().expect("an RFC 3339 instant")
    }

    fn one_off(start: &str, end: &str, breaks: Vec<Span>) -> ShiftSchedule {
        let mut s = ShiftSchedule::new(
            TenantId::DEFAULT,
            UserId::new(),
            chrono_tz::UTC,
            t("2026-01-01T00:00:00Z"),
        );
        s.one_off.push(OneOffShift {
            start: t(start),
            end: t(end),
            breaks,
        });
        s
    }

    #[test]
    fn scheduled_agents_count_partial_intervals_and_skip_breaks() {
        let a = one_off(
            "2026-01-05T09:00:00Z",
            "2026-01-05T10:00:00Z",
            vec![Span::new(
                t("2026-01-05T09:15:00Z"),
                t("2026-01-05T09:30:00Z"),
            )],
        );
        let b = one_off("2026-01-05T09:05:00Z", "2026-01-05T09:50:00Z", vec![]);
        let range = Span::new(t("2026-01-05T09:00:00Z"), t("2026-01-05T10:00:00Z"));
        let staff = scheduled_agents_per_interval(&[a, b], range).expect("staff");
        // In thirds of an interval: 5/3, 3/3, 6/3, 4/3.
        let thirds: Vec<f64> = staff.iter().map(|s| (s.agents * 3.0).round()).collect();
        assert_eq!(thirds, [5.0, 3.0, 6.0, 4.0]);
        assert_eq!(staff[1].start, t("2026-01-05T09:15:00Z"));
    }

    #[test]
    fn adherence_compares_the_schedule_with_the_shift_worked() {
        let plan = one_off("2026-01-05T09:00:00Z", "2026-01-05T10:00:00Z", vec![]);
        // Started 10 minutes late, left 15 minutes early.
        let mut worked = ShiftRecord::start(plan.tenant, plan.user, t("2026-01-05T09:10:00Z"));
        worked.end(t("2026-01-05T09:45:00Z"), false).expect("end");
        let range = Span::new(t("2026-01-05T09:00:00Z"), t("2026-01-05T10:00:00Z"));
        let records = [worked];
        let a = adherence(&[(Some(&plan), &records)], range, t("2026-01-05T12:00:00Z"))
            .expect("adherence");
        assert_eq!(a.len(), 4);
        assert_eq!(a[0].scheduled_secs, 900);
        assert_eq!(a[0].adherent_secs, 300);
        assert_eq!(a[3].actual_secs, 0);
        assert_eq!(a[1].ratio(), Some(1.0));
        let total: u32 = a.iter().map(|i| i.adherent_secs).sum();
        assert_eq!(total, 35 * 60);
    }
}
