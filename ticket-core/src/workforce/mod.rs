//! The workforce: when agents are meant to work and when they do.
//!
//! - [`schedule`]: an agent's planned shifts (weekly in their time zone, one-off, time
//!   off, planned breaks) and the concrete shifts they give over a range;
//! - [`shifts`]: the shifts and breaks agents actually work, as records, and the
//!   availability derived from them;
//! - [`adherence`]: scheduled against actual, per 15-minute interval, and the number of
//!   agents scheduled per interval (what staffing is compared with);
//! - [`queue`] and [`rebalance`]: pure planners over (queue, agents, loads) whose moves
//!   the desk saves.
//!
//! Everything here is pure: no store, no clock; times come in as arguments.

pub mod adherence;
pub mod queue;
pub mod rebalance;
pub mod schedule;
pub mod shifts;

pub use adherence::{
    adherence, scheduled_agents_per_interval, IntervalAdherence, IntervalStaff, INTERVAL,
};
pub use queue::{plan_queue, queue_order, QueueAssignment};
pub use rebalance::{is_working, plan_rebalance, MoveReason, RebalanceMove};
pub use schedule::{
    OneOffShift, PlannedBreak, ScheduledShift, ShiftSchedule, TimeOff, WeeklyShift,
};
pub use shifts::{BreakRecord, ShiftRecord};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A half-open span of time `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Span {
    /// First instant inside.
    pub start: DateTime<Utc>,
    /// First instant after.
    pub end: DateTime<Utc>,
}

impl Span {
    /// `[start, end)`; empty when `end <= start`.
    #[must_use]
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Self { start, end }
    }

    /// Whether it holds no instant.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// Whether `at` is inside.
    #[must_use]
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }

    /// The part shared with `other`, if any.
    #[must_use]
    pub fn intersect(&self, other: &Span) -> Option<Span> {
        let s = Span::new(self.start.max(other.start), self.end.min(other.end));
        (!s.is_empty()).then_some(s)
    }

    /// Seconds shared with `other`.
    #[must_use]
    pub fn overlap_secs(&self, other: &Span) -> i64 {
        self.intersect(other)
            .map_or(0, |s| (s.end - s.start).num_seconds())
    }

    /// What is left of `self` once every span of `cuts` is taken out, in order.
    #[must_use]
    pub fn minus(&self, cuts: &[Span]) -> Vec<Span> {
        let mut left = vec![*self];
        for cut in cuts {
            left = left
                .into_iter()
                .flat_map(|piece| {
                    let before = Span::new(piece.start, piece.end.min(cut.start));
                    let after = Span::new(piece.start.max(cut.end), piece.end);
                    [before, after].into_iter().filter(|s| !s.is_empty())
                })
                .collect();
        }
        left
    }
}
