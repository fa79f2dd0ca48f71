//! The store calls of one authenticated create through `HelpDesk`, logged through a
//! [`CountingStore`]: with the default SLA policies and no routing rule, the create reads
//! configuration from the store's cache (no database round trip) and writes in one
//! transaction; nothing reads the requester or the agents. A routing rule adds the
//! agents' loads and the rotation, which it needs. Each SQL store runs it on itself.

use super::CountingStore;
use crate::account::{HashCost, Role};
use crate::desk::RegisterInput;
use crate::ports::Store;
use crate::ticket::TicketInput;
use crate::{Actor, HelpDesk, HelpDeskConfig, TenantId};
use std::collections::BTreeMap;
use std::sync::Arc;

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
    let user = customer.user_id().expect("a user");
    let input = || TicketInput {
        title: "The printer is on fire".into(),
        description: "Since this morning".into(),
        ..TicketInput::default()
    };
    let warm = desk.actor(tenant, user).await.expect("actor");
    desk.create_ticket(&warm, input()).await.expect("create");
    counting.reset();
    let actor = desk.actor(tenant, user).await.expect("actor");
    desk.create_ticket(&actor, input()).await.expect("create");
    counting.calls()
}

/// Checks the store calls of one authenticated create on `store` (a fresh, migrated
/// store), printing them under `label`; panics when a create costs more than the
/// configuration reads (cached by the store) and one save.
pub async fn create_cost(store: Arc<dyn Store>, label: &str) {
    let counting = CountingStore::new(store);
    let desk = HelpDesk::builder(Arc::new(counting.clone()))
        .config(HelpDeskConfig {
            hash_cost: HashCost::TESTING,
            ..HelpDeskConfig::default()
        })
        .build()
        .expect("desk");
    let tenant = TenantId::new();
    let root = desk
        .ensure_super_admin(tenant, account("root"))
        .await
        .expect("super-admin")
        .expect("created");
    let admin = Actor::user(tenant, root.id, Role::SuperAdmin);
    let carl = desk
        .create_user(&admin, account("carl"), Role::Customer)
        .await
        .expect("customer");
    let customer = Actor::user(tenant, carl.id, Role::Customer);
    desk.install_default_sla(&admin).await.expect("default SLA");

    let calls = calls_of_one_create(&desk, &counting, tenant, &customer).await;
    println!("{label} create, default SLA policies, no rules: {calls:?}");
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

    desk.install_default_rules(&admin)
        .await
        .expect("default rules");
    let calls = calls_of_one_create(&desk, &counting, tenant, &customer).await;
    println!("{label} create, default SLA policies and rules: {calls:?}");
    assert_eq!(calls.get("save"), Some(&1));
    assert_eq!(calls.get("get_user"), None, "the requester is not read");
}
