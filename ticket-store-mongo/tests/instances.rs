//! Several instances on one database: migrations run twice (and at once) are harmless,
//! and fill in the derived fields of documents an older build stored;
//! events published through one store reach the subscribers of another; two relay
//! workers on two clients never deliver the same entry; routed saves on two instances
//! never take an agent past capacity.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use async_trait::async_trait;
use futures::StreamExt as _;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use ticket_core::account::HashCost;
use ticket_core::event::TicketEvent;
use ticket_core::id::{DeliveryId, TenantId, UserId};
use ticket_core::notify::{DeliveryStatus, OutboxEntry};
use ticket_core::ports::{
    CapacityCheck, EventBus, EventStream, Notifier, Outbox, TicketStore, UserStore, VolumeQuery,
    VolumeStore,
};
use ticket_core::query::UserQuery;
use ticket_core::testkit::fixtures;
use ticket_core::{HelpDesk, HelpDeskConfig};
use ticket_store_mongo::mongodb::bson::doc;
use ticket_store_mongo::{MongoStore, SCHEMA_VERSION};

/// How long a test waits for an event.
const PATIENCE: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_twice_is_harmless_and_records_the_version() {
    if !common::should_run() {
        return;
    }
    let store = common::fresh().await;
    assert_eq!(store.schema_version().await.unwrap(), Some(SCHEMA_VERSION));
    let t = fixtures::ticket(fixtures::tenant(), UserId::new());
    store.save(&fixtures::create(t.clone())).await.unwrap();
    store.migrate().await.expect("migrate again");
    assert_eq!(store.schema_version().await.unwrap(), Some(SCHEMA_VERSION));
    assert_eq!(store.get_ticket(t.tenant, t.id).await.unwrap(), t);
    let names = store
        .database()
        .collection::<ticket_store_mongo::mongodb::bson::Document>("ticket_users")
        .list_index_names()
        .await
        .unwrap();
    assert!(names.iter().any(|n| n == "email"), "indexes: {names:?}");
    common::drop_database(&store).await;
}

