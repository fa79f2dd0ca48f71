//! Rebalancing: moving open tickets away from agents who went offline, ended their shift
//! or hold more than their capacity, to available agents with room, respecting skills.
//! Pure; the desk shows the plan (dry run) or saves each move with its reason.

use super::queue::queue_order;
use crate::account::Availability;
use crate::id::{TicketId, UserId};
use crate::routing::{choose_assignee, needed_skills, AgentLoad, AssignStrategy};
use crate::ticket::Ticket;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Why a ticket moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveReason {
    /// Its agent ended their shift.
    ShiftEnded,
    /// Its agent is offline.
    Offline,
    /// Its agent holds more working tickets than their capacity.
    OverCapacity,
}

impl MoveReason {
    /// The words in the history.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ShiftEnded => "the agent's shift ended",
            Self::Offline => "the agent is offline",
            Self::OverCapacity => "the agent was over capacity",
        }
    }
}

/// One planned move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebalanceMove {
    /// The ticket.
    pub ticket: TicketId,
    /// Its agent now.
    pub from: UserId,
    /// Its agent after the move.
    pub to: UserId,
    /// Why.
    pub reason: MoveReason,
}

/// Whether `ticket` counts against its agent's capacity: its SLA clock runs (status
/// category New or Open; Pending waits on the customer, Solved and Closed are done). The
/// one statement of the rule; stores count [`crate::routing::AgentLoad::open_tickets`]
/// and check [`crate::ports::CapacityCheck`] by it.
#[must_use]
pub fn is_working(ticket: &Ticket) -> bool {
    use crate::workflow::StatusCategory;
    matches!(
        ticket.status_category,
        StatusCategory::New | StatusCategory::Open
    )
}

/// Plans the moves over `held` (the open tickets of the agents in `agents`, any order):
///
/// - every open ticket of an agent who is offline moves (reason
///   [`MoveReason::ShiftEnded`] when they are in `shift_ended`, else
///   [`MoveReason::Offline`]); agents away (on a break) keep theirs;
/// - an online or away agent over capacity gives up the excess of their working tickets
///   ([`is_working`]: New or Open), the least urgent first ([`queue_order`] reversed);
/// - each ticket goes to the agent skills-match picks among those eligible (online, room,
///   in the ticket's team); when the ticket needs skills (tags or proposed skills), only
///   to an agent sharing at least one. A ticket nobody suitable can take stays put.
///
/// Loads in `agents` are updated as moves are planned.
pub fn plan_rebalance(
    held: &[Ticket],
    agents: &mut [AgentLoad],
    shift_ended: &HashSet<UserId>,
) -> Vec<RebalanceMove> {
    let mut candidates: Vec<(&Ticket, UserId, MoveReason)> = Vec::new();
    for agent in agents.iter() {
        let mut theirs: Vec<&Ticket> = held
            .iter()
            .filter(|t| t.assignee == Some(agent.user_id) && t.is_open())
            .collect();
        theirs.sort_by(|a, b| queue_order(a, b));
        if agent.availability == Availability::Offline {
            let reason = if shift_ended.contains(&agent.user_id) {
                MoveReason::ShiftEnded
            } else {
                MoveReason::Offline
            };
            candidates.extend(theirs.into_iter().map(|t| (t, agent.user_id, reason)));
        } else if agent.open_tickets > agent.capacity {
            let excess = (agent.open_tickets - agent.capacity) as usize;
            candidates.extend(
                theirs
                    .into_iter()
                    .filter(|t| is_working(t))
                    .rev()
                    .take(excess)
                    .map(|t| (t, agent.user_id, MoveReason::OverCapacity)),
            );
        }
    }
    // The most urgent tickets find a new agent first.
    candidates.sort_by(|a, b| queue_order(a.0, b.0));
    let mut moves = Vec::new();
    for (ticket, from, reason) in candidates {
        let needs = needed_skills(ticket);
        let suitable: Vec<AgentLoad> = agents
            .iter()
            .filter(|a| a.user_id != from)
            .filter(|a| needs.is_empty() || needs.iter().any(|s| a.skills.contains(s)))
            .cloned()
            .collect();
        let Some(to) = choose_assignee(AssignStrategy::SkillsMatch, ticket, &suitable) else {
            continue;
        };
        let counts = is_working(ticket);
        for a in agents.iter_mut() {
            if counts && a.user_id == to {
                a.open_tickets = a.open_tickets.saturating_add(1);
            }
            if counts && a.user_id == from {
                a.open_tickets = a.open_tickets.saturating_sub(1);
            }
        }
        moves.push(RebalanceMove {
            ticket: ticket.id,
            from,
            to,
            reason,
        });
    }
    moves
}
