//! Background work a host calls on a timer: the SLA sweep (the outbox relay is in
//! `relay.rs`). Safe to run from several instances at once (version checks).

use super::change::Draft;
use super::HelpDesk;
use crate::account::Actor;
use crate::error::{Error, Result};
use crate::event::EventKind;
use crate::id::{TenantId, TicketId};
use crate::rules::Trigger;
use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt as _};
use std::collections::HashSet;

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
}

impl HelpDesk {
    /// Records every SLA warning and breach due at `now`, exactly once per threshold
    /// however often (and from however many instances) it is called, runs the
    /// `SlaWarning`/`SlaBreached` rules (escalation), and refreshes the SLA snapshot of
    /// each ticket looked at.
    ///
    /// # Errors
    /// [`Error::Store`] when the store fails; per-ticket conflicts are counted, not
    /// returned.
    pub async fn sweep_sla(&self, now: DateTime<Utc>) -> Result<SweepReport> {
        let mut report = SweepReport::default();
        let mut seen: HashSet<TicketId> = HashSet::new();
        loop {
            let batch = self.inner.config.sweep_batch.max(1);
            let due = self.inner.store.sla_due(now, batch).await?;
            let fresh: Vec<_> = due
                .iter()
                .filter(|(_, id)| seen.insert(*id))
                .copied()
                .collect();
            let concurrency = self.inner.config.sweep_concurrency.max(1);
            let mut failure = None;
            let done = fresh.is_empty();
            let mut outcomes = stream::iter(fresh)
                .map(|(tenant, id)| self.sweep_one(tenant, id, now))
                .buffer_unordered(concurrency);
            while let Some(outcome) = outcomes.next().await {
                report.checked += 1;
                match outcome {
                    Ok((w, b)) => {
                        report.warnings += w;
                        report.breaches += b;
                    }
                    Err(Error::Conflict(_) | Error::NotFound { .. }) => report.conflicts += 1,
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

    async fn sweep_one(
        &self,
        tenant: TenantId,
        id: TicketId,
        now: DateTime<Utc>,
    ) -> Result<(u64, u64)> {
        let store = &self.inner.store;
        let ticket = store.get_ticket(tenant, id).await?;
        let history = store.ticket_events(tenant, id).await?;
        let mut d = Draft::update(ticket, now);
        let Some(status) = self.evaluate_sla(&d.ticket, &history, now).await? else {
            // The policy no longer applies: clear the snapshot so the sweep stops looking.
            d.ticket.sla = None;
            self.commit(d.finish()).await?;
            return Ok((0, 0));
        };
        let due = status.due_events();
        if due.is_empty() {
            let snapshot = Some(status.snapshot());
            if snapshot != d.ticket.sla {
                d.ticket.sla = snapshot;
                self.commit(d.finish()).await?;
            }
            return Ok((0, 0));
        }
        let (mut warnings, mut breaches) = (0, 0);
        let mut triggers = Vec::new();
        for kind in due {
            match &kind {
                EventKind::SlaWarning { target, .. } => {
                    warnings += 1;
                    triggers.push((Trigger::SlaWarning, Some(*target)));
                }
                EventKind::SlaBreached { target, .. } => {
                    breaches += 1;
                    triggers.push((Trigger::SlaBreached, Some(*target)));
                }
                _ => continue,
            }
            d.event(None, kind);
        }
        self.finalize(d, &Actor::system(tenant), &triggers).await?;
        Ok((warnings, breaches))
    }
}
