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
    /// Whether its field changes altered the ticket (a rule can fire and change
    /// nothing: a tag the ticket has already, a status it is in).
    pub changed: bool,
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
                let changed = fire(rule, ctx, ticket, &mut effects);
                self.changed |= changed;
                return Some(Fired {
                    rule_id: rule.id,
                    name: rule.name.clone(),
                    effects,
                    changed,
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
    if ticket.status == *status {
        return false;
    }
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
mod tests;
