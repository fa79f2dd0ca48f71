//! HelpDesk behaviour: the background work behind a policy change. The admin request only
//! records the re-evaluation; sweeps carry it out in bounded batches, resume a walk an
//! instance left half-way, and walk a tenant once however many instances sweep.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test set-up may unwrap

mod common;

use chrono::Duration;
use common::{start, world_with};
use ticket_core::desk::SlaPolicyInput;
use ticket_core::ports::TicketStore as _;
use ticket_core::sla::{SlaCondition, SlaTargets};
use ticket_core::HelpDeskConfig;

fn everything() -> SlaPolicyInput {
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
    }
}

#[tokio::test]
async fn a_policy_change_is_recorded_then_walked_by_sweeps_and_resumed_after_a_crash() {
    let w = world_with(|b| {
        b.config(HelpDeskConfig {
            sweep_batch: 2,
            ..common::config()
        })
    })
    .await;
    let mut tickets = Vec::new();
    for i in 0..7 {
        tickets.push(w.ticket(&w.customer, &format!("Ticket {i}")).await);
    }
    w.desk
        .create_sla_policy(&w.admin, everything())
        .await
        .unwrap();
    let now = start();
    assert!(
        w.store.sla_due(now, 100).await.unwrap().is_empty(),
        "the admin request marked nothing itself"
    );

    // An instance claims the walk, marks one batch and dies.
    let lease = common::config().sweep_lease;
    let job = w
        .store
        .claim_sla_reevaluation(now, lease)
        .await
        .unwrap()
        .expect("the request is pending");
    let after = w
        .store
        .mark_sla_stale(w.tenant, now, None, 2)
        .await
        .unwrap();
    assert!(w
        .store
        .advance_sla_reevaluation(&job, after, now + lease)
        .await
        .unwrap());

    // While its claim lasts, sweeps leave the walk alone and handle what it marked.
    let report = w.desk.sweep_sla(now + Duration::minutes(1)).await.unwrap();
    assert_eq!((report.stale_batches, report.checked), (0, 2));
    // After it, a sweep resumes where the walk stopped: 5 tickets left in batches of 2.
    let report = w.desk.sweep_sla(now + lease).await.unwrap();
    assert_eq!((report.stale_batches, report.checked), (3, 5));
    for t in &tickets {
        let t = w.desk.get_ticket(&w.admin, t.id).await.unwrap();
        let sla = t.sla.expect("every open ticket was re-evaluated");
        assert_eq!(
            sla.first_response_due,
            Some(t.created_at + Duration::minutes(60))
        );
    }
    // The walk is done: nothing is pending any more.
    let report = w.desk.sweep_sla(now + lease * 2).await.unwrap();
    assert_eq!((report.stale_batches, report.checked), (0, 0));
    assert!(w
        .store
        .claim_sla_reevaluation(now + lease * 3, lease)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_change_during_a_walk_restarts_it() {
    let w = world_with(|b| {
        b.config(HelpDeskConfig {
            sweep_batch: 2,
            ..common::config()
        })
    })
    .await;
    for i in 0..5 {
        w.ticket(&w.customer, &format!("Ticket {i}")).await;
    }
    let now = start();
    let lease = common::config().sweep_lease;
    w.desk
        .create_sla_policy(&w.admin, everything())
        .await
        .unwrap();
    let job = w
        .store
        .claim_sla_reevaluation(now, lease)
        .await
        .unwrap()
        .unwrap();
    // A second change while the first walk is under way.
    w.desk
        .create_sla_policy(
            &w.admin,
            SlaPolicyInput {
                name: "Also".into(),
                ..everything()
            },
        )
        .await
        .unwrap();
    assert!(
        !w.store
            .advance_sla_reevaluation(&job, None, now)
            .await
            .unwrap(),
        "the first walk can no longer finish the second change's request"
    );
    let report = w.desk.sweep_sla(now).await.unwrap();
    assert_eq!((report.stale_batches, report.checked), (3, 5));
}
