//! `TeamStore`: create, read, update, list, delete, unique names and versions.

use super::{expect_not_found, expect_unique, expect_version_conflict, team};
use crate::id::TeamId;
use crate::ports::Store;
use crate::team::Team;
use crate::testkit::fixtures;
use crate::text::Secret;
use chrono::Duration;
use std::sync::Arc;

/// Create, get (every field), update (version bump), list and delete a team.
pub async fn team_crud(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let net = Team {
        webhook_url: Some("https://hooks.example.com/network".to_string()),
        webhook_secret: Some(Secret::new("s3cr3t")),
        ..fixtures::team(tenant, "Network")
    };
    store.create_team(&net).await.expect("create_team");
    assert_eq!(store.get_team(tenant, net.id).await.expect("get_team"), net);

    let renamed = Team {
        name: fixtures::name("Networking"),
        description: "Cables and VPNs".to_string(),
        webhook_url: None,
        webhook_secret: None,
        updated_at: net.updated_at + Duration::seconds(1),
        version: 2,
        ..net.clone()
    };
    store.update_team(&renamed, 1).await.expect("update_team");
    assert_eq!(
        store.get_team(tenant, net.id).await.expect("get_team"),
        renamed
    );
    assert_eq!(
        store.list_teams(tenant).await.expect("list_teams"),
        vec![renamed]
    );

    store
        .delete_team(tenant, net.id)
        .await
        .expect("delete_team");
    expect_not_found(
        store.get_team(tenant, net.id).await,
        "get_team after delete",
    );
    assert!(store
        .list_teams(tenant)
        .await
        .expect("list_teams")
        .is_empty());
}

/// Team names are unique per tenant, case-insensitively: `Conflict(Unique { field:
/// "name" })`, nothing written; another tenant may use the name.
pub async fn team_name_is_unique_case_insensitively(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    team(&*store, tenant, "Billing").await;
    for name in ["Billing", "billing", "BILLING"] {
        let twin = fixtures::team(tenant, name);
        expect_unique(
            store.create_team(&twin).await,
            "name",
            &format!("create_team {name:?}"),
        );
        expect_not_found(
            store.get_team(tenant, twin.id).await,
            "the duplicate was not written",
        );
    }
    team(&*store, fixtures::tenant(), "Billing").await;
}

/// Renaming a team to a name another team holds is `Conflict(Unique)`; renaming a team
/// to a different case of its own name is fine.
pub async fn rename_to_taken_name_conflicts(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let billing = team(&*store, tenant, "Billing").await;
    team(&*store, tenant, "Network").await;
    let clash = Team {
        name: fixtures::name("NETWORK"),
        version: 2,
        ..billing.clone()
    };
    expect_unique(
        store.update_team(&clash, 1).await,
        "name",
        "rename to a taken name",
    );
    assert_eq!(
        store.get_team(tenant, billing.id).await.expect("get_team"),
        billing
    );
    let recased = Team {
        name: fixtures::name("BILLING"),
        version: 2,
        ..billing.clone()
    };
    store
        .update_team(&recased, 1)
        .await
        .expect("rename to its own name in capitals");
}

/// An update against a stale version is `Conflict(Version)` and writes nothing.
pub async fn update_with_stale_version_conflicts(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let net = team(&*store, tenant, "Network").await;
    let v2 = Team {
        description: "v2".to_string(),
        version: 2,
        ..net.clone()
    };
    store.update_team(&v2, 1).await.expect("update_team");
    let stale = Team {
        description: "stale".to_string(),
        version: 2,
        ..net.clone()
    };
    expect_version_conflict(
        store.update_team(&stale, 1).await,
        1,
        "update_team against version 1",
    );
    assert_eq!(store.get_team(tenant, net.id).await.expect("get_team"), v2);
}

/// Get, update and delete of a team that does not exist are `NotFound`.
pub async fn missing_team_is_not_found(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    expect_not_found(store.get_team(tenant, TeamId::new()).await, "get_team");
    let ghost = Team {
        version: 2,
        ..fixtures::team(tenant, "Ghosts")
    };
    expect_not_found(store.update_team(&ghost, 1).await, "update_team");
    expect_not_found(store.delete_team(tenant, ghost.id).await, "delete_team");
}

/// Teams are listed by name.
pub async fn teams_listed_by_name(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let n = team(&*store, tenant, "Network").await;
    let a = team(&*store, tenant, "Accounts").await;
    let s = team(&*store, tenant, "Security").await;
    let b = team(&*store, tenant, "Billing").await;
    assert_eq!(
        store.list_teams(tenant).await.expect("list_teams"),
        vec![a, b, n, s]
    );
}
