//! `UserStore`: accounts, uniqueness per tenant, login lookup, versions, listing and agent
//! loads.

use super::{
    agent, customer, expect_invalid, expect_not_found, expect_unique, expect_version_conflict,
    insert, team,
};
use crate::account::{Availability, Role, User};
use crate::id::{TeamId, UserId};
use crate::ports::Store;
use crate::query::UserQuery;
use crate::routing::AgentLoad;
use crate::testkit::fixtures;
use crate::ticket::Ticket;
use crate::workflow::StatusCategory;
use chrono::Duration;
use std::sync::Arc;

fn user_ids(users: &[User]) -> Vec<UserId> {
    users.iter().map(|u| u.id).collect()
}

/// A created user reads back with every field as written (agent profile, password hash,
/// timestamps).
pub async fn user_round_trip(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let team = team(&*store, tenant, "Network").await;
    let mut ann = fixtures::agent(tenant, "ann", &[team.id]);
    ann.email_verified_at = Some(fixtures::now() - Duration::microseconds(1_234_567));
    ann.role = Role::Admin;
    store.create_user(&ann).await.expect("create_user");
    assert_eq!(store.get_user(tenant, ann.id).await.expect("get_user"), ann);
    let bob = customer(&*store, tenant, "bob").await;
    assert_eq!(store.get_user(tenant, bob.id).await.expect("get_user"), bob);
}

/// Reading a user that does not exist is `NotFound`.
pub async fn get_missing_user_is_not_found(store: Arc<dyn Store>) {
    expect_not_found(
        store.get_user(fixtures::tenant(), UserId::new()).await,
        "get_user of an unknown id",
    );
}

/// Creating a user whose id exists is `Conflict(Unique { field: "id" })`.
pub async fn duplicate_id_conflicts(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let ann = customer(&*store, tenant, "ann").await;
    let again = User {
        id: ann.id,
        ..fixtures::user(tenant, "other")
    };
    expect_unique(
        store.create_user(&again).await,
        "id",
        "create_user with a taken id",
    );
    assert_eq!(store.get_user(tenant, ann.id).await.expect("get_user"), ann);
}

/// A taken e-mail is `Conflict(Unique { field: "email" })` and nothing is written.
pub async fn duplicate_email_conflicts(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let ann = customer(&*store, tenant, "ann").await;
    let twin = User {
        email: ann.email.clone(),
        ..fixtures::user(tenant, "annie")
    };
    expect_unique(
        store.create_user(&twin).await,
        "email",
        "create_user with a taken e-mail",
    );
    expect_not_found(
        store.get_user(tenant, twin.id).await,
        "the duplicate was not written",
    );
}

/// A taken username is `Conflict(Unique { field: "username" })` and nothing is written.
pub async fn duplicate_username_conflicts(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let ann = customer(&*store, tenant, "ann").await;
    let twin = User {
        username: ann.username.clone(),
        ..fixtures::user(tenant, "annie")
    };
    expect_unique(
        store.create_user(&twin).await,
        "username",
        "create_user with a taken username",
    );
    expect_not_found(
        store.get_user(tenant, twin.id).await,
        "the duplicate was not written",
    );
}

/// E-mail and username are unique per tenant: another tenant may use the same.
pub async fn same_email_in_another_tenant_is_fine(store: Arc<dyn Store>) {
    let (a, b) = (fixtures::tenant(), fixtures::tenant());
    let in_a = customer(&*store, a, "ann").await;
    let in_b = customer(&*store, b, "ann").await;
    assert_eq!(in_a.email, in_b.email);
    assert_eq!(store.get_user(b, in_b.id).await.expect("get_user"), in_b);
}

