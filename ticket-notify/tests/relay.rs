//! The relay with the real webhook notifier and a real receiver on loopback: failures are
//! retried with the same `webhook-id` until exactly one delivery succeeds, `Retry-After`
//! (seconds or an HTTP-date) is honoured, 410 disables a team's endpoint, and a hanging receiver does not hold up
//! the other deliveries of a batch.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::Duration as ChronoDuration;
use std::sync::Arc;
use std::time::Duration;
use support::{loopback_notifier, Answer, Receiver};
use ticket_core::clock::{Clock as _, ManualClock};
use ticket_core::id::TenantId;
use ticket_core::memory::MemoryStore;
use ticket_core::notify::{Channel, DeliveryStatus, NotificationKind, OutboxEntry, RelayConfig};
use ticket_core::ports::Store;
use ticket_core::testkit::fixtures;
use ticket_core::{HelpDesk, HelpDeskConfig};

struct World {
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    desk: HelpDesk,
}

fn world(attempt_timeout: Duration) -> World {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(fixtures::now()));
    let desk = HelpDesk::builder(Arc::clone(&store))
        .clock(clock.clone())
        .notifier(Arc::new(loopback_notifier(Duration::from_secs(30))))
        .config(HelpDeskConfig {
            relay: RelayConfig {
                attempt_timeout,
                ..RelayConfig::default()
            },
            ..HelpDeskConfig::default()
        })
        .build()
        .unwrap();
    World { store, clock, desk }
}

fn webhook(tenant: TenantId, url: String, at: chrono::DateTime<chrono::Utc>) -> OutboxEntry {
    OutboxEntry::new(
        tenant,
        None,
        NotificationKind::Distributed,
        Channel::Webhook { url, secret: None },
        serde_json::json!({"n": 1}),
        10,
        at,
    )
}

#[tokio::test]
async fn two_failures_then_one_delivery_with_the_same_webhook_id() {
    let rx = Receiver::start(vec![
        Answer::Status(500),
        Answer::Status(500),
        Answer::Status(200),
    ])
    .await;
    let w = world(Duration::from_secs(5));
    let e = webhook(fixtures::tenant(), rx.url(), w.clock.now());
    w.store.enqueue(std::slice::from_ref(&e)).await.unwrap();
    for _ in 0..3 {
        let due = w.store.get_delivery(e.tenant, e.id).await.unwrap();
        w.clock.set(due.next_attempt_at);
        w.desk.relay_outbox(10).await.unwrap();
    }
    let done = w.store.get_delivery(e.tenant, e.id).await.unwrap();
    assert_eq!(done.status, DeliveryStatus::Delivered);
    assert_eq!(done.attempts, 3);
    let codes: Vec<_> = done.log.iter().map(|a| a.status_code).collect();
    assert_eq!(codes, [Some(500), Some(500), Some(200)]);
    assert_eq!(done.log[0].response.as_deref(), Some("thanks"));
    let ids: Vec<_> = rx
        .calls()
        .iter()
        .map(|c| c.headers["webhook-id"].to_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, vec![e.idempotency_key.clone(); 3]);
    // Nothing more to do, however often the relay runs.
    w.clock.advance(ChronoDuration::days(10));
    assert_eq!(w.desk.relay_outbox(10).await.unwrap().claimed, 0);
    assert_eq!(rx.calls().len(), 3);
}

#[tokio::test]
async fn retry_after_pushes_the_next_attempt_back() {
    let rx = Receiver::start(vec![Answer::RetryAfter(429, 600)]).await;
    let w = world(Duration::from_secs(5));
    let now = w.clock.now();
    let e = webhook(fixtures::tenant(), rx.url(), now);
    w.store.enqueue(std::slice::from_ref(&e)).await.unwrap();
    let report = w.desk.relay_outbox(10).await.unwrap();
    assert_eq!(report.retried, 1);
    let after = w.store.get_delivery(e.tenant, e.id).await.unwrap();
    // The schedule says ~5 s; the receiver asked for 10 minutes.
    assert!(after.next_attempt_at >= now + ChronoDuration::seconds(600));
    assert_eq!(after.log[0].status_code, Some(429));
}

#[tokio::test]
async fn retry_after_as_an_http_date_pushes_the_next_attempt_back() {
    let in_ten_minutes = std::time::SystemTime::now() + Duration::from_secs(600);
    let rx = Receiver::start(vec![Answer::RetryAt(
        503,
        httpdate::fmt_http_date(in_ten_minutes),
    )])
    .await;
    let w = world(Duration::from_secs(5));
    let now = w.clock.now();
    let e = webhook(fixtures::tenant(), rx.url(), now);
    w.store.enqueue(std::slice::from_ref(&e)).await.unwrap();
    assert_eq!(w.desk.relay_outbox(10).await.unwrap().retried, 1);
    let after = w.store.get_delivery(e.tenant, e.id).await.unwrap();
    // About ten minutes (the date has one-second precision and the call took a moment),
    // not the schedule's five seconds.
    assert!(
        after.next_attempt_at >= now + ChronoDuration::seconds(590),
        "{after:?}"
    );
    assert!(
        after.next_attempt_at <= now + ChronoDuration::seconds(601),
        "{after:?}"
    );
}

#[tokio::test]
async fn gone_disables_the_team_endpoint_and_dead_letters() {
    let rx = Receiver::start(vec![Answer::Status(410)]).await;
    let w = world(Duration::from_secs(5));
    let tenant = fixtures::tenant();
    let mut team = fixtures::team(tenant, "partners");
    team.webhook_url = Some(rx.url());
    w.store.create_team(&team).await.unwrap();
    let e = webhook(tenant, rx.url(), w.clock.now());
    w.store.enqueue(std::slice::from_ref(&e)).await.unwrap();
    let report = w.desk.relay_outbox(10).await.unwrap();
    assert_eq!(report.dead, 1, "{report:?}");
    let dead = w.store.get_delivery(tenant, e.id).await.unwrap();
    assert_eq!(dead.status, DeliveryStatus::Dead);
    assert_eq!(dead.attempts, 1, "not retried");
    let team = w.store.get_team(tenant, team.id).await.unwrap();
    assert_eq!(team.webhook_url, None, "the endpoint is disabled");
}

#[tokio::test]
async fn a_hanging_receiver_does_not_hold_up_the_others() {
    let hanging = Receiver::start(vec![Answer::Hang]).await;
    let fine = Receiver::start(vec![Answer::Status(200)]).await;
    let w = world(Duration::from_secs(1));
    let tenant = fixtures::tenant();
    let now = w.clock.now();
    // The hanging one first, then twenty others due right after it.
    let stuck = webhook(tenant, hanging.url(), now - ChronoDuration::seconds(1));
    let others: Vec<_> = (0..20).map(|_| webhook(tenant, fine.url(), now)).collect();
    w.store.enqueue(std::slice::from_ref(&stuck)).await.unwrap();
    w.store.enqueue(&others).await.unwrap();
    let report = w.desk.relay_outbox(100).await.unwrap();
    assert_eq!((report.delivered, report.retried), (20, 1), "{report:?}");
    assert_eq!(fine.calls().len(), 20);
    let s = w.store.get_delivery(tenant, stuck.id).await.unwrap();
    assert_eq!(s.status, DeliveryStatus::Pending);
    assert!(
        s.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("timed out"),
        "{s:?}"
    );
}
