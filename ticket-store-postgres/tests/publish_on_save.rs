//! A save that asks for it (`TicketChange::publish_events`) notifies its events in its
//! own statement: subscribers get each event once, when it is committed, and never for
//! a change that was not stored (a version conflict, a refused group). A desk whose bus
//! is the store (or a clone of it) asks for it and publishes nothing itself; a desk
//! whose bus is another store object, even on the same schema, publishes as before.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use futures::StreamExt as _;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use ticket_core::account::HashCost;
use ticket_core::error::Conflict;
use ticket_core::event::{EventKind, TicketEvent};
use ticket_core::id::{EventId, TenantId, UserId};
use ticket_core::ports::{EventBus, EventStream, TicketChange, TicketStore};
use ticket_core::testkit::{desk_setup, fixtures};
use ticket_core::ticket::TicketInput;
use ticket_core::{Error, HelpDesk, HelpDeskConfig};
use ticket_store_postgres::{sqlx, PostgresStore};

/// How long a test waits for an event it expects.
const PATIENCE: Duration = Duration::from_secs(10);
/// How long a test listens for events it does not expect (a duplicate, a rolled-back
/// change's): the expected ones arrive within milliseconds on loopback.
const QUIET: Duration = Duration::from_millis(500);

/// Every event of `tenant` arriving on `stream` until it stays quiet for [`QUIET`]
/// (waiting up to [`PATIENCE`] for the first when `expect_some`).
async fn events_of(
    stream: &mut EventStream,
    tenant: TenantId,
    expect_some: bool,
) -> Vec<TicketEvent> {
    let mut got = Vec::new();
    loop {
        let wait = if expect_some && got.is_empty() {
            PATIENCE
        } else {
            QUIET
        };
        match tokio::time::timeout(wait, stream.next()).await {
            Ok(Some(e)) if e.tenant == tenant => got.push(e),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return got,
        }
    }
}

/// How many times each event id arrived.
fn counts(events: &[TicketEvent]) -> HashMap<EventId, usize> {
    let mut seen = HashMap::new();
    for e in events {
        *seen.entry(e.id).or_insert(0) += 1;
    }
    seen
}

