//! Security: tampered, expired, foreign and wrong-algorithm tokens; refresh-token reuse;
//! the login rate limit; body and time limits; security headers, request ids and CORS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use async_trait::async_trait;
use common::{desk_config, http_config, start, start_custom, start_with, PASSWORD, SECRET};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use ticket_core::account::Role;
use ticket_core::ports::Classifier;
use ticket_core::ticket::{Classification, NewTicket};
use ticket_http::jwt::Claims;
use ticket_http::{CorsConfig, RateLimit};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims(sub: &str, exp: u64) -> Claims {
    Claims {
        sub: sub.to_string(),
        tid: ticket_core::TenantId::DEFAULT.to_string(),
        iss: "ticket-engine".into(),
        iat: now(),
        exp,
    }
}

fn sign(alg: Algorithm, c: &Claims, secret: &str) -> String {
    encode(
        &Header::new(alg),
        c,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

#[tokio::test]
async fn bad_tokens_are_401() {
    let s = start().await;
    let (id, good) = s.user("ann", Role::Customer).await;
    assert_eq!(s.get("/api/v1/me", &good).await.status, StatusCode::OK);

    let mut tampered: Vec<String> = good.split('.').map(str::to_string).collect();
    let payload = serde_json::to_string(&json!({"sub": uuid::Uuid::now_v7(), "tid": ticket_core::TenantId::DEFAULT, "iss": "ticket-engine", "iat": now(), "exp": now() + 600})).unwrap();
    tampered[1] = b64(&payload);
    let other_tenant = Claims {
        tid: uuid::Uuid::now_v7().to_string(),
        ..claims(&id, now() + 600)
    };
    let other_issuer = Claims {
        iss: "evil".into(),
        ..claims(&id, now() + 600)
    };
    let none_alg = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(&serde_json::to_string(&claims(&id, now() + 600)).unwrap())
    );
    let rs256 = format!(
        "{}.{}.{}",
        b64(r#"{"alg":"RS256","typ":"JWT"}"#),
        b64(&serde_json::to_string(&claims(&id, now() + 600)).unwrap()),
        good.rsplit('.').next().unwrap()
    );
    let bad = vec![
        ("tampered payload", tampered.join(".")),
        (
            "expired",
            sign(Algorithm::HS256, &claims(&id, now() - 60), SECRET),
        ),
        (
            "wrong algorithm HS512",
            sign(Algorithm::HS512, &claims(&id, now() + 600), SECRET),
        ),
        ("alg none", none_alg),
        ("alg RS256", rs256),
        (
            "wrong key",
            sign(
                Algorithm::HS256,
                &claims(&id, now() + 600),
                "another secret that is long enough!!",
            ),
        ),
        (
            "other tenant",
            sign(Algorithm::HS256, &other_tenant, SECRET),
        ),
        (
            "other issuer",
            sign(Algorithm::HS256, &other_issuer, SECRET),
        ),
        (
            "unknown user",
            sign(
                Algorithm::HS256,
                &claims(&uuid::Uuid::now_v7().to_string(), now() + 600),
                SECRET,
            ),
        ),
        ("garbage", "not.a.jwt".to_string()),
    ];
    for (what, token) in bad {
        let r = s.get("/api/v1/me", &token).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}");
        assert!(r.is_problem(), "{what}");
        assert_eq!(r.headers["www-authenticate"], "Bearer");
    }
    // A correctly signed token of ours is fine; the scheme is case-insensitive.
    let ok = sign(Algorithm::HS256, &claims(&id, now() + 600), SECRET);
    let r = s
        .http
        .get(s.url("/api/v1/me"))
        .header("authorization", format!("bearer {ok}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = s
        .http
        .get(s.url("/api/v1/me"))
        .header("authorization", format!("Basic {ok}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    s.stop().await;
}

#[tokio::test]
async fn refresh_token_reuse_revokes_the_family() {
    let s = start().await;
    s.user("ann", Role::Customer).await;
    let first = s.login("ann").await;
    let r1 = first["refresh_token"].as_str().unwrap();
    let second = s
        .req(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": r1})),
        )
        .await;
    assert_eq!(second.status, StatusCode::OK);
    let r2 = second.body["refresh_token"].as_str().unwrap();
    // Replaying the spent token fails and revokes its whole family…
    let replay = s
        .req(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": r1})),
        )
        .await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    // …so the legitimate next token is dead too.
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": r2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Another session of the same user is untouched.
    let other = s.login("ann").await;
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": other["refresh_token"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    s.stop().await;
}

#[tokio::test]
async fn login_is_rate_limited() {
    let mut config = http_config();
    config.auth_rate_limit = Some(RateLimit {
        burst: 3,
        per_minute: 6,
    });
    let s = start_with(config).await;
    let (_, token) = s.user("ann", Role::Customer).await; // one login
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = s
            .req(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"login": "ann", "password": "wrong password!!"})),
            )
            .await;
        statuses.push(r.status.as_u16());
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.is_problem());
            assert_eq!(r.code(), "rate_limited");
            let secs: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=10).contains(&secs), "{secs}");
        }
    }
    assert_eq!(statuses, [401, 401, 429, 429]);
    // The right password does not get through either, while limited.
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "ann", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // Other routes are not limited.
    for _ in 0..10 {
        assert_eq!(s.get("/api/v1/me", &token).await.status, StatusCode::OK);
    }
    s.stop().await;
}

