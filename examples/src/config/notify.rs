//! The notification settings' checks (outbox relay, webhooks; the SMTP and webhook
//! address settings are turned into a notifier by [`crate::notifier`]).

use super::{ConfigError, ServerConfig};

impl ServerConfig {
    /// The relay claims at least one delivery per round; a failing webhook is disabled
    /// after at least an hour.
    pub(super) fn check_notifications(&self) -> Result<(), ConfigError> {
        if self.relay_batch == 0 {
            return Err(ConfigError::Invalid(
                "relay_batch must be above zero".into(),
            ));
        }
        if self.webhook_disable_after_hours == 0 {
            return Err(ConfigError::Invalid(
                "webhook_disable_after_hours must be above zero".into(),
            ));
        }
        Ok(())
    }
}
