//! The real server's wiring (`build_app`) on a loopback port, a JSON client, and the
//! whole journey of the issue, run against each store. Accounts, logins and mailed
//! tokens come from `ticket_http::testing`, shared with ticket-http's tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;
use ticket_core::HelpDesk;
use ticket_examples::app::{bind, build_app, serve};
use ticket_examples::config::ServerConfig;
use ticket_http::testing::{self, ApiClient};
use tokio::sync::oneshot;

pub use ticket_http::testing::PASSWORD;
pub const ADMIN_PASSWORD: &str = "keys to the kingdom 42";

/// A configuration for tests: the given database, cheap hashing, a super-admin.
pub fn config(data_dir: &std::path::Path, database_url: Option<String>) -> ServerConfig {
    let mut env = vec![
        (
            "TICKET_DATA_DIR".to_string(),
            data_dir.display().to_string(),
        ),
        ("TICKET_HASH_COST".into(), "testing".into()),
        ("TICKET_ADMIN_EMAIL".into(), "root@example.com".into()),
        ("TICKET_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()),
        ("TICKET_AUTH_RATE_BURST".into(), "0".into()),
        ("TICKET_ACCOUNT_RATE_BURST".into(), "0".into()),
        ("TICKET_BIND".into(), "127.0.0.1:0".into()),
    ];
    if let Some(url) = database_url {
        env.push(("TICKET_DATABASE_URL".into(), url));
    }
    ServerConfig::from_sources(None, env).unwrap()
}

pub struct Server {
    pub base: String,
    pub addr: SocketAddr,
    pub desk: HelpDesk,
    /// Where the lexical AI model came from at start (loaded, trained).
    pub ai_model: Option<ticket_ai::ModelOrigin>,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

pub async fn start(config: &ServerConfig) -> Server {
    let app = build_app(config).await.unwrap();
    let desk = app.desk.clone();
    let ai_model = app.ai_model;
    let listener = bind(config.bind).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        serve(
            app,
            listener,
            async {
                let _ = rx.await;
            },
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    });
    Server {
        base: format!("http://{addr}"),
        addr,
        desk,
        ai_model,
        http: reqwest::Client::new(),
        stop: Some(stop),
        task: Some(task),
    }
}

pub struct Res {
    pub status: StatusCode,
    pub body: Value,
    pub text: String,
}

impl Server {
    /// A client of this server (of `base`, which a test may point elsewhere).
    pub fn api(&self) -> ApiClient {
        ApiClient {
            base: self.base.clone(),
            http: self.http.clone(),
        }
    }

    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap();
    }

    pub async fn req(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Res {
        let r = self.api().send(method, path, token, body.as_ref()).await;
        if r.status.is_client_error() || r.status.is_server_error() {
            assert_eq!(r.content_type(), Some("application/problem+json"), "{path}");
        }
        Res {
            status: r.status,
            body: r.body,
            text: r.text,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Res {
        self.req(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Res {
        self.req(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn login(&self, login: &str, password: &str) -> Value {
        self.api().login(login, password).await
    }

    pub async fn token(&self, login: &str, password: &str) -> String {
        self.api().token(login, password).await
    }

    /// The last one-time token e-mailed to `email`, read from the store's outbox.
    pub async fn mailed_token(&self, email: &str) -> String {
        testing::mailed_token(&**self.desk.store(), email).await
    }
}

fn ids(r: &Res) -> Vec<String> {
    r.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.text))
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

/// The whole journey of the issue: register, verify, login, create, list with every
/// filter, comment, assign, transition, SLA, history, stats, distribute, delete,
/// refresh, logout.
pub async fn journey(s: &Server) {
    let root = s.token("admin", ADMIN_PASSWORD).await;

    // Register, verify, log in.
    let r = s
        .req(Method::POST, "/api/v1/auth/register", None,
            Some(json!({"email": "ann@example.com", "username": "ann", "name": "Ann", "password": PASSWORD})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let ann_id = r.body["id"].as_str().unwrap().to_string();
    let token = s.mailed_token("ann@example.com").await;
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/verify-email",
            None,
            Some(json!({"token": token})),
        )
        .await;
    assert!(r.body["email_verified_at"].is_string(), "{}", r.text);
    let session = s.login("ann@example.com", PASSWORD).await;
    let ann = session["access_token"].as_str().unwrap().to_string();
    let refresh = session["refresh_token"].as_str().unwrap().to_string();

    // Staff, a team, an SLA policy.
    let r = s.post("/api/v1/users", &root, json!({"email": "bob@example.com", "username": "bob", "name": "Bob", "password": PASSWORD, "role": "agent"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let bob_id = r.body["id"].as_str().unwrap().to_string();
    let bob = s.token("bob", PASSWORD).await;
    let r = s
        .post(
            "/api/v1/teams",
            &root,
            json!({"name": "Network", "member_ids": [bob_id]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let team = r.body["id"].as_str().unwrap().to_string();
    let r = s
        .post(
            "/api/v1/sla/policies",
            &root,
            json!({"name": "Urgent", "condition": {"priorities": ["high", "critical"]},
        "targets": {"first_response_minutes": 30, "resolution_minutes": 240}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // Create.
    let r = s.post("/api/v1/tickets", &ann, json!({"title": "VPN drops every hour", "description": "Since Monday.",
        "priority": "high", "category": "technical", "tags": ["vpn"], "custom_fields": {"office": "Berlin"}})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let t1 = r.body["id"].as_str().unwrap().to_string();
    assert!(
        r.body["sla"]["first_response_due"].is_string(),
        "{}",
        r.text
    );
    let r = s.post("/api/v1/tickets", &ann, json!({"title": "Wrong invoice", "description": "Twice charged", "priority": "low", "category": "billing", "tags": ["invoice"]})).await;
    let t2 = r.body["id"].as_str().unwrap().to_string();

    // Comment, assign, transition.
    let r = s
        .post(
            &format!("/api/v1/tickets/{t1}/comments"),
            &bob,
            json!({"body": "Looking into it."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = s
        .post(
            &format!("/api/v1/tickets/{t1}/comments"),
            &bob,
            json!({"body": "Router firmware?", "internal": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = s.get(&format!("/api/v1/tickets/{t1}/comments"), &ann).await;
    assert_eq!(ids(&r).len(), 1, "the customer does not see internal notes");
    let r = s
        .post(
            &format!("/api/v1/tickets/{t1}/assign"),
            &bob,
            json!({"assignee_id": bob_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = s
        .post(
            &format!("/api/v1/tickets/{t1}/transition"),
            &bob,
            json!({"status": "in_progress"}),
        )
        .await;
    assert_eq!(r.body["status"], "in_progress", "{}", r.text);
    let r = s
        .post(
            &format!("/api/v1/tickets/{t2}/transition"),
            &ann,
            json!({"status": "closed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["code"], "invalid_transition");

    // List with every filter.
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("status=in_progress".into(), vec![&t1]),
        ("priority=low".into(), vec![&t2]),
        ("category=technical,billing".into(), vec![&t2, &t1]),
        ("tag=invoice".into(), vec![&t2]),
        (format!("assignee={bob_id}"), vec![&t1]),
        ("assignee=none".into(), vec![&t2]),
        (format!("requester={ann_id}"), vec![&t2, &t1]),
        ("q=invoice".into(), vec![&t2]),
        ("q=vpn%20monday".into(), vec![&t1]),
        (
            "created_after=2000-01-01T00:00:00Z&created_before=2999-01-01T00:00:00Z".into(),
            vec![&t2, &t1],
        ),
        ("created_before=2000-01-01T00:00:00Z".into(), vec![]),
        ("sort=created_asc".into(), vec![&t1, &t2]),
        ("sort=priority_desc".into(), vec![&t1, &t2]),
        ("sort=updated_desc".into(), vec![&t1, &t2]),
    ];
    for (q, want) in cases {
        let r = s.get(&format!("/api/v1/tickets?{q}"), &bob).await;
        assert_eq!(ids(&r), want, "{q}");
    }
    let r = s
        .get("/api/v1/tickets?limit=1&sort=created_asc", &ann)
        .await;
    let cursor = r.body["next_cursor"].as_str().unwrap().to_string();
    let r = s
        .get(
            &format!("/api/v1/tickets?limit=1&sort=created_asc&cursor={cursor}"),
            &ann,
        )
        .await;
    assert_eq!(ids(&r), vec![t2.clone()]);

    // Distribute (team gets the ticket; the member is told), team filter.
    let r = s
        .post(
            "/api/v1/tickets/distribute",
            &root,
            json!({"ticket_ids": [t2], "team_id": team}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = s.get(&format!("/api/v1/tickets?team={team}"), &bob).await;
    assert_eq!(ids(&r), vec![t2.clone()]);
    let r = s.get("/api/v1/notifications?unread=true", &bob).await;
    assert!(
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "distributed"),
        "{}",
        r.text
    );

    // SLA, history, stats.
    let r = s.get(&format!("/api/v1/tickets/{t1}/sla"), &ann).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.body["sla"]["targets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["target"] == "first_response" && t["state"] == "met"),
        "{}",
        r.text
    );
    let r = s.get(&format!("/api/v1/tickets/{t1}/history"), &bob).await;
    let kinds: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    for k in ["created", "commented", "assigned", "status_changed"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let r = s.get("/api/v1/stats", &bob).await;
    assert_eq!(r.body["total"], 2, "{}", r.text);
    assert_eq!(r.body["by_priority"]["high"], 1);
    let r = s.get(&format!("/api/v1/stats?team_id={team}"), &bob).await;
    assert_eq!(r.body["total"], 1);

    // Delete.
    let r = s
        .req(
            Method::DELETE,
            &format!("/api/v1/tickets/{t2}"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = s
        .req(
            Method::DELETE,
            &format!("/api/v1/tickets/{t2}"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = s.get(&format!("/api/v1/tickets/{t2}"), &ann).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = s.get(&format!("/api/v1/tickets/{t2}/history"), &root).await;
    assert_eq!(
        r.body["items"].as_array().unwrap().last().unwrap()["type"],
        "deleted"
    );

    // Refresh (rotating; reuse revokes), logout.
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let next = r.body["refresh_token"].as_str().unwrap().to_string();
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refresh_token": next})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": next})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Readiness checks the store.
    let r = s.req(Method::GET, "/readyz", None, None).await;
    assert_eq!(r.body["status"], "ready");
}

/// Makes a user through the desk (as the system) for tests that need many.
pub async fn make_user(s: &Server, name: &str, role: ticket_core::Role) {
    testing::make_user(&s.desk, name, role).await;
}
