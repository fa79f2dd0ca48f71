//! The texts of e-mails: one plain-text and one HTML template per kind of notification,
//! built in, each replaceable by a file an operator puts in a directory
//! (`<kind>.txt`, `<kind>.html`, e.g. `password_reset.html`, `welcome.txt`,
//! `deflection_answer.html`).
//!
//! A template is text with `{{name}}` placeholders: `subject`, `body` (the message the
//! desk composed: greeting, explanation and link), `link` (the first `http(s)` link of
//! the body, or empty), `ticket_id`, `ticket_title` (empty for account mail). In HTML
//! templates every value is HTML-escaped, and `{{body_html}}` is the body as paragraphs
//! with its links clickable.

use crate::SetupError;
use std::collections::HashMap;
use std::path::Path;
use ticket_core::notify::NotificationKind;

/// Every kind of notification, with the name its template files use.
const KINDS: [(NotificationKind, &str); 14] = [
    (NotificationKind::VerifyEmail, "verify_email"),
    (NotificationKind::PasswordReset, "password_reset"),
    (NotificationKind::TicketCreated, "ticket_created"),
    (NotificationKind::TicketAssigned, "ticket_assigned"),
    (NotificationKind::TicketUpdated, "ticket_updated"),
    (NotificationKind::CommentAdded, "comment_added"),
    (NotificationKind::SlaWarning, "sla_warning"),
    (NotificationKind::SlaBreached, "sla_breached"),
    (NotificationKind::Escalated, "escalated"),
    (NotificationKind::Distributed, "distributed"),
    (NotificationKind::Message, "message"),
    (NotificationKind::Welcome, "welcome"),
    (NotificationKind::DeflectionAnswer, "deflection_answer"),
    (NotificationKind::EndpointDisabled, "endpoint_disabled"),
];

/// The headline of each kind in the built-in templates.
fn headline(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::VerifyEmail => "Confirm your e-mail address",
        NotificationKind::PasswordReset => "Reset your password",
        NotificationKind::TicketCreated => "We received your request",
        NotificationKind::TicketAssigned => "A ticket was assigned to you",
        NotificationKind::TicketUpdated => "Your ticket was updated",
        NotificationKind::CommentAdded => "There is a new reply on your ticket",
        NotificationKind::SlaWarning => "A ticket is close to its SLA deadline",
        NotificationKind::SlaBreached => "A ticket missed its SLA deadline",
        NotificationKind::Escalated => "A ticket was escalated",
        NotificationKind::Distributed => "A ticket was sent to your team",
        NotificationKind::Message => "A message from the help desk",
        NotificationKind::Welcome => "Welcome to the help desk",
        NotificationKind::DeflectionAnswer => "An answer that may solve your request",
        NotificationKind::EndpointDisabled => "A webhook endpoint was disabled",
    }
}

const FOOTER: &str = "This message was sent automatically by the help desk.";

/// The values a template is filled with.
#[derive(Debug, Clone, Default)]
pub struct Values<'a> {
    /// The subject.
    pub subject: &'a str,
    /// The composed message.
    pub body: &'a str,
    /// The ticket's id, if the mail is about one.
    pub ticket_id: Option<String>,
    /// The ticket's title, if known.
    pub ticket_title: Option<&'a str>,
}

/// The plain-text and HTML templates of every kind.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    text: HashMap<NotificationKind, String>,
    html: HashMap<NotificationKind, String>,
}

impl Templates {
    /// The built-in templates, replaced by the files found in `dir` (missing files keep
    /// the built-in one; a missing directory changes nothing).
    ///
    /// # Errors
    /// [`SetupError::Template`] when a file exists but cannot be read.
    pub fn load(dir: &Path) -> Result<Self, SetupError> {
        let mut t = Self::default();
        for (kind, name) in KINDS {
            for (ext, map) in [("txt", &mut t.text), ("html", &mut t.html)] {
                let path = dir.join(format!("{name}.{ext}"));
                match std::fs::read_to_string(&path) {
                    Ok(text) => {
                        map.insert(kind, text);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(source) => {
                        return Err(SetupError::Template {
                            path: path.display().to_string(),
                            source,
                        })
                    }
                }
            }
        }
        Ok(t)
    }

    /// The plain-text part.
    #[must_use]
    pub fn text(&self, kind: NotificationKind, v: &Values<'_>) -> String {
        let template = self.text.get(&kind).map_or_else(
            || format!("{}\n\n{{{{body}}}}\n\n-- \n{FOOTER}\n", headline(kind)),
            Clone::clone,
        );
        fill(&template, v, |s| s.to_string())
    }

    /// The HTML part.
    #[must_use]
    pub fn html(&self, kind: NotificationKind, v: &Values<'_>) -> String {
        let template = self.html.get(&kind).map_or_else(
            || {
                format!(
                    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{{{{subject}}}}</title></head>\n\
                     <body style=\"font-family: sans-serif; line-height: 1.5\">\n\
                     <h1 style=\"font-size: 1.2em\">{}</h1>\n{{{{body_html}}}}\n\
                     <p style=\"color: #666; font-size: 0.9em\">{FOOTER}</p>\n</body></html>\n",
                    headline(kind)
                )
            },
            Clone::clone,
        );
        let filled = template.replace("{{body_html}}", &body_html(v.body));
        fill(&filled, v, escape)
    }
}

/// `template` with every `{{name}}` replaced by its value passed through `encode`.
fn fill(template: &str, v: &Values<'_>, encode: impl Fn(&str) -> String) -> String {
    let link = first_link(v.body).unwrap_or_default();
    let pairs = [
        ("{{subject}}", v.subject),
        ("{{body}}", v.body),
        ("{{link}}", link),
        ("{{ticket_id}}", v.ticket_id.as_deref().unwrap_or_default()),
        ("{{ticket_title}}", v.ticket_title.unwrap_or_default()),
    ];
    // One pass, so a value that itself contains `{{…}}` is never expanded.
    let mut out = String::with_capacity(template.len() + v.body.len());
    let mut rest = template;
    'scan: while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        for (name, value) in pairs {
            if let Some(after) = tail.strip_prefix(name) {
                out.push_str(&encode(value));
                rest = after;
                continue 'scan;
            }
        }
        out.push_str("{{");
        rest = &tail[2..];
    }
    out.push_str(rest);
    out
}

