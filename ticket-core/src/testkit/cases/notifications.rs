//! `NotificationStore`: newest first, unread filter, marking read, counts and pages.

use super::{customer, expect_invalid, expect_not_found};
use crate::id::{NotificationId, TenantId, UserId};
use crate::notify::Notification;
use crate::ports::Store;
use crate::testkit::fixtures;
use chrono::Duration;
use std::sync::Arc;

/// A tenant, two users and `n` notifications for the first (oldest first), one for the
/// second.
async fn seeded(store: &dyn Store, n: usize) -> (TenantId, UserId, UserId, Vec<Notification>) {
    let tenant = fixtures::tenant();
    let ann = customer(store, tenant, "ann").await.id;
    let bob = customer(store, tenant, "bob").await.id;
    let base = fixtures::now() - Duration::hours(1);
    let mut mine = Vec::new();
    for i in 0..n {
        let at = base + Duration::seconds(i64::try_from(i).unwrap_or(0));
        mine.push(fixtures::notification(tenant, ann, at));
    }
    store
        .add_notifications(&mine)
        .await
        .expect("add_notifications");
    store
        .add_notifications(&[fixtures::notification(tenant, bob, base)])
        .await
        .expect("add_notifications");
    (tenant, ann, bob, mine)
}

fn ids_newest_first(list: &[Notification]) -> Vec<NotificationId> {
    list.iter().rev().map(|n| n.id).collect()
}

fn note_ids(list: &[Notification]) -> Vec<NotificationId> {
    list.iter().map(|n| n.id).collect()
}

/// A user's notifications come newest first (by id), only theirs, as stored.
pub async fn newest_first(store: Arc<dyn Store>) {
    let (tenant, ann, _, mine) = seeded(&*store, 4).await;
    let page = store
        .list_notifications(tenant, ann, false, 10, None)
        .await
        .expect("list_notifications");
    assert_eq!(page.items, mine.iter().rev().cloned().collect::<Vec<_>>());
    assert!(page.next_cursor.is_none());
}

/// `unread_only` leaves out read notifications.
pub async fn unread_only(store: Arc<dyn Store>) {
    let (tenant, ann, _, mine) = seeded(&*store, 4).await;
    let now = fixtures::now();
    store
        .mark_read(tenant, ann, mine[1].id, now)
        .await
        .expect("mark_read");
    let page = store
        .list_notifications(tenant, ann, true, 10, None)
        .await
        .expect("list_notifications");
    assert_eq!(
        note_ids(&page.items),
        vec![mine[3].id, mine[2].id, mine[0].id]
    );
    let all = store
        .list_notifications(tenant, ann, false, 10, None)
        .await
        .expect("list_notifications");
    assert_eq!(
        all.items[2],
        Notification {
            read_at: Some(now),
            ..mine[1].clone()
        },
        "read ones keep their place"
    );
}

/// Marking a notification read twice keeps the first read time.
pub async fn mark_read_is_idempotent(store: Arc<dyn Store>) {
    let (tenant, ann, _, mine) = seeded(&*store, 1).await;
    let first = fixtures::now();
    store
        .mark_read(tenant, ann, mine[0].id, first)
        .await
        .expect("mark_read");
    store
        .mark_read(tenant, ann, mine[0].id, first + Duration::minutes(5))
        .await
        .expect("mark_read again");
    let page = store
        .list_notifications(tenant, ann, false, 10, None)
        .await
        .expect("list_notifications");
    assert_eq!(page.items[0].read_at, Some(first));
}

/// Marking another user's (or an unknown) notification read is `NotFound`, and it stays
/// unread.
pub async fn mark_read_of_another_users_is_not_found(store: Arc<dyn Store>) {
    let (tenant, ann, bob, mine) = seeded(&*store, 1).await;
    expect_not_found(
        store
            .mark_read(tenant, bob, mine[0].id, fixtures::now())
            .await,
        "bob marks ann's notification",
    );
    expect_not_found(
        store
            .mark_read(tenant, ann, NotificationId::new(), fixtures::now())
            .await,
        "an unknown notification",
    );
    assert_eq!(
        store.unread_count(tenant, ann).await.expect("unread_count"),
        1
    );
}

/// `mark_all_read` marks the user's unread notifications and returns how many.
pub async fn mark_all_read_counts(store: Arc<dyn Store>) {
    let (tenant, ann, bob, mine) = seeded(&*store, 5).await;
    let now = fixtures::now();
    store
        .mark_read(tenant, ann, mine[0].id, now)
        .await
        .expect("mark_read");
    assert_eq!(
        store
            .mark_all_read(tenant, ann, now)
            .await
            .expect("mark_all_read"),
        4
    );
    assert_eq!(
        store
            .mark_all_read(tenant, ann, now)
            .await
            .expect("mark_all_read"),
        0
    );
    assert_eq!(
        store.unread_count(tenant, ann).await.expect("unread_count"),
        0
    );
    assert_eq!(
        store.unread_count(tenant, bob).await.expect("unread_count"),
        1,
        "other users untouched"
    );
    let page = store
        .list_notifications(tenant, ann, false, 10, None)
        .await
        .expect("list_notifications");
    assert!(page.items.iter().all(|n| n.read_at == Some(now)));
}

/// `unread_count` counts the user's unread notifications only.
pub async fn unread_count(store: Arc<dyn Store>) {
    let (tenant, ann, bob, mine) = seeded(&*store, 3).await;
    assert_eq!(
        store.unread_count(tenant, ann).await.expect("unread_count"),
        3
    );
    store
        .mark_read(tenant, ann, mine[2].id, fixtures::now())
        .await
        .expect("mark_read");
    assert_eq!(
        store.unread_count(tenant, ann).await.expect("unread_count"),
        2
    );
    assert_eq!(
        store.unread_count(tenant, bob).await.expect("unread_count"),
        1
    );
    assert_eq!(
        store
            .unread_count(tenant, UserId::new())
            .await
            .expect("unread_count"),
        0
    );
}

/// Pages walk newest first without gap or repeat, with a next cursor exactly when more
/// follow; a malformed cursor is `Invalid` on `cursor`.
pub async fn pages_and_bad_cursor(store: Arc<dyn Store>) {
    let (tenant, ann, _, mine) = seeded(&*store, 7).await;
    let mut cursor: Option<String> = None;
    let mut got = Vec::new();
    let mut sizes = Vec::new();
    loop {
        let page = store
            .list_notifications(tenant, ann, false, 3, cursor.as_deref())
            .await
            .expect("list_notifications");
        sizes.push(page.items.len());
        got.extend(note_ids(&page.items));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
        assert!(sizes.len() < 10, "the walk did not end");
    }
    assert_eq!(sizes, vec![3, 3, 1]);
    assert_eq!(got, ids_newest_first(&mine));
    let unread = store
        .list_notifications(tenant, ann, true, 7, None)
        .await
        .expect("list_notifications");
    assert_eq!(unread.items.len(), 7);
    assert!(
        unread.next_cursor.is_none(),
        "a full last page has no next cursor"
    );
    for bad in ["not a cursor", "%%%", "AAAA"] {
        expect_invalid(
            store
                .list_notifications(tenant, ann, false, 3, Some(bad))
                .await,
            "cursor",
            &format!("cursor {bad:?}"),
        );
    }
}