/// A new ticket's change that asks the store to publish its events.
fn published_create(tenant: TenantId) -> TicketChange {
    let mut change = fixtures::create(fixtures::ticket(tenant, UserId::new()));
    change.publish_events = true;
    change
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_publishes_its_events_when_asked_and_only_what_it_stored() {
    if !common::should_run() {
        return;
    }
    let store = common::fresh().await;
    let tenant = fixtures::tenant();
    assert_eq!(
        TicketStore::event_channel(&store),
        EventBus::channel_id(&store),
        "the store publishes on its own bus"
    );
    assert_eq!(
        EventBus::channel_id(&store.clone()),
        EventBus::channel_id(&store),
        "clones share the channel"
    );
    let mut stream = store.subscribe().await.unwrap();

    // Asked: the event arrives, once, equal to the stored one.
    let created = published_create(tenant);
    store.save(&created).await.unwrap();
    assert_eq!(events_of(&mut stream, tenant, true).await, created.events);

    // Not asked: nothing.
    let quiet = fixtures::create(fixtures::ticket(tenant, UserId::new()));
    store.save(&quiet).await.unwrap();
    assert_eq!(events_of(&mut stream, tenant, false).await, []);

    // An update against a stale version stores nothing, so publishes nothing.
    let mut stale = fixtures::update(&created.ticket);
    stale.expected_version = Some(created.ticket.version + 5);
    stale.ticket.version = created.ticket.version + 6;
    stale.events.push(fixtures::event(
        &created.ticket,
        EventKind::Escalated {
            rule_id: None,
            reason: "late".into(),
        },
        created.ticket.created_at,
    ));
    stale.publish_events = true;
    let refused = store.save(&stale).await.unwrap_err();
    assert!(
        matches!(refused, Error::Conflict(Conflict::Version { .. })),
        "{refused:?}"
    );
    // A new ticket whose id is taken: refused, nothing published.
    let mut taken = published_create(tenant);
    taken.ticket.id = created.ticket.id;
    for e in &mut taken.events {
        e.ticket_id = created.ticket.id;
    }
    assert!(store.save(&taken).await.is_err());
    assert_eq!(events_of(&mut stream, tenant, false).await, []);

    // A valid update publishes, an event too large for a payload travelling by id.
    let mut update = fixtures::update(&created.ticket);
    update.events.push(fixtures::event(
        &created.ticket,
        EventKind::Escalated {
            rule_id: None,
            reason: "late ".repeat(3_000),
        },
        created.ticket.created_at,
    ));
    update.publish_events = true;
    store.save(&update).await.unwrap();
    assert_eq!(events_of(&mut stream, tenant, true).await, update.events);
    common::drop_schema(store.pool(), store.schema()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_saved_as_one_group_publish_each_event_once() {
    if !common::should_run() {
        return;
    }
    let store = Arc::new(common::fresh().await);
    let tenant = fixtures::tenant();
    let mut stream = store.subscribe().await.unwrap();
    // Inserts wait behind a lock, so that the creates queue and go as groups.
    let mut lock = common::lock_tickets(&store).await;
    let changes: Vec<TicketChange> = (0..30).map(|_| published_create(tenant)).collect();
    let saves: Vec<_> = changes
        .iter()
        .cloned()
        .map(|change| {
            let store = store.clone();
            tokio::spawn(async move { store.save(&change).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    sqlx::query("COMMIT").execute(&mut lock).await.unwrap();
    for s in saves {
        s.await.unwrap().unwrap();
    }
    let got = events_of(&mut stream, tenant, true).await;
    let seen = counts(&got);
    assert_eq!(seen.len(), 30, "{got:?}");
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
    for change in &changes {
        assert!(seen.contains_key(&change.events[0].id));
    }
    common::drop_schema(store.pool(), store.schema()).await;
}

/// Creates one ticket through a desk over `store` whose bus is `bus`, and returns what a
/// subscriber of `bus` received for the desk's tenant.
async fn events_of_a_desk_create(store: &PostgresStore, bus: PostgresStore) -> Vec<TicketEvent> {
    let mut stream = bus.subscribe().await.unwrap();
    let setup = desk_setup(
        HelpDesk::builder(Arc::new(store.clone()))
            .event_bus(Arc::new(bus))
            .config(HelpDeskConfig {
                hash_cost: HashCost::TESTING,
                ..HelpDeskConfig::default()
            }),
    )
    .await;
    let input = TicketInput {
        title: "The printer is on fire".into(),
        description: "Since this morning".into(),
        ..TicketInput::default()
    };
    let ticket = setup
        .desk
        .create_ticket(&setup.customer, input)
        .await
        .unwrap();
    let got = events_of(&mut stream, setup.tenant, true).await;
    assert!(got.iter().all(|e| e.ticket_id == ticket.id), "{got:?}");
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_create_reaches_subscribers_once_whichever_store_object_is_its_bus() {
    if !common::should_run() {
        return;
    }
    let store = common::fresh().await;
    // The bus a clone of the store: the save publishes, the desk does not.
    let same = events_of_a_desk_create(&store, store.clone()).await;
    assert_eq!(same.len(), 1, "{same:?}");
    assert!(
        matches!(same[0].kind, EventKind::Created { .. }),
        "{same:?}"
    );
    // The bus another store object on the same schema (another channel id): the desk
    // publishes, the save does not, and the event still arrives once.
    let other = PostgresStore::with_schema(common::pool().await, store.schema()).unwrap();
    assert_ne!(EventBus::channel_id(&other), EventBus::channel_id(&store));
    let separate = events_of_a_desk_create(&store, other).await;
    assert_eq!(separate.len(), 1, "{separate:?}");
    assert!(
        matches!(separate[0].kind, EventKind::Created { .. }),
        "{separate:?}"
    );
    common::drop_schema(store.pool(), store.schema()).await;
}
