//! Running rules against a ticket.

use super::condition::LoweredText;
use super::{Action, Rule, Trigger};
use crate::event::SlaTarget;
use crate::id::{RuleId, UserId};
use crate::notify::Recipient;
use crate::routing::AssignStrategy;
use crate::text::{Email, Name, Status};
use crate::ticket::Ticket;
use crate::workflow::Workflow;
use serde::{Deserialize, Serialize};

/// What a rule run needs beyond the ticket.
#[derive(Debug, Clone, Copy)]
pub struct RuleContext<'a> {
    /// What happened: every trigger the change implies (a reply that moves the status is
    /// both `CommentAdded` and `TicketUpdated`). A rule is considered when any of its
    /// triggers is among them, and fires at most once whatever how many match.
    pub triggers: &'a [Trigger],
    /// The workflow (for `SetStatus`).
    pub workflow: &'a Workflow,
    /// The requester's e-mail (for `RequesterEmailDomain`); the desk leaves it out when
    /// it requires verified addresses and this one is not verified.
    pub requester_email: Option<&'a Email>,
    /// For SLA triggers: the targets whose thresholds the change records.
    pub sla_targets: &'a [SlaTarget],
}

impl RuleContext<'_> {
    /// Whether `rule` is considered in this context: enabled, with one of its triggers
    /// among the change's.
    #[must_use]
    pub fn considers(&self, rule: &Rule) -> bool {
        rule.enabled && rule.triggers.iter().any(|t| self.triggers.contains(t))
    }
}

/// A side effect a rule asks for, carried out by the `HelpDesk` after the run (field
/// changes are applied to the ticket directly).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Effect {
    /// Assign by strategy.
    Assign {
        /// The rule.
        rule_id: RuleId,
        /// Strategy.
        strategy: AssignStrategy,
    },
    /// Assign to a given agent.
    AssignTo {
        /// The rule.
        rule_id: RuleId,
        /// The agent.
        user_id: UserId,
    },
    /// Notify.
    Notify {
        /// The rule.
        rule_id: RuleId,
        /// To whom.
        recipient: Recipient,
        /// Message.
        message: String,
    },
    /// Add an internal note.
    InternalNote {
        /// The rule.
        rule_id: RuleId,
        /// The note.
        body: String,
    },
    /// Record an escalation.
    Escalated {
        /// The rule.
        rule_id: RuleId,
        /// Why.
        reason: String,
    },
}

/// The outcome of running rules.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleRun {
    /// The rules that fired, in firing order.
    pub fired: Vec<(RuleId, Name)>,
    /// Their side effects, in order.
    pub effects: Vec<Effect>,
}

/// The outcome of a dry run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulePreview {
    /// Whether the rule would fire.
    pub matched: bool,
    /// The ticket as it would be after the rule's field changes.
    pub ticket: Ticket,
    /// The side effects it would ask for.
    pub effects: Vec<Effect>,
}

/// One rule that fired: its field changes are applied to the ticket already; its side
/// effects are for the caller to carry out.
#[derive(Debug, Clone, PartialEq)]
pub struct Fired {
    /// The rule.
    pub rule_id: RuleId,
    /// Its name.
    pub name: Name,
    /// Its side effects, in the order of its actions.
    pub effects: Vec<Effect>,
}

/// Runs rules one at a time, so a caller can carry out each rule's side effects
/// (an assignment) before the next condition is checked: conditions see the ticket as
/// the rules before them left it, assignments included.
///
/// Rules (those [`RuleContext::considers`]) run in (position, id) order. Passes repeat
/// until a pass leaves the ticket as it was, and each rule fires at most once, so rules
/// can build on each other but never loop. Field actions apply at once: `set_status` only
/// along a transition the workflow allows the system (otherwise it is skipped),
/// `add_tags` only when the result stays within [`crate::text::Tags::MAX`] (otherwise
/// skipped), `escalate` raises the priority one step and hands the ticket to its team if
/// it names one. Timestamps and the version are left to the caller.
pub struct RuleRunner<'r> {
    pending: Vec<&'r Rule>,
    /// The next rule of the pass to look at.
    next: usize,
    /// Whether the ticket changed during the current pass.
    changed: bool,
    text: LoweredText,
}

impl<'r> RuleRunner<'r> {
    /// A run of `rules` in `ctx`.
    #[must_use]
    pub fn new(rules: &'r [Rule], ctx: &RuleContext<'_>) -> Self {
        let mut pending: Vec<&Rule> = rules.iter().filter(|rule| ctx.considers(rule)).collect();
        pending.sort_by_key(|rule| (rule.position, rule.id));
        Self {
            pending,
            next: 0,
            changed: false,
            text: LoweredText::default(),
        }
    }

    /// Tells the run the caller changed the ticket (carrying out an effect), so another
    /// pass follows this one.
    pub fn ticket_changed(&mut self) {
        self.changed = true;
    }

