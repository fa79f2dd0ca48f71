use super::*;
use crate::rules::fixtures::{tags, ticket};
use chrono::TimeZone;
use uuid::Uuid;

fn id(n: u128) -> UserId {
    UserId::from_uuid(Uuid::from_u128(n))
}

fn at(hour: u32) -> Option<DateTime<Utc>> {
    Utc.with_ymd_and_hms(2024, 1, 1, hour, 0, 0).single()
}

/// An online agent with capacity 10, no tickets, skills or teams, never assigned.
fn agent(n: u128) -> AgentLoad {
    AgentLoad {
        user_id: id(n),
        availability: Availability::Online,
        capacity: 10,
        open_tickets: 0,
        skills: Tags::empty(),
        teams: Vec::new(),
        last_assigned_at: None,
    }
}

fn loaded(n: u128, open_tickets: u32, capacity: u32) -> AgentLoad {
    AgentLoad {
        open_tickets,
        capacity,
        ..agent(n)
    }
}

fn last(n: u128, hour: u32) -> AgentLoad {
    AgentLoad {
        last_assigned_at: at(hour),
        ..agent(n)
    }
}

fn skilled(n: u128, skills: &[&str], open_tickets: u32) -> AgentLoad {
    AgentLoad {
        skills: tags(skills),
        open_tickets,
        ..agent(n)
    }
}

const ALL: [AssignStrategy; 3] = [
    AssignStrategy::RoundRobin,
    AssignStrategy::LeastLoaded,
    AssignStrategy::SkillsMatch,
];

#[test]
fn eligibility_needs_online_spare_capacity_and_team() {
    let mut t = ticket();
    assert!(agent(1).is_eligible_for(&t));
    assert!(!AgentLoad {
        availability: Availability::Away,
        ..agent(1)
    }
    .is_eligible_for(&t));
    assert!(!AgentLoad {
        availability: Availability::Offline,
        ..agent(1)
    }
    .is_eligible_for(&t));
    assert!(!loaded(1, 10, 10).is_eligible_for(&t));
    assert!(!loaded(1, 11, 10).is_eligible_for(&t));
    assert!(!loaded(1, 0, 0).is_eligible_for(&t));
    assert!(loaded(1, 9, 10).is_eligible_for(&t));

    let team = TeamId::new();
    t.team = Some(team);
    assert!(!agent(1).is_eligible_for(&t), "not in the ticket's team");
    assert!(!AgentLoad {
        teams: vec![TeamId::new()],
        ..agent(1)
    }
    .is_eligible_for(&t));
    assert!(AgentLoad {
        teams: vec![TeamId::new(), team],
        ..agent(1)
    }
    .is_eligible_for(&t));
}

#[test]
fn nobody_eligible_means_nobody_chosen() {
    let t = ticket();
    let agents = [
        AgentLoad {
            availability: Availability::Away,
            ..agent(1)
        },
        AgentLoad {
            availability: Availability::Offline,
            ..agent(2)
        },
        loaded(3, 5, 5),
    ];
    for strategy in ALL {
        assert_eq!(choose_assignee(strategy, &t, &agents), None, "{strategy:?}");
        assert_eq!(choose_assignee(strategy, &t, &[]), None, "{strategy:?}");
    }
}

#[test]
fn ineligible_agents_are_never_chosen_even_when_best() {
    let mut t = ticket();
    let team = TeamId::new();
    t.team = Some(team);
    let in_team = |a: AgentLoad| AgentLoad {
        teams: vec![team],
        ..a
    };
    let agents = [
        agent(1), // other team
        in_team(AgentLoad {
            availability: Availability::Away,
            ..agent(2)
        }), // away
        in_team(loaded(3, 4, 4)), // full
        in_team(AgentLoad {
            last_assigned_at: at(9),
            ..loaded(4, 3, 4)
        }), // the only one
    ];
    for strategy in ALL {
        assert_eq!(
            choose_assignee(strategy, &t, &agents),
            Some(id(4)),
            "{strategy:?}"
        );
    }
}

#[test]
fn round_robin_picks_the_longest_waiting() {
    let t = ticket();
    let agents = [last(1, 10), last(2, 8), last(3, 9)];
    assert_eq!(
        choose_assignee(AssignStrategy::RoundRobin, &t, &agents),
        Some(id(2))
    );
    // Never assigned beats everyone; load does not matter.
    let agents = [last(1, 10), loaded(2, 9, 10), last(3, 1)];
    assert_eq!(
        choose_assignee(AssignStrategy::RoundRobin, &t, &agents),
        Some(id(2))
    );
}

