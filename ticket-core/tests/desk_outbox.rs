//! HelpDesk behaviour: the outbox relay retries failures on the schedule, then
//! dead-letters.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test set-up may unwrap

mod common;

use chrono::Duration;
use common::world_with;
use std::sync::Arc;
use ticket_core::clock::Clock;
use ticket_core::notify::{Channel, DeliveryStatus, OutboxEntry, Recipient, RetryPolicy};
use ticket_core::ports::Notifier;
use ticket_core::{Error, HelpDeskConfig};

mockall::mock! {
    pub Notify {}
    #[async_trait::async_trait]
    impl Notifier for Notify {
        async fn deliver(&self, entry: &OutboxEntry) -> ticket_core::Result<()>;
    }
}

fn retry_config() -> HelpDeskConfig {
    HelpDeskConfig {
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay_secs: 10,
            max_delay_secs: 60,
            lease_secs: 30,
        },
        ..common::config()
    }
}

/// The one delivery about a ticket.
async fn webhook(w: &common::World) -> OutboxEntry {
    let page = w
        .desk
        .list_deliveries(&w.superadmin, None, Some(100), None)
        .await
        .unwrap();
    page.items
        .into_iter()
        .find(|d| d.ticket_id.is_some())
        .unwrap()
}

#[tokio::test]
async fn a_failing_notifier_is_retried_with_backoff_then_dead_lettered() {
    let mut mock = MockNotify::new();
    mock.expect_deliver()
        .withf(|e| matches!(e.channel, Channel::Email { .. }))
        .returning(|_| Ok(()));
    mock.expect_deliver()
        .withf(|e| matches!(e.channel, Channel::Webhook { .. }))
        .times(3)
        .returning(|_| Err(Error::Notify("connection refused".into())));
    let w = world_with(|b| b.notifier(Arc::new(mock)).config(retry_config())).await;
    let t = w.ticket(&w.customer, "Webhook me").await;
    w.desk
        .notify(
            &w.agent,
            t.id,
            Recipient::Webhook {
                url: "https://down.example.com/".into(),
            },
            "hello",
        )
        .await
        .unwrap();
    for round in 0..3u32 {
        w.clock.set(webhook(&w).await.next_attempt_at);
        let report = w.desk.relay_outbox(100).await.unwrap();
        let after = webhook(&w).await;
        assert_eq!(after.attempts, round + 1);
        assert_eq!(
            after.log.len(),
            round as usize + 1,
            "one log record per attempt"
        );
        assert!(after
            .last_error
            .as_deref()
            .unwrap()
            .contains("connection refused"));
        if round < 2 {
            assert_eq!(
                after.status,
                DeliveryStatus::Pending,
                "round {round}: {report:?}"
            );
            let delay = after.next_attempt_at - w.clock.now();
            // The Standard Webhooks schedule scaled by base/5 (10 s, 10 min…), capped.
            let nominal = Duration::seconds([10, 60][round as usize]);
            assert!(
                delay >= nominal / 2 && delay <= nominal * 3 / 2,
                "round {round}: delay {delay} around {nominal}"
            );
            // Not due yet: a relay now leaves it alone.
            assert_eq!(w.desk.relay_outbox(100).await.unwrap().claimed, 0);
        } else {
            assert_eq!(after.status, DeliveryStatus::Dead);
            assert_eq!(report.dead, 1);
        }
    }
    let dead = w
        .desk
        .list_deliveries(&w.admin, Some(DeliveryStatus::Dead), None, None)
        .await
        .unwrap();
    assert_eq!(dead.items.len(), 1);
    let retried = w
        .desk
        .retry_delivery(&w.admin, dead.items[0].id)
        .await
        .unwrap();
    assert_eq!(
        (retried.status, retried.attempts),
        (DeliveryStatus::Pending, 0)
    );
}

#[tokio::test]
async fn a_working_notifier_delivers_once() {
    let mut mock = MockNotify::new();
    mock.expect_deliver().returning(|_| Ok(()));
    let w = world_with(|b| b.notifier(Arc::new(mock))).await;
    let t = w.ticket(&w.customer, "Deliver me").await;
    w.desk
        .notify(
            &w.agent,
            t.id,
            Recipient::Webhook {
                url: "https://up.example.com/".into(),
            },
            "hello",
        )
        .await
        .unwrap();
    let report = w.desk.relay_outbox(100).await.unwrap();
    assert!(
        report.delivered >= 1 && report.retried == 0 && report.dead == 0,
        "{report:?}"
    );
    let again = w.desk.relay_outbox(100).await.unwrap();
    assert_eq!(again.claimed, 0, "nothing is delivered twice");
    let delivered = w
        .desk
        .list_deliveries(&w.admin, Some(DeliveryStatus::Delivered), Some(100), None)
        .await
        .unwrap();
    assert_eq!(delivered.items.len() as u64, report.delivered);
}
