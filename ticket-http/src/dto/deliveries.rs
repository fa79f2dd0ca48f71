//! The attempt log of a delivery, the replay of dead letters, and webhook endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ticket_core::notify::{DeliveryAttempt, WebhookEndpoint};
use utoipa::ToSchema;

/// One attempt of a delivery: metadata and the start of the answer, never the request
/// body (it may hold a one-time token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = DeliveryAttempt)]
pub struct DeliveryAttemptDto {
    /// When it started.
    pub at: DateTime<Utc>,
    /// How long it took, in milliseconds.
    pub latency_ms: u64,
    /// The HTTP status or SMTP reply code, when the other side answered.
    pub status_code: Option<u16>,
    /// What went wrong, if it did.
    pub error: Option<String>,
    /// The start of the answer (at most 512 characters).
    pub response: Option<String>,
}

impl From<DeliveryAttempt> for DeliveryAttemptDto {
    fn from(a: DeliveryAttempt) -> Self {
        Self {
            at: a.at,
            latency_ms: a.latency_ms,
            status_code: a.status_code,
            error: a.error,
            response: a.response,
        }
    }
}

/// `POST /deliveries/replay`: which dead letters to queue again.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayInput {
    /// Every dead delivery created at or after this instant.
    pub since: DateTime<Utc>,
}

/// What a replay did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReplayResult {
    /// Dead deliveries queued again (at most 10,000 per call: call again for more).
    pub replayed: u64,
}

/// A webhook endpoint and its health, as the relay keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = WebhookEndpoint)]
pub struct WebhookEndpointDto {
    /// Its id.
    pub id: uuid::Uuid,
    /// The URL deliveries are posted to.
    pub url: String,
    /// Whether deliveries to it are attempted (`false`: they are dead-lettered until an
    /// admin enables it again).
    pub enabled: bool,
    /// When it was disabled.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Why it was disabled (410 Gone, or failing continuously too long).
    pub disabled_reason: Option<String>,
    /// Since when it keeps failing (`null` when its latest attempt succeeded).
    pub failing_since: Option<DateTime<Utc>>,
    /// Its latest successful delivery.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Its latest failed attempt.
    pub last_failure_at: Option<DateTime<Utc>>,
    /// What went wrong the last time.
    pub last_error: Option<String>,
}

impl From<WebhookEndpoint> for WebhookEndpointDto {
    fn from(e: WebhookEndpoint) -> Self {
        Self {
            id: e.id.as_uuid(),
            enabled: e.is_enabled(),
            url: e.url,
            disabled_at: e.disabled_at,
            disabled_reason: e.disabled_reason,
            failing_since: e.failing_since,
            last_success_at: e.last_success_at,
            last_failure_at: e.last_failure_at,
            last_error: e.last_error,
        }
    }
}
