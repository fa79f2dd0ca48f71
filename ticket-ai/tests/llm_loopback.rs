//! The LLM adapter against a loopback HTTP server speaking the OpenAI chat-completions
//! protocol (no hosted model is reachable from CI): a valid answer is used; invalid
//! JSON, an out-of-list label, an HTTP error and a timeout each fall back to the local
//! classifier; the request carries the JSON schema with the desk's labels and the key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use async_trait::async_trait;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use ticket_ai::{LlmClassifier, LlmConfig};
use ticket_core::ports::Classifier;
use ticket_core::text::Category;
use ticket_core::ticket::{Classification, NewTicket, Priority, Scored, TicketInput};

/// What the fake endpoint answers next.
#[derive(Clone)]
enum Reply {
    Content(String),
    Status(u16),
    Slow,
}

/// Each request: its `Authorization` header and its body.
type Seen = Vec<(Option<String>, Value)>;

#[derive(Clone)]
struct Fake {
    reply: Arc<Mutex<Reply>>,
    seen: Arc<Mutex<Seen>>,
}

async fn completions(
    State(f): State<Fake>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let auth = headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_string());
    f.seen.lock().unwrap().push((auth, body));
    let reply = f.reply.lock().unwrap().clone();
    match reply {
        Reply::Content(c) => (
            StatusCode::OK,
            Json(
                json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": c}}]}),
            ),
        ),
        Reply::Status(s) => (
            StatusCode::from_u16(s).unwrap(),
            Json(json!({"error": {"message": "overloaded"}})),
        ),
        Reply::Slow => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            (StatusCode::OK, Json(json!({})))
        }
    }
}

async fn fake_endpoint() -> (String, Fake) {
    let fake = Fake {
        reply: Arc::new(Mutex::new(Reply::Status(500))),
        seen: Arc::new(Mutex::new(Vec::new())),
    };
    let app = Router::new()
        .route("/v1/chat/completions", post(completions))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1"), fake)
}

/// The local model: always `general` / `low`, sure of itself only when asked to be.
struct Local(f32);

#[async_trait]
impl Classifier for Local {
    async fn classify(&self, _: &NewTicket) -> ticket_core::Result<Classification> {
        Ok(Classification {
            category: Some(Scored {
                value: Category::known("general"),
                confidence: self.0,
            }),
            priority: Some(Scored {
                value: Priority::Low,
                confidence: self.0,
            }),
            model: "local".into(),
            ..Classification::default()
        })
    }
}

fn draft() -> NewTicket {
    NewTicket::parse(TicketInput {
        title: "Charged twice".into(),
        description: "My card was charged twice for the same invoice.".into(),
        ..TicketInput::default()
    })
    .unwrap()
}

fn llm(base_url: String, local: f32, only_below: Option<f32>) -> LlmClassifier {
    LlmClassifier::new(
        LlmConfig {
            base_url,
            model: "test-model".into(),
            api_key: Some("sk-test".into()),
            timeout: Duration::from_millis(300),
            categories: Category::defaults().to_vec(),
            only_below,
        },
        Arc::new(Local(local)),
    )
    .unwrap()
}

#[tokio::test]
async fn a_valid_answer_is_used_and_the_request_follows_the_protocol() {
    let (url, fake) = fake_endpoint().await;
    *fake.reply.lock().unwrap() = Reply::Content(
        json!({"category": "billing", "priority": "high", "confidence": 0.83, "tags": ["refund", "bad tag!"]})
            .to_string(),
    );
    let c = llm(url, 0.9, None).classify(&draft()).await.unwrap();
    assert_eq!(c.model, "llm:test-model");
    let cat = c.category.unwrap();
    assert_eq!((cat.value.as_str(), cat.confidence), ("billing", 0.83));
    assert_eq!(c.priority.unwrap().value, Priority::High);
    assert_eq!(c.tags.len(), 1, "invalid tags are dropped");
    let seen = fake.seen.lock().unwrap();
    let (auth, body) = &seen[0];
    assert_eq!(auth.as_deref(), Some("Bearer sk-test"));
    assert_eq!(body["model"], "test-model");
    let schema = &body["response_format"]["json_schema"]["schema"];
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(
        schema["properties"]["category"]["enum"],
        json!(["billing", "technical", "account", "general"])
    );
    assert_eq!(
        schema["properties"]["priority"]["enum"],
        json!(["low", "medium", "high", "critical"])
    );
    assert!(body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .contains("charged twice"));
}

#[tokio::test]
async fn bad_answers_errors_and_timeouts_fall_back_to_the_local_model() {
    let (url, fake) = fake_endpoint().await;
    let classifier = llm(url, 0.9, None);
    let cases = [
        Reply::Content("this is not json".into()),
        Reply::Content(json!({"category": "refunds", "priority": "high"}).to_string()),
        Reply::Content(json!({"category": "billing", "priority": "urgent"}).to_string()),
        Reply::Content(json!({"priority": "high"}).to_string()),
        Reply::Status(503),
        Reply::Slow,
    ];
    for reply in cases {
        *fake.reply.lock().unwrap() = reply;
        let started = std::time::Instant::now();
        let c = classifier.classify(&draft()).await.unwrap();
        assert_eq!(c.model, "local (llm fallback)");
        assert_eq!(c.category.unwrap().value.as_str(), "general");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "the timeout bounds the wait"
        );
    }
}

#[tokio::test]
async fn an_unreachable_endpoint_falls_back_and_a_sure_local_model_skips_it() {
    // Nothing listens on this port (bound, then dropped).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = llm(format!("http://127.0.0.1:{port}/v1"), 0.9, None)
        .classify(&draft())
        .await
        .unwrap();
    assert_eq!(c.model, "local (llm fallback)");

    let (url, fake) = fake_endpoint().await;
    *fake.reply.lock().unwrap() = Reply::Content(
        json!({"category": "billing", "priority": "high", "confidence": 0.7, "tags": []})
            .to_string(),
    );
    let sure = llm(url.clone(), 0.95, Some(0.8))
        .classify(&draft())
        .await
        .unwrap();
    assert_eq!(
        sure.model, "local",
        "a sure local model is not second-guessed"
    );
    assert!(fake.seen.lock().unwrap().is_empty());
    let unsure = llm(url, 0.55, Some(0.8)).classify(&draft()).await.unwrap();
    assert_eq!(unsure.model, "llm:test-model");
    assert_eq!(fake.seen.lock().unwrap().len(), 1);
}
