//! The shifts agents actually work, as records: started, ended, and the breaks taken in
//! between; and the availability that follows from them (on shift and not on a break =
//! online, on a break = away, off shift = offline).

use super::Span;
use crate::account::Availability;
use crate::error::{Conflict, Error, Result};
use crate::id::{ShiftId, TenantId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The most breaks one shift records (a shift with more refuses another break).
pub const MAX_BREAKS_TAKEN: usize = 24;

/// A break taken during a shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakRecord {
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended; `None` while on it.
    pub ended_at: Option<DateTime<Utc>>,
}

/// One shift an agent worked (or is working).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftRecord {
    /// Its id.
    pub id: ShiftId,
    /// The tenant.
    pub tenant: TenantId,
    /// The agent.
    pub user: UserId,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended; `None` while on it.
    pub ended_at: Option<DateTime<Utc>>,
    /// Breaks taken, oldest first.
    pub breaks: Vec<BreakRecord>,
    /// Whether the desk ended it (the scheduled shift was over) rather than the agent.
    #[serde(default)]
    pub ended_automatically: bool,
    /// Optimistic-concurrency version, starting at 1.
    pub version: u64,
}

fn state(reason: &str) -> Error {
    Error::Conflict(Conflict::State {
        reason: reason.to_string(),
    })
}

impl ShiftRecord {
    /// A shift starting at `now`.
    #[must_use]
    pub fn start(tenant: TenantId, user: UserId, now: DateTime<Utc>) -> Self {
        Self {
            id: ShiftId::new(),
            tenant,
            user,
            started_at: now,
            ended_at: None,
            breaks: Vec::new(),
            ended_automatically: false,
            version: 1,
        }
    }

    /// Whether the shift is still going.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.ended_at.is_none()
    }

    /// Whether the agent is on a break now.
    #[must_use]
    pub fn on_break(&self) -> bool {
        self.is_open() && self.breaks.last().is_some_and(|b| b.ended_at.is_none())
    }

    /// Starts a break at `now`.
    ///
    /// # Errors
    /// [`Error::Conflict`] (`State`) when the shift ended, a break is going on, or
    /// [`MAX_BREAKS_TAKEN`] were taken.
    pub fn start_break(&mut self, now: DateTime<Utc>) -> Result<()> {
        if !self.is_open() {
            return Err(state("the shift has ended"));
        }
        if self.on_break() {
            return Err(state("already on a break"));
        }
        if self.breaks.len() >= MAX_BREAKS_TAKEN {
            return Err(state("no more breaks can be recorded in this shift"));
        }
        self.breaks.push(BreakRecord {
            started_at: now.max(self.started_at),
            ended_at: None,
        });
        self.version += 1;
        Ok(())
    }

    /// Ends the break going on at `now`.
    ///
    /// # Errors
    /// [`Error::Conflict`] (`State`) when not on a break.
    pub fn end_break(&mut self, now: DateTime<Utc>) -> Result<()> {
        if !self.on_break() {
            return Err(state("not on a break"));
        }
        if let Some(b) = self.breaks.last_mut() {
            b.ended_at = Some(now.max(b.started_at));
        }
        self.version += 1;
        Ok(())
    }

    /// Ends the shift at `now` (and the break going on, if any).
    ///
    /// # Errors
    /// [`Error::Conflict`] (`State`) when it has ended already.
    pub fn end(&mut self, now: DateTime<Utc>, automatically: bool) -> Result<()> {
        if !self.is_open() {
            return Err(state("the shift has ended"));
        }
        let end = now.max(self.started_at);
        if let Some(b) = self.breaks.last_mut().filter(|b| b.ended_at.is_none()) {
            b.ended_at = Some(end.max(b.started_at));
        }
        self.ended_at = Some(end);
        self.ended_automatically = automatically;
        self.version += 1;
        Ok(())
    }

    /// The availability this record gives its agent: online on shift, away on a break,
    /// offline once it ended.
    #[must_use]
    pub fn availability(&self) -> Availability {
        if !self.is_open() {
            Availability::Offline
        } else if self.on_break() {
            Availability::Away
        } else {
            Availability::Online
        }
    }

    /// The time actually worked (the shift minus its breaks), a shift or break still
    /// going counting until `now`.
    #[must_use]
    pub fn working(&self, now: DateTime<Utc>) -> Vec<Span> {
        let shift = Span::new(self.started_at, self.ended_at.unwrap_or(now));
        let breaks: Vec<Span> = self
            .breaks
            .iter()
            .map(|b| Span::new(b.started_at, b.ended_at.unwrap_or(now)))
            .collect();
        shift.minus(&breaks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn a_shift_moves_through_breaks_and_ends_once() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let h = Duration::hours;
        let mut s = ShiftRecord::start(TenantId::DEFAULT, UserId::new(), t0);
        assert_eq!(s.availability(), Availability::Online);
        assert!(s.end_break(t0 + h(1)).is_err(), "no break to end");
        s.start_break(t0 + h(2)).expect("break");
        assert_eq!(s.availability(), Availability::Away);
        assert!(s.start_break(t0 + h(2)).is_err(), "one break at a time");
        s.end_break(t0 + h(3)).expect("back");
        s.start_break(t0 + h(5)).expect("second break");
        s.end(t0 + h(6), false).expect("end");
        assert_eq!(s.availability(), Availability::Offline);
        assert_eq!(
            s.breaks[1].ended_at,
            Some(t0 + h(6)),
            "the end closes the break"
        );
        assert!(s.end(t0 + h(7), false).is_err());
        assert!(s.start_break(t0 + h(7)).is_err());
        assert_eq!(
            s.working(t0 + h(9)),
            vec![Span::new(t0, t0 + h(2)), Span::new(t0 + h(3), t0 + h(5))]
        );
        assert_eq!(s.version, 5, "one version per event");
    }
}
