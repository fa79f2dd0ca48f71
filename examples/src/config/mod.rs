//! The configuration of `ticket-server`: defaults, then an optional TOML file
//! (`$TICKET_CONFIG`, or `./ticket.toml` when it exists), then `TICKET_*` environment
//! variables. Every key of the file is a field of [`ServerConfig`]; its variable is
//! `TICKET_` followed by the key in upper case (`bind` → `TICKET_BIND`). Lists in
//! variables are comma-separated. `Debug` never shows the JWT secret, the admin
//! password or the database URL's password.
//!
//! The settings are one flat struct (one key per field, so the file and the variables
//! stay flat); their types, checks and derived values live by use case: `store.rs`
//! (database, data directory, server and proxies), `notify.rs` (relay and webhooks),
//! `ai.rs` (thresholds, model file), `env.rs` (the `TICKET_*` variables).

mod ai;
mod env;
mod notify;
mod store;
#[cfg(test)]
mod tests;

pub use store::{DatabaseUrl, HashCostSetting};

use env::{env_value, KEYS, OTHER_VARIABLES};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use ticket_core::text::Secret;

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file or a variable holds a bad value or an unknown key.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Everything `ticket-server` can be told.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Where to listen (`TICKET_BIND`, default `127.0.0.1:8080`).
    pub bind: SocketAddr,
    /// Where the embedded database, the generated JWT secret and the AI model live
    /// (`TICKET_DATA_DIR`, default `./ticket-data`).
    pub data_dir: PathBuf,
    /// `sqlite://…`, `postgres://…`, `mongodb://…` or `memory:` (`TICKET_DATABASE_URL`,
    /// default `sqlite://<data_dir>/ticket.db`).
    pub database_url: Option<DatabaseUrl>,
    /// The PostgreSQL schema the store lives in (`TICKET_DATABASE_SCHEMA`, default
    /// `ticket`); several desks may share one database in several schemas.
    pub database_schema: Option<String>,
    /// The most PostgreSQL connections of this instance's pool
    /// (`TICKET_DATABASE_MAX_CONNECTIONS`, default 32).
    pub database_max_connections: u32,
    /// The HMAC key of access tokens, at least 32 bytes (`TICKET_JWT_SECRET`; default:
    /// generated once and kept in `<data_dir>/jwt-secret`).
    pub jwt_secret: Option<Secret>,
    /// The `iss` of access tokens.
    pub jwt_issuer: String,
    /// Access-token lifetime in seconds (default 900).
    pub access_ttl_secs: u64,
    /// How long an instance remembers a user's role before reading it again, and that a
    /// tenant has no agent online (routing then reads no loads), in seconds
    /// (`TICKET_ACTOR_CACHE_SECS`, default 2; 0 reads both on every request). Changes
    /// made through this instance apply at once, those made through another within this
    /// time.
    pub actor_cache_secs: u32,
    /// The first super-admin's e-mail (`TICKET_ADMIN_EMAIL`), created with username
    /// `admin` when the desk has no super-admin yet.
    pub admin_email: Option<String>,
    /// The first super-admin's password (`TICKET_ADMIN_PASSWORD`).
    pub admin_password: Option<Secret>,
    /// Origins allowed to call the API from browsers (`*` for any).
    pub cors_origins: Vec<String>,
    /// Largest request body in bytes (default 1 MiB).
    pub body_limit_bytes: usize,
    /// Time limit of a request in seconds (default 30).
    pub request_timeout_secs: u64,
    /// Requests per client at once on `/auth/*`, `PUT /me/password` and
    /// `POST /me/email-verification` (0 disables the limit). IPv6 clients count per /64.
    pub auth_rate_burst: u32,
    /// Refill of that budget per minute.
    pub auth_rate_per_minute: u32,
    /// Attempts per account at once on login, refresh, registration, forgotten
    /// password, password change and verification resend, from any client
    /// (`TICKET_ACCOUNT_RATE_BURST`, default 10; 0 disables the limit).
    pub account_rate_burst: u32,
    /// Refill of that budget per minute (default 10).
    pub account_rate_per_minute: u32,
    /// Reverse proxies (addresses or CIDR networks, `TICKET_TRUSTED_PROXIES`) whose
    /// `Forwarded` / `X-Forwarded-For` headers name the client for rate limits; empty
    /// (the default): the socket's peer is the client and those headers are ignored.
    pub trusted_proxies: Vec<String>,
    /// Whether an account must verify its e-mail address before raising tickets (rules on
    /// the requester's e-mail domain then trust verified addresses only)
    /// (`TICKET_REQUIRE_VERIFIED_EMAIL`, default false).
    pub require_verified_email: bool,
    /// Seconds between SLA sweeps (0 disables the timer).
    pub sweep_interval_secs: u64,
    /// Milliseconds between outbox relays (0 disables the timer).
    pub relay_interval_ms: u64,
    /// Deliveries claimed per relay round.
    pub relay_batch: u32,
    /// The SMTP server mail goes through (`TICKET_SMTP_URL`): `smtp://host:25` (plain),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://user:pass@host:465`
    /// (TLS). Without one, each mail is written as an `.eml` file under
    /// `<data_dir>/mail/`. Never shown by `Debug` (it may hold a password).
    pub smtp_url: Option<Secret>,
    /// The sender of mail (`TICKET_MAIL_FROM`, default `Help desk <help@localhost>`).
    pub mail_from: String,
    /// The public address of the desk's pages, used in e-mailed links
    /// (`TICKET_PUBLIC_URL`, default `http://<bind>`).
    pub public_url: Option<String>,
    /// Private address ranges webhooks may reach anyway (`TICKET_WEBHOOK_ALLOW_CIDRS`,
    /// e.g. `127.0.0.0/8` for a receiver on this machine; default none: only public
    /// addresses).
    pub webhook_allow_cidrs: Vec<String>,
    /// Hours a webhook endpoint may fail continuously before it is disabled and its owner
    /// told (`TICKET_WEBHOOK_DISABLE_AFTER_HOURS`, default 120: five days).
    pub webhook_disable_after_hours: u32,
    /// Password hashing cost.
    pub hash_cost: HashCostSetting,
    /// Whether a new account is sent a link to verify its e-mail address, its welcome
    /// mail following the verification (`TICKET_EMAIL_VERIFICATION`, default true; false
    /// welcomes it at once).
    pub email_verification: bool,
    /// Whether anyone may register as a customer.
    pub open_registration: bool,
    /// Whether the default rules are installed when the desk has none.
    pub install_default_rules: bool,
    /// Whether the default SLA policies (one per priority, around the clock) are
    /// installed when the desk has no policy of its own.
    pub install_default_sla: bool,
    /// How long in-flight requests may take to finish at shutdown, in seconds.
    pub shutdown_grace_secs: u64,
    /// The log filter (`info`, `ticket_http=debug,info`…); `RUST_LOG` wins when set.
    pub log: String,
    /// Whether new tickets are classified and answered from the FAQ by `ticket-ai`
    /// (`TICKET_AI_ENABLED`, default true: the offline lexical model).
    pub ai_enabled: bool,
    /// Under this confidence the category is left to the requester or the default
    /// (`TICKET_AI_CATEGORY_THRESHOLD`, default 0.5).
    pub ai_category_threshold: f32,
    /// The same for the priority (`TICKET_AI_PRIORITY_THRESHOLD`, default 0.4).
    pub ai_priority_threshold: f32,
    /// A FAQ answer is posted when its calibrated score reaches this
    /// (`TICKET_AI_FAQ_MIN_SCORE`, default 0.6).
    pub ai_faq_min_score: f32,
    /// Whether a FAQ-answered ticket waits in `pending` for the requester to confirm or
    /// reject the answer (`TICKET_AI_FAQ_DEFLECT`, default true).
    pub ai_faq_deflect: bool,
    /// Whether new tickets get the agents' internal "helpful notes"
    /// (`TICKET_AI_HELPFUL_NOTES`, default true).
    pub ai_helpful_notes: bool,
    /// Retrain the classifier from the desk's tickets this often, in seconds
    /// (`TICKET_AI_RETRAIN_INTERVAL_SECS`, default 0: only on `POST /ai/retrain`).
    pub ai_retrain_interval_secs: u64,
    /// An OpenAI-compatible endpoint up to `/v1` (`TICKET_AI_LLM_URL`; unset: no LLM).
    pub ai_llm_url: Option<String>,
    /// Its model (`TICKET_AI_LLM_MODEL`, default `gpt-4o-mini`).
    pub ai_llm_model: String,
    /// Its bearer key (`TICKET_AI_LLM_KEY`), never logged.
    pub ai_llm_key: Option<Secret>,
    /// Its timeout in milliseconds (`TICKET_AI_LLM_TIMEOUT_MS`, default 3000); the
    /// local model answers on timeout.
    pub ai_llm_timeout_ms: u64,
    /// Ask the LLM only when the local category confidence is under this
    /// (`TICKET_AI_LLM_ONLY_BELOW`, default 0: always ask).
    pub ai_llm_only_below: f32,
    /// The all-MiniLM-L6-v2 directory (`TICKET_AI_MODEL_DIR`; see `ticket_ai::embed`): in
    /// a build with the feature `embeddings`, the sentence-vector classifier and FAQ
    /// matcher replace the lexical ones. Unset, or a build without the feature: lexical.
    pub ai_model_dir: Option<String>,
    /// The file the lexical model is kept in between runs (`TICKET_AI_MODEL_FILE`,
    /// default `<data_dir>/ai-model.json`; empty: none, the day-one model is trained at
    /// every start and a retrained one is lost on restart). Loaded at start when it
    /// holds a valid model of this version; otherwise the day-one model is trained and
    /// written to it (a corrupt or older file is replaced, with a warning). Each model
    /// retrained from the desk's tickets is written to it too, atomically.
    pub ai_model_file: Option<PathBuf>,
    /// `TICKET_*` variables that name no key (reported as warnings at start).
    #[serde(skip)]
    pub ignored_variables: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("ticket-data"),
            database_url: None,
            database_schema: None,
            database_max_connections: 32,
            jwt_secret: None,
            jwt_issuer: "ticket-engine".into(),
            access_ttl_secs: 900,
            actor_cache_secs: 2,
            admin_email: None,
            admin_password: None,
            cors_origins: Vec::new(),
            body_limit_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            auth_rate_burst: 20,
            auth_rate_per_minute: 30,
            account_rate_burst: 10,
            account_rate_per_minute: 10,
            trusted_proxies: Vec::new(),
            require_verified_email: false,
            sweep_interval_secs: 30,
            relay_interval_ms: 1000,
            relay_batch: 100,
            smtp_url: None,
            mail_from: "Help desk <help@localhost>".into(),
            public_url: None,
            webhook_allow_cidrs: Vec::new(),
            webhook_disable_after_hours: 120,
            hash_cost: HashCostSetting::Recommended,
            email_verification: true,
            open_registration: true,
            install_default_rules: true,
            install_default_sla: true,
            shutdown_grace_secs: 30,
            log: "info".into(),
            ai_enabled: true,
            ai_category_threshold: 0.5,
            ai_priority_threshold: 0.4,
            ai_faq_min_score: 0.6,
            ai_faq_deflect: true,
            ai_helpful_notes: true,
            ai_retrain_interval_secs: 0,
            ai_llm_url: None,
            ai_llm_model: "gpt-4o-mini".into(),
            ai_llm_key: None,
            ai_llm_timeout_ms: 3000,
            ai_llm_only_below: 0.0,
            ai_model_dir: None,
            ai_model_file: None,
            ignored_variables: Vec::new(),
        }
    }
}

