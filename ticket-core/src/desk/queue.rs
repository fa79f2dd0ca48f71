//! Processing the queue: the unassigned working tickets (New or Open) go to available
//! agents with room, most urgent first ([`queue_order`]), until the agents are full.
//!
//! Safe from several instances at once: each assignment is a versioned save (a ticket
//! another instance assigned first fails its version check and is skipped, so no ticket
//! is assigned twice), and the store holds every pick to the agent's capacity in the
//! save ([`CapacityCheck`]: an agent another instance filled is taken out of the run,
//! and the ticket tried with the next agent).
//!
//! The queue is read one priority at a time, oldest first, in pages of
//! [`QUEUE_PAGE`]; each page is planned in [`queue_order`] (so within a priority the
//! earliest SLA due of the page goes first), never the whole queue in memory.

use super::change::Draft;
use super::HelpDesk;
use crate::account::Actor;
use crate::error::{Conflict, Error, Result};
use crate::id::{TenantId, UserId};
use crate::ports::CapacityCheck;
use crate::query::{AssigneeFilter, TicketQuery, TicketSort};
use crate::rbac::Permission;
use crate::routing::{AgentLoad, AssignStrategy};
use crate::rules::Trigger;
use crate::ticket::{Priority, Ticket};
use crate::workflow::StatusCategory;
use crate::workforce::{plan_queue, queue_order};
use futures::stream::{FuturesUnordered, StreamExt};
use serde::{Deserialize, Serialize};

/// Tickets read from the queue per store round trip.
pub const QUEUE_PAGE: u32 = 100;

/// What one run of the queue processor did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueReport {
    /// Tickets assigned.
    pub assigned: u32,
    /// Unassigned tickets looked at.
    pub examined: u32,
    /// Assignments lost to another writer (the ticket changed, or the agent filled up,
    /// meanwhile); each was skipped or retried with another agent.
    pub conflicts: u32,
}

