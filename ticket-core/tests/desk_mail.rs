//! HelpDesk behaviour around mail and the outbox: token mails are limited per account,
//! deleting an account scrubs the person from the outbox, an entry whose worker died
//! after its last attempt is dead-lettered without another attempt, and dead letters are
//! replayed from an instant on.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test set-up may unwrap

mod common;

use async_trait::async_trait;
use chrono::Duration;
use common::{world, world_with};
use std::sync::Arc;
use ticket_core::clock::Clock as _;
use ticket_core::notify::{
    Channel, DeliveryStatus, NotificationKind, OutboxEntry, RECIPIENT_DELETED,
};
use ticket_core::ports::{Notifier, Outbox as _};

/// The e-mails of `kind` to `address` in the outbox.
async fn mails(w: &common::World, address: &str, kind: NotificationKind) -> Vec<OutboxEntry> {
    w.store
        .list_deliveries(w.tenant, None, 100, None)
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.kind == kind)
        .filter(|e| matches!(&e.channel, Channel::Email { to, .. } if to.as_str() == address))
        .collect()
}

#[tokio::test]
async fn reset_mails_are_limited_per_account_per_hour() {
    let w = world().await;
    for _ in 0..8 {
        w.desk
            .request_password_reset(w.tenant, "carl@example.com")
            .await
            .unwrap();
    }
    let kind = NotificationKind::PasswordReset;
    assert_eq!(mails(&w, "carl@example.com", kind).await.len(), 5);
    w.clock.advance(Duration::minutes(61));
    w.desk
        .request_password_reset(w.tenant, "carl@example.com")
        .await
        .unwrap();
    assert_eq!(mails(&w, "carl@example.com", kind).await.len(), 6);
}

#[tokio::test]
async fn deleting_an_account_scrubs_it_from_the_outbox() {
    let w = world().await;
    w.desk
        .request_password_reset(w.tenant, "carl@example.com")
        .await
        .unwrap();
    let sent = mails(&w, "carl@example.com", NotificationKind::PasswordReset).await;
    assert_eq!(sent.len(), 1);
    w.desk
        .delete_account(&w.customer, w.customer.user_id().unwrap())
        .await
        .unwrap();
    assert!(
        mails(&w, "carl@example.com", NotificationKind::PasswordReset)
            .await
            .is_empty()
    );
    let e = w.store.get_delivery(w.tenant, sent[0].id).await.unwrap();
    assert_eq!(e.status, DeliveryStatus::Dead);
    assert_eq!(e.last_error.as_deref(), Some(RECIPIENT_DELETED));
    assert!(matches!(&e.channel, Channel::Email { to, body, subject }
        if to.as_str().ends_with("@deleted.invalid") && body.is_empty() && subject.is_empty()));
}

/// A notifier that must not be called.
struct Never;

#[async_trait]
impl Notifier for Never {
    async fn deliver(&self, entry: &OutboxEntry) -> ticket_core::Result<()> {
        panic!("{} was delivered", entry.id);
    }
}

#[tokio::test]
async fn an_entry_whose_worker_died_after_its_last_attempt_is_dead_lettered() {
    let w = world_with(|b| b.notifier(Arc::new(Never))).await;
    let now = w.clock.now();
    let e = OutboxEntry::new(
        w.tenant,
        None,
        NotificationKind::Message,
        Channel::Webhook {
            url: "https://hooks.example.com/".into(),
            secret: None,
        },
        serde_json::json!({}),
        2,
        // Due before the account mails of the world's set-up, so it is claimed first.
        now - Duration::hours(1),
    );
    w.store.enqueue(std::slice::from_ref(&e)).await.unwrap();
    // Two workers claim it and die (their leases lapse).
    for _ in 0..2 {
        let claimed = w
            .store
            .claim(w.clock.now(), Duration::seconds(30), 1)
            .await
            .unwrap();
        assert_eq!(claimed[0].id, e.id);
        w.clock.advance(Duration::seconds(31));
    }
    let report = w.desk.relay_outbox(1).await.unwrap();
    assert_eq!((report.claimed, report.dead), (1, 1), "{report:?}");
    let dead = w.store.get_delivery(w.tenant, e.id).await.unwrap();
    assert_eq!(dead.status, DeliveryStatus::Dead);
    assert!(dead.last_error.unwrap().contains("abandoned"));
    assert_eq!(dead.log.len(), 1);
}

