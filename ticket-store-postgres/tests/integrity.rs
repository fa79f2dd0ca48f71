//! What the store guarantees beyond the conformance kit: text holding NUL is refused
//! before it reaches PostgreSQL, a save that fails half-way leaves nothing behind, the
//! pool's `search_path` does not matter, and schema names are checked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use ticket_core::account::{HashCost, TokenPurpose, TokenUse};
use ticket_core::error::Conflict;
use ticket_core::notify::OutboxEntry;
use ticket_core::ports::{
    FaqStore, NotificationStore, Outbox, TeamStore, TicketStore, TokenStore, UserStore,
};
use ticket_core::query::TicketQuery;
use ticket_core::testkit::fixtures;
use ticket_core::ticket::{Classification, Ticket, TicketInput, Visibility};
use ticket_core::{Error, HelpDesk, HelpDeskConfig};
use ticket_store_postgres::{sqlx, PostgresStore};

#[track_caller]
fn expect_invalid<T: std::fmt::Debug>(r: ticket_core::Result<T>, field: &str) {
    match r {
        Err(Error::Invalid(fields)) if fields.iter().any(|f| f.field == field) => {}
        other => panic!("expected Invalid on {field:?}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_holding_nul_is_refused_before_it_reaches_the_database() {
    if !common::should_run() {
        return;
    }
    let store = common::fresh().await;
    let tenant = fixtures::tenant();
    let ann = fixtures::user(tenant, "ann");
    store.create_user(&ann).await.unwrap();

    // An outbox payload (raw JSON the domain does not check).
    let entry = OutboxEntry {
        payload: serde_json::json!({"text": "before\u{0}after"}),
        ..fixtures::outbox_entry(tenant, fixtures::now())
    };
    expect_invalid(store.enqueue(std::slice::from_ref(&entry)).await, "outbox");
    assert!(matches!(
        store.get_delivery(tenant, entry.id).await,
        Err(Error::NotFound { .. })
    ));

    // A ticket whose classifier model name holds NUL; a change carrying such an entry.
    let t = Ticket {
        classification: Some(Classification {
            model: "llm\u{0}".to_string(),
            ..Classification::default()
        }),
        ..fixtures::ticket(tenant, ann.id)
    };
    expect_invalid(store.save(&fixtures::create(t.clone())).await, "ticket");
    let t = fixtures::ticket(tenant, ann.id);
    let mut change = fixtures::create(t.clone());
    change.outbox.push(entry.clone());
    expect_invalid(store.save(&change).await, "outbox");
    let mut change = fixtures::create(t.clone());
    let mut note = fixtures::notification(tenant, ann.id, fixtures::now());
    note.message = "hi\u{0}".to_string();
    change.notifications.push(note.clone());
    expect_invalid(store.save(&change).await, "notifications");
    expect_invalid(store.add_notifications(&[note]).await, "notifications");
    assert!(matches!(
        store.get_ticket(tenant, t.id).await,
        Err(Error::NotFound { .. })
    ));

    // Free text of configuration records.
    let mut faq = fixtures::faq(tenant, "Why?");
    faq.answer = "Because\u{0}".to_string();
    expect_invalid(store.save_faq(&faq).await, "faq");
    let mut team = fixtures::team(tenant, "Network");
    team.description = "\u{0}".to_string();
    expect_invalid(store.create_team(&team).await, "team");

    // Lookups with NUL find nothing (no stored value can hold it) rather than fail.
    assert_eq!(
        store.find_user_by_login(tenant, "ann\u{0}").await.unwrap(),
        None
    );
    assert_eq!(
        store
            .consume_token(
                tenant,
                TokenPurpose::VerifyEmail,
                "ab\u{0}",
                fixtures::now()
            )
            .await
            .unwrap(),
        TokenUse::Unknown
    );

    // A remote error message with NUL is kept, readable, in `last_error`.
    let ok = fixtures::outbox_entry(tenant, fixtures::now());
    store.enqueue(std::slice::from_ref(&ok)).await.unwrap();
    let claimed = store
        .claim(fixtures::now(), chrono::Duration::seconds(30), 1)
        .await
        .unwrap();
    let claim = claimed[0].claim.unwrap();
    assert!(store
        .fail(ok.id, claim, "bad\u{0}reply", None, &[])
        .await
        .unwrap());
    let dead = store.get_delivery(tenant, ok.id).await.unwrap();
    assert_eq!(dead.last_error.as_deref(), Some("bad\u{FFFD}reply"));

    // Through the desk: the title is refused by the domain before any store call.
    let desk = HelpDesk::builder(Arc::new(store.clone()))
        .config(HelpDeskConfig {
            hash_cost: HashCost::TESTING,
            ..HelpDeskConfig::default()
        })
        .build()
        .unwrap();
    let actor = desk.actor(tenant, ann.id).await.unwrap();
    let refused = desk
        .create_ticket(
            &actor,
            TicketInput {
                title: "Printer\u{0} on fire".into(),
                ..TicketInput::default()
            },
        )
        .await;
    expect_invalid(refused, "title");
    let listed = store
        .list_tickets(tenant, &TicketQuery::default())
        .await
        .unwrap();
    assert!(listed.items.is_empty(), "no ticket was stored");
    common::drop_schema(store.pool(), store.schema()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_failing_half_way_leaves_nothing_behind() {
    if !common::should_run() {
        return;
    }
    let store = common::fresh().await;
    let tenant = fixtures::tenant();
    let ann = fixtures::user(tenant, "ann");
    store.create_user(&ann).await.unwrap();
    let first = fixtures::ticket(tenant, ann.id);
    let mut change = fixtures::create(first.clone());
    let taken = fixtures::comment(&first, Visibility::Public, "first", first.created_at);
    change.comments.push(taken.clone());
    store.save(&change).await.unwrap();

    // The second ticket's change: the ticket row goes in, then its second comment reuses
    // a stored comment id and the statement fails.
    let second = fixtures::ticket(tenant, ann.id);
    let mut change = fixtures::create(second.clone());
    change.comments.push(fixtures::comment(
        &second,
        Visibility::Public,
        "fine",
        second.created_at,
    ));
    change.comments.push(ticket_core::ticket::Comment {
        ticket_id: second.id,
        ..taken.clone()
    });
    change
        .notifications
        .push(fixtures::notification(tenant, ann.id, fixtures::now()));
    let entry = fixtures::outbox_entry(tenant, fixtures::now());
    change.outbox.push(entry.clone());
    match store.save(&change).await {
        Err(Error::Conflict(Conflict::Unique { field })) => assert_eq!(field, "id"),
        other => panic!("expected Conflict(Unique {{ id }}), got {other:?}"),
    }

    assert!(matches!(
        store.get_ticket(tenant, second.id).await,
        Err(Error::NotFound { .. })
    ));
    assert!(store
        .ticket_events(tenant, second.id)
        .await
        .unwrap()
        .is_empty());
    assert!(
        ticket_core::testkit::fixtures::all_comments(&store, tenant, second.id, true)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.unread_count(tenant, ann.id).await.unwrap(), 0);
    assert!(matches!(
        store.get_delivery(tenant, entry.id).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(
        ticket_core::testkit::fixtures::all_comments(&store, tenant, first.id, true)
            .await
            .unwrap(),
        vec![taken],
        "the first ticket keeps its comment"
    );
    common::drop_schema(store.pool(), store.schema()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pools_search_path_does_not_matter() {
    if !common::should_run() {
        return;
    }
    let url = common::url().unwrap();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(common::POOL_SIZE)
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::Executor::execute(&mut *conn, "SET search_path TO nowhere").await?;
                Ok(())
            })
        })
        .connect(&url)
        .await
        .unwrap();
    let store = common::fresh_in(pool.clone()).await;
    let tenant = fixtures::tenant();
    let t = fixtures::ticket(tenant, ticket_core::id::UserId::new());
    store.save(&fixtures::create(t.clone())).await.unwrap();
    let q = TicketQuery {
        text: Some("printer".into()),
        ..TicketQuery::default()
    };
    assert_eq!(store.list_tickets(tenant, &q).await.unwrap().items, vec![t]);
    assert_eq!(
        store
            .stats(tenant, &ticket_core::query::StatsQuery::default())
            .await
            .unwrap()
            .total,
        1
    );
    common::drop_schema(&pool, store.schema()).await;
}

/// A schema name that is not a plain identifier is refused (no SQL is ever built with it).
#[tokio::test]
async fn a_bad_schema_name_is_invalid() {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .connect_lazy("postgres://nobody@127.0.0.1:1/none")
        .unwrap();
    expect_invalid(PostgresStore::with_schema(pool, "Robert'); DROP"), "schema");
}
