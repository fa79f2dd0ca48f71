//! The store calls of one authenticated create through `HelpDesk` on PostgreSQL, logged
//! through a counting wrapper: with the default SLA policies and no routing rule, the
//! create reads configuration from the store's cache (no database round trip) and writes
//! in one transaction; nothing reads the requester or the agents. A routing rule adds
//! the agents' loads and the rotation, which it needs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use ticket_core::account::{HashCost, Role};
use ticket_core::desk::RegisterInput;
use ticket_core::testkit::CountingStore;
use ticket_core::ticket::TicketInput;
use ticket_core::{Actor, HelpDesk, HelpDeskConfig, TenantId};

fn account(name: &str) -> RegisterInput {
    RegisterInput {
        email: format!("{name}@example.com"),
        username: name.to_string(),
        name: name.to_string(),
        password: "correct horse battery staple".to_string(),
    }
}

/// One create by an authenticated customer (the actor as the HTTP layer resolves it),
/// after a first one warmed the caches; the store calls it made.
async fn calls_of_one_create(
    desk: &HelpDesk,
    counting: &CountingStore,
    tenant: TenantId,
    customer: &Actor,
) -> BTreeMap<&'static str, u64> {
    let user = customer.user_id().unwrap();
    let input = || TicketInput {
        title: "The printer is on fire".into(),
        description: "Since this morning".into(),
        ..TicketInput::default()
    };
    let warm = desk.actor(tenant, user).await.unwrap();
    desk.create_ticket(&warm, input()).await.unwrap();
    counting.reset();
    let actor = desk.actor(tenant, user).await.unwrap();
    desk.create_ticket(&actor, input()).await.unwrap();
    counting.calls()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authenticated_create_is_one_write_and_cached_configuration() {
    if !common::should_run() {
        return;
    }
    let pool = common::pool().await;
    let store = common::fresh_in(pool.clone()).await;
    let schema = store.schema().to_string();
    let counting = CountingStore::new(Arc::new(store));
    let desk = HelpDesk::builder(Arc::new(counting.clone()))
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
    let carl = desk
        .create_user(&admin, account("carl"), Role::Customer)
        .await
        .unwrap();
    let customer = Actor::user(tenant, carl.id, Role::Customer);
    desk.install_default_sla(&admin).await.unwrap();

    let calls = calls_of_one_create(&desk, &counting, tenant, &customer).await;
    println!("PostgreSQL create, default SLA policies, no rules: {calls:?}");
    // list_rules, list_sla_policies and get_calendar are served by the configuration
    // cache; `save` is the one transaction.
    let expected: BTreeMap<&str, u64> = [
        ("get_calendar", 1),
        ("list_rules", 1),
        ("list_sla_policies", 1),
        ("save", 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(calls, expected);

    desk.install_default_rules(&admin).await.unwrap();
    let calls = calls_of_one_create(&desk, &counting, tenant, &customer).await;
    println!("PostgreSQL create, default SLA policies and rules: {calls:?}");
    assert_eq!(calls.get("save"), Some(&1));
    assert_eq!(calls.get("get_user"), None, "the requester is not read");
    common::drop_schema(&pool, &schema).await;
}
