//! `TicketStore`: saving (atomicity, versions, uniqueness), reading, deleting, comments,
//! history and the SLA sweep query.

use super::{
    agent, customer, expect_not_found, expect_unique, expect_version_conflict, ids, insert, team,
};
use crate::event::{AuthorKind, EventKind};
use crate::id::{TicketId, UserId};
use crate::notify::DeliveryStatus;
use crate::ports::Store;
use crate::query::TicketQuery;
use crate::testkit::fixtures;
use crate::ticket::{Priority, Ticket, Visibility};
use crate::workflow::StatusCategory;
use chrono::Duration;
use std::sync::Arc;

/// A created ticket reads back with every field as written: tags, custom fields,
/// classification, SLA snapshot and every timestamp to the microsecond; a minimal ticket
/// (every optional field empty) too.
pub async fn create_and_get_round_trip_every_field(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let requester = customer(&*store, tenant, "ann").await;
    let team = team(&*store, tenant, "Network").await;
    let assignee = agent(&*store, tenant, "bob", &[team.id]).await;
    let full = fixtures::full_ticket(tenant, requester.id, assignee.id, team.id);
    store
        .save(&fixtures::create(full.clone()))
        .await
        .expect("save");
    assert_eq!(
        store.get_ticket(tenant, full.id).await.expect("get_ticket"),
        full
    );

    let minimal = fixtures::ticket(tenant, requester.id);
    store
        .save(&fixtures::create(minimal.clone()))
        .await
        .expect("save");
    assert_eq!(
        store
            .get_ticket(tenant, minimal.id)
            .await
            .expect("get_ticket"),
        minimal
    );
}

/// Reading a ticket that does not exist is `NotFound`.
pub async fn get_missing_ticket_is_not_found(store: Arc<dyn Store>) {
    expect_not_found(
        store.get_ticket(fixtures::tenant(), TicketId::new()).await,
        "get_ticket of an unknown id",
    );
}

/// An update replaces every field and bumps the version; updates chain.
pub async fn update_replaces_the_ticket(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let requester = customer(&*store, tenant, "ann").await;
    let bob = agent(&*store, tenant, "bob", &[]).await;
    let t = insert(&*store, fixtures::ticket(tenant, requester.id)).await;

    let mut change = fixtures::update(&t);
    change.ticket = Ticket {
        title: fixtures::title("Printer still on fire"),
        priority: Priority::Critical,
        tags: fixtures::tags(&["fire", "printer"]),
        assignee: Some(bob.id),
        assigned_at: Some(t.created_at + Duration::seconds(5)),
        updated_at: t.created_at + Duration::seconds(5),
        ..fixtures::with_status(change.ticket, StatusCategory::Open)
    };
    store.save(&change).await.expect("save (update)");
    let v2 = store.get_ticket(tenant, t.id).await.expect("get_ticket");
    assert_eq!(v2, change.ticket);
    assert_eq!(v2.version, 2);

    let mut change = fixtures::update(&v2);
    change.ticket.assignee = None;
    change.ticket.assigned_at = None;
    store.save(&change).await.expect("save (second update)");
    let v3 = store.get_ticket(tenant, t.id).await.expect("get_ticket");
    assert_eq!(v3, change.ticket);
    assert_eq!(v3.version, 3);
}

/// A save against a stale version is `Conflict(Version)` and writes nothing: neither the
/// ticket nor its comments, events, notifications or outbox entries.
pub async fn stale_version_conflicts_and_writes_nothing(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let requester = customer(&*store, tenant, "ann").await;
    let t = insert(&*store, fixtures::ticket(tenant, requester.id)).await;
    let mut fresh = fixtures::update(&t);
    fresh.ticket.title = fixtures::title("Version two");
    store.save(&fresh).await.expect("save (v2)");

    let mut stale = fixtures::update(&t);
    stale.ticket.title = fixtures::title("Stale write");
    let comment = fixtures::comment(
        &t,
        Visibility::Public,
        "lost reply",
        t.created_at + Duration::seconds(1),
    );
    let commented = EventKind::Commented {
        comment_id: comment.id,
        visibility: Visibility::Public,
        author: AuthorKind::Requester,
    };
    stale.events.push(fixtures::event(
        &t,
        commented,
        t.created_at + Duration::seconds(1),
    ));
    stale.comments.push(comment);
    stale.notifications.push(fixtures::notification(
        tenant,
        requester.id,
        fixtures::now(),
    ));
    let entry = fixtures::outbox_entry(tenant, fixtures::now());
    stale.outbox.push(entry.clone());
    expect_version_conflict(
        store.save(&stale).await,
        1,
        "save against version 1 after version 2 was stored",
    );

    assert_eq!(
        store.get_ticket(tenant, t.id).await.expect("get_ticket"),
        fresh.ticket,
        "the ticket is unchanged"
    );
    assert!(
        fixtures::all_comments(&*store, tenant, t.id, true)
            .await
            .expect("list_comments")
            .is_empty(),
        "no comment written"
    );
    assert_eq!(
        store
            .ticket_events(tenant, t.id)
            .await
            .expect("ticket_events")
            .len(),
        1,
        "only the Created event"
    );
    assert_eq!(
        store
            .unread_count(tenant, requester.id)
            .await
            .expect("unread_count"),
        0,
        "no notification written"
    );
    expect_not_found(
        store.get_delivery(tenant, entry.id).await,
        "no outbox entry written",
    );
}

