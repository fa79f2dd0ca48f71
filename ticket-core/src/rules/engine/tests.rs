use super::*;
use crate::event::SlaTarget;
use crate::id::TeamId;
use crate::rules::fixtures::{ctx, fired_names as names, rule, run, tag, tags, ticket};
use crate::rules::Condition;
use crate::text::{Category, Description, Email, Tags};
use crate::ticket::Priority;
use crate::workflow::StatusCategory;

fn set_priority(priority: Priority) -> Action {
    Action::SetPriority { priority }
}

fn has(t: &str) -> Condition {
    Condition::HasTag { tag: tag(t) }
}

#[test]
fn field_actions_change_the_ticket() {
    let team = TeamId::new();
    let mut t = ticket();
    t.tags = tags(&["old", "keep"]);
    let r = rule(
        0,
        "Everything",
        Condition::Always,
        vec![
            Action::SetTeam { team_id: team },
            set_priority(Priority::High),
            Action::SetCategory {
                category: Category::known(Category::BILLING),
            },
            Action::SetStatus {
                status: Status::known("in_progress"),
            },
            Action::AddTags {
                tags: vec![tag("new"), tag("keep")],
            },
            Action::RemoveTags {
                tags: vec![tag("old"), tag("absent")],
            },
        ],
    );
    let out = run(std::slice::from_ref(&r), &mut t);
    assert_eq!(out.fired, [(r.id, r.name.clone())]);
    assert!(out.effects.is_empty());
    assert_eq!(t.team, Some(team));
    assert_eq!(t.priority, Priority::High);
    assert_eq!(t.category.as_str(), "billing");
    assert_eq!(t.status.as_str(), "in_progress");
    assert_eq!(t.status_category, StatusCategory::Open);
    assert_eq!(t.tags, tags(&["keep", "new"]));
}

#[test]
fn side_effect_actions_become_effects_in_order() {
    let agent = UserId::new();
    let recipient = Recipient::Email {
        address: Email::parse("ops@example.com").unwrap(),
    };
    let r = rule(
        0,
        "Effects",
        Condition::Always,
        vec![
            Action::AddInternalNote {
                body: "first".into(),
            },
            Action::Assign {
                strategy: AssignStrategy::RoundRobin,
            },
            Action::AssignTo { user_id: agent },
            Action::Notify {
                recipient: recipient.clone(),
                message: "look".into(),
            },
        ],
    );
    let mut t = ticket();
    let before = t.clone();
    let out = run(std::slice::from_ref(&r), &mut t);
    let id = r.id;
    assert_eq!(
        out.effects,
        [
            Effect::InternalNote {
                rule_id: id,
                body: "first".into()
            },
            Effect::Assign {
                rule_id: id,
                strategy: AssignStrategy::RoundRobin
            },
            Effect::AssignTo {
                rule_id: id,
                user_id: agent
            },
            Effect::Notify {
                rule_id: id,
                recipient,
                message: "look".into()
            },
        ]
    );
    assert_eq!(t, before, "side effects leave the ticket to the caller");
}

#[test]
fn escalate_raises_priority_moves_team_and_records_why() {
    let team = TeamId::new();
    let r = rule(
        0,
        "Escalate",
        Condition::Always,
        vec![Action::Escalate {
            reason: "late".into(),
            team_id: Some(team),
        }],
    );
    let mut t = ticket();
    let out = run(std::slice::from_ref(&r), &mut t);
    assert_eq!(t.priority, Priority::High);
    assert_eq!(t.team, Some(team));
    assert_eq!(
        out.effects,
        [Effect::Escalated {
            rule_id: r.id,
            reason: "late".into()
        }]
    );

    let keep_team = rule(
        0,
        "Escalate",
        Condition::Always,
        vec![Action::Escalate {
            reason: "late".into(),
            team_id: None,
        }],
    );
    let mut critical = ticket();
    critical.priority = Priority::Critical;
    critical.team = Some(team);
    run(&[keep_team], &mut critical);
    assert_eq!(
        (critical.priority, critical.team),
        (Priority::Critical, Some(team))
    );
}

#[test]
fn a_status_change_the_workflow_refuses_is_skipped() {
    let r = rule(
        0,
        "Bad status",
        Condition::Always,
        vec![
            Action::SetStatus {
                status: Status::known("closed"),
            }, // new -> closed: no transition
            Action::SetStatus {
                status: Status::known("nowhere"),
            }, // unknown status
            set_priority(Priority::Low),
        ],
    );
    let mut t = ticket();
    let out = run(&[r], &mut t);
    assert_eq!(out.fired.len(), 1, "the rule still fires");
    assert_eq!(
        (t.status.as_str(), t.status_category),
        ("new", StatusCategory::New)
    );
    assert_eq!(t.priority, Priority::Low, "later actions still run");
}

