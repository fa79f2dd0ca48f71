//! `Outbox`: claiming (due entries, leases, order, concurrency), acknowledging with the
//! right claim, failures, listing and retrying dead entries. The claim cases read across
//! tenants, so they need the fresh store the factory promises.

use super::{expect_invalid, expect_not_found};
use crate::error::{Conflict, Error};
use crate::id::{DeliveryId, TenantId};
use crate::notify::{DeliveryStatus, OutboxEntry};
use crate::ports::Store;
use crate::testkit::cases::outbox_bodies::attempt;
use crate::testkit::fixtures;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashSet;
use std::sync::Arc;
use uuid::Uuid;

fn entry_ids(entries: &[OutboxEntry]) -> Vec<DeliveryId> {
    entries.iter().map(|e| e.id).collect()
}

/// An entry of `tenant` in `status`, due at `at`.
fn entry_in(tenant: TenantId, status: DeliveryStatus, at: DateTime<Utc>) -> OutboxEntry {
    let mut e = OutboxEntry {
        status,
        ..fixtures::outbox_entry(tenant, at)
    };
    match status {
        DeliveryStatus::InFlight => {
            e.attempts = 1;
            e.claim = Some(Uuid::now_v7());
            e.lease_until = Some(at + Duration::minutes(5));
        }
        DeliveryStatus::Delivered => {
            e.attempts = 1;
            e.delivered_at = Some(at);
        }
        DeliveryStatus::Dead => {
            e.attempts = 5;
            e.last_error = Some("HTTP 500".to_string());
        }
        DeliveryStatus::Pending => {}
    }
    e
}

/// `claim` takes pending entries due at or before `now` and in-flight entries whose lease
/// lapsed, nothing else (not future, delivered, dead or validly leased entries).
pub async fn claim_takes_due_entries_only(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let now = fixtures::now();
    let due = fixtures::outbox_entry(tenant, now - Duration::seconds(1));
    let at_now = fixtures::outbox_entry(tenant, now);
    let future = fixtures::outbox_entry(tenant, now + Duration::microseconds(1));
    let delivered = entry_in(
        tenant,
        DeliveryStatus::Delivered,
        now - Duration::minutes(1),
    );
    let dead = entry_in(tenant, DeliveryStatus::Dead, now - Duration::minutes(1));
    let leased = OutboxEntry {
        lease_until: Some(now + Duration::seconds(1)),
        ..entry_in(tenant, DeliveryStatus::InFlight, now - Duration::minutes(2))
    };
    let lapsed = OutboxEntry {
        lease_until: Some(now),
        ..entry_in(tenant, DeliveryStatus::InFlight, now - Duration::minutes(3))
    };
    store
        .enqueue(&[
            due.clone(),
            at_now.clone(),
            future,
            delivered,
            dead,
            leased,
            lapsed.clone(),
        ])
        .await
        .expect("enqueue");
    let claimed = store
        .claim(now, Duration::seconds(30), 100)
        .await
        .expect("claim");
    assert_eq!(
        entry_ids(&claimed),
        vec![lapsed.id, due.id, at_now.id],
        "due ones only, by next_attempt_at"
    );
    assert!(
        store
            .claim(now, Duration::seconds(30), 100)
            .await
            .expect("claim")
            .is_empty(),
        "now all in flight"
    );
}

/// A claimed entry is `InFlight` with `lease_until = now + lease`, a fresh claim and one
/// more attempt, everything else unchanged; `get_delivery` shows the same.
pub async fn claim_sets_lease_claim_and_attempts(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let now = fixtures::now();
    let a = fixtures::outbox_entry(tenant, now - Duration::seconds(2));
    let b = OutboxEntry {
        attempts: 2,
        last_error: Some("timeout".to_string()),
        ..fixtures::outbox_entry(tenant, now - Duration::seconds(1))
    };
    store
        .enqueue(&[a.clone(), b.clone()])
        .await
        .expect("enqueue");
    let claimed = store
        .claim(now, Duration::seconds(45), 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 2);
    for (got, before) in claimed.iter().zip([&a, &b]) {
        assert!(got.claim.is_some(), "a claim is set");
        let want = OutboxEntry {
            status: DeliveryStatus::InFlight,
            lease_until: Some(now + Duration::seconds(45)),
            claim: got.claim,
            attempts: before.attempts + 1,
            ..before.clone()
        };
        assert_eq!(got, &want);
        assert_eq!(
            &store
                .get_delivery(tenant, got.id)
                .await
                .expect("get_delivery"),
            got
        );
    }
    assert_ne!(
        claimed[0].claim, claimed[1].claim,
        "every claimed entry gets its own claim"
    );
}

