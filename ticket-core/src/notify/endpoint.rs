//! The health of a webhook endpoint (a URL of one tenant): when it last worked, since
//! when it keeps failing, and whether it is disabled — by a 410 Gone, or by failing
//! continuously for longer than [`RelayConfig::disable_after`](super::RelayConfig).
//! The relay keeps it through [`crate::ports::EndpointStore`]; an admin lists and
//! re-enables endpoints.

use crate::id::{EndpointId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The state of one webhook endpoint of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    /// Its id (given when the relay first tried it).
    pub id: EndpointId,
    /// Its tenant.
    pub tenant: TenantId,
    /// The URL deliveries are posted to.
    pub url: String,
    /// When it was disabled; `None` while enabled.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// The first failure since its last success (the start of the failure clock);
    /// `None` when its latest attempt succeeded or it was re-enabled since.
    pub failing_since: Option<DateTime<Utc>>,
    /// Its latest successful delivery.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Its latest failed attempt.
    pub last_failure_at: Option<DateTime<Utc>>,
    /// What went wrong the last time.
    pub last_error: Option<String>,
}

impl WebhookEndpoint {
    /// A new, enabled endpoint nothing was recorded for yet.
    #[must_use]
    pub fn new(tenant: TenantId, url: &str) -> Self {
        Self {
            id: EndpointId::new(),
            tenant,
            url: url.to_string(),
            disabled_at: None,
            disabled_reason: None,
            failing_since: None,
            last_success_at: None,
            last_failure_at: None,
            last_error: None,
        }
    }

    /// Whether deliveries to it are attempted.
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        self.disabled_at.is_none()
    }

    /// Records one attempt at `at` (`error` is `None` on success): a success stops the
    /// failure clock; a failure starts it unless it runs already. The enabled state
    /// does not change.
    pub fn record(&mut self, at: DateTime<Utc>, error: Option<&str>) {
        match error {
            None => {
                self.last_success_at = Some(at);
                self.failing_since = None;
            }
            Some(e) => {
                self.failing_since.get_or_insert(at);
                self.last_failure_at = Some(at);
                self.last_error = Some(e.to_string());
            }
        }
    }

    /// Whether it has failed continuously for at least `limit` at `now`.
    #[must_use]
    pub fn failing_for(&self, limit: chrono::Duration, now: DateTime<Utc>) -> bool {
        self.failing_since.is_some_and(|since| now - since >= limit)
    }
}