#[test]
fn adding_past_the_tag_limit_is_skipped() {
    let mut t = ticket();
    let full: Vec<String> = (0..Tags::MAX).map(|i| format!("t{i}")).collect();
    t.tags = Tags::parse(&full).unwrap();
    let r = rule(
        0,
        "Tag",
        Condition::Always,
        vec![
            Action::AddTags {
                tags: vec![tag("extra")],
            },
            Action::AddTags {
                tags: vec![tag("t0")],
            },
        ],
    );
    run(&[r], &mut t);
    assert_eq!(t.tags.len(), Tags::MAX);
    assert!(!t.tags.contains(&tag("extra")));
}

#[test]
fn rules_run_by_position_then_id() {
    let mut late = rule(
        20,
        "Late",
        Condition::Always,
        vec![set_priority(Priority::Low)],
    );
    let early = rule(
        -5,
        "Early",
        Condition::Always,
        vec![set_priority(Priority::Critical)],
    );
    let mut tie_a = rule(10, "Tie A", Condition::Always, vec![]);
    let mut tie_b = rule(10, "Tie B", Condition::Always, vec![]);
    tie_a.id = RuleId::from_uuid(uuid::Uuid::from_u128(1));
    tie_b.id = RuleId::from_uuid(uuid::Uuid::from_u128(2));
    late.id = RuleId::from_uuid(uuid::Uuid::from_u128(0));
    let mut t = ticket();
    let out = run(&[tie_b, late, early, tie_a], &mut t);
    assert_eq!(names(&out), ["Early", "Tie A", "Tie B", "Late"]);
    assert_eq!(t.priority, Priority::Low, "the last rule wins");
}

#[test]
fn later_rules_see_earlier_changes_in_the_same_pass() {
    let first = rule(
        1,
        "Make urgent",
        Condition::Always,
        vec![set_priority(Priority::High)],
    );
    let second = rule(
        2,
        "Tag urgent",
        Condition::PriorityAtLeast {
            priority: Priority::High,
        },
        vec![Action::AddTags {
            tags: vec![tag("urgent")],
        }],
    );
    let mut t = ticket();
    let out = run(&[second, first], &mut t);
    assert_eq!(names(&out), ["Make urgent", "Tag urgent"]);
    assert!(t.tags.contains(&tag("urgent")));
}

#[test]
fn disabled_rules_and_other_triggers_never_fire() {
    let mut disabled = rule(
        0,
        "Disabled",
        Condition::Always,
        vec![set_priority(Priority::Critical)],
    );
    disabled.enabled = false;
    let mut on_breach = rule(
        1,
        "On breach",
        Condition::Always,
        vec![set_priority(Priority::Low)],
    );
    on_breach.triggers = vec![Trigger::SlaBreached, Trigger::SlaWarning];
    let mut t = ticket();
    let rules = [disabled, on_breach];
    assert!(run(&rules, &mut t).fired.is_empty());
    assert_eq!(t.priority, Priority::Medium);

    let w = Workflow::default_workflow();
    let breach = RuleContext {
        sla_targets: &[SlaTarget::Resolution],
        ..ctx(&w, Trigger::SlaBreached)
    };
    let out = run_rules(&rules, &breach, &mut t);
    assert_eq!(names(&out), ["On breach"]);
    assert_eq!(t.priority, Priority::Low);
}

#[test]
fn a_rule_enabled_by_a_later_rule_fires_in_the_next_pass() {
    // "Route VIP" runs first but only matches once "Tag VIP" (later) has tagged the ticket.
    let route = rule(
        1,
        "Route VIP",
        has("vip"),
        vec![set_priority(Priority::Critical)],
    );
    let tag_vip = rule(
        2,
        "Tag VIP",
        Condition::TextContains {
            phrases: vec!["ceo".into()],
        },
        vec![Action::AddTags {
            tags: vec![tag("vip")],
        }],
    );
    let mut t = ticket();
    t.description = Description::parse("Our CEO cannot print").unwrap();
    let out = run(&[route, tag_vip], &mut t);
    assert_eq!(names(&out), ["Tag VIP", "Route VIP"]);
    assert_eq!(t.priority, Priority::Critical);
}

#[test]
fn chains_run_across_as_many_passes_as_needed() {
    // Each rule is enabled by the one after it: one new rule fires per pass.
    let rules: Vec<Rule> = (0..5)
        .map(|i| {
            rule(
                i,
                &format!("Step {i}"),
                has(&format!("s{}", i + 1)),
                vec![Action::AddTags {
                    tags: vec![tag(&format!("s{i}"))],
                }],
            )
        })
        .chain([rule(
            9,
            "Start",
            Condition::Always,
            vec![Action::AddTags {
                tags: vec![tag("s5")],
            }],
        )])
        .collect();
    let mut t = ticket();
    let out = run(&rules, &mut t);
    assert_eq!(
        names(&out),
        ["Start", "Step 4", "Step 3", "Step 2", "Step 1", "Step 0"]
    );
    assert_eq!(t.tags.len(), 6);
}

