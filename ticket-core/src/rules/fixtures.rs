//! Test fixtures shared by the rules and routing tests.

use super::{run_rules, Action, Condition, Rule, RuleContext, RuleRun, Trigger};
use crate::id::{RuleId, TenantId, TicketId, UserId};
use crate::text::{Category, CustomFields, Description, Name, Status, Tag, Tags, Title};
use crate::ticket::{Priority, Ticket};
use crate::workflow::{StatusCategory, Workflow};
use chrono::{DateTime, Utc};

/// A new, medium-priority, general ticket with no tags, team or assignee.
pub(crate) fn ticket() -> Ticket {
    Ticket {
        id: TicketId::new(),
        tenant: TenantId::DEFAULT,
        title: Title::parse("Printer on fire").unwrap(),
        description: Description::parse("The office printer is smoking.").unwrap(),
        status: Status::known("new"),
        status_category: StatusCategory::New,
        priority: Priority::Medium,
        category: Category::default(),
        tags: Tags::empty(),
        custom_fields: CustomFields::default(),
        requester: UserId::new(),
        assignee: None,
        team: None,
        classification: None,
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

/// A valid tag.
pub(crate) fn tag(s: &str) -> Tag {
    Tag::parse(s).unwrap()
}

/// Valid tags.
pub(crate) fn tags(s: &[&str]) -> Tags {
    Tags::parse(s).unwrap()
}

/// A context for `trigger` with no requester e-mail and no SLA target.
pub(crate) fn ctx(workflow: &Workflow, trigger: Trigger) -> RuleContext<'_> {
    RuleContext {
        triggers: std::slice::from_ref(trigger_ref(trigger)),
        workflow,
        requester_email: None,
        sla_targets: &[],
    }
}

/// A `'static` reference to `trigger`.
fn trigger_ref(trigger: Trigger) -> &'static Trigger {
    match trigger {
        Trigger::TicketCreated => &Trigger::TicketCreated,
        Trigger::TicketUpdated => &Trigger::TicketUpdated,
        Trigger::CommentAdded => &Trigger::CommentAdded,
        Trigger::SlaWarning => &Trigger::SlaWarning,
        Trigger::SlaBreached => &Trigger::SlaBreached,
    }
}

/// An enabled rule on `TicketCreated`.
pub(crate) fn rule(position: i32, name: &str, condition: Condition, actions: Vec<Action>) -> Rule {
    Rule {
        id: RuleId::new(),
        tenant: TenantId::DEFAULT,
        name: Name::parse(name).unwrap(),
        position,
        enabled: true,
        triggers: vec![Trigger::TicketCreated],
        condition,
        actions,
        updated_at: DateTime::<Utc>::UNIX_EPOCH,
    }
}

/// Runs `rules` on a `TicketCreated` trigger with the default workflow.
pub(crate) fn run(rules: &[Rule], ticket: &mut Ticket) -> RuleRun {
    run_rules(
        rules,
        &ctx(&Workflow::default_workflow(), Trigger::TicketCreated),
        ticket,
    )
}

/// The names of the rules that fired, in order.
pub(crate) fn fired_names(run: &RuleRun) -> Vec<&str> {
    run.fired.iter().map(|(_, name)| name.as_str()).collect()
}
