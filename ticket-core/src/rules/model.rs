//! The data of a rule.

use crate::error::{Result, Validator};
use crate::event::SlaTarget;
use crate::id::{RuleId, TeamId, TenantId, UserId};
use crate::notify::Recipient;
use crate::routing::AssignStrategy;
use crate::team::check_webhook_url;
use crate::text::{clean_text, Category, Name, Status, Tag, Tags};
use crate::ticket::Priority;
use crate::workflow::StatusCategory;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// When a rule is considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A ticket was raised.
    TicketCreated,
    /// A ticket's fields, status or assignment changed.
    TicketUpdated,
    /// A comment was added.
    CommentAdded,
    /// An SLA target entered its warning window.
    SlaWarning,
    /// An SLA target was breached.
    SlaBreached,
}

/// A condition over a ticket (and the change that triggered the rule).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Condition {
    /// Always true.
    Always,
    /// Every condition holds.
    All {
        /// The conditions.
        all: Vec<Condition>,
    },
    /// Some condition holds.
    Any {
        /// The conditions.
        any: Vec<Condition>,
    },
    /// The condition does not hold.
    Not {
        /// The condition.
        not: Box<Condition>,
    },
    /// Priority is one of these.
    PriorityIs {
        /// Priorities.
        priorities: Vec<Priority>,
    },
    /// Priority is at least this.
    PriorityAtLeast {
        /// Priority.
        priority: Priority,
    },
    /// Category is one of these.
    CategoryIs {
        /// Categories.
        categories: Vec<Category>,
    },
    /// Status is one of these.
    StatusIs {
        /// Statuses.
        statuses: Vec<Status>,
    },
    /// Status category is one of these.
    StatusCategoryIs {
        /// Categories.
        categories: Vec<StatusCategory>,
    },
    /// The ticket has this tag.
    HasTag {
        /// Tag.
        tag: Tag,
    },
    /// The ticket has one of these tags.
    HasAnyTag {
        /// Tags.
        tags: Vec<Tag>,
    },
    /// Title or description contains one of these phrases (case-insensitive).
    TextContains {
        /// Phrases.
        phrases: Vec<String>,
    },
    /// The owning team is this one (`None`: no team).
    TeamIs {
        /// Team.
        team: Option<TeamId>,
    },
    /// Nobody is assigned.
    Unassigned,
    /// The assignee is this user.
    AssigneeIs {
        /// User.
        user: UserId,
    },
    /// The requester is this user.
    RequesterIs {
        /// User.
        user: UserId,
    },
    /// The requester's e-mail domain is this one (case-insensitive).
    RequesterEmailDomain {
        /// Domain (`example.com`).
        domain: String,
    },
    /// The classifier's category confidence is below this (or there is none).
    ConfidenceBelow {
        /// 0.0–1.0.
        threshold: f32,
    },
    /// A custom field equals this JSON value.
    CustomFieldEquals {
        /// Key.
        key: String,
        /// Value.
        value: serde_json::Value,
    },
    /// The SLA event that triggered the rule is about this target.
    SlaTargetIs {
        /// Target.
        target: SlaTarget,
    },
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Action {
    /// Hand the ticket to a team.
    SetTeam {
        /// Team.
        team_id: TeamId,
    },
    /// Set the priority.
    SetPriority {
        /// Priority.
        priority: Priority,
    },
    /// Set the category.
    SetCategory {
        /// Category.
        category: Category,
    },
    /// Move to a status (only along a transition the workflow has).
    SetStatus {
        /// Status.
        status: Status,
    },
    /// Add tags.
    AddTags {
        /// Tags.
        tags: Vec<Tag>,
    },
    /// Remove tags.
    RemoveTags {
        /// Tags.
        tags: Vec<Tag>,
    },
    /// Assign by strategy among eligible agents (of the ticket's team when it has one).
    Assign {
        /// Strategy.
        strategy: AssignStrategy,
    },
    /// Assign to a given agent.
    AssignTo {
        /// Agent.
        user_id: UserId,
    },
    /// Send a notification.
    Notify {
        /// To whom.
        recipient: Recipient,
        /// The message.
        message: String,
    },
    /// Add an internal note.
    AddInternalNote {
        /// The note.
        body: String,
    },
    /// Escalate: raise the priority one step, optionally hand to a team, and record why.
    Escalate {
        /// Why (recorded in the history).
        reason: String,
        /// The team to escalate to.
        team_id: Option<TeamId>,
    },
}

