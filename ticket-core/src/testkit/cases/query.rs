//! `TicketStore::list_tickets` filters: each alone, full-text search and combinations,
//! over one dataset of six tickets (see [`TicketQuery::matches`] for the semantics).

use super::{agent, customer, ids, insert, list_one_page, sorted_ids, team};
use crate::id::{TeamId, TenantId, UserId};
use crate::ports::Store;
use crate::query::{AssigneeFilter, TicketQuery, TicketSort};
use crate::testkit::fixtures;
use crate::text::Status;
use crate::ticket::{Priority, Ticket};
use crate::workflow::StatusCategory;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// Six tickets with known fields, an hour apart.
struct Dataset {
    tenant: TenantId,
    base: DateTime<Utc>,
    r1: UserId,
    r2: UserId,
    ag1: UserId,
    t1: TeamId,
    a: Ticket,
    b: Ticket,
    c: Ticket,
    d: Ticket,
    e: Ticket,
    f: Ticket,
}

impl Dataset {
    async fn new(store: &dyn Store) -> Self {
        let tenant = fixtures::tenant();
        let r1 = customer(store, tenant, "ann").await.id;
        let r2 = customer(store, tenant, "carl").await.id;
        let t1 = team(store, tenant, "Network").await.id;
        let t2 = team(store, tenant, "Accounts").await.id;
        let ag1 = agent(store, tenant, "bob", &[t1]).await.id;
        let ag2 = agent(store, tenant, "dora", &[t2]).await.id;
        let base = fixtures::now() - Duration::days(1);
        let make = |hour: i64,
                    category: StatusCategory,
                    status: &'static str,
                    priority: Priority,
                    cat: &str,
                    tags: &[&str],
                    requester: UserId,
                    assignee: Option<UserId>,
                    team: Option<TeamId>,
                    text: (&str, &str)| Ticket {
            status: Status::known(status),
            status_category: category,
            priority,
            category: fixtures::category(cat),
            tags: fixtures::tags(tags),
            assignee,
            team,
            title: fixtures::title(text.0),
            description: fixtures::description(text.1),
            ..fixtures::ticket_at(tenant, requester, base + Duration::hours(hour))
        };
        use StatusCategory as C;
        let a = make(
            0,
            C::New,
            "new",
            Priority::Low,
            "billing",
            &["billing", "vpn"],
            r1,
            None,
            None,
            (
                "Cannot pay invoice",
                "The payment page fails with an error.",
            ),
        );
        let b = make(
            1,
            C::Open,
            "open",
            Priority::High,
            "technical",
            &["vpn"],
            r1,
            Some(ag1),
            Some(t1),
            (
                "VPN drops every hour",
                "Connection to the office network is lost.",
            ),
        );
        let c = make(
            2,
            C::Pending,
            "pending",
            Priority::Medium,
            "technical",
            &[],
            r2,
            Some(ag1),
            Some(t1),
            (
                "Printer jams",
                "The printer on floor two jams on every vpn report.",
            ),
        );
        let d = make(
            3,
            C::Open,
            "in_progress",
            Priority::Critical,
            "account",
            &["sso", "vpn"],
            r2,
            Some(ag2),
            Some(t2),
            ("Locked out of account", "SSO login loops forever."),
        );
        let e = make(
            4,
            C::Solved,
            "resolved",
            Priority::Low,
            "general",
            &["billing"],
            r1,
            None,
            Some(t2),
            ("Question about refund", "When will my refund arrive?"),
        );
        let f = make(
            5,
            C::Closed,
            "closed",
            Priority::High,
            "billing",
            &["billing", "refund"],
            r2,
            Some(ag2),
            None,
            ("Refund not received", "Payment refund missing since May."),
        );
        for t in [&a, &b, &c, &d, &e, &f] {
            insert(store, t.clone()).await;
        }
        Self {
            tenant,
            base,
            r1,
            r2,
            ag1,
            t1,
            a,
            b,
            c,
            d,
            e,
            f,
        }
    }

    /// Lists `query` and checks the result is exactly `expected`, newest first.
    async fn check(&self, store: &dyn Store, query: TicketQuery, expected: &[&Ticket], what: &str) {
        let got = list_one_page(store, self.tenant, query).await;
        let want: Vec<Ticket> = expected.iter().map(|t| (*t).clone()).collect();
        assert_eq!(
            ids(&got),
            sorted_ids(&want, TicketSort::CreatedDesc),
            "{what}"
        );
    }
}

fn text(q: &str) -> TicketQuery {
    TicketQuery {
        text: Some(q.to_string()),
        ..TicketQuery::default()
    }
}

/// The empty query lists every ticket of the tenant, newest first, as stored.
pub async fn empty_query_lists_the_tenant(store: Arc<dyn Store>) {
    let d = Dataset::new(&*store).await;
    let got = list_one_page(&*store, d.tenant, TicketQuery::default()).await;
    assert_eq!(
        got,
        vec![
            d.f.clone(),
            d.e.clone(),
            d.d.clone(),
            d.c.clone(),
            d.b.clone(),
            d.a.clone()
        ]
    );
}