/// `find_user_by_login` finds a user by e-mail or username, trimmed and
/// case-insensitively, and nobody for an unknown login.
pub async fn find_by_email_or_username(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let ann = customer(&*store, tenant, "ann").await;
    customer(&*store, tenant, "bob").await;
    for login in [
        "ann@example.com",
        "  ANN@Example.COM ",
        "ann",
        "ANN",
        " Ann ",
    ] {
        let found = store
            .find_user_by_login(tenant, login)
            .await
            .expect("find_user_by_login");
        assert_eq!(
            found.as_ref().map(|u| u.id),
            Some(ann.id),
            "login {login:?}"
        );
    }
    for login in ["carl", "carl@example.com", "an", "example.com"] {
        assert!(
            store
                .find_user_by_login(tenant, login)
                .await
                .expect("find_user_by_login")
                .is_none(),
            "login {login:?}"
        );
    }
}

/// A user's saved views survive an update and a read (and a lookup by login).
pub async fn saved_views_are_kept(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let ann = customer(&*store, tenant, "ann").await;
    let views = crate::views::parse_views([
        ("Mine", "assignee=me&status_category=new,open"),
        ("Urgent", "priority=high,critical"),
    ])
    .expect("views");
    let changed = User {
        saved_views: views,
        version: 2,
        ..ann.clone()
    };
    store.update_user(&changed, 1).await.expect("update_user");
    assert_eq!(
        store.get_user(tenant, ann.id).await.expect("get_user"),
        changed
    );
    let found = store
        .find_user_by_login(tenant, "ann")
        .await
        .expect("find")
        .expect("ann");
    assert_eq!(found.saved_views, changed.saved_views);
}

/// An update replaces the user and bumps the version.
pub async fn update_replaces_the_user(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let ann = customer(&*store, tenant, "ann").await;
    let changed = User {
        email: fixtures::email("ann.new@example.org"),
        username: fixtures::username("ann-new"),
        role: Role::Agent,
        agent: fixtures::agent(tenant, "ann", &[]).agent,
        version: 2,
        updated_at: ann.updated_at + Duration::seconds(1),
        ..ann.clone()
    };
    store.update_user(&changed, 1).await.expect("update_user");
    assert_eq!(
        store.get_user(tenant, ann.id).await.expect("get_user"),
        changed
    );
    let found = store
        .find_user_by_login(tenant, "ann-new")
        .await
        .expect("find_user_by_login");
    assert_eq!(
        found.map(|u| u.id),
        Some(ann.id),
        "found by the new username"
    );
    assert!(
        store
            .find_user_by_login(tenant, "ann@example.com")
            .await
            .expect("find")
            .is_none(),
        "old e-mail is free"
    );
}

/// An update against a stale version is `Conflict(Version)` and writes nothing.
pub async fn update_with_stale_version_conflicts(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let ann = customer(&*store, tenant, "ann").await;
    let v2 = User {
        name: crate::text::DisplayName::parse("Ann Two").expect("name"),
        version: 2,
        ..ann.clone()
    };
    store.update_user(&v2, 1).await.expect("update_user");
    let stale = User {
        name: crate::text::DisplayName::parse("Ann Stale").expect("name"),
        version: 2,
        ..ann.clone()
    };
    expect_version_conflict(
        store.update_user(&stale, 1).await,
        1,
        "update_user against version 1",
    );
    assert_eq!(store.get_user(tenant, ann.id).await.expect("get_user"), v2);
}

/// An update to an e-mail or username another user holds is `Conflict(Unique)` and
/// writes nothing.
pub async fn update_to_taken_email_or_username_conflicts(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let ann = customer(&*store, tenant, "ann").await;
    let bob = customer(&*store, tenant, "bob").await;
    let steal_email = User {
        email: bob.email.clone(),
        version: 2,
        ..ann.clone()
    };
    expect_unique(
        store.update_user(&steal_email, 1).await,
        "email",
        "update_user to a taken e-mail",
    );
    let steal_name = User {
        username: bob.username.clone(),
        version: 2,
        ..ann.clone()
    };
    expect_unique(
        store.update_user(&steal_name, 1).await,
        "username",
        "update_user to a taken username",
    );
    assert_eq!(store.get_user(tenant, ann.id).await.expect("get_user"), ann);
}

