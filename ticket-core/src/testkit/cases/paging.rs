//! `TicketStore::list_tickets` orders and keyset pagination: every sort, page walks
//! without gap or repeat (also while other tasks insert), malformed cursors and limits.

use super::{customer, expect_invalid, ids, insert, insert_all, list_one_page, sorted_ids, walk};
use crate::id::{TenantId, TicketId, UserId};
use crate::ports::Store;
use crate::query::{TicketQuery, TicketSort};
use crate::testkit::fixtures;
use crate::ticket::{Priority, Ticket};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// `n` tickets with ties: created in threes at the same instant (so the id decides),
/// updated in pairs at the same instant in another order, priorities cycling.
fn tickets(tenant: TenantId, requester: UserId, base: DateTime<Utc>, n: usize) -> Vec<Ticket> {
    (0..n)
        .map(|i| {
            let i64_i = i64::try_from(i).unwrap_or(i64::MAX);
            let created = base + Duration::minutes(i64_i / 3);
            let updated = base + Duration::hours(1) + Duration::minutes((i64_i * 5) % 12 / 2);
            Ticket {
                priority: Priority::ALL[(i * 3 + i / 4) % 4],
                updated_at: fixtures::micros(updated),
                ..fixtures::ticket_at(tenant, requester, created)
            }
        })
        .collect()
}

/// A tenant with one requester and `n` stored tickets from [`tickets`].
async fn seeded(store: &dyn Store, n: usize) -> (TenantId, UserId, Vec<Ticket>) {
    let tenant = fixtures::tenant();
    let requester = customer(store, tenant, "ann").await.id;
    let base = fixtures::now() - Duration::days(1);
    let stored = insert_all(store, tickets(tenant, requester, base, n)).await;
    (tenant, requester, stored)
}

/// Lists one sort in a single page and checks it against the documented order.
async fn check_sort(store: Arc<dyn Store>, sort: TicketSort) -> Vec<Ticket> {
    let (tenant, _, stored) = seeded(&*store, 12).await;
    let got = list_one_page(
        &*store,
        tenant,
        TicketQuery {
            sort,
            ..TicketQuery::default()
        },
    )
    .await;
    assert_eq!(
        ids(&got),
        sorted_ids(&stored, sort),
        "{sort:?} order (ties broken by id)"
    );
    got
}

/// `CreatedDesc`: newest first, ties by id descending.
pub async fn sort_created_desc(store: Arc<dyn Store>) {
    let got = check_sort(store, TicketSort::CreatedDesc).await;
    assert!(got.windows(2).all(|w| w[0].created_at >= w[1].created_at));
}

/// `CreatedAsc`: oldest first, ties by id ascending.
pub async fn sort_created_asc(store: Arc<dyn Store>) {
    let got = check_sort(store, TicketSort::CreatedAsc).await;
    assert!(got.windows(2).all(|w| w[0].created_at <= w[1].created_at));
}

/// `UpdatedDesc`: most recently changed first, ties by id descending.
pub async fn sort_updated_desc(store: Arc<dyn Store>) {
    let got = check_sort(store, TicketSort::UpdatedDesc).await;
    assert!(got.windows(2).all(|w| w[0].updated_at >= w[1].updated_at));
}

/// `PriorityDesc`: most urgent first, then newest, then by id descending.
pub async fn sort_priority_desc(store: Arc<dyn Store>) {
    let got = check_sort(store, TicketSort::PriorityDesc).await;
    assert!(got.windows(2).all(|w| w[0].priority >= w[1].priority));
    assert_eq!(got.first().map(|t| t.priority), Some(Priority::Critical));
}

/// Walks every page of `sort` with several page sizes: no gap, no repeat, in order.
async fn check_walk(store: Arc<dyn Store>, sort: TicketSort) {
    let (tenant, _, stored) = seeded(&*store, 23).await;
    for limit in [1, 4, 7, 23, 50] {
        let got = walk(
            &*store,
            tenant,
            TicketQuery {
                sort,
                limit,
                ..TicketQuery::default()
            },
        )
        .await;
        assert_eq!(
            ids(&got),
            sorted_ids(&stored, sort),
            "{sort:?} walk with limit {limit}"
        );
    }
}

/// A `CreatedDesc` page walk returns every ticket once, in order.
pub async fn walk_created_desc(store: Arc<dyn Store>) {
    check_walk(store, TicketSort::CreatedDesc).await;
}

/// A `CreatedAsc` page walk returns every ticket once, in order.
pub async fn walk_created_asc(store: Arc<dyn Store>) {
    check_walk(store, TicketSort::CreatedAsc).await;
}

/// An `UpdatedDesc` page walk returns every ticket once, in order.
pub async fn walk_updated_desc(store: Arc<dyn Store>) {
    check_walk(store, TicketSort::UpdatedDesc).await;
}

