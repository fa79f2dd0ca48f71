//! `TicketStore`: the SLA bookkeeping (snapshot-only saves, marking tickets for
//! re-evaluation) and what a change, a failed change and a deletion leave for the reads
//! that queries, stats, the sweep and routing make.

use super::{agent, customer, insert};
use crate::event::EventKind;
use crate::id::TicketId;
use crate::ports::Store;
use crate::query::{StatsQuery, TicketQuery};
use crate::testkit::fixtures;
use crate::ticket::{Priority, Ticket};
use crate::workflow::StatusCategory;
use chrono::Duration;
use std::sync::Arc;

/// `save_sla` replaces the snapshot (as read back, as `sla_due` and stats see it) and
/// leaves the version and `updated_at` alone; with another version it writes nothing
/// and says so.
pub async fn save_sla_replaces_only_the_snapshot(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let now = fixtures::epoch();
    let r = customer(&*store, tenant, "ann").await;
    let t = insert(
        &*store,
        Ticket {
            sla: Some(fixtures::sla(Some(now + Duration::hours(1)), false, false)),
            ..fixtures::ticket(tenant, r.id)
        },
    )
    .await;
    let breached = fixtures::sla(Some(now - Duration::minutes(1)), false, true);
    assert!(store
        .save_sla(tenant, t.id, t.version, Some(&breached))
        .await
        .expect("save_sla"));
    let read = store.get_ticket(tenant, t.id).await.expect("get_ticket");
    assert_eq!(read.sla.as_ref(), Some(&breached));
    assert_eq!((read.version, read.updated_at), (t.version, t.updated_at));
    assert_eq!(
        store.sla_due(now, 10).await.expect("sla_due"),
        vec![(tenant, t.id)]
    );
    let stats = store
        .stats(tenant, &StatsQuery::default())
        .await
        .expect("stats");
    assert_eq!(stats.sla.breached, 1, "stats read the new snapshot");

    assert!(
        !store
            .save_sla(tenant, t.id, t.version + 1, None)
            .await
            .expect("save_sla (other version)"),
        "another version writes nothing"
    );
    assert!(!store
        .save_sla(fixtures::tenant(), t.id, t.version, None)
        .await
        .expect("save_sla (other tenant)"));
    assert_eq!(
        store.get_ticket(tenant, t.id).await.expect("get").sla,
        Some(breached)
    );
    assert!(store
        .save_sla(tenant, t.id, t.version, None)
        .await
        .expect("save_sla (none)"));
    assert_eq!(store.get_ticket(tenant, t.id).await.expect("get").sla, None);
    assert!(store.sla_due(now, 10).await.expect("sla_due").is_empty());
}