/// An automation rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Its id.
    pub id: RuleId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its name.
    pub name: Name,
    /// Rules run by ascending position (then id).
    pub position: i32,
    /// Disabled rules never fire.
    pub enabled: bool,
    /// When it is considered.
    pub triggers: Vec<Trigger>,
    /// When it fires.
    pub condition: Condition,
    /// What it does, in order.
    pub actions: Vec<Action>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl Rule {
    /// The most actions one rule may have.
    pub const MAX_ACTIONS: usize = 50;
    /// The deepest a condition may nest (a single condition is one level).
    pub const MAX_CONDITION_DEPTH: usize = 8;
    /// The most condition nodes (every `all`, `any`, `not` and leaf counts) a rule may have.
    pub const MAX_CONDITION_NODES: usize = 100;
    /// The longest message, note or escalation reason, in characters.
    pub const MAX_TEXT: usize = 5_000;
    /// The longest `text_contains` phrase or e-mail domain, in characters.
    pub const MAX_PHRASE: usize = 200;

    /// Checks the rule: at least one trigger and one action, at most 50 actions, a
    /// condition at most 8 levels deep with at most 100 nodes, valid webhook URLs,
    /// non-empty messages and notes (at most 5,000 characters), confidence thresholds in
    /// 0–1.
    ///
    /// Every problem is reported at once.
    ///
    /// # Errors
    /// [`crate::Error::Invalid`] naming the bad part (`actions[2].message`…).
    pub fn validate(&self) -> Result<()> {
        let mut v = Validator::new();
        if self.triggers.is_empty() {
            v.push("triggers", "must name at least one trigger");
        }
        if self.actions.is_empty() {
            v.push("actions", "must have at least one action");
        }
        if self.actions.len() > Self::MAX_ACTIONS {
            v.push(
                "actions",
                format!("must have at most {} actions", Self::MAX_ACTIONS),
            );
        }
        for (i, action) in self.actions.iter().enumerate() {
            check_action(&mut v, &format!("actions[{i}]"), action);
        }
        check_condition(&mut v, &self.condition);
        v.finish()
    }
}

/// Checks a message, note or reason: non-empty after trimming, at most
/// [`Rule::MAX_TEXT`] characters, no control characters but newline and tab.
fn check_text(v: &mut Validator, field: &str, text: &str) {
    v.check(clean_text(field, text, 1, Rule::MAX_TEXT, false));
}

/// Checks a single-line phrase (`text_contains`, an e-mail domain).
fn check_phrase(v: &mut Validator, field: &str, text: &str) {
    v.check(clean_text(field, text, 1, Rule::MAX_PHRASE, true));
}

fn check_action(v: &mut Validator, path: &str, action: &Action) {
    match action {
        Action::Notify { recipient, message } => {
            if let Recipient::Webhook { url } = recipient {
                v.check(check_webhook_url(&format!("{path}.recipient.url"), url));
            }
            check_text(v, &format!("{path}.message"), message);
        }
        Action::AddInternalNote { body } => check_text(v, &format!("{path}.body"), body),
        Action::Escalate { reason, .. } => check_text(v, &format!("{path}.reason"), reason),
        Action::AddTags { tags } | Action::RemoveTags { tags } if tags.is_empty() => {
            v.push(format!("{path}.tags"), "must list at least one tag");
        }
        Action::AddTags { tags } if tags.len() > Tags::MAX => {
            v.push(
                format!("{path}.tags"),
                format!("must list at most {} tags", Tags::MAX),
            );
        }
        Action::SetTeam { .. }
        | Action::SetPriority { .. }
        | Action::SetCategory { .. }
        | Action::SetStatus { .. }
        | Action::AddTags { .. }
        | Action::RemoveTags { .. }
        | Action::Assign { .. }
        | Action::AssignTo { .. } => {}
    }
}

