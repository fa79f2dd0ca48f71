//! The SLA state of a ticket, computed from its history.
//!
//! [`evaluate`] replays the ticket's events (oldest first, ignoring those after `now`)
//! and is pure: the same policy, calendar, workflow, history and `now` always give the
//! same [`SlaStatus`].
//!
//! # The clock
//!
//! The ticket's status comes from `Created { status }` and then each
//! `StatusChanged { to }`; [`Workflow::clock_of`] says what the SLA clock does there
//! ([`SlaClock`](crate::workflow::SlaClock) `Run`, `Pause` or `Stop`). Business time
//! (per the [`BusinessCalendar`]) counts for an open target only while the clock runs.
//!
//! # Targets
//!
//! - **First response** (cycle 0) starts at `Created` and is met by the first public
//!   staff comment. Entering a `Stop` status before that cancels it for good.
//! - **Next response** (cycles 1, 2, …): a public requester comment starts a cycle when
//!   no response is awaited — the first response is met or cancelled (or the policy has
//!   none) and no next-response cycle is open — and the ticket is not in a `Stop` status.
//!   Further requester comments while a cycle is open do not restart it. The next public
//!   staff comment meets it; entering a `Stop` status cancels it.
//! - **Resolution** (cycle 0) starts at `Created` and is met when the ticket enters a
//!   `Stop` status. Leaving `Stop` (a reopen) clears `met_at` and carries on from the
//!   business time counted so far.
//!
//! Internal notes and system comments never start or meet anything. A target appears in
//! [`SlaStatus::targets`] once its first cycle has started; for next response only the
//! latest cycle is there, earlier ones are in [`SlaStatus::earlier_cycles`].
//!
//! # Thresholds
//!
//! With `target` and `warn = target × warn_at_percent / 100` (whole seconds; the
//! percentage capped at 100), a cycle has its `warning` once `elapsed >= warn` and is
//! `breached` once `elapsed >= target`.
//! Met and cancelled cycles are judged at the instant they ended (met late ⇒ breached).
//! A threshold whose event is in the history stays reached: once `SlaBreached` is
//! recorded for a target and cycle, that cycle is `breached` (and the ticket
//! `ever_breached`) even after the priority is lowered or the policy loosened, so stats
//! and the ticket's state keep counting it.
//! A running cycle that last resumed at `r` with `e` counted before has
//! `due_at = calendar.add(r, target − e)` and `warn_at = calendar.add(r, warn − e)`
//! (`r` when already passed), stable whatever `now` is while it keeps running; other
//! cycles have neither.
//!
//! # Recording
//!
//! `SlaWarning { target, cycle }` and `SlaBreached { target, cycle }` in the history mark
//! a threshold as recorded. [`SlaStatus::due_events`] lists what to record now: the
//! warning and breach of a running cycle, and the breach (never the warning) of any other
//! cycle, each only when not yet recorded. Once those events are appended, evaluating
//! again at the same instant finds nothing due, so each threshold is recorded once.
//!
//! A cycle that ended (met or cancelled) before the policy or its calendar last changed
//! (`updated_at`) keeps the verdict recorded under the terms in force when it ended: a
//! tightened target does not breach it after the fact (policy changes reach open
//! tickets, not finished work).

mod cycle;
mod history;
#[cfg(test)]
mod tests;

use crate::event::{EventKind, SlaTarget, TicketEvent};
use crate::id::{CalendarId, SlaPolicyId};
use crate::sla::{BusinessCalendar, SlaPolicy, SlaTargets};
use crate::ticket::TicketSla;
use crate::workflow::Workflow;
use chrono::{DateTime, Utc};
use cycle::Judge;
use history::Replay;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// Where one target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetState {
    /// Business time is counting.
    Running,
    /// Business time is not counting (a pausing status).
    Paused,
    /// Achieved (a response was given, or the ticket was solved).
    Met,
    /// No longer applies (e.g. a first response target on a ticket solved without reply).
    Cancelled,
}

/// The state of one target (one cycle of it, for next response).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetStatus {
    /// Which target.
    pub target: SlaTarget,
    /// Which cycle (0 for first response and resolution; counts requester replies for
    /// next response).
    pub cycle: u32,
    /// Where it stands.
    pub state: TargetState,
    /// When the cycle started.
    pub started_at: DateTime<Utc>,
    /// The target, in business seconds.
    pub target_secs: i64,
    /// Business seconds elapsed at `now` (or when met).
    pub elapsed_secs: i64,
    /// When the warning threshold is (or was) reached, while running.
    pub warn_at: Option<DateTime<Utc>>,
    /// When it is due, while running.
    pub due_at: Option<DateTime<Utc>>,
    /// When it was met.
    pub met_at: Option<DateTime<Utc>>,
    /// The warning threshold is reached.
    pub warning: bool,
    /// The target is breached (or was met late).
    pub breached: bool,
    /// The history already holds the `SlaWarning` event of this target and cycle.
    pub warning_recorded: bool,
    /// The history already holds the `SlaBreached` event of this target and cycle.
    pub breach_recorded: bool,
}