#[test]
fn round_robin_ties_break_by_user_id() {
    let t = ticket();
    let agents = [last(3, 8), last(1, 8), last(2, 8)];
    assert_eq!(
        choose_assignee(AssignStrategy::RoundRobin, &t, &agents),
        Some(id(1))
    );
    let agents = [agent(3), agent(2)];
    assert_eq!(
        choose_assignee(AssignStrategy::RoundRobin, &t, &agents),
        Some(id(2))
    );
}

#[test]
fn least_loaded_compares_exact_fractions() {
    let t = ticket();
    // 1/3 < 2/5 < 1/2.
    let agents = [loaded(1, 1, 2), loaded(2, 2, 5), loaded(3, 1, 3)];
    assert_eq!(
        choose_assignee(AssignStrategy::LeastLoaded, &t, &agents),
        Some(id(3))
    );
    // Capacity matters, not the raw count: 3/10 < 1/2.
    let agents = [loaded(1, 1, 2), loaded(2, 3, 10)];
    assert_eq!(
        choose_assignee(AssignStrategy::LeastLoaded, &t, &agents),
        Some(id(2))
    );
    // Huge numbers do not overflow.
    let agents = [
        loaded(1, u32::MAX - 1, u32::MAX),
        loaded(2, u32::MAX - 2, u32::MAX - 1),
    ];
    assert_eq!(
        choose_assignee(AssignStrategy::LeastLoaded, &t, &agents),
        Some(id(2))
    );
}

#[test]
fn least_loaded_ties_break_by_rotation_then_id() {
    let t = ticket();
    // 1/2 == 2/4: the one assigned longest ago wins.
    let a = AgentLoad {
        last_assigned_at: at(10),
        ..loaded(1, 1, 2)
    };
    let b = AgentLoad {
        last_assigned_at: at(9),
        ..loaded(2, 2, 4)
    };
    assert_eq!(
        choose_assignee(AssignStrategy::LeastLoaded, &t, &[a.clone(), b.clone()]),
        Some(id(2))
    );
    // Same load and same time: lowest id.
    let c = AgentLoad {
        last_assigned_at: at(9),
        ..loaded(0, 3, 6)
    };
    assert_eq!(
        choose_assignee(AssignStrategy::LeastLoaded, &t, &[a, b, c]),
        Some(id(0))
    );
}

#[test]
fn skills_match_prefers_most_shared_tags() {
    let mut t = ticket();
    t.tags = tags(&["vpn", "windows", "billing"]);
    let agents = [
        skilled(1, &["vpn"], 0),
        skilled(2, &["vpn", "windows", "linux"], 8),
        skilled(3, &["printer"], 0),
    ];
    assert_eq!(
        choose_assignee(AssignStrategy::SkillsMatch, &t, &agents),
        Some(id(2))
    );
}

#[test]
fn skills_match_counts_the_skills_the_classification_proposed() {
    let mut t = ticket();
    let agents = [
        skilled(1, &["vpn"], 0),
        skilled(2, &["refunds", "billing"], 5),
    ];
    // Without skills nobody matches: the least loaded wins the tie.
    assert_eq!(
        choose_assignee(AssignStrategy::SkillsMatch, &t, &agents),
        Some(id(1))
    );
    t.classification = Some(crate::ticket::Classification {
        skills: tags(&["billing", "refunds"]).as_slice().to_vec(),
        ..Default::default()
    });
    assert_eq!(
        choose_assignee(AssignStrategy::SkillsMatch, &t, &agents),
        Some(id(2))
    );
    assert_eq!(
        explain_assignment(AssignStrategy::SkillsMatch, &t, &agents[1], "ann"),
        "assigned to ann: skills billing, refunds; load 5/10"
    );
    assert_eq!(
        explain_assignment(AssignStrategy::LeastLoaded, &t, &agents[0], "bob"),
        "assigned to bob: least loaded; load 0/10"
    );
}

#[test]
fn skills_match_ties_break_by_load() {
    let mut t = ticket();
    t.tags = tags(&["vpn", "windows"]);
    let agents = [
        skilled(1, &["vpn"], 5),
        skilled(2, &["windows"], 2),
        skilled(3, &["mac"], 0),
    ];
    assert_eq!(
        choose_assignee(AssignStrategy::SkillsMatch, &t, &agents),
        Some(id(2))
    );
    let agents = [skilled(2, &["vpn"], 2), skilled(1, &["windows"], 2)];
    assert_eq!(
        choose_assignee(AssignStrategy::SkillsMatch, &t, &agents),
        Some(id(1))
    );
}