/// Creating a ticket whose id exists is `Conflict(Unique { field: "id" })`; the stored
/// ticket is unchanged.
pub async fn create_with_existing_id_conflicts(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let requester = customer(&*store, tenant, "ann").await;
    let t = insert(&*store, fixtures::ticket(tenant, requester.id)).await;
    let again = Ticket {
        title: fixtures::title("Duplicate"),
        ..t.clone()
    };
    expect_unique(
        store.save(&fixtures::create(again)).await,
        "id",
        "create with a taken id",
    );
    assert_eq!(store.get_ticket(tenant, t.id).await.expect("get_ticket"), t);
    assert_eq!(
        store
            .ticket_events(tenant, t.id)
            .await
            .expect("ticket_events")
            .len(),
        1,
        "no second Created event"
    );
}

/// Updating a ticket that does not exist is `NotFound`, and creates nothing.
pub async fn update_of_missing_ticket_is_not_found(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let requester = customer(&*store, tenant, "ann").await;
    let ghost = fixtures::ticket(tenant, requester.id);
    expect_not_found(
        store.save(&fixtures::update(&ghost)).await,
        "update of an unknown ticket",
    );
    expect_not_found(
        store.get_ticket(tenant, ghost.id).await,
        "the ticket was not created",
    );
}

/// One save stores the ticket with its comments, events, notifications and outbox
/// entries.
pub async fn save_writes_everything_together(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let requester = customer(&*store, tenant, "ann").await;
    let bob = agent(&*store, tenant, "bob", &[]).await;
    let t = fixtures::ticket(tenant, requester.id);
    let at = t.created_at;
    let mut change = fixtures::create(t.clone());
    let public = fixtures::comment(
        &t,
        Visibility::Public,
        "first reply",
        at + Duration::seconds(1),
    );
    let internal = fixtures::comment(
        &t,
        Visibility::Internal,
        "a note",
        at + Duration::seconds(2),
    );
    for c in [&public, &internal] {
        let kind = EventKind::Commented {
            comment_id: c.id,
            visibility: c.visibility,
            author: AuthorKind::Requester,
        };
        change.events.push(fixtures::event(&t, kind, c.created_at));
    }
    change.comments = vec![public.clone(), internal.clone()];
    let note = crate::notify::Notification {
        ticket_id: Some(t.id),
        ..fixtures::notification(tenant, bob.id, at)
    };
    change.notifications.push(note.clone());
    let entry = crate::notify::OutboxEntry {
        ticket_id: Some(t.id),
        ..fixtures::outbox_entry(tenant, at)
    };
    change.outbox.push(entry.clone());
    store.save(&change).await.expect("save");

    assert_eq!(store.get_ticket(tenant, t.id).await.expect("get_ticket"), t);
    assert_eq!(
        fixtures::all_comments(&*store, tenant, t.id, true)
            .await
            .expect("list_comments"),
        vec![public, internal]
    );
    assert_eq!(
        store
            .ticket_events(tenant, t.id)
            .await
            .expect("ticket_events"),
        change.events
    );
    let notes = store
        .list_notifications(tenant, bob.id, false, 10, None)
        .await
        .expect("list_notifications");
    assert_eq!(notes.items, vec![note]);
    assert_eq!(
        store
            .get_delivery(tenant, entry.id)
            .await
            .expect("get_delivery"),
        entry
    );
    assert_eq!(entry.status, DeliveryStatus::Pending);
}