/// `claim` takes the earliest due first (by `next_attempt_at`, then id) and at most
/// `limit`.
pub async fn claim_order_and_limit(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let now = fixtures::now();
    let at = |s| now - Duration::seconds(s);
    let (e5, e4a, e4b, e2, e1) = (
        fixtures::outbox_entry(tenant, at(5)),
        fixtures::outbox_entry(tenant, at(4)),
        fixtures::outbox_entry(tenant, at(4)),
        fixtures::outbox_entry(tenant, at(2)),
        fixtures::outbox_entry(tenant, at(1)),
    );
    store
        .enqueue(&[e2.clone(), e4b.clone(), e1.clone()])
        .await
        .expect("enqueue");
    store
        .enqueue(&[e4a.clone(), e5.clone()])
        .await
        .expect("enqueue");
    let first = store
        .claim(now, Duration::seconds(30), 2)
        .await
        .expect("claim");
    assert_eq!(entry_ids(&first), vec![e5.id, e4a.id]);
    let rest = store
        .claim(now, Duration::seconds(30), 10)
        .await
        .expect("claim");
    assert_eq!(entry_ids(&rest), vec![e4b.id, e2.id, e1.id]);
    assert!(store
        .claim(now, Duration::seconds(30), 0)
        .await
        .expect("claim with limit 0")
        .is_empty());
}

/// An in-flight entry whose lease lapsed (its worker died) is claimed again with a new
/// claim and one more attempt; the old claim no longer acknowledges it.
pub async fn lapsed_lease_is_reclaimed(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let now = fixtures::now();
    let e = fixtures::outbox_entry(tenant, now);
    store
        .enqueue(std::slice::from_ref(&e))
        .await
        .expect("enqueue");
    let lease = Duration::seconds(30);
    let first = store.claim(now, lease, 10).await.expect("claim");
    assert_eq!(entry_ids(&first), vec![e.id]);
    assert!(
        store
            .claim(now + Duration::seconds(10), lease, 10)
            .await
            .expect("claim")
            .is_empty(),
        "lease holds"
    );
    let later = now + lease;
    let second = store
        .claim(later, lease, 10)
        .await
        .expect("claim at lease end");
    assert_eq!(
        entry_ids(&second),
        vec![e.id],
        "reclaimed once the lease lapsed"
    );
    assert_eq!(second[0].attempts, 2);
    assert_eq!(second[0].lease_until, Some(later + lease));
    assert_ne!(second[0].claim, first[0].claim, "a fresh claim");
    let old = first[0].claim.expect("claim");
    let new = second[0].claim.expect("claim");
    assert!(
        !store
            .complete(e.id, old, later, &[])
            .await
            .expect("complete"),
        "the old claim is ignored"
    );
    assert!(
        store
            .complete(e.id, new, later, &[])
            .await
            .expect("complete"),
        "the new claim acknowledges"
    );
}

/// `complete` with the current claim marks the entry delivered (`true`); with another
/// claim, or for an unknown entry, it changes nothing (`false`).
pub async fn complete_needs_the_current_claim(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let now = fixtures::now();
    let e = fixtures::outbox_entry(tenant, now);
    store
        .enqueue(std::slice::from_ref(&e))
        .await
        .expect("enqueue");
    let claimed = store
        .claim(now, Duration::seconds(30), 10)
        .await
        .expect("claim")
        .remove(0);
    let claim = claimed.claim.expect("claim");
    assert!(
        !store
            .complete(e.id, Uuid::now_v7(), now, &[])
            .await
            .expect("complete"),
        "a stale claim is ignored"
    );
    assert_eq!(
        store
            .get_delivery(tenant, e.id)
            .await
            .expect("get_delivery"),
        claimed,
        "unchanged"
    );
    assert!(
        !store
            .complete(DeliveryId::new(), claim, now, &[])
            .await
            .expect("complete"),
        "an unknown entry"
    );
    let done_at = now + Duration::seconds(2);
    let log = vec![attempt(now, Some(200), None)];
    assert!(store
        .complete(e.id, claim, done_at, &log)
        .await
        .expect("complete"));
    let done = store
        .get_delivery(tenant, e.id)
        .await
        .expect("get_delivery");
    assert_eq!(
        (done.status, done.delivered_at, done.attempts),
        (DeliveryStatus::Delivered, Some(done_at), 1)
    );
    assert_eq!(done.log, log, "the attempt log is stored");
    assert!(store
        .claim(done_at + Duration::hours(1), Duration::seconds(30), 10)
        .await
        .expect("claim")
        .is_empty());
}