/// The first `http://` or `https://` word of a text.
fn first_link(text: &str) -> Option<&str> {
    text.split_whitespace()
        .find(|w| w.starts_with("https://") || w.starts_with("http://"))
}

/// HTML-escapes text.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A plain-text body as HTML paragraphs, its links clickable.
fn body_html(body: &str) -> String {
    body.split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let lines: Vec<String> = p
                .lines()
                .map(|line| {
                    line.split(' ')
                        .map(|w| {
                            if w.starts_with("https://") || w.starts_with("http://") {
                                let e = escape(w);
                                format!("<a href=\"{e}\">{e}</a>")
                            } else {
                                escape(w)
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            format!("<p>{}</p>", lines.join("<br>\n"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(body: &str) -> Values<'_> {
        Values {
            subject: "Reset <now>",
            body,
            ticket_id: None,
            ticket_title: None,
        }
    }

    #[test]
    fn built_in_templates_carry_the_body_and_an_escaped_clickable_html_link() {
        let t = Templates::default();
        let body = "Hello Ann,\n\nChoose a new password:\n\nhttps://desk.example/reset-password?token=a_b-c&x=<1>";
        let text = t.text(NotificationKind::PasswordReset, &values(body));
        assert!(text.contains("\nhttps://desk.example/reset-password?token=a_b-c&x=<1>\n"));
        let html = t.html(NotificationKind::PasswordReset, &values(body));
        assert!(html.contains(
            "<a href=\"https://desk.example/reset-password?token=a_b-c&amp;x=&lt;1&gt;\">"
        ));
        assert!(html.contains("<title>Reset &lt;now&gt;</title>"));
        assert!(!html.contains("<1>"));
    }

    #[test]
    fn welcome_and_deflection_answer_have_built_in_templates_and_take_files() {
        let t = Templates::default();
        let welcome = t.text(NotificationKind::Welcome, &values("Hello Ann"));
        assert!(welcome.starts_with("Welcome to the help desk\n\nHello Ann"));
        let html = t.html(NotificationKind::DeflectionAnswer, &values("The answer"));
        assert!(html.contains("An answer that may solve your request"));
        assert!(html.contains("<p>The answer</p>"));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for (file, text) in [
            ("welcome.txt", "Hi! {{body}}"),
            ("deflection_answer.html", "<b>{{ticket_title}}</b>"),
        ] {
            std::fs::write(dir.path().join(file), text).unwrap_or_else(|e| panic!("{e}"));
        }
        let t = Templates::load(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.text(NotificationKind::Welcome, &values("x")), "Hi! x");
        let v = Values {
            ticket_title: Some("Locked <out>"),
            ..values("x")
        };
        assert_eq!(
            t.html(NotificationKind::DeflectionAnswer, &v),
            "<b>Locked &lt;out&gt;</b>"
        );
        // The other part of each kind stays built in.
        assert!(t
            .html(NotificationKind::Welcome, &v)
            .contains("Welcome to the help desk"));
    }

    #[test]
    fn files_override_and_values_are_not_expanded_twice() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            dir.path().join("verify_email.txt"),
            "Go to {{link}} ({{unknown}})",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let t = Templates::load(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let out = t.text(
            NotificationKind::VerifyEmail,
            &values("see https://x.example/verify-email?token={{subject}} now"),
        );
        assert_eq!(
            out,
            "Go to https://x.example/verify-email?token={{subject}} ({{unknown}})"
        );
        assert!(t
            .text(NotificationKind::Message, &values("hi"))
            .contains("hi"));
    }
}
