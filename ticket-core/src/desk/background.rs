//! Background work a host calls on a timer: the SLA sweep (the outbox relay is in
//! `relay.rs`). Instances on one store split the due tickets: each batch is claimed
//! ([`TicketStore::claim_sla_due`](crate::ports::TicketStore::claim_sla_due)), and version
//! checks keep a late writer from undoing another's change.

use super::change::Draft;
use super::sla_config::TenantConfig;
use super::HelpDesk;
use crate::account::Actor;
use crate::error::{Error, Result};
use crate::event::EventKind;
use crate::id::{TenantId, TicketId};
use crate::rules::Trigger;
use crate::sla::TargetState;
use crate::ticket::{Ticket, TicketSla};
use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt as _};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What one SLA sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Tickets looked at.
    pub checked: u64,
    /// Warning events recorded.
    pub warnings: u64,
    /// Breach events recorded.
    pub breaches: u64,
    /// Tickets another writer changed meanwhile (picked up by the next sweep).
    pub conflicts: u64,
    /// Batches of open tickets marked for re-evaluation after a policy or calendar
    /// change.
    pub stale_batches: u64,
}

/// What sweeping one ticket did.
enum Swept {
    /// Recorded these SLA events (and ran their rules).
    Recorded { warnings: u64, breaches: u64 },
    /// Refreshed the snapshot only.
    Refreshed,
    /// Another writer changed the ticket meanwhile (its save wrote the snapshot).
    Raced,
}

impl HelpDesk {
    /// First carries on the re-evaluations that policy and calendar changes requested
    /// (a bounded part of them per call, claimed so that one instance walks a tenant),
    /// then records every SLA warning and breach due at `now`, exactly once per threshold
    /// however often (and from however many instances) it is called: each batch of due
    /// tickets is claimed for [`HelpDeskConfig::sweep_lease`](super::HelpDeskConfig), so
    /// instances sweeping at once split the work instead of each doing all of it, runs the
    /// `SlaWarning`/`SlaBreached` rules (escalation) once per ticket change whatever how
    /// many targets it records, and refreshes the SLA snapshot of each ticket looked at
    /// (including those a policy or calendar change marked stale).
    ///
    /// Rules run only for thresholds of cycles still open: the late breach of a response
    /// already given or of a ticket already solved is recorded (stats count it) but does
    /// not escalate. A snapshot-only refresh leaves the ticket's version alone, so it
    /// never makes a client's `expected_version` stale. Policies, calendars and rules
    /// are read once per tenant per sweep.
    ///
    /// # Errors
    /// [`Error::Store`] when the store fails; per-ticket conflicts are counted, not
    /// returned.
    pub async fn sweep_sla(&self, now: DateTime<Utc>) -> Result<SweepReport> {
        let mut report = SweepReport {
            stale_batches: self.reevaluate_sla(now).await?,
            ..SweepReport::default()
        };
        let mut seen: HashSet<TicketId> = HashSet::new();
        let mut configs: HashMap<TenantId, Arc<TenantConfig>> = HashMap::new();
        loop {
            let batch = self.inner.config.sweep_batch.max(1);
            let lease = self.inner.config.sweep_lease;
            let due = self.inner.store.claim_sla_due(now, lease, batch).await?;
            let fresh: Vec<_> = due
                .iter()
                .filter(|(_, id)| seen.insert(*id))
                .copied()
                .collect();
            // The batch's tickets, one read per tenant (not one per ticket); a ticket
            // deleted since its claim is not read and counts as a conflict.
            let mut tickets = Vec::with_capacity(fresh.len());
            let mut by_tenant: HashMap<TenantId, Vec<TicketId>> = HashMap::new();
            for (tenant, id) in &fresh {
                by_tenant.entry(*tenant).or_default().push(*id);
            }
            for (tenant, ids) in by_tenant {
                if let Entry::Vacant(slot) = configs.entry(tenant) {
                    slot.insert(Arc::new(self.tenant_config(tenant).await?));
                }
                let found = self.inner.store.get_tickets(tenant, &ids).await?;
                let gone = (ids.len() - found.len()) as u64;
                report.checked += gone;
                report.conflicts += gone;
                tickets.extend(found);
            }
            let concurrency = self.inner.config.sweep_concurrency.max(1);
            let mut failure = None;
            let done = fresh.is_empty();
            let mut outcomes = stream::iter(tickets)
                .map(|ticket| {
                    let config = configs.get(&ticket.tenant).cloned().unwrap_or_default();
                    async move { self.sweep_one(&config, ticket, now).await }
                })
                .buffer_unordered(concurrency);
            while let Some(outcome) = outcomes.next().await {
                report.checked += 1;
                match outcome {
                    Ok(Swept::Recorded { warnings, breaches }) => {
                        report.warnings += warnings;
                        report.breaches += breaches;
                    }
                    Ok(Swept::Refreshed) => {}
                    Ok(Swept::Raced) | Err(Error::Conflict(_) | Error::NotFound { .. }) => {
                        report.conflicts += 1;
                    }
                    // The others run to their end (a save is never cut off half-way).
                    Err(e) => {
                        failure.get_or_insert(e);
                    }
                }
            }
            if let Some(e) = failure {
                return Err(e);
            }
            if done || due.len() < batch as usize {
                return Ok(report);
            }
        }
    }

