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

/// The `last_error` of entries whose recipient's account was deleted before they were
/// sent ([`crate::ports::Outbox::forget_recipient`]).
pub const RECIPIENT_DELETED: &str = "recipient deleted";

/// One attempt of a delivery, as its log keeps it: metadata and the start of the
/// response only, never the request body (it may hold a one-time token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    /// When it started.
    pub at: DateTime<Utc>,
    /// How long it took, in milliseconds.
    pub latency_ms: u64,
    /// The HTTP status or SMTP reply code, when the other side answered.
    pub status_code: Option<u16>,
    /// What went wrong, if it did.
    pub error: Option<String>,
    /// The start of the response (at most [`AttemptResult::SNIPPET_LEN`] characters).
    pub response: Option<String>,
}

/// How one attempt ended, as the notifier judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Accepted (HTTP 2xx, SMTP 2xx).
    Delivered,
    /// Failed for now: retried on the schedule, not before `after` when the other side
    /// asked for a pause (`Retry-After`).
    Retry {
        /// The pause the other side asked for.
        after: Option<std::time::Duration>,
    },
    /// Failed for good (a permanent SMTP bounce, a request the receiver will never
    /// take): dead-lettered at once.
    Permanent,
    /// The endpoint is gone (HTTP 410): dead-lettered, and a team endpoint is disabled.
    Gone,
}

/// What one attempt came to: the outcome and what the other side answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptResult {
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// The HTTP status or SMTP reply code, when the other side answered.
    pub status_code: Option<u16>,
    /// What went wrong, if it did.
    pub error: Option<String>,
    /// The start of the response.
    pub response: Option<String>,
}

impl AttemptResult {
    /// The longest response snippet kept, in characters.
    pub const SNIPPET_LEN: usize = 512;

    /// A delivery the other side accepted.
    #[must_use]
    pub fn delivered(status_code: Option<u16>) -> Self {
        Self {
            outcome: AttemptOutcome::Delivered,
            status_code,
            error: None,
            response: None,
        }
    }

    /// A failure to retry later, without an answer from the other side.
    #[must_use]
    pub fn retry(error: impl Into<String>) -> Self {
        Self {
            outcome: AttemptOutcome::Retry { after: None },
            status_code: None,
            error: Some(error.into()),
            response: None,
        }
    }

    /// The start of a response body, as the log keeps it.
    #[must_use]
    pub fn snippet(body: &str) -> String {
        body.chars().take(Self::SNIPPET_LEN).collect()
    }
}

/// An error and its sources on one line (at most 1,000 characters), for logs of
/// deliveries.
#[must_use]
pub fn error_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out.chars().take(1000).collect()
}

/// The pauses between attempts of the Standard Webhooks schedule, in seconds: 5 s,
/// 5 min, 30 min, 2 h, 5 h, 10 h, then 14 h and 20 h, so the default ten attempts span
/// about three days.
const SCHEDULE_SECS: [u64; 8] = [5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000];

/// Retries on the Standard Webhooks schedule with jitter, then dead-lettering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Attempts before an entry is dead (the first is immediate).
    pub max_attempts: u32,
    /// Delay after the first failure, in seconds; later ones follow the schedule scaled
    /// by `base / 5` (5 s is the Standard Webhooks pace).
    pub base_delay_secs: u32,
    /// The longest delay, in seconds (also caps a receiver's `Retry-After`).
    pub max_delay_secs: u32,
    /// How long a claim lasts before another worker may take the entry, in seconds.
    pub lease_secs: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            base_delay_secs: 5,
            max_delay_secs: 72_000,
            lease_secs: 60,
        }
    }
}

impl RetryPolicy {
    /// The delay before attempt `attempts + 1` after `attempts` failures: the schedule
    /// step (scaled by `base / 5`; the last step repeats), capped at the maximum, scaled
    /// by `jitter` (expected in 0.8–1.2; clamped to 0.5–1.5).
    #[must_use]
    pub fn delay(&self, attempts: u32, jitter: f64) -> Duration {
        let step = usize::try_from(attempts.saturating_sub(1))
            .unwrap_or(usize::MAX)
            .min(SCHEDULE_SECS.len() - 1);
        let scaled = SCHEDULE_SECS[step].saturating_mul(u64::from(self.base_delay_secs)) / 5;
        let capped = scaled.min(u64::from(self.max_delay_secs)) as f64;
        let millis = (capped * 1000.0 * jitter.clamp(0.5, 1.5)) as i64;
        Duration::milliseconds(millis.max(1))
    }

    /// The delay after `attempts` failures when the receiver asked to wait `after`: the
    /// longer of the two, capped at the maximum.
    #[must_use]
    pub fn delay_honouring(
        &self,
        attempts: u32,
        jitter: f64,
        after: Option<std::time::Duration>,
    ) -> Duration {
        let scheduled = self.delay(attempts, jitter);
        let Some(after) = after else {
            return scheduled;
        };
        let cap = u64::from(self.max_delay_secs.max(1)) * 1000;
        let asked = u64::try_from(after.as_millis())
            .unwrap_or(u64::MAX)
            .min(cap);
        scheduled.max(Duration::milliseconds(
            i64::try_from(asked).unwrap_or(i64::MAX),
        ))
    }

    /// The lease as a duration.
    #[must_use]
    pub fn lease(&self) -> Duration {
        Duration::seconds(i64::from(self.lease_secs))
    }
}

/// How the outbox relay works: concurrency, per-attempt deadline, body retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayConfig {
    /// Deliveries in progress at once per relay call, so one slow endpoint never holds up
    /// the others (a password-reset mail behind a hanging webhook).
    pub concurrency: usize,
    /// The longest one attempt may take; it is also cut short before the claim's lease
    /// would lapse, so another instance never takes an entry this one still delivers.
    pub attempt_timeout: std::time::Duration,
    /// How long a delivered entry keeps its body (which may hold a one-time token); after
    /// that [`crate::ports::Outbox::purge_delivered`] blanks it and keeps the metadata.
    pub retention: Duration,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            concurrency: 32,
            attempt_timeout: std::time::Duration::from_secs(10),
            retention: Duration::days(7),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_is_the_standard_webhooks_one_over_about_three_days() {
        let p = RetryPolicy::default();
        let steps: Vec<i64> = (1..p.max_attempts)
            .map(|n| p.delay(n, 1.0).num_seconds())
            .collect();
        assert_eq!(
            steps,
            [5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000, 72_000]
        );
        let total: i64 = steps.iter().sum();
        assert!((60 * 3600..80 * 3600).contains(&total), "{total}");
        assert_eq!(p.delay(1, 0.5), Duration::milliseconds(2500));
        assert_eq!(p.delay(1, 9.0), Duration::milliseconds(7500));
    }

    #[test]
    fn the_schedule_scales_caps_and_honours_retry_after() {
        let p = RetryPolicy {
            max_attempts: 5,
            base_delay_secs: 10,
            max_delay_secs: 100,
            lease_secs: 30,
        };
        assert_eq!(p.delay(1, 1.0), Duration::seconds(10));
        assert_eq!(p.delay(2, 1.0), Duration::seconds(100));
        assert_eq!(p.delay(60, 1.0), Duration::seconds(100));
        let wait = |s| Some(std::time::Duration::from_secs(s));
        assert_eq!(p.delay_honouring(1, 1.0, wait(50)), Duration::seconds(50));
        assert_eq!(p.delay_honouring(1, 1.0, wait(1)), Duration::seconds(10));
        assert_eq!(
            p.delay_honouring(1, 1.0, wait(9_999)),
            Duration::seconds(100)
        );
    }

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
