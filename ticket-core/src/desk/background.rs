//! Background work a host calls on a timer: the SLA sweep and the outbox relay. Both are
//! safe to run from several instances at once (version checks and outbox claims).

use super::change::Draft;
use super::HelpDesk;
use crate::account::Actor;
use crate::error::{Error, Result};
use crate::event::EventKind;
use crate::id::{TenantId, TicketId};
use crate::rules::Trigger;
use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt as _};
use rand::Rng as _;
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

/// What one outbox relay did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayReport {
    /// Entries claimed.
    pub claimed: u64,
    /// Delivered.
    pub delivered: u64,
    /// Failed and scheduled for another attempt.
    pub retried: u64,
    /// Failed for the last time (dead-lettered).
    pub dead: u64,
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

    /// Claims up to `limit` due deliveries and hands each to the notifier: delivered
    /// ones are completed; failures are retried with exponential backoff and jitter, and
    /// dead-lettered after the configured attempts. Without a notifier nothing is
    /// claimed.
    ///
    /// # Errors
    /// [`Error::Store`] when the outbox fails.
    pub async fn relay_outbox(&self, limit: u32) -> Result<RelayReport> {
        let mut report = RelayReport::default();
        let Some(notifier) = &self.inner.notifier else {
            return Ok(report);
        };
        let retry = self.inner.config.retry;
        let now = self.now();
        let entries = self.inner.store.claim(now, retry.lease(), limit).await?;
        report.claimed = entries.len() as u64;
        for entry in entries {
            let Some(claim) = entry.claim else { continue };
            match notifier.deliver(&entry).await {
                Ok(()) => {
                    if self
                        .inner
                        .store
                        .complete(entry.id, claim, self.now())
                        .await?
                    {
                        report.delivered += 1;
                    }
                }
                Err(e) => {
                    let error = error_chain(&e);
                    let retry_at = (entry.attempts < entry.max_attempts.max(1)).then(|| {
                        let jitter = rand::thread_rng().gen_range(0.5..1.5);
                        self.now() + retry.delay(entry.attempts, jitter)
                    });
                    if self
                        .inner
                        .store
                        .fail(entry.id, claim, &error, retry_at)
                        .await?
                    {
                        if retry_at.is_some() {
                            report.retried += 1;
                        } else {
                            report.dead += 1;
                        }
                    }
                }
            }
        }
        Ok(report)
    }
}

/// The error and its sources, for the delivery's `last_error`.
fn error_chain(e: &Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out.chars().take(1000).collect()
}