impl HelpDesk {
    /// Assigns the unassigned queue now (needs `TicketAssign`); see [`HelpDesk::run_queue`].
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::Store`].
    pub async fn process_queue(
        &self,
        actor: &Actor,
        strategy: AssignStrategy,
    ) -> Result<QueueReport> {
        self.require(actor, Permission::TicketAssign)?;
        self.run_queue(actor.tenant(), strategy).await
    }

    /// Assigns the unassigned working tickets of `tenant` to available agents with room
    /// (online, under capacity, in the ticket's team) by `strategy`, most urgent first,
    /// until no agent has room or the queue is empty. Each assignment is saved as the
    /// system (rules on updates run; the history says why the agent was picked). A host
    /// calls it on a timer and when an agent becomes available
    /// ([`HelpDesk::queue_woken`]).
    ///
    /// # Errors
    /// [`Error::Store`] when the queue or the loads cannot be read (assignments already
    /// saved stay).
    pub async fn run_queue(
        &self,
        tenant: TenantId,
        strategy: AssignStrategy,
    ) -> Result<QueueReport> {
        let mut agents = self.inner.store.agent_loads(tenant, None).await?;
        let mut report = QueueReport::default();
        for priority in [
            Priority::Critical,
            Priority::High,
            Priority::Medium,
            Priority::Low,
        ] {
            let mut cursor = None;
            loop {
                if !agents.iter().any(AgentLoad::takes_work) {
                    return Ok(report);
                }
                let query = TicketQuery {
                    status_categories: vec![StatusCategory::New, StatusCategory::Open],
                    priorities: vec![priority],
                    assignee: Some(AssigneeFilter::Unassigned),
                    sort: TicketSort::CreatedAsc,
                    limit: QUEUE_PAGE,
                    cursor: cursor.take(),
                    ..TicketQuery::default()
                };
                let page = self.inner.store.list_tickets(tenant, &query).await?;
                report.examined += u32::try_from(page.items.len()).unwrap_or(u32::MAX);
                self.assign_page(page.items, &mut agents, strategy, &mut report)
                    .await;
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        }
        Ok(report)
    }

    /// Plans one page and saves its assignments (several at once); tickets whose agent
    /// turned out full are planned again without that agent.
    async fn assign_page(
        &self,
        mut page: Vec<Ticket>,
        agents: &mut [AgentLoad],
        strategy: AssignStrategy,
        report: &mut QueueReport,
    ) {
        page.sort_by(queue_order);
        let concurrency = self.inner.config.sweep_concurrency.max(1);
        // Each round either assigns or fills an agent, so it ends.
        while !page.is_empty() && agents.iter().any(AgentLoad::takes_work) {
            let planned = plan_queue(strategy, &mut page, agents, self.now());
            if planned.is_empty() {
                return;
            }
            let mut jobs = planned.iter().filter_map(|p| {
                let ticket = page.iter().find(|t| t.id == p.ticket)?.clone();
                let load = agents.iter().find(|a| a.user_id == p.agent)?.clone();
                Some((ticket, load))
            });
            // At most `concurrency` saves at once (a plain loop: lazy adapters capturing
            // the desk would make the future's `Send` bound higher-ranked).
            let mut running = FuturesUnordered::new();
            let mut results = Vec::with_capacity(planned.len());
            loop {
                while running.len() < concurrency {
                    let Some((ticket, load)) = jobs.next() else {
                        break;
                    };
                    running.push(self.assign_from_queue(ticket, load, strategy));
                }
                match running.next().await {
                    Some(done) => results.push(done),
                    None => break,
                }
            }
            drop(running);
            let mut retry = Vec::new();
            for (ticket, agent, out) in results {
                match out {
                    Ok(_) => report.assigned += 1,
                    Err(Error::Conflict(Conflict::Capacity { .. })) => {
                        report.conflicts += 1;
                        // Another writer filled the agent: out of this run.
                        if let Some(a) = agents.iter_mut().find(|a| a.user_id == agent) {
                            a.open_tickets = a.capacity;
                        }
                        retry.push(ticket);
                    }
                    // Changed or assigned by another writer, or gone: skipped. The slot
                    // the plan counted for `agent` was not used: give it back, or a desk
                    // racing another would stop with an agent it wrongly thinks full
                    // (the store still holds every later pick to the real capacity).
                    Err(_) => {
                        report.conflicts += 1;
                        if let Some(a) = agents.iter_mut().find(|a| a.user_id == agent) {
                            a.open_tickets = a.open_tickets.saturating_sub(1);
                        }
                    }
                }
            }
            page = retry;
        }
    }

    /// Saves `ticket` assigned to `agent`, held to their capacity by the store; returns
    /// the ticket as read, the agent and the outcome.
    async fn assign_from_queue(
        &self,
        ticket: Ticket,
        agent: AgentLoad,
        strategy: AssignStrategy,
    ) -> (Ticket, UserId, Result<Ticket>) {
        let out = self.assign_to(ticket.clone(), &agent, strategy).await;
        (ticket, agent.user_id, out)
    }

    /// Saves `ticket` assigned to `agent`, held to their capacity by the store.
    async fn assign_to(
        &self,
        ticket: Ticket,
        agent: &AgentLoad,
        strategy: AssignStrategy,
    ) -> Result<Ticket> {
        let system = Actor::system(ticket.tenant);
        let mut d = Draft::update(ticket, self.now());
        d.ticket.assignee = Some(agent.user_id);
        let reason = self
            .assignment_reason(strategy, &d, std::slice::from_ref(agent), agent.user_id)
            .await;
        d.assign_reason = reason.map(|r| format!("queue: {r}"));
        d.capacity = Some(CapacityCheck {
            agent: agent.user_id,
            capacity: agent.capacity,
        });
        d.strict_capacity = true;
        self.finalize(d, &system, &[Trigger::TicketUpdated], &[])
            .await
    }

    /// Wakes the queue processor: an agent became available.
    pub(super) fn wake_queue(&self) {
        self.inner.picks.forget_all_idle();
        self.inner.queue_wake.notify_one();
    }

    /// Waits until an agent becomes available on this desk (a shift or break ends, an
    /// availability is set online) since the last wait returned; the server's queue job
    /// runs [`HelpDesk::run_queue`] then, besides its timer.
    pub async fn queue_woken(&self) {
        self.inner.queue_wake.notified().await;
    }
}