impl ServerConfig {
    /// Loads the configuration from the process: `$TICKET_CONFIG` (which must exist when
    /// set) or `./ticket.toml` (when it exists), then the `TICKET_*` variables.
    ///
    /// # Errors
    /// [`ConfigError`] for an unreadable file, unknown keys or bad values.
    pub fn load() -> Result<Self, ConfigError> {
        let (path, required) = match std::env::var_os("TICKET_CONFIG") {
            Some(p) => (PathBuf::from(p), true),
            None => (PathBuf::from("ticket.toml"), false),
        };
        let file = match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        Self::from_sources(file.as_deref(), std::env::vars())
    }

    /// Layers a TOML document (if any) and `TICKET_*` variables over the defaults.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for unknown keys of the file or bad values. Unknown
    /// `TICKET_*` variables are not errors (tests and other tools use the prefix too):
    /// they are listed in `ignored_variables`.
    pub fn from_sources(
        file: Option<&str>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut ignored = Vec::new();
        let mut table: toml::Table = match file {
            Some(text) => text
                .parse()
                .map_err(|e: toml::de::Error| ConfigError::Invalid(e.to_string()))?,
            None => toml::Table::new(),
        };
        for (name, raw) in env {
            let Some(key) = name.strip_prefix("TICKET_") else {
                continue;
            };
            if OTHER_VARIABLES.contains(&name.as_str()) || name.starts_with("TICKET_TEST_") {
                continue;
            }
            let key = key.to_ascii_lowercase();
            let Some((_, kind)) = KEYS.iter().find(|(k, _)| *k == key) else {
                ignored.push(name);
                continue;
            };
            table.insert(key, env_value(&name, &raw, *kind)?);
        }
        let mut config: Self = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.to_string()))?;
        config.check()?;
        config.ignored_variables = ignored;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_string()));
        if self.admin_email.is_some() != self.admin_password.is_some() {
            return bad("set both admin_email and admin_password, or neither");
        }
        if self.access_ttl_secs == 0 || self.request_timeout_secs == 0 {
            return bad("access_ttl_secs and request_timeout_secs must be above zero");
        }
        if self.body_limit_bytes < 1024 {
            return bad("body_limit_bytes must be at least 1024");
        }
        self.trusted_proxy_networks()?;
        self.check_notifications()?;
        self.check_ai()
    }
}
