//! Group inserts: new tickets saved while inserts are in flight go together in one
//! statement, with every row of their changes, and a group that fails leaves each of its
//! tickets its own outcome.
//!
//! The inserts in flight are held back by a `SHARE` lock on the tickets table (taken on a
//! connection of the test's own), so the tickets saved meanwhile queue up for one group.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;
use ticket_core::error::Conflict;
use ticket_core::id::TenantId;
use ticket_core::ports::{TicketChange, TicketStore};
use ticket_core::testkit::fixtures;
use ticket_core::ticket::Visibility;
use ticket_core::{Error, Result};
use ticket_store_postgres::{sqlx, PostgresStore};
use tokio::task::JoinHandle;

/// A new ticket's change with one of every child row: its `Created` event, a comment, an
/// in-app notification and an outbox entry.
fn full_create(tenant: TenantId) -> TicketChange {
    let requester = ticket_core::id::UserId::new();
    let ticket = fixtures::ticket(tenant, requester);
    let mut change = fixtures::create(ticket.clone());
    let at = ticket.created_at;
    change.comments = vec![fixtures::comment(&ticket, Visibility::Public, "hello", at)];
    change.notifications = vec![fixtures::notification(tenant, requester, at)];
    change.outbox = vec![fixtures::outbox_entry(tenant, at)];
    change
}

/// Each change saved on a task of its own, all at once.
fn spawn_saves(
    store: &Arc<PostgresStore>,
    changes: Vec<TicketChange>,
) -> Vec<JoinHandle<Result<()>>> {
    changes
        .into_iter()
        .map(|change| {
            let store = store.clone();
            tokio::spawn(async move { store.save(&change).await })
        })
        .collect()
}

/// Saves `changes` concurrently while the tickets table is locked against inserts (so
/// that all but the inserts already in flight queue up), then releases the lock; returns
/// each save's outcome, in order.
async fn save_while_locked(store: &PostgresStore, changes: Vec<TicketChange>) -> Vec<Result<()>> {
    let mut lock = common::lock_tickets(store).await;
    let saves = spawn_saves(&Arc::new(store.clone()), changes);
    // Time for every save to reach the lock or the queue.
    tokio::time::sleep(Duration::from_millis(300)).await;
    sqlx::query("COMMIT").execute(&mut lock).await.unwrap();
    let mut outcomes = Vec::new();
    for s in saves {
        outcomes.push(s.await.unwrap());
    }
    outcomes
}

/// How many rows of `tenant` `table` holds.
async fn rows_of(store: &PostgresStore, table: &str, tenant: TenantId) -> i64 {
    sqlx::query_scalar(&format!(
        "SELECT count(*) FROM \"{}\".{table} WHERE tenant = $1",
        store.schema()
    ))
    .bind(tenant.as_uuid())
    .fetch_one(store.pool())
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_saved_while_inserts_are_in_flight_all_land_with_their_rows() {
    if !common::should_run() {
        return;
    }
    let store = common::fresh().await;
    let tenant = fixtures::tenant();
    let changes: Vec<TicketChange> = (0..40).map(|_| full_create(tenant)).collect();
    let outcomes = save_while_locked(&store, changes.clone()).await;
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    for table in ["tickets", "events", "comments", "notifications", "outbox"] {
        assert_eq!(rows_of(&store, table, tenant).await, 40, "{table}");
    }
    // Each ticket reads back as saved, with its history.
    for change in &changes {
        let t = &change.ticket;
        assert_eq!(&store.get_ticket(tenant, t.id).await.unwrap(), t);
        assert_eq!(
            store.ticket_events(tenant, t.id).await.unwrap(),
            change.events
        );
    }
    common::drop_schema(store.pool(), store.schema()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_that_fails_leaves_each_ticket_its_own_outcome() {
    if !common::should_run() {
        return;
    }
    let store = common::fresh().await;
    let tenant = fixtures::tenant();
    let mut changes: Vec<TicketChange> = (0..12).map(|_| full_create(tenant)).collect();
    // The last one takes the id of the one before it: whichever group holds both fails.
    let taken = changes[10].ticket.id;
    changes[11].ticket.id = taken;
    for child in &mut changes[11].events {
        child.ticket_id = taken;
    }
    for child in &mut changes[11].comments {
        child.ticket_id = taken;
    }
    let outcomes = save_while_locked(&store, changes).await;
    assert!(outcomes[..10].iter().all(Result::is_ok), "{outcomes:?}");
    let refused = outcomes[10..]
        .iter()
        .filter(|o| matches!(o, Err(Error::Conflict(Conflict::Unique { field })) if field == "id"))
        .count();
    assert_eq!(
        (refused, outcomes[10..].iter().filter(|o| o.is_ok()).count()),
        (1, 1),
        "{outcomes:?}"
    );
    // Nothing of the refused change was written.
    for table in ["tickets", "events", "comments", "notifications", "outbox"] {
        assert_eq!(rows_of(&store, table, tenant).await, 11, "{table}");
    }
    common::drop_schema(store.pool(), store.schema()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_that_stop_waiting_stop_neither_their_group_nor_later_inserts() {
    if !common::should_run() {
        return;
    }
    let store = common::fresh().await;
    let tenant = fixtures::tenant();
    let mut lock = common::lock_tickets(&store).await;
    let shared = Arc::new(store.clone());
    let saves = spawn_saves(&shared, (0..10).map(|_| full_create(tenant)).collect());
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Whichever were running an insert or waiting for one stop waiting.
    for gone in [0, 1, 5] {
        saves[gone].abort();
    }
    sqlx::query("COMMIT").execute(&mut lock).await.unwrap();
    for (i, s) in saves.into_iter().enumerate() {
        match s.await {
            Ok(outcome) => assert!(outcome.is_ok(), "save {i}: {outcome:?}"),
            Err(e) => assert!(e.is_cancelled() && [0, 1, 5].contains(&i), "save {i}: {e}"),
        }
    }
    // Nothing is left counted as in flight: later creates go through, alone and together.
    let later = spawn_saves(&shared, (0..5).map(|_| full_create(tenant)).collect());
    for s in later {
        let outcome = tokio::time::timeout(Duration::from_secs(10), s)
            .await
            .expect("a later create is not held up")
            .unwrap();
        assert!(outcome.is_ok(), "{outcome:?}");
    }
    // The stopped callers' tickets were written or not, each whole.
    let tickets = rows_of(&store, "tickets", tenant).await;
    assert!((12..=15).contains(&tickets), "{tickets} tickets");
    for table in ["events", "comments", "notifications", "outbox"] {
        assert_eq!(rows_of(&store, table, tenant).await, tickets, "{table}");
    }
    common::drop_schema(store.pool(), store.schema()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_the_host_closes_the_pool_inserts_fail_and_write_nothing() {
    if !common::should_run() {
        return;
    }
    let store = common::fresh().await;
    let tenant = fixtures::tenant();
    // The first insert takes a connection the store keeps out of the pool.
    store.save(&full_create(tenant)).await.unwrap();
    store.pool().close().await;
    let refused = store.save(&full_create(tenant)).await;
    assert!(matches!(refused, Err(Error::Store(_))), "{refused:?}");

    let other = PostgresStore::with_schema(common::pool().await, store.schema()).unwrap();
    assert_eq!(rows_of(&other, "tickets", tenant).await, 1);
    common::drop_schema(other.pool(), other.schema()).await;
}