/// `fail` with the current claim records the error and reschedules at `retry_at`
/// (claimable again from then), or dead-letters with `None`; a stale claim changes
/// nothing.
pub async fn fail_reschedules_or_dead_letters(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let now = fixtures::now();
    let e = fixtures::outbox_entry(tenant, now);
    store
        .enqueue(std::slice::from_ref(&e))
        .await
        .expect("enqueue");
    let lease = Duration::seconds(30);
    let claim = store.claim(now, lease, 10).await.expect("claim")[0]
        .claim
        .expect("claim");
    let retry_at = now + Duration::minutes(10);
    assert!(
        !store
            .fail(e.id, Uuid::now_v7(), "nope", Some(retry_at), &[])
            .await
            .expect("fail"),
        "a stale claim is ignored"
    );
    let first = attempt(now, Some(503), Some("HTTP 503"));
    assert!(store
        .fail(
            e.id,
            claim,
            "HTTP 503",
            Some(retry_at),
            std::slice::from_ref(&first)
        )
        .await
        .expect("fail"));
    let failed = store
        .get_delivery(tenant, e.id)
        .await
        .expect("get_delivery");
    assert_eq!(failed.status, DeliveryStatus::Pending);
    assert_eq!(failed.next_attempt_at, retry_at);
    assert_eq!(failed.last_error.as_deref(), Some("HTTP 503"));
    assert_eq!(failed.attempts, 1);
    assert_eq!(failed.log, vec![first.clone()]);
    assert!(
        store
            .claim(retry_at - Duration::seconds(1), lease, 10)
            .await
            .expect("claim")
            .is_empty(),
        "not before retry_at"
    );
    let again = store.claim(retry_at, lease, 10).await.expect("claim");
    assert_eq!((entry_ids(&again), again[0].attempts), (vec![e.id], 2));
    let claim = again[0].claim.expect("claim");
    let log = vec![first, attempt(retry_at, Some(410), Some("HTTP 410"))];
    assert!(store
        .fail(e.id, claim, "HTTP 410", None, &log)
        .await
        .expect("fail"));
    let dead = store
        .get_delivery(tenant, e.id)
        .await
        .expect("get_delivery");
    assert_eq!(
        (dead.status, dead.last_error.as_deref(), dead.attempts),
        (DeliveryStatus::Dead, Some("HTTP 410"), 2)
    );
    assert_eq!(dead.log, log);
    assert!(
        store
            .claim(retry_at + Duration::days(30), lease, 10)
            .await
            .expect("claim")
            .is_empty(),
        "dead stays dead"
    );
}

/// `list_deliveries` lists the tenant's entries newest first (by id), optionally of one
/// status, in pages without gap or repeat; a malformed cursor is `Invalid`.
pub async fn list_deliveries_by_status_newest_first(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let now = fixtures::now();
    use DeliveryStatus as D;
    let statuses = [
        D::Pending,
        D::InFlight,
        D::Delivered,
        D::Pending,
        D::Dead,
        D::InFlight,
        D::Pending,
    ];
    // Due tomorrow, so no claimer of another case could change them.
    let due = now + Duration::days(1);
    let entries: Vec<OutboxEntry> = statuses.iter().map(|&s| entry_in(tenant, s, due)).collect();
    store.enqueue(&entries).await.expect("enqueue");
    let newest = |pick: &dyn Fn(&OutboxEntry) -> bool| -> Vec<DeliveryId> {
        entries
            .iter()
            .rev()
            .filter(|e| pick(e))
            .map(|e| e.id)
            .collect()
    };

    let all = store
        .list_deliveries(tenant, None, 100, None)
        .await
        .expect("list_deliveries");
    assert_eq!(
        all.items,
        entries.iter().rev().cloned().collect::<Vec<_>>(),
        "every entry, newest first, as stored"
    );
    assert!(all.next_cursor.is_none());
    for status in [D::Pending, D::InFlight, D::Delivered, D::Dead] {
        let page = store
            .list_deliveries(tenant, Some(status), 100, None)
            .await
            .expect("list_deliveries");
        assert_eq!(
            entry_ids(&page.items),
            newest(&|e| e.status == status),
            "status {status:?}"
        );
    }

    let mut cursor: Option<String> = None;
    let (mut got, mut sizes) = (Vec::new(), Vec::new());
    loop {
        let page = store
            .list_deliveries(tenant, None, 3, cursor.as_deref())
            .await
            .expect("list_deliveries");
        sizes.push(page.items.len());
        got.extend(entry_ids(&page.items));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
        assert!(sizes.len() < 10, "the walk did not end");
    }
    assert_eq!((sizes, got), (vec![3, 3, 1], newest(&|_| true)));
    let pending = store
        .list_deliveries(tenant, Some(D::Pending), 2, None)
        .await
        .expect("list_deliveries");
    let more = store
        .list_deliveries(tenant, Some(D::Pending), 2, pending.next_cursor.as_deref())
        .await
        .expect("list_deliveries");
    assert_eq!(
        [entry_ids(&pending.items), entry_ids(&more.items)].concat(),
        newest(&|e| e.status == D::Pending)
    );
    assert!(more.next_cursor.is_none());
    for bad in ["not a cursor", "%%%", "AAAA"] {
        expect_invalid(
            store.list_deliveries(tenant, None, 3, Some(bad)).await,
            "cursor",
            &format!("cursor {bad:?}"),
        );
    }
}

