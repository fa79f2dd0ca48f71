//! [`ChannelNotifier`]: one notifier for every channel of the outbox.

use crate::{MailNotifier, WebhookNotifier};
use async_trait::async_trait;
use ticket_core::notify::{AttemptOutcome, AttemptResult, Channel, OutboxEntry};
use ticket_core::ports::Notifier;
use ticket_core::{Error, Result};

/// Routes each delivery by its channel: webhooks to the [`WebhookNotifier`], e-mail to
/// the [`MailNotifier`].
#[derive(Debug, Clone)]
pub struct ChannelNotifier {
    webhook: WebhookNotifier,
    mail: MailNotifier,
}

impl ChannelNotifier {
    /// Both channels.
    #[must_use]
    pub fn new(webhook: WebhookNotifier, mail: MailNotifier) -> Self {
        Self { webhook, mail }
    }
}

/// [`Notifier::deliver`] from [`Notifier::attempt`]: delivered is `Ok`, anything else is
/// [`Error::Notify`] with what went wrong.
pub(crate) fn as_delivery(result: AttemptResult) -> Result<()> {
    match result.outcome {
        AttemptOutcome::Delivered => Ok(()),
        _ => Err(Error::Notify(
            result
                .error
                .unwrap_or_else(|| "delivery failed".to_string())
                .into(),
        )),
    }
}

#[async_trait]
impl Notifier for ChannelNotifier {
    async fn deliver(&self, entry: &OutboxEntry) -> Result<()> {
        as_delivery(self.attempt(entry).await)
    }

    async fn attempt(&self, entry: &OutboxEntry) -> AttemptResult {
        match entry.channel {
            Channel::Webhook { .. } => self.webhook.attempt(entry).await,
            Channel::Email { .. } => self.mail.attempt(entry).await,
        }
    }
}
