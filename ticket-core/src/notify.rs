//! Notifications (in-app) and the outbox of outbound deliveries (webhooks, e-mail) with
//! retry, backoff and dead-lettering.

use crate::id::{DeliveryId, NotificationId, TeamId, TenantId, TicketId, UserId};
use crate::text::{Email, Secret};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
}

impl OutboxEntry {
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
        }
    }
}

/// Retries with exponential backoff and jitter, then dead-lettering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Attempts before an entry is dead.
    pub max_attempts: u32,
    /// Delay after the first failure, in seconds.
    pub base_delay_secs: u32,
    /// The longest delay, in seconds.
    pub max_delay_secs: u32,
    /// How long a claim lasts before another worker may take the entry, in seconds.
    pub lease_secs: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay_secs: 10,
            max_delay_secs: 3600,
            lease_secs: 60,
        }
    }
}

impl RetryPolicy {
    /// The delay before attempt `attempts + 1` after `attempts` failures:
    /// `base · 2^(attempts-1)`, capped at the maximum, scaled by `jitter` (expected in
    /// 0.5–1.5; clamped there).
    #[must_use]
    pub fn delay(&self, attempts: u32, jitter: f64) -> Duration {
        let exp = attempts.saturating_sub(1).min(30);
        let raw = u64::from(self.base_delay_secs).saturating_mul(1u64 << exp);
        let capped = raw.min(u64::from(self.max_delay_secs)) as f64;
        let millis = (capped * 1000.0 * jitter.clamp(0.5, 1.5)) as i64;
        Duration::milliseconds(millis.max(1))
    }

    /// The lease as a duration.
    #[must_use]
    pub fn lease(&self) -> Duration {
        Duration::seconds(i64::from(self.lease_secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_and_caps() {
        let p = RetryPolicy {
            max_attempts: 5,
            base_delay_secs: 10,
            max_delay_secs: 100,
            lease_secs: 30,
        };
        assert_eq!(p.delay(1, 1.0), Duration::seconds(10));
        assert_eq!(p.delay(2, 1.0), Duration::seconds(20));
        assert_eq!(p.delay(3, 1.0), Duration::seconds(40));
        assert_eq!(p.delay(5, 1.0), Duration::seconds(100));
        assert_eq!(p.delay(60, 1.0), Duration::seconds(100));
        assert_eq!(p.delay(1, 0.5), Duration::seconds(5));
        assert_eq!(p.delay(1, 9.0), Duration::seconds(15));
    }
}