#[test]
fn skills_match_without_any_shared_tag_is_least_loaded() {
    let mut t = ticket();
    t.tags = tags(&["vpn"]);
    let agents = [
        skilled(1, &["printer"], 6),
        skilled(2, &["mac"], 3),
        skilled(3, &[], 4),
    ];
    assert_eq!(
        choose_assignee(AssignStrategy::SkillsMatch, &t, &agents),
        Some(id(2))
    );
    t.tags = Tags::empty();
    assert_eq!(
        choose_assignee(AssignStrategy::SkillsMatch, &t, &agents),
        choose_assignee(AssignStrategy::LeastLoaded, &t, &agents)
    );
}

#[test]
fn choice_does_not_depend_on_input_order() {
    let mut t = ticket();
    t.tags = tags(&["vpn", "mac"]);
    let mut agents: Vec<AgentLoad> = (0..40u32)
        .map(|n| AgentLoad {
            open_tickets: n % 4,
            capacity: 4 + n % 3,
            skills: if n % 5 == 0 {
                tags(&["vpn"])
            } else {
                tags(&["printer"])
            },
            last_assigned_at: at(n % 7),
            ..agent(u128::from(n) * 7919 % 101)
        })
        .collect();
    for strategy in ALL {
        let first = choose_assignee(strategy, &t, &agents);
        assert!(first.is_some());
        agents.reverse();
        assert_eq!(
            choose_assignee(strategy, &t, &agents),
            first,
            "{strategy:?}"
        );
        agents.rotate_left(13);
        assert_eq!(
            choose_assignee(strategy, &t, &agents),
            first,
            "{strategy:?}"
        );
    }
}

/// The obvious implementation: every eligible agent, fully compared.
fn reference(strategy: AssignStrategy, t: &Ticket, agents: &[AgentLoad]) -> Option<UserId> {
    agents
        .iter()
        .filter(|a| a.is_eligible_for(t))
        .filter_map(|a| Candidate::new(strategy, &needed_skills(t), a, 0))
        .min_by(|a, b| a.cmp_for(strategy, b))
        .map(|c| c.agent.user_id)
}

#[test]
fn passing_over_hopeless_agents_changes_nothing() {
    let pool = ["a", "b", "c", "d", "e", "f"];
    let team = TeamId::new();
    let mut seed = 7u64;
    let mut next = |below: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % below
    };
    for round in 0..200 {
        let agents: Vec<AgentLoad> = (0..30)
            .map(|n| {
                let skills: Vec<&str> = (0..next(5)).map(|_| pool[next(6) as usize]).collect();
                let capacity = 1 + next(4) as u32;
                AgentLoad {
                    availability: if next(5) == 0 {
                        Availability::Away
                    } else {
                        Availability::Online
                    },
                    capacity,
                    open_tickets: next(u64::from(capacity) + 1) as u32,
                    skills: tags(&skills),
                    teams: if next(2) == 0 { vec![team] } else { vec![] },
                    last_assigned_at: (next(3) != 0).then(|| at(next(4) as u32)).flatten(),
                    ..agent(u128::from(next(1000)) * 1000 + n)
                }
            })
            .collect();
        let mut t = ticket();
        let wanted: Vec<&str> = (0..next(4)).map(|_| pool[next(6) as usize]).collect();
        t.tags = tags(&wanted);
        t.team = (round % 2 == 0).then_some(team);
        for strategy in ALL {
            assert_eq!(
                choose_assignee(strategy, &t, &agents),
                reference(strategy, &t, &agents),
                "{strategy:?} round {round}"
            );
        }
    }
}

#[test]
fn shared_tags_counts_the_intersection() {
    let (abc, bcd) = (tags(&["a", "b", "c"]), tags(&["b", "c", "d"]));
    assert_eq!(shared_tags(&abc, &bcd, 0), Some(2));
    assert_eq!(shared_tags(&abc, &bcd, 2), Some(2));
    assert_eq!(shared_tags(&abc, &bcd, 3), None, "fewer than needed");
    assert_eq!(shared_tags(&tags(&["a"]), &tags(&["b"]), 0), Some(0));
    assert_eq!(shared_tags(&Tags::empty(), &tags(&["b"]), 0), Some(0));
    assert_eq!(shared_tags(&Tags::empty(), &tags(&["b"]), 1), None);
}

#[test]
fn strategies_have_snake_case_wire_names() {
    assert_eq!(
        serde_json::to_string(&AssignStrategy::LeastLoaded).unwrap(),
        "\"least_loaded\""
    );
}
