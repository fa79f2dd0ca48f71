//! `Outbox`: what deliveries carry over time: the attempt log `complete` and `fail`
//! store, blanking delivered bodies after retention, and forgetting a deleted person.

use crate::id::TenantId;
use crate::notify::{Channel, DeliveryAttempt, DeliveryStatus, OutboxEntry, RECIPIENT_DELETED};
use crate::ports::Store;
use crate::testkit::fixtures;
use crate::text::Email;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// A log record of an attempt (what `complete` and `fail` store).
pub(crate) fn attempt(
    at: DateTime<Utc>,
    status: Option<u16>,
    error: Option<&str>,
) -> DeliveryAttempt {
    DeliveryAttempt {
        at,
        latency_ms: 12,
        status_code: status,
        error: error.map(str::to_string),
        response: Some("ok \u{e9}\"quoted\"".to_string()),
    }
}

/// An e-mail entry of `tenant` to `to`, due at `at`.
fn mail_to(tenant: TenantId, to: &str, at: DateTime<Utc>) -> OutboxEntry {
    OutboxEntry {
        channel: Channel::Email {
            to: Email::parse(to).expect("address"),
            subject: "Reset your password".to_string(),
            body: "https://desk.example/reset-password?token=secret".to_string(),
        },
        payload: serde_json::json!({"token_hint": "secret"}),
        ..fixtures::outbox_entry(tenant, at)
    }
}

/// `purge_delivered` blanks the payload and e-mail body of entries delivered before the
/// instant, once, and keeps their metadata and log; other entries keep their bodies.
pub async fn purge_blanks_old_delivered_bodies(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let now = fixtures::now();
    let old = mail_to(tenant, "old@example.com", now);
    let recent = mail_to(tenant, "recent@example.com", now);
    let pending = mail_to(tenant, "pending@example.com", now + Duration::days(30));
    store
        .enqueue(&[old.clone(), recent.clone(), pending.clone()])
        .await
        .expect("enqueue");
    let claimed = store
        .claim(now, Duration::seconds(30), 10)
        .await
        .expect("claim");
    let log = vec![attempt(now, Some(250), None)];
    for (e, at) in [(&old, now), (&recent, now + Duration::days(8))] {
        let c = claimed
            .iter()
            .find(|c| c.id == e.id)
            .and_then(|c| c.claim)
            .expect("claimed");
        assert!(store.complete(e.id, c, at, &log).await.expect("complete"));
    }
    let cut = now + Duration::days(7);
    assert_eq!(store.purge_delivered(cut).await.expect("purge"), 1);
    assert_eq!(store.purge_delivered(cut).await.expect("purge"), 0, "once");
    let purged = store.get_delivery(tenant, old.id).await.expect("get");
    assert_eq!(purged.payload, serde_json::Value::Null);
    assert!(matches!(
        &purged.channel,
        Channel::Email { to, subject, body }
            if to.as_str() == "old@example.com" && subject.is_empty() && body.is_empty()
    ));
    assert_eq!(
        (purged.status, purged.delivered_at, purged.log.clone()),
        (DeliveryStatus::Delivered, Some(now), log)
    );
    for kept in [&recent, &pending] {
        let e = store.get_delivery(tenant, kept.id).await.expect("get");
        assert_eq!((&e.channel, &e.payload), (&kept.channel, &kept.payload));
    }
}

/// `forget_recipient` blanks the tenant's e-mails to the address, shows the placeholder,
/// and dead-letters those not yet sent; other addresses and tenants are untouched.
pub async fn forget_recipient_scrubs_their_mail(store: Arc<dyn Store>) {
    let (tenant, other) = (fixtures::tenant(), fixtures::tenant());
    let now = fixtures::now();
    let gone = "gone@example.com";
    let sent = mail_to(tenant, gone, now);
    let waiting = mail_to(tenant, gone, now + Duration::days(1));
    let someone = mail_to(tenant, "someone@example.com", now + Duration::days(1));
    let elsewhere = mail_to(other, gone, now + Duration::days(1));
    store
        .enqueue(&[
            sent.clone(),
            waiting.clone(),
            someone.clone(),
            elsewhere.clone(),
        ])
        .await
        .expect("enqueue");
    let c = store
        .claim(now, Duration::seconds(30), 1)
        .await
        .expect("claim")[0]
        .claim
        .expect("claim");
    assert!(store
        .complete(sent.id, c, now, &[])
        .await
        .expect("complete"));
    let placeholder = Email::parse("deleted-1@deleted.invalid").expect("address");
    let address = Email::parse(gone).expect("address");
    assert_eq!(
        store
            .forget_recipient(tenant, &address, &placeholder)
            .await
            .expect("forget"),
        2
    );
    for (id, status) in [
        (sent.id, DeliveryStatus::Delivered),
        (waiting.id, DeliveryStatus::Dead),
    ] {
        let e = store.get_delivery(tenant, id).await.expect("get");
        assert_eq!(e.status, status);
        assert_eq!(e.payload, serde_json::Value::Null);
        assert!(matches!(
            &e.channel,
            Channel::Email { to, subject, body }
                if *to == placeholder && subject.is_empty() && body.is_empty()
        ));
    }
    let dead = store.get_delivery(tenant, waiting.id).await.expect("get");
    assert_eq!(dead.last_error.as_deref(), Some(RECIPIENT_DELETED));
    assert!(
        store
            .claim(now + Duration::days(2), Duration::seconds(30), 10)
            .await
            .expect("claim")
            .iter()
            .all(|e| e.id != waiting.id),
        "never sent"
    );
    for (t, kept) in [(tenant, &someone), (other, &elsewhere)] {
        let e = store.get_delivery(t, kept.id).await.expect("get");
        assert_eq!((&e.channel, &e.payload), (&kept.channel, &kept.payload));
    }
}
