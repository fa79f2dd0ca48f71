//! Routing and rules benchmarks.
//!
//! - `choose_assignee/<strategy>`: one choice among 10,000 agents (a realistic mix of
//!   availability, load, teams and skills).
//! - `run_rules/100_rules`: 100 rules of mixed conditions against one ticket, five of
//!   which fire (one only in a second pass). The ticket is cloned per iteration outside
//!   the measurement (`iter_batched`); `run_rules/ticket_clone` measures that clone alone
//!   for reference.

// Benchmark fixtures are known good; a bad one should stop the run loudly.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, Utc};
use criterion::{black_box, criterion_main, BatchSize, Criterion};
use ticket_core::account::Availability;
use ticket_core::id::{RuleId, TeamId, TenantId, TicketId, UserId};
use ticket_core::routing::{choose_assignee, AgentLoad, AssignStrategy};
use ticket_core::rules::{run_rules, Action, Condition, Rule, RuleContext, Trigger};
use ticket_core::text::{
    Category, CustomFields, Description, Email, Name, Status, Tag, Tags, Title,
};
use ticket_core::ticket::{Classification, Priority, Scored, Ticket};
use ticket_core::workflow::{StatusCategory, Workflow};

const AGENTS: usize = 10_000;
const RULES: usize = 100;
const SKILLS: [&str; 12] = [
    "vpn", "windows", "mac", "linux", "billing", "refunds", "printer", "email", "sso", "mobile",
    "api", "network",
];

/// A small deterministic generator (no randomness between runs).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn tag(s: &str) -> Tag {
    Tag::parse(s).unwrap()
}

fn ticket(team: TeamId) -> Ticket {
    let description = "Since this morning the VPN client on my Windows laptop disconnects every few minutes. \
        I have restarted the laptop, reinstalled the client and tried both the office network and my home \
        connection. Colleagues on the same floor report the same problem. The error message says the \
        gateway did not answer in time. This blocks our monthly closing, which is due tomorrow, so any help \
        soon would be appreciated. Our plan is enterprise and we have 250 seats.";
    Ticket {
        id: TicketId::new(),
        tenant: TenantId::DEFAULT,
        title: Title::parse("VPN keeps disconnecting on Windows").unwrap(),
        description: Description::parse(description).unwrap(),
        status: Status::known("new"),
        status_category: StatusCategory::New,
        priority: Priority::Medium,
        category: Category::known(Category::TECHNICAL),
        tags: Tags::parse(&["vpn", "windows", "network"]).unwrap(),
        custom_fields: CustomFields::parse(
            [("plan".to_string(), serde_json::json!("enterprise"))].into(),
        )
        .unwrap(),
        requester: UserId::new(),
        assignee: None,
        team: Some(team),
        classification: Some(Classification {
            category: Some(Scored {
                value: Category::known(Category::TECHNICAL),
                confidence: 0.82,
            }),
            priority: None,
            tags: vec![],
            model: "keywords".into(),
            ..Classification::default()
        }),
        sla: None,
        version: 1,
        created_at: DateTime::<Utc>::UNIX_EPOCH,
        updated_at: DateTime::<Utc>::UNIX_EPOCH,
        assigned_at: None,
        first_response_at: None,
        resolved_at: None,
        closed_at: None,
    }
}

/// 10,000 agents: ~80% online, loads from empty to full, half in the ticket's team, three
/// skills each, most assigned at some point in the last week.
fn agents(team: TeamId) -> Vec<AgentLoad> {
    let mut rng = Lcg(42);
    let other = TeamId::new();
    let start = DateTime::<Utc>::UNIX_EPOCH + Duration::days(19_000);
    (0..AGENTS)
        .map(|_| {
            let capacity = 5 + rng.next(16) as u32;
            let skills: Vec<Tag> = (0..3)
                .map(|_| tag(SKILLS[rng.next(SKILLS.len() as u64) as usize]))
                .collect();
            AgentLoad {
                user_id: UserId::new(),
                availability: match rng.next(10) {
                    0 => Availability::Away,
                    1 => Availability::Offline,
                    _ => Availability::Online,
                },
                capacity,
                open_tickets: rng.next(u64::from(capacity) + 1) as u32,
                skills: Tags::from_tags(skills).unwrap(),
                teams: if rng.next(2) == 0 {
                    vec![other, team]
                } else {
                    vec![other]
                },
                last_assigned_at: (rng.next(20) != 0)
                    .then(|| start + Duration::seconds(rng.next(604_800) as i64)),
            }
        })
        .collect()
}

fn text(phrases: &[&str]) -> Condition {
    Condition::TextContains {
        phrases: phrases.iter().map(ToString::to_string).collect(),
    }
}

fn note(body: &str) -> Action {
    Action::AddInternalNote {
        body: body.to_string(),
    }
}

fn rule(i: usize, condition: Condition, actions: Vec<Action>) -> Rule {
    Rule {
        id: RuleId::new(),
        tenant: TenantId::DEFAULT,
        name: Name::parse(format!("Rule {i}")).unwrap(),
        position: i as i32,
        enabled: i % 17 != 16,
        triggers: if i % 10 == 9 {
            vec![Trigger::SlaBreached]
        } else {
            vec![Trigger::TicketCreated, Trigger::TicketUpdated]
        },
        condition,
        actions,
        updated_at: DateTime::<Utc>::UNIX_EPOCH,
    }
}

