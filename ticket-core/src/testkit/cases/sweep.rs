//! `TicketStore`: how instances on one store split the background work of the SLA sweep
//! (claims of due tickets with a lease) and of the re-evaluations that policy and
//! calendar changes request.

use super::{customer, insert};
use crate::id::{TenantId, TicketId};
use crate::ports::Store;
use crate::testkit::fixtures;
use crate::ticket::Ticket;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashSet;
use std::sync::Arc;

/// `count` tickets of a new tenant due at `due`, in id order.
async fn due_tickets(
    store: &dyn Store,
    count: usize,
    due: DateTime<Utc>,
) -> (TenantId, Vec<TicketId>) {
    let tenant = fixtures::tenant();
    let r = customer(store, tenant, "ann").await;
    let mut ids = Vec::new();
    for _ in 0..count {
        let t = insert(
            store,
            Ticket {
                sla: Some(fixtures::sla(Some(due), false, false)),
                ..fixtures::ticket(tenant, r.id)
            },
        )
        .await;
        ids.push(t.id);
    }
    ids.sort();
    (tenant, ids)
}

fn ids(found: Vec<(TenantId, TicketId)>) -> Vec<TicketId> {
    found.into_iter().map(|(_, id)| id).collect()
}

/// `claim_sla_due` hands out the due tickets in `sla_due` order, each once within its
/// lease: a second claim takes the next ones, `sla_due` no longer sees the claimed ones
/// before the lease ends, and after it (a sweeper that died) they are claimed again. A
/// `save_sla` or a stale mark ends the claim.
pub async fn claim_sla_due_hands_each_ticket_out_once_per_lease(store: Arc<dyn Store>) {
    let now = fixtures::epoch();
    let lease = Duration::minutes(2);
    let (tenant, due) = due_tickets(&*store, 5, now - Duration::minutes(1)).await;
    let first = ids(store.claim_sla_due(now, lease, 3).await.expect("claim"));
    assert_eq!(first, due[..3], "the earliest first, by id");
    let second = ids(store.claim_sla_due(now, lease, 3).await.expect("claim"));
    assert_eq!(second, due[3..], "the next claim takes the others");
    assert!(store
        .claim_sla_due(now, lease, 3)
        .await
        .expect("claim")
        .is_empty());
    assert!(
        store.sla_due(now, 10).await.expect("sla_due").is_empty(),
        "claimed tickets are not due during the lease"
    );
    let later = now + lease;
    assert_eq!(ids(store.sla_due(later, 10).await.expect("sla_due")), due);
    let again = ids(store.claim_sla_due(later, lease, 10).await.expect("claim"));
    assert_eq!(again, due, "a lapsed claim is claimed again");

    // Ending a claim: the snapshot written by the sweeper, or a stale mark.
    let t = store.get_ticket(tenant, due[0]).await.expect("get");
    let next = fixtures::sla(Some(later - Duration::seconds(1)), false, false);
    assert!(store
        .save_sla(tenant, t.id, t.version, Some(&next))
        .await
        .expect("save_sla"));
    assert_eq!(
        ids(store.sla_due(later, 10).await.expect("sla_due")),
        vec![due[0]],
        "the saved snapshot's next_check applies again"
    );
    store
        .mark_sla_stale(tenant, later, None, 100)
        .await
        .expect("mark");
    assert_eq!(
        ids(store.sla_due(later, 10).await.expect("sla_due")),
        due,
        "a stale mark makes claimed tickets due again"
    );
}

/// Claimers racing for the same due tickets get disjoint batches that together hold
/// every due ticket.
pub async fn concurrent_sla_claimers_never_share(store: Arc<dyn Store>) {
    let now = fixtures::epoch();
    let (_, due) = due_tickets(&*store, 24, now - Duration::minutes(1)).await;
    let claimers: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut mine = Vec::new();
                for _ in 0..100 {
                    let got = store
                        .claim_sla_due(now, Duration::minutes(2), 4)
                        .await
                        .expect("claim");
                    if got.is_empty() {
                        return mine;
                    }
                    mine.extend(ids(got));
                    tokio::task::yield_now().await;
                }
                panic!("a claimer still got tickets after 100 claims: claims are handed out again");
            })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut total = 0;
    for claimer in claimers {
        let mine = claimer.await.expect("claimer");
        total += mine.len();
        seen.extend(mine);
    }
    assert_eq!(total, due.len(), "no ticket was claimed twice");
    assert_eq!(
        seen,
        due.into_iter().collect(),
        "every due ticket was claimed"
    );
}