/// Updating a user that does not exist is `NotFound`.
pub async fn update_of_missing_user_is_not_found(store: Arc<dyn Store>) {
    let ghost = User {
        version: 2,
        ..fixtures::user(fixtures::tenant(), "ghost")
    };
    expect_not_found(
        store.update_user(&ghost, 1).await,
        "update_user of an unknown user",
    );
}

/// Four customers, two agents (one of `team`), one admin and a deleted customer.
async fn people(store: &dyn Store) -> (crate::id::TenantId, TeamId, Vec<User>) {
    let tenant = fixtures::tenant();
    let t = team(store, tenant, "Network").await.id;
    let mut users = Vec::new();
    for handle in ["cust-1", "cust-2", "cust-3", "cust-4"] {
        users.push(customer(store, tenant, handle).await);
    }
    users.push(agent(store, tenant, "agent-net", &[t]).await);
    users.push(agent(store, tenant, "agent-other", &[TeamId::new()]).await);
    let admin = User {
        role: Role::Admin,
        ..fixtures::user(tenant, "boss")
    };
    store.create_user(&admin).await.expect("create_user");
    users.push(admin);
    let gone = User {
        deleted_at: Some(fixtures::now()),
        password_hash: None,
        ..fixtures::user(tenant, "gone")
    };
    store.create_user(&gone).await.expect("create_user");
    users.push(gone);
    (tenant, t, users)
}

async fn list(store: &dyn Store, tenant: crate::id::TenantId, query: UserQuery) -> Vec<UserId> {
    let page = store
        .list_users(
            tenant,
            &UserQuery {
                limit: 100,
                ..query
            },
        )
        .await
        .expect("list_users");
    assert!(page.next_cursor.is_none());
    user_ids(&page.items)
}

/// `role` lists only users of that role, by id.
pub async fn list_by_role(store: Arc<dyn Store>) {
    let (tenant, _, users) = people(&*store).await;
    let got = list(
        &*store,
        tenant,
        UserQuery {
            role: Some(Role::Agent),
            ..UserQuery::default()
        },
    )
    .await;
    assert_eq!(got, user_ids(&users[4..6]));
    let got = list(
        &*store,
        tenant,
        UserQuery {
            role: Some(Role::Customer),
            ..UserQuery::default()
        },
    )
    .await;
    assert_eq!(
        got,
        user_ids(&users[0..4]),
        "the deleted customer is hidden"
    );
}

/// `team` lists only the agents of that team.
pub async fn list_by_team(store: Arc<dyn Store>) {
    let (tenant, t, users) = people(&*store).await;
    let got = list(
        &*store,
        tenant,
        UserQuery {
            team: Some(t),
            ..UserQuery::default()
        },
    )
    .await;
    assert_eq!(got, vec![users[4].id]);
}

/// `text` is a case-insensitive substring of name, e-mail or username.
pub async fn list_by_text(store: Arc<dyn Store>) {
    let (tenant, _, users) = people(&*store).await;
    let text = |s: &str| UserQuery {
        text: Some(s.to_string()),
        ..UserQuery::default()
    };
    assert_eq!(
        list(&*store, tenant, text("AGENT-")).await,
        user_ids(&users[4..6]),
        "username part"
    );
    assert_eq!(
        list(&*store, tenant, text("boss@EXAMPLE")).await,
        vec![users[6].id],
        "e-mail part"
    );
    assert_eq!(
        list(&*store, tenant, text("user cust-3")).await,
        vec![users[2].id],
        "display name"
    );
    assert!(list(&*store, tenant, text("kangaroo")).await.is_empty());
}

