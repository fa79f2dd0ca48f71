//! The outbox relay a host calls on a timer: claims due deliveries and hands them to the
//! [`Notifier`]. Safe to run from several instances at once (outbox claims).
//!
//! Delivery is at-least-once with a stable idempotency key (the receiver drops
//! duplicates by `webhook-id`). Each claimed entry is attempted on its own, up to
//! [`RelayConfig::concurrency`](crate::notify::RelayConfig) at once, so one slow
//! endpoint never holds up the others; each attempt has its own deadline, cut short
//! before the claim's lease lapses, so another instance never takes an entry while this
//! one still delivers it. An entry claimed more often than its `max_attempts` (its
//! worker died each time, e.g. a poison entry that crashes the process) is dead-lettered
//! without another attempt.

use super::HelpDesk;
#[allow(unused_imports)] // `Error` is named by the `# Errors` doc links
use crate::error::{Error, Result};
use crate::notify::{AttemptOutcome, AttemptResult, DeliveryAttempt, OutboxEntry};
use crate::ports::Notifier;
use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt as _};
use rand::Rng as _;
use std::sync::Arc;
use std::time::Duration;

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

/// What became of one claimed entry.
enum Step {
    Delivered,
    Retried,
    Dead,
    /// The claim no longer held it (its lease lapsed and another worker took it).
    Lost,
}

/// The shortest time worth starting an attempt with.
const MIN_ATTEMPT: Duration = Duration::from_millis(500);

