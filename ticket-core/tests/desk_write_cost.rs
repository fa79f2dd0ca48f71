//! HelpDesk behaviour: what one ticket write costs in store round trips. The 200th write
//! of a long-running ticket under an SLA policy reads none of its history (the replay
//! kept on the ticket goes on with the write's own events), and the SLA it stores still
//! agrees with a full evaluation of the history
//! (`cargo test -p ticket-core --features testkit --test desk_write_cost`).
#![cfg(feature = "testkit")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test set-up may unwrap

mod common;

use chrono::Duration;
use common::{account, start};
use std::sync::Arc;
use ticket_core::account::{Availability, Role};
use ticket_core::clock::ManualClock;
use ticket_core::desk::SlaPolicyInput;
use ticket_core::memory::MemoryStore;
use ticket_core::sla::{SlaCondition, SlaTargets};
use ticket_core::testkit::{desk_setup, CountingStore, DeskSetup};
use ticket_core::ticket::TicketInput;
use ticket_core::{Actor, HelpDesk};

#[tokio::test]
async fn the_200th_write_of_a_ticket_reads_none_of_its_history() {
    let counting = CountingStore::new(Arc::new(MemoryStore::new()));
    let clock = Arc::new(ManualClock::new(start()));
    let DeskSetup {
        desk,
        tenant,
        admin,
        customer,
    } = desk_setup(
        HelpDesk::builder(Arc::new(counting.clone()))
            .clock(clock.clone())
            .config(common::config()),
    )
    .await;
    let bea = desk
        .create_user(&admin, account("bea"), Role::Agent)
        .await
        .unwrap();
    let agent = Actor::user(tenant, bea.id, Role::Agent);
    desk.set_availability(&agent, bea.id, Availability::Online)
        .await
        .unwrap();
    desk.create_sla_policy(
        &admin,
        SlaPolicyInput {
            name: "Everything".into(),
            position: 0,
            enabled: true,
            condition: SlaCondition::default(),
            targets: SlaTargets {
                first_response_minutes: Some(60),
                next_response_minutes: Some(120),
                resolution_minutes: Some(5 * 24 * 60),
            },
            calendar_id: None,
            warn_at_percent: 80,
        },
    )
    .await
    .unwrap();
    let t = desk
        .create_ticket(
            &customer,
            TicketInput {
                title: "A long conversation".into(),
                description: "It goes on and on".into(),
                ..TicketInput::default()
            },
        )
        .await
        .unwrap();

    // 199 writes after the create: the customer and the agent take turns.
    let write = |n: usize| {
        let desk = desk.clone();
        async move {
            let by = if n % 2 == 0 { &customer } else { &agent };
            desk.add_comment(by, t.id, &format!("Message {n}"), false)
                .await
                .unwrap();
        }
    };
    for n in 1..200 {
        clock.set(start() + Duration::minutes(i64::try_from(n).unwrap()));
        write(n).await;
    }
    clock.set(start() + Duration::minutes(200));
    counting.reset();
    write(200).await;
    let calls = counting.calls();
    println!("store calls of the 200th write: {calls:?}");
    assert_eq!(
        counting.count_of("ticket_events") + counting.count_of("ticket_events_page"),
        0,
        "the 200th write read the history: {calls:?}"
    );
    assert_eq!(counting.count_of("save"), 1);

    // What it stored agrees with a full evaluation of the 400-odd events.
    let stored = desk.get_ticket(&admin, t.id).await.unwrap().sla.unwrap();
    let full = desk.sla_status(&admin, t.id).await.unwrap().unwrap();
    let history = desk.history(&admin, t.id).await.unwrap();
    assert!(history.len() > 200, "{} events", history.len());
    let snapshot = full.snapshot();
    assert_eq!(
        (
            stored.next_response_due,
            stored.resolution_due,
            stored.next_check
        ),
        (
            snapshot.next_response_due,
            snapshot.resolution_due,
            snapshot.next_check
        )
    );
    assert_eq!(
        (stored.at_risk, stored.breached),
        (snapshot.at_risk, snapshot.breached)
    );
}

/// The create-cost scenario (`testkit::create_cost`, run by every SQL store on itself)
/// on the reference store: configuration reads and one save, with the AI on too (one
/// FAQ read, one matcher call, no search on the create's path).
#[tokio::test]
async fn create_cost_on_the_memory_store() {
    ticket_core::testkit::create_cost(Arc::new(MemoryStore::new()), "memory").await;
}

#[tokio::test]
async fn a_sweep_reads_its_batch_at_once_and_each_history_once() {
    let counting = CountingStore::new(Arc::new(MemoryStore::new()));
    let DeskSetup {
        desk,
        admin,
        customer,
        ..
    } = desk_setup(
        HelpDesk::builder(Arc::new(counting.clone()))
            .clock(Arc::new(ManualClock::new(start())))
            .config(common::config()),
    )
    .await;
    // Tickets raised before any policy: none has a replay on it, so the sweep must read
    // each history (once: the change it records carries that replay on).
    for i in 0..10 {
        desk.create_ticket(
            &customer,
            TicketInput {
                title: format!("Ticket {i}"),
                description: "Waiting".into(),
                ..TicketInput::default()
            },
        )
        .await
        .unwrap();
    }
    desk.create_sla_policy(
        &admin,
        SlaPolicyInput {
            name: "Everything".into(),
            position: 0,
            enabled: true,
            condition: SlaCondition::default(),
            targets: SlaTargets {
                first_response_minutes: Some(60),
                next_response_minutes: None,
                resolution_minutes: None,
            },
            calendar_id: None,
            warn_at_percent: 80,
        },
    )
    .await
    .unwrap();
    counting.reset();
    let report = desk
        .sweep_sla(start() + Duration::minutes(61))
        .await
        .unwrap();
    let calls = counting.calls();
    println!("store calls of a sweep over 10 due tickets: {calls:?}");
    assert_eq!((report.checked, report.breaches), (10, 10), "{report:?}");
    assert_eq!(counting.count_of("get_ticket"), 0, "{calls:?}");
    assert_eq!(counting.count_of("get_tickets"), 1, "{calls:?}");
    assert_eq!(counting.count_of("ticket_events"), 10, "{calls:?}");
    assert_eq!(counting.count_of("save"), 10, "{calls:?}");
}