/// Checks the shape (depth, size) of the condition tree and each of its leaves.
fn check_condition(v: &mut Validator, condition: &Condition) {
    let mut walk = ConditionWalk {
        v,
        nodes: 0,
        deepest: 0,
    };
    walk.visit(condition, "condition", 1);
    let ConditionWalk { v, nodes, deepest } = walk;
    if deepest > Rule::MAX_CONDITION_DEPTH {
        v.push(
            "condition",
            format!(
                "must nest at most {} levels deep",
                Rule::MAX_CONDITION_DEPTH
            ),
        );
    }
    if nodes > Rule::MAX_CONDITION_NODES {
        v.push(
            "condition",
            format!("must have at most {} conditions", Rule::MAX_CONDITION_NODES),
        );
    }
}

/// A walk over a condition tree that measures it and checks its leaves.
struct ConditionWalk<'v> {
    v: &'v mut Validator,
    nodes: usize,
    deepest: usize,
}

impl ConditionWalk<'_> {
    fn visit(&mut self, condition: &Condition, path: &str, depth: usize) {
        self.nodes += 1;
        self.deepest = self.deepest.max(depth);
        if depth > Rule::MAX_CONDITION_DEPTH {
            // Too deep already (reported once by the caller); going further only costs stack.
            return;
        }
        match condition {
            Condition::All { all } => self.visit_each(all, &format!("{path}.all"), depth),
            Condition::Any { any } => self.visit_each(any, &format!("{path}.any"), depth),
            Condition::Not { not } => self.visit(not, &format!("{path}.not"), depth + 1),
            Condition::ConfidenceBelow { threshold } if !(0.0..=1.0).contains(threshold) => {
                self.v
                    .push(format!("{path}.threshold"), "must be between 0 and 1");
            }
            Condition::TextContains { phrases } if phrases.is_empty() => {
                self.v
                    .push(format!("{path}.phrases"), "must list at least one phrase");
            }
            Condition::TextContains { phrases } => {
                for (i, phrase) in phrases.iter().enumerate() {
                    check_phrase(self.v, &format!("{path}.phrases[{i}]"), phrase);
                }
            }
            Condition::RequesterEmailDomain { domain } => {
                check_phrase(self.v, &format!("{path}.domain"), domain)
            }
            Condition::Always
            | Condition::PriorityIs { .. }
            | Condition::PriorityAtLeast { .. }
            | Condition::CategoryIs { .. }
            | Condition::StatusIs { .. }
            | Condition::StatusCategoryIs { .. }
            | Condition::HasTag { .. }
            | Condition::HasAnyTag { .. }
            | Condition::TeamIs { .. }
            | Condition::Unassigned
            | Condition::AssigneeIs { .. }
            | Condition::RequesterIs { .. }
            | Condition::ConfidenceBelow { .. }
            | Condition::CustomFieldEquals { .. }
            | Condition::SlaTargetIs { .. } => {}
        }
    }

    fn visit_each(&mut self, children: &[Condition], path: &str, depth: usize) {
        for (i, child) in children.iter().enumerate() {
            self.visit(child, &format!("{path}[{i}]"), depth + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn rule(condition: Condition, actions: Vec<Action>) -> Rule {
        crate::rules::fixtures::rule(0, "Test rule", condition, actions)
    }

    fn note(body: &str) -> Action {
        Action::AddInternalNote { body: body.into() }
    }

    /// The fields named by the validation error of `rule`.
    fn bad_fields(rule: &Rule) -> Vec<String> {
        match rule.validate() {
            Err(Error::Invalid(fields)) => fields.into_iter().map(|f| f.field).collect(),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    fn nested(depth: usize) -> Condition {
        (1..depth).fold(Condition::Always, |c, _| Condition::Not {
            not: Box::new(c),
        })
    }

    #[test]
    fn a_plain_rule_is_valid() {
        let r = rule(Condition::Always, vec![note("Looked at by automation.")]);
        assert!(r.validate().is_ok());
    }

    #[test]
    fn needs_a_trigger_and_an_action() {
        let mut r = rule(Condition::Always, vec![]);
        r.triggers.clear();
        assert_eq!(bad_fields(&r), ["triggers", "actions"]);
    }

    #[test]
    fn at_most_fifty_actions() {
        let actions = vec![
            Action::SetPriority {
                priority: Priority::High
            };
            Rule::MAX_ACTIONS
        ];
        assert!(rule(Condition::Always, actions.clone()).validate().is_ok());
        let mut too_many = actions;
        too_many.push(Action::SetPriority {
            priority: Priority::High,
        });
        assert_eq!(bad_fields(&rule(Condition::Always, too_many)), ["actions"]);
    }

    #[test]
    fn messages_and_notes_are_checked_with_their_paths() {
        let r = rule(
            Condition::Always,
            vec![
                note("fine"),
                Action::Notify {
                    recipient: Recipient::Webhook {
                        url: "ftp://example.com".into(),
                    },
                    message: "   ".into(),
                },
                note(&"x".repeat(Rule::MAX_TEXT + 1)),
                note("bell\u{7}"),
                Action::Escalate {
                    reason: String::new(),
                    team_id: None,
                },
                Action::AddTags { tags: vec![] },
                note("multi\nline\tnote"),
                Action::Notify {
                    recipient: Recipient::Webhook {
                        url: "https://hooks.example.com/x".into(),
                    },
                    message: "ok".into(),
                },
            ],
        );
        assert_eq!(
            bad_fields(&r),
            [
                "actions[1].recipient.url",
                "actions[1].message",
                "actions[2].body",
                "actions[3].body",
                "actions[4].reason",
                "actions[5].tags",
            ]
        );
        assert!(
            rule(Condition::Always, vec![note(&"x".repeat(Rule::MAX_TEXT))])
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn condition_depth_is_bounded() {
        let ok = rule(nested(Rule::MAX_CONDITION_DEPTH), vec![note("n")]);
        assert!(ok.validate().is_ok());
        let deep = rule(nested(Rule::MAX_CONDITION_DEPTH + 1), vec![note("n")]);
        assert_eq!(bad_fields(&deep), ["condition"]);
        // Very deep trees are refused without walking them all the way down.
        let very_deep = rule(nested(5_000), vec![note("n")]);
        assert_eq!(bad_fields(&very_deep), ["condition"]);
    }

    #[test]
    fn condition_size_is_bounded() {
        let wide = |n| Condition::Any {
            any: vec![Condition::Unassigned; n],
        };
        assert!(rule(wide(Rule::MAX_CONDITION_NODES - 1), vec![note("n")])
            .validate()
            .is_ok());
        assert_eq!(
            bad_fields(&rule(wide(Rule::MAX_CONDITION_NODES), vec![note("n")])),
            ["condition"]
        );
    }

    #[test]
    fn leaf_conditions_are_checked_with_their_paths() {
        let condition = Condition::All {
            all: vec![
                Condition::ConfidenceBelow { threshold: 0.5 },
                Condition::ConfidenceBelow { threshold: 1.5 },
                Condition::Any {
                    any: vec![
                        Condition::TextContains {
                            phrases: vec!["ok".into(), " ".into()],
                        },
                        Condition::TextContains { phrases: vec![] },
                        Condition::Not {
                            not: Box::new(Condition::ConfidenceBelow {
                                threshold: f32::NAN,
                            }),
                        },
                    ],
                },
                Condition::RequesterEmailDomain {
                    domain: String::new(),
                },
                Condition::ConfidenceBelow { threshold: -0.1 },
            ],
        };
        assert_eq!(
            bad_fields(&rule(condition, vec![note("n")])),
            [
                "condition.all[1].threshold",
                "condition.all[2].any[0].phrases[1]",
                "condition.all[2].any[1].phrases",
                "condition.all[2].any[2].not.threshold",
                "condition.all[3].domain",
                "condition.all[4].threshold",
            ]
        );
    }

    #[test]
    fn rules_round_trip_through_json_with_snake_case_tags() {
        let r = rule(
            Condition::All {
                all: vec![
                    Condition::Unassigned,
                    Condition::PriorityAtLeast {
                        priority: Priority::High,
                    },
                ],
            },
            vec![Action::Assign {
                strategy: AssignStrategy::SkillsMatch,
            }],
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["condition"]["type"], "all");
        assert_eq!(json["condition"]["all"][1]["type"], "priority_at_least");
        assert_eq!(
            json["actions"][0],
            serde_json::json!({"type": "assign", "strategy": "skills_match"})
        );
        assert_eq!(serde_json::from_value::<Rule>(json).unwrap(), r);
    }
}
