//! The relay with the real webhook notifier and a real receiver on loopback: failures are
//! retried with the same `webhook-id` until exactly one delivery succeeds, `Retry-After`
//! (seconds or an HTTP-date) is honoured, 410 or failing past the limit disables an
//! endpoint (its owner told, its entries dead-lettered until it is enabled again), and
//! a hanging receiver does not hold up the other deliveries of a batch.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::Duration as ChronoDuration;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::{loopback_notifier, Answer, Receiver};
use ticket_core::account::{Actor, Role, User};
use ticket_core::clock::{Clock as _, ManualClock};
use ticket_core::id::TenantId;
use ticket_core::memory::MemoryStore;
use ticket_core::notify::{Channel, DeliveryStatus, NotificationKind, OutboxEntry, RelayConfig};
use ticket_core::ports::Store;
use ticket_core::team::Team;
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

/// A team using `url`, one of its agents and a desk admin, stored.
async fn owners(w: &World, tenant: TenantId, url: &str) -> (Team, User, User) {
    let mut team = fixtures::team(tenant, "partners");
    team.webhook_url = Some(url.to_string());
    w.store.create_team(&team).await.unwrap();
    let agent = fixtures::agent(tenant, "amy", &[team.id]);
    let admin = User {
        role: Role::Admin,
        ..fixtures::user(tenant, "root")
    };
    w.store.create_user(&agent).await.unwrap();
    w.store.create_user(&admin).await.unwrap();
    (team, agent, admin)
}

/// The in-app notifications of `user` about disabled endpoints.
async fn told(w: &World, user: &User) -> Vec<String> {
    w.store
        .list_notifications(user.tenant, user.id, false, 100, None)
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|n| n.kind == NotificationKind::EndpointDisabled)
        .map(|n| n.message)
        .collect()
}

/// The e-mails about disabled endpoints waiting in the outbox.
async fn mails(w: &World, tenant: TenantId) -> Vec<OutboxEntry> {
    w.store
        .list_deliveries(tenant, None, 100, None)
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.kind == NotificationKind::EndpointDisabled)
        .collect()
}

