//! The server's notifier: signed webhooks that reach only public addresses (plus the
//! ranges of `TICKET_WEBHOOK_ALLOW_CIDRS`), and mail through `TICKET_SMTP_URL`, or as
//! `.eml` files under `<data_dir>/mail/` when no SMTP server is configured. Operators
//! override mail texts with files in `<data_dir>/templates/` (see
//! [`ticket_notify::Templates`]).

use crate::config::{ConfigError, ServerConfig};
use std::path::PathBuf;
use std::time::Duration;
use ticket_core::net::{AddressPolicy, IpRange};
use ticket_notify::{
    ChannelNotifier, MailConfig, MailNotifier, MailTransport, SetupError, Templates, WebhookConfig,
    WebhookNotifier,
};

/// Why the notifier could not be built.
#[derive(Debug, thiserror::Error)]
pub enum NotifierError {
    /// A setting is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The notifier refused its settings.
    #[error(transparent)]
    Setup(#[from] SetupError),
}

/// The address ranges webhooks may reach besides public addresses.
///
/// # Errors
/// [`ConfigError::Invalid`] for a range that does not parse.
pub fn webhook_addresses(config: &ServerConfig) -> Result<AddressPolicy, ConfigError> {
    let allow = config
        .webhook_allow_cidrs
        .iter()
        .filter(|c| !c.trim().is_empty())
        .map(|c| {
            c.parse::<IpRange>()
                .map_err(|e| ConfigError::Invalid(format!("webhook_allow_cidrs: {c:?}: {e}")))
        })
        .collect::<Result<_, _>>()?;
    Ok(AddressPolicy { allow })
}

/// The public address of the desk's pages (`TICKET_PUBLIC_URL`, default `http://<bind>`).
#[must_use]
pub fn public_url(config: &ServerConfig) -> String {
    config
        .public_url
        .clone()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| format!("http://{}", config.bind))
        .trim_end_matches('/')
        .to_string()
}

/// Where mail goes without an SMTP server.
#[must_use]
pub fn mail_dir(config: &ServerConfig) -> PathBuf {
    config.data_dir().join("mail")
}

/// The notifier of the server.
///
/// # Errors
/// [`NotifierError`] for a bad SMTP URL, sender, address range or unreadable template.
pub fn build(config: &ServerConfig) -> Result<ChannelNotifier, NotifierError> {
    let webhook = WebhookNotifier::new(WebhookConfig {
        addresses: webhook_addresses(config)?,
        ..WebhookConfig::default()
    })?;
    let transport = match config.smtp_url.as_ref().filter(|u| !u.expose().is_empty()) {
        Some(url) => {
            tracing::info!("mail goes through the configured SMTP server");
            MailTransport::smtp(url.expose(), Duration::from_secs(30))?
        }
        None => {
            let dir = mail_dir(config);
            tracing::info!(
                dir = %dir.display(),
                "no SMTP server configured (TICKET_SMTP_URL): mail is written as .eml files"
            );
            MailTransport::files(dir)
        }
    };
    let mail = MailNotifier::new(
        transport,
        MailConfig {
            from: config.mail_from.clone(),
            templates: Templates::load(&config.data_dir().join("templates"))?,
        },
    )?;
    Ok(ChannelNotifier::new(webhook, mail))
}
