//! The attempt log of a delivery and the replay of dead letters.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ticket_core::notify::DeliveryAttempt;
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
