//! Rebalancing: open tickets move from agents who went offline, ended their shift or
//! are over capacity to available agents with room, respecting skills
//! ([`plan_rebalance`]). A dry run returns the plan; otherwise each move is saved as the
//! system with its reason in the `Assigned` event of the history, held to the new
//! agent's capacity by the store.

use super::change::Draft;
use super::HelpDesk;
use crate::account::{Actor, Availability};
use crate::error::Result;
use crate::id::UserId;
use crate::ports::CapacityCheck;
use crate::query::{AssigneeFilter, TicketQuery, TicketSort};
use crate::rbac::Permission;
use crate::rules::Trigger;
use crate::ticket::Ticket;
use crate::workflow::StatusCategory;
use crate::workforce::{plan_rebalance, RebalanceMove, Span};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The most tickets of one agent a run looks at.
pub const REBALANCE_PER_AGENT: u32 = 100;

/// What a rebalance planned and did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebalanceReport {
    /// Whether nothing was saved.
    pub dry_run: bool,
    /// The moves planned, most urgent ticket first.
    pub moves: Vec<RebalanceMove>,
    /// Moves saved (0 in a dry run).
    pub applied: u32,
    /// Moves not saved because the ticket or the agent changed meanwhile.
    pub skipped: u32,
}

impl HelpDesk {
    /// Plans the moves (see [`plan_rebalance`]) and, unless `dry_run`, saves them. Needs
    /// `TicketAssign`. Looks at up to [`REBALANCE_PER_AGENT`] open tickets of each agent
    /// to relieve; a later run continues.
    ///
    /// # Errors
    /// [`Error::Forbidden`](crate::Error::Forbidden); [`Error::Store`](crate::Error::Store)
    /// while reading (moves already saved stay).
    pub async fn rebalance(&self, actor: &Actor, dry_run: bool) -> Result<RebalanceReport> {
        self.require(actor, Permission::TicketAssign)?;
        let tenant = actor.tenant();
        let store = &self.inner.store;
        let mut agents = store.agent_loads(tenant, None).await?;
        let now = self.now();
        let mut held: Vec<Ticket> = Vec::new();
        let mut shift_ended: HashSet<UserId> = HashSet::new();
        for agent in &agents {
            let offline = agent.availability == Availability::Offline;
            if !offline && agent.open_tickets <= agent.capacity {
                continue;
            }
            let query = TicketQuery {
                status_categories: vec![
                    StatusCategory::New,
                    StatusCategory::Open,
                    StatusCategory::Pending,
                ],
                assignee: Some(AssigneeFilter::User(agent.user_id)),
                sort: TicketSort::PriorityDesc,
                limit: REBALANCE_PER_AGENT,
                ..TicketQuery::default()
            };
            let theirs = store.list_tickets(tenant, &query).await?.items;
            if theirs.is_empty() {
                continue;
            }
            if offline {
                let day = Span::new(now - Duration::days(1), now);
                let last = store
                    .list_shifts(
                        tenant,
                        Some(agent.user_id),
                        day,
                        crate::ports::MAX_SHIFTS_LISTED,
                    )
                    .await?;
                if last.last().is_some_and(|r| !r.is_open()) {
                    shift_ended.insert(agent.user_id);
                }
            }
            held.extend(theirs);
        }
        let moves = plan_rebalance(&held, &mut agents, &shift_ended);
        let mut report = RebalanceReport {
            dry_run,
            moves,
            applied: 0,
            skipped: 0,
        };
        if dry_run {
            return Ok(report);
        }
        let system = Actor::system(tenant);
        for m in &report.moves {
            let (Some(ticket), Some(to)) = (
                held.iter().find(|t| t.id == m.ticket),
                agents.iter().find(|a| a.user_id == m.to),
            ) else {
                continue;
            };
            let mut d = Draft::update(ticket.clone(), now);
            d.ticket.assignee = Some(m.to);
            d.assign_reason = Some(format!("rebalance: {}", m.reason.as_str()));
            d.capacity = Some(CapacityCheck {
                agent: m.to,
                capacity: to.capacity,
            });
            d.strict_capacity = true;
            match self
                .finalize(d, &system, &[Trigger::TicketUpdated], &[])
                .await
            {
                Ok(_) => report.applied += 1,
                Err(_) => report.skipped += 1,
            }
        }
        Ok(report)
    }
}
