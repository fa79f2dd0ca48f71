//! The store and server settings' types and helpers: the database URL (its `Debug`
//! hides the password), the password-hashing cost, the data directory and what lives
//! in it, the trusted proxies.

use super::{ConfigError, ServerConfig};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use ticket_core::account::HashCost;

/// The argon2id cost of password hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum HashCostSetting {
    /// OWASP's recommendation (19 MiB, 2 iterations): production.
    #[default]
    Recommended,
    /// Cheap: tests and load tests only.
    Testing,
}

impl From<HashCostSetting> for HashCost {
    fn from(s: HashCostSetting) -> Self {
        match s {
            HashCostSetting::Recommended => HashCost::RECOMMENDED,
            HashCostSetting::Testing => HashCost::TESTING,
        }
    }
}

/// A database URL whose `Debug` hides its password (see [`crate::redact::url`]).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Wraps a URL.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL itself, to connect with (never to print: use `Debug`).
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", crate::redact::url(&self.0))
    }
}

impl ServerConfig {
    /// The trusted proxies as networks (a bare address is a network of one).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming an entry that is neither.
    pub fn trusted_proxy_networks(&self) -> Result<Vec<ipnet::IpNet>, ConfigError> {
        self.trusted_proxies
            .iter()
            .map(|p| {
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        ConfigError::Invalid(format!(
                            "trusted_proxies: {p:?} is not an address or a network (10.0.0.0/8)"
                        ))
                    })
            })
            .collect()
    }

    /// The database URL: the configured one, or SQLite in the data directory.
    #[must_use]
    pub fn database_url(&self) -> String {
        self.database_url
            .as_ref()
            .map(|u| u.expose().to_string())
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("ticket.db").display()))
    }

    /// The file holding the generated JWT secret.
    #[must_use]
    pub fn jwt_secret_file(&self) -> PathBuf {
        self.data_dir.join("jwt-secret")
    }

    /// A duration from whole seconds.
    #[must_use]
    pub fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    /// The data directory.
    #[must_use]
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}
