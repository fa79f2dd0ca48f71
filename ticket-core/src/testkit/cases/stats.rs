//! `TicketStore::stats`: totals, breakdowns, average per day, SLA outcomes, agent load,
//! and the window and team scopes (see [`Stats`] and [`days_spanned`]).

use super::{agent, customer, insert, team};
use crate::id::{TeamId, TenantId, UserId};
use crate::ports::Store;
use crate::query::{days_spanned, AgentLoadStat, SlaStats, Stats, StatsQuery};
use crate::testkit::fixtures;
use crate::ticket::{Priority, Ticket, TicketSla};
use crate::workflow::StatusCategory;
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Six tickets over four days (see each field's comment in [`Seed::new`]).
struct Seed {
    tenant: TenantId,
    base: DateTime<Utc>,
    x: TeamId,
    y: TeamId,
    a: UserId,
    b: UserId,
    c: UserId,
}

impl Seed {
    async fn new(store: &dyn Store) -> Self {
        let tenant = fixtures::tenant();
        let requester = customer(store, tenant, "ann").await.id;
        let x = team(store, tenant, "Xray").await.id;
        let y = team(store, tenant, "Yankee").await.id;
        let a = agent(store, tenant, "agent-a", &[x]).await.id;
        let b = agent(store, tenant, "agent-b", &[y]).await.id;
        let c = agent(store, tenant, "agent-c", &[y]).await.id;
        let base = fixtures::epoch();
        let sla = |at_risk, breached| Some(fixtures::sla(None, at_risk, breached));
        let make = |at: Duration,
                    category: StatusCategory,
                    priority: Priority,
                    cat: &str,
                    assignee: Option<UserId>,
                    team: Option<TeamId>,
                    sla: Option<TicketSla>| Ticket {
            priority,
            category: fixtures::category(cat),
            assignee,
            team,
            sla,
            ..fixtures::with_status(fixtures::ticket_at(tenant, requester, base + at), category)
        };
        use StatusCategory as S;
        let day = Duration::days;
        let tickets = [
            // new, open work, at risk
            make(
                Duration::zero(),
                S::New,
                Priority::Low,
                "billing",
                Some(a),
                Some(x),
                sla(true, false),
            ),
            // open, breached (and at risk: counts as breached only)
            make(
                Duration::hours(6),
                S::Open,
                Priority::High,
                "technical",
                Some(a),
                Some(x),
                sla(true, true),
            ),
            // pending, no SLA
            make(
                day(1),
                S::Pending,
                Priority::High,
                "technical",
                Some(b),
                None,
                None,
            ),
            // resolved within SLA: met
            make(
                day(2),
                S::Solved,
                Priority::Medium,
                "billing",
                Some(b),
                Some(y),
                sla(false, false),
            ),
            // open, on track: neither met nor at risk
            make(
                day(2) + Duration::hours(12),
                S::Open,
                Priority::Low,
                "account",
                Some(c),
                Some(y),
                sla(false, false),
            ),
            // closed after a breach
            make(
                day(3) + Duration::hours(1),
                S::Closed,
                Priority::Critical,
                "general",
                None,
                None,
                sla(false, true),
            ),
        ];
        for t in tickets {
            insert(store, t).await;
        }
        Self {
            tenant,
            base,
            x,
            y,
            a,
            b,
            c,
        }
    }

    async fn stats(&self, store: &dyn Store, query: StatsQuery) -> Stats {
        store.stats(self.tenant, &query).await.expect("stats")
    }
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| ((*k).to_string(), *v)).collect()
}

fn load(pairs: &[(UserId, u64)]) -> Vec<AgentLoadStat> {
    let mut v: Vec<AgentLoadStat> = pairs
        .iter()
        .map(|&(user_id, open)| AgentLoadStat { user_id, open })
        .collect();
    v.sort_by_key(|l| (std::cmp::Reverse(l.open), l.user_id));
    v
}

#[track_caller]
fn assert_average(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() < 1e-9,
        "{what}: average_per_day {got}, expected {want}"
    );
}

/// A tenant without tickets (or a window without any) has all-zero statistics.
pub async fn empty_tenant_gives_zeros(store: Arc<dyn Store>) {
    let empty = store
        .stats(fixtures::tenant(), &StatsQuery::default())
        .await
        .expect("stats");
    assert_eq!(empty, Stats::default());
    let seed = Seed::new(&*store).await;
    let before = StatsQuery {
        to: Some(seed.base),
        ..StatsQuery::default()
    };
    assert_eq!(
        seed.stats(&*store, before).await,
        Stats::default(),
        "a window before every ticket"
    );
}

