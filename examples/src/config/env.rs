//! The `TICKET_*` variables: which keys they may set and how their text becomes a
//! TOML value layered over the file.

use super::ConfigError;

/// How a variable's text becomes a TOML value.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    Text,
    Number,
    /// A number from 0 to 1.
    Fraction,
    Flag,
    List,
}

/// Every key that may come from the environment.
pub(super) const KEYS: &[(&str, Kind)] = &[
    ("bind", Kind::Text),
    ("data_dir", Kind::Text),
    ("database_url", Kind::Text),
    ("database_schema", Kind::Text),
    ("database_max_connections", Kind::Number),
    ("jwt_secret", Kind::Text),
    ("jwt_issuer", Kind::Text),
    ("access_ttl_secs", Kind::Number),
    ("actor_cache_secs", Kind::Number),
    ("admin_email", Kind::Text),
    ("admin_password", Kind::Text),
    ("cors_origins", Kind::List),
    ("body_limit_bytes", Kind::Number),
    ("request_timeout_secs", Kind::Number),
    ("auth_rate_burst", Kind::Number),
    ("auth_rate_per_minute", Kind::Number),
    ("account_rate_burst", Kind::Number),
    ("account_rate_per_minute", Kind::Number),
    ("trusted_proxies", Kind::List),
    ("require_verified_email", Kind::Flag),
    ("sweep_interval_secs", Kind::Number),
    ("relay_interval_ms", Kind::Number),
    ("relay_batch", Kind::Number),
    ("smtp_url", Kind::Text),
    ("mail_from", Kind::Text),
    ("public_url", Kind::Text),
    ("webhook_allow_cidrs", Kind::List),
    ("webhook_disable_after_hours", Kind::Number),
    ("hash_cost", Kind::Text),
    ("email_verification", Kind::Flag),
    ("open_registration", Kind::Flag),
    ("install_default_rules", Kind::Flag),
    ("install_default_sla", Kind::Flag),
    ("shutdown_grace_secs", Kind::Number),
    ("log", Kind::Text),
    ("ai_enabled", Kind::Flag),
    ("ai_category_threshold", Kind::Fraction),
    ("ai_priority_threshold", Kind::Fraction),
    ("ai_faq_min_score", Kind::Fraction),
    ("ai_faq_deflect", Kind::Flag),
    ("ai_helpful_notes", Kind::Flag),
    ("ai_retrain_interval_secs", Kind::Number),
    ("ai_llm_url", Kind::Text),
    ("ai_llm_model", Kind::Text),
    ("ai_llm_key", Kind::Text),
    ("ai_llm_timeout_ms", Kind::Number),
    ("ai_llm_only_below", Kind::Fraction),
    ("ai_model_dir", Kind::Text),
    ("ai_model_file", Kind::Text),
];

/// Variables that are not keys but are read by the server or by tests.
pub(super) const OTHER_VARIABLES: &[&str] = &["TICKET_CONFIG"];

pub(super) fn env_value(name: &str, raw: &str, kind: Kind) -> Result<toml::Value, ConfigError> {
    let raw = raw.trim();
    Ok(match kind {
        Kind::Text => toml::Value::String(raw.to_string()),
        Kind::Number => toml::Value::Integer(raw.parse().map_err(|_| {
            ConfigError::Invalid(format!("{name} must be a whole number, not {raw:?}"))
        })?),
        Kind::Fraction => toml::Value::Float(
            raw.parse::<f64>()
                .ok()
                .filter(|f| (0.0..=1.0).contains(f))
                .ok_or_else(|| {
                    ConfigError::Invalid(format!(
                        "{name} must be a number from 0 to 1, not {raw:?}"
                    ))
                })?,
        ),
        Kind::Flag => toml::Value::Boolean(match raw.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => true,
            "0" | "false" | "no" | "off" => false,
            _ => {
                return Err(ConfigError::Invalid(format!(
                    "{name} must be true or false"
                )))
            }
        }),
        Kind::List => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_string()))
                .collect(),
        ),
    })
}
