//! `TicketStore::list_comments` pages: at most `limit` comments, oldest first by
//! (time to the microsecond, id), resumed after a cursor without gap or repeat, internal
//! notes only on request, and a next cursor exactly when more follow.

use super::{customer, insert};
use crate::id::CommentId;
use crate::ports::Store;
use crate::query::{CommentCursor, CommentQuery, Page};
use crate::testkit::fixtures;
use crate::ticket::{Comment, Ticket, Visibility};
use chrono::Duration;
use std::sync::Arc;

/// A stored ticket with 9 comments: every third internal, created in threes at the same
/// microsecond (so the id decides), with ids not in creation order. Returns them sorted.
async fn thread(store: &dyn Store) -> (Ticket, Vec<Comment>) {
    let tenant = fixtures::tenant();
    let requester = customer(store, tenant, "ann").await;
    let t = insert(store, fixtures::ticket(tenant, requester.id)).await;
    let ids: Vec<CommentId> = (0..9).map(|_| CommentId::new()).collect();
    let mut comments: Vec<Comment> = (0..9)
        .map(|i| {
            let visibility = if i % 3 == 0 {
                Visibility::Internal
            } else {
                Visibility::Public
            };
            let at = t.created_at + Duration::seconds(i64::from(i / 3) + 1);
            Comment {
                // Reversed within each instant: the id order differs from insertion.
                id: ids[8 - i as usize],
                ..fixtures::comment(&t, visibility, &format!("comment {i}"), at)
            }
        })
        .collect();
    let mut change = fixtures::update(&t);
    change.comments = comments.clone();
    store.save(&change).await.expect("save");
    comments.sort_by_key(CommentCursor::key);
    (change.ticket, comments)
}

async fn page(store: &dyn Store, t: &Ticket, query: &CommentQuery) -> Page<Comment> {
    store
        .list_comments(t.tenant, t.id, query)
        .await
        .expect("list_comments")
}

/// Walking pages of 4 returns every comment once, in order; the public walk only the
/// public ones; a page ending exactly at the last comment has no next cursor.
pub async fn comments_page_in_order(store: Arc<dyn Store>) {
    let (t, all) = thread(&*store).await;
    for (include_internal, want) in [
        (true, all.clone()),
        (
            false,
            all.iter()
                .filter(|c| c.visibility == Visibility::Public)
                .cloned()
                .collect::<Vec<_>>(),
        ),
    ] {
        let mut query = CommentQuery {
            include_internal,
            limit: 4,
            after: None,
        };
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let p = page(&*store, &t, &query).await;
            assert!(p.items.len() <= 4, "a page holds at most the limit");
            pages += 1;
            seen.extend(p.items);
            match p.next_cursor {
                Some(c) => {
                    query.after = Some(CommentCursor::decode(&c).expect("the store's cursor"));
                }
                None => break,
            }
            assert!(pages <= want.len(), "the walk does not end");
        }
        assert_eq!(seen, want, "include_internal = {include_internal}");
        assert_eq!(pages, want.len().div_ceil(4));
    }
    let whole = page(
        &*store,
        &t,
        &CommentQuery {
            include_internal: true,
            limit: 9,
            after: None,
        },
    )
    .await;
    assert_eq!(whole.items, all);
    assert_eq!(whole.next_cursor, None, "nothing follows the last comment");
    let after_last = page(
        &*store,
        &t,
        &CommentQuery {
            include_internal: true,
            limit: 5,
            after: all.last().map(CommentCursor::key),
        },
    )
    .await;
    assert!(after_last.items.is_empty());
    assert_eq!(after_last.next_cursor, None);
}