/// `mark_sla_stale` makes the tenant's open tickets (with or without a snapshot) due
/// from `now`, in id-ordered batches with a cursor, never solved ones or another
/// tenant's; a save of the ticket (or `save_sla`) clears the mark, and an earlier
/// `next_check` stays earlier.
pub async fn mark_sla_stale_walks_open_tickets_in_batches(store: Arc<dyn Store>) {
    let (a, b) = (fixtures::tenant(), fixtures::tenant());
    let now = fixtures::epoch();
    let ra = customer(&*store, a, "ann").await;
    let rb = customer(&*store, b, "ann").await;
    let mut open = Vec::new();
    for i in 0..5 {
        let sla = (i % 2 == 0).then(|| fixtures::sla(Some(now + Duration::hours(2)), false, false));
        open.push(
            insert(
                &*store,
                Ticket {
                    sla,
                    ..fixtures::ticket(a, ra.id)
                },
            )
            .await,
        );
    }
    let early = insert(
        &*store,
        Ticket {
            sla: Some(fixtures::sla(Some(now - Duration::hours(1)), false, false)),
            ..fixtures::ticket(a, ra.id)
        },
    )
    .await;
    open.push(early.clone());
    let solved = insert(
        &*store,
        fixtures::with_status(fixtures::ticket(a, ra.id), StatusCategory::Solved),
    )
    .await;
    let other = insert(&*store, fixtures::ticket(b, rb.id)).await;
    assert_eq!(
        store.sla_due(now, 100).await.expect("sla_due"),
        vec![(a, early.id)]
    );

    let mut after = None;
    let mut batches = 0;
    loop {
        batches += 1;
        assert!(batches <= 4, "the walk ends");
        after = store
            .mark_sla_stale(a, now, after, 4)
            .await
            .expect("mark_sla_stale");
        if after.is_none() {
            break;
        }
    }
    assert_eq!(batches, 2, "six open tickets in batches of four");
    let mut want: Vec<TicketId> = open
        .iter()
        .map(|t| t.id)
        .filter(|id| *id != early.id)
        .collect();
    want.sort();
    let due = store.sla_due(now, 100).await.expect("sla_due");
    assert_eq!(due[0], (a, early.id), "an earlier check stays earlier");
    let marked: Vec<TicketId> = due[1..].iter().map(|(_, id)| *id).collect();
    assert_eq!(
        marked, want,
        "every open ticket of the tenant, by id at equal times"
    );
    assert!(!due
        .iter()
        .any(|(_, id)| *id == solved.id || *id == other.id));
    assert!(
        store
            .sla_due(now - Duration::seconds(1), 100)
            .await
            .expect("sla_due")
            .len()
            == 1,
        "marked from `now` on"
    );

    // A save writes the snapshot and clears the mark; so does save_sla.
    let first = store.get_ticket(a, want[0]).await.expect("get");
    store
        .save(&fixtures::update(&first))
        .await
        .expect("save (update)");
    let second = store.get_ticket(a, want[1]).await.expect("get");
    assert!(store
        .save_sla(a, second.id, second.version, second.sla.as_ref())
        .await
        .expect("save_sla"));
    let due: Vec<TicketId> = store
        .sla_due(now, 100)
        .await
        .expect("sla_due")
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    assert!(
        !due.contains(&first.id) && !due.contains(&second.id),
        "{due:?}"
    );
    assert_eq!(due.len(), 4);
}

/// Tickets whose `next_check` is the same instant are all returned (ordered by id), and
/// the limit cuts among them.
pub async fn sla_due_returns_every_equal_next_check(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let now = fixtures::epoch();
    let r = customer(&*store, tenant, "ann").await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let t = insert(
            &*store,
            Ticket {
                sla: Some(fixtures::sla(
                    Some(now - Duration::minutes(5)),
                    false,
                    false,
                )),
                ..fixtures::ticket(tenant, r.id)
            },
        )
        .await;
        ids.push(t.id);
    }
    ids.sort();
    let due: Vec<TicketId> = store
        .sla_due(now, 10)
        .await
        .expect("sla_due")
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    assert_eq!(due, ids);
    let due: Vec<TicketId> = store
        .sla_due(now, 3)
        .await
        .expect("sla_due")
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    assert_eq!(due, ids[..3]);
}