impl TargetStatus {
    /// Business time is counting.
    #[must_use]
    pub fn is_running(&self) -> bool {
        self.state == TargetState::Running
    }

    /// A `SlaWarning` should be recorded: running, warning reached, not yet recorded.
    #[must_use]
    pub fn warning_due(&self) -> bool {
        self.is_running() && self.warning && !self.warning_recorded
    }

    /// A `SlaBreached` should be recorded: breached (whatever the state), not yet
    /// recorded.
    #[must_use]
    pub fn breach_due(&self) -> bool {
        self.breached && !self.breach_recorded
    }

    /// The SLA events to record for this cycle now: the warning, then the breach.
    #[must_use]
    pub fn due_events(&self) -> Vec<EventKind> {
        let (target, cycle) = (self.target, self.cycle);
        let warning = self
            .warning_due()
            .then_some(EventKind::SlaWarning { target, cycle });
        let breach = self
            .breach_due()
            .then_some(EventKind::SlaBreached { target, cycle });
        warning.into_iter().chain(breach).collect()
    }

    /// The earliest instant a threshold of this cycle not yet recorded is (or was)
    /// reached: `warn_at` / `due_at` while running, `at` for an unrecorded breach of a
    /// cycle that no longer runs.
    #[must_use]
    pub fn next_check(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_running() {
            let warn = self.warn_at.filter(|_| !self.warning_recorded);
            let due = self.due_at.filter(|_| !self.breach_recorded);
            warn.into_iter().chain(due).min()
        } else {
            self.breach_due().then_some(at)
        }
    }
}

/// The SLA state of a ticket at an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaStatus {
    /// The policy applied.
    pub policy_id: SlaPolicyId,
    /// The evaluation instant.
    pub at: DateTime<Utc>,
    /// Each target of the policy (the latest cycle of next response).
    pub targets: Vec<TargetStatus>,
    /// The next-response cycles before the latest one, oldest first.
    #[serde(default)]
    pub earlier_cycles: Vec<TargetStatus>,
    /// Some cycle of some target breached (including earlier next-response cycles).
    #[serde(default)]
    pub ever_breached: bool,
}

impl SlaStatus {
    /// Every cycle of every target, ordered by target then cycle.
    #[must_use]
    pub fn cycles(&self) -> Vec<&TargetStatus> {
        let mut all: Vec<&TargetStatus> = self.targets.iter().chain(&self.earlier_cycles).collect();
        all.sort_by_key(|t| (t.target, t.cycle));
        all
    }

    /// The latest cycle of `target`, if it has started.
    #[must_use]
    pub fn target(&self, target: SlaTarget) -> Option<&TargetStatus> {
        self.targets.iter().find(|t| t.target == target)
    }

    /// The earliest instant a threshold not yet recorded in history is (or was) reached:
    /// warning or breach of a running target, or `at` for an unrecorded breach of a
    /// target that no longer runs. In the past when the sweep is late; `None` when
    /// nothing is pending.
    #[must_use]
    pub fn next_check(&self) -> Option<DateTime<Utc>> {
        self.cycles()
            .iter()
            .filter_map(|t| t.next_check(self.at))
            .min()
    }

    /// The SLA events that should be recorded now (at `self.at`), by target then cycle,
    /// a warning before the breach of the same cycle. Appending them to the history makes
    /// a new evaluation at the same instant find nothing due.
    #[must_use]
    pub fn due_events(&self) -> Vec<EventKind> {
        self.cycles().iter().flat_map(|t| t.due_events()).collect()
    }

    /// The snapshot kept on the ticket for stores to index and count.
    #[must_use]
    pub fn snapshot(&self) -> TicketSla {
        let due = |target| self.target(target).and_then(|t| t.due_at);
        TicketSla {
            policy_id: self.policy_id,
            first_response_due: due(SlaTarget::FirstResponse),
            next_response_due: due(SlaTarget::NextResponse),
            resolution_due: due(SlaTarget::Resolution),
            next_check: self.next_check(),
            replay: None,
            at_risk: self
                .targets
                .iter()
                .any(|t| t.is_running() && t.warning && !t.breached),
            breached: self.ever_breached,
        }
    }
}