#[tokio::test]
async fn gone_disables_the_endpoint_dead_letters_and_tells_the_owner_once() {
    let rx = Receiver::start(vec![Answer::Status(410)]).await;
    let w = world(Duration::from_secs(5));
    let tenant = fixtures::tenant();
    let (team, agent, admin) = owners(&w, tenant, &rx.url()).await;
    let e = webhook(tenant, rx.url(), w.clock.now());
    let later = webhook(tenant, rx.url(), w.clock.now());
    w.store.enqueue(std::slice::from_ref(&e)).await.unwrap();
    let report = w.desk.relay_outbox(10).await.unwrap();
    assert_eq!(report.dead, 1, "{report:?}");
    let dead = w.store.get_delivery(tenant, e.id).await.unwrap();
    assert_eq!(dead.status, DeliveryStatus::Dead);
    assert_eq!(dead.attempts, 1, "not retried");
    assert!(dead.last_error.unwrap().contains("410 Gone"));
    let endpoint = w
        .store
        .find_endpoint(tenant, &rx.url())
        .await
        .unwrap()
        .unwrap();
    assert!(!endpoint.is_enabled());
    // The team keeps its URL: enabling the endpoint again is all it takes.
    let team = w.store.get_team(tenant, team.id).await.unwrap();
    assert_eq!(team.webhook_url, Some(rx.url()));
    // Later deliveries are dead-lettered without a call.
    w.store.enqueue(std::slice::from_ref(&later)).await.unwrap();
    w.desk.relay_outbox(10).await.unwrap();
    assert_eq!(rx.calls().len(), 1, "a disabled endpoint is not called");
    let skipped = w.store.get_delivery(tenant, later.id).await.unwrap();
    assert!(skipped
        .last_error
        .unwrap()
        .starts_with(ticket_core::desk::ENDPOINT_DISABLED));
    // The team's agent and the admin are told in-app, the admin by e-mail too, once.
    assert_eq!(told(&w, &agent).await.len(), 1);
    assert_eq!(told(&w, &admin).await.len(), 1);
    let mail = mails(&w, tenant).await;
    assert_eq!(mail.len(), 1);
    match &mail[0].channel {
        Channel::Email { to, body, .. } => {
            assert_eq!(to, &admin.email);
            assert!(
                body.contains(&rx.url()) && body.contains("partners"),
                "{body}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_endpoint_failing_past_the_limit_is_disabled_and_a_success_resets_the_clock() {
    let status = Arc::new(AtomicU16::new(500));
    let rx = Receiver::start(vec![Answer::Current(Arc::clone(&status))]).await;
    let w = world(Duration::from_secs(5));
    let tenant = fixtures::tenant();
    let (_, agent, admin) = owners(&w, tenant, &rx.url()).await;
    let limit = RelayConfig::default().disable_after;
    // Each round: the clock moved on, the receiver answering `code`, a fresh entry, and
    // the relay attempting it with the retries then due.
    let round = |hours: i64, code: u16| {
        let (w, rx, status) = (&w, &rx, &status);
        async move {
            w.clock.advance(ChronoDuration::hours(hours));
            status.store(code, Ordering::SeqCst);
            let e = webhook(tenant, rx.url(), w.clock.now());
            w.store.enqueue(std::slice::from_ref(&e)).await.unwrap();
            w.desk.relay_outbox(10).await.unwrap();
            w.store.get_delivery(tenant, e.id).await.unwrap()
        }
    };
    let endpoint = || async {
        w.store
            .find_endpoint(tenant, &rx.url())
            .await
            .unwrap()
            .unwrap()
    };
    let step = limit.num_hours() * 2 / 3;
    let first = round(0, 500).await; // fails: the clock starts
    assert_eq!(first.status, DeliveryStatus::Pending);
    let second = round(step, 500).await; // fails, within the limit
    assert_eq!(second.status, DeliveryStatus::Pending);
    let failing_since = endpoint().await.failing_since;
    assert_eq!(failing_since, Some(first.created_at));
    let ok = round(step, 200).await; // succeeds past the limit: the clock stops
    assert_eq!(ok.status, DeliveryStatus::Delivered);
    let state = endpoint().await;
    assert_eq!(state.failing_since, None);
    assert!(state.is_enabled());
    assert!(state.last_success_at.is_some());
    let again = round(step, 500).await; // fails: a fresh clock
    assert_eq!(again.status, DeliveryStatus::Pending);
    assert_eq!(endpoint().await.failing_since, Some(again.created_at));
    assert!(told(&w, &admin).await.is_empty(), "not disabled yet");
    let last = round(step * 2, 500).await; // still failing past the limit: disabled
    assert_eq!(last.status, DeliveryStatus::Dead, "{last:?}");
    assert!(last.last_error.unwrap().contains("failed continuously"));
    let state = endpoint().await;
    assert!(!state.is_enabled());
    assert_eq!(
        state.last_error.as_deref(),
        Some("HTTP 500 Internal Server Error")
    );
    assert!(state
        .disabled_reason
        .unwrap()
        .contains("failed continuously"));
    assert_eq!(told(&w, &agent).await.len(), 1);
    assert_eq!(told(&w, &admin).await.len(), 1);
    assert_eq!(mails(&w, tenant).await.len(), 1);
    // The entries of the first clock were delivered with the success; the one of the
    // second clock retried with the last failure is dead-lettered with it.
    for (e, want) in [
        (first, DeliveryStatus::Delivered),
        (second, DeliveryStatus::Delivered),
        (ok, DeliveryStatus::Delivered),
        (again, DeliveryStatus::Dead),
    ] {
        let e = w.store.get_delivery(tenant, e.id).await.unwrap();
        assert_eq!(e.status, want, "{e:?}");
    }
    // From now on its entries are dead-lettered without a call.
    let calls = rx.calls().len();
    status.store(200, Ordering::SeqCst);
    let after = round(1, 200).await;
    assert_eq!(after.status, DeliveryStatus::Dead);
    assert_eq!(rx.calls().len(), calls);
}

#[tokio::test]
async fn an_enabled_endpoint_gets_its_replayed_dead_letters() {
    let rx = Receiver::start(vec![Answer::Status(410), Answer::Status(200)]).await;
    let w = world(Duration::from_secs(5));
    let tenant = fixtures::tenant();
    let (_, _, admin) = owners(&w, tenant, &rx.url()).await;
    let admin = Actor::user(tenant, admin.id, Role::Admin);
    let e = webhook(tenant, rx.url(), w.clock.now());
    w.store.enqueue(std::slice::from_ref(&e)).await.unwrap();
    w.desk.relay_outbox(10).await.unwrap();
    let listed = w.desk.list_endpoints(&admin, None, None).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    let endpoint = &listed.items[0];
    assert!(!endpoint.is_enabled());
    // Replayed while disabled: dead again at once, without a call.
    w.desk.retry_delivery(&admin, e.id).await.unwrap();
    w.desk.relay_outbox(10).await.unwrap();
    assert_eq!(rx.calls().len(), 1);
    let on = w.desk.enable_endpoint(&admin, endpoint.id).await.unwrap();
    assert!(on.is_enabled());
    let since = e.created_at;
    // The entry, and the admin's mail this webhook-only relay could not send.
    assert_eq!(w.desk.replay_dead_since(&admin, since).await.unwrap(), 2);
    let report = w.desk.relay_outbox(10).await.unwrap();
    assert_eq!(report.delivered, 1, "{report:?}");
    assert_eq!(rx.calls().len(), 2);
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

#[tokio::test]
async fn successes_at_a_healthy_endpoint_write_its_state_at_most_once_a_minute() {
    let rx = Receiver::start(vec![Answer::Status(200)]).await;
    let w = world(Duration::from_secs(5));
    let tenant = fixtures::tenant();
    let deliver = || async {
        let e = webhook(tenant, rx.url(), w.clock.now());
        w.store.enqueue(std::slice::from_ref(&e)).await.unwrap();
        assert_eq!(w.desk.relay_outbox(10).await.unwrap().delivered, 1);
        w.store
            .find_endpoint(tenant, &rx.url())
            .await
            .unwrap()
            .unwrap()
            .last_success_at
    };
    let first = deliver().await;
    assert_eq!(first, Some(w.clock.now()));
    w.clock.advance(ChronoDuration::seconds(30));
    assert_eq!(deliver().await, first, "fresh enough: not written again");
    w.clock.advance(ChronoDuration::seconds(31));
    assert_eq!(deliver().await, Some(w.clock.now()));
}