/// `statuses` matches any of the given statuses.
pub async fn filter_statuses(store: Arc<dyn Store>) {
    let d = Dataset::new(&*store).await;
    let q = TicketQuery {
        statuses: vec![Status::known("open"), Status::known("pending")],
        ..TicketQuery::default()
    };
    d.check(&*store, q, &[&d.b, &d.c], "statuses open, pending")
        .await;
    let q = TicketQuery {
        statuses: vec![Status::known("in_progress")],
        ..TicketQuery::default()
    };
    d.check(&*store, q, &[&d.d], "status in_progress").await;
}

/// `status_categories` matches any of the given categories.
pub async fn filter_status_categories(store: Arc<dyn Store>) {
    let d = Dataset::new(&*store).await;
    let q = TicketQuery {
        status_categories: vec![StatusCategory::Open],
        ..TicketQuery::default()
    };
    d.check(&*store, q, &[&d.b, &d.d], "category open").await;
    let q = TicketQuery {
        status_categories: vec![StatusCategory::Solved, StatusCategory::Closed],
        ..TicketQuery::default()
    };
    d.check(&*store, q, &[&d.e, &d.f], "categories solved, closed")
        .await;
}

/// `priorities` matches any of the given priorities.
pub async fn filter_priorities(store: Arc<dyn Store>) {
    let d = Dataset::new(&*store).await;
    let q = TicketQuery {
        priorities: vec![Priority::High, Priority::Critical],
        ..TicketQuery::default()
    };
    d.check(&*store, q, &[&d.b, &d.d, &d.f], "priorities high, critical")
        .await;
    let q = TicketQuery {
        priorities: vec![Priority::Medium],
        ..TicketQuery::default()
    };
    d.check(&*store, q, &[&d.c], "priority medium").await;
}

/// `categories` matches any of the given categories.
pub async fn filter_categories(store: Arc<dyn Store>) {
    let d = Dataset::new(&*store).await;
    let q = TicketQuery {
        categories: vec![fixtures::category("technical")],
        ..TicketQuery::default()
    };
    d.check(&*store, q, &[&d.b, &d.c], "category technical")
        .await;
    let q = TicketQuery {
        categories: vec![fixtures::category("billing"), fixtures::category("account")],
        ..TicketQuery::default()
    };
    d.check(
        &*store,
        q,
        &[&d.a, &d.d, &d.f],
        "categories billing, account",
    )
    .await;
}

/// `tags` needs every given tag.
pub async fn filter_tags_all_of(store: Arc<dyn Store>) {
    let d = Dataset::new(&*store).await;
    let tags = |list: &[&str]| TicketQuery {
        tags: list.iter().map(|t| fixtures::tag(t)).collect(),
        ..TicketQuery::default()
    };
    d.check(&*store, tags(&["vpn"]), &[&d.a, &d.b, &d.d], "tag vpn")
        .await;
    d.check(
        &*store,
        tags(&["billing"]),
        &[&d.a, &d.e, &d.f],
        "tag billing",
    )
    .await;
    d.check(
        &*store,
        tags(&["billing", "vpn"]),
        &[&d.a],
        "tags billing AND vpn",
    )
    .await;
    d.check(
        &*store,
        tags(&["refund", "vpn"]),
        &[],
        "tags refund AND vpn",
    )
    .await;
}

/// `assignee: User(id)` matches that agent's tickets.
pub async fn filter_assignee(store: Arc<dyn Store>) {
    let d = Dataset::new(&*store).await;
    let q = TicketQuery {
        assignee: Some(AssigneeFilter::User(d.ag1)),
        ..TicketQuery::default()
    };
    d.check(&*store, q, &[&d.b, &d.c], "assignee bob").await;
    let q = TicketQuery {
        assignee: Some(AssigneeFilter::User(UserId::new())),
        ..TicketQuery::default()
    };
    d.check(&*store, q, &[], "assignee nobody knows").await;
}

/// `assignee: Unassigned` matches tickets without an assignee.
pub async fn filter_unassigned(store: Arc<dyn Store>) {
    let d = Dataset::new(&*store).await;
    let q = TicketQuery {
        assignee: Some(AssigneeFilter::Unassigned),
        ..TicketQuery::default()
    };
    d.check(&*store, q, &[&d.a, &d.e], "unassigned").await;
}

/// `team` matches the team's tickets.
pub async fn filter_team(store: Arc<dyn Store>) {
    let d = Dataset::new(&*store).await;
    let q = TicketQuery {
        team: Some(d.t1),
        ..TicketQuery::default()
    };
    d.check(&*store, q, &[&d.b, &d.c], "team network").await;
}

/// `requester` matches the requester's tickets.
pub async fn filter_requester(store: Arc<dyn Store>) {
    let d = Dataset::new(&*store).await;
    let q = TicketQuery {
        requester: Some(d.r2),
        ..TicketQuery::default()
    };
    d.check(&*store, q, &[&d.c, &d.d, &d.f], "requester carl")
        .await;
    let q = TicketQuery {
        requester: Some(d.r1),
        ..TicketQuery::default()
    };
    d.check(&*store, q, &[&d.a, &d.b, &d.e], "requester ann")
        .await;
}

