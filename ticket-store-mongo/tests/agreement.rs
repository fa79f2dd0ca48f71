//! `MongoStore` agrees with the reference `MemoryStore` beyond the kit's fixed cases: one
//! generated corpus (unicode, punctuation, digits, ties) stored in both, then the same
//! searches, filters, sorts, page walks and statistics asked of both (on the server of
//! `TICKET_TEST_MONGO_URL`, a fresh database per test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Duration;
use std::sync::Arc;
use ticket_core::id::{TeamId, TenantId, UserId};
use ticket_core::memory::MemoryStore;
use ticket_core::ports::Store;
use ticket_core::query::{AssigneeFilter, StatsQuery, TicketQuery, TicketSort};
use ticket_core::testkit::fixtures;
use ticket_core::ticket::{Priority, Ticket};
use ticket_core::workflow::StatusCategory;

/// Texts whose words both engines must split and fold alike.
const TEXTS: &[&str] = &[
    "VPN drops every hour",
    "Cannot pay the invoice; payment page fails",
    "e-mail bounces: don't know why",
    "snake_case field names break the import",
    "Printer (floor 2) jams on every VPN report",
    "Ünïcödé name shows as garbage: ÜNÏCÖDÉ",
    "Straße address rejected",
    "打印机坏了 printer",
    "Upgrade to v2.0 failed with error 0x80070005",
    "Refund not received since May 3rd",
    "🔥 the server room is hot 🔥",
    "½ of the dashboards are empty",
    "Café menu in the intranet",
    "PAYMENT received twice, refund one",
    "What is the SLA for priority tickets?",
];

/// Searches, in the same words and in others.
const QUERIES: &[&str] = &[
    "vpn",
    "VPN report",
    "pay",
    "payment",
    "PAYMENT refund",
    "e-mail",
    "mail",
    "don't",
    "t",
    "snake_case",
    "case",
    "ünïcödé",
    "ÜNÏCÖDÉ",
    "unicode",
    "straße",
    "打印机坏了",
    "v2",
    "0x80070005",
    "2",
    "3rd",
    "🔥",
    "½",
    "café",
    "cafe",
    "the",
    "sla priority",
    "!!!",
    "",
    "kangaroo",
];

/// A tiny deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % u64::try_from(n).unwrap()).unwrap()
    }
}

struct World {
    tenant: TenantId,
    requesters: Vec<UserId>,
    agents: Vec<UserId>,
    teams: Vec<TeamId>,
    memory: Arc<dyn Store>,
    mongo: Arc<dyn Store>,
    _mongo: ticket_store_mongo::MongoStore,
}

async fn world(n: usize) -> World {
    let raw = common::fresh().await;
    let mongo: Arc<dyn Store> = Arc::new(raw.clone());
    let memory: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let tenant = fixtures::tenant();
    let teams = vec![TeamId::new(), TeamId::new(), TeamId::new()];
    let mut requesters = Vec::new();
    let mut agents = Vec::new();
    for i in 0..3 {
        let customer = fixtures::user(tenant, &format!("customer-{i}"));
        let agent = fixtures::agent(tenant, &format!("agent-{i}"), &teams[i..=i]);
        for u in [&customer, &agent] {
            memory.create_user(u).await.unwrap();
            mongo.create_user(u).await.unwrap();
        }
        requesters.push(customer.id);
        agents.push(agent.id);
    }
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let base = fixtures::now() - Duration::days(10);
    let tag_pool = ["vpn", "billing", "urgent", "printer", "refund"];
    for i in 0..n {
        let i64_i = i64::try_from(i).unwrap();
        let category = StatusCategory::ALL[rng.next(5)];
        let tags: Vec<&str> = tag_pool
            .iter()
            .copied()
            .filter(|_| rng.next(3) == 0)
            .collect();
        let assignee = (rng.next(3) > 0).then(|| agents[rng.next(agents.len())]);
        let t = Ticket {
            title: fixtures::title(TEXTS[rng.next(TEXTS.len())]),
            description: fixtures::description(TEXTS[rng.next(TEXTS.len())]),
            priority: Priority::ALL[rng.next(4)],
            category: fixtures::category(["billing", "technical", "account"][rng.next(3)]),
            tags: fixtures::tags(&tags),
            assignee,
            assigned_at: assignee.map(|_| base + Duration::minutes(i64_i)),
            team: (rng.next(2) == 0).then(|| teams[rng.next(teams.len())]),
            sla: (rng.next(2) == 0).then(|| {
                fixtures::sla(
                    Some(base + Duration::hours(i64_i)),
                    rng.next(3) == 0,
                    rng.next(4) == 0,
                )
            }),
            updated_at: fixtures::micros(base + Duration::minutes(i64_i * 7 % 50)),
            // Created in threes at the same instant: ties decided by id.
            ..fixtures::with_status(
                fixtures::ticket_at(
                    tenant,
                    requesters[rng.next(requesters.len())],
                    base + Duration::minutes(i64_i / 3),
                ),
                category,
            )
        };
        memory.save(&fixtures::create(t.clone())).await.unwrap();
        mongo.save(&fixtures::create(t)).await.unwrap();
    }
    World {
        tenant,
        requesters,
        agents,
        teams,
        memory,
        mongo,
        _mongo: raw,
    }
}

