//! The rules a new tenant starts with.

use super::{Action, Condition, Rule, Trigger};
use crate::id::{RuleId, TenantId};
use crate::routing::AssignStrategy;
use crate::text::{Name, Tag};
use crate::ticket::Priority;
use chrono::{DateTime, Utc};

/// The rules a new tenant starts with, editable like any other: tag outage reports (and
/// make them critical), escalate high and critical tickets that breach their SLA (raise
/// the priority, with an internal note saying why), and route unassigned new tickets to
/// the least-loaded agent. All enabled, with fresh ids and `updated_at` at the Unix epoch.
#[must_use]
pub fn default_rules(tenant: TenantId) -> Vec<Rule> {
    let rule = |position, name: &'static str, trigger, condition, actions| Rule {
        id: RuleId::new(),
        tenant,
        name: Name::known(name),
        position,
        enabled: true,
        triggers: vec![trigger],
        condition,
        actions,
        updated_at: DateTime::<Utc>::UNIX_EPOCH,
    };
    let phrase = |p: &str| p.to_string();
    [
        rule(
            10,
            "Tag outage reports",
            Trigger::TicketCreated,
            Condition::TextContains {
                phrases: [
                    "outage",
                    "is down",
                    "service unavailable",
                    "down for everyone",
                ]
                .map(phrase)
                .into(),
            },
            vec![
                Action::AddTags {
                    tags: vec![Tag::known("outage")],
                },
                Action::SetPriority {
                    priority: Priority::Critical,
                },
            ],
        ),
        rule(
            20,
            "Escalate breached urgent tickets",
            Trigger::SlaBreached,
            Condition::PriorityAtLeast {
                priority: Priority::High,
            },
            vec![
                Action::Escalate {
                    reason: phrase("SLA breached"),
                    team_id: None,
                },
                Action::AddInternalNote {
                    body: phrase("Escalated automatically: the SLA was breached."),
                },
            ],
        ),
        rule(
            100,
            "Route new tickets to the least-loaded agent",
            Trigger::TicketCreated,
            Condition::Unassigned,
            vec![Action::Assign {
                strategy: AssignStrategy::LeastLoaded,
            }],
        ),
    ]
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SlaTarget;
    use crate::rules::fixtures::{ctx, fired_names as names, run, tag, ticket};
    use crate::rules::{run_rules, Effect, RuleContext};
    use crate::text::Description;
    use crate::workflow::Workflow;

    #[test]
    fn default_rules_are_valid_enabled_and_ordered() {
        let tenant = TenantId::new();
        let rules = default_rules(tenant);
        assert_eq!(rules.len(), 3);
        for r in &rules {
            r.validate().unwrap();
            assert!(r.enabled);
            assert_eq!(r.tenant, tenant);
            assert_eq!(r.updated_at, DateTime::<Utc>::UNIX_EPOCH);
        }
        let positions: Vec<i32> = rules.iter().map(|r| r.position).collect();
        assert_eq!(positions, [10, 20, 100]);
        assert_ne!(rules[0].id, default_rules(tenant)[0].id, "fresh ids");
    }

    #[test]
    fn default_rules_tag_outages_and_route_new_tickets() {
        let rules = default_rules(TenantId::DEFAULT);
        let mut t = ticket();
        t.description = Description::parse("The portal is DOWN for everyone").unwrap();
        let out = run(&rules, &mut t);
        assert_eq!(
            names(&out),
            [
                "Tag outage reports",
                "Route new tickets to the least-loaded agent"
            ]
        );
        assert!(t.tags.contains(&tag("outage")));
        assert_eq!(t.priority, Priority::Critical);
        assert_eq!(
            out.effects,
            [Effect::Assign {
                rule_id: rules[2].id,
                strategy: AssignStrategy::LeastLoaded
            }]
        );

        let mut login = ticket();
        login.description = Description::parse("I cannot log in").unwrap();
        let out = run(&rules, &mut login);
        assert_eq!(names(&out), ["Route new tickets to the least-loaded agent"]);
        assert!(login.tags.is_empty());
    }

    #[test]
    fn default_rules_escalate_breached_urgent_tickets() {
        let rules = default_rules(TenantId::DEFAULT);
        let w = Workflow::default_workflow();
        let breach = RuleContext {
            sla_targets: &[SlaTarget::Resolution],
            ..ctx(&w, Trigger::SlaBreached)
        };
        let mut high = ticket();
        high.priority = Priority::High;
        let out = run_rules(&rules, &breach, &mut high);
        assert_eq!(names(&out), ["Escalate breached urgent tickets"]);
        assert_eq!(high.priority, Priority::Critical);
        assert_eq!(
            out.effects,
            [
                Effect::Escalated {
                    rule_id: rules[1].id,
                    reason: "SLA breached".into()
                },
                Effect::InternalNote {
                    rule_id: rules[1].id,
                    body: "Escalated automatically: the SLA was breached.".into()
                },
            ]
        );
        let mut medium = ticket();
        assert!(run_rules(&rules, &breach, &mut medium).fired.is_empty());
    }
}