#[test]
fn toggling_rules_fire_at_most_once_each() {
    let on = rule(
        1,
        "On",
        Condition::Not {
            not: Box::new(has("flag")),
        },
        vec![Action::AddTags {
            tags: vec![tag("flag")],
        }],
    );
    let off = rule(
        2,
        "Off",
        has("flag"),
        vec![Action::RemoveTags {
            tags: vec![tag("flag")],
        }],
    );
    let mut t = ticket();
    let out = run(&[on, off], &mut t);
    assert_eq!(names(&out), ["On", "Off"]);
    assert!(!t.tags.contains(&tag("flag")));

    let up = rule(
        1,
        "Up",
        Condition::PriorityIs {
            priorities: vec![Priority::Medium],
        },
        vec![set_priority(Priority::High)],
    );
    let down = rule(
        2,
        "Down",
        Condition::PriorityIs {
            priorities: vec![Priority::High],
        },
        vec![set_priority(Priority::Medium)],
    );
    let mut t = ticket();
    let out = run(&[down.clone(), up.clone()], &mut t);
    assert_eq!(names(&out), ["Up", "Down"]);
    assert_eq!(t.priority, Priority::Medium);

    // "Down" first: it only matches after "Up" fired, in the second pass; then "Up"
    // matches again but has fired already, so the run ends.
    let (mut down, mut up) = (down, up);
    (down.position, up.position) = (1, 2);
    let mut t = ticket();
    let out = run(&[up, down], &mut t);
    assert_eq!(names(&out), ["Up", "Down"]);
    assert_eq!(t.priority, Priority::Medium);
}

#[test]
fn nothing_fires_when_no_condition_holds() {
    let r = rule(
        0,
        "Never",
        Condition::Not {
            not: Box::new(Condition::Always),
        },
        vec![set_priority(Priority::Low)],
    );
    let mut t = ticket();
    let before = t.clone();
    assert_eq!(run(&[r], &mut t), RuleRun::default());
    assert_eq!(t, before);
    assert_eq!(run(&[], &mut t), RuleRun::default());
}

#[test]
fn preview_ignores_flags_and_leaves_the_original_alone() {
    let mut r = rule(
        0,
        "Preview me",
        Condition::Unassigned,
        vec![
            set_priority(Priority::Critical),
            Action::AddInternalNote {
                body: "note".into(),
            },
        ],
    );
    r.enabled = false;
    r.triggers = vec![Trigger::CommentAdded];
    let w = Workflow::default_workflow();
    let t = ticket();
    let before = t.clone();
    let p = preview(&r, &ctx(&w, Trigger::TicketCreated), &t);
    assert!(p.matched);
    assert_eq!(p.ticket.priority, Priority::Critical);
    assert_eq!(
        p.effects,
        [Effect::InternalNote {
            rule_id: r.id,
            body: "note".into()
        }]
    );
    assert_eq!(t, before, "the original is untouched");

    let mut assigned = ticket();
    assigned.assignee = Some(UserId::new());
    let p = preview(&r, &ctx(&w, Trigger::TicketCreated), &assigned);
    assert!(!p.matched);
    assert_eq!(p.ticket, assigned);
    assert!(p.effects.is_empty());
}

#[test]
fn effects_serialise_with_a_type_tag() {
    let e = Effect::Assign {
        rule_id: RuleId::new(),
        strategy: AssignStrategy::LeastLoaded,
    };
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["type"], "assign");
    assert_eq!(json["strategy"], "least_loaded");
}

#[test]
fn a_rule_on_several_triggers_of_one_change_fires_once() {
    let mut both = rule(
        0,
        "Both",
        Condition::Always,
        vec![set_priority(Priority::High)],
    );
    both.triggers = vec![Trigger::TicketUpdated, Trigger::CommentAdded];
    let mut comment_only = rule(1, "Comment", Condition::Always, vec![]);
    comment_only.triggers = vec![Trigger::CommentAdded];
    comment_only.actions = vec![Action::AddTags {
        tags: vec![tag("replied")],
    }];
    let w = Workflow::default_workflow();
    let reply_and_move = RuleContext {
        triggers: &[Trigger::CommentAdded, Trigger::TicketUpdated],
        ..ctx(&w, Trigger::CommentAdded)
    };
    let mut t = ticket();
    let out = run_rules(&[both, comment_only], &reply_and_move, &mut t);
    assert_eq!(names(&out), ["Both", "Comment"]);
}

#[test]
fn the_runner_lets_later_conditions_see_what_the_caller_did() {
    let assign = rule(
        0,
        "Assign",
        Condition::Always,
        vec![Action::Assign {
            strategy: AssignStrategy::LeastLoaded,
        }],
    );
    let alert = rule(1, "Alert if unassigned", Condition::Unassigned, vec![]);
    let rules = [assign, alert];
    let w = Workflow::default_workflow();
    let c = ctx(&w, Trigger::TicketCreated);
    let mut t = ticket();
    let mut runner = RuleRunner::new(&rules, &c);
    let first = runner.next_fired(&c, &mut t).unwrap();
    assert_eq!(first.name.as_str(), "Assign");
    assert!(matches!(first.effects[..], [Effect::Assign { .. }]));
    // The caller carries out the assignment before the next condition is checked.
    t.assignee = Some(UserId::new());
    runner.ticket_changed();
    assert!(
        runner.next_fired(&c, &mut t).is_none(),
        "still unassigned? no"
    );
}