/// Every page of `query` from one store.
async fn walk(store: &dyn Store, tenant: TenantId, query: &TicketQuery) -> Vec<Ticket> {
    let mut q = query.clone();
    let mut out = Vec::new();
    loop {
        let page = store.list_tickets(tenant, &q).await.unwrap();
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return out,
        }
    }
}

async fn same(w: &World, query: TicketQuery, what: &str) {
    let want = walk(&*w.memory, w.tenant, &query).await;
    let got = walk(&*w.mongo, w.tenant, &query).await;
    let ids = |v: &[Ticket]| v.iter().map(|t| t.id).collect::<Vec<_>>();
    assert_eq!(ids(&got), ids(&want), "{what}");
    assert_eq!(got, want, "{what}: same tickets, every field");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_search_agrees_with_the_reference() {
    if !common::should_run() {
        return;
    }
    let w = world(120).await;
    for q in QUERIES {
        let query = TicketQuery {
            text: Some((*q).to_string()),
            limit: 100,
            ..TicketQuery::default()
        };
        same(&w, query, &format!("text {q:?}")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_sorts_and_walks_agree_with_the_reference() {
    if !common::should_run() {
        return;
    }
    let w = world(150).await;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..60 {
        let mut q = TicketQuery {
            sort: [
                TicketSort::CreatedDesc,
                TicketSort::CreatedAsc,
                TicketSort::UpdatedDesc,
                TicketSort::PriorityDesc,
            ][rng.next(4)],
            limit: [1, 7, 25, 100][rng.next(4)],
            ..TicketQuery::default()
        };
        if rng.next(3) == 0 {
            q.status_categories = vec![StatusCategory::ALL[rng.next(5)], StatusCategory::Open];
        }
        if rng.next(3) == 0 {
            q.priorities = vec![Priority::ALL[rng.next(4)]];
        }
        if rng.next(4) == 0 {
            q.tags = vec![fixtures::tag(["vpn", "billing", "urgent"][rng.next(3)])];
        }
        if rng.next(4) == 0 {
            q.assignee = Some(if rng.next(2) == 0 {
                AssigneeFilter::Unassigned
            } else {
                AssigneeFilter::User(w.agents[rng.next(w.agents.len())])
            });
        }
        if rng.next(4) == 0 {
            q.team = Some(w.teams[rng.next(w.teams.len())]);
        }
        if rng.next(4) == 0 {
            q.requester = Some(w.requesters[rng.next(w.requesters.len())]);
        }
        if rng.next(3) == 0 {
            q.text = Some(QUERIES[rng.next(QUERIES.len())].to_string());
        }
        if rng.next(4) == 0 {
            let start = fixtures::now() - Duration::days(10);
            q.created_after = Some(start + Duration::minutes(i64::try_from(rng.next(40)).unwrap()));
        }
        same(&w, q.clone(), &format!("round {round}: {q:?}")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_and_loads_agree_with_the_reference() {
    if !common::should_run() {
        return;
    }
    let w = world(90).await;
    let start = fixtures::now() - Duration::days(10);
    let windows = [
        StatsQuery::default(),
        StatsQuery {
            from: Some(start + Duration::minutes(5)),
            to: Some(start + Duration::minutes(20)),
            team: None,
        },
        StatsQuery {
            team: Some(w.teams[0]),
            ..StatsQuery::default()
        },
    ];
    for window in windows {
        let want = w.memory.stats(w.tenant, &window).await.unwrap();
        let got = w.mongo.stats(w.tenant, &window).await.unwrap();
        assert_eq!(got, want, "stats {window:?}");
    }
    for team in [None, Some(w.teams[1])] {
        let mut want = w.memory.agent_loads(w.tenant, team).await.unwrap();
        let mut got = w.mongo.agent_loads(w.tenant, team).await.unwrap();
        want.sort_by_key(|l| l.user_id);
        got.sort_by_key(|l| l.user_id);
        assert_eq!(got, want, "agent loads of {team:?}");
    }
    let due_at = start + Duration::hours(40);
    assert_eq!(
        w.mongo.sla_due(due_at, 25).await.unwrap(),
        w.memory.sla_due(due_at, 25).await.unwrap()
    );
}