/// Concurrent updates made against the same version: exactly one wins, every other gets
/// `Conflict(Version)`.
pub async fn concurrent_updates_have_one_winner(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let requester = customer(&*store, tenant, "ann").await;
    let t = insert(&*store, fixtures::ticket(tenant, requester.id)).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        let mut change = fixtures::update(&t);
        change.ticket.title = fixtures::title(&format!("Writer {i}"));
        tasks.push(tokio::spawn(async move {
            (change.ticket.title.clone(), store.save(&change).await)
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        let (title, result) = task.await.expect("writer task");
        match result {
            Ok(()) => winners.push(title),
            Err(e) => expect_version_conflict::<()>(Err(e), 1, "a losing concurrent writer"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one concurrent writer wins");
    let stored = store.get_ticket(tenant, t.id).await.expect("get_ticket");
    assert_eq!((stored.version, &stored.title), (2, &winners[0]));
}

/// `get_tickets` returns tickets in the order of the ids, skipping unknown ids and
/// returning duplicates once.
pub async fn get_tickets_keeps_order_skips_missing_and_duplicates(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let requester = customer(&*store, tenant, "ann").await;
    let a = insert(&*store, fixtures::ticket(tenant, requester.id)).await;
    let b = insert(&*store, fixtures::ticket(tenant, requester.id)).await;
    let c = insert(&*store, fixtures::ticket(tenant, requester.id)).await;
    let got = store
        .get_tickets(tenant, &[c.id, TicketId::new(), a.id, c.id, b.id, a.id])
        .await
        .expect("get_tickets");
    assert_eq!(got, vec![c, a, b]);
    assert!(store
        .get_tickets(tenant, &[])
        .await
        .expect("get_tickets of nothing")
        .is_empty());
}

/// Deleting a ticket removes it (from `get_ticket`, `get_tickets` and lists) and its
/// comments, keeps its history with the `Deleted` event appended, and enqueues the
/// outbox entries; other tickets are untouched.
pub async fn delete_removes_ticket_and_comments_keeps_history(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let requester = customer(&*store, tenant, "ann").await;
    let doomed = fixtures::ticket(tenant, requester.id);
    let kept = fixtures::ticket(tenant, requester.id);
    for t in [&doomed, &kept] {
        let mut change = fixtures::create(t.clone());
        change.comments.push(fixtures::comment(
            t,
            Visibility::Public,
            "hello",
            t.created_at + Duration::seconds(1),
        ));
        store.save(&change).await.expect("save");
    }
    let created = store
        .ticket_events(tenant, doomed.id)
        .await
        .expect("ticket_events");
    let deleted = fixtures::event(
        &doomed,
        EventKind::Deleted,
        fixtures::now() + Duration::seconds(2),
    );
    let entry = fixtures::outbox_entry(tenant, fixtures::now());
    store
        .delete_ticket(tenant, doomed.id, &deleted, std::slice::from_ref(&entry))
        .await
        .expect("delete_ticket");

    expect_not_found(
        store.get_ticket(tenant, doomed.id).await,
        "get_ticket after delete",
    );
    assert_eq!(
        ids(&store
            .get_tickets(tenant, &[doomed.id, kept.id])
            .await
            .expect("get_tickets")),
        vec![kept.id]
    );
    let listed = store
        .list_tickets(tenant, &TicketQuery::default())
        .await
        .expect("list_tickets");
    assert_eq!(ids(&listed.items), vec![kept.id]);
    assert!(fixtures::all_comments(&*store, tenant, doomed.id, true)
        .await
        .expect("list_comments")
        .is_empty());
    assert_eq!(
        fixtures::all_comments(&*store, tenant, kept.id, true)
            .await
            .expect("list_comments")
            .len(),
        1
    );
    let history = store
        .ticket_events(tenant, doomed.id)
        .await
        .expect("ticket_events");
    assert_eq!(
        history,
        [created, vec![deleted]].concat(),
        "history is kept, Deleted appended"
    );
    assert_eq!(
        store
            .get_delivery(tenant, entry.id)
            .await
            .expect("get_delivery"),
        entry
    );
}

/// Deleting a ticket that does not exist is `NotFound` and writes nothing.
pub async fn delete_missing_ticket_is_not_found(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let ghost = fixtures::ticket(tenant, UserId::new());
    let deleted = fixtures::event(&ghost, EventKind::Deleted, fixtures::now());
    let entry = fixtures::outbox_entry(tenant, fixtures::now());
    expect_not_found(
        store
            .delete_ticket(tenant, ghost.id, &deleted, std::slice::from_ref(&entry))
            .await,
        "delete_ticket",
    );
    assert!(
        store
            .ticket_events(tenant, ghost.id)
            .await
            .expect("ticket_events")
            .is_empty(),
        "no event written"
    );
    expect_not_found(
        store.get_delivery(tenant, entry.id).await,
        "no outbox entry written",
    );
}

/// Comments come oldest first (by time, whatever the save order), internal notes only
/// when asked; an unknown ticket has none.
pub async fn comments_oldest_first_internal_on_request(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let requester = customer(&*store, tenant, "ann").await;
    let t = insert(&*store, fixtures::ticket(tenant, requester.id)).await;
    let at = |s| t.created_at + Duration::seconds(s);
    let c1 = fixtures::comment(&t, Visibility::Internal, "one", at(1));
    let c2 = fixtures::comment(&t, Visibility::Public, "two", at(2));
    let c3 = fixtures::comment(&t, Visibility::Public, "three", at(3));
    let c4 = fixtures::comment(&t, Visibility::Internal, "four", at(4));
    let mut change = fixtures::update(&t);
    change.comments = vec![c3.clone(), c1.clone(), c2.clone()];
    store.save(&change).await.expect("save");
    let mut change = fixtures::update(&change.ticket);
    change.comments = vec![c4.clone()];
    store.save(&change).await.expect("save");

    let all = fixtures::all_comments(&*store, tenant, t.id, true)
        .await
        .expect("list_comments");
    assert_eq!(all, vec![c1, c2.clone(), c3.clone(), c4]);
    let public = fixtures::all_comments(&*store, tenant, t.id, false)
        .await
        .expect("list_comments (public)");
    assert_eq!(public, vec![c2, c3]);
    assert!(
        fixtures::all_comments(&*store, tenant, TicketId::new(), true)
            .await
            .expect("list_comments")
            .is_empty()
    );
}

/// History comes oldest first: by time, then by id; an unknown ticket has none.
pub async fn events_oldest_first(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let requester = customer(&*store, tenant, "ann").await;
    let t = fixtures::ticket(tenant, requester.id);
    let at = |s| t.created_at + Duration::seconds(s);
    let escalate = |reason: &str| EventKind::Escalated {
        rule_id: None,
        reason: reason.to_string(),
    };
    let late = fixtures::event(&t, escalate("late"), at(30));
    let tie_a = fixtures::event(&t, escalate("tie a"), at(10));
    let tie_b = fixtures::event(&t, escalate("tie b"), at(10));
    let early = fixtures::event(
        &t,
        EventKind::PriorityChanged {
            from: Priority::Medium,
            to: Priority::High,
        },
        at(5),
    );
    let mut change = fixtures::create(t.clone());
    let created = change.events[0].clone();
    change.events.push(late.clone());
    store.save(&change).await.expect("save");
    let mut change = fixtures::update(&t);
    change.events = vec![tie_b.clone(), early.clone()];
    store.save(&change).await.expect("save");
    let mut change = fixtures::update(&change.ticket);
    change.events = vec![tie_a.clone()];
    store.save(&change).await.expect("save");

    let history = store
        .ticket_events(tenant, t.id)
        .await
        .expect("ticket_events");
    assert_eq!(history, vec![created, early, tie_a, tie_b, late]);
    assert!(store
        .ticket_events(tenant, TicketId::new())
        .await
        .expect("ticket_events")
        .is_empty());
}

/// `sla_due` returns the tickets of every tenant whose `next_check` is at or before
/// `now`, earliest first, at most `limit`; tickets without an SLA snapshot or without a
/// next check never come. (Needs a fresh store: it reads across tenants.)
pub async fn sla_due_across_tenants_earliest_first(store: Arc<dyn Store>) {
    let (a, b) = (fixtures::tenant(), fixtures::tenant());
    let ra = customer(&*store, a, "ann").await;
    let rb = customer(&*store, b, "ann").await;
    let now = fixtures::epoch();
    let with_sla = |tenant, requester, check: Option<Duration>| Ticket {
        sla: Some(fixtures::sla(check.map(|d| now + d), false, false)),
        ..fixtures::ticket(tenant, requester)
    };
    let a1 = insert(&*store, with_sla(a, ra.id, Some(Duration::hours(-3)))).await;
    let b1 = insert(&*store, with_sla(b, rb.id, Some(Duration::hours(-2)))).await;
    let a2 = insert(&*store, with_sla(a, ra.id, Some(Duration::hours(-1)))).await;
    let a3 = insert(&*store, with_sla(a, ra.id, Some(Duration::zero()))).await;
    insert(&*store, with_sla(a, ra.id, Some(Duration::microseconds(1)))).await;
    insert(&*store, with_sla(b, rb.id, None)).await;
    insert(&*store, fixtures::ticket(b, rb.id)).await;

    let due = store.sla_due(now, 10).await.expect("sla_due");
    assert_eq!(
        due,
        vec![(a, a1.id), (b, b1.id), (a, a2.id), (a, a3.id)],
        "due at or before now, earliest first"
    );
    let due = store.sla_due(now, 2).await.expect("sla_due (limit)");
    assert_eq!(due, vec![(a, a1.id), (b, b1.id)], "limit honoured");
    assert!(store
        .sla_due(now - Duration::days(1), 10)
        .await
        .expect("sla_due")
        .is_empty());
}

/// `ping` succeeds on a reachable store.
pub async fn ping_succeeds(store: Arc<dyn Store>) {
    store.ping().await.expect("ping");
}