/// Deleted users are listed only with `include_deleted`.
pub async fn list_hides_deleted_unless_asked(store: Arc<dyn Store>) {
    let (tenant, _, users) = people(&*store).await;
    assert_eq!(
        list(&*store, tenant, UserQuery::default()).await,
        user_ids(&users[..7])
    );
    let all = list(
        &*store,
        tenant,
        UserQuery {
            include_deleted: true,
            ..UserQuery::default()
        },
    )
    .await;
    assert_eq!(all, user_ids(&users));
}

/// Users are listed by id (creation order) in pages without gap or repeat; a limit of 0
/// means the default page size.
pub async fn list_pages_by_id(store: Arc<dyn Store>) {
    let (tenant, _, users) = people(&*store).await;
    let mut q = UserQuery {
        limit: 3,
        include_deleted: true,
        ..UserQuery::default()
    };
    let mut sizes = Vec::new();
    let mut got = Vec::new();
    loop {
        let page = store.list_users(tenant, &q).await.expect("list_users");
        sizes.push(page.items.len());
        got.extend(user_ids(&page.items));
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
        assert!(sizes.len() < 10, "the walk did not end");
    }
    assert_eq!(sizes, vec![3, 3, 2]);
    assert_eq!(got, user_ids(&users));
    let default = store
        .list_users(tenant, &UserQuery::default())
        .await
        .expect("list_users (limit 0)");
    assert_eq!(default.items.len(), 7);
    assert!(default.next_cursor.is_none());
}

/// A malformed cursor is `Invalid` on `cursor`.
pub async fn list_with_bad_cursor_is_invalid(store: Arc<dyn Store>) {
    let (tenant, _, _) = people(&*store).await;
    for bad in ["not a cursor", "%%%", "AAAA"] {
        let q = UserQuery {
            cursor: Some(bad.to_string()),
            ..UserQuery::default()
        };
        expect_invalid(
            store.list_users(tenant, &q).await,
            "cursor",
            &format!("cursor {bad:?}"),
        );
    }
}

/// Agent loads: every non-deleted user with an agent profile, with their working
/// assigned tickets (New or Open), the latest `assigned_at` of any of their tickets, skills, teams,
/// availability and capacity.
pub async fn agent_loads_count_open_tickets(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let requester = customer(&*store, tenant, "ann").await;
    let net = team(&*store, tenant, "Network").await.id;
    let busy = agent(&*store, tenant, "busy", &[net]).await;
    let mut idle = fixtures::agent(tenant, "idle", &[]);
    if let Some(profile) = idle.agent.as_mut() {
        profile.availability = Availability::Away;
        profile.capacity = 3;
        profile.skills = fixtures::tags(&["sso"]);
    }
    store.create_user(&idle).await.expect("create_user");
    let retired = User {
        deleted_at: Some(fixtures::now()),
        ..fixtures::agent(tenant, "retired", &[net])
    };
    store.create_user(&retired).await.expect("create_user");
    let base = fixtures::now() - Duration::hours(5);
    let assigned = |category, hours| Ticket {
        assignee: Some(busy.id),
        assigned_at: Some(base + Duration::hours(hours)),
        ..fixtures::with_status(fixtures::ticket(tenant, requester.id), category)
    };
    insert(&*store, assigned(StatusCategory::New, 1)).await;
    insert(&*store, assigned(StatusCategory::Pending, 2)).await;
    insert(&*store, assigned(StatusCategory::Open, 0)).await;
    insert(&*store, assigned(StatusCategory::Solved, 3)).await;
    insert(
        &*store,
        Ticket {
            assignee: Some(retired.id),
            ..fixtures::ticket(tenant, requester.id)
        },
    )
    .await;

    let mut loads = store.agent_loads(tenant, None).await.expect("agent_loads");
    loads.sort_by_key(|l| l.user_id);
    let profile = |u: &User| u.agent.clone().expect("an agent profile");
    let (bp, ip) = (profile(&busy), profile(&idle));
    let mut want = vec![
        AgentLoad {
            user_id: busy.id,
            availability: bp.availability,
            capacity: bp.capacity,
            // New and Open count against capacity; Pending (clock paused) does not.
            open_tickets: 2,
            skills: bp.skills,
            teams: bp.teams,
            last_assigned_at: Some(base + Duration::hours(3)),
        },
        AgentLoad {
            user_id: idle.id,
            availability: Availability::Away,
            capacity: 3,
            open_tickets: 0,
            skills: ip.skills,
            teams: ip.teams,
            last_assigned_at: None,
        },
    ];
    want.sort_by_key(|l| l.user_id);
    assert_eq!(
        loads, want,
        "customers and deleted agents have no load entry"
    );
}

