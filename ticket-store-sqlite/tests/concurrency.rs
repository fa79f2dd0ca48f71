//! Writers never see `SQLITE_BUSY`: 64 concurrent creators through the `HelpDesk` all
//! succeed, and so do writers of two separate stores (two pools) on one file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::Arc;
use ticket_core::account::{HashCost, Role};
use ticket_core::id::UserId;
use ticket_core::ports::{Outbox, TicketStore};
use ticket_core::query::TicketQuery;
use ticket_core::testkit::{account, fixtures};
use ticket_core::ticket::{Ticket, TicketInput};
use ticket_core::{Actor, HelpDesk, HelpDeskConfig, TenantId};
use ticket_store_sqlite::SqliteStore;

async fn open(path: &std::path::Path) -> SqliteStore {
    let store = SqliteStore::connect(path.to_str().unwrap()).await.unwrap();
    store.migrate().await.unwrap();
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_creators_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("desk.db")).await;
    let desk = HelpDesk::builder(Arc::new(store.clone()))
        .event_bus(Arc::new(store.clone()))
        .config(HelpDeskConfig {
            hash_cost: HashCost::TESTING,
            ..HelpDeskConfig::default()
        })
        .build()
        .unwrap();
    let tenant = TenantId::new();
    let root = desk
        .ensure_super_admin(tenant, account("root"))
        .await
        .unwrap()
        .unwrap();
    let admin = Actor::user(tenant, root.id, Role::SuperAdmin);
    let mut customers = Vec::new();
    for i in 0..8 {
        let user = desk
            .create_user(&admin, account(&format!("customer-{i}")), Role::Customer)
            .await
            .unwrap();
        customers.push(Actor::user(tenant, user.id, Role::Customer));
    }

    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let (desk, who) = (desk.clone(), customers[i % customers.len()]);
            tokio::spawn(async move {
                desk.create_ticket(
                    &who,
                    TicketInput {
                        title: format!("Concurrent ticket {i}"),
                        description: "Raised at the same time as 63 others.".to_string(),
                        tags: vec!["load".to_string()],
                        ..TicketInput::default()
                    },
                )
                .await
            })
        })
        .collect();
    let mut ids = HashSet::new();
    for task in tasks {
        let ticket = task.await.unwrap().expect("every creator succeeds");
        ids.insert(ticket.id);
    }
    assert_eq!(ids.len(), 64);
    let listed = store
        .list_tickets(
            tenant,
            &TicketQuery {
                limit: 100,
                ..TicketQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        listed.items.iter().map(|t| t.id).collect::<HashSet<_>>(),
        ids
    );
    for id in ids {
        assert!(!store.ticket_events(tenant, id).await.unwrap().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writers_of_two_stores_on_one_file_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.db");
    let first = Arc::new(open(&path).await);
    let second = Arc::new(open(&path).await);
    let tenant = fixtures::tenant();
    let requester = UserId::new();
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let store = if i % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            };
            tokio::spawn(async move {
                let mut mine = Vec::new();
                for j in 0..20 {
                    let t = Ticket {
                        title: fixtures::title(&format!("Writer {i} ticket {j}")),
                        ..fixtures::ticket(tenant, requester)
                    };
                    store
                        .save(&fixtures::create(t.clone()))
                        .await
                        .expect("save");
                    mine.push(t.id);
                }
                mine
            })
        })
        .collect();
    let mut written = Vec::new();
    for task in tasks {
        written.extend(task.await.unwrap());
    }
    assert_eq!(written.len(), 640);
    let found = first.get_tickets(tenant, &written).await.unwrap();
    assert_eq!(found.len(), 640, "both stores see every ticket");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_change_in_a_busy_queue_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir.path().join("desk.db")).await);
    let tenant = fixtures::tenant();
    let requester = UserId::new();
    let taken = fixtures::ticket(tenant, requester);
    store.save(&fixtures::create(taken.clone())).await.unwrap();

    // Half the writers create new tickets, half try to create one with a taken id (with a
    // comment and an outbox entry that must not be written).
    let tasks: Vec<_> = (0..48)
        .map(|i| {
            let store = store.clone();
            let duplicate = Ticket {
                title: fixtures::title(&format!("Duplicate {i}")),
                ..taken.clone()
            };
            tokio::spawn(async move {
                let fresh = i % 2 == 0;
                let t = if fresh {
                    fixtures::ticket(tenant, requester)
                } else {
                    duplicate
                };
                let mut change = fixtures::create(t.clone());
                change.comments.push(fixtures::comment(
                    &t,
                    ticket_core::ticket::Visibility::Public,
                    &format!("comment {i}"),
                    t.created_at,
                ));
                let entry = fixtures::outbox_entry(tenant, t.created_at);
                change.outbox.push(entry.clone());
                (fresh, t.id, entry.id, store.save(&change).await)
            })
        })
        .collect();
    for task in tasks {
        let (fresh, id, entry, result) = task.await.unwrap();
        if fresh {
            result.expect("a fresh ticket is stored");
            assert_eq!(
                ticket_core::testkit::fixtures::all_comments(&*store, tenant, id, true)
                    .await
                    .unwrap()
                    .len(),
                1
            );
            store
                .get_delivery(tenant, entry)
                .await
                .expect("its outbox entry");
        } else {
            match result {
                Err(ticket_core::Error::Conflict(ticket_core::error::Conflict::Unique {
                    field,
                })) => assert_eq!(field, "id"),
                other => panic!("a duplicate id: {other:?}"),
            }
            assert!(matches!(
                store.get_delivery(tenant, entry).await,
                Err(ticket_core::Error::NotFound { .. })
            ));
        }
    }
    assert_eq!(store.get_ticket(tenant, taken.id).await.unwrap(), taken);
    assert!(
        ticket_core::testkit::fixtures::all_comments(&*store, tenant, taken.id, true)
            .await
            .unwrap()
            .is_empty(),
        "no duplicate's comment was written"
    );
    assert_eq!(
        store.ticket_events(tenant, taken.id).await.unwrap().len(),
        1
    );
}
