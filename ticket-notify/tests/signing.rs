//! Deliveries are signed per Standard Webhooks: an independent verifier (the
//! `standardwebhooks` crate) accepts them, and rejects tampered, stale and wrong-key
//! ones. Two secrets during a rotation: either verifies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;
use support::{loopback_notifier, Answer, Receiver};
use ticket_core::notify::{AttemptOutcome, Channel, NotificationKind, OutboxEntry};
use ticket_core::ports::Notifier as _;
use ticket_core::testkit::fixtures;
use ticket_core::text::Secret;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OLD: &str = "whsec_dGhlIG9sZCBzZWNyZXQga2V5IGluIHJvdGF0aW9u";

fn entry(url: String, secret: &str) -> OutboxEntry {
    OutboxEntry::new(
        fixtures::tenant(),
        None,
        NotificationKind::Distributed,
        Channel::Webhook {
            url,
            secret: Some(Secret::new(secret)),
        },
        serde_json::json!({"kind": "distributed", "ticket": {"title": "Printer on fire"}}),
        5,
        fixtures::now(),
    )
}

#[tokio::test]
async fn an_independent_verifier_accepts_deliveries_and_rejects_forgeries() {
    let rx = Receiver::start(vec![Answer::Status(204)]).await;
    let e = entry(rx.url(), SECRET);
    let result = loopback_notifier(Duration::from_secs(5)).attempt(&e).await;
    assert_eq!(result.outcome, AttemptOutcome::Delivered, "{result:?}");
    assert_eq!(result.status_code, Some(204));
    let call = rx.calls().remove(0);
    assert_eq!(call.headers["webhook-id"], e.idempotency_key.as_str());
    assert_eq!(call.headers["content-type"], "application/json");
    let wh = standardwebhooks::Webhook::new(SECRET).unwrap();
    wh.verify(&call.body, &call.headers)
        .expect("a genuine delivery verifies");
    let body: serde_json::Value = serde_json::from_slice(&call.body).unwrap();
    assert_eq!(body, e.payload);

    // Tampered body.
    let mut tampered = call.body.to_vec();
    tampered.extend_from_slice(b" ");
    assert!(wh.verify(&tampered, &call.headers).is_err(), "tampered");
    // Another id.
    let mut other = call.headers.clone();
    other.insert("webhook-id", "msg_other".parse().unwrap());
    assert!(wh.verify(&call.body, &other).is_err(), "another id");
    // Wrong key.
    let wrong = standardwebhooks::Webhook::new("whsec_d3Jvbmcga2V5IGVudGlyZWx5").unwrap();
    assert!(
        wrong.verify(&call.body, &call.headers).is_err(),
        "wrong key"
    );
    // Stale: the same message replayed with an old timestamp and a valid signature for it.
    let stale_ts = call.headers["webhook-timestamp"]
        .to_str()
        .unwrap()
        .parse::<i64>()
        .unwrap()
        - 3600;
    let mut stale = call.headers.clone();
    stale.insert("webhook-timestamp", stale_ts.to_string().parse().unwrap());
    let resigned =
        ticket_notify::signing::sign_one(SECRET, &e.idempotency_key, stale_ts, &call.body);
    stale.insert("webhook-signature", resigned.parse().unwrap());
    assert!(wh.verify(&call.body, &stale).is_err(), "stale");
}

#[tokio::test]
async fn during_a_rotation_both_secrets_verify() {
    let rx = Receiver::start(vec![Answer::Status(200)]).await;
    let e = entry(rx.url(), &format!("{SECRET} {OLD}"));
    let result = loopback_notifier(Duration::from_secs(5)).attempt(&e).await;
    assert_eq!(result.outcome, AttemptOutcome::Delivered);
    let call = rx.calls().remove(0);
    let sigs = call.headers["webhook-signature"].to_str().unwrap();
    assert_eq!(sigs.split(' ').count(), 2);
    for key in [SECRET, OLD] {
        standardwebhooks::Webhook::new(key)
            .unwrap()
            .verify(&call.body, &call.headers)
            .unwrap_or_else(|e| panic!("{key}: {e:?}"));
    }
}
