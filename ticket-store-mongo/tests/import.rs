//! `MongoStore::import_tickets`: an imported ticket is stored exactly as a saved one
//! (the same document, so every read agrees), imports cross batches, a second run
//! skips what the first stored, and a bad import writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Duration;
use ticket_core::id::{TeamId, TenantId, TicketId, UserId};
use ticket_core::ports::TicketStore;
use ticket_core::query::{StatsQuery, TicketQuery};
use ticket_core::testkit::fixtures;
use ticket_core::ticket::Ticket;
use ticket_core::Error;
use ticket_store_mongo::mongodb::bson::{doc, Document};
use ticket_store_mongo::{MongoStore, IMPORT_BATCH};

/// The stored document of ticket `id` (the collection's name is part of the stored
/// format the crate docs describe).
async fn raw(store: &MongoStore, id: TicketId) -> Document {
    store
        .database()
        .collection::<Document>("ticket_tickets")
        .find_one(doc! { "_id": id.as_uuid().hyphenated().to_string() })
        .await
        .unwrap()
        .expect("the ticket document")
}

/// The ids of a list's first page in `tenant`.
async fn ids(store: &MongoStore, tenant: TenantId, q: &TicketQuery) -> Vec<TicketId> {
    let page = store.list_tickets(tenant, q).await.unwrap();
    page.items.iter().map(|t| t.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_ticket_is_the_document_a_save_stores() {
    if !common::should_run() {
        return;
    }
    let client = common::client().await;
    let saved = common::fresh_in(client.clone()).await;
    let imported = common::fresh_in(client).await;
    let tenant = fixtures::tenant();
    let requester = UserId::new();
    // Every field set, an SLA due for the sweep, and a plain ticket beside it.
    let full = fixtures::full_ticket(tenant, requester, UserId::new(), TeamId::new());
    let plain = fixtures::ticket_at(tenant, requester, fixtures::now() - Duration::hours(1));
    let tickets = vec![full.clone(), plain.clone()];
    for t in &tickets {
        saved.save(&fixtures::create(t.clone())).await.unwrap();
    }
    assert_eq!(imported.import_tickets(tenant, &tickets).await.unwrap(), 2);

    for t in &tickets {
        assert_eq!(raw(&imported, t.id).await, raw(&saved, t.id).await);
        assert_eq!(imported.get_ticket(tenant, t.id).await.unwrap(), *t);
        assert_eq!(saved.get_ticket(tenant, t.id).await.unwrap(), *t);
    }
    let queries = [
        TicketQuery::default(),
        TicketQuery {
            text: Some("vpn hour".into()),
            ..TicketQuery::default()
        },
        TicketQuery {
            tags: vec![fixtures::tag("urgent")],
            ..TicketQuery::default()
        },
        TicketQuery {
            text: Some("printer".into()),
            ..TicketQuery::default()
        },
    ];
    for q in &queries {
        let found = ids(&imported, tenant, q).await;
        assert!(!found.is_empty(), "{q:?} finds the imported ticket");
        assert_eq!(found, ids(&saved, tenant, q).await, "{q:?}");
    }
    assert_eq!(ids(&imported, tenant, &queries[1]).await, vec![full.id]);
    let all = StatsQuery::default();
    let stats = imported.stats(tenant, &all).await.unwrap();
    assert_eq!(stats.total, 2);
    assert_eq!(stats, saved.stats(tenant, &all).await.unwrap());
    // The SLA sweep finds the imported ticket's next check.
    let later = fixtures::now() + Duration::days(1);
    assert_eq!(
        imported.sla_due(later, 10).await.unwrap(),
        vec![(tenant, full.id)]
    );
    // An imported ticket changes like a saved one.
    let mut change = fixtures::update(&plain);
    change.ticket.title = fixtures::title("Printer fixed");
    imported.save(&change).await.unwrap();
    assert_eq!(
        imported.get_ticket(tenant, plain.id).await.unwrap(),
        change.ticket
    );
    common::drop_database(&saved).await;
    common::drop_database(&imported).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_crosses_batches_and_a_second_run_skips_what_is_stored() {
    if !common::should_run() {
        return;
    }
    let store = common::fresh().await;
    let tenant = fixtures::tenant();
    let requester = UserId::new();
    let tickets: Vec<Ticket> = (0..IMPORT_BATCH + 5)
        .map(|i| {
            let at = fixtures::now() - Duration::minutes(i64::try_from(i).unwrap());
            fixtures::ticket_at(tenant, requester, at)
        })
        .collect();
    let first = IMPORT_BATCH - 3;
    assert_eq!(
        store
            .import_tickets(tenant, &tickets[..first])
            .await
            .unwrap(),
        u64::try_from(first).unwrap()
    );
    // The rest, with what the first run stored again (an import run twice).
    assert_eq!(store.import_tickets(tenant, &tickets).await.unwrap(), 8);
    let stats = store.stats(tenant, &StatsQuery::default()).await.unwrap();
    assert_eq!(stats.total, u64::try_from(tickets.len()).unwrap());
    let newest = ids(&store, tenant, &TicketQuery::default()).await;
    assert_eq!(newest.len(), 25);
    let expected: Vec<TicketId> = tickets.iter().take(newest.len()).map(|t| t.id).collect();
    assert_eq!(newest, expected);
    common::drop_database(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_import_is_refused_before_anything_is_written() {
    if !common::should_run() {
        return;
    }
    let store = common::fresh().await;
    let tenant = fixtures::tenant();
    let good = fixtures::ticket(tenant, UserId::new());
    let foreign = fixtures::ticket(TenantId::new(), UserId::new());
    let refused = store.import_tickets(tenant, &[good.clone(), foreign]).await;
    assert!(matches!(refused, Err(Error::Invalid(_))), "{refused:?}");
    let repeated = store
        .import_tickets(tenant, &[good.clone(), good.clone()])
        .await;
    assert!(matches!(repeated, Err(Error::Invalid(_))), "{repeated:?}");
    let too_new = Ticket {
        version: u64::MAX,
        ..fixtures::ticket(tenant, UserId::new())
    };
    let refused = store.import_tickets(tenant, &[good.clone(), too_new]).await;
    assert!(matches!(refused, Err(Error::Invalid(_))), "{refused:?}");
    let stats = store.stats(tenant, &StatsQuery::default()).await.unwrap();
    assert_eq!(stats.total, 0);
    assert!(matches!(
        store.get_ticket(tenant, good.id).await,
        Err(Error::NotFound { .. })
    ));
    common::drop_database(&store).await;
}
