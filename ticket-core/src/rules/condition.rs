//! Evaluating conditions.

use super::{Condition, RuleContext};
use crate::ticket::Ticket;
use std::borrow::Cow;
use std::cell::OnceCell;

impl Condition {
    /// Whether the condition holds for `ticket` in `ctx`.
    ///
    /// Text is compared case-insensitively; a missing requester e-mail never matches a
    /// domain; a missing classification counts as no confidence at all.
    #[must_use]
    pub fn matches(&self, ticket: &Ticket, ctx: &RuleContext<'_>) -> bool {
        self.holds(ticket, ctx, &LoweredText::default())
    }

    /// Whether evaluating the condition may read the requester's e-mail (so a caller
    /// without a rule that does can skip looking the requester up).
    #[must_use]
    pub fn needs_requester_email(&self) -> bool {
        match self {
            Self::RequesterEmailDomain { .. } => true,
            Self::All { all: cs } | Self::Any { any: cs } => {
                cs.iter().any(Self::needs_requester_email)
            }
            Self::Not { not } => not.needs_requester_email(),
            _ => false,
        }
    }

    /// [`Condition::matches`] with the lower-cased text of `ticket` shared between
    /// evaluations (the engine evaluates many conditions against one ticket).
    pub(crate) fn holds(&self, ticket: &Ticket, ctx: &RuleContext<'_>, text: &LoweredText) -> bool {
        match self {
            Self::Always => true,
            Self::All { all } => all.iter().all(|c| c.holds(ticket, ctx, text)),
            Self::Any { any } => any.iter().any(|c| c.holds(ticket, ctx, text)),
            Self::Not { not } => !not.holds(ticket, ctx, text),
            Self::PriorityIs { priorities } => priorities.contains(&ticket.priority),
            Self::PriorityAtLeast { priority } => ticket.priority >= *priority,
            Self::CategoryIs { categories } => categories.contains(&ticket.category),
            Self::StatusIs { statuses } => statuses.contains(&ticket.status),
            Self::StatusCategoryIs { categories } => categories.contains(&ticket.status_category),
            Self::HasTag { tag } => ticket.tags.contains(tag),
            Self::HasAnyTag { tags } => tags.iter().any(|t| ticket.tags.contains(t)),
            Self::TextContains { phrases } => text.contains_any(ticket, phrases),
            Self::TeamIs { team } => ticket.team == *team,
            Self::Unassigned => ticket.assignee.is_none(),
            Self::AssigneeIs { user } => ticket.assignee == Some(*user),
            Self::RequesterIs { user } => ticket.requester == *user,
            Self::RequesterEmailDomain { domain } => ctx
                .requester_email
                .is_some_and(|email| same_domain(email.domain(), domain)),
            Self::ConfidenceBelow { threshold } => match category_confidence(ticket) {
                Some(confidence) => confidence < *threshold,
                None => true,
            },
            Self::CustomFieldEquals { key, value } => ticket.custom_fields.get(key) == Some(value),
            Self::SlaTargetIs { target } => ctx.sla_targets.contains(target),
        }
    }
}

/// The classifier's confidence in the ticket's category, if it gave one.
fn category_confidence(ticket: &Ticket) -> Option<f32> {
    ticket
        .classification
        .as_ref()?
        .category
        .as_ref()
        .map(|c| c.confidence)
}

/// Whether an (already lower-case) e-mail domain is `wanted`, ignoring case, surrounding
/// white space and a leading `@`.
fn same_domain(domain: &str, wanted: &str) -> bool {
    let wanted = wanted.trim();
    let wanted = wanted.strip_prefix('@').unwrap_or(wanted);
    domain
        .chars()
        .eq(wanted.chars().flat_map(char::to_lowercase))
}

