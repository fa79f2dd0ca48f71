//! A change whose writer dies between the commit point (the one ticket-document write)
//! and the completion (the inserts of its records) is still all there: every reader, of
//! this store or another instance, completes it before reading, and completing it twice
//! writes each record once. A change that failed before the commit point left nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ticket_core::event::EventKind;
use ticket_core::id::UserId;
use ticket_core::notify::DeliveryStatus;
use ticket_core::ports::{NotificationStore, Outbox, TicketChange, TicketStore};
use ticket_core::query::CommentQuery;
use ticket_core::testkit::fixtures;
use ticket_core::ticket::{Priority, Ticket, Visibility};
use ticket_store_mongo::testing::save_without_completing;
use ticket_store_mongo::MongoStore;

/// An update of `t` carrying one record of every kind, for `user`'s notification.
fn rich_update(t: &Ticket, user: UserId) -> TicketChange {
    let now = fixtures::now();
    let mut change = fixtures::update(t);
    change.ticket.priority = Priority::Critical;
    change
        .comments
        .push(fixtures::comment(t, Visibility::Public, "on it", now));
    change.events.push(fixtures::event(
        t,
        EventKind::PriorityChanged {
            from: t.priority,
            to: Priority::Critical,
        },
        now,
    ));
    change
        .notifications
        .push(fixtures::notification(t.tenant, user, now));
    let mut entry = fixtures::outbox_entry(t.tenant, now);
    entry.ticket_id = Some(t.id);
    change.outbox.push(entry);
    change
}

/// Another instance on the same database (as after a restart).
async fn restarted(store: &MongoStore) -> MongoStore {
    MongoStore::new(common::client().await, store.database().name())
}

/// Checks that everything `change` wrote is visible through `store`, once.
async fn assert_whole(store: &MongoStore, change: &TicketChange, user: UserId) {
    let t = &change.ticket;
    assert_eq!(store.get_ticket(t.tenant, t.id).await.unwrap(), *t);
    let comments = store
        .list_comments(
            t.tenant,
            t.id,
            &CommentQuery {
                include_internal: true,
                limit: 100,
                after: None,
            },
        )
        .await
        .unwrap()
        .items;
    assert_eq!(comments, change.comments, "the comment, once");
    let events = store.ticket_events(t.tenant, t.id).await.unwrap();
    assert_eq!(
        events.len(),
        2,
        "the created event and the change's: {events:?}"
    );
    assert_eq!(events[1], change.events[0]);
    let notes = store
        .list_notifications(t.tenant, user, false, 100, None)
        .await
        .unwrap()
        .items;
    assert_eq!(notes, change.notifications, "the notification, once");
    let delivery = store
        .get_delivery(t.tenant, change.outbox[0].id)
        .await
        .unwrap();
    assert_eq!(delivery, change.outbox[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_cut_after_its_commit_is_completed_by_the_next_reader() {
    if !common::should_run() {
        return;
    }
    let store = common::fresh().await;
    let user = UserId::new();
    let t = fixtures::ticket(fixtures::tenant(), user);
    store.save(&fixtures::create(t.clone())).await.unwrap();
    let change = rich_update(&t, user);
    save_without_completing(&store, &change).await.unwrap();

    // Another instance's relay claims the entry: it completes the change first.
    let other = restarted(&store).await;
    let claimed = other
        .claim(fixtures::now(), chrono::Duration::minutes(1), 10)
        .await
        .unwrap();
    assert_eq!(
        claimed.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![change.outbox[0].id],
        "the cut change's outbox entry is claimed"
    );
    // Completing again (this store's own readers) writes nothing twice.
    let mut expected = change.clone();
    expected.outbox[0] = other
        .get_delivery(t.tenant, change.outbox[0].id)
        .await
        .unwrap();
    assert_eq!(expected.outbox[0].status, DeliveryStatus::InFlight);
    assert_whole(&store, &expected, user).await;
    assert_whole(&other, &expected, user).await;
    common::drop_database(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_of_the_ticket_complete_a_cut_change() {
    if !common::should_run() {
        return;
    }
    let store = common::fresh().await;
    let user = UserId::new();
    let t = fixtures::ticket(fixtures::tenant(), user);
    store.save(&fixtures::create(t.clone())).await.unwrap();
    let change = rich_update(&t, user);
    save_without_completing(&store, &change).await.unwrap();
    // The history is read first, on a fresh instance: it sees the change whole.
    let other = restarted(&store).await;
    let events = other.ticket_events(t.tenant, t.id).await.unwrap();
    assert_eq!(events.last(), change.events.last());
    assert_whole(&other, &change, user).await;
    common::drop_database(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_change_completes_a_cut_one_first() {
    if !common::should_run() {
        return;
    }
    let store = common::fresh().await;
    let user = UserId::new();
    let t = fixtures::ticket(fixtures::tenant(), user);
    store.save(&fixtures::create(t.clone())).await.unwrap();
    let change = rich_update(&t, user);
    save_without_completing(&store, &change).await.unwrap();

    // A writer that read the old version conflicts, as without the cut.
    let stale = fixtures::update(&t);
    assert!(matches!(
        store.save(&stale).await,
        Err(ticket_core::Error::Conflict(_))
    ));
    // The next change made on the new version lands, after the cut one's records.
    let next = rich_update(&change.ticket, user);
    store.save(&next).await.unwrap();
    let events = store.ticket_events(t.tenant, t.id).await.unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[1], change.events[0]);
    assert_eq!(events[2], next.events[0]);
    assert_eq!(
        store.unread_count(t.tenant, user).await.unwrap(),
        2,
        "both changes' notifications, once each"
    );
    common::drop_database(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_create_is_stored_and_a_failed_one_left_nothing() {
    if !common::should_run() {
        return;
    }
    let store = common::fresh().await;
    let user = UserId::new();
    let t = fixtures::ticket(fixtures::tenant(), user);
    let mut create = fixtures::create(t.clone());
    create
        .notifications
        .push(fixtures::notification(t.tenant, user, fixtures::now()));
    save_without_completing(&store, &create).await.unwrap();
    let other = restarted(&store).await;
    assert_eq!(other.unread_count(t.tenant, user).await.unwrap(), 1);
    assert_eq!(
        other.ticket_events(t.tenant, t.id).await.unwrap(),
        create.events
    );

    // A create reusing a stored event id fails before its commit: no ticket, no records.
    let u = fixtures::ticket(t.tenant, user);
    let mut bad = fixtures::create(u.clone());
    bad.events.push(create.events[0].clone());
    bad.notifications
        .push(fixtures::notification(t.tenant, user, fixtures::now()));
    assert!(store.save(&bad).await.is_err());
    assert!(matches!(
        other.get_ticket(u.tenant, u.id).await,
        Err(ticket_core::Error::NotFound { .. })
    ));
    assert_eq!(other.unread_count(t.tenant, user).await.unwrap(), 1);
    common::drop_database(&store).await;
}