/// `retry_delivery` puts a dead entry back to `Pending` at `now` with no attempts, no
/// claim and no lease, returns it, and it is claimable again.
pub async fn retry_dead_delivery(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let now = fixtures::now();
    let dead = OutboxEntry {
        claim: Some(Uuid::now_v7()),
        lease_until: Some(now - Duration::days(1)),
        ..entry_in(tenant, DeliveryStatus::Dead, now - Duration::days(2))
    };
    store
        .enqueue(std::slice::from_ref(&dead))
        .await
        .expect("enqueue");
    let retried = store
        .retry_delivery(tenant, dead.id, now)
        .await
        .expect("retry_delivery");
    let want = OutboxEntry {
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: now,
        claim: None,
        lease_until: None,
        ..dead.clone()
    };
    assert_eq!(
        OutboxEntry {
            last_error: None,
            ..retried.clone()
        },
        OutboxEntry {
            last_error: None,
            ..want
        }
    );
    assert_eq!(
        store
            .get_delivery(tenant, dead.id)
            .await
            .expect("get_delivery"),
        retried
    );
    let claimed = store
        .claim(now, Duration::seconds(30), 10)
        .await
        .expect("claim");
    assert_eq!(entry_ids(&claimed), vec![dead.id], "claimable again");
}

/// `retry_delivery` of an entry that is not dead is `Conflict(State)` and changes
/// nothing; of an unknown entry it is `NotFound`.
pub async fn retry_of_live_delivery_conflicts(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let now = fixtures::now();
    for status in [
        DeliveryStatus::Pending,
        DeliveryStatus::InFlight,
        DeliveryStatus::Delivered,
    ] {
        let e = entry_in(tenant, status, now + Duration::days(1));
        store
            .enqueue(std::slice::from_ref(&e))
            .await
            .expect("enqueue");
        match store.retry_delivery(tenant, e.id, now).await {
            Err(Error::Conflict(Conflict::State { .. })) => {}
            other => panic!(
                "retry_delivery of a {status:?} entry: expected Conflict(State), got {other:?}"
            ),
        }
        assert_eq!(
            store
                .get_delivery(tenant, e.id)
                .await
                .expect("get_delivery"),
            e,
            "unchanged"
        );
    }
    expect_not_found(
        store.retry_delivery(tenant, DeliveryId::new(), now).await,
        "retry_delivery of an unknown entry",
    );
}

/// Four concurrent claimers draining 200 due entries never get the same entry twice, and
/// together get them all.
pub async fn concurrent_claimers_never_share(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let now = fixtures::now();
    let entries: Vec<OutboxEntry> = (0..200)
        .map(|i| fixtures::outbox_entry(tenant, now - Duration::milliseconds(i)))
        .collect();
    store.enqueue(&entries).await.expect("enqueue");
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                for _ in 0..200 {
                    let batch = store
                        .claim(now, Duration::minutes(5), 7)
                        .await
                        .expect("claim");
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(entry_ids(&batch));
                    tokio::task::yield_now().await;
                }
                panic!("a claimer still got entries after 200 claims: claimed entries are claimed again");
            })
        })
        .collect();
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.expect("claimer task"));
    }
    let unique: HashSet<DeliveryId> = all.iter().copied().collect();
    assert_eq!(unique.len(), all.len(), "no entry was claimed twice");
    assert_eq!(
        unique,
        entry_ids(&entries).into_iter().collect::<HashSet<_>>(),
        "every entry was claimed"
    );
}
