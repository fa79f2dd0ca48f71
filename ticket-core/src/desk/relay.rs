//! The outbox relay a host calls on a timer: claims due deliveries and hands them to the
//! [`Notifier`](crate::ports::Notifier). Safe to run from several instances at once
//! (outbox claims).

use super::HelpDesk;
use crate::error::{Error, Result};
use rand::Rng as _;

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
