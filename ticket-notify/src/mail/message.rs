//! Builds the RFC 5322 message of an e-mail delivery: multipart plain text + HTML,
//! `Message-ID` per delivery, `In-Reply-To`/`References` naming one root id per ticket
//! (so every mail about a ticket threads together), `Auto-Submitted: auto-generated`, and
//! a per-ticket `Reply-To` address (`reply+<ticket>@<domain>`) for the inbound channel.

use super::templates::{Templates, Values};
use lettre::message::header::{
    ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue,
};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use ticket_core::notify::{Channel, OutboxEntry};

/// `Auto-Submitted: auto-generated` (RFC 3834): machine mail, so auto-responders stay
/// quiet.
#[derive(Debug, Clone, Copy)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_string())
    }
}

/// The longest line (in bytes, without CRLF) SMTP carries unencoded (RFC 5322).
const MAX_LINE: usize = 998;

/// A text body kept verbatim, so a link stays whole on its own line (a reader or a test
/// finds it as written): 7bit when ASCII, else 8bit (RFC 6152), with CRLF line ends.
/// lettre would pick quoted-printable or base64 for lines past 76 characters, so the
/// body is handed over pre-encoded; a text with NUL, a bare CR or a line past
/// [`MAX_LINE`] bytes gets the encoding lettre picks instead.
fn verbatim(text: String) -> Body {
    let normalised = text.replace("\r\n", "\n");
    let fits =
        !normalised.contains(['\0', '\r']) && normalised.lines().all(|l| l.len() <= MAX_LINE);
    if !fits {
        return Body::new(text);
    }
    let encoding = if normalised.is_ascii() {
        ContentTransferEncoding::SevenBit
    } else {
        ContentTransferEncoding::EightBit
    };
    Body::dangerous_pre_encoded(normalised.replace('\n', "\r\n").into_bytes(), encoding)
}

/// The message of `entry`; with `verbatim_text` the text part is sent unencoded (see
/// [`verbatim`]), else in the encoding lettre picks (for servers without 8BITMIME).
///
/// # Errors
/// A description when the entry is not an e-mail or its parts do not form a message.
pub(super) fn build(
    entry: &OutboxEntry,
    from: &Mailbox,
    templates: &Templates,
    verbatim_text: bool,
) -> Result<Message, String> {
    let Channel::Email { to, subject, body } = &entry.channel else {
        return Err("not an e-mail delivery".to_string());
    };
    let to: Mailbox = to
        .as_str()
        .parse()
        .map_err(|e| format!("bad recipient: {e}"))?;
    let domain = from.email.domain().to_string();
    let ticket = entry.ticket_id.map(|t| t.as_uuid().simple().to_string());
    let title = entry.payload["ticket"]["title"].as_str();
    let values = Values {
        subject,
        body,
        ticket_id: entry.ticket_id.map(|t| t.to_string()),
        ticket_title: title,
    };
    let text = templates.text(entry.kind, &values);
    let html = templates.html(entry.kind, &values);
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject.as_str())
        .message_id(Some(format!("<{}@{domain}>", entry.id.as_uuid().simple())))
        .header(AutoSubmitted);
    if let Some(ticket) = &ticket {
        let root = format!("<ticket-{ticket}@{domain}>");
        builder = builder.in_reply_to(root.clone()).references(root);
        let reply: Mailbox = format!("reply+{ticket}@{domain}")
            .parse()
            .map_err(|e| format!("bad reply address: {e}"))?;
        builder = builder.reply_to(reply);
    }
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(
                    if verbatim_text {
                        verbatim(text)
                    } else {
                        Body::new(text)
                    },
                ))
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(Body::new(html)),
                ),
        )
        .map_err(|e| format!("the message could not be built: {e}"))
}
