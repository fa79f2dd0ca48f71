//! [`WebhookNotifier`]: signed JSON POSTs (Standard Webhooks) through a client that can
//! only reach permitted addresses and never follows redirects.

use crate::guard::{check_url, is_refused, GuardedResolver};
use crate::route::as_delivery;
use crate::signing::signature_header;
use crate::SetupError;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use ticket_core::net::AddressPolicy;
use ticket_core::notify::{error_text, AttemptOutcome, AttemptResult, Channel, OutboxEntry};
use ticket_core::ports::Notifier;
use ticket_core::Result;

/// How webhooks are sent.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Which addresses calls may reach (public ones plus the operator's allowed ranges).
    pub addresses: AddressPolicy,
    /// The longest a call may take (the relay's own deadline may cut it shorter).
    pub timeout: Duration,
    /// The `User-Agent` sent.
    pub user_agent: String,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            addresses: AddressPolicy::default(),
            timeout: Duration::from_secs(10),
            user_agent: concat!("ticket-engine-webhooks/", env!("CARGO_PKG_VERSION")).into(),
        }
    }
}

/// The most of a response body read for the delivery log.
const READ_LIMIT: usize = 4096;

/// Sends webhook deliveries.
#[derive(Debug, Clone)]
pub struct WebhookNotifier {
    client: reqwest::Client,
    addresses: Arc<AddressPolicy>,
}

impl WebhookNotifier {
    /// A notifier with its own HTTP client.
    ///
    /// # Errors
    /// [`SetupError::Http`] when the client cannot be built (TLS set-up).
    pub fn new(config: WebhookConfig) -> std::result::Result<Self, SetupError> {
        let addresses = Arc::new(config.addresses);
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver::new(Arc::clone(&addresses))))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .timeout(config.timeout)
            .user_agent(config.user_agent)
            .build()
            .map_err(SetupError::Http)?;
        Ok(Self { client, addresses })
    }

    async fn post(&self, entry: &OutboxEntry, url: &str, secret: Option<&str>) -> AttemptResult {
        let url = match reqwest::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            _ => return permanent(format!("not an http(s) URL: {url}")),
        };
        if let Err(refused) = check_url(&self.addresses, &url) {
            return permanent(refused.to_string());
        }
        let body = match serde_json::to_vec(&entry.payload) {
            Ok(b) => b,
            Err(e) => return permanent(format!("the payload does not serialise: {e}")),
        };
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let id = entry.idempotency_key.as_str();
        let mut request = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string());
        if let Some(secrets) = secret.filter(|s| !s.trim().is_empty()) {
            request = request.header(
                "webhook-signature",
                signature_header(secrets, id, timestamp, &body),
            );
        }
        let response = match request.body(body).send().await {
            Ok(r) => r,
            Err(e) if is_refused(&e) => return permanent(error_text(&e)),
            Err(e) => return AttemptResult::retry(error_text(&e)),
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()));
        let snippet = read_snippet(response).await;
        let code = Some(status.as_u16());
        if status.is_success() {
            return AttemptResult {
                response: snippet,
                ..AttemptResult::delivered(code)
            };
        }
        let outcome = if status == reqwest::StatusCode::GONE {
            AttemptOutcome::Gone
        } else {
            AttemptOutcome::Retry { after: retry_after }
        };
        AttemptResult {
            outcome,
            status_code: code,
            error: Some(format!("HTTP {status}")),
            response: snippet,
        }
    }
}

/// A failure that retrying cannot fix.
fn permanent(error: String) -> AttemptResult {
    AttemptResult {
        outcome: AttemptOutcome::Permanent,
        status_code: None,
        error: Some(error),
        response: None,
    }
}

/// The longest pause a `Retry-After` is read as (the relay caps it further at its
/// longest retry delay): a receiver cannot park a delivery for years.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// `Retry-After` (RFC 9110 §10.2.3) as a pause from `now`: delta-seconds, or an
/// HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms) read against
/// `now`, a date already past being no pause; capped at [`MAX_RETRY_AFTER`]. Anything
/// else is no advice.
fn parse_retry_after(v: &str, now: std::time::SystemTime) -> Option<Duration> {
    let v = v.trim();
    let pause = if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // Delta-seconds too long for a u64 are still "a very long time".
        v.parse::<u64>()
            .map_or(MAX_RETRY_AFTER, Duration::from_secs)
    } else {
        let at = httpdate::parse_http_date(v).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(pause.min(MAX_RETRY_AFTER))
}

/// The start of a response body, read no further than [`READ_LIMIT`] bytes.
async fn read_snippet(mut response: reqwest::Response) -> Option<String> {
    let mut buf = Vec::new();
    while buf.len() < READ_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => buf.extend_from_slice(&chunk),
            _ => break,
        }
    }
    buf.truncate(READ_LIMIT);
    let text = String::from_utf8_lossy(&buf);
    let text = text.trim();
    (!text.is_empty()).then(|| AttemptResult::snippet(text))
}

#[async_trait]
impl Notifier for WebhookNotifier {
    async fn deliver(&self, entry: &OutboxEntry) -> Result<()> {
        as_delivery(self.attempt(entry).await)
    }

    async fn attempt(&self, entry: &OutboxEntry) -> AttemptResult {
        match &entry.channel {
            Channel::Webhook { url, secret } => {
                self.post(entry, url, secret.as_ref().map(|s| s.expose()))
                    .await
            }
            Channel::Email { .. } => permanent("not a webhook delivery".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::time::{SystemTime, UNIX_EPOCH};

    /// 2015-10-21T07:28:00Z.
    fn at() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_445_412_480)
    }

    #[test]
    fn retry_after_in_seconds() {
        assert_eq!(
            parse_retry_after(" 120 ", at()),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after("0", at()), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999", at()),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(parse_retry_after("-5", at()), None);
        assert_eq!(parse_retry_after("1.5", at()), None);
        assert_eq!(parse_retry_after("", at()), None);
        assert_eq!(parse_retry_after("soon", at()), None);
    }

    #[test]
    fn retry_after_as_an_http_date_in_every_form() {
        let two_minutes = Some(Duration::from_secs(120));
        let now = at();
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now),
            two_minutes
        );
        assert_eq!(
            parse_retry_after("Wednesday, 21-Oct-15 07:30:00 GMT", now),
            two_minutes
        );
        assert_eq!(
            parse_retry_after("Wed Oct 21 07:30:00 2015", now),
            two_minutes
        );
        // A date already past asks for no pause; a far one is capped.
        assert_eq!(
            parse_retry_after("Tue, 20 Oct 2015 07:28:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(
            parse_retry_after("Wed, 32 Oct 2015 07:30:00 GMT", now),
            None
        );
    }
}
