//! A real server on a loopback port over `MemoryStore`, and a small JSON client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod spec;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;
use ticket_core::account::{HashCost, Role};
use ticket_core::desk::RegisterInput;
use ticket_core::memory::MemoryStore;
use ticket_core::notify::Channel;
use ticket_core::ports::{Notifier, Outbox};
use ticket_core::text::Secret;
use ticket_core::{Actor, HelpDesk, HelpDeskConfig, TenantId};
use ticket_http::{AppState, AuthConfig, HttpConfig};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const PASSWORD: &str = "correct horse battery staple";
pub const SECRET: &str = "test secret of at least thirty-two bytes!";

pub struct TestServer {
    pub base: String,
    pub addr: std::net::SocketAddr,
    pub store: MemoryStore,
    pub desk: HelpDesk,
    pub state: AppState,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ticket_http::Error>>>,
}

pub fn http_config() -> HttpConfig {
    HttpConfig {
        auth: AuthConfig {
            jwt_secret: Secret::new(SECRET),
            ..AuthConfig::default()
        },
        auth_rate_limit: None,
        ..HttpConfig::default()
    }
}

pub async fn start() -> TestServer {
    start_with(http_config()).await
}

pub fn desk_config() -> HelpDeskConfig {
    HelpDeskConfig {
        hash_cost: HashCost::TESTING,
        ..HelpDeskConfig::default()
    }
}

pub async fn start_with(config: HttpConfig) -> TestServer {
    start_custom(config, desk_config(), None).await
}

pub async fn start_custom(
    config: HttpConfig,
    desk_config: HelpDeskConfig,
    notifier: Option<Arc<dyn Notifier>>,
) -> TestServer {
    let store = MemoryStore::new();
    let mut builder = HelpDesk::builder(Arc::new(store.clone()))
        .event_bus(Arc::new(store.clone()))
        .config(desk_config);
    if let Some(n) = notifier {
        builder = builder.notifier(n);
    }
    let desk = builder.build().unwrap();
    let state = AppState::new(desk.clone(), config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = oneshot::channel::<()>();
    let router = ticket_http::router(state.clone());
    let task = tokio::spawn(ticket_http::serve(listener, router, async {
        let _ = rx.await;
    }));
    TestServer {
        base: format!("http://{addr}"),
        addr,
        store,
        desk,
        state,
        http: reqwest::Client::new(),
        stop: Some(stop),
        task: Some(task),
    }
}

/// One response: status, headers, parsed body (or `Null`).
#[derive(Debug)]
pub struct Res {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Res {
    pub fn is_problem(&self) -> bool {
        self.headers
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap().starts_with("application/problem+json"))
            && self.body["status"].as_u64() == Some(u64::from(self.status.as_u16()))
            && self.body["code"].is_string()
            && self.body["type"].is_string()
            && self.body["title"].is_string()
            && self.body["detail"].is_string()
            && self.body["errors"].is_array()
    }

    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn req(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Res {
        let mut r = self.http.request(method.clone(), self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        let ct = headers.get("content-type").map(|v| v.to_str().unwrap());
        spec::check_response(method.as_str(), path, status.as_u16(), ct, &text);
        Res {
            status,
            headers,
            body,
            text,
        }
    }

    /// A request with a raw body and content type (for malformed input).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Option<&str>,
    ) -> Res {
        let mut r = self.http.request(method.clone(), self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(ct) = content_type {
            r = r.header("content-type", ct);
        }
        if let Some(b) = body {
            r = r.body(b.to_string());
        }
        let res = r.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        let ct = headers.get("content-type").map(|v| v.to_str().unwrap());
        spec::check_response(method.as_str(), path, status.as_u16(), ct, &text);
        Res {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Res {
        self.req(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Res {
        self.req(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn login(&self, login: &str) -> Value {
        let r = self
            .req(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"login": login, "password": PASSWORD})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body
    }

    pub async fn token(&self, login: &str) -> String {
        self.login(login).await["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Creates a user with `role` through the desk (as the system) and logs in.
    pub async fn user(&self, name: &str, role: Role) -> (String, String) {
        let input = RegisterInput {
            email: format!("{name}@example.com"),
            username: name.to_string(),
            name: name.to_string(),
            password: PASSWORD.to_string(),
        };
        let u = self
            .desk
            .create_user(&Actor::system(TenantId::DEFAULT), input, role)
            .await
            .unwrap();
        (u.id.to_string(), self.token(name).await)
    }

    /// The last one-time token e-mailed to `email` (from the outbox).
    pub async fn mailed_token(&self, email: &str) -> String {
        let page = self
            .store
            .list_deliveries(TenantId::DEFAULT, None, 100, None)
            .await
            .unwrap();
        page.items
            .iter()
            .find_map(|e| match &e.channel {
                Channel::Email { to, body, .. } if to.as_str() == email => body
                    .lines()
                    .rfind(|l| !l.trim().is_empty())
                    // The link `{public_url}/…?token=<token>`, or the bare token.
                    .and_then(|l| l.trim().rsplit("token=").next())
                    .map(str::to_string),
                _ => None,
            })
            .expect("a token e-mail")
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}
