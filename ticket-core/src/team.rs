//! Teams of agents, and FAQ entries.

use crate::id::{FaqId, TeamId, TenantId};
use crate::text::{Name, Secret, Tags};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A team of agents. Membership is kept on each agent's profile
/// ([`crate::account::AgentProfile::teams`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    /// Its id.
    pub id: TeamId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Unique within the tenant (case-insensitively).
    pub name: Name,
    /// What the team does.
    pub description: String,
    /// The team's own system: tickets distributed or notified to the team are POSTed here.
    pub webhook_url: Option<String>,
    /// Signs those webhook calls (HMAC-SHA256); never shown back.
    pub webhook_secret: Option<Secret>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version, starting at 1.
    pub version: u64,
}

/// A FAQ entry: a known question with its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Faq {
    /// Its id.
    pub id: FaqId,
    /// Its tenant.
    pub tenant: TenantId,
    /// The question.
    pub question: String,
    /// The answer sent to the requester.
    pub answer: String,
    /// Tags to narrow matching.
    pub tags: Tags,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Checks a webhook URL: `http` or `https`, a host, at most 2,000 characters.
///
/// # Errors
/// [`crate::Error::Invalid`] on `field`.
pub fn check_webhook_url(field: &str, url: &str) -> crate::Result<String> {
    let url = crate::text::clean_text(field, url, 1, 2000, true)?;
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| crate::Error::invalid(field, "must be an http or https URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.contains(char::is_whitespace) || host.contains('@') {
        return Err(crate::Error::invalid(field, "must name a host"));
    }
    Ok(url)
}

/// Checks a webhook signing secret: 1–500 characters on one line, no control characters,
/// no white space at either end (kept exactly as given: it is a key, not text).
///
/// # Errors
/// [`crate::Error::Invalid`] on `field`.
pub fn check_webhook_secret(field: &str, secret: Secret) -> crate::Result<Secret> {
    let clean = crate::text::clean_text(field, secret.expose(), 1, 500, true)?;
    if clean != secret.expose() {
        return Err(crate::Error::invalid(
            field,
            "must not start or end with white space",
        ));
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    #[test]
    fn webhook_urls() {
        assert!(super::check_webhook_url("u", "https://hooks.example.com/x?y=1").is_ok());
        for bad in [
            "ftp://x",
            "https://",
            "https://a b/",
            "javascript:alert(1)",
            "http://user@host/",
        ] {
            assert!(super::check_webhook_url("u", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn webhook_secrets() {
        use crate::text::Secret;
        let ok = super::check_webhook_secret("s", Secret::new("k3y with spaces")).unwrap();
        assert_eq!(ok.expose(), "k3y with spaces");
        let long = "x".repeat(501);
        for bad in ["", " padded", "two\nlines", "nul\0", long.as_str()] {
            assert!(
                super::check_webhook_secret("s", Secret::new(bad)).is_err(),
                "{bad:?}"
            );
        }
    }
}