/// Documents stored before schema version 2 lack the derived fields (a ticket's
/// `working`, `hour`, `handled`, `handle_us`, a user's `online`): the migration fills
/// them in, so loads, volume aggregations and the availability filter count them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_fills_in_the_derived_fields_of_older_documents() {
    if !common::should_run() {
        return;
    }
    let store = common::fresh().await;
    let tenant = fixtures::tenant();
    let agent = fixtures::agent(tenant, "olga", &[]);
    store.create_user(&agent).await.unwrap();
    let created = fixtures::now() - chrono::Duration::hours(2);
    let t = ticket_core::ticket::Ticket {
        assignee: Some(agent.id),
        assigned_at: Some(created + chrono::Duration::minutes(10)),
        first_response_at: Some(created + chrono::Duration::minutes(40)),
        ..fixtures::with_status(
            fixtures::ticket_at(tenant, UserId::new(), created),
            ticket_core::workflow::StatusCategory::Open,
        )
    };
    store.save(&fixtures::create(t.clone())).await.unwrap();
    let db = store.database();
    db.collection::<ticket_store_mongo::mongodb::bson::Document>("ticket_tickets")
        .update_many(
            doc! {},
            doc! { "$unset": { "working": "", "hour": "", "handled": "", "handle_us": "" } },
        )
        .await
        .unwrap();
    db.collection::<ticket_store_mongo::mongodb::bson::Document>("ticket_users")
        .update_many(doc! {}, doc! { "$unset": { "online": "" } })
        .await
        .unwrap();
    let scope = VolumeQuery {
        from: created - chrono::Duration::hours(1),
        to: created + chrono::Duration::hours(1),
        team: None,
        category: None,
    };
    let available = UserQuery {
        available: Some(true),
        ..UserQuery::default()
    };
    let before = store.agent_loads(tenant, None).await.unwrap();
    assert_eq!(before[0].open_tickets, 0, "not counted without `working`");
    assert!(store
        .list_users(tenant, &available)
        .await
        .unwrap()
        .items
        .is_empty());

    store.migrate().await.expect("migrate");
    let loads = store.agent_loads(tenant, None).await.unwrap();
    assert_eq!(loads.len(), 1);
    assert_eq!(loads[0].open_tickets, 1, "the open ticket counts again");
    let hours = store.hourly_created(tenant, &scope).await.unwrap();
    assert_eq!(hours.iter().map(|h| h.tickets).sum::<u64>(), 1);
    let handled = store.handle_time(tenant, &scope).await.unwrap();
    assert_eq!(handled.tickets, 1);
    assert!((handled.mean_secs.unwrap() - 1800.0).abs() < 1e-6);
    let listed = store.list_users(tenant, &available).await.unwrap().items;
    assert_eq!(
        listed.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![agent.id]
    );
    common::drop_database(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_migrating_at_once_are_harmless() {
    if !common::should_run() {
        return;
    }
    let first = common::fresh().await;
    let name = first.database().name().to_string();
    let mut runs = Vec::new();
    for _ in 0..4 {
        let store = MongoStore::new(common::client().await, &name);
        runs.push(tokio::spawn(async move { store.migrate().await }));
    }
    for r in runs {
        r.await.unwrap().expect("a concurrent migration succeeds");
    }
    assert_eq!(first.schema_version().await.unwrap(), Some(SCHEMA_VERSION));
    common::drop_database(&first).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_is_refused() {
    if !common::should_run() {
        return;
    }
    let store = common::fresh().await;
    store
        .database()
        .collection::<ticket_store_mongo::mongodb::bson::Document>("ticket_schema")
        .update_one(
            doc! { "_id": "schema" },
            doc! { "$set": { "version": SCHEMA_VERSION + 1 } },
        )
        .await
        .unwrap();
    assert!(matches!(
        store.migrate().await,
        Err(ticket_core::Error::Store(_))
    ));
    common::drop_database(&store).await;
}

/// The next event of `tenant` on `stream`, failing after [`PATIENCE`].
async fn next_of(stream: &mut EventStream, tenant: TenantId) -> TicketEvent {
    loop {
        match tokio::time::timeout(PATIENCE, stream.next()).await {
            Ok(Some(e)) if e.tenant == tenant => return e,
            Ok(Some(_)) => {}
            Ok(None) => panic!("the stream ended"),
            Err(_) => panic!("no event within {PATIENCE:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_published_through_one_store_arrives_at_another() {
    if !common::should_run() {
        return;
    }
    let a = common::fresh().await;
    let b = MongoStore::new(common::client().await, a.database().name());
    let mut on_a = a.subscribe().await.unwrap();
    let mut on_b = b.subscribe().await.unwrap();
    let t = fixtures::ticket(fixtures::tenant(), UserId::new());
    let first = fixtures::created_event(&t);
    let second = fixtures::event(
        &t,
        ticket_core::event::EventKind::Escalated {
            rule_id: None,
            reason: "late".into(),
        },
        t.created_at,
    );
    let started = std::time::Instant::now();
    a.publish(std::slice::from_ref(&first)).await.unwrap();
    b.publish(std::slice::from_ref(&second)).await.unwrap();
    assert_eq!(next_of(&mut on_b, t.tenant).await, first, "a → b");
    assert_eq!(next_of(&mut on_b, t.tenant).await, second, "b → b");
    assert_eq!(next_of(&mut on_a, t.tenant).await, first, "a → a");
    assert_eq!(next_of(&mut on_a, t.tenant).await, second, "b → a");
    println!("both events crossed in {:?}", started.elapsed());
    common::drop_database(&a).await;
}

/// Delivers by remembering what it was given (after a short pause, so that the two
/// workers overlap).
#[derive(Default)]
struct Recorder {
    delivered: Mutex<Vec<DeliveryId>>,
}

#[async_trait]
impl Notifier for Recorder {
    async fn deliver(&self, entry: &OutboxEntry) -> ticket_core::Result<()> {
        tokio::time::sleep(Duration::from_millis(1)).await;
        self.delivered.lock().unwrap().push(entry.id);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relay_workers_on_two_clients_never_deliver_the_same_entry() {
    if !common::should_run() {
        return;
    }
    let a = common::fresh().await;
    let b = MongoStore::new(common::client().await, a.database().name());
    let tenant = fixtures::tenant();
    let now = fixtures::now();
    let entries: Vec<OutboxEntry> = (0..120)
        .map(|_| fixtures::outbox_entry(tenant, now))
        .collect();
    a.enqueue(&entries).await.unwrap();

    let config = HelpDeskConfig {
        hash_cost: HashCost::TESTING,
        ..HelpDeskConfig::default()
    };
    let mut workers = Vec::new();
    let mut recorders = Vec::new();
    for store in [a.clone(), b] {
        let recorder = Arc::new(Recorder::default());
        let desk = HelpDesk::builder(Arc::new(store))
            .notifier(recorder.clone())
            .config(config.clone())
            .build()
            .unwrap();
        recorders.push(recorder);
        workers.push(tokio::spawn(async move {
            while desk.relay_outbox(10).await.unwrap().claimed > 0 {}
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let got: Vec<Vec<DeliveryId>> = recorders
        .iter()
        .map(|r| r.delivered.lock().unwrap().clone())
        .collect();
    let (first, second): (HashSet<_>, HashSet<_>) =
        (got[0].iter().collect(), got[1].iter().collect());
    assert_eq!(
        first.len(),
        got[0].len(),
        "a worker never got an entry twice"
    );
    assert_eq!(
        second.len(),
        got[1].len(),
        "a worker never got an entry twice"
    );
    assert!(first.is_disjoint(&second), "no entry went to both workers");
    let all: HashSet<&DeliveryId> = entries.iter().map(|e| &e.id).collect();
    assert_eq!(&first | &second, all, "together they delivered every entry");
    for e in &entries {
        let stored = a.get_delivery(tenant, e.id).await.unwrap();
        assert_eq!(
            (stored.status, stored.attempts),
            (DeliveryStatus::Delivered, 1)
        );
    }
    common::drop_database(&a).await;
}

/// Routed saves on two instances (two clients) checking one agent: together they never
/// take more than the agent's capacity, and every refused save is a capacity conflict
/// that wrote nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routed_saves_on_two_instances_never_exceed_capacity() {
    if !common::should_run() {
        return;
    }
    let a = Arc::new(common::fresh().await);
    let b = Arc::new(MongoStore::new(common::client().await, a.database().name()));
    let tenant = fixtures::tenant();
    let agent = fixtures::agent(tenant, "pat", &[]);
    a.create_user(&agent).await.unwrap();
    let capacity = 4;
    let saves = (0..16).map(|i| {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        let mut change = fixtures::create(ticket_core::ticket::Ticket {
            assignee: Some(agent.id),
            assigned_at: Some(fixtures::now()),
            ..fixtures::ticket(tenant, UserId::new())
        });
        change.capacity = Some(CapacityCheck {
            agent: agent.id,
            capacity,
        });
        async move { (change.ticket.id, store.save(&change).await) }
    });
    let results = futures::future::join_all(saves).await;
    let stored = results.iter().filter(|(_, r)| r.is_ok()).count();
    assert_eq!(stored, 4, "exactly the capacity is taken: {results:?}");
    for (id, r) in &results {
        if r.is_err() {
            assert!(
                matches!(
                    r,
                    Err(ticket_core::Error::Conflict(
                        ticket_core::error::Conflict::Capacity { .. }
                    ))
                ),
                "{r:?}"
            );
            assert!(b.get_ticket(tenant, *id).await.is_err(), "nothing written");
        }
    }
    let loads = b.agent_loads(tenant, None).await.unwrap();
    assert_eq!(loads[0].open_tickets, 4);
    common::drop_database(&a).await;
}
