//! SSRF: every refused address class, in odd spellings too, a hostname resolving to a
//! private address and a redirect to one are refused without a request reaching them,
//! while an allowed range goes through.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;
use support::{loopback_notifier, public_notifier, Answer, Receiver};
use ticket_core::notify::{AttemptOutcome, Channel, NotificationKind, OutboxEntry};
use ticket_core::ports::Notifier as _;
use ticket_core::testkit::fixtures;

fn to(url: &str) -> OutboxEntry {
    OutboxEntry::new(
        fixtures::tenant(),
        None,
        NotificationKind::Message,
        Channel::Webhook {
            url: url.to_string(),
            secret: None,
        },
        serde_json::json!({"hello": "world"}),
        5,
        fixtures::now(),
    )
}

#[tokio::test]
async fn private_addresses_are_refused_in_every_spelling() {
    let rx = Receiver::start(vec![Answer::Status(200)]).await;
    let port = rx.addr.port();
    let n = public_notifier();
    for host in [
        "127.0.0.1".to_string(),
        "10.0.0.1".into(),
        "172.16.5.4".into(),
        "192.168.0.10".into(),
        "169.254.169.254".into(),
        "100.64.0.1".into(),
        "0.0.0.0".into(),
        "[::1]".into(),
        "[fc00::1]".into(),
        "[fd00:ec2::254]".into(),
        "[fe80::1]".into(),
        "[::ffff:127.0.0.1]".into(),
        "[::ffff:a9fe:a9fe]".into(),
        "2130706433".into(),
        "0177.0.0.1".into(),
        "0x7f.1".into(),
        "127.1".into(),
        "localhost".into(),
    ] {
        let url = format!("http://{host}:{port}/hook");
        let r = n.attempt(&to(&url)).await;
        assert_eq!(r.outcome, AttemptOutcome::Permanent, "{url}: {r:?}");
        assert!(
            r.error.as_deref().unwrap_or_default().contains("refused"),
            "{url}: {r:?}"
        );
    }
    assert!(rx.calls().is_empty(), "no request reached the receiver");
}

#[tokio::test]
async fn an_allowed_range_goes_through_by_address_and_by_name() {
    let rx = Receiver::start(vec![Answer::Status(200)]).await;
    let n = loopback_notifier(Duration::from_secs(5));
    for url in [
        rx.url(),
        format!("http://localhost:{}/hook", rx.addr.port()),
        format!("http://2130706433:{}/hook", rx.addr.port()),
    ] {
        let r = n.attempt(&to(&url)).await;
        assert_eq!(r.outcome, AttemptOutcome::Delivered, "{url}: {r:?}");
    }
    assert_eq!(rx.calls().len(), 3);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    // The target is on loopback, which the notifier may reach: only not following the
    // redirect keeps it from being called (a redirect to a private address is thus
    // never taken, allowed or not).
    let target = Receiver::start(vec![Answer::Status(200)]).await;
    let redirector = Receiver::start(vec![Answer::Redirect(target.url())]).await;
    let r = loopback_notifier(Duration::from_secs(5))
        .attempt(&to(&redirector.url()))
        .await;
    assert_eq!(r.status_code, Some(302));
    assert!(matches!(r.outcome, AttemptOutcome::Retry { .. }), "{r:?}");
    assert_eq!(redirector.calls().len(), 1);
    assert!(target.calls().is_empty(), "the redirect was not followed");
}

#[tokio::test]
async fn a_name_resolving_to_a_private_address_is_refused_at_connect_time() {
    // `localhost` resolves to loopback: refused by a notifier without an allowance, even
    // though the URL names no address.
    let rx = Receiver::start(vec![Answer::Status(200)]).await;
    let url = format!("http://localhost:{}/hook", rx.addr.port());
    let r = public_notifier().attempt(&to(&url)).await;
    assert_eq!(r.outcome, AttemptOutcome::Permanent, "{r:?}");
    assert!(rx.calls().is_empty());
}