/// `s` in lower case, borrowed when it already is.
fn lower(s: &str) -> Cow<'_, str> {
    if s.chars().any(char::is_uppercase) {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// A ticket's title and description in lower case, computed on first use. Valid for one
/// ticket whose title and description do not change (no rule action touches them).
#[derive(Debug, Default)]
pub(crate) struct LoweredText(OnceCell<(String, String)>);

impl LoweredText {
    /// Whether any phrase occurs, ignoring case, in the title or the description (an empty
    /// phrase matches nothing).
    fn contains_any(&self, ticket: &Ticket, phrases: &[String]) -> bool {
        let (title, description) = self.0.get_or_init(|| {
            (
                ticket.title.as_str().to_lowercase(),
                ticket.description.as_str().to_lowercase(),
            )
        });
        phrases
            .iter()
            .filter(|phrase| !phrase.is_empty())
            .any(|phrase| {
                let phrase = lower(phrase);
                title.contains(phrase.as_ref()) || description.contains(phrase.as_ref())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SlaTarget;
    use crate::id::{TeamId, UserId};
    use crate::rules::fixtures::{self, tag, tags, ticket};
    use crate::rules::Trigger;
    use crate::text::{Category, CustomFields, Description, Email, Status, Title};
    use crate::ticket::{Classification, Priority, Scored};
    use crate::workflow::{StatusCategory, Workflow};
    use serde_json::json;

    /// A `TicketCreated` context.
    fn ctx(workflow: &Workflow) -> RuleContext<'_> {
        fixtures::ctx(workflow, Trigger::TicketCreated)
    }

    fn holds(condition: &Condition, ticket: &Ticket) -> bool {
        condition.matches(ticket, &ctx(&Workflow::default_workflow()))
    }

    fn phrases(p: &[&str]) -> Condition {
        Condition::TextContains {
            phrases: p.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn always_all_any_not() {
        let t = ticket();
        let yes = || Condition::Always;
        let no = || Condition::Not {
            not: Box::new(Condition::Always),
        };
        assert!(holds(&yes(), &t));
        assert!(!holds(&no(), &t));
        assert!(holds(
            &Condition::All {
                all: vec![yes(), yes()]
            },
            &t
        ));
        assert!(!holds(
            &Condition::All {
                all: vec![yes(), no()]
            },
            &t
        ));
        assert!(
            holds(&Condition::All { all: vec![] }, &t),
            "an empty all holds"
        );
        assert!(holds(
            &Condition::Any {
                any: vec![no(), yes()]
            },
            &t
        ));
        assert!(!holds(
            &Condition::Any {
                any: vec![no(), no()]
            },
            &t
        ));
        assert!(
            !holds(&Condition::Any { any: vec![] }, &t),
            "an empty any does not"
        );
    }

    #[test]
    fn priority_conditions() {
        let mut t = ticket();
        t.priority = Priority::High;
        assert!(holds(
            &Condition::PriorityIs {
                priorities: vec![Priority::Low, Priority::High]
            },
            &t
        ));
        assert!(!holds(
            &Condition::PriorityIs {
                priorities: vec![Priority::Critical]
            },
            &t
        ));
        assert!(holds(
            &Condition::PriorityAtLeast {
                priority: Priority::High
            },
            &t
        ));
        assert!(holds(
            &Condition::PriorityAtLeast {
                priority: Priority::Medium
            },
            &t
        ));
        assert!(!holds(
            &Condition::PriorityAtLeast {
                priority: Priority::Critical
            },
            &t
        ));
    }

    #[test]
    fn category_status_and_status_category() {
        let mut t = ticket();
        t.category = Category::known(Category::BILLING);
        assert!(holds(
            &Condition::CategoryIs {
                categories: vec![Category::known(Category::BILLING)]
            },
            &t
        ));
        assert!(!holds(
            &Condition::CategoryIs {
                categories: Category::defaults()[1..].to_vec()
            },
            &t
        ));
        assert!(holds(
            &Condition::StatusIs {
                statuses: vec![Status::known("open"), Status::known("new")]
            },
            &t
        ));
        assert!(!holds(
            &Condition::StatusIs {
                statuses: vec![Status::known("open")]
            },
            &t
        ));
        assert!(holds(
            &Condition::StatusCategoryIs {
                categories: vec![StatusCategory::New]
            },
            &t
        ));
        assert!(!holds(
            &Condition::StatusCategoryIs {
                categories: vec![StatusCategory::Open]
            },
            &t
        ));
    }

    #[test]
    fn tag_conditions() {
        let mut t = ticket();
        t.tags = tags(&["vpn", "windows"]);
        assert!(holds(&Condition::HasTag { tag: tag("vpn") }, &t));
        assert!(!holds(&Condition::HasTag { tag: tag("mac") }, &t));
        assert!(holds(
            &Condition::HasAnyTag {
                tags: vec![tag("mac"), tag("windows")]
            },
            &t
        ));
        assert!(!holds(
            &Condition::HasAnyTag {
                tags: vec![tag("mac")]
            },
            &t
        ));
        assert!(!holds(&Condition::HasAnyTag { tags: vec![] }, &t));
    }

    #[test]
    fn text_contains_ignores_case_in_title_and_description() {
        let mut t = ticket();
        t.title = Title::parse("Checkout IS DOWN").unwrap();
        t.description =
            Description::parse("Since 9am customers see Service Unavailable. Ärger!").unwrap();
        assert!(holds(&phrases(&["is down"]), &t), "title");
        assert!(holds(&phrases(&["service unavailable"]), &t), "description");
        assert!(
            holds(&phrases(&["nothing", "SERVICE"]), &t),
            "any phrase, phrase case ignored"
        );
        assert!(holds(&phrases(&["ärger"]), &t), "beyond ASCII");
        assert!(!holds(&phrases(&["outage"]), &t));
        assert!(
            !holds(&phrases(&["down since"]), &t),
            "no match across title and description"
        );
        assert!(
            !holds(&phrases(&[""]), &t),
            "an empty phrase matches nothing"
        );
        assert!(!holds(&phrases(&[]), &t));
    }

    #[test]
    fn team_and_assignment_conditions() {
        let mut t = ticket();
        let team = TeamId::new();
        assert!(holds(&Condition::TeamIs { team: None }, &t));
        assert!(!holds(&Condition::TeamIs { team: Some(team) }, &t));
        t.team = Some(team);
        assert!(holds(&Condition::TeamIs { team: Some(team) }, &t));
        assert!(!holds(&Condition::TeamIs { team: None }, &t));

        let agent = UserId::new();
        assert!(holds(&Condition::Unassigned, &t));
        assert!(!holds(&Condition::AssigneeIs { user: agent }, &t));
        t.assignee = Some(agent);
        assert!(!holds(&Condition::Unassigned, &t));
        assert!(holds(&Condition::AssigneeIs { user: agent }, &t));
        assert!(!holds(
            &Condition::AssigneeIs {
                user: UserId::new()
            },
            &t
        ));

        assert!(holds(&Condition::RequesterIs { user: t.requester }, &t));
        assert!(!holds(&Condition::RequesterIs { user: agent }, &t));
    }

    #[test]
    fn only_domain_conditions_need_the_requester_email() {
        let domain = Condition::RequesterEmailDomain {
            domain: "example.com".into(),
        };
        assert!(domain.needs_requester_email());
        let nested = Condition::All {
            all: vec![
                Condition::Unassigned,
                Condition::Not {
                    not: Box::new(Condition::Any {
                        any: vec![Condition::Always, domain],
                    }),
                },
            ],
        };
        assert!(nested.needs_requester_email());
        let plain = Condition::All {
            all: vec![Condition::Unassigned, Condition::Always],
        };
        assert!(!plain.needs_requester_email());
    }

    #[test]
    fn requester_email_domain_ignores_case_and_needs_an_email() {
        let t = ticket();
        let w = Workflow::default_workflow();
        let email = Email::parse("Ann@Example.COM").unwrap();
        let with_email = RuleContext {
            requester_email: Some(&email),
            ..ctx(&w)
        };
        let domain = |d: &str| Condition::RequesterEmailDomain { domain: d.into() };
        assert!(domain("example.com").matches(&t, &with_email));
        assert!(domain("EXAMPLE.com").matches(&t, &with_email));
        assert!(domain(" @example.com ").matches(&t, &with_email));
        assert!(!domain("example.org").matches(&t, &with_email));
        assert!(!domain("ample.com").matches(&t, &with_email));
        assert!(
            !domain("example.com").matches(&t, &ctx(&w)),
            "unknown e-mail"
        );
    }

    #[test]
    fn confidence_below() {
        let mut t = ticket();
        let below = |threshold| Condition::ConfidenceBelow { threshold };
        assert!(holds(&below(0.5), &t), "no classification");
        t.classification = Some(Classification::default());
        assert!(holds(&below(0.5), &t), "no category");
        t.classification = Some(Classification {
            category: Some(Scored {
                value: Category::default(),
                confidence: 0.4,
            }),
            ..Classification::default()
        });
        assert!(holds(&below(0.5), &t));
        assert!(!holds(&below(0.4), &t), "strictly below");
        assert!(!holds(&below(0.0), &t));
    }

    #[test]
    fn custom_field_equals() {
        let mut t = ticket();
        t.custom_fields =
            CustomFields::parse([("plan".to_string(), json!("enterprise"))].into()).unwrap();
        let equals = |key: &str, value| Condition::CustomFieldEquals {
            key: key.into(),
            value,
        };
        assert!(holds(&equals("plan", json!("enterprise")), &t));
        assert!(!holds(&equals("plan", json!("free")), &t));
        assert!(
            !holds(&equals("seats", json!(null)), &t),
            "a missing field equals nothing"
        );
    }

    #[test]
    fn sla_target_is() {
        let t = ticket();
        let w = Workflow::default_workflow();
        let target = Condition::SlaTargetIs {
            target: SlaTarget::Resolution,
        };
        assert!(!target.matches(&t, &ctx(&w)));
        let breached = RuleContext {
            triggers: &[Trigger::SlaBreached],
            sla_targets: &[SlaTarget::Resolution],
            ..ctx(&w)
        };
        assert!(target.matches(&t, &breached));
        let other = RuleContext {
            sla_targets: &[SlaTarget::FirstResponse],
            ..breached
        };
        assert!(!target.matches(&t, &other));
        let both = RuleContext {
            sla_targets: &[SlaTarget::FirstResponse, SlaTarget::Resolution],
            ..breached
        };
        assert!(target.matches(&t, &both), "one of the change's targets");
    }
}
