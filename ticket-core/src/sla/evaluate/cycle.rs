//! One cycle of one target: business time counted while the SLA clock runs.

use super::{TargetState, TargetStatus};
use crate::event::SlaTarget;
use crate::sla::BusinessCalendar;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A target and cycle, as SLA events name them.
pub(super) type CycleKey = (SlaTarget, u32);

/// How a cycle ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum End {
    /// Achieved at this instant.
    Met(DateTime<Utc>),
    /// No longer applies, from this instant.
    Cancelled(DateTime<Utc>),
}

impl End {
    fn at(self) -> DateTime<Utc> {
        match self {
            Self::Met(at) | Self::Cancelled(at) => at,
        }
    }
}

/// What judging a cycle needs besides the cycle itself.
pub(super) struct Judge<'a> {
    /// The business calendar.
    pub calendar: &'a BusinessCalendar,
    /// The evaluation instant.
    pub now: DateTime<Utc>,
    /// The warning threshold, in percent of the target.
    pub warn_at_percent: u8,
    /// Target and cycle of every `SlaWarning` in history.
    pub warned: &'a BTreeSet<CycleKey>,
    /// Target and cycle of every `SlaBreached` in history.
    pub breached: &'a BTreeSet<CycleKey>,
    /// When the policy or its calendar last changed: a cycle that ended before then
    /// keeps the verdict recorded under the terms in force when it ended.
    pub terms_changed_at: DateTime<Utc>,
}

/// One cycle of one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Cycle {
    target: SlaTarget,
    number: u32,
    started_at: DateTime<Utc>,
    target_secs: i64,
    /// Business time counted before `resumed_at`.
    #[serde(with = "nanos")]
    elapsed: Duration,
    /// When the clock last started running for this cycle; `None` while not running.
    resumed_at: Option<DateTime<Utc>>,
    end: Option<End>,
}

impl Cycle {
    /// A cycle started at `at`, running when `running`.
    pub(super) fn start(
        target: SlaTarget,
        number: u32,
        minutes: u32,
        at: DateTime<Utc>,
        running: bool,
    ) -> Self {
        Self {
            target,
            number,
            started_at: at,
            target_secs: i64::from(minutes) * 60,
            elapsed: Duration::zero(),
            resumed_at: running.then_some(at),
            end: None,
        }
    }

    /// Neither met nor cancelled.
    pub(super) fn is_open(&self) -> bool {
        self.end.is_none()
    }

    /// Met (and not reopened since).
    pub(super) fn is_met(&self) -> bool {
        matches!(self.end, Some(End::Met(_)))
    }

    /// Stops counting at `at`, keeping the business time so far.
    pub(super) fn pause(&mut self, at: DateTime<Utc>, calendar: &BusinessCalendar) {
        if let Some(resumed_at) = self.resumed_at.take() {
            self.elapsed += calendar.between(resumed_at, at);
        }
    }

    /// Starts counting at `at` (when open and not already counting).
    pub(super) fn resume(&mut self, at: DateTime<Utc>) {
        if self.is_open() && self.resumed_at.is_none() {
            self.resumed_at = Some(at);
        }
    }

    /// Achieved at `at`.
    pub(super) fn meet(&mut self, at: DateTime<Utc>, calendar: &BusinessCalendar) {
        self.pause(at, calendar);
        self.end = Some(End::Met(at));
    }

    /// No longer applies from `at`.
    pub(super) fn cancel(&mut self, at: DateTime<Utc>, calendar: &BusinessCalendar) {
        self.pause(at, calendar);
        self.end = Some(End::Cancelled(at));
    }

    /// Open again at `at` with the business time counted so far, running when `running`.
    pub(super) fn reopen(&mut self, at: DateTime<Utc>, running: bool) {
        self.end = None;
        if running {
            self.resume(at);
        }
    }

    /// Where the cycle stands at `judge.now`.
    pub(super) fn status(&self, judge: &Judge<'_>) -> TargetStatus {
        let elapsed = self.elapsed_at(judge.now, judge.calendar);
        let target = Duration::seconds(self.target_secs);
        let warn_threshold =
            Duration::seconds(self.target_secs * i64::from(judge.warn_at_percent.min(100)) / 100);
        let key = (self.target, self.number);
        let frozen = self
            .end
            .is_some_and(|end| end.at() < judge.terms_changed_at);
        let deadline = |threshold: Duration| {
            self.resumed_at
                .map(|resumed_at| judge.calendar.add(resumed_at, threshold - self.elapsed))
        };
        TargetStatus {
            target: self.target,
            cycle: self.number,
            state: self.state(),
            started_at: self.started_at,
            target_secs: self.target_secs,
            elapsed_secs: elapsed.num_seconds(),
            warn_at: deadline(warn_threshold),
            due_at: deadline(target),
            met_at: match self.end {
                Some(End::Met(at)) => Some(at),
                _ => None,
            },
            // A recorded breach stays a breach whatever the policy says now (a lowered
            // priority or a loosened target does not undo it), and a cycle that ended
            // before the terms changed keeps what was recorded (a tightened target does
            // not breach it after the fact).
            warning: judge.warned.contains(&key) || (!frozen && elapsed >= warn_threshold),
            breached: judge.breached.contains(&key) || (!frozen && elapsed >= target),
            warning_recorded: judge.warned.contains(&key),
            breach_recorded: judge.breached.contains(&key),
        }
    }

    /// The business time counted up to `now` (or up to the pause, meeting or cancelling).
    fn elapsed_at(&self, now: DateTime<Utc>, calendar: &BusinessCalendar) -> Duration {
        let running = self.resumed_at.map_or_else(Duration::zero, |resumed_at| {
            calendar.between(resumed_at, now)
        });
        self.elapsed + running
    }

    fn state(&self) -> TargetState {
        match (self.end, self.resumed_at) {
            (Some(End::Met(_)), _) => TargetState::Met,
            (Some(End::Cancelled(_)), _) => TargetState::Cancelled,
            (None, Some(_)) => TargetState::Running,
            (None, None) => TargetState::Paused,
        }
    }
}

/// A duration as whole nanoseconds (saturating past ±292 years).
mod nanos {
    use chrono::Duration;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.num_nanoseconds().unwrap_or(i64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        i64::deserialize(d).map(Duration::nanoseconds)
    }
}
