//! Processing the queue: which unassigned ticket goes to which agent, most urgent first,
//! until the agents are full. Pure; the desk saves the assignments one by one, each
//! checked by the store against the ticket's version and the agent's capacity.

use crate::id::{TicketId, UserId};
use crate::routing::{choose_assignee, AgentLoad, AssignStrategy};
use crate::ticket::Ticket;
use chrono::{DateTime, Utc};
use std::cmp::Ordering;

/// One planned assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueAssignment {
    /// The ticket.
    pub ticket: TicketId,
    /// The agent it goes to.
    pub agent: UserId,
}

/// The earliest SLA due time of a ticket (first response, next response or resolution).
#[must_use]
pub fn earliest_due(t: &Ticket) -> Option<DateTime<Utc>> {
    let sla = t.sla.as_ref()?;
    [
        sla.first_response_due,
        sla.next_response_due,
        sla.resolution_due,
    ]
    .into_iter()
    .flatten()
    .min()
}

/// The queue's order: highest priority first, then earliest SLA due (tickets without a
/// due time after those with one), then oldest, then by id.
#[must_use]
pub fn queue_order(a: &Ticket, b: &Ticket) -> Ordering {
    b.priority
        .rank()
        .cmp(&a.priority.rank())
        .then_with(|| match (earliest_due(a), earliest_due(b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then_with(|| a.created_at.cmp(&b.created_at))
        .then_with(|| a.id.cmp(&b.id))
}

/// Plans the assignment of `queue` (unassigned tickets, any order) to `agents` with
/// `strategy`: tickets in [`queue_order`], each to the agent the strategy picks among
/// those eligible (online, spare capacity, in the ticket's team), counting the tickets
/// planned so far in `agents[..].open_tickets` (which this updates). Stops as soon as no
/// agent has room. Tickets nobody can take stay unplanned.
pub fn plan_queue(
    strategy: AssignStrategy,
    queue: &mut [Ticket],
    agents: &mut [AgentLoad],
    now: DateTime<Utc>,
) -> Vec<QueueAssignment> {
    queue.sort_by(queue_order);
    let mut out = Vec::new();
    // Picks of one run are ordered (one microsecond apart) so round-robin rotates.
    let mut at = now;
    for ticket in queue.iter().filter(|t| t.assignee.is_none()) {
        if !agents.iter().any(AgentLoad::takes_work) {
            break;
        }
        let Some(agent) = choose_assignee(strategy, ticket, agents) else {
            continue;
        };
        if let Some(a) = agents.iter_mut().find(|a| a.user_id == agent) {
            a.open_tickets = a.open_tickets.saturating_add(1);
            at += chrono::Duration::microseconds(1);
            a.last_assigned_at = Some(at);
        }
        out.push(QueueAssignment {
            ticket: ticket.id,
            agent,
        });
    }
    out
}