/// Total, open work (New, Open, Pending) and the per-status, per-priority and
/// per-category counts.
pub async fn totals_and_breakdowns(store: Arc<dyn Store>) {
    let seed = Seed::new(&*store).await;
    let s = seed.stats(&*store, StatsQuery::default()).await;
    assert_eq!((s.total, s.open), (6, 4));
    assert_eq!(
        s.by_status,
        counts(&[
            ("new", 1),
            ("open", 2),
            ("pending", 1),
            ("resolved", 1),
            ("closed", 1)
        ])
    );
    assert_eq!(
        s.by_priority,
        counts(&[("low", 2), ("medium", 1), ("high", 2), ("critical", 1)])
    );
    assert_eq!(
        s.by_category,
        counts(&[
            ("billing", 2),
            ("technical", 2),
            ("account", 1),
            ("general", 1)
        ])
    );
}

/// The average per day divides the total by the whole days spanned plus one, from the
/// first to the last ticket, or over the window when one is given.
pub async fn average_per_day(store: Arc<dyn Store>) {
    let seed = Seed::new(&*store).await;
    let all = seed.stats(&*store, StatsQuery::default()).await;
    assert_average(
        all.average_per_day,
        6.0 / 4.0,
        "first to last ticket: 3 whole days + 1",
    );
    let from = seed.base - Duration::days(6);
    let since = seed
        .stats(
            &*store,
            StatsQuery {
                from: Some(from),
                ..StatsQuery::default()
            },
        )
        .await;
    let days = days_spanned(from, seed.base + Duration::days(3) + Duration::hours(1));
    assert_eq!(days, 10);
    assert_average(
        since.average_per_day,
        6.0 / 10.0,
        "from a given instant to the last ticket",
    );
    let to = seed.base + Duration::days(10);
    let window = seed
        .stats(
            &*store,
            StatsQuery {
                from: Some(from),
                to: Some(to),
                ..StatsQuery::default()
            },
        )
        .await;
    assert_average(window.average_per_day, 6.0 / 17.0, "over the given window");
}

/// SLA outcomes: met = solved or closed without breach; breached = breached at least
/// once (whatever the status); at risk = open, in a warning window, not breached.
pub async fn sla_outcomes(store: Arc<dyn Store>) {
    let seed = Seed::new(&*store).await;
    let s = seed.stats(&*store, StatsQuery::default()).await;
    assert_eq!(
        s.sla,
        SlaStats {
            met: 1,
            breached: 2,
            at_risk: 1
        }
    );
}

/// Agent load: open tickets per assignee, most loaded first, ties by user id; solved and
/// unassigned tickets do not count.
pub async fn agent_load(store: Arc<dyn Store>) {
    let seed = Seed::new(&*store).await;
    let s = seed.stats(&*store, StatsQuery::default()).await;
    assert_eq!(s.agent_load, load(&[(seed.a, 2), (seed.b, 1), (seed.c, 1)]));
}

/// `from` (inclusive) and `to` (exclusive) limit every figure to tickets created in the
/// window.
pub async fn window_filter(store: Arc<dyn Store>) {
    let seed = Seed::new(&*store).await;
    let from = seed.base + Duration::days(1);
    let to = seed.base + Duration::days(3);
    let s = seed
        .stats(
            &*store,
            StatsQuery {
                from: Some(from),
                to: Some(to),
                team: None,
            },
        )
        .await;
    assert_eq!((s.total, s.open), (3, 2));
    assert_eq!(
        s.by_status,
        counts(&[("pending", 1), ("resolved", 1), ("open", 1)])
    );
    assert_eq!(
        s.by_priority,
        counts(&[("high", 1), ("medium", 1), ("low", 1)])
    );
    assert_eq!(
        s.sla,
        SlaStats {
            met: 1,
            breached: 0,
            at_risk: 0
        }
    );
    assert_eq!(s.agent_load, load(&[(seed.b, 1), (seed.c, 1)]));
    assert_average(s.average_per_day, 1.0, "3 tickets over two whole days + 1");
}

/// `team` limits every figure to the team's tickets.
pub async fn team_filter(store: Arc<dyn Store>) {
    let seed = Seed::new(&*store).await;
    let x = seed
        .stats(
            &*store,
            StatsQuery {
                team: Some(seed.x),
                ..StatsQuery::default()
            },
        )
        .await;
    assert_eq!((x.total, x.open), (2, 2));
    assert_eq!(x.by_category, counts(&[("billing", 1), ("technical", 1)]));
    assert_eq!(
        x.sla,
        SlaStats {
            met: 0,
            breached: 1,
            at_risk: 1
        }
    );
    assert_eq!(x.agent_load, load(&[(seed.a, 2)]));
    assert_average(x.average_per_day, 2.0, "both on the first day");
    let y = seed
        .stats(
            &*store,
            StatsQuery {
                team: Some(seed.y),
                ..StatsQuery::default()
            },
        )
        .await;
    assert_eq!((y.total, y.open), (2, 1));
    assert_eq!(y.agent_load, load(&[(seed.c, 1)]));
    let none = seed
        .stats(
            &*store,
            StatsQuery {
                team: Some(TeamId::new()),
                ..StatsQuery::default()
            },
        )
        .await;
    assert_eq!(none, Stats::default());
}