/// `created_after` is inclusive.
pub async fn filter_created_after_is_inclusive(store: Arc<dyn Store>) {
    let d = Dataset::new(&*store).await;
    let q = TicketQuery {
        created_after: Some(d.base + Duration::hours(3)),
        ..TicketQuery::default()
    };
    d.check(&*store, q, &[&d.d, &d.e, &d.f], "created at or after d")
        .await;
    let q = TicketQuery {
        created_after: Some(d.base + Duration::hours(3) + Duration::microseconds(1)),
        ..TicketQuery::default()
    };
    d.check(
        &*store,
        q,
        &[&d.e, &d.f],
        "created after d by a microsecond",
    )
    .await;
}

/// `created_before` is exclusive; with `created_after` it makes a half-open window.
pub async fn filter_created_before_is_exclusive(store: Arc<dyn Store>) {
    let d = Dataset::new(&*store).await;
    let q = TicketQuery {
        created_before: Some(d.base + Duration::hours(3)),
        ..TicketQuery::default()
    };
    d.check(&*store, q, &[&d.a, &d.b, &d.c], "created before d")
        .await;
    let q = TicketQuery {
        created_after: Some(d.base + Duration::hours(1)),
        created_before: Some(d.base + Duration::hours(3)),
        ..TicketQuery::default()
    };
    d.check(&*store, q, &[&d.b, &d.c], "window [b, d)").await;
}

/// Full text matches whole words of the title or description.
pub async fn text_matches_whole_words(store: Arc<dyn Store>) {
    let d = Dataset::new(&*store).await;
    d.check(&*store, text("vpn"), &[&d.b, &d.c], "word vpn")
        .await;
    d.check(
        &*store,
        text("pay"),
        &[&d.a],
        "pay is a word of a, not of payment",
    )
    .await;
    d.check(&*store, text("printer"), &[&d.c], "word printer")
        .await;
}

/// Full text is case-insensitive, in the query and in the text.
pub async fn text_is_case_insensitive(store: Arc<dyn Store>) {
    let d = Dataset::new(&*store).await;
    d.check(&*store, text("VPN"), &[&d.b, &d.c], "VPN").await;
    d.check(&*store, text("pRiNtEr"), &[&d.c], "pRiNtEr").await;
    d.check(&*store, text("INVOICE"), &[&d.a], "INVOICE").await;
}

/// Every word of a multi-word query must occur (AND), in any order, in title or
/// description.
pub async fn text_needs_every_word(store: Arc<dyn Store>) {
    let d = Dataset::new(&*store).await;
    d.check(
        &*store,
        text("refund payment"),
        &[&d.f],
        "refund AND payment",
    )
    .await;
    d.check(&*store, text("refund"), &[&d.e, &d.f], "refund")
        .await;
    d.check(
        &*store,
        text("printer vpn"),
        &[&d.c],
        "printer AND vpn across title and description",
    )
    .await;
    d.check(&*store, text("vpn kangaroo"), &[], "vpn AND an absent word")
        .await;
}

/// A word found only in the description matches.
pub async fn text_matches_the_description(store: Arc<dyn Store>) {
    let d = Dataset::new(&*store).await;
    d.check(&*store, text("forever"), &[&d.d], "forever").await;
    d.check(&*store, text("connection"), &[&d.b], "connection")
        .await;
}

/// A query matching nothing lists nothing.
pub async fn text_without_match_is_empty(store: Arc<dyn Store>) {
    let d = Dataset::new(&*store).await;
    d.check(&*store, text("kangaroo"), &[], "kangaroo").await;
}

/// Different filters must all match.
pub async fn filter_combinations(store: Arc<dyn Store>) {
    let d = Dataset::new(&*store).await;
    let q = TicketQuery {
        status_categories: vec![StatusCategory::Open, StatusCategory::Pending],
        tags: vec![fixtures::tag("vpn")],
        team: Some(d.t1),
        ..TicketQuery::default()
    };
    d.check(
        &*store,
        q,
        &[&d.b],
        "open or pending, tag vpn, team network",
    )
    .await;
    let q = TicketQuery {
        priorities: vec![Priority::Low],
        requester: Some(d.r1),
        ..TicketQuery::default()
    };
    d.check(&*store, q, &[&d.a, &d.e], "low and requester ann")
        .await;
    let q = TicketQuery {
        status_categories: vec![StatusCategory::Closed],
        ..text("refund")
    };
    d.check(&*store, q, &[&d.f], "closed and refund").await;
    let q = TicketQuery {
        assignee: Some(AssigneeFilter::User(d.ag1)),
        priorities: vec![Priority::Medium],
        created_after: Some(d.base),
        ..text("printer")
    };
    d.check(&*store, q, &[&d.c], "bob, medium, printer, recent")
        .await;
    let q = TicketQuery {
        team: Some(d.t1),
        requester: Some(d.r2),
        priorities: vec![Priority::High],
        ..TicketQuery::default()
    };
    d.check(&*store, q, &[], "no ticket matches all").await;
}
