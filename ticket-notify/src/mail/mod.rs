//! [`MailNotifier`]: e-mail deliveries through lettre, over SMTP or into `.eml` files.

mod message;
mod templates;

pub use templates::{Templates, Values};

use crate::route::as_delivery;
use crate::SetupError;
use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport as _, Tokio1Executor};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use ticket_core::notify::{error_text, AttemptOutcome, AttemptResult, Channel, OutboxEntry};
use ticket_core::ports::Notifier;
use ticket_core::Result;

/// Where mail goes.
#[derive(Clone)]
pub enum MailTransport {
    /// An SMTP server.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// One RFC 5322 `.eml` file per mail in a directory (no SMTP server configured).
    Files(PathBuf),
}

impl std::fmt::Debug for MailTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The transport holds the credentials: never print it.
            Self::Smtp(_) => f.write_str("Smtp(..)"),
            Self::Files(dir) => f.debug_tuple("Files").field(dir).finish(),
        }
    }
}

impl MailTransport {
    /// An SMTP transport from a URL: `smtp://host:25` (plain), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS), `smtps://user:pass@host:465` (TLS), as lettre reads them.
    ///
    /// # Errors
    /// [`SetupError::SmtpUrl`] when the URL does not parse.
    pub fn smtp(url: &str, timeout: Duration) -> std::result::Result<Self, SetupError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(SetupError::SmtpUrl)?
            .timeout(Some(timeout))
            .build();
        Ok(Self::Smtp(transport))
    }

    /// `.eml` files in `dir` (created when missing, at the first mail).
    #[must_use]
    pub fn files(dir: impl AsRef<Path>) -> Self {
        Self::Files(dir.as_ref().to_path_buf())
    }
}

/// How e-mail is written.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The sender, e.g. `Help desk <help@example.com>`; its domain names the
    /// `Message-ID`s and the per-ticket `Reply-To` addresses.
    pub from: String,
    /// The texts.
    pub templates: Templates,
}

/// Sends e-mail deliveries.
#[derive(Debug, Clone)]
pub struct MailNotifier {
    transport: MailTransport,
    from: Mailbox,
    templates: Arc<Templates>,
}

impl MailNotifier {
    /// A notifier sending through `transport`.
    ///
    /// # Errors
    /// [`SetupError::From`] when the sender does not parse.
    pub fn new(
        transport: MailTransport,
        config: MailConfig,
    ) -> std::result::Result<Self, SetupError> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|_| SetupError::From(config.from.clone()))?;
        Ok(Self {
            transport,
            from,
            templates: Arc::new(config.templates),
        })
    }

    async fn send(&self, entry: &OutboxEntry) -> AttemptResult {
        let message = match message::build(entry, &self.from, &self.templates, true) {
            Ok(m) => m,
            Err(e) => return permanent(None, e),
        };
        match &self.transport {
            MailTransport::Smtp(smtp) => {
                let mut sent = smtp.send(message).await;
                if matches!(&sent, Err(e) if e.is_client()) {
                    // lettre refused the 8bit text part (no 8BITMIME): encode it instead.
                    match message::build(entry, &self.from, &self.templates, false) {
                        Ok(m) => sent = smtp.send(m).await,
                        Err(e) => return permanent(None, e),
                    }
                }
                match sent {
                    Ok(response) => AttemptResult {
                        response: Some(AttemptResult::snippet(
                            &response.message().collect::<Vec<_>>().join(" "),
                        )),
                        ..AttemptResult::delivered(code(response.code()))
                    },
                    Err(e) => smtp_failure(&e),
                }
            }
            MailTransport::Files(dir) => {
                if let Err(e) = tokio::fs::create_dir_all(dir).await {
                    return AttemptResult::retry(format!("{}: {e}", dir.display()));
                }
                match AsyncFileTransport::<Tokio1Executor>::new(dir)
                    .send(message)
                    .await
                {
                    Ok(id) => {
                        let path = dir.join(format!("{id}.eml"));
                        tracing::info!(
                            delivery = %entry.id,
                            kind = ?entry.kind,
                            path = %path.display(),
                            "e-mail written to a file (no SMTP server configured)"
                        );
                        AttemptResult {
                            response: Some(path.display().to_string()),
                            ..AttemptResult::delivered(None)
                        }
                    }
                    Err(e) => AttemptResult::retry(error_text(&e)),
                }
            }
        }
    }
}

/// An SMTP reply code as a number.
fn code(c: lettre::transport::smtp::response::Code) -> Option<u16> {
    c.to_string().parse().ok()
}

/// A failed SMTP send: a permanent (5xx) reply is not retried.
fn smtp_failure(e: &SmtpError) -> AttemptResult {
    let status = e.status().and_then(code);
    if e.is_permanent() {
        permanent(status, error_text(e))
    } else {
        AttemptResult {
            status_code: status,
            ..AttemptResult::retry(error_text(e))
        }
    }
}

fn permanent(status_code: Option<u16>, error: String) -> AttemptResult {
    AttemptResult {
        outcome: AttemptOutcome::Permanent,
        status_code,
        error: Some(error),
        response: None,
    }
}

#[async_trait]
impl Notifier for MailNotifier {
    async fn deliver(&self, entry: &OutboxEntry) -> Result<()> {
        as_delivery(self.attempt(entry).await)
    }

    async fn attempt(&self, entry: &OutboxEntry) -> AttemptResult {
        match entry.channel {
            Channel::Email { .. } => self.send(entry).await,
            Channel::Webhook { .. } => permanent(None, "not an e-mail delivery".to_string()),
        }
    }
}
