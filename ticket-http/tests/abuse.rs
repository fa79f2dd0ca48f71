//! The API under abuse: password checks that do not stall other requests, rate limits
//! per client (trusted proxies, IPv6 /64) and per account, metrics that invented methods
//! and paths cannot grow, capped WebSocket messages and capped open feeds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{desk_config, http_config, start_custom, start_with, TestServer};
use futures::{SinkExt as _, StreamExt as _};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use ticket_core::account::{HashCost, Role};
use ticket_core::HelpDeskConfig;
use ticket_http::{HttpConfig, RateLimit, RealtimeConfig};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// How long `GET /healthz` takes, answered.
async fn healthz(http: &reqwest::Client, s: &TestServer) -> Duration {
    let start = Instant::now();
    let r = http.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    start.elapsed()
}

async fn wrong_login(http: &reqwest::Client, s: &TestServer, login: &str) -> StatusCode {
    http.post(s.url("/api/v1/auth/login"))
        .json(&json!({"login": login, "password": "not the password at all"}))
        .send()
        .await
        .unwrap()
        .status()
}

/// 50 wrong passwords at once, at the production argon2 cost, on a server with two async
/// workers: `/healthz` keeps answering in about the time it takes when idle. Were the
/// hashing done on the workers, each health check would wait behind a queue of argon2
/// runs (about 25 of them per worker).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_checks_do_not_stall_other_requests() {
    let desk = HelpDeskConfig {
        hash_cost: HashCost::RECOMMENDED,
        ..desk_config()
    };
    let s = start_custom(http_config(), desk, None).await;
    s.user("ann", Role::Customer).await;
    let probe = reqwest::Client::new();

    // Baselines: health checks on an idle server, and one wrong password alone.
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(healthz(&probe, &s).await);
    }
    idle.sort();
    let idle_max = *idle.last().unwrap();
    let start = Instant::now();
    assert_eq!(
        wrong_login(&probe, &s, "ann").await,
        StatusCode::UNAUTHORIZED
    );
    let one_check = start.elapsed();

    let attackers = reqwest::Client::new();
    let logins: Vec<_> = (0..50)
        .map(|i| {
            let (http, url) = (attackers.clone(), s.url("/api/v1/auth/login"));
            let login = if i % 2 == 0 {
                "ann".to_string()
            } else {
                format!("nobody{i}")
            };
            tokio::spawn(async move {
                http.post(url)
                    .json(&json!({"login": login, "password": "not the password at all"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    let started = Instant::now();
    let mut under_load = Vec::new();
    while logins.iter().any(|h| !h.is_finished()) {
        under_load.push(healthz(&probe, &s).await);
    }
    let attack = started.elapsed();
    for h in logins {
        assert_eq!(h.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    let worst = under_load.iter().copied().max().unwrap_or_default();
    // Generous: a busy machine shares its cores with the hashing threads, but a health
    // check never waits for a whole argon2 run, let alone a queue of them.
    let bound = (idle_max * 20).max(one_check * 2);
    println!(
        "idle /healthz max {idle_max:?}; one wrong password {one_check:?}; 50 at once took \
         {attack:?}; /healthz during them: {} checks, worst {worst:?} (bound {bound:?})",
        under_load.len()
    );
    assert!(
        !under_load.is_empty(),
        "the health checks ran while the logins did"
    );
    assert!(
        worst < bound,
        "/healthz took {worst:?} while passwords were checked (bound {bound:?})"
    );
    s.stop().await;
}

fn limited_config(trusted: &[&str]) -> HttpConfig {
    HttpConfig {
        auth_rate_limit: Some(RateLimit {
            burst: 5,
            per_minute: 1,
        }),
        account_rate_limit: Some(RateLimit {
            burst: 3,
            per_minute: 1,
        }),
        trusted_proxies: trusted.iter().map(|n| n.parse().unwrap()).collect(),
        ..http_config()
    }
}

/// A request through a proxy that says the client is `client`.
async fn post_as(s: &TestServer, client: &str, path: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(s.url(path))
        .header("x-forwarded-for", client)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn assert_limited(res: reqwest::Response) {
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
}

#[tokio::test]
async fn guesses_spread_over_clients_still_share_the_accounts_budget() {
    let s = start_with(limited_config(&["127.0.0.1/32"])).await;
    s.user("ann", Role::Customer).await;
    s.user("bob", Role::Customer).await;
    let wrong = |login: &str| json!({"login": login, "password": "not the password at all"});
    // Ann's budget is 3; her own login at set-up spent one.
    for (i, client) in ["198.51.100.1", "198.51.100.2"].iter().enumerate() {
        let r = post_as(&s, client, "/api/v1/auth/login", wrong("ANN")).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "guess {i}");
    }
    // A fourth client, the name in another case: Ann's budget is spent.
    assert_limited(post_as(&s, "198.51.100.4", "/api/v1/auth/login", wrong("ann")).await).await;
    let r = post_as(&s, "198.51.100.4", "/api/v1/auth/login", wrong("bob")).await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "bob's budget is his own"
    );

    // E-mail sending: the address's budget, whoever asks.
    for client in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        let r = post_as(
            &s,
            client,
            "/api/v1/auth/forgot-password",
            json!({"email": "ann@example.com"}),
        )
        .await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    assert_limited(
        post_as(
            &s,
            "203.0.113.4",
            "/api/v1/auth/forgot-password",
            json!({"email": "Ann@Example.com"}),
        )
        .await,
    )
    .await;

    // Password change: the user's budget.
    let bob = s.token("bob").await; // 3 of bob's 3
    let http = reqwest::Client::new();
    for i in 0..4 {
        let r = http
            .put(s.url("/api/v1/me/password"))
            .header("x-forwarded-for", format!("192.0.2.{i}"))
            .bearer_auth(&bob)
            .json(&json!({"current_password": "wrong wrong wrong", "new_password": "another fine secret"}))
            .send()
            .await
            .unwrap();
        if i < 3 {
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "change {i}");
        } else {
            assert_limited(r).await;
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn clients_are_known_by_address_behind_trusted_proxies_only() {
    let forgot = |n: u32| json!({"email": format!("user{n}@example.com")});
    let path = "/api/v1/auth/forgot-password";

    // Behind a trusted proxy: the forwarded address is the client; IPv6 by its /64.
    let s = start_with(limited_config(&["127.0.0.0/8"])).await;
    for n in 0..5 {
        let r = post_as(&s, "2001:db8:1:2::1", path, forgot(n)).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED, "request {n}");
    }
    assert_limited(post_as(&s, "2001:db8:1:2:ffff::9", path, forgot(5)).await).await;
    let r = post_as(&s, "2001:db8:1:3::1", path, forgot(6)).await;
    assert_eq!(
        r.status(),
        StatusCode::ACCEPTED,
        "another /64 is another client"
    );
    let r = reqwest::Client::new()
        .post(s.url(path))
        .header("forwarded", "for=\"[2001:db8:1:3::2]:4711\"")
        .json(&forgot(7))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED, "Forwarded is read too");
    s.stop().await;

    // Without trusted proxies, the header is the client's own word: ignored.
    let s = start_with(limited_config(&[])).await;
    for n in 0..5 {
        let r = post_as(&s, &format!("198.51.100.{n}"), path, forgot(n)).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED, "request {n}");
    }
    assert_limited(post_as(&s, "198.51.100.99", path, forgot(9)).await).await;
    s.stop().await;
}

#[tokio::test]
async fn invented_methods_and_paths_are_one_series_each() {
    let s = start_with(http_config()).await;
    let http = reqwest::Client::new();
    for i in 0..30 {
        let method = reqwest::Method::from_bytes(format!("INVENTED{i}").as_bytes()).unwrap();
        let r = http
            .request(method.clone(), s.url("/api/v1/tickets"))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error());
        let r = http
            .request(method, s.url(&format!("/no/such/path/{i}")))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error());
        let r = http
            .get(s.url(&format!("/random-{i}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
    let text = http
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .collect();
    assert!(!text.contains("INVENTED"), "{text}");
    assert!(!text.contains("random-"), "{text}");
    assert!(
        series.len() <= 4,
        "invented methods and unknown paths add a handful of series, not 90: {series:#?}"
    );
    assert!(series
        .iter()
        .any(|l| l.contains("method=\"other\"") && l.contains("route=\"unmatched\"")));
    s.stop().await;
}

async fn ws_connect(
    s: &TestServer,
    token: &str,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    u16,
> {
    let mut req = format!("ws://{}/api/v1/events", s.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn websocket_messages_over_the_cap_end_the_connection() {
    let s = start_with(http_config()).await;
    let (_, agent) = s.user("agent", Role::Agent).await;
    let (_, ann) = s.user("ann", Role::Customer).await;
    let mut ws = ws_connect(&s, &agent).await.unwrap();
    // A small message is ignored and the feed goes on.
    ws.send(Message::Text("x".repeat(1024).into()))
        .await
        .unwrap();
    let r = s
        .post(
            "/api/v1/tickets",
            &ann,
            json!({"title": "VPN down", "description": "d"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let event = loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Text(t))) => break t,
            Some(Ok(_)) => {}
            other => panic!("the feed ended: {other:?}"),
        }
    };
    assert!(event.contains("created"), "{event}");
    // 100 KiB, over the 64 KiB cap: the server ends the connection.
    let _ = ws.send(Message::Text("y".repeat(100 * 1024).into())).await;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the connection is still open");
    let r = s.req(reqwest::Method::GET, "/healthz", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    s.stop().await;
}

#[tokio::test]
async fn open_feeds_are_capped_per_user_and_overall() {
    let config = HttpConfig {
        realtime: RealtimeConfig {
            max_feeds: 3,
            max_feeds_per_user: 2,
            heartbeat: Duration::from_millis(100),
            ..RealtimeConfig::default()
        },
        ..http_config()
    };
    let s = start_with(config).await;
    let (_, ann) = s.user("ann", Role::Customer).await;
    let (_, bob) = s.user("bob", Role::Customer).await;
    let (_, cid) = s.user("cid", Role::Customer).await;
    let sse = |token: &str| {
        reqwest::Client::new()
            .get(s.url("/api/v1/events/sse"))
            .header("accept", "text/event-stream")
            .bearer_auth(token)
            .send()
    };
    let a1 = ws_connect(&s, &ann).await.unwrap();
    let a2 = sse(&ann).await.unwrap();
    assert_eq!(a2.status(), StatusCode::OK);
    assert_eq!(ws_connect(&s, &ann).await.err(), Some(429), "ann's third");
    let r = sse(&ann).await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "too_many_feeds");
    let b1 = sse(&bob).await.unwrap();
    assert_eq!(b1.status(), StatusCode::OK, "bob has his own allowance");
    assert_eq!(
        sse(&cid).await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the server is full"
    );
    // A closed feed gives its slot back.
    drop(a1);
    let reopened = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws_connect(&s, &cid).await {
                Ok(ws) => return ws,
                Err(429) => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(other) => panic!("{other}"),
            }
        }
    })
    .await
    .expect("the slot came back");
    drop((a2, b1, reopened));
    s.stop().await;
}
