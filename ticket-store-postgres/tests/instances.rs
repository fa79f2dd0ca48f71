//! Several instances on one database: migrations run twice (and at once) are harmless
//! and leave a host's own sqlx migrations alone; events published through one store
//! reach the subscribers of another (and an instance listens for events only while
//! someone subscribes); two relay workers on two pools never deliver the
//! same entry; a pool one connection larger than the store's listeners still serves its
//! statements; configuration (and FAQ entries) written through one store reaches the
//! cache of another.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use async_trait::async_trait;
use futures::StreamExt as _;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use ticket_core::account::HashCost;
use ticket_core::event::{EventKind, TicketEvent};
use ticket_core::id::{DeliveryId, TenantId, UserId};
use ticket_core::notify::{DeliveryStatus, OutboxEntry};
use ticket_core::ports::{
    ConfigStore, EventBus, EventStream, FaqStore, Notifier, Outbox, TicketStore,
};
use ticket_core::testkit::fixtures;
use ticket_core::{Error, HelpDesk, HelpDeskConfig};
use ticket_store_postgres::{sqlx, PostgresStore, LISTENING_CONNECTIONS, MIGRATIONS_TABLE};

/// How long a test waits for an event.
const PATIENCE: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_twice_is_harmless_and_leaves_the_hosts_migrations_alone() {
    if !common::should_run() {
        return;
    }
    let pool = common::pool().await;
    let schema = common::schema_name();
    // A host that keeps its own sqlx migrations in the same schema.
    sqlx::raw_sql(&format!(
        "CREATE SCHEMA \"{schema}\";
         CREATE TABLE \"{schema}\"._sqlx_migrations (version bigint PRIMARY KEY,
             description text NOT NULL, checksum bytea NOT NULL);
         INSERT INTO \"{schema}\"._sqlx_migrations VALUES (20240101, 'host', '\\x00');"
    ))
    .execute(&pool)
    .await
    .unwrap();
    let store = PostgresStore::with_schema(pool.clone(), &schema).unwrap();
    let applied = store.migrate().await.unwrap();
    assert_eq!(
        applied,
        recorded(&pool, &schema).await,
        "the first run applies every migration"
    );
    assert_eq!(
        store.migrate().await.unwrap(),
        0,
        "the second run has nothing to do"
    );
    let host: Vec<(i64, String)> = sqlx::query_as(&format!(
        "SELECT version, description FROM \"{schema}\"._sqlx_migrations"
    ))
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        host,
        vec![(20240101, "host".to_string())],
        "the host's table is untouched"
    );
    let ours: Vec<(i64, String)> = sqlx::query_as(&format!(
        "SELECT version, name FROM \"{schema}\".{MIGRATIONS_TABLE} ORDER BY version"
    ))
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        ours,
        vec![
            (1, "init".to_string()),
            (2, "token_expiry".to_string()),
            (3, "rotation".to_string()),
            (4, "outbox_log".to_string()),
            (5, "faq_deflection".to_string()),
            (6, "shifts".to_string()),
            (7, "sla_reevaluation".to_string()),
            (8, "webhook_endpoints".to_string()),
            (9, "sla_claims".to_string()),
            (10, "partial_ticket_indexes".to_string()),
            (11, "ticket_rows_uncompressed".to_string())
        ]
    );
    let t = fixtures::ticket(fixtures::tenant(), UserId::new());
    store.save(&fixtures::create(t.clone())).await.unwrap();
    assert_eq!(store.get_ticket(t.tenant, t.id).await.unwrap(), t);

    // An applied migration whose text changed is refused, and nothing is applied.
    sqlx::query(&format!(
        "UPDATE \"{schema}\".{MIGRATIONS_TABLE} SET checksum = 'edited'"
    ))
    .execute(&pool)
    .await
    .unwrap();
    assert!(matches!(store.migrate().await, Err(Error::Store(_))));
    assert_eq!(store.get_ticket(t.tenant, t.id).await.unwrap(), t);
    common::drop_schema(&pool, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_migrating_at_once_apply_each_migration_once() {
    if !common::should_run() {
        return;
    }
    let (p1, p2) = (common::pool().await, common::pool().await);
    let schema = common::schema_name();
    let a = PostgresStore::with_schema(p1.clone(), &schema).unwrap();
    let b = PostgresStore::with_schema(p2, &schema).unwrap();
    let (ra, rb) = tokio::join!(a.migrate(), b.migrate());
    assert_eq!(
        ra.unwrap() + rb.unwrap(),
        recorded(&p1, &schema).await,
        "between them each migration was applied once"
    );
    a.ping().await.unwrap();
    common::drop_schema(&p1, &schema).await;
}

/// The next event of `tenant` on `stream`, failing after [`PATIENCE`].
async fn next_of(stream: &mut EventStream, tenant: TenantId) -> TicketEvent {
    loop {
        match tokio::time::timeout(PATIENCE, stream.next()).await {
            Ok(Some(e)) if e.tenant == tenant => return e,
            Ok(Some(_)) => {}
            Ok(None) => panic!("the event stream ended"),
            Err(_) => panic!("no event within {PATIENCE:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_published_through_one_store_arrives_at_another() {
    if !common::should_run() {
        return;
    }
    // Two instances: two pools, one schema.
    let (p1, p2) = (common::pool().await, common::pool().await);
    let a = common::fresh_in(p1.clone()).await;
    let b = PostgresStore::with_schema(p2, a.schema()).unwrap();
    // A third store in another schema of the same database hears nothing of theirs.
    let other = common::fresh_in(p1.clone()).await;
    let mut on_b = b.subscribe().await.unwrap();
    let mut on_other = other.subscribe().await.unwrap();

    let t = fixtures::ticket(fixtures::tenant(), UserId::new());
    let mut change = fixtures::create(t.clone());
    // Too large for a notification payload: it travels by id and is read back.
    let big = fixtures::event(
        &t,
        EventKind::Escalated {
            rule_id: None,
            reason: "late ".repeat(3_000),
        },
        t.created_at,
    );
    change.events.push(big);
    a.save(&change).await.unwrap();
    a.publish(&change.events).await.unwrap();
    assert_eq!(next_of(&mut on_b, t.tenant).await, change.events[0]);
    assert_eq!(next_of(&mut on_b, t.tenant).await, change.events[1]);

    let marker = fixtures::created_event(&fixtures::ticket(fixtures::tenant(), UserId::new()));
    other.publish(std::slice::from_ref(&marker)).await.unwrap();
    let first = tokio::time::timeout(PATIENCE, on_other.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        first, marker,
        "the other schema's subscriber got only its own event"
    );

    for schema in [a.schema(), other.schema()] {
        common::drop_schema(&p1, schema).await;
    }
}

/// How many backends listen on `store`'s event channel (their last statement was its
/// `LISTEN`; a listener that stops sends `UNLISTEN *`).
async fn event_listeners(pool: &sqlx::PgPool, channel: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE query = $1")
        .bind(format!(r#"LISTEN "{channel}""#))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_listener_runs_only_while_someone_subscribes() {
    if !common::should_run() {
        return;
    }
    let p = common::pool().await;
    let a = common::fresh_in(p.clone()).await;
    let (schema, channel) = (a.schema().to_string(), a.channel().to_string());
    let created = || fixtures::created_event(&fixtures::ticket(fixtures::tenant(), UserId::new()));
    assert_eq!(
        event_listeners(&p, &channel).await,
        0,
        "nobody subscribes yet"
    );

    let mut stream = a.subscribe().await.unwrap();
    assert_eq!(
        event_listeners(&p, &channel).await,
        1,
        "listening once subscribed"
    );
    let first = created();
    a.publish(std::slice::from_ref(&first)).await.unwrap();
    assert_eq!(next_of(&mut stream, first.tenant).await, first);

    // The first event that finds nobody subscribed stops the listener.
    drop(stream);
    a.publish(&[created()]).await.unwrap();
    eventually(PATIENCE, 0, || event_listeners(&p, &channel)).await;

    // A new subscriber starts it again and gets what is published from then on.
    let mut stream = a.subscribe().await.unwrap();
    assert_eq!(event_listeners(&p, &channel).await, 1);
    let again = created();
    a.publish(std::slice::from_ref(&again)).await.unwrap();
    assert_eq!(next_of(&mut stream, again.tenant).await, again);

    // The store going away stops it, subscribed or not.
    drop(a);
    eventually(PATIENCE, 0, || event_listeners(&p, &channel)).await;
    drop(stream);
    common::drop_schema(&p, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_one_larger_than_the_listeners_still_serves_statements() {
    if !common::should_run() {
        return;
    }
    let url = common::url().unwrap();
    let small = sqlx::postgres::PgPoolOptions::new()
        .max_connections(LISTENING_CONNECTIONS + 1)
        .acquire_timeout(Duration::from_secs(5))
        .connect(&url)
        .await
        .unwrap();
    let a = common::fresh_in(small.clone()).await;
    // Both listeners hold a connection: events (subscribed) and configuration (a cached
    // read).
    let mut stream = a.subscribe().await.unwrap();
    let tenant = fixtures::tenant();
    a.list_rules(tenant).await.unwrap();
    // The remaining connection serves the store's statements.
    let t = fixtures::ticket(tenant, UserId::new());
    let change = fixtures::create(t.clone());
    a.save(&change).await.unwrap();
    a.publish(&change.events).await.unwrap();
    assert_eq!(next_of(&mut stream, tenant).await, change.events[0]);
    assert_eq!(a.get_ticket(tenant, t.id).await.unwrap().id, t.id);
    drop(stream);
    let schema = a.schema().to_string();
    drop(a);
    common::drop_schema(&common::pool().await, &schema).await;
}

/// How many migrations the store recorded in `schema`.
async fn recorded(pool: &sqlx::PgPool, schema: &str) -> usize {
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM \"{schema}\".ticket_schema_migrations"
    ))
    .fetch_one(pool)
    .await
    .unwrap();
    usize::try_from(n).unwrap()
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
async fn two_relay_workers_on_two_pools_never_deliver_the_same_entry() {
    if !common::should_run() {
        return;
    }
    let (p1, p2) = (common::pool().await, common::pool().await);
    let a = common::fresh_in(p1.clone()).await;
    let b = PostgresStore::with_schema(p2, a.schema()).unwrap();
    let tenant = fixtures::tenant();
    let now = fixtures::now();
    let entries: Vec<OutboxEntry> = (0..300)
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
    assert!(
        !first.is_empty() && !second.is_empty(),
        "both workers worked"
    );
    let all: HashSet<&DeliveryId> = entries.iter().map(|e| &e.id).collect();
    assert_eq!(&first | &second, all, "together they delivered every entry");
    for e in &entries {
        let stored = a.get_delivery(tenant, e.id).await.unwrap();
        assert_eq!(
            (stored.status, stored.attempts),
            (DeliveryStatus::Delivered, 1)
        );
    }
    common::drop_schema(&p1, a.schema()).await;
}

/// Polls `read` until it gives `want`, failing after `within`.
async fn eventually<T, F, Fut>(within: Duration, want: T, mut read: F)
where
    T: PartialEq + std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let start = std::time::Instant::now();
    loop {
        let got = read().await;
        if got == want {
            return;
        }
        assert!(
            start.elapsed() < within,
            "still {got:?} after {within:?}, expected {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_written_through_one_store_reaches_the_cache_of_another() {
    if !common::should_run() {
        return;
    }
    let (p1, p2) = (common::pool().await, common::pool().await);
    let a = common::fresh_in(p1.clone()).await;
    let b = PostgresStore::with_schema(p2, a.schema()).unwrap();
    let tenant = fixtures::tenant();
    // B reads (and caches) the tenant's empty configuration.
    assert!(b.list_rules(tenant).await.unwrap().is_empty());
    assert!(b.list_sla_policies(tenant).await.unwrap().is_empty());
    let calendar = fixtures::calendar(tenant, "Office");
    assert!(matches!(
        b.get_calendar(tenant, calendar.id).await,
        Err(Error::NotFound { .. })
    ));

    // A writes: B sees each change once the notice arrives, long before the cache's
    // time to live (2 s) would have refreshed it.
    let soon = Duration::from_millis(1_500);
    let rule = fixtures::rule(tenant, "Note", 1);
    a.save_rule(&rule).await.unwrap();
    eventually(soon, vec![rule.clone()], || async {
        b.list_rules(tenant).await.unwrap()
    })
    .await;
    let policy = fixtures::sla_policy(tenant, "Gold", 1);
    a.save_sla_policy(&policy).await.unwrap();
    assert_eq!(
        a.list_sla_policies(tenant).await.unwrap(),
        vec![policy.clone()],
        "the writer reads its own write at once"
    );
    eventually(soon, vec![policy.clone()], || async {
        b.list_sla_policies(tenant).await.unwrap()
    })
    .await;
    a.save_calendar(&calendar).await.unwrap();
    eventually(soon, Some(calendar.clone()), || async {
        b.get_calendar(tenant, calendar.id).await.ok()
    })
    .await;
    a.delete_rule(tenant, rule.id).await.unwrap();
    eventually(soon, Vec::new(), || async {
        b.list_rules(tenant).await.unwrap()
    })
    .await;
    // FAQ entries (read by every create's matcher) are cached the same way.
    assert!(b.list_faqs(tenant).await.unwrap().is_empty());
    let faq = fixtures::faq(tenant, "How do I reset my password?");
    a.save_faq(&faq).await.unwrap();
    assert_eq!(a.list_faqs(tenant).await.unwrap(), vec![faq.clone()]);
    eventually(soon, vec![faq.clone()], || async {
        b.list_faqs(tenant).await.unwrap()
    })
    .await;
    a.delete_faq(tenant, faq.id).await.unwrap();
    eventually(soon, Vec::new(), || async {
        b.list_faqs(tenant).await.unwrap()
    })
    .await;

    // A change that bypasses the stores (and so sends no notice) is served stale from
    // the cache, for at most its time to live; a store without the cache sees it at once.
    // (Let the notices of A's writes arrive first, then fill B's cache.)
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(b.list_rules(tenant).await.unwrap().is_empty());
    let sneaked = fixtures::rule(tenant, "Sneaked in", 2);
    sqlx::query(&format!(
        "INSERT INTO \"{}\".rules (id, tenant, position, doc) VALUES ($1, $2, 2, $3)",
        a.schema()
    ))
    .bind(sneaked.id.as_uuid())
    .bind(tenant.as_uuid())
    .bind(sqlx::types::Json(&sneaked))
    .execute(&p1)
    .await
    .unwrap();
    assert!(
        b.list_rules(tenant).await.unwrap().is_empty(),
        "served from the cache"
    );
    let uncached = PostgresStore::with_schema(p1.clone(), a.schema())
        .unwrap()
        .without_config_cache();
    assert_eq!(
        uncached.list_rules(tenant).await.unwrap(),
        vec![sneaked.clone()]
    );
    eventually(Duration::from_secs(4), vec![sneaked], || async {
        b.list_rules(tenant).await.unwrap()
    })
    .await;
    common::drop_schema(&p1, a.schema()).await;
}
