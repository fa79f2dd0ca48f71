//! `VolumeStore`: hourly created counts and handle time, with the window, team and
//! category scopes, other tenants and deleted tickets left out.

use super::{agent, customer, insert, team};
use crate::event::EventKind;
use crate::id::{TeamId, TenantId, UserId};
use crate::ports::{HandleTime, HourlyCount, Store, VolumeQuery};
use crate::testkit::fixtures;
use crate::ticket::Ticket;
use chrono::{DateTime, Duration, DurationRound as _, Utc};
use std::sync::Arc;

/// The start of the hour holding `at`.
fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::hours(1)).expect("an hour")
}

struct Seed {
    tenant: TenantId,
    base: DateTime<Utc>,
    x: TeamId,
    a: UserId,
}

/// `base` is the fixtures' epoch (mid-hour). Tickets at +0 min (billing, team X),
/// +20 min (technical), +1 h (billing, team X), +3 h 10 min (billing) and +5 h
/// (billing: deleted); one of another tenant at +0 min.
async fn seed(store: &dyn Store) -> Seed {
    let tenant = fixtures::tenant();
    let requester = customer(store, tenant, "ann").await.id;
    let x = team(store, tenant, "Xray").await.id;
    let a = agent(store, tenant, "agent-a", &[x]).await.id;
    let base = fixtures::epoch();
    let make = |minutes: i64, category: &str, team: Option<TeamId>| Ticket {
        category: fixtures::category(category),
        team,
        ..fixtures::ticket_at(tenant, requester, base + Duration::minutes(minutes))
    };
    insert(store, make(0, "billing", Some(x))).await;
    insert(store, make(20, "technical", None)).await;
    insert(store, make(60, "billing", Some(x))).await;
    insert(store, make(190, "billing", None)).await;
    let gone = insert(store, make(300, "billing", None)).await;
    let deleted = fixtures::event(&gone, EventKind::Deleted, base + Duration::hours(6));
    store
        .delete_ticket(tenant, gone.id, &deleted, &[])
        .await
        .expect("delete_ticket");
    let other = fixtures::tenant();
    let stranger = customer(store, other, "bob").await.id;
    insert(store, fixtures::ticket_at(other, stranger, base)).await;
    Seed { tenant, base, x, a }
}

fn query(s: &Seed, hours: i64) -> VolumeQuery {
    VolumeQuery {
        from: hour_of(s.base),
        to: hour_of(s.base) + Duration::hours(hours),
        team: None,
        category: None,
    }
}

async fn counts(store: &dyn Store, s: &Seed, q: &VolumeQuery) -> Vec<(i64, u64)> {
    store
        .hourly_created(s.tenant, q)
        .await
        .expect("hourly_created")
        .into_iter()
        .map(|HourlyCount { hour, tickets }| ((hour - hour_of(s.base)).num_hours(), tickets))
        .collect()
}

/// Counts per hour of creation (empty hours left out), by hour; the window is
/// `[from, to)`; team and category filter; deleted tickets and other tenants never count.
pub async fn hourly_counts_by_hour_and_scope(store: Arc<dyn Store>) {
    let s = seed(store.as_ref()).await;
    let all = query(&s, 24);
    // +0 and +20 min share hour 0 unless the epoch's minute pushes +20 into hour 1
    let minute = (s.base - hour_of(s.base)).num_minutes();
    let expected: Vec<(i64, u64)> = if minute + 20 < 60 {
        vec![(0, 2), (1, 1), (3, 1)]
    } else {
        vec![(0, 1), (1, 2), (3, 1)]
    };
    assert_eq!(
        counts(store.as_ref(), &s, &all).await,
        expected,
        "all tickets"
    );
    let window = VolumeQuery {
        from: s.base + Duration::minutes(1),
        to: s.base + Duration::minutes(190),
        ..all.clone()
    };
    let in_window: u64 = counts(store.as_ref(), &s, &window)
        .await
        .iter()
        .map(|c| c.1)
        .sum();
    assert_eq!(in_window, 2, "[from, to) holds +20 min and +1 h");
    let team = VolumeQuery {
        team: Some(s.x),
        ..all.clone()
    };
    assert_eq!(
        counts(store.as_ref(), &s, &team).await,
        vec![(0, 1), (1, 1)],
        "team"
    );
    let category = VolumeQuery {
        category: Some(fixtures::category("billing")),
        ..all.clone()
    };
    let billing: u64 = counts(store.as_ref(), &s, &category)
        .await
        .iter()
        .map(|c| c.1)
        .sum();
    assert_eq!(billing, 3, "billing, the deleted one left out");
    let empty = VolumeQuery {
        team: Some(TeamId::new()),
        ..all
    };
    assert!(counts(store.as_ref(), &s, &empty).await.is_empty());
}

/// The mean from assignment to first reply over tickets assigned then answered; none
/// measured gives `None`.
pub async fn handle_time_from_assignment_to_first_reply(store: Arc<dyn Store>) {
    let s = seed(store.as_ref()).await;
    let tenant = s.tenant;
    let requester = customer(store.as_ref(), tenant, "cid").await.id;
    let at = |m: i64| s.base + Duration::minutes(m);
    let make = |created: i64, assigned: Option<i64>, answered: Option<i64>, cat: &str| Ticket {
        category: fixtures::category(cat),
        assignee: assigned.map(|_| s.a),
        assigned_at: assigned.map(at),
        first_response_at: answered.map(at),
        ..fixtures::ticket_at(tenant, requester, at(created))
    };
    insert(store.as_ref(), make(0, Some(10), Some(40), "account")).await; // 30 min
    insert(store.as_ref(), make(5, Some(5), Some(95), "account")).await; // 90 min
    insert(store.as_ref(), make(6, Some(6), None, "account")).await; // not answered
    insert(store.as_ref(), make(7, None, Some(20), "account")).await; // never assigned
    insert(store.as_ref(), make(8, Some(60), Some(30), "account")).await; // reassigned later
    let q = VolumeQuery {
        category: Some(fixtures::category("account")),
        ..query(&s, 24)
    };
    let measured = store.handle_time(tenant, &q).await.expect("handle_time");
    assert_eq!(measured.tickets, 2, "{measured:?}");
    let mean = measured.mean_secs.expect("a mean");
    assert!(
        (mean - 3600.0).abs() < 1e-3,
        "mean of 30 and 90 min: {mean}"
    );
    let none = VolumeQuery {
        category: Some(fixtures::category("billing")),
        ..q
    };
    assert_eq!(
        store.handle_time(tenant, &none).await.expect("handle_time"),
        HandleTime {
            tickets: 0,
            mean_secs: None
        }
    );
}
