//! Assignment strategies: pure functions from a ticket and the agents' loads to an
//! assignee.

use crate::account::Availability;
use crate::id::{TeamId, UserId};
use crate::text::Tags;
use crate::ticket::Ticket;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How to pick an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignStrategy {
    /// The eligible agent assigned longest ago (never-assigned first), so work rotates.
    RoundRobin,
    /// The eligible agent with the lowest open tickets ÷ capacity.
    LeastLoaded,
    /// The eligible agent whose skills share the most tags with the ticket, tie-broken by
    /// load; when nobody shares a tag, least loaded.
    SkillsMatch,
}

/// What routing knows of one agent, computed by the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentLoad {
    /// The agent.
    pub user_id: UserId,
    /// Availability.
    pub availability: Availability,
    /// The most open tickets they should hold.
    pub capacity: u32,
    /// Open tickets assigned to them now.
    pub open_tickets: u32,
    /// Their skills.
    pub skills: Tags,
    /// Their teams.
    pub teams: Vec<TeamId>,
    /// When they last got a ticket.
    pub last_assigned_at: Option<DateTime<Utc>>,
}

impl AgentLoad {
    /// Online, with spare capacity, and in the ticket's team when it has one.
    #[must_use]
    pub fn is_eligible_for(&self, ticket: &Ticket) -> bool {
        let _ = ticket;
        todo!("rules helper")
    }
}

/// Picks the assignee for `ticket` among `agents` with `strategy`; `None` when nobody is
/// eligible (online, spare capacity, in the ticket's team when it has one). Ties break
/// deterministically (finally by user id).
#[must_use]
pub fn choose_assignee(
    strategy: AssignStrategy,
    ticket: &Ticket,
    agents: &[AgentLoad],
) -> Option<UserId> {
    let _ = (strategy, ticket, agents);
    todo!("rules helper")
}
