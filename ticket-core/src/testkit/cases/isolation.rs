//! Tenant isolation: nothing of tenant A is reachable or writable from tenant B through
//! any method.

use super::{agent, customer, expect_not_found, ids, insert, team};
use crate::account::{TokenPurpose, TokenUse, User};
use crate::event::EventKind;
use crate::id::{TenantId, TokenId};
use crate::notify::{DeliveryStatus, OutboxEntry};
use crate::ports::Store;
use crate::query::{Stats, StatsQuery, TicketQuery, UserQuery};
use crate::team::{Faq, Team};
use crate::testkit::fixtures;
use crate::ticket::{Ticket, Visibility};
use chrono::Duration;
use std::sync::Arc;

/// Tenant A with one ticket (with a comment), tenant B with one of its own.
async fn two_desks(store: &dyn Store) -> (TenantId, Ticket, TenantId, Ticket) {
    let (a, b) = (fixtures::tenant(), fixtures::tenant());
    let ra = customer(store, a, "ann").await;
    let rb = customer(store, b, "ann").await;
    let ta = fixtures::ticket(a, ra.id);
    let mut change = fixtures::create(ta.clone());
    change.comments.push(fixtures::comment(
        &ta,
        Visibility::Internal,
        "secret note",
        ta.created_at + Duration::seconds(1),
    ));
    store.save(&change).await.expect("save");
    let tb = insert(store, fixtures::ticket(b, rb.id)).await;
    (a, ta, b, tb)
}

/// Another tenant's ticket is not found by `get_ticket`, skipped by `get_tickets` and
/// absent from `list_tickets` (even searched by its words).
pub async fn tickets_are_isolated(store: Arc<dyn Store>) {
    let (a, ta, b, tb) = two_desks(&*store).await;
    expect_not_found(
        store.get_ticket(b, ta.id).await,
        "get_ticket across tenants",
    );
    assert_eq!(
        ids(&store
            .get_tickets(b, &[ta.id, tb.id])
            .await
            .expect("get_tickets")),
        vec![tb.id]
    );
    let listed = store
        .list_tickets(b, &TicketQuery::default())
        .await
        .expect("list_tickets");
    assert_eq!(ids(&listed.items), vec![tb.id]);
    let q = TicketQuery {
        requester: Some(ta.requester),
        ..TicketQuery::default()
    };
    assert!(
        store
            .list_tickets(b, &q)
            .await
            .expect("list_tickets")
            .items
            .is_empty(),
        "by A's requester"
    );
    assert_eq!(
        ids(&store
            .list_tickets(a, &TicketQuery::default())
            .await
            .expect("list_tickets")
            .items),
        vec![ta.id]
    );
}

/// Another tenant's ticket cannot be updated (`NotFound`) or deleted (`NotFound`), and
/// stays as it was whatever tenant B writes.
pub async fn ticket_writes_are_isolated(store: Arc<dyn Store>) {
    let (a, ta, b, _) = two_desks(&*store).await;
    let history = store.ticket_events(a, ta.id).await.expect("ticket_events");
    let hijack = Ticket {
        tenant: b,
        title: fixtures::title("Hijacked"),
        ..ta.clone()
    };
    expect_not_found(
        store.save(&fixtures::update(&hijack)).await,
        "update across tenants",
    );
    let deleted = fixtures::event(&hijack, EventKind::Deleted, fixtures::now());
    expect_not_found(
        store.delete_ticket(b, ta.id, &deleted, &[]).await,
        "delete across tenants",
    );
    // Whether a store refuses an id taken in another tenant or keeps tenants apart, A's
    // ticket must not change.
    let _ = store.save(&fixtures::create(hijack)).await;
    assert_eq!(store.get_ticket(a, ta.id).await.expect("get_ticket"), ta);
    assert_eq!(
        store.ticket_events(a, ta.id).await.expect("ticket_events"),
        history
    );
    assert_eq!(
        fixtures::all_comments(&*store, a, ta.id, true)
            .await
            .expect("list_comments")
            .len(),
        1
    );
}

/// Another tenant's comments and history are empty.
pub async fn comments_and_events_are_isolated(store: Arc<dyn Store>) {
    let (a, ta, b, _) = two_desks(&*store).await;
    assert!(fixtures::all_comments(&*store, b, ta.id, true)
        .await
        .expect("list_comments")
        .is_empty());
    assert!(store
        .ticket_events(b, ta.id)
        .await
        .expect("ticket_events")
        .is_empty());
    assert_eq!(
        fixtures::all_comments(&*store, a, ta.id, true)
            .await
            .expect("list_comments")
            .len(),
        1
    );
    assert_eq!(
        store
            .ticket_events(a, ta.id)
            .await
            .expect("ticket_events")
            .len(),
        1
    );
}

