//! Running rules against a ticket.

use crate::event::SlaTarget;
use crate::id::{RuleId, TenantId, UserId};
use crate::notify::Recipient;
use crate::routing::AssignStrategy;
use crate::rules::{Rule, Trigger};
use crate::text::{Email, Name};
use crate::ticket::Ticket;
use crate::workflow::Workflow;
use serde::{Deserialize, Serialize};

/// What a rule run needs beyond the ticket.
#[derive(Debug, Clone, Copy)]
pub struct RuleContext<'a> {
    /// What happened.
    pub trigger: Trigger,
    /// The workflow (for `SetStatus`).
    pub workflow: &'a Workflow,
    /// The requester's e-mail (for `RequesterEmailDomain`).
    pub requester_email: Option<&'a Email>,
    /// For SLA triggers: which target.
    pub sla_target: Option<SlaTarget>,
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

/// Runs `rules` (enabled, with `ctx.trigger` among their triggers) against `ticket` in
/// (position, id) order, applying field actions to `ticket` as they fire. Passes repeat
/// until no further rule fires, and each rule fires at most once, so rules can build on
/// each other but never loop.
pub fn run_rules(rules: &[Rule], ctx: &RuleContext<'_>, ticket: &mut Ticket) -> RuleRun {
    let _ = (rules, ctx, ticket);
    todo!("rules helper")
}

/// Dry-runs one rule (ignoring its trigger list and enabled flag) against a copy of
/// `ticket`. No side effects.
#[must_use]
pub fn preview(rule: &Rule, ctx: &RuleContext<'_>, ticket: &Ticket) -> RulePreview {
    let _ = (rule, ctx, ticket);
    todo!("rules helper")
}

/// The rules a new tenant starts with, editable like any other: escalate critical
/// tickets that breach their SLA (raise priority, notify admins… via an internal note),
/// tag outage reports, and route unassigned new tickets least-loaded.
#[must_use]
pub fn default_rules(tenant: TenantId) -> Vec<Rule> {
    let _ = tenant;
    todo!("rules helper")
}
