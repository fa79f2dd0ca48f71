//! `TicketStore::stats`, FAQ deflection: the store counts the `faq_suggested`,
//! `faq_confirmed` and `faq_rejected` events of the tickets in scope (window, team,
//! tenant) with its own aggregation.

use super::{customer, team};
use crate::event::EventKind;
use crate::id::FaqId;
use crate::ports::Store;
use crate::query::{DeflectionStats, StatsQuery};
use crate::testkit::fixtures;
use crate::ticket::Ticket;
use chrono::Duration;
use std::sync::Arc;

/// Deflection counts follow the tickets in scope: every FAQ event of a ticket in the
/// window and team counts, events of tickets outside it (or of another tenant) do not.
pub async fn faq_deflection_counts(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let requester = customer(&*store, tenant, "ann").await.id;
    let x = team(&*store, tenant, "Xray").await.id;
    let base = fixtures::epoch();
    let faq = FaqId::new();
    let suggested = EventKind::FaqSuggested {
        faq_id: faq,
        score: 0.8,
    };
    // (created after base, team, FAQ events after `Created`)
    let plan: [(i64, bool, Vec<EventKind>); 4] = [
        (
            0,
            true,
            vec![suggested.clone(), EventKind::FaqConfirmed { faq_id: faq }],
        ),
        (
            1,
            true,
            vec![suggested.clone(), EventKind::FaqRejected { faq_id: faq }],
        ),
        (2, false, vec![suggested.clone()]),
        (3, false, vec![]),
    ];
    for (day, in_team, kinds) in plan {
        let at = base + Duration::days(day);
        let t = Ticket {
            team: in_team.then_some(x),
            ..fixtures::ticket_at(tenant, requester, at)
        };
        let mut change = fixtures::create(t.clone());
        for (i, kind) in kinds.into_iter().enumerate() {
            let offset = Duration::minutes(i64::try_from(i).unwrap_or(0) + 1);
            change.events.push(fixtures::event(&t, kind, at + offset));
        }
        store.save(&change).await.expect("save (create)");
    }
    // Another tenant's deflection never counts.
    let other = fixtures::tenant();
    let bob = customer(&*store, other, "bob").await.id;
    let t = fixtures::ticket_at(other, bob, base);
    let mut change = fixtures::create(t.clone());
    change.events.push(fixtures::event(&t, suggested, base));
    store.save(&change).await.expect("save (create)");

    let stats = |q: StatsQuery| {
        let store = Arc::clone(&store);
        async move { store.stats(tenant, &q).await.expect("stats").deflection }
    };
    let all = stats(StatsQuery::default()).await;
    assert_eq!(
        all,
        DeflectionStats {
            suggested: 3,
            confirmed: 1,
            rejected: 1
        },
        "every ticket of the tenant"
    );
    assert!((all.deflection_rate() - 1.0 / 3.0).abs() < 1e-9);
    assert!((all.reopen_rate() - 1.0 / 3.0).abs() < 1e-9);
    let team_only = stats(StatsQuery {
        team: Some(x),
        ..StatsQuery::default()
    })
    .await;
    assert_eq!(
        team_only,
        DeflectionStats {
            suggested: 2,
            confirmed: 1,
            rejected: 1
        },
        "the team's tickets"
    );
    let late = stats(StatsQuery {
        from: Some(base + Duration::days(2)),
        ..StatsQuery::default()
    })
    .await;
    assert_eq!(
        late,
        DeflectionStats {
            suggested: 1,
            confirmed: 0,
            rejected: 0
        },
        "tickets created in the window"
    );
}