/// Statistics count only the tenant's tickets.
pub async fn stats_are_isolated(store: Arc<dyn Store>) {
    let (a, _, b, _) = two_desks(&*store).await;
    let ra = customer(&*store, a, "bob").await;
    insert(&*store, fixtures::ticket(a, ra.id)).await;
    let sb = store.stats(b, &StatsQuery::default()).await.expect("stats");
    assert_eq!((sb.total, sb.open), (1, 1));
    assert_eq!(
        store
            .stats(a, &StatsQuery::default())
            .await
            .expect("stats")
            .total,
        2
    );
    assert_eq!(
        store
            .stats(fixtures::tenant(), &StatsQuery::default())
            .await
            .expect("stats"),
        Stats::default()
    );
}

/// Another tenant's users are not found, not found by login, not listed, not updatable
/// and carry no agent load.
pub async fn users_are_isolated(store: Arc<dyn Store>) {
    let (a, b) = (fixtures::tenant(), fixtures::tenant());
    let ann = agent(&*store, a, "ann", &[]).await;
    expect_not_found(store.get_user(b, ann.id).await, "get_user across tenants");
    assert!(store
        .find_user_by_login(b, "ann")
        .await
        .expect("find_user_by_login")
        .is_none());
    assert!(store
        .find_user_by_login(b, ann.email.as_str())
        .await
        .expect("find_user_by_login")
        .is_none());
    let all = UserQuery {
        include_deleted: true,
        ..UserQuery::default()
    };
    assert!(store
        .list_users(b, &all)
        .await
        .expect("list_users")
        .items
        .is_empty());
    assert!(store
        .agent_loads(b, None)
        .await
        .expect("agent_loads")
        .is_empty());
    let hijack = User {
        tenant: b,
        version: 2,
        ..ann.clone()
    };
    expect_not_found(
        store.update_user(&hijack, 1).await,
        "update_user across tenants",
    );
    assert_eq!(store.get_user(a, ann.id).await.expect("get_user"), ann);
}

/// Another tenant's teams are not found, not listed, not updatable or deletable.
pub async fn teams_are_isolated(store: Arc<dyn Store>) {
    let (a, b) = (fixtures::tenant(), fixtures::tenant());
    let net = team(&*store, a, "Network").await;
    expect_not_found(store.get_team(b, net.id).await, "get_team across tenants");
    assert!(store.list_teams(b).await.expect("list_teams").is_empty());
    let hijack = Team {
        tenant: b,
        version: 2,
        ..net.clone()
    };
    expect_not_found(
        store.update_team(&hijack, 1).await,
        "update_team across tenants",
    );
    expect_not_found(
        store.delete_team(b, net.id).await,
        "delete_team across tenants",
    );
    assert_eq!(store.get_team(a, net.id).await.expect("get_team"), net);
}

/// Another tenant's SLA policies, calendars and rules are not found, not listed, not
/// deletable, and not overwritten by a save under the same id.
pub async fn config_is_isolated(store: Arc<dyn Store>) {
    let (a, b) = (fixtures::tenant(), fixtures::tenant());
    let policy = fixtures::sla_policy(a, "Gold", 1);
    let calendar = fixtures::calendar(a, "Office");
    let rule = fixtures::rule(a, "Note", 1);
    store
        .save_sla_policy(&policy)
        .await
        .expect("save_sla_policy");
    store.save_calendar(&calendar).await.expect("save_calendar");
    store.save_rule(&rule).await.expect("save_rule");

    expect_not_found(
        store.get_sla_policy(b, policy.id).await,
        "get_sla_policy across tenants",
    );
    expect_not_found(
        store.get_calendar(b, calendar.id).await,
        "get_calendar across tenants",
    );
    expect_not_found(store.get_rule(b, rule.id).await, "get_rule across tenants");
    assert!(store
        .list_sla_policies(b)
        .await
        .expect("list_sla_policies")
        .is_empty());
    assert!(store
        .list_calendars(b)
        .await
        .expect("list_calendars")
        .is_empty());
    assert!(store.list_rules(b).await.expect("list_rules").is_empty());
    expect_not_found(
        store.delete_sla_policy(b, policy.id).await,
        "delete_sla_policy across tenants",
    );
    expect_not_found(
        store.delete_calendar(b, calendar.id).await,
        "delete_calendar across tenants",
    );
    expect_not_found(
        store.delete_rule(b, rule.id).await,
        "delete_rule across tenants",
    );

    // Refused or kept apart, either way A's records must not change.
    let _ = store
        .save_sla_policy(&crate::sla::SlaPolicy {
            tenant: b,
            enabled: false,
            ..policy.clone()
        })
        .await;
    let _ = store
        .save_calendar(&crate::sla::BusinessCalendar {
            tenant: b,
            name: fixtures::name("Hijacked"),
            ..calendar.clone()
        })
        .await;
    let _ = store
        .save_rule(&crate::rules::Rule {
            tenant: b,
            enabled: false,
            ..rule.clone()
        })
        .await;
    assert_eq!(
        store
            .get_sla_policy(a, policy.id)
            .await
            .expect("get_sla_policy"),
        policy
    );
    assert_eq!(
        store
            .get_calendar(a, calendar.id)
            .await
            .expect("get_calendar"),
        calendar
    );
    assert_eq!(store.get_rule(a, rule.id).await.expect("get_rule"), rule);
}

