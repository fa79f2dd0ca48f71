//! A real HTTP receiver on loopback for the webhook tests: it records every call and
//! answers with a scripted status per call (the last one repeats).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::any;
use axum::Router;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use ticket_core::net::AddressPolicy;
use ticket_notify::{WebhookConfig, WebhookNotifier};

/// One call the receiver got.
#[derive(Debug, Clone)]
pub struct Call {
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// What the receiver answers.
#[derive(Debug, Clone)]
pub enum Answer {
    Status(u16),
    /// A status with a `Retry-After` in seconds.
    RetryAfter(u16, u64),
    /// A status with a `Retry-After` given as written (an HTTP-date).
    RetryAt(u16, String),
    /// A redirect to a URL.
    Redirect(String),
    /// Never answers.
    Hang,
    /// The status the test holds in the cell when the call comes.
    Current(Arc<AtomicU16>),
}

#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    pub calls: Arc<Mutex<Vec<Call>>>,
}

impl Receiver {
    pub async fn start(script: Vec<Answer>) -> Self {
        Self::start_on("127.0.0.1:0", script).await
    }

    pub async fn start_on(bind: &str, script: Vec<Answer>) -> Self {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(script);
        let recorded = Arc::clone(&calls);
        let app = Router::new().fallback(any(move |headers: HeaderMap, body: Bytes| {
            let (calls, script) = (Arc::clone(&recorded), Arc::clone(&script));
            async move {
                let n = {
                    let mut c = calls.lock().unwrap();
                    c.push(Call { headers, body });
                    c.len() - 1
                };
                let answer = script
                    .get(n)
                    .or(script.last())
                    .cloned()
                    .unwrap_or(Answer::Status(200));
                match answer {
                    Answer::Status(s) => {
                        (StatusCode::from_u16(s).unwrap(), "thanks").into_response()
                    }
                    Answer::RetryAfter(s, secs) => (
                        StatusCode::from_u16(s).unwrap(),
                        [("retry-after", secs.to_string())],
                        "slow down",
                    )
                        .into_response(),
                    Answer::RetryAt(s, date) => (
                        StatusCode::from_u16(s).unwrap(),
                        [("retry-after", date)],
                        "slow down",
                    )
                        .into_response(),
                    Answer::Redirect(to) => {
                        (StatusCode::FOUND, [("location", to)], "").into_response()
                    }
                    Answer::Current(cell) => (
                        StatusCode::from_u16(cell.load(Ordering::SeqCst)).unwrap(),
                        "as told",
                    )
                        .into_response(),
                    Answer::Hang => {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        StatusCode::OK.into_response()
                    }
                }
            }
        }));
        let listener = tokio::net::TcpListener::bind(bind).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, calls }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

/// A notifier that may reach loopback (the receivers of these tests).
pub fn loopback_notifier(timeout: Duration) -> WebhookNotifier {
    WebhookNotifier::new(WebhookConfig {
        addresses: AddressPolicy {
            allow: vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()],
        },
        timeout,
        ..WebhookConfig::default()
    })
    .unwrap()
}

/// A notifier with no allowance: only public addresses.
pub fn public_notifier() -> WebhookNotifier {
    WebhookNotifier::new(WebhookConfig::default()).unwrap()
}