/// An update is what every read sees next: the list filters, stats, `sla_due` and the
/// agent loads routing reads.
pub async fn updates_refresh_queries_stats_sla_due_and_loads(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let now = fixtures::epoch();
    let r = customer(&*store, tenant, "ann").await;
    let bob = agent(&*store, tenant, "bob", &[]).await;
    let t = insert(
        &*store,
        Ticket {
            sla: Some(fixtures::sla(Some(now + Duration::hours(1)), false, false)),
            ..fixtures::ticket(tenant, r.id)
        },
    )
    .await;
    let mut change = fixtures::update(&t);
    change.ticket = Ticket {
        priority: Priority::Critical,
        assignee: Some(bob.id),
        assigned_at: Some(now),
        sla: Some(fixtures::sla(Some(now - Duration::minutes(1)), true, true)),
        ..fixtures::with_status(change.ticket, StatusCategory::Open)
    };
    store.save(&change).await.expect("save (update)");

    let critical = store
        .list_tickets(
            tenant,
            &TicketQuery {
                priorities: vec![Priority::Critical],
                ..TicketQuery::default()
            },
        )
        .await
        .expect("list_tickets");
    assert_eq!(critical.items.len(), 1, "the filter sees the new priority");
    let stats = store
        .stats(tenant, &StatsQuery::default())
        .await
        .expect("stats");
    assert_eq!(stats.by_priority.get("critical"), Some(&1));
    assert_eq!(stats.by_status.get("open"), Some(&1));
    assert_eq!(stats.sla.breached, 1);
    assert_eq!(
        store.sla_due(now, 10).await.expect("sla_due"),
        vec![(tenant, t.id)]
    );
    let loads = store.agent_loads(tenant, None).await.expect("agent_loads");
    let load = loads.iter().find(|l| l.user_id == bob.id).expect("bob");
    assert_eq!(load.open_tickets, 1);
    assert_eq!(load.last_assigned_at, Some(now));

    // Solved and unassigned: the loads and the open counts drop.
    let stored = store.get_ticket(tenant, t.id).await.expect("get");
    let mut change = fixtures::update(&stored);
    change.ticket = Ticket {
        assignee: None,
        assigned_at: None,
        sla: None,
        ..fixtures::with_status(change.ticket, StatusCategory::Solved)
    };
    store.save(&change).await.expect("save (solve)");
    let loads = store.agent_loads(tenant, None).await.expect("agent_loads");
    let load = loads.iter().find(|l| l.user_id == bob.id).expect("bob");
    assert_eq!(load.open_tickets, 0);
    assert!(store.sla_due(now, 10).await.expect("sla_due").is_empty());
    let stats = store
        .stats(tenant, &StatsQuery::default())
        .await
        .expect("stats");
    assert_eq!(stats.open, 0);
}

/// A change that fails after its ticket row (an event id already stored) writes
/// nothing: not the ticket, not its comments, not its other events.
pub async fn a_change_failing_on_a_duplicate_event_writes_nothing(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let now = fixtures::epoch();
    let r = customer(&*store, tenant, "ann").await;
    let t = insert(&*store, fixtures::ticket(tenant, r.id)).await;
    let history = store.ticket_events(tenant, t.id).await.expect("events");
    let mut change = fixtures::update(&t);
    change.ticket.priority = Priority::Critical;
    change.ticket.sla = Some(fixtures::sla(Some(now - Duration::minutes(1)), false, true));
    change.comments.push(fixtures::comment(
        &t,
        crate::ticket::Visibility::Public,
        "hello",
        now,
    ));
    change.events.push(fixtures::event(
        &t,
        EventKind::PriorityChanged {
            from: t.priority,
            to: Priority::Critical,
        },
        now,
    ));
    // The second event reuses the id of the stored `Created` event.
    change.events.push(history[0].clone());
    assert!(
        store.save(&change).await.is_err(),
        "a save with a duplicate event id fails"
    );
    assert_eq!(store.get_ticket(tenant, t.id).await.expect("get"), t);
    assert_eq!(
        store.ticket_events(tenant, t.id).await.expect("events"),
        history
    );
    assert!(fixtures::all_comments(store.as_ref(), tenant, t.id, true)
        .await
        .expect("comments")
        .is_empty());
    assert!(store.sla_due(now, 10).await.expect("sla_due").is_empty());
}

/// After a deletion, stats and `sla_due` no longer see the ticket.
pub async fn a_deleted_ticket_leaves_stats_and_sla_due(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let now = fixtures::epoch();
    let r = customer(&*store, tenant, "ann").await;
    let t = insert(
        &*store,
        Ticket {
            sla: Some(fixtures::sla(Some(now - Duration::minutes(1)), false, true)),
            ..fixtures::ticket(tenant, r.id)
        },
    )
    .await;
    let deleted = fixtures::event(&t, EventKind::Deleted, now);
    store
        .delete_ticket(tenant, t.id, &deleted, &[])
        .await
        .expect("delete_ticket");
    assert!(store.sla_due(now, 10).await.expect("sla_due").is_empty());
    let stats = store
        .stats(tenant, &StatsQuery::default())
        .await
        .expect("stats");
    assert_eq!((stats.total, stats.sla.breached), (0, 0));
    assert!(store
        .mark_sla_stale(tenant, now, None, 10)
        .await
        .expect("mark_sla_stale")
        .is_none());
    assert!(store.sla_due(now, 10).await.expect("sla_due").is_empty());
}