/// Another tenant's FAQ entries are not found, not listed, not deletable, and not
/// overwritten by a save under the same id.
pub async fn faqs_are_isolated(store: Arc<dyn Store>) {
    let (a, b) = (fixtures::tenant(), fixtures::tenant());
    let faq = fixtures::faq(a, "How do I reset my password?");
    store.save_faq(&faq).await.expect("save_faq");
    expect_not_found(store.get_faq(b, faq.id).await, "get_faq across tenants");
    assert!(store.list_faqs(b).await.expect("list_faqs").is_empty());
    expect_not_found(
        store.delete_faq(b, faq.id).await,
        "delete_faq across tenants",
    );
    let _ = store
        .save_faq(&Faq {
            tenant: b,
            answer: "Hijacked".to_string(),
            ..faq.clone()
        })
        .await;
    assert_eq!(store.get_faq(a, faq.id).await.expect("get_faq"), faq);
}

/// Another tenant cannot consume or revoke a tenant's tokens.
pub async fn tokens_are_isolated(store: Arc<dyn Store>) {
    let (a, b) = (fixtures::tenant(), fixtures::tenant());
    let ann = customer(&*store, a, "ann").await;
    let now = fixtures::now();
    let family = TokenId::new();
    let token = crate::account::OneTimeToken {
        family: Some(family),
        ..fixtures::token(a, ann.id, TokenPurpose::Refresh, now + Duration::hours(1))
    };
    store.create_token(&token).await.expect("create_token");
    let got = store
        .consume_token(b, TokenPurpose::Refresh, &token.hash, now)
        .await
        .expect("consume_token");
    assert_eq!(got, TokenUse::Unknown);
    assert_eq!(
        store
            .revoke_family(b, family, now)
            .await
            .expect("revoke_family"),
        0
    );
    assert_eq!(
        store
            .revoke_user_tokens(b, ann.id, None, now)
            .await
            .expect("revoke_user_tokens"),
        0
    );
    let got = store
        .consume_token(a, TokenPurpose::Refresh, &token.hash, now)
        .await
        .expect("consume_token");
    assert!(
        matches!(got, TokenUse::Consumed(_)),
        "still valid in its own tenant: {got:?}"
    );
}

/// Another tenant cannot list, count or mark a tenant's notifications.
pub async fn notifications_are_isolated(store: Arc<dyn Store>) {
    let (a, b) = (fixtures::tenant(), fixtures::tenant());
    let ann = customer(&*store, a, "ann").await;
    let note = fixtures::notification(a, ann.id, fixtures::now());
    store
        .add_notifications(std::slice::from_ref(&note))
        .await
        .expect("add_notifications");
    let now = fixtures::now();
    assert!(store
        .list_notifications(b, ann.id, false, 10, None)
        .await
        .expect("list_notifications")
        .items
        .is_empty());
    assert_eq!(
        store.unread_count(b, ann.id).await.expect("unread_count"),
        0
    );
    expect_not_found(
        store.mark_read(b, ann.id, note.id, now).await,
        "mark_read across tenants",
    );
    assert_eq!(
        store
            .mark_all_read(b, ann.id, now)
            .await
            .expect("mark_all_read"),
        0
    );
    assert_eq!(
        store.unread_count(a, ann.id).await.expect("unread_count"),
        1,
        "still unread"
    );
}

/// Another tenant cannot get, list or retry a tenant's deliveries.
pub async fn deliveries_are_isolated(store: Arc<dyn Store>) {
    let (a, b) = (fixtures::tenant(), fixtures::tenant());
    let now = fixtures::now();
    let dead = OutboxEntry {
        status: DeliveryStatus::Dead,
        attempts: 5,
        ..fixtures::outbox_entry(a, now + Duration::days(1))
    };
    store
        .enqueue(std::slice::from_ref(&dead))
        .await
        .expect("enqueue");
    expect_not_found(
        store.get_delivery(b, dead.id).await,
        "get_delivery across tenants",
    );
    assert!(store
        .list_deliveries(b, None, 10, None)
        .await
        .expect("list_deliveries")
        .items
        .is_empty());
    expect_not_found(
        store.retry_delivery(b, dead.id, now).await,
        "retry_delivery across tenants",
    );
    assert_eq!(
        store.get_delivery(a, dead.id).await.expect("get_delivery"),
        dead,
        "still dead"
    );
}