/// Computes the SLA state of the ticket whose history is `events` (oldest first) under
/// `policy` and `calendar`, at `now`. Pure; see the module docs for the rules.
#[must_use]
pub fn evaluate(
    policy: &SlaPolicy,
    calendar: &BusinessCalendar,
    workflow: &Workflow,
    events: &[TicketEvent],
    now: DateTime<Utc>,
) -> SlaStatus {
    let mut replay = SlaReplay::new(policy, calendar);
    replay.apply(policy, calendar, workflow, events, now);
    replay.status(policy, calendar, now)
}

/// The terms a replay was made under (what the replayed cycles baked in): a replay goes
/// on only under the same ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Terms {
    policy: SlaPolicyId,
    policy_updated_at: DateTime<Utc>,
    targets: SlaTargets,
    calendar: CalendarId,
    calendar_updated_at: DateTime<Utc>,
    /// A digest of the calendar's working time (zone, week, holidays): two edits within
    /// one instant still differ.
    calendar_digest: String,
}

impl Terms {
    fn of(policy: &SlaPolicy, calendar: &BusinessCalendar) -> Self {
        let hours = serde_json::to_vec(&(&calendar.timezone, &calendar.week, &calendar.holidays))
            .unwrap_or_default();
        let digest = Sha256::digest(&hours);
        Self {
            policy: policy.id,
            policy_updated_at: policy.updated_at,
            targets: policy.targets,
            calendar: calendar.id,
            calendar_updated_at: calendar.updated_at,
            calendar_digest: digest.iter().take(12).map(|b| format!("{b:02x}")).collect(),
        }
    }
}

/// A ticket's history replayed under one policy and calendar, kept on its SLA snapshot
/// ([`TicketSla::replay`]) so that a change replays only its own events instead of the
/// whole history: `evaluate` over the full history and a replay resumed with the new
/// events give the same [`SlaStatus`]. It goes on only under the terms it was made
/// under ([`SlaReplay::fits`]); after a policy or calendar change the history is replayed
/// again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaReplay {
    terms: Terms,
    /// The time of the latest event replayed.
    last_at: Option<DateTime<Utc>>,
    state: history::ReplayState,
}

impl SlaReplay {
    /// Nothing replayed yet, under `policy` and `calendar`.
    #[must_use]
    pub fn new(policy: &SlaPolicy, calendar: &BusinessCalendar) -> Self {
        Self {
            terms: Terms::of(policy, calendar),
            last_at: None,
            state: history::ReplayState::default(),
        }
    }

    /// Whether this replay can go on under `policy` and `calendar` with events at
    /// `now`: the same terms (neither changed since), and no replayed event after `now`.
    #[must_use]
    pub fn fits(
        &self,
        policy: &SlaPolicy,
        calendar: &BusinessCalendar,
        now: DateTime<Utc>,
    ) -> bool {
        self.terms == Terms::of(policy, calendar) && self.last_at.is_none_or(|at| at <= now)
    }

    /// Replays `events` (oldest first, after those already replayed), ignoring those
    /// after `now`.
    pub fn apply(
        &mut self,
        policy: &SlaPolicy,
        calendar: &BusinessCalendar,
        workflow: &Workflow,
        events: &[TicketEvent],
        now: DateTime<Utc>,
    ) {
        let state = std::mem::take(&mut self.state);
        let mut replay = Replay::resume(calendar, workflow, policy.targets, state);
        for event in events.iter().filter(|e| e.at <= now) {
            replay.apply(event);
            self.last_at = Some(self.last_at.map_or(event.at, |at| at.max(event.at)));
        }
        self.state = replay.state;
    }

    /// The SLA state at `now` of the history replayed so far.
    #[must_use]
    pub fn status(
        &self,
        policy: &SlaPolicy,
        calendar: &BusinessCalendar,
        now: DateTime<Utc>,
    ) -> SlaStatus {
        let state = &self.state;
        let judge = Judge {
            calendar,
            now,
            warn_at_percent: policy.warn_at_percent,
            warned: &state.warned,
            breached: &state.breached,
            terms_changed_at: policy.updated_at.max(calendar.updated_at),
        };
        let mut next = state
            .next_responses
            .iter()
            .map(|c| c.status(&judge))
            .collect::<Vec<_>>();
        let latest_next = next.pop();
        let targets: Vec<TargetStatus> = state
            .first_response
            .iter()
            .map(|c| c.status(&judge))
            .chain(latest_next)
            .chain(state.resolution.iter().map(|c| c.status(&judge)))
            .collect();
        // A breach recorded for a target the policy applied now lacks still counts.
        let ever_breached =
            targets.iter().chain(&next).any(|t| t.breached) || !state.breached.is_empty();
        SlaStatus {
            policy_id: policy.id,
            at: now,
            targets,
            earlier_cycles: next,
            ever_breached,
        }
    }
}