#[tokio::test]
async fn dead_letters_are_replayed_from_an_instant_on() {
    let w = world().await;
    let t0 = w.clock.now();
    let mut ids = Vec::new();
    for hours in [0, 2] {
        let e = OutboxEntry {
            status: DeliveryStatus::Dead,
            attempts: 10,
            ..OutboxEntry::new(
                w.tenant,
                None,
                NotificationKind::Message,
                Channel::Webhook {
                    url: "https://hooks.example.com/".into(),
                    secret: None,
                },
                serde_json::json!({}),
                10,
                t0 + Duration::hours(hours),
            )
        };
        w.store.enqueue(std::slice::from_ref(&e)).await.unwrap();
        ids.push(e.id);
    }
    assert!(matches!(
        w.desk.replay_dead_since(&w.agent, t0).await,
        Err(ticket_core::Error::Forbidden(_))
    ));
    let n = w
        .desk
        .replay_dead_since(&w.admin, t0 + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(n, 1);
    let old = w.store.get_delivery(w.tenant, ids[0]).await.unwrap();
    let new = w.store.get_delivery(w.tenant, ids[1]).await.unwrap();
    assert_eq!(
        (old.status, new.status),
        (DeliveryStatus::Dead, DeliveryStatus::Pending)
    );
    assert_eq!(new.attempts, 0);
}

/// The one-time token at the end of an account mail's body (no public URL: bare token).
fn mailed_token(e: &OutboxEntry) -> String {
    match &e.channel {
        Channel::Email { body, .. } => body.trim_end().lines().last().unwrap().to_string(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_welcome_mail_follows_the_verification_once() {
    let w = world().await;
    w.desk
        .register(w.tenant, common::account("dora"))
        .await
        .unwrap();
    let address = "dora@example.com";
    assert!(mails(&w, address, NotificationKind::Welcome)
        .await
        .is_empty());
    let verify = mails(&w, address, NotificationKind::VerifyEmail).await;
    assert_eq!(verify.len(), 1);
    w.desk
        .verify_email(w.tenant, &mailed_token(&verify[0]))
        .await
        .unwrap();
    let welcome = mails(&w, address, NotificationKind::Welcome).await;
    assert_eq!(welcome.len(), 1);
    assert_eq!(welcome[0].ticket_id, None);
    assert!(
        matches!(&welcome[0].channel, Channel::Email { subject, body, .. }
        if subject == "Welcome to the help desk" && body.contains("dora"))
    );
    // A spent token welcomes nobody again.
    assert!(w
        .desk
        .verify_email(w.tenant, &mailed_token(&verify[0]))
        .await
        .is_err());
    assert_eq!(mails(&w, address, NotificationKind::Welcome).await.len(), 1);
}

#[tokio::test]
async fn without_verification_the_welcome_comes_at_sign_up() {
    let w = world_with(|b| {
        b.config(ticket_core::HelpDeskConfig {
            email_verification: false,
            public_url: Some("https://help.example.com/".into()),
            ..common::config()
        })
    })
    .await;
    let user = w
        .desk
        .register(w.tenant, common::account("dora"))
        .await
        .unwrap();
    assert_eq!(user.email_verified_at, None, "not verified, only welcomed");
    let address = "dora@example.com";
    assert!(mails(&w, address, NotificationKind::VerifyEmail)
        .await
        .is_empty());
    let welcome = mails(&w, address, NotificationKind::Welcome).await;
    assert_eq!(welcome.len(), 1);
    assert!(
        matches!(&welcome[0].channel, Channel::Email { body, .. }
        if body.contains("\n\nhttps://help.example.com/my\n")),
        "{welcome:?}"
    );
}

/// Answers every ticket with the first FAQ entry.
struct FirstFaq;

#[async_trait]
impl ticket_core::ports::FaqMatcher for FirstFaq {
    async fn best_match(
        &self,
        _: &ticket_core::ticket::NewTicket,
        faqs: &[ticket_core::team::Faq],
    ) -> ticket_core::Result<Option<ticket_core::ports::FaqMatch>> {
        Ok(faqs.first().map(|f| ticket_core::ports::FaqMatch {
            faq: f.clone(),
            score: 0.9,
        }))
    }
}

#[tokio::test]
async fn the_faq_answer_on_a_new_ticket_is_mailed_to_its_requester() {
    let w = world_with(|b| {
        b.faq_matcher(Arc::new(FirstFaq))
            .config(ticket_core::HelpDeskConfig {
                faq_deflect: true,
                public_url: Some("https://help.example.com".into()),
                ..common::config()
            })
    })
    .await;
    let answer = "Use the Forgot password link on the sign-in page.";
    w.desk
        .create_faq(
            &w.admin,
            ticket_core::desk::FaqInput {
                question: "How do I reset my password?".into(),
                answer: answer.into(),
                tags: Vec::new(),
            },
        )
        .await
        .unwrap();
    let t = w
        .desk
        .create_ticket(
            &w.customer,
            serde_json::from_value(serde_json::json!({
                "title": "Locked out",
                "description": "I forgot my password",
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    let sent = mails(&w, "carl@example.com", NotificationKind::DeflectionAnswer).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].ticket_id, Some(t.id), "threaded with the ticket");
    match &sent[0].channel {
        Channel::Email { subject, body, .. } => {
            assert_eq!(subject, "Re: Locked out");
            assert!(body.contains(answer), "{body}");
            assert!(body.contains("confirm it on your ticket"), "{body}");
            assert!(
                body.contains(&format!("https://help.example.com/my/tickets/{}", t.id)),
                "{body}"
            );
        }
        other => panic!("{other:?}"),
    }
    // Without a matching answer, no such mail.
    let w2 = world().await;
    w2.desk
        .create_ticket(
            &w2.customer,
            serde_json::from_value(serde_json::json!({"title": "Hello", "description": "x"}))
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(
        mails(&w2, "carl@example.com", NotificationKind::DeflectionAnswer)
            .await
            .is_empty()
    );
}
