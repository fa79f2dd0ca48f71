//! One delivery attempt: what a notifier reports and what the delivery log keeps.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