/// A re-evaluation request is held by one claimer at a time, earliest request first;
/// progress is recorded only under the current claim and survives the claim's end (the
/// next claimer resumes after it); a newer request restarts the walk and ends the claim;
/// finishing removes it.
pub async fn sla_reevaluation_is_claimed_once_and_resumes(store: Arc<dyn Store>) {
    let now = fixtures::epoch();
    let lease = Duration::minutes(2);
    let (a, b) = (fixtures::tenant(), fixtures::tenant());
    assert_eq!(
        store
            .claim_sla_reevaluation(now, lease)
            .await
            .expect("claim"),
        None
    );
    store
        .request_sla_reevaluation(a, now)
        .await
        .expect("request");
    store
        .request_sla_reevaluation(b, now + Duration::seconds(1))
        .await
        .expect("request");
    let job_a = store
        .claim_sla_reevaluation(now, lease)
        .await
        .expect("claim")
        .expect("a pending request");
    assert_eq!(
        (job_a.tenant, job_a.requested_at, job_a.after),
        (a, now, None)
    );
    let job_b = store
        .claim_sla_reevaluation(now, lease)
        .await
        .expect("claim")
        .expect("the other request");
    assert_eq!(job_b.tenant, b);
    assert_ne!(job_a.claim, job_b.claim);
    assert_eq!(
        store
            .claim_sla_reevaluation(now, lease)
            .await
            .expect("claim"),
        None,
        "both are held"
    );
    let halfway = TicketId::new();
    assert!(store
        .advance_sla_reevaluation(&job_a, Some(halfway), now + lease)
        .await
        .expect("advance"));
    assert!(store
        .advance_sla_reevaluation(&job_b, None, now)
        .await
        .expect("finish"));
    assert!(
        !store
            .advance_sla_reevaluation(&job_b, None, now)
            .await
            .expect("finish again"),
        "a finished request is gone"
    );

    // a's holder dies: after the lease another claimer resumes after `halfway`.
    let later = now + lease;
    let resumed = store
        .claim_sla_reevaluation(later, lease)
        .await
        .expect("claim")
        .expect("the lapsed request");
    assert_eq!((resumed.tenant, resumed.after), (a, Some(halfway)));
    assert!(
        !store
            .advance_sla_reevaluation(&job_a, None, later)
            .await
            .expect("advance under a lapsed claim"),
        "the old claim no longer holds it"
    );

    // A newer change restarts the walk and ends the claim.
    store
        .request_sla_reevaluation(a, later)
        .await
        .expect("request again");
    assert!(!store
        .advance_sla_reevaluation(&resumed, Some(TicketId::new()), later + lease)
        .await
        .expect("advance after a new request"));
    let restarted = store
        .claim_sla_reevaluation(later, lease)
        .await
        .expect("claim")
        .expect("the new request");
    assert_eq!(
        (restarted.tenant, restarted.requested_at, restarted.after),
        (a, later, None)
    );
    // Releasing (held until now) lets the next claim take it at once.
    let next = TicketId::new();
    assert!(store
        .advance_sla_reevaluation(&restarted, Some(next), later)
        .await
        .expect("release"));
    let again = store
        .claim_sla_reevaluation(later, lease)
        .await
        .expect("claim")
        .expect("the released request");
    assert_eq!(again.after, Some(next));
    assert!(store
        .advance_sla_reevaluation(&again, None, later)
        .await
        .expect("finish"));
    assert_eq!(
        store
            .claim_sla_reevaluation(later + lease * 2, lease)
            .await
            .expect("claim"),
        None
    );
}

/// Claimers racing for pending re-evaluations each get different tenants.
pub async fn concurrent_reevaluation_claimers_never_share(store: Arc<dyn Store>) {
    let now = fixtures::epoch();
    let tenants: HashSet<TenantId> = (0..8).map(|_| fixtures::tenant()).collect();
    for t in &tenants {
        store
            .request_sla_reevaluation(*t, now)
            .await
            .expect("request");
    }
    let claimers: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while let Some(job) = store
                    .claim_sla_reevaluation(now, Duration::minutes(2))
                    .await
                    .expect("claim")
                {
                    mine.push(job.tenant);
                    assert!(mine.len() <= 8, "a claimer got a held request again");
                    tokio::task::yield_now().await;
                }
                mine
            })
        })
        .collect();
    let mut all = Vec::new();
    for claimer in claimers {
        all.extend(claimer.await.expect("claimer"));
    }
    assert_eq!(all.len(), tenants.len(), "no request was claimed twice");
    assert_eq!(all.into_iter().collect::<HashSet<_>>(), tenants);
}