    /// The next rule whose condition holds on `ticket` as it is now, with its field
    /// changes applied to `ticket`; `None` when the run is over.
    pub fn next_fired(&mut self, ctx: &RuleContext<'_>, ticket: &mut Ticket) -> Option<Fired> {
        loop {
            if self.next >= self.pending.len() {
                // Conditions read only the ticket and `ctx`: a pass that left the ticket
                // as it was cannot make another rule fire, so it is the last.
                if !self.changed || self.pending.is_empty() {
                    return None;
                }
                self.next = 0;
                self.changed = false;
            }
            let rule = self.pending[self.next];
            if rule.condition.holds(ticket, ctx, &self.text) {
                self.pending.remove(self.next);
                let mut effects = Vec::new();
                self.changed |= fire(rule, ctx, ticket, &mut effects);
                return Some(Fired {
                    rule_id: rule.id,
                    name: rule.name.clone(),
                    effects,
                });
            }
            self.next += 1;
        }
    }
}

/// Runs `rules` against `ticket` as [`RuleRunner`] does, collecting the side effects
/// without carrying them out (so a later condition does not see an assignment an
/// earlier rule asked for; the `HelpDesk` uses [`RuleRunner`] to make it see them).
pub fn run_rules(rules: &[Rule], ctx: &RuleContext<'_>, ticket: &mut Ticket) -> RuleRun {
    let mut runner = RuleRunner::new(rules, ctx);
    let mut run = RuleRun::default();
    while let Some(fired) = runner.next_fired(ctx, ticket) {
        run.fired.push((fired.rule_id, fired.name));
        run.effects.extend(fired.effects);
    }
    run
}

/// Dry-runs one rule (ignoring its trigger list and enabled flag) against a copy of
/// `ticket`. No side effects.
#[must_use]
pub fn preview(rule: &Rule, ctx: &RuleContext<'_>, ticket: &Ticket) -> RulePreview {
    let mut after = ticket.clone();
    let mut effects = Vec::new();
    let matched = rule.condition.holds(&after, ctx, &LoweredText::default());
    if matched {
        fire(rule, ctx, &mut after, &mut effects);
    }
    RulePreview {
        matched,
        ticket: after,
        effects,
    }
}

/// Carries out the actions of `rule`, in order: field changes on `ticket`, side effects
/// onto `effects`. Returns whether the ticket changed.
fn fire(
    rule: &Rule,
    ctx: &RuleContext<'_>,
    ticket: &mut Ticket,
    effects: &mut Vec<Effect>,
) -> bool {
    let mut changed = false;
    for action in &rule.actions {
        changed |= apply_field_change(action, ctx.workflow, ticket);
        effects.extend(effect_of(rule.id, action));
    }
    changed
}

/// Applies the field change an action makes (if any); returns whether the ticket changed.
fn apply_field_change(action: &Action, workflow: &Workflow, ticket: &mut Ticket) -> bool {
    match action {
        Action::SetTeam { team_id } => replace(&mut ticket.team, Some(*team_id)),
        Action::SetPriority { priority } => replace(&mut ticket.priority, *priority),
        Action::SetCategory { category } => replace(&mut ticket.category, category.clone()),
        Action::SetStatus { status } => set_status(workflow, ticket, status),
        // Adding past the maximum skips the action.
        Action::AddTags { tags } => ticket
            .tags
            .with(tags)
            .is_ok_and(|all| replace(&mut ticket.tags, all)),
        Action::RemoveTags { tags } => {
            let rest = ticket.tags.without(tags);
            replace(&mut ticket.tags, rest)
        }
        Action::Escalate { team_id, .. } => {
            let higher = ticket.priority.raised();
            let raised = replace(&mut ticket.priority, higher);
            let moved = team_id.is_some_and(|team| replace(&mut ticket.team, Some(team)));
            raised || moved
        }
        Action::Assign { .. }
        | Action::AssignTo { .. }
        | Action::Notify { .. }
        | Action::AddInternalNote { .. } => false,
    }
}

/// Moves `ticket` to `status` when the workflow lets the system make that move; returns
/// whether it moved.
fn set_status(workflow: &Workflow, ticket: &mut Ticket, status: &Status) -> bool {
    match workflow.check(&ticket.status, status, None) {
        Ok(target) => {
            ticket.status = target.name.clone();
            ticket.status_category = target.category;
            true
        }
        Err(_) => false,
    }
}

/// Sets `slot` to `value`; returns whether that changed it.
fn replace<T: PartialEq>(slot: &mut T, value: T) -> bool {
    let changed = *slot != value;
    *slot = value;
    changed
}

/// The side effect an action asks for, if any.
fn effect_of(rule_id: RuleId, action: &Action) -> Option<Effect> {
    match action {
        Action::Assign { strategy } => Some(Effect::Assign {
            rule_id,
            strategy: *strategy,
        }),
        Action::AssignTo { user_id } => Some(Effect::AssignTo {
            rule_id,
            user_id: *user_id,
        }),
        Action::Notify { recipient, message } => Some(Effect::Notify {
            rule_id,
            recipient: recipient.clone(),
            message: message.clone(),
        }),
        Action::AddInternalNote { body } => Some(Effect::InternalNote {
            rule_id,
            body: body.clone(),
        }),
        Action::Escalate { reason, .. } => Some(Effect::Escalated {
            rule_id,
            reason: reason.clone(),
        }),
        Action::SetTeam { .. }
        | Action::SetPriority { .. }
        | Action::SetCategory { .. }
        | Action::SetStatus { .. }
        | Action::AddTags { .. }
        | Action::RemoveTags { .. } => None,
    }
}

#[cfg(test)]
mod tests {
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
}