impl HelpDesk {
    /// Claims up to `limit` due deliveries and attempts each through the notifier, at most
    /// `relay.concurrency` at once and each within its deadline: delivered ones are
    /// completed; failures are retried on the Standard Webhooks schedule with jitter
    /// (honouring `Retry-After`), and dead-lettered after the configured attempts, at
    /// once on a permanent failure, or when the endpoint is disabled: it answered 410
    /// Gone, or kept failing past `relay.disable_after` (its owner is then told), or an
    /// earlier failure disabled it (then it is not attempted at all). A success stops
    /// the endpoint's failure clock. Every attempt is logged on the entry. Without
    /// a notifier nothing is claimed.
    ///
    /// No more entries are claimed than can be attempted before their lease lapses
    /// (`concurrency` × lease ÷ attempt timeout).
    ///
    /// # Errors
    /// [`Error::Store`] when the outbox fails (the other entries of the batch still
    /// finish first).
    pub async fn relay_outbox(&self, limit: u32) -> Result<RelayReport> {
        let mut report = RelayReport::default();
        let Some(notifier) = self.inner.notifier.clone() else {
            return Ok(report);
        };
        let config = &self.inner.config;
        let concurrency = config.relay.concurrency.max(1);
        let now = self.now();
        let entries = self
            .inner
            .store
            .claim(
                now,
                config.retry.lease(),
                limit.min(self.claimable_per_round()),
            )
            .await?;
        report.claimed = entries.len() as u64;
        let mut steps = stream::iter(entries)
            .map(|entry| self.relay_one(&notifier, entry))
            .buffer_unordered(concurrency);
        let mut failure = None;
        while let Some(step) = steps.next().await {
            match step {
                Ok(Step::Delivered) => report.delivered += 1,
                Ok(Step::Retried) => report.retried += 1,
                Ok(Step::Dead) => report.dead += 1,
                Ok(Step::Lost) => {}
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    /// How many entries one round may claim and still attempt each before its lease
    /// lapses: `concurrency` slots, each fitting `(lease − margin) ÷ timeout` attempts.
    fn claimable_per_round(&self) -> u32 {
        let config = &self.inner.config;
        let lease = Duration::from_secs(u64::from(config.retry.lease_secs));
        let usable = lease.saturating_sub(lease_margin(lease));
        let timeout = config.relay.attempt_timeout.max(MIN_ATTEMPT);
        let waves = (usable.as_millis() / timeout.as_millis()).max(1);
        let slots = u128::try_from(config.relay.concurrency.max(1)).unwrap_or(u128::MAX);
        u32::try_from(waves.saturating_mul(slots)).unwrap_or(u32::MAX)
    }

    async fn relay_one(&self, notifier: &Arc<dyn Notifier>, entry: OutboxEntry) -> Result<Step> {
        let Some(claim) = entry.claim else {
            return Ok(Step::Lost);
        };
        let store = &self.inner.store;
        let started = self.now();
        if entry.attempts > entry.max_attempts.max(1) {
            // Claimed again after its last allowed attempt: its worker never came back.
            let error = "abandoned: the worker holding the last attempt never finished";
            let log = entry.log_with(attempt_record(started, 0, &AttemptResult::retry(error)));
            return Ok(if store.fail(entry.id, claim, error, None, &log).await? {
                Step::Dead
            } else {
                Step::Lost
            });
        }
        let endpoint = self.endpoint_of(&entry).await?;
        if let Some(refusal) = Self::endpoint_refusal(endpoint.as_ref()) {
            // Its endpoint is disabled: dead-lettered unattempted, replayable once enabled.
            let log = entry.log_with(attempt_record(started, 0, &AttemptResult::retry(&refusal)));
            return Ok(
                if store.fail(entry.id, claim, &refusal, None, &log).await? {
                    Step::Dead
                } else {
                    Step::Lost
                },
            );
        }
        let Some(deadline) = self.deadline(&entry, started) else {
            // Too little of the lease is left: give it back for a later round.
            let error = "not attempted: the claim's lease was about to lapse";
            let log = entry.log_with(attempt_record(started, 0, &AttemptResult::retry(error)));
            return Ok(
                if store
                    .fail(entry.id, claim, error, Some(started), &log)
                    .await?
                {
                    Step::Retried
                } else {
                    Step::Lost
                },
            );
        };
        let clock = std::time::Instant::now();
        let result = match tokio::time::timeout(deadline, notifier.attempt(&entry)).await {
            Ok(result) => result,
            Err(_) => AttemptResult::retry(format!("timed out after {} ms", deadline.as_millis())),
        };
        let latency = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
        let log = entry.log_with(attempt_record(started, latency, &result));
        let error = result
            .error
            .clone()
            .unwrap_or_else(|| match result.status_code {
                Some(code) => format!("status {code}"),
                None => "failed".to_string(),
            });
        if result.outcome == AttemptOutcome::Delivered {
            let done = store.complete(entry.id, claim, self.now(), &log).await?;
            if done {
                self.record_endpoint(&entry, endpoint.as_ref(), result.outcome, &error)
                    .await?;
            }
            return Ok(if done { Step::Delivered } else { Step::Lost });
        }
        // A failure may disable the endpoint (gone, or failing too long): then dead.
        let disabled = self
            .record_endpoint(&entry, endpoint.as_ref(), result.outcome, &error)
            .await?;
        let error = match disabled {
            Some(disabled) => {
                return self
                    .dead(&entry, claim, &format!("{error}; {disabled}"), &log)
                    .await
            }
            None => error,
        };
        let step = match result.outcome {
            AttemptOutcome::Retry { after } if entry.attempts < entry.max_attempts.max(1) => {
                let retry = self.inner.config.retry;
                let jitter = rand::thread_rng().gen_range(0.8..1.2);
                let at = self.now() + retry.delay_honouring(entry.attempts, jitter, after);
                store
                    .fail(entry.id, claim, &error, Some(at), &log)
                    .await?
                    .then_some(Step::Retried)
            }
            _ => return self.dead(&entry, claim, &error, &log).await,
        };
        Ok(step.unwrap_or(Step::Lost))
    }

    /// Dead-letters a claimed entry.
    async fn dead(
        &self,
        entry: &OutboxEntry,
        claim: uuid::Uuid,
        error: &str,
        log: &[DeliveryAttempt],
    ) -> Result<Step> {
        let dead = self
            .inner
            .store
            .fail(entry.id, claim, error, None, log)
            .await?;
        Ok(if dead { Step::Dead } else { Step::Lost })
    }

    /// How long an attempt of `entry` may take from `now`: the attempt timeout, cut short
    /// by a margin before the lease lapses; `None` when too little is left.
    fn deadline(&self, entry: &OutboxEntry, now: DateTime<Utc>) -> Option<Duration> {
        let timeout = self.inner.config.relay.attempt_timeout;
        let Some(lease_until) = entry.lease_until else {
            return Some(timeout);
        };
        let lease = Duration::from_secs(u64::from(self.inner.config.retry.lease_secs));
        let left = (lease_until - now).to_std().ok()?;
        let usable = left.checked_sub(lease_margin(lease))?;
        (usable >= MIN_ATTEMPT).then(|| usable.min(timeout))
    }
}

/// The part of a lease kept free at its end: a tenth, at least a second.
fn lease_margin(lease: Duration) -> Duration {
    (lease / 10).max(Duration::from_secs(1))
}

/// The log record of an attempt.
fn attempt_record(at: DateTime<Utc>, latency_ms: u64, r: &AttemptResult) -> DeliveryAttempt {
    DeliveryAttempt {
        at,
        latency_ms,
        status_code: r.status_code,
        error: r.error.clone(),
        response: r.response.as_deref().map(AttemptResult::snippet),
    }
}
