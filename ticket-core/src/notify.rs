//! Notifications (in-app) and the outbox of outbound deliveries (webhooks, e-mail) with
//! retry, backoff and dead-lettering.

use crate::id::{DeliveryId, NotificationId, TeamId, TenantId, TicketId, UserId};
use crate::text::{Email, Secret};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

mod attempt;
mod endpoint;
mod retry;

pub use attempt::{error_text, AttemptOutcome, AttemptResult, DeliveryAttempt, RECIPIENT_DELETED};
pub use endpoint::WebhookEndpoint;
pub use retry::{RelayConfig, RetryPolicy};

/// Who a notification goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Recipient {
    /// A user, in-app.
    User {
        /// The user.
        user_id: UserId,
    },
    /// Every member of a team in-app, plus the team's webhook when it has one.
    Team {
        /// The team.
        team_id: TeamId,
    },
    /// A third party's endpoint.
    Webhook {
        /// The URL (checked http/https).
        url: String,
    },
    /// An e-mail address.
    Email {
        /// The address.
        address: Email,
    },
}

/// Why a notification was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A ticket was raised.
    TicketCreated,
    /// A ticket was assigned to you.
    TicketAssigned,
    /// A ticket changed.
    TicketUpdated,
    /// A comment was added.
    CommentAdded,
    /// An SLA target is about to be breached.
    SlaWarning,
    /// An SLA target was breached.
    SlaBreached,
    /// A ticket was escalated.
    Escalated,
    /// A ticket was distributed to a team.
    Distributed,
    /// A message sent about a ticket by a person or a rule.
    Message,
    /// An e-mail verification link.
    VerifyEmail,
    /// A password reset link.
    PasswordReset,
    /// Welcome to a new account (once its e-mail address is verified, or at sign-up when
    /// verification is off).
    Welcome,
    /// An FAQ answer suggested on a new ticket (deflection).
    DeflectionAnswer,
    /// A webhook endpoint was disabled (gone, or failing too long).
    EndpointDisabled,
}

/// An in-app notification for one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Its id.
    pub id: NotificationId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Who it is for.
    pub user_id: UserId,
    /// The ticket it is about.
    pub ticket_id: Option<TicketId>,
    /// Why.
    pub kind: NotificationKind,
    /// The text.
    pub message: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// When the user read it.
    pub read_at: Option<DateTime<Utc>>,
}

/// How a delivery travels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Channel {
    /// A signed JSON POST.
    Webhook {
        /// The URL.
        url: String,
        /// The signing secret (HMAC-SHA256), if any.
        secret: Option<Secret>,
    },
    /// An e-mail.
    Email {
        /// To.
        to: Email,
        /// Subject.
        subject: String,
        /// Plain-text body.
        body: String,
    },
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// Claimed by a relay worker (until its lease expires).
    InFlight,
    /// Delivered.
    Delivered,
    /// Gave up after the last attempt; can be retried by an admin.
    Dead,
}

/// One outbound delivery in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Its id.
    pub id: DeliveryId,
    /// Its tenant.
    pub tenant: TenantId,
    /// The ticket it is about, if any.
    pub ticket_id: Option<TicketId>,
    /// Why.
    pub kind: NotificationKind,
    /// How.
    pub channel: Channel,
    /// The JSON document delivered (the webhook body).
    pub payload: serde_json::Value,
    /// Sent with every attempt so receivers can drop duplicates.
    pub idempotency_key: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// Attempts allowed before it is dead-lettered.
    pub max_attempts: u32,
    /// When it may next be attempted.
    pub next_attempt_at: DateTime<Utc>,
    /// While in flight, when the claim lapses and another worker may take it.
    pub lease_until: Option<DateTime<Utc>>,
    /// The claim of the worker holding it; acks with another claim are ignored.
    pub claim: Option<Uuid>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The latest attempts, oldest first (at most [`OutboxEntry::LOG_LEN`]).
    #[serde(default)]
    pub log: Vec<DeliveryAttempt>,
}

impl OutboxEntry {
    /// How many attempts the delivery log keeps.
    pub const LOG_LEN: usize = 20;

    /// The log with `attempt` appended, trimmed to the latest [`OutboxEntry::LOG_LEN`].
    #[must_use]
    pub fn log_with(&self, attempt: DeliveryAttempt) -> Vec<DeliveryAttempt> {
        let skip = (self.log.len() + 1).saturating_sub(Self::LOG_LEN);
        let mut log: Vec<_> = self.log.iter().skip(skip).cloned().collect();
        log.push(attempt);
        log
    }

    /// A pending entry due now.
    #[must_use]
    pub fn new(
        tenant: TenantId,
        ticket_id: Option<TicketId>,
        kind: NotificationKind,
        channel: Channel,
        payload: serde_json::Value,
        max_attempts: u32,
        now: DateTime<Utc>,
    ) -> Self {
        let id = DeliveryId::new();
        Self {
            id,
            tenant,
            ticket_id,
            kind,
            channel,
            payload,
            idempotency_key: id.to_string(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            max_attempts,
            next_attempt_at: now,
            lease_until: None,
            claim: None,
            last_error: None,
            created_at: now,
            delivered_at: None,
            log: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_latest_attempts() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let mut e = OutboxEntry::new(
            TenantId::new(),
            None,
            NotificationKind::Message,
            Channel::Webhook {
                url: "https://example.com/".into(),
                secret: None,
            },
            serde_json::Value::Null,
            3,
            now,
        );
        for i in 0..30u64 {
            e.log = e.log_with(DeliveryAttempt {
                at: now,
                latency_ms: i,
                status_code: None,
                error: None,
                response: None,
            });
        }
        assert_eq!(e.log.len(), OutboxEntry::LOG_LEN);
        assert_eq!(e.log.last().map(|a| a.latency_ms), Some(29));
        assert_eq!(e.log.first().map(|a| a.latency_ms), Some(10));
    }
}