/// With a team, agent loads cover only that team's agents.
pub async fn agent_loads_of_a_team(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let requester = customer(&*store, tenant, "ann").await;
    let (net, acc) = (
        team(&*store, tenant, "Network").await.id,
        team(&*store, tenant, "Accounts").await.id,
    );
    let both = agent(&*store, tenant, "both", &[net, acc]).await;
    let only_net = agent(&*store, tenant, "only-net", &[net]).await;
    agent(&*store, tenant, "only-acc", &[acc]).await;
    insert(
        &*store,
        Ticket {
            assignee: Some(only_net.id),
            ..fixtures::ticket(tenant, requester.id)
        },
    )
    .await;
    let mut loads = store
        .agent_loads(tenant, Some(net))
        .await
        .expect("agent_loads");
    loads.sort_by_key(|l| l.user_id);
    let mut want = vec![(both.id, 0), (only_net.id, 1)];
    want.sort();
    assert_eq!(
        loads
            .iter()
            .map(|l| (l.user_id, l.open_tickets))
            .collect::<Vec<_>>(),
        want
    );
    assert!(store
        .agent_loads(tenant, Some(TeamId::new()))
        .await
        .expect("agent_loads")
        .is_empty());
}

/// A round-robin rotation records when each agent was last picked, per tenant and team
/// (and for tickets without a team), strictly ordered even for picks at one instant; a
/// new pick of an agent moves them to the end.
pub async fn rotation_records_picks_in_order_per_team(store: Arc<dyn Store>) {
    let (tenant, other) = (fixtures::tenant(), fixtures::tenant());
    let team = fixtures::team(tenant, "Network").id;
    let (a, b) = (UserId::new(), UserId::new());
    let at = fixtures::epoch();
    assert!(store
        .rotation(tenant, None)
        .await
        .expect("rotation")
        .is_empty());
    let first = store
        .record_pick(tenant, None, a, at)
        .await
        .expect("record_pick");
    assert_eq!(first, at);
    let second = store
        .record_pick(tenant, None, b, at)
        .await
        .expect("record_pick");
    assert!(second > first, "a pick at the same instant comes after");
    let again = store
        .record_pick(tenant, None, a, at)
        .await
        .expect("record_pick");
    assert!(again > second);
    let mut rotation = store.rotation(tenant, None).await.expect("rotation");
    rotation.sort_by_key(|(_, at)| *at);
    assert_eq!(rotation, vec![(b, second), (a, again)]);
    let later = at + chrono::Duration::hours(1);
    assert_eq!(
        store
            .record_pick(tenant, None, b, later)
            .await
            .expect("record_pick"),
        later,
        "a later instant is kept as it is"
    );
    assert!(
        store
            .rotation(tenant, Some(team))
            .await
            .expect("rotation")
            .is_empty(),
        "a team has a rotation of its own"
    );
    store
        .record_pick(tenant, Some(team), b, at)
        .await
        .expect("record_pick");
    assert_eq!(
        store.rotation(tenant, Some(team)).await.expect("rotation"),
        vec![(b, at)]
    );
    assert!(store
        .rotation(other, None)
        .await
        .expect("rotation")
        .is_empty());
}