/// A `PriorityDesc` page walk returns every ticket once, in order.
pub async fn walk_priority_desc(store: Arc<dyn Store>) {
    check_walk(store, TicketSort::PriorityDesc).await;
}

/// A page walk with a filter returns exactly the matching tickets, once, in order.
pub async fn walk_with_a_filter(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let requester = customer(&*store, tenant, "ann").await.id;
    let base = fixtures::now() - Duration::days(1);
    let mut all = tickets(tenant, requester, base, 20);
    for t in all.iter_mut().step_by(2) {
        t.tags = fixtures::tags(&["vpn"]);
    }
    let all = insert_all(&*store, all).await;
    let tagged: Vec<Ticket> = all.into_iter().filter(|t| !t.tags.is_empty()).collect();
    for sort in [TicketSort::CreatedDesc, TicketSort::PriorityDesc] {
        let q = TicketQuery {
            sort,
            limit: 3,
            tags: vec![fixtures::tag("vpn")],
            ..TicketQuery::default()
        };
        let got = walk(&*store, tenant, q).await;
        assert_eq!(
            ids(&got),
            sorted_ids(&tagged, sort),
            "{sort:?} walk of tagged tickets"
        );
    }
}

/// Spawns a task inserting up to 200 new tickets (created now) until `stop` is set;
/// it returns their ids.
fn spawn_writer(
    store: Arc<dyn Store>,
    tenant: TenantId,
    requester: UserId,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<Vec<TicketId>> {
    tokio::spawn(async move {
        let mut inserted = Vec::new();
        for i in 0..200 {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let t = Ticket {
                priority: Priority::ALL[i % 4],
                ..fixtures::ticket(tenant, requester)
            };
            inserted.push(insert(&*store, t).await.id);
            tokio::task::yield_now().await;
        }
        inserted
    })
}

/// Walks `sort` with small pages while a spawned task keeps inserting newer tickets from
/// the first page on (and the walker inserts one between pages): every ticket that existed at the start comes
/// exactly once and in order, nothing repeats, and for the newest-first orders nothing
/// inserted meanwhile shows up (it sorts before the cursor).
async fn check_walk_while_inserting(store: Arc<dyn Store>, sort: TicketSort) {
    let (tenant, requester, existing) = seeded(&*store, 30).await;
    let mut seen: Vec<TicketId> = Vec::new();
    let mut inserted: Vec<TicketId> = Vec::new();
    let mut q = TicketQuery {
        sort,
        limit: 3,
        ..TicketQuery::default()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let mut writer = None;
    for page_no in 0.. {
        assert!(page_no < 1000, "the walk did not end");
        let page = store.list_tickets(tenant, &q).await.expect("list_tickets");
        assert!(
            page.items.len() <= 3,
            "a page holds at most `limit` tickets"
        );
        seen.extend(ids(&page.items));
        // The walk has started: from now on other writers race it.
        if writer.is_none() {
            writer = Some(spawn_writer(store.clone(), tenant, requester, stop.clone()));
        }
        let t = Ticket {
            priority: Priority::ALL[page_no % 4],
            ..fixtures::ticket(tenant, requester)
        };
        inserted.push(insert(&*store, t).await.id);
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    stop.store(true, Ordering::Relaxed);
    if let Some(writer) = writer {
        inserted.extend(writer.await.expect("writer task"));
    }

    let unique: HashSet<&TicketId> = seen.iter().collect();
    assert_eq!(
        unique.len(),
        seen.len(),
        "{sort:?}: no ticket repeats during the walk"
    );
    let before: HashSet<TicketId> = ids(&existing).into_iter().collect();
    let inserted: HashSet<TicketId> = inserted.into_iter().collect();
    assert!(
        seen.iter()
            .all(|id| before.contains(id) || inserted.contains(id)),
        "{sort:?}: only known tickets"
    );
    let old_seen: Vec<TicketId> = seen
        .iter()
        .copied()
        .filter(|id| before.contains(id))
        .collect();
    assert_eq!(
        old_seen,
        sorted_ids(&existing, sort),
        "{sort:?}: every ticket of the start, once, in order"
    );
    if matches!(sort, TicketSort::CreatedDesc | TicketSort::UpdatedDesc) {
        assert_eq!(
            seen,
            sorted_ids(&existing, sort),
            "{sort:?}: newer tickets sort before the cursor"
        );
    }
}

/// A `CreatedDesc` walk racing inserts returns exactly the tickets of the start.
pub async fn walk_created_desc_while_inserting(store: Arc<dyn Store>) {
    check_walk_while_inserting(store, TicketSort::CreatedDesc).await;
}

/// A `CreatedAsc` walk racing inserts returns every ticket of the start once, no repeats.
pub async fn walk_created_asc_while_inserting(store: Arc<dyn Store>) {
    check_walk_while_inserting(store, TicketSort::CreatedAsc).await;
}

/// An `UpdatedDesc` walk racing inserts returns exactly the tickets of the start.
pub async fn walk_updated_desc_while_inserting(store: Arc<dyn Store>) {
    check_walk_while_inserting(store, TicketSort::UpdatedDesc).await;
}

/// A `PriorityDesc` walk racing inserts returns every ticket of the start once, no
/// repeats.
pub async fn walk_priority_desc_while_inserting(store: Arc<dyn Store>) {
    check_walk_while_inserting(store, TicketSort::PriorityDesc).await;
}

/// A malformed cursor, or a cursor of another sort, is `Invalid` on `cursor`.
pub async fn malformed_cursor_is_invalid(store: Arc<dyn Store>) {
    let (tenant, _, _) = seeded(&*store, 3).await;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"x":1}"#);
    for bad in ["not a cursor", "%%%", "AAAA", json.as_str()] {
        let q = TicketQuery {
            cursor: Some(bad.to_string()),
            ..TicketQuery::default()
        };
        expect_invalid(
            store.list_tickets(tenant, &q).await,
            "cursor",
            &format!("cursor {bad:?}"),
        );
    }
    let asc = TicketQuery {
        sort: TicketSort::CreatedAsc,
        limit: 1,
        ..TicketQuery::default()
    };
    let cursor = store
        .list_tickets(tenant, &asc)
        .await
        .expect("list_tickets")
        .next_cursor;
    assert!(
        cursor.is_some(),
        "a first page of one of three has a next cursor"
    );
    let q = TicketQuery {
        sort: TicketSort::PriorityDesc,
        cursor,
        ..TicketQuery::default()
    };
    expect_invalid(
        store.list_tickets(tenant, &q).await,
        "cursor",
        "a CreatedAsc cursor used for PriorityDesc",
    );
}

/// Pages hold at most `limit` tickets; the next cursor is present exactly when more
/// tickets follow (none on the last page, even when it is full).
pub async fn limit_and_last_page(store: Arc<dyn Store>) {
    let (tenant, _, _) = seeded(&*store, 10).await;
    for (limit, sizes) in [
        (5, vec![5, 5]),
        (3, vec![3, 3, 3, 1]),
        (10, vec![10]),
        (100, vec![10]),
    ] {
        let mut q = TicketQuery {
            limit,
            ..TicketQuery::default()
        };
        let mut got = Vec::new();
        loop {
            let page = store.list_tickets(tenant, &q).await.expect("list_tickets");
            got.push(page.items.len());
            let last = got.len() == sizes.len();
            assert_eq!(
                page.next_cursor.is_none(),
                last,
                "limit {limit}: page {} next cursor",
                got.len()
            );
            match page.next_cursor {
                Some(c) if got.len() < sizes.len() => q.cursor = Some(c),
                _ => break,
            }
        }
        assert_eq!(got, sizes, "page sizes with limit {limit}");
    }
}

/// The history pages in `ticket_events` order (time, then id, events of one instant
/// included), without repeats or gaps, the last page without a next cursor, never
/// reaching another ticket's events; a malformed cursor is `Invalid`.
pub async fn events_page_walks_the_history(store: Arc<dyn Store>) {
    use crate::event::EventKind;
    let tenant = fixtures::tenant();
    let requester = super::customer(&*store, tenant, "ann").await;
    let t = super::insert(&*store, fixtures::ticket(tenant, requester.id)).await;
    let other = super::insert(&*store, fixtures::ticket(tenant, requester.id)).await;
    let mut stored = t.clone();
    for i in 0..6i64 {
        let mut change = fixtures::update(&stored);
        // Two events per change at one instant, then the next change an hour later.
        let at = t.created_at + chrono::Duration::hours(i + 1);
        for _ in 0..2 {
            change.events.push(fixtures::event(
                &t,
                EventKind::FieldsChanged {
                    fields: vec!["title".into()],
                },
                at,
            ));
        }
        store.save(&change).await.expect("save");
        stored = change.ticket;
    }
    let all = store
        .ticket_events(tenant, t.id)
        .await
        .expect("ticket_events");
    assert_eq!(all.len(), 13);
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let page = store
            .ticket_events_page(tenant, t.id, 5, cursor.as_deref())
            .await
            .expect("ticket_events_page");
        assert!(page.items.len() <= 5);
        walked.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(walked, all, "the walk is the history, in order");
    let one = store
        .ticket_events_page(tenant, other.id, 0, None)
        .await
        .expect("ticket_events_page");
    assert_eq!(one.items.len(), 1);
    assert!(one.next_cursor.is_none());
    assert!(matches!(
        store
            .ticket_events_page(tenant, t.id, 5, Some("not a cursor"))
            .await,
        Err(crate::error::Error::Invalid(_))
    ));
}
