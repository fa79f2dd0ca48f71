//! Realtime feeds over real sockets: a REST change reaches a WebSocket subscriber within
//! a second; customers never see other customers' tickets or internal notes; SSE; the
//! token in the query; feeds end on token expiry and on shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{http_config, start, start_with, TestServer};
use futures::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use std::time::Duration;
use ticket_core::account::Role;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn connect(s: &TestServer, token: &str) -> Ws {
    let mut req = format!("ws://{}/api/v1/events", s.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (ws, res) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(res.status(), 101);
    ws
}

/// The next event message (skipping pings), within `within`.
async fn next_event(ws: &mut Ws, within: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let msg = timeout(
            deadline.saturating_duration_since(tokio::time::Instant::now()),
            ws.next(),
        )
        .await
        .ok()??
        .unwrap();
        match msg {
            Message::Text(t) => return Some(serde_json::from_str(&t).unwrap()),
            Message::Close(_) => return None,
            _ => {}
        }
    }
}

async fn create(s: &TestServer, token: &str, title: &str) -> String {
    let r = s
        .post(
            "/api/v1/tickets",
            token,
            json!({"title": title, "description": "d"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn subscribers_get_what_they_may_see_within_a_second() {
    let s = start().await;
    let (_, agent) = s.user("agent", Role::Agent).await;
    let (ann_id, ann) = s.user("ann", Role::Customer).await;
    let (_, ben) = s.user("ben", Role::Customer).await;
    let mut agent_ws = connect(&s, &agent).await;
    let mut ann_ws = connect(&s, &ann).await;
    // Ben authenticates with the query parameter, as browsers do.
    let (mut ben_ws, _) = tokio_tungstenite::connect_async(format!(
        "ws://{}/api/v1/events?access_token={ben}",
        s.addr
    ))
    .await
    .unwrap();

    let started = std::time::Instant::now();
    let t = create(&s, &ann, "Printer on fire").await;
    let e = next_event(&mut agent_ws, Duration::from_secs(1))
        .await
        .expect("the agent sees it within 1 s");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(e["type"], "created");
    assert_eq!(e["ticket_id"], t.as_str());
    assert_eq!(e["requester_id"], ann_id.as_str());
    let e = next_event(&mut ann_ws, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(e["ticket_id"], t.as_str());

    // An internal note: staff see it, the requester does not.
    let r = s
        .post(
            &format!("/api/v1/tickets/{t}/comments"),
            &agent,
            json!({"body": "secret note", "internal": true}),
        )
        .await;
    assert_eq!(r.status, 201);
    let e = next_event(&mut agent_ws, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(
        (e["type"].as_str(), e["visibility"].as_str()),
        (Some("commented"), Some("internal"))
    );
    let r = s
        .post(
            &format!("/api/v1/tickets/{t}/comments"),
            &agent,
            json!({"body": "public reply"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let mut seen = Vec::new();
    while let Some(e) = next_event(&mut ann_ws, Duration::from_millis(300)).await {
        seen.push(e);
    }
    assert!(!seen.is_empty());
    assert!(
        seen.iter().all(|e| e["visibility"] != "internal"),
        "{seen:?}"
    );
    assert!(seen
        .iter()
        .any(|e| e["type"] == "commented" && e["visibility"] == "public"));

    // Ben saw none of Ann's ticket: the first thing he receives is his own ticket.
    let own = create(&s, &ben, "My own").await;
    let e = next_event(&mut ben_ws, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(
        e["ticket_id"],
        own.as_str(),
        "a customer never gets another customer's events"
    );
    let e = next_event(&mut ann_ws, Duration::from_millis(300)).await;
    assert!(e.is_none(), "Ann does not see Ben's ticket: {e:?}");

    // Clients may close; the gauge goes back down.
    agent_ws.close(None).await.unwrap();
    ann_ws.send(Message::Close(None)).await.unwrap();
    drop(ben_ws);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(s.state.metrics().realtime_open(), 0);
    s.stop().await;
}

#[tokio::test]
async fn bad_tokens_are_refused_before_the_upgrade() {
    let s = start().await;
    for url in [
        format!("ws://{}/api/v1/events", s.addr),
        format!("ws://{}/api/v1/events?access_token=nope", s.addr),
    ] {
        match tokio_tungstenite::connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 401),
            other => panic!("expected 401, got {other:?}"),
        }
    }
    // A plain GET (no upgrade) with a good token is a 400 problem.
    let (_, t) = s.user("eve", Role::Customer).await;
    let r = s.get("/api/v1/events", &t).await;
    assert_eq!(r.status, 400);
    assert!(r.is_problem());
    s.stop().await;
}

#[tokio::test]
async fn server_sent_events() {
    let s = start().await;
    let (_, agent) = s.user("agent", Role::Agent).await;
    let (_, ann) = s.user("ann", Role::Customer).await;
    let res = s
        .http
        .get(s.url(&format!("/api/v1/events/sse?access_token={agent}")))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut body = res.bytes_stream();
    let t = create(&s, &ann, "SSE ticket").await;
    let mut text = String::new();
    let found = timeout(Duration::from_secs(1), async {
        while let Some(chunk) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            if text.contains("event: created") && text.contains(&t) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "{text}");
    let data = text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let event: Value = serde_json::from_str(data).unwrap();
    assert_eq!(event["ticket_id"], t.as_str());
    let r = s
        .req(reqwest::Method::GET, "/api/v1/events/sse", None, None)
        .await;
    assert_eq!(r.status, 401);
    // Without `Accept: text/event-stream` the answer is a 406 problem, not an endless body.
    let r = s.get("/api/v1/events/sse", &agent).await;
    assert_eq!(r.status, 406);
    assert!(r.is_problem());
    assert_eq!(r.code(), "not_acceptable");
    s.stop().await;
}

#[tokio::test]
async fn feeds_end_when_the_token_expires() {
    let mut config = http_config();
    config.auth.access_ttl = Duration::from_secs(1);
    config.auth.leeway = Duration::ZERO;
    let s = start_with(config).await;
    let (_, t) = s.user("ann", Role::Customer).await;
    let mut ws = connect(&s, &t).await;
    let close = timeout(Duration::from_secs(4), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => {}
                other => panic!("{other:?}"),
            }
        }
    })
    .await
    .expect("closed within the token's life");
    assert_eq!(close.unwrap().code, CloseCode::Policy);
    s.stop().await;
}

#[tokio::test]
async fn shutdown_closes_feeds_and_finishes() {
    let s = start().await;
    let (_, t) = s.user("ann", Role::Customer).await;
    let mut ws = connect(&s, &t).await;
    let sse = s
        .http
        .get(s.url(&format!("/api/v1/events/sse?access_token={t}")))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    let mut sse_body = sse.bytes_stream();
    timeout(Duration::from_secs(3), s.stop())
        .await
        .expect("graceful shutdown does not wait for feeds forever");
    let frame = timeout(Duration::from_secs(1), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(f))) => return f,
                Some(Ok(_)) => {}
                other => panic!("{other:?}"),
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(frame.unwrap().code, CloseCode::Away);
    let rest = timeout(Duration::from_secs(1), async {
        while let Some(chunk) = sse_body.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(rest.is_ok(), "the SSE stream ended");
}
