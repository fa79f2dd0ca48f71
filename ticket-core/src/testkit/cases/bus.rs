//! `EventBus`: publish/subscribe delivers in order to every subscriber. Cases filter the
//! stream by their own random tenant, so a bus shared with other publishers still passes;
//! events published before subscribing are not required.

use crate::event::{EventKind, TicketEvent};
use crate::id::{TenantId, UserId};
use crate::ports::{EventBus, EventStream};
use crate::testkit::fixtures;
use futures::StreamExt as _;
use std::sync::Arc;
use std::time::Duration;

/// How long a case waits for an event before it fails.
const PATIENCE: Duration = Duration::from_secs(10);

/// `n` events of one new ticket of a fresh tenant, oldest first.
fn events(n: usize) -> (TenantId, Vec<TicketEvent>) {
    let tenant = fixtures::tenant();
    let ticket = fixtures::ticket(tenant, UserId::new());
    let mut out = vec![fixtures::created_event(&ticket)];
    for i in 1..n {
        let kind = EventKind::Escalated {
            rule_id: None,
            reason: format!("step {i}"),
        };
        out.push(fixtures::event(
            &ticket,
            kind,
            ticket.created_at + chrono::Duration::seconds(i64::try_from(i).unwrap_or(0)),
        ));
    }
    (tenant, out)
}

/// The next `n` events of `tenant` on `stream`, failing after [`PATIENCE`].
async fn next_of(stream: &mut EventStream, tenant: TenantId, n: usize) -> Vec<TicketEvent> {
    let mut got = Vec::new();
    while got.len() < n {
        match tokio::time::timeout(PATIENCE, stream.next()).await {
            Ok(Some(e)) if e.tenant == tenant => got.push(e),
            Ok(Some(_)) => {}
            Ok(None) => panic!("the event stream ended after {} of {n} events", got.len()),
            Err(_) => panic!(
                "no event within {PATIENCE:?} after {} of {n} events",
                got.len()
            ),
        }
    }
    got
}

/// A subscriber receives every event published after it subscribed, in publish order,
/// across several `publish` calls.
pub async fn delivers_in_order(bus: Arc<dyn EventBus>) {
    let (tenant, sent) = events(5);
    let mut stream = bus.subscribe().await.expect("subscribe");
    bus.publish(&sent[..3]).await.expect("publish");
    bus.publish(&sent[3..4]).await.expect("publish");
    bus.publish(&sent[4..]).await.expect("publish");
    assert_eq!(next_of(&mut stream, tenant, 5).await, sent);
}

/// Two subscribers both receive every event.
pub async fn every_subscriber_receives(bus: Arc<dyn EventBus>) {
    let (tenant, sent) = events(3);
    let mut first = bus.subscribe().await.expect("subscribe");
    let mut second = bus.subscribe().await.expect("subscribe");
    bus.publish(&sent).await.expect("publish");
    assert_eq!(
        next_of(&mut first, tenant, 3).await,
        sent,
        "first subscriber"
    );
    assert_eq!(
        next_of(&mut second, tenant, 3).await,
        sent,
        "second subscriber"
    );
}

/// Publishing with nobody subscribed (or nothing at all) succeeds, and a later
/// subscriber still gets what is published after it subscribed (whether it also sees the
/// earlier event is up to the bus).
pub async fn publish_without_subscribers_is_fine(bus: Arc<dyn EventBus>) {
    let (tenant, sent) = events(2);
    bus.publish(&sent[..1])
        .await
        .expect("publish without subscribers");
    bus.publish(&[]).await.expect("publish nothing");
    let mut stream = bus.subscribe().await.expect("subscribe");
    bus.publish(&sent[1..]).await.expect("publish");
    let mut got = next_of(&mut stream, tenant, 1).await;
    if got == sent[..1] {
        got = next_of(&mut stream, tenant, 1).await;
    }
    assert_eq!(got, sent[1..].to_vec());
}