/// 100 rules of mixed conditions; five fire on the benchmark ticket: "outage words" never
/// do, "vpn & windows" does, "network team" does, "escalated vip" does only after
/// "enterprise → vip" (a later rule) has tagged the ticket, so a second pass runs.
fn rules() -> Vec<Rule> {
    let mut out = Vec::with_capacity(RULES);
    for i in 0..RULES {
        let (condition, actions) = match i {
            3 => (
                Condition::All {
                    all: vec![
                        Condition::HasTag { tag: tag("vpn") },
                        Condition::HasTag {
                            tag: tag("windows"),
                        },
                    ],
                },
                vec![
                    Action::SetPriority {
                        priority: Priority::High,
                    },
                    note("Known VPN client issue, see KB-12."),
                ],
            ),
            7 => (
                Condition::HasTag { tag: tag("vip") },
                vec![Action::Escalate {
                    reason: "VIP customer".into(),
                    team_id: None,
                }],
            ),
            40 => (
                Condition::All {
                    all: vec![text(&["gateway", "network"]), Condition::Unassigned],
                },
                vec![Action::Assign {
                    strategy: AssignStrategy::SkillsMatch,
                }],
            ),
            60 => (
                Condition::CustomFieldEquals {
                    key: "plan".into(),
                    value: serde_json::json!("enterprise"),
                },
                vec![Action::AddTags {
                    tags: vec![tag("vip")],
                }],
            ),
            80 => (
                Condition::ConfidenceBelow { threshold: 0.9 },
                vec![note("Classifier unsure; please check the category.")],
            ),
            _ => filler(i),
        };
        out.push(rule(i, condition, actions));
    }
    out
}

/// A rule that never fires on the benchmark ticket (even after the others changed it), of
/// one of several shapes.
fn filler(i: usize) -> (Condition, Vec<Action>) {
    let word = SKILLS[i % SKILLS.len()];
    let condition = match i % 6 {
        0 => text(&[
            "outage",
            "is down",
            "service unavailable",
            "down for everyone",
        ]),
        1 => Condition::All {
            all: vec![
                Condition::CategoryIs {
                    categories: vec![Category::known(Category::BILLING)],
                },
                text(&["refund", "invoice"]),
            ],
        },
        2 => Condition::Any {
            any: vec![
                Condition::PriorityIs {
                    priorities: vec![Priority::Low],
                },
                Condition::HasTag {
                    tag: tag("printer"),
                },
            ],
        },
        3 => Condition::RequesterEmailDomain {
            domain: format!("customer{i}.example.com"),
        },
        4 => Condition::All {
            all: vec![
                Condition::HasAnyTag {
                    tags: vec![tag("sso"), tag(word)],
                },
                Condition::Not {
                    not: Box::new(Condition::Unassigned),
                },
            ],
        },
        _ => Condition::All {
            all: vec![
                Condition::StatusCategoryIs {
                    categories: vec![StatusCategory::Pending],
                },
                Condition::TeamIs { team: None },
            ],
        },
    };
    (
        condition,
        vec![
            Action::AddTags {
                tags: vec![tag(word)],
            },
            Action::SetPriority {
                priority: Priority::Low,
            },
        ],
    )
}

fn bench_routing(c: &mut Criterion) {
    let team = TeamId::new();
    let ticket = ticket(team);
    let agents = agents(team);
    let mut group = c.benchmark_group("choose_assignee");
    for (name, strategy) in [
        ("round_robin", AssignStrategy::RoundRobin),
        ("least_loaded", AssignStrategy::LeastLoaded),
        ("skills_match", AssignStrategy::SkillsMatch),
    ] {
        assert!(choose_assignee(strategy, &ticket, &agents).is_some());
        group.bench_function(format!("{name}/10000_agents"), |b| {
            b.iter(|| choose_assignee(black_box(strategy), black_box(&ticket), black_box(&agents)))
        });
    }
    group.finish();
}

fn bench_rules(c: &mut Criterion) {
    let team = TeamId::new();
    let ticket = ticket(team);
    let rules = rules();
    let workflow = Workflow::default_workflow();
    let email = Email::parse("ann@bigcorp.example.com").unwrap();
    let ctx = RuleContext {
        triggers: &[Trigger::TicketCreated],
        workflow: &workflow,
        requester_email: Some(&email),
        sla_targets: &[],
    };

    let fired = run_rules(&rules, &ctx, &mut ticket.clone()).fired.len();
    assert_eq!(fired, 5, "the benchmark expects five rules to fire");

    let mut group = c.benchmark_group("run_rules");
    group.bench_function("100_rules", |b| {
        b.iter_batched(
            || ticket.clone(),
            // Returning the ticket drops it outside the measurement too.
            |mut t| {
                let run = run_rules(black_box(&rules), black_box(&ctx), &mut t);
                (t, run)
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("ticket_clone", |b| b.iter(|| black_box(&ticket).clone()));
    group.finish();
}

/// Every benchmark of this file (what `criterion_group!` would generate, with a doc comment).
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    bench_routing(&mut c);
    bench_rules(&mut c);
}

criterion_main!(benches);