    /// Sweeps `ticket` as read at the start of its batch (the saves below are checked
    /// against its version).
    async fn sweep_one(
        &self,
        config: &Arc<TenantConfig>,
        ticket: Ticket,
        now: DateTime<Utc>,
    ) -> Result<Swept> {
        let store = &self.inner.store;
        let (tenant, id) = (ticket.tenant, ticket.id);
        let status = match config.terms(&ticket) {
            None => None,
            Some((policy, calendar)) => {
                let replay = self.sla_replay(&ticket, &policy, &calendar, now).await?;
                let status = replay.status(&policy, &calendar, now);
                Some((status, replay))
            }
        };
        let due = status
            .as_ref()
            .map(|(s, _)| s.due_events())
            .unwrap_or_default();
        if due.is_empty() {
            // Bookkeeping only: the snapshot (none when no policy applies any more), in
            // place, without a new version.
            let snapshot = status.map(|(s, replay)| TicketSla {
                replay: Some(replay),
                ..s.snapshot()
            });
            let saved = store
                .save_sla(tenant, id, ticket.version, snapshot.as_ref())
                .await?;
            return Ok(if saved {
                Swept::Refreshed
            } else {
                Swept::Raced
            });
        }
        let Some((status, replay)) = status else {
            return Ok(Swept::Refreshed);
        };
        // The replay just made goes on the ticket, so that `finalize` carries it on
        // with the new events instead of reading the history a second time.
        let mut ticket = ticket;
        ticket.sla = Some(TicketSla {
            replay: Some(replay),
            ..status.snapshot()
        });
        let mut d = Draft::update(ticket, now);
        d.config = Some(Arc::clone(config));
        let (mut warnings, mut breaches) = (0, 0);
        let mut triggers = Vec::new();
        let mut targets = Vec::new();
        for cycle in status.cycles() {
            // Only a cycle still open escalates; an ended one's late breach is recorded.
            let open = matches!(cycle.state, TargetState::Running | TargetState::Paused);
            for kind in cycle.due_events() {
                let trigger = match &kind {
                    EventKind::SlaWarning { .. } => {
                        warnings += 1;
                        Trigger::SlaWarning
                    }
                    _ => {
                        breaches += 1;
                        Trigger::SlaBreached
                    }
                };
                if open {
                    if !triggers.contains(&trigger) {
                        triggers.push(trigger);
                    }
                    if !targets.contains(&cycle.target) {
                        targets.push(cycle.target);
                    }
                }
                d.event(None, kind);
            }
        }
        self.finalize(d, &Actor::system(tenant), &triggers, &targets)
            .await?;
        Ok(Swept::Recorded { warnings, breaches })
    }
}