#[tokio::test]
async fn body_limit_security_headers_request_ids() {
    let mut config = http_config();
    config.limits.body_bytes = 4096;
    let s = start_with(config).await;
    let (_, t) = s.user("ann", Role::Customer).await;
    let big = json!({"title": "big", "description": "x".repeat(10_000)});
    let r = s.post("/api/v1/tickets", &t, big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.is_problem());
    assert_eq!(r.code(), "payload_too_large");

    let r = s.get("/api/v1/me", &t).await;
    for (h, v) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        (
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'",
        ),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(r.headers[h], v, "{h}");
    }
    let id = r.headers["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    let r = s
        .http
        .get(s.url("/healthz"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "trace-me-42");
    assert!(
        r.headers().get("access-control-allow-origin").is_none(),
        "no CORS unless configured"
    );
    s.stop().await;
}

#[tokio::test]
async fn cors_from_config() {
    let mut config = http_config();
    config.cors = CorsConfig {
        allowed_origins: vec!["https://desk.example.com".into()],
    };
    let s = start_with(config).await;
    let pre = |origin: &'static str| {
        s.http
            .request(Method::OPTIONS, s.url("/api/v1/tickets"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let r = pre("https://desk.example.com").await.unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://desk.example.com"
    );
    assert!(r.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    let r = pre("https://evil.example.com").await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    s.stop().await;
}

/// A classifier slower than the request time limit.
struct Slow;

#[async_trait]
impl Classifier for Slow {
    async fn classify(&self, _: &NewTicket) -> ticket_core::Result<Classification> {
        tokio::time::sleep(Duration::from_secs(2)).await;
        Ok(Classification::default())
    }
}

#[tokio::test]
async fn slow_requests_time_out_with_503() {
    let mut config = http_config();
    config.limits.request_timeout = Duration::from_millis(200);
    let mut s = start_custom(config, desk_config(), None).await;
    // Rebuild the desk with the slow classifier on the same store.
    let desk = ticket_core::HelpDesk::builder(Arc::new(s.store.clone()))
        .classifier(Arc::new(Slow))
        .config(desk_config())
        .build()
        .unwrap();
    let state = ticket_http::AppState::new(desk, {
        let mut c = http_config();
        c.limits.request_timeout = Duration::from_millis(200);
        c
    })
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(ticket_http::serve(
        listener,
        ticket_http::router(state),
        std::future::pending(),
    ));
    s.base = format!("http://{addr}");
    let (_, t) = s.user("ann", Role::Customer).await;
    let started = std::time::Instant::now();
    let r = s
        .post(
            "/api/v1/tickets",
            &t,
            json!({"title": "slow", "description": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert!(r.is_problem());
    assert_eq!(r.code(), "timeout");
    assert!(started.elapsed() < Duration::from_secs(2));
}
