//! No password, password hash or token ever reaches the logs: every server-side log line
//! of a full session (at TRACE level, every target but the test's own HTTP and WebSocket
//! clients) is captured and searched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{start, PASSWORD};
use reqwest::Method;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use ticket_core::account::Role;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::EnvFilter;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_logs() {
    let capture = Capture::default();
    let filter = EnvFilter::new(
        "trace,reqwest=off,hyper_util::client=off,tungstenite=off,tokio_tungstenite=off",
    );
    let subscriber = tracing_subscriber::registry().with(filter).with(
        tracing_subscriber::fmt::layer()
            .with_writer(capture.clone())
            .with_ansi(false),
    );
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let s = start().await;
    let mut secrets: Vec<String> = vec![PASSWORD.to_string()];
    let r = s
        .req(Method::POST, "/api/v1/auth/register", None, Some(json!({"email": "ann@example.com", "username": "ann", "name": "Ann", "password": PASSWORD})))
        .await;
    assert_eq!(r.status, 201);
    let verify = s.mailed_token("ann@example.com").await;
    secrets.push(verify.clone());
    s.req(
        Method::POST,
        "/api/v1/auth/verify-email",
        None,
        Some(json!({"token": verify})),
    )
    .await;
    let session = s.login("ann").await;
    let access = session["access_token"].as_str().unwrap().to_string();
    let refresh = session["refresh_token"].as_str().unwrap().to_string();
    secrets.extend([access.clone(), refresh.clone()]);
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    secrets.push(r.body["refresh_token"].as_str().unwrap().to_string());
    secrets.push(r.body["access_token"].as_str().unwrap().to_string());
    // A replay, a wrong password, a failing and a succeeding password change and reset.
    s.req(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await;
    s.req(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"login": "ann", "password": "Wrong-Password-123"})),
    )
    .await;
    secrets.push("Wrong-Password-123".into());
    let new_password = "brand new password 2";
    secrets.push(new_password.into());
    let r = s
        .req(
            Method::PUT,
            "/api/v1/me/password",
            Some(&access),
            Some(json!({"current_password": PASSWORD, "new_password": new_password})),
        )
        .await;
    assert_eq!(r.status, 204);
    s.req(
        Method::POST,
        "/api/v1/auth/forgot-password",
        None,
        Some(json!({"email": "ann@example.com"})),
    )
    .await;
    let reset = s.mailed_token("ann@example.com").await;
    secrets.push(reset.clone());
    let third = "third password here";
    secrets.push(third.into());
    s.req(
        Method::POST,
        "/api/v1/auth/reset-password",
        None,
        Some(json!({"token": reset, "password": third})),
    )
    .await;
    // Staff creation, a team webhook secret, a token in a query string, a bad body.
    let (_, admin) = s.user("root", Role::Admin).await;
    secrets.push(admin.clone());
    s.post("/api/v1/teams", &admin, json!({"name": "Ops", "webhook_url": "https://x.example.com", "webhook_secret": "team-webhook-secret-value"})).await;
    secrets.push("team-webhook-secret-value".into());
    s.raw(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some("application/json"),
        Some(&format!("{{\"login\": \"ann\", \"password\": 12{PASSWORD}")),
    )
    .await;
    let sse = s
        .http
        .get(s.url(&format!("/api/v1/events/sse?access_token={admin}")))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    drop(sse);
    s.stop().await;

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    // The capture works: requests were logged under their routes.
    assert!(logs.contains("route=\"/api/v1/auth/login\""), "{logs}");
    assert!(logs.contains("route=\"/api/v1/events/sse\""));
    assert!(logs.contains("status=401"));
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "a secret reached the logs: {secret}"
        );
    }
    assert!(
        !logs.contains("$argon2"),
        "a password hash reached the logs"
    );
    assert!(
        !logs.to_lowercase().contains("bearer ey"),
        "an Authorization header reached the logs"
    );
}
