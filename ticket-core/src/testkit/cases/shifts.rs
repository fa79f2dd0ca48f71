//! The workforce port ([`crate::ports::ShiftStore`]) and the capacity check of a routed
//! save ([`crate::ports::CapacityCheck`]).

use super::{agent, customer, expect_not_found, expect_unique, expect_version_conflict, insert};
use crate::error::{Conflict, Error};
use crate::ports::{CapacityCheck, Store};
use crate::query::UserQuery;
use crate::testkit::fixtures;
use crate::ticket::Ticket;
use crate::workflow::StatusCategory;
use crate::workforce::{OneOffShift, ShiftRecord, ShiftSchedule, Span, WeeklyShift};
use chrono::{Duration, NaiveTime, Weekday};
use futures::future::join_all;
use std::sync::Arc;

/// A schedule is created once, read back whole, replaced against its version, and
/// listed per tenant (all, or of given agents).
pub async fn schedules_round_trip_with_versions(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let (ann, bob) = (
        agent(&*store, tenant, "ann", &[]).await,
        agent(&*store, tenant, "bob", &[]).await,
    );
    let now = fixtures::now();
    let mut s = ShiftSchedule::new(tenant, ann.id, chrono_tz::Europe::Paris, now);
    s.weekly.push(WeeklyShift {
        weekday: Weekday::Tue,
        start: NaiveTime::from_hms_opt(8, 30, 0).expect("time"),
        end: NaiveTime::from_hms_opt(16, 30, 0).expect("time"),
        breaks: vec![],
    });
    s.one_off.push(OneOffShift {
        start: now,
        end: now + Duration::hours(4),
        breaks: vec![Span::new(
            now + Duration::hours(1),
            now + Duration::hours(2),
        )],
    });
    assert_eq!(store.get_schedule(tenant, ann.id).await.expect("get"), None);
    store.save_schedule(&s, None).await.expect("create");
    expect_unique(
        store.save_schedule(&s, None).await,
        "user",
        "a second create",
    );
    assert_eq!(
        store.get_schedule(tenant, ann.id).await.expect("get"),
        Some(s.clone())
    );
    let mut next = s.clone();
    next.weekly.clear();
    next.version = 2;
    store.save_schedule(&next, Some(1)).await.expect("replace");
    let mut stale = s.clone();
    stale.version = 2;
    expect_version_conflict(
        store.save_schedule(&stale, Some(1)).await,
        1,
        "a stale replace",
    );
    let mut missing = ShiftSchedule::new(tenant, bob.id, chrono_tz::UTC, now);
    missing.version = 2;
    expect_not_found(
        store.save_schedule(&missing, Some(1)).await,
        "replace of none",
    );
    let bobs = ShiftSchedule::new(tenant, bob.id, chrono_tz::UTC, now);
    store
        .save_schedule(&bobs, None)
        .await
        .expect("create bob's");
    let all = store.list_schedules(tenant, &[]).await.expect("list");
    assert_eq!(all.len(), 2);
    let only = store.list_schedules(tenant, &[bob.id]).await.expect("list");
    assert_eq!(only, vec![bobs]);
    let other = fixtures::tenant();
    assert!(store
        .list_schedules(other, &[])
        .await
        .expect("list")
        .is_empty());
    assert_eq!(store.get_schedule(other, ann.id).await.expect("get"), None);
}

/// An agent has at most one open shift; a record is updated against its version;
/// history lists the records overlapping a range, oldest first, per agent or all; the
/// open shifts of every tenant are found by start.
pub async fn shift_records_one_open_per_agent(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let (ann, bob) = (
        agent(&*store, tenant, "ann", &[]).await,
        agent(&*store, tenant, "bob", &[]).await,
    );
    let t0 = fixtures::now() - Duration::hours(10);
    let h = Duration::hours;
    let mut first = ShiftRecord::start(tenant, ann.id, t0);
    store.save_shift(&first, None).await.expect("start");
    expect_unique(
        store
            .save_shift(&ShiftRecord::start(tenant, ann.id, t0 + h(1)), None)
            .await,
        "open_shift",
        "a second open shift",
    );
    expect_unique(store.save_shift(&first, None).await, "id", "a taken id");
    assert_eq!(
        store.open_shift(tenant, ann.id).await.expect("open"),
        Some(first.clone())
    );
    first.start_break(t0 + h(1)).expect("break");
    store
        .save_shift(&first, Some(1))
        .await
        .expect("break saved");
    let stale = first.clone();
    first.end(t0 + h(3), false).expect("end");
    store.save_shift(&first, Some(2)).await.expect("end saved");
    expect_version_conflict(store.save_shift(&stale, Some(1)).await, 1, "a stale write");
    assert_eq!(store.open_shift(tenant, ann.id).await.expect("open"), None);
    let second = ShiftRecord::start(tenant, ann.id, t0 + h(5));
    store.save_shift(&second, None).await.expect("a new shift");
    let bobs = ShiftRecord::start(tenant, bob.id, t0 + h(4));
    store.save_shift(&bobs, None).await.expect("bob's shift");

    let all = Span::new(t0 - h(1), t0 + h(10));
    let listed = store
        .list_shifts(tenant, None, all, 100)
        .await
        .expect("list");
    assert_eq!(listed, vec![first.clone(), bobs.clone(), second.clone()]);
    let anns = store
        .list_shifts(tenant, Some(ann.id), all, 100)
        .await
        .expect("list");
    assert_eq!(anns, vec![first.clone(), second.clone()]);
    // After the first ended: only the open ones overlap.
    let later = Span::new(t0 + h(3), t0 + h(10));
    let listed = store
        .list_shifts(tenant, None, later, 100)
        .await
        .expect("list");
    assert_eq!(listed, vec![bobs.clone(), second.clone()]);
    let limited = store.list_shifts(tenant, None, all, 1).await.expect("list");
    assert_eq!(limited, vec![first]);
    let open = store
        .open_shifts(t0 + h(6), 100)
        .await
        .expect("open shifts");
    let open_here: Vec<ShiftRecord> = open.into_iter().filter(|r| r.tenant == tenant).collect();
    assert_eq!(open_here, vec![bobs, second]);
    assert!(store
        .list_shifts(fixtures::tenant(), None, all, 100)
        .await
        .expect("list")
        .is_empty());
}

