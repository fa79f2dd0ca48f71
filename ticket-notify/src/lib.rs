//! Outbound notifiers of the ticketing engine: implementations of
//! [`ticket_core::ports::Notifier`] that the outbox relay
//! ([`ticket_core::HelpDesk::relay_outbox`]) hands each delivery to.
//!
//! - [`WebhookNotifier`]: a JSON POST signed per [Standard Webhooks] 1.0 (`webhook-id` =
//!   the entry's idempotency key, the same on every retry; `webhook-timestamp`;
//!   `webhook-signature: v1,<base64 HMAC-SHA256>`; `whsec_` secrets, two during a
//!   rotation, see [`signing`]), with SSRF protection at connect time: every address a
//!   name resolves to is checked against [`ticket_core::net::AddressPolicy`] and the
//!   connection goes to a checked address; URLs written as IP addresses are checked before
//!   sending; redirects are never followed; proxies from the environment are ignored.
//! - [`MailNotifier`]: e-mail through [`lettre`], over SMTP ([`MailTransport::smtp`],
//!   `smtp://`, `smtp://…?tls=required` for STARTTLS, `smtps://`) or as one RFC 5322
//!   `.eml` file per mail in a directory ([`MailTransport::files`]) when no SMTP server is
//!   configured; plain text + HTML from [`Templates`] an operator can override; threading
//!   headers per ticket, `Auto-Submitted: auto-generated` and a per-ticket `Reply-To`.
//! - [`ChannelNotifier`]: routes each delivery to one of them by its channel.
//!
//! Every notifier answers [`Notifier::attempt`] with what the other side said, so the
//! relay can honour `Retry-After`, stop at a permanent bounce and disable an endpoint that
//! answered 410.
//!
//! [Standard Webhooks]: https://www.standardwebhooks.com/
//! [`Notifier`]: ticket_core::ports::Notifier
//! [`Notifier::attempt`]: ticket_core::ports::Notifier::attempt
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod guard;
pub mod mail;
mod route;
pub mod signing;
pub mod webhook;

pub use mail::{MailConfig, MailNotifier, MailTransport, Templates};
pub use route::ChannelNotifier;
pub use webhook::{WebhookConfig, WebhookNotifier};

/// Why a notifier could not be built (bad configuration).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The SMTP URL does not parse or names an unknown scheme or TLS mode.
    #[error("bad SMTP URL: {0}")]
    SmtpUrl(#[source] lettre::transport::smtp::Error),
    /// The sender address does not parse.
    #[error("bad sender address {0:?}")]
    From(String),
    /// The HTTP client could not be built.
    #[error("the HTTP client could not be built")]
    Http(#[source] reqwest::Error),
    /// A template file could not be read.
    #[error("template {path} could not be read")]
    Template {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}
