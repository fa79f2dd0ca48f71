//! E-mail: `.eml` files and a real SMTP server (aiosmtpd on loopback, started by
//! `.ci/test`; `TICKET_TEST_SMTP_URL` and `TICKET_TEST_MAILDIR` say where) get multipart
//! text + HTML mail with threading headers; a permanent SMTP refusal (5xx) is not retried
//! while a temporary one (4xx) is (against a minimal SMTP peer on loopback that refuses).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;
use ticket_core::id::TicketId;
use ticket_core::notify::{AttemptOutcome, Channel, NotificationKind, OutboxEntry};
use ticket_core::ports::Notifier as _;
use ticket_core::testkit::fixtures;
use ticket_core::text::Email;
use ticket_notify::{MailConfig, MailNotifier, MailTransport, Templates};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

const LINK: &str =
    "http://127.0.0.1:8080/reset-password?token=Zm9vYmFyYmF6cXV4LW5vdC1hLXJlYWwtdG9rZW4tYXQtYWxs";

fn mail(to: &str, ticket: Option<TicketId>) -> OutboxEntry {
    OutboxEntry::new(
        fixtures::tenant(),
        ticket,
        NotificationKind::PasswordReset,
        Channel::Email {
            to: Email::parse(to).unwrap(),
            subject: "Reset your password".into(),
            body: format!("Hello Ann Émile,\n\nChoose a new password:\n\n{LINK}\n"),
        },
        serde_json::json!({"ticket": {"title": "Printer on fire"}}),
        5,
        fixtures::now(),
    )
}

fn notifier(transport: MailTransport) -> MailNotifier {
    MailNotifier::new(
        transport,
        MailConfig {
            from: "Help desk <help@desk.example>".into(),
            templates: Templates::default(),
        },
    )
    .unwrap()
}

/// The value of header `name` in a raw message (first occurrence, unfolded).
fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    let head = raw.split("\r\n\r\n").next()?;
    head.split("\r\n")
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
}

/// The checks every mail of these tests passes.
fn check_message(raw: &str, ticket: TicketId) {
    let t = ticket.as_uuid().simple();
    assert_eq!(header(raw, "Subject"), Some("Reset your password"));
    assert_eq!(header(raw, "Auto-Submitted"), Some("auto-generated"));
    let id = header(raw, "Message-ID").unwrap();
    assert!(
        id.starts_with('<') && id.ends_with("@desk.example>"),
        "{id}"
    );
    let root = format!("<ticket-{t}@desk.example>");
    assert_eq!(header(raw, "In-Reply-To"), Some(root.as_str()));
    assert_eq!(header(raw, "References"), Some(root.as_str()));
    assert_eq!(
        header(raw, "Reply-To"),
        Some(format!("reply+{t}@desk.example").as_str())
    );
    assert!(raw.contains("multipart/alternative"));
    assert!(raw.contains("text/plain") && raw.contains("text/html"));
    // The link stands whole on its own line of the text part (not wrapped or encoded).
    assert!(raw.contains(&format!("\r\n{LINK}\r\n")), "{raw}");
}

#[tokio::test]
async fn without_smtp_each_mail_is_an_eml_file() {
    let dir = tempfile::tempdir().unwrap();
    let mails = dir.path().join("mail");
    let ticket = TicketId::new();
    let r = notifier(MailTransport::files(&mails))
        .attempt(&mail("ann@example.com", Some(ticket)))
        .await;
    assert_eq!(r.outcome, AttemptOutcome::Delivered, "{r:?}");
    let files: Vec<PathBuf> = std::fs::read_dir(&mails)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].extension().unwrap(), "eml");
    assert_eq!(r.response.as_deref(), Some(files[0].to_str().unwrap()));
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    check_message(&raw, ticket);
    assert_eq!(header(&raw, "To"), Some("ann@example.com"));
}

/// Where the test SMTP server is, or `None` (then the test says it skipped; under CI it
/// fails instead).
fn smtp_server() -> Option<(String, PathBuf)> {
    match (
        std::env::var("TICKET_TEST_SMTP_URL"),
        std::env::var("TICKET_TEST_MAILDIR"),
    ) {
        (Ok(url), Ok(dir)) => Some((url, PathBuf::from(dir))),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run the SMTP tests: run them through .ci/test"
            );
            eprintln!("skipped: TICKET_TEST_SMTP_URL / TICKET_TEST_MAILDIR unset (see .ci/test)");
            None
        }
    }
}

/// The raw message in `maildir` sent to `to`, waiting for it a little.
async fn find_in_maildir(maildir: &Path, to: &str) -> String {
    for _ in 0..100 {
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(maildir.join(sub)) else {
                continue;
            };
            for e in entries.flatten() {
                let raw = std::fs::read_to_string(e.path()).unwrap_or_default();
                if raw.contains(&format!("To: {to}")) {
                    // The maildir writer uses LF line ends.
                    return raw.replace("\r\n", "\n").replace('\n', "\r\n");
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no mail to {to} in {}", maildir.display());
}

#[tokio::test]
async fn a_real_smtp_server_gets_the_mail() {
    let Some((url, maildir)) = smtp_server() else {
        return;
    };
    let to = format!("ann-{}@example.com", uuid::Uuid::now_v7().simple());
    let ticket = TicketId::new();
    let n = notifier(MailTransport::smtp(&url, Duration::from_secs(10)).unwrap());
    let r = n.attempt(&mail(&to, Some(ticket))).await;
    assert_eq!(r.outcome, AttemptOutcome::Delivered, "{r:?}");
    assert_eq!(r.status_code, Some(250));
    let raw = find_in_maildir(&maildir, &to).await;
    check_message(&raw, ticket);
}

/// A minimal SMTP peer on loopback that refuses every recipient with `code`.
async fn refusing_smtp(code: u16) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 refuser ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
                    let reply = match verb.as_str() {
                        "EHLO" | "HELO" => "250 refuser\r\n".to_string(),
                        "RCPT" => format!("{code} 5.1.1 no such user here\r\n"),
                        "QUIT" => "221 bye\r\n".to_string(),
                        _ => "250 ok\r\n".to_string(),
                    };
                    if write.write_all(reply.as_bytes()).await.is_err() || verb == "QUIT" {
                        break;
                    }
                }
            });
        }
    });
    format!("smtp://{addr}")
}

#[tokio::test]
async fn a_permanent_bounce_is_not_retried_a_temporary_one_is() {
    for (code, permanent) in [(550, true), (451, false)] {
        let url = refusing_smtp(code).await;
        let n = notifier(MailTransport::smtp(&url, Duration::from_secs(5)).unwrap());
        let r = n.attempt(&mail("nobody@example.com", None)).await;
        assert_eq!(r.status_code, Some(code), "{r:?}");
        if permanent {
            assert_eq!(r.outcome, AttemptOutcome::Permanent, "{r:?}");
        } else {
            assert!(matches!(r.outcome, AttemptOutcome::Retry { .. }), "{r:?}");
        }
    }
}
