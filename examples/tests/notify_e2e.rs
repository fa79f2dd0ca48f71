//! The server delivers what it decides to send, end to end over TCP: the verification
//! and reset mails (as `.eml` files without SMTP, and through a real SMTP server, aiosmtpd
//! on loopback, when `.ci/test` started one) carry links whose tokens verify the account
//! and reset the password, the verified account is welcomed, and an FAQ answer posted on
//! a new ticket is mailed to its requester, threaded with the ticket; a team's webhook and `POST /tickets/{id}/notify` reach a real
//! receiver on loopback, the team's signed per Standard Webhooks; the admin API shows the
//! attempt log but never a token.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Bytes;
use axum::http::HeaderMap;
use common::{start, Server, ADMIN_PASSWORD, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use ticket_examples::config::ServerConfig;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A test configuration with a fast relay, loopback webhooks allowed, and `extra`.
fn config(data_dir: &Path, extra: &[(&str, String)]) -> ServerConfig {
    let mut env = vec![
        (
            "TICKET_DATA_DIR".to_string(),
            data_dir.display().to_string(),
        ),
        ("TICKET_DATABASE_URL".into(), "memory:".into()),
        ("TICKET_HASH_COST".into(), "testing".into()),
        ("TICKET_ADMIN_EMAIL".into(), "root@example.com".into()),
        ("TICKET_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()),
        ("TICKET_AUTH_RATE_BURST".into(), "0".into()),
        ("TICKET_BIND".into(), "127.0.0.1:0".into()),
        ("TICKET_RELAY_INTERVAL_MS".into(), "50".into()),
        ("TICKET_PUBLIC_URL".into(), "http://desk.test:8080".into()),
        ("TICKET_WEBHOOK_ALLOW_CIDRS".into(), "127.0.0.0/8".into()),
    ];
    env.extend(extra.iter().map(|(k, v)| ((*k).to_string(), v.clone())));
    ServerConfig::from_sources(None, env).unwrap()
}

/// Where mails arrive: `.eml` files in a directory, or a maildir of the SMTP server.
enum Inbox {
    Files(PathBuf),
    Maildir(PathBuf),
}

impl Inbox {
    /// The raw text of the newest mail to `to` whose text holds `needle`.
    async fn wait_for(&self, to: &str, needle: &str) -> String {
        let dirs = match self {
            Self::Files(d) => vec![d.clone()],
            Self::Maildir(d) => vec![d.join("new"), d.join("cur")],
        };
        for _ in 0..200 {
            for dir in &dirs {
                for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                    let raw = std::fs::read_to_string(e.path()).unwrap_or_default();
                    if raw.contains(&format!("To: {to}")) && raw.contains(needle) {
                        return raw;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no mail to {to} with {needle:?}");
    }
}

/// The token of the link `{public_url}/{page}?token=…`, alone on its line.
fn link_token(raw: &str, page: &str) -> String {
    let prefix = format!("http://desk.test:8080/{page}?token=");
    raw.lines()
        .find_map(|l| l.trim_end_matches('\r').strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {page} link on a line of its own:\n{raw}"))
        .to_string()
}

/// Register → verification mail → verify; forgot → reset mail → reset → log in.
async fn account_mail_flow(s: &Server, inbox: &Inbox, email: &str) {
    let username = email.split('@').next().unwrap().replace(['.', '+'], "-");
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(
                json!({"email": email, "username": username, "name": "Ann", "password": PASSWORD}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let raw = inbox.wait_for(email, "/verify-email?token=").await;
    assert!(raw.contains("Auto-Submitted: auto-generated"));
    let token = link_token(&raw, "verify-email");
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/verify-email",
            None,
            Some(json!({"token": token})),
        )
        .await;
    assert!(r.body["email_verified_at"].is_string(), "{}", r.text);
    // The verified account is welcomed, text and HTML, with the link to its tickets.
    let raw = inbox
        .wait_for(email, "Subject: Welcome to the help desk")
        .await;
    assert!(
        raw.contains("text/plain") && raw.contains("text/html"),
        "{raw}"
    );
    assert!(
        raw.lines()
            .any(|l| l.trim_end_matches('\r') == "http://desk.test:8080/my"),
        "{raw}"
    );

    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/forgot-password",
            None,
            Some(json!({"email": email})),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let raw = inbox.wait_for(email, "/reset-password?token=").await;
    let token = link_token(&raw, "reset-password");
    let new_password = "a brand new passphrase 7";
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/reset-password",
            None,
            Some(json!({"token": token, "password": new_password})),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let session = s.login(email, new_password).await;
    let me = session["access_token"].as_str().unwrap().to_string();

    // A new ticket an FAQ entry answers: the answer is mailed to the requester, threaded
    // with the ticket's mail.
    let root = s.token("admin", ADMIN_PASSWORD).await;
    let answer = "Use the Forgot password link on the sign-in page; the reset e-mail arrives within a minute.";
    let r = s
        .post(
            "/api/v1/faqs",
            &root,
            json!({"question": "How do I reset my password?", "answer": answer}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let r = s
        .post(
            "/api/v1/tickets",
            &me,
            json!({
                "title": "Forgot my password",
                "description": "How do I reset my password? I forgot it and cannot sign in.",
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        r.body["status"], "pending",
        "answered by the FAQ: {}",
        r.text
    );
    let ticket = uuid::Uuid::parse_str(r.body["id"].as_str().unwrap()).unwrap();
    let raw = inbox
        .wait_for(email, "Subject: Re: Forgot my password")
        .await;
    assert!(raw.contains(answer), "{raw}");
    assert!(
        raw.contains("text/plain") && raw.contains("text/html"),
        "{raw}"
    );
    let root_id = format!("<ticket-{}@", ticket.simple());
    let threaded = |name: &str| {
        raw.lines()
            .any(|l| l.starts_with(&format!("{name}: ")) && l.contains(&root_id))
    };
    assert!(threaded("In-Reply-To") && threaded("References"), "{raw}");
    assert!(
        raw.contains(&format!("http://desk.test:8080/my/tickets/{ticket}")),
        "{raw}"
    );

    // The admin API shows the mails and their attempts, never the token.
    let r = s.get("/api/v1/deliveries?limit=100", &root).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        !r.text.contains(&token),
        "a token leaked into the delivery list"
    );
    let mine: Vec<_> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["channel"]["to"] == email)
        .collect();
    // Verification, welcome, reset and the FAQ answer.
    assert_eq!(mine.len(), 4, "{}", r.text);
    for d in mine {
        let one = s
            .get(
                &format!("/api/v1/deliveries/{}", d["id"].as_str().unwrap()),
                &root,
            )
            .await;
        assert_eq!(one.body["status"], "delivered", "{}", one.text);
        assert_eq!(one.body["log"].as_array().unwrap().len(), 1, "{}", one.text);
        assert!(!one.text.contains(&token));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_mails_are_eml_files_whose_links_work() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(&config(dir.path(), &[])).await;
    let inbox = Inbox::Files(dir.path().join("mail"));
    account_mail_flow(&s, &inbox, "ann@example.com").await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_a_real_smtp_server_the_links_work() {
    let (Ok(url), Ok(maildir)) = (
        std::env::var("TICKET_TEST_SMTP_URL"),
        std::env::var("TICKET_TEST_MAILDIR"),
    ) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs the SMTP tests through .ci/test"
        );
        eprintln!("skipped: TICKET_TEST_SMTP_URL / TICKET_TEST_MAILDIR unset (see .ci/test)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let s = start(&config(dir.path(), &[("TICKET_SMTP_URL", url)])).await;
    let email = format!("ann.{}@example.com", uuid::Uuid::now_v7().simple());
    account_mail_flow(&s, &Inbox::Maildir(PathBuf::from(maildir)), &email).await;
    assert!(
        !dir.path().join("mail").exists(),
        "with SMTP nothing is written as files"
    );
    s.stop().await;
}

type Calls = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A receiver on loopback recording every call.
async fn receiver() -> (String, Calls) {
    let calls: Calls = Arc::default();
    let recorded = Arc::clone(&calls);
    let app = axum::Router::new().fallback(axum::routing::any(
        move |headers: HeaderMap, body: Bytes| {
            let calls = Arc::clone(&recorded);
            async move {
                calls.lock().unwrap().push((headers, body));
                "ok"
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, calls)
}

async fn wait_calls(calls: &Calls, n: usize) -> Vec<(HeaderMap, Bytes)> {
    for _ in 0..200 {
        if calls.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    calls.lock().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distribution_and_notify_reach_the_receiver_signed() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(&config(dir.path(), &[])).await;
    let root = s.token("admin", ADMIN_PASSWORD).await;
    let (team_url, team_calls) = receiver().await;
    let (third_url, third_calls) = receiver().await;
    let r = s
        .post(
            "/api/v1/teams",
            &root,
            json!({"name": "Partner desk", "webhook_url": team_url, "webhook_secret": SECRET}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let team = r.body["id"].as_str().unwrap().to_string();
    let r = s
        .post(
            "/api/v1/tickets",
            &root,
            json!({"title": "Printer on fire", "description": "Third floor."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let ticket = r.body["id"].as_str().unwrap().to_string();

    let r = s
        .post(
            "/api/v1/tickets/distribute",
            &root,
            json!({"ticket_ids": [ticket], "team_id": team}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let calls = wait_calls(&team_calls, 1).await;
    assert_eq!(calls.len(), 1, "delivered once");
    let (headers, body) = &calls[0];
    standardwebhooks::Webhook::new(SECRET)
        .unwrap()
        .verify(body, headers)
        .expect("signed per Standard Webhooks");
    let payload: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(payload["ticket"]["id"], ticket.as_str());

    let r = s
        .post(
            &format!("/api/v1/tickets/{ticket}/notify"),
            &root,
            json!({"webhook_url": third_url, "message": "Have a look"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let calls = wait_calls(&third_calls, 1).await;
    assert_eq!(calls.len(), 1);
    let payload: serde_json::Value = serde_json::from_slice(&calls[0].1).unwrap();
    assert_eq!(payload["message"], "Have a look");
    assert!(calls[0].0.contains_key("webhook-id"));

    // A literal private address outside the allowed ranges is refused on input.
    let r = s
        .post(
            &format!("/api/v1/tickets/{ticket}/notify"),
            &root,
            json!({"webhook_url": "http://169.254.169.254/latest/meta-data", "message": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    s.stop().await;
}
