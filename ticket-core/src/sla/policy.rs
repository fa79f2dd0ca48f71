//! SLA policies: which tickets they cover and their targets.

use crate::id::{CalendarId, SlaPolicyId, TeamId, TenantId};
use crate::text::{Category, Name, Tag};
use crate::ticket::{Priority, Ticket};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Which tickets a policy covers: every non-empty list must match (any of its values);
/// an empty condition covers every ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SlaCondition {
    /// Any of these priorities.
    pub priorities: Vec<Priority>,
    /// Any of these categories.
    pub categories: Vec<Category>,
    /// Any of these teams.
    pub teams: Vec<TeamId>,
    /// Any of these tags.
    pub tags: Vec<Tag>,
}

impl SlaCondition {
    /// Whether the ticket is covered.
    #[must_use]
    pub fn matches(&self, ticket: &Ticket) -> bool {
        (self.priorities.is_empty() || self.priorities.contains(&ticket.priority))
            && (self.categories.is_empty() || self.categories.contains(&ticket.category))
            && (self.teams.is_empty() || ticket.team.is_some_and(|t| self.teams.contains(&t)))
            && (self.tags.is_empty() || self.tags.iter().any(|t| ticket.tags.contains(t)))
    }
}

/// Targets in business minutes; `None` means no target of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SlaTargets {
    /// First public staff reply.
    pub first_response_minutes: Option<u32>,
    /// Staff reply after each public requester reply.
    pub next_response_minutes: Option<u32>,
    /// Reaching a solved status.
    pub resolution_minutes: Option<u32>,
}

/// An SLA policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    /// Its id.
    pub id: SlaPolicyId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its name.
    pub name: Name,
    /// Policies are tried by ascending position (then id); the first match applies.
    pub position: i32,
    /// Disabled policies never match.
    pub enabled: bool,
    /// Which tickets it covers.
    pub condition: SlaCondition,
    /// The targets.
    pub targets: SlaTargets,
    /// The business calendar; `None` means around the clock.
    pub calendar_id: Option<CalendarId>,
    /// A target is at risk (warning) once this percentage of it has elapsed (1–99).
    pub warn_at_percent: u8,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// The policy that applies to `ticket`: the first enabled match by (position, id).
#[must_use]
pub fn select_policy<'a>(policies: &'a [SlaPolicy], ticket: &Ticket) -> Option<&'a SlaPolicy> {
    policies
        .iter()
        .filter(|p| p.enabled && p.condition.matches(ticket))
        .min_by_key(|p| (p.position, p.id))
}
