//! The server's AI end to end, through the real wiring on SQLite over TCP: the day-one
//! lexical model classifies a billing-worded ticket as `billing` with a confidence; a FAQ
//! answer is posted and parks the ticket in `pending`; the requester's confirmation
//! resolves it and a rejection reopens another; the stats count both; staff get a
//! helpful note the customer never sees, and moments later (the background job) one
//! naming the similar solved ticket; an admin retrains from the desk's tickets, and the
//! next start loads that model from the data directory (an unusable file is replaced).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{config, make_user, start, ADMIN_PASSWORD, PASSWORD};
use serde_json::{json, Value};
use ticket_ai::model_file::load;
use ticket_ai::ModelOrigin;
use ticket_core::Role;
use ticket_examples::app::build_app;

fn comments(body: &Value) -> Vec<(bool, String)> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["internal"].as_bool().unwrap(),
                c["body"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triage_deflection_helpful_notes_and_retraining() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(&config(dir.path(), None)).await;
    let root = s.token("admin", ADMIN_PASSWORD).await;
    make_user(&s, "carla", Role::Customer).await;
    make_user(&s, "agnes", Role::Agent).await;
    let carla = s.token("carla", PASSWORD).await;
    let agnes = s.token("agnes", PASSWORD).await;

    // Triage: category, priority, skills, each with what the model is sure of.
    let wording = json!({
        "title": "Payment failed while subscribing",
        "description": "Payment failed while subscribing — charged twice, please refund urgently!",
    });
    let r = s
        .post("/api/v1/tickets/classify", &carla, wording.clone())
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let c = &r.body["classification"];
    assert_eq!(c["model"], "lexical");
    assert_eq!(c["category"]["value"], "billing", "{}", r.text);
    let confidence = c["category"]["confidence"].as_f64().unwrap();
    assert!(confidence > 0.5 && confidence <= 1.0, "{confidence}");
    assert_eq!(r.body["category"], "billing");
    let skills: Vec<&str> = c["skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        skills.contains(&"billing") && skills.contains(&"refunds"),
        "{skills:?}"
    );
    let r = s.post("/api/v1/tickets", &carla, wording.clone()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["category"], "billing");
    assert_eq!(r.body["classification"]["category"]["value"], "billing");
    assert_ne!(r.body["priority"], "low", "{}", r.text);
    assert_eq!(r.body["status"], "new", "no FAQ yet: no answer");

    // Deflection: a FAQ answer is posted and the ticket waits for the requester.
    let answer = "Use the Forgot password link on the sign-in page; the reset e-mail arrives within a minute.";
    let r = s
        .post(
            "/api/v1/faqs",
            &root,
            json!({"question": "How do I reset my password?", "answer": answer}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let forgot = json!({
        "title": "Forgot my password",
        "description": "How do I reset my password? I forgot it and cannot sign in.",
    });
    let first = s.post("/api/v1/tickets", &carla, forgot.clone()).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.body["status"], "pending", "{}", first.text);
    let id = first.body["id"].as_str().unwrap();
    let seen = s
        .get(&format!("/api/v1/tickets/{id}/comments"), &carla)
        .await;
    let seen = comments(&seen.body);
    assert!(
        seen.iter().any(|(internal, b)| !internal && b == answer),
        "{seen:?}"
    );
    assert!(
        seen.iter().all(|(internal, _)| !internal),
        "customers see no note"
    );
    // Staff see the helpful note listing the FAQ entry.
    let staff = s
        .get(&format!("/api/v1/tickets/{id}/comments"), &agnes)
        .await;
    let staff = comments(&staff.body);
    assert!(
        staff
            .iter()
            .any(|(internal, b)| *internal && b.contains("How do I reset my password?")),
        "{staff:?}"
    );
    let r = s
        .post(
            &format!("/api/v1/tickets/{id}/faq/confirm"),
            &carla,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "resolved");
    let again = s
        .post(
            &format!("/api/v1/tickets/{id}/faq/confirm"),
            &carla,
            json!({}),
        )
        .await;
    assert_eq!(
        again.status, 422,
        "no answer awaits a verdict: {}",
        again.text
    );

    let second = s.post("/api/v1/tickets", &carla, forgot).await;
    assert_eq!(second.body["status"], "pending", "{}", second.text);
    let id2 = second.body["id"].as_str().unwrap();
    // Moments after the create, the background job notes the first ticket (solved, same
    // words) on the second, for staff only.
    let mut waited = 0;
    loop {
        let staff = s
            .get(&format!("/api/v1/tickets/{id2}/comments"), &agnes)
            .await;
        let staff = comments(&staff.body);
        if staff.iter().any(|(internal, b)| {
            *internal && b.contains("Similar solved tickets") && b.contains(id)
        }) {
            break;
        }
        waited += 1;
        assert!(waited < 100, "no similar-solved note: {staff:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let seen = s
        .get(&format!("/api/v1/tickets/{id2}/comments"), &carla)
        .await;
    assert!(
        comments(&seen.body).iter().all(|(internal, _)| !internal),
        "customers see no note"
    );
    let r = s
        .post(
            &format!("/api/v1/tickets/{id2}/faq/reject"),
            &carla,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "open");
    let history = s
        .get(&format!("/api/v1/tickets/{id2}/history"), &carla)
        .await;
    let kinds: Vec<&str> = history.body["items"]
        .as_array()
        .unwrap_or_else(|| history.body.as_array().unwrap())
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"faq_suggested") && kinds.contains(&"faq_rejected"),
        "{kinds:?}"
    );

    let stats = s.get("/api/v1/stats", &agnes).await;
    assert_eq!(stats.status, 200, "{}", stats.text);
    let d = &stats.body["deflection"];
    assert_eq!(
        (
            d["suggested"].as_u64(),
            d["confirmed"].as_u64(),
            d["rejected"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert!((d["deflection_rate"].as_f64().unwrap() - 0.5).abs() < 1e-9);
    assert!((d["reopen_rate"].as_f64().unwrap() - 0.5).abs() < 1e-9);

    // Retraining: admins only; learns from the resolved ticket.
    let r = s.post("/api/v1/ai/retrain", &carla, json!({})).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = s.post("/api/v1/ai/retrain", &root, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["examples"], 1, "{}", r.text);
    assert_eq!(r.body["rows"], 481);
    assert_eq!(r.body["model"], "lexical");

    // The retrained model outlives the process: saved in the data directory, loaded by
    // the next start instead of training the day-one model.
    assert_eq!(s.ai_model, Some(ModelOrigin::Trained));
    let file = dir.path().join("ai-model.json");
    assert_eq!(load(&file).unwrap().category().rows(), 481);
    s.stop().await;
    let again = start(&config(dir.path(), None)).await;
    assert_eq!(again.ai_model, Some(ModelOrigin::Loaded));
    let r = again
        .post("/api/v1/tickets/classify", &carla, wording)
        .await;
    assert_eq!(r.body["classification"]["category"]["value"], "billing");
    again.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_model_file_is_replaced_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ai-model.json");
    std::fs::write(
        &file,
        "{\"format\":\"ticket-ai/lexical-models\",\"version\":1,\"cat",
    )
    .unwrap();
    let app = build_app(&config(dir.path(), None)).await.unwrap();
    assert_eq!(app.ai_model, Some(ModelOrigin::Recovered));
    app.store.close().await;
    assert!(
        load(&file).is_ok(),
        "the file holds the day-one model again"
    );
    // An empty TICKET_AI_MODEL_FILE keeps no file: trained at every start.
    let mut none = config(dir.path(), None);
    none.ai_model_file = Some(std::path::PathBuf::new());
    let app = build_app(&none).await.unwrap();
    assert_eq!(app.ai_model, None);
    app.store.close().await;
}