/// A ticket of `requester` assigned to `agent` in `category`.
fn held(
    tenant: crate::TenantId,
    requester: crate::id::UserId,
    agent: crate::id::UserId,
    c: StatusCategory,
) -> Ticket {
    Ticket {
        assignee: Some(agent),
        assigned_at: Some(fixtures::now()),
        ..fixtures::with_status(fixtures::ticket(tenant, requester), c)
    }
}

/// A save with a capacity check is refused (and writes nothing) once the agent holds
/// `capacity` working tickets (New or Open; Pending and Solved do not count), and
/// twenty such saves at once for an agent of capacity five store exactly five.
pub async fn routed_saves_hold_the_agent_to_capacity(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let requester = customer(&*store, tenant, "ann").await;
    let bob = agent(&*store, tenant, "bob", &[]).await;
    for c in [
        StatusCategory::New,
        StatusCategory::Open,
        StatusCategory::Pending,
        StatusCategory::Solved,
    ] {
        insert(&*store, held(tenant, requester.id, bob.id, c)).await;
    }
    let check = |capacity| {
        Some(CapacityCheck {
            agent: bob.id,
            capacity,
        })
    };
    // Two working tickets held: a third fits capacity 3, not capacity 2.
    let mut full = fixtures::create(held(tenant, requester.id, bob.id, StatusCategory::New));
    full.capacity = check(2);
    match store.save(&full).await {
        Err(Error::Conflict(Conflict::Capacity { agent })) => assert_eq!(agent, bob.id),
        other => panic!("expected Conflict(Capacity), got {other:?}"),
    }
    expect_not_found(
        store.get_ticket(tenant, full.ticket.id).await,
        "a refused save writes nothing",
    );
    full.capacity = check(3);
    store.save(&full).await.expect("room for a third");
    // An update of a ticket the agent already holds does not count it twice.
    let mut again = fixtures::update(&full.ticket);
    again.capacity = check(3);
    store
        .save(&again)
        .await
        .expect("the ticket itself is not counted");
    let loads = store.agent_loads(tenant, None).await.expect("agent_loads");
    let load = loads.iter().find(|l| l.user_id == bob.id).expect("bob");
    assert_eq!(
        load.open_tickets, 3,
        "New and Open count, Pending and Solved not"
    );

    // A burst: capacity 8 with 3 held leaves five slots for twenty saves.
    let burst = join_all((0..20).map(|_| {
        let store = store.clone();
        let mut change = fixtures::create(held(tenant, requester.id, bob.id, StatusCategory::New));
        change.capacity = check(8);
        async move { store.save(&change).await }
    }))
    .await;
    let stored = burst.iter().filter(|r| r.is_ok()).count();
    assert_eq!(stored, 5, "exactly the free slots are taken: {burst:?}");
    assert!(burst
        .iter()
        .all(|r| matches!(r, Ok(()) | Err(Error::Conflict(Conflict::Capacity { .. })))));
}

/// `available: Some(true)` lists the agents taking work (online), `Some(false)` the
/// other staff; customers are in neither.
pub async fn list_users_by_availability(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    customer(&*store, tenant, "ann").await;
    let on = agent(&*store, tenant, "bob", &[]).await;
    let mut away = fixtures::agent(tenant, "cid", &[]);
    if let Some(p) = away.agent.as_mut() {
        p.availability = crate::account::Availability::Away;
    }
    store.create_user(&away).await.expect("create_user");
    let list = |available| {
        let store = store.clone();
        async move {
            store
                .list_users(
                    tenant,
                    &UserQuery {
                        available,
                        limit: 100,
                        ..UserQuery::default()
                    },
                )
                .await
                .expect("list_users")
                .items
                .into_iter()
                .map(|u| u.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list(Some(true)).await, vec![on.id]);
    assert_eq!(list(Some(false)).await, vec![away.id]);
    assert_eq!(list(None).await.len(), 3);
}
