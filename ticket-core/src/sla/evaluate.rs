//! The SLA state of a ticket, computed from its history.

use crate::event::{SlaTarget, TicketEvent};
use crate::id::SlaPolicyId;
use crate::sla::{BusinessCalendar, SlaPolicy};
use crate::ticket::TicketSla;
use crate::workflow::Workflow;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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

/// The SLA state of a ticket at an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaStatus {
    /// The policy applied.
    pub policy_id: SlaPolicyId,
    /// The evaluation instant.
    pub at: DateTime<Utc>,
    /// Each target of the policy (the latest cycle of next response).
    pub targets: Vec<TargetStatus>,
}

impl SlaStatus {
    /// The earliest instant a threshold not yet recorded in history is (or was) reached:
    /// warning or breach of a running target. In the past when the sweep is late.
    #[must_use]
    pub fn next_check(&self) -> Option<DateTime<Utc>> {
        todo!("sla helper")
    }

    /// The SLA events due now (stub until the SLA engine lands).
    #[must_use]
    pub fn due_events(&self) -> Vec<crate::event::EventKind> {
        todo!("sla helper")
    }

    /// The snapshot kept on the ticket for stores to index and count.
    #[must_use]
    pub fn snapshot(&self) -> TicketSla {
        todo!("sla helper")
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
    let _ = (policy, calendar, workflow, events, now);
    todo!("sla helper")
}
