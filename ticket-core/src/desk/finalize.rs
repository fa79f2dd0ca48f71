//! What every change goes through before it is saved: rules, routing effects, default notifications, the SLA snapshot, timestamps.

use super::change::Draft;
use super::HelpDesk;
use crate::account::{Actor, User};
use crate::error::{Error, Result};
use crate::event::{AuthorKind, EventKind, SlaTarget, TicketEvent};
use crate::notify::NotificationKind;
use crate::routing::choose_assignee;
use crate::rules::{run_rules, Effect, RuleContext, Trigger};
use crate::sla::{evaluate, select_policy, BusinessCalendar, SlaStatus};
use crate::text::CommentBody;
use crate::ticket::{Ticket, Visibility};
use crate::workflow::StatusCategory;

impl HelpDesk {
    /// Records the actor's changes, runs the rules for each trigger, carries out their
    /// effects, stamps timestamps, adds the default notifications, recomputes the SLA
    /// snapshot, and stores it all in one atomic save.
    pub(super) async fn finalize(
        &self,
        mut d: Draft,
        actor: &Actor,
        triggers: &[(Trigger, Option<SlaTarget>)],
    ) -> Result<Ticket> {
        d.record(actor.user_id());
        for (trigger, sla_target) in triggers {
            self.run_rules(&mut d, *trigger, *sla_target).await?;
        }
        d.record(None);
        stamp(&mut d);
        self.default_notifications(&mut d, actor);
        let history = if d.is_new() {
            Vec::new()
        } else {
            self.inner
                .store
                .ticket_events(d.ticket.tenant, d.ticket.id)
                .await?
        };
        let all: Vec<TicketEvent> = history
            .into_iter()
            .chain(d.events.iter().cloned())
            .collect();
        d.ticket.sla = self
            .evaluate_sla(&d.ticket, &all, d.now)
            .await?
            .map(|s| s.snapshot());
        self.commit(d.finish()).await
    }

    pub(super) async fn run_rules(
        &self,
        d: &mut Draft,
        trigger: Trigger,
        sla_target: Option<SlaTarget>,
    ) -> Result<()> {
        let tenant = d.ticket.tenant;
        let rules = self.inner.store.list_rules(tenant).await?;
        if rules.is_empty() {
            return Ok(());
        }
        let needed = rules.iter().any(|r| r.condition.needs_requester_email());
        let requester = self.rule_requester(&d.ticket, needed).await;
        let ctx = RuleContext {
            trigger,
            workflow: &self.inner.config.workflow,
            requester_email: requester.as_ref().map(|u| &u.email),
            sla_target,
        };
        let run = run_rules(&rules, &ctx, &mut d.ticket);
        for (rule_id, name) in run.fired {
            d.event(
                None,
                EventKind::RuleFired {
                    rule_id,
                    name: name.to_string(),
                },
            );
        }
        let system = crate::account::Actor::system(tenant);
        for effect in run.effects {
            self.apply_effect(d, &system, effect).await?;
        }
        Ok(())
    }

    /// The requester of `ticket` for rule conditions, read only when `needed` (some
    /// condition looks at their e-mail); unknown when the read fails.
    pub(super) async fn rule_requester(&self, ticket: &Ticket, needed: bool) -> Option<User> {
        if !needed {
            return None;
        }
        self.inner
            .store
            .get_user(ticket.tenant, ticket.requester)
            .await
            .ok()
    }

    pub(super) async fn apply_effect(
        &self,
        d: &mut Draft,
        system: &Actor,
        effect: Effect,
    ) -> Result<()> {
        match effect {
            Effect::Assign { strategy, .. } => {
                if d.ticket.assignee.is_none() {
                    let loads = self
                        .inner
                        .store
                        .agent_loads(d.ticket.tenant, d.ticket.team)
                        .await?;
                    if let Some(user) = choose_assignee(strategy, &d.ticket, &loads) {
                        d.ticket.assignee = Some(user);
                        d.assign_reason = self.assignment_reason(strategy, d, &loads, user).await;
                    }
                }
            }
            Effect::AssignTo { user_id, .. } => {
                if self.check_assignable(system, user_id).await.is_ok() {
                    d.ticket.assignee = Some(user_id);
                }
            }
            Effect::Notify {
                recipient, message, ..
            } => {
                // A rule pointing at a team or user since deleted must not block the change.
                let _ = self
                    .route(d, system, &recipient, NotificationKind::Message, &message)
                    .await;
            }
            Effect::InternalNote { body, .. } => {
                if let Ok(body) = CommentBody::parse(body) {
                    d.comment(None, AuthorKind::System, Visibility::Internal, body);
                }
            }
            Effect::Escalated { rule_id, reason } => {
                d.event(
                    None,
                    EventKind::Escalated {
                        rule_id: Some(rule_id),
                        reason: reason.clone(),
                    },
                );
                if let Some(a) = d.ticket.assignee {
                    d.notify_user(
                        a,
                        None,
                        NotificationKind::Escalated,
                        format!("Escalated: {} ({reason})", d.ticket.title),
                    );
                }
            }
        }
        Ok(())
    }

    /// In-app notifications every change gets: the new assignee, the requester on staff
    /// replies and status changes, the assignee on requester replies and SLA events.
    pub(super) fn default_notifications(&self, d: &mut Draft, actor: &Actor) {
        let me = actor.user_id();
        let title = d.ticket.title.to_string();
        let (requester, assignee) = (d.ticket.requester, d.ticket.assignee);
        let events: Vec<EventKind> = d.events.iter().map(|e| e.kind.clone()).collect();
        for kind in events {
            match kind {
                EventKind::Assigned { to: Some(u), .. } => {
                    d.notify_user(
                        u,
                        me,
                        NotificationKind::TicketAssigned,
                        format!("Assigned to you: {title}"),
                    );
                }
                EventKind::Commented {
                    visibility: Visibility::Public,
                    author: AuthorKind::Staff | AuthorKind::System,
                    ..
                } => {
                    d.notify_user(
                        requester,
                        me,
                        NotificationKind::CommentAdded,
                        format!("New reply on: {title}"),
                    );
                }
                EventKind::Commented {
                    author: AuthorKind::Requester,
                    ..
                } => {
                    if let Some(a) = assignee {
                        d.notify_user(
                            a,
                            me,
                            NotificationKind::CommentAdded,
                            format!("The requester replied: {title}"),
                        );
                    }
                }
                EventKind::StatusChanged { to, .. } => {
                    d.notify_user(
                        requester,
                        me,
                        NotificationKind::TicketUpdated,
                        format!("{title} is now {to}"),
                    );
                }
                EventKind::SlaWarning { target, .. } | EventKind::SlaBreached { target, .. } => {
                    let (nk, what) = if matches!(kind, EventKind::SlaWarning { .. }) {
                        (NotificationKind::SlaWarning, "at risk")
                    } else {
                        (NotificationKind::SlaBreached, "breached")
                    };
                    if let Some(a) = assignee {
                        d.notify_user(a, None, nk, format!("SLA {target:?} {what}: {title}"));
                    }
                }
                _ => {}
            }
        }
    }

    /// The SLA state of `ticket` at `now` given its full history (`None` without a
    /// policy).
    pub(super) async fn evaluate_sla(
        &self,
        ticket: &Ticket,
        history: &[TicketEvent],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<SlaStatus>> {
        let policies = self.inner.store.list_sla_policies(ticket.tenant).await?;
        let Some(policy) = select_policy(&policies, ticket) else {
            return Ok(None);
        };
        let calendar = match policy.calendar_id {
            Some(id) => match self.inner.store.get_calendar(ticket.tenant, id).await {
                Ok(c) => c,
                Err(Error::NotFound { .. }) => BusinessCalendar::always_open(ticket.tenant),
                Err(e) => return Err(e),
            },
            None => BusinessCalendar::always_open(ticket.tenant),
        };
        Ok(Some(evaluate(
            policy,
            &calendar,
            &self.inner.config.workflow,
            history,
            now,
        )))
    }
}

/// Timestamps that follow from a change: when the assignee changed, when the ticket was
/// solved or closed.
pub(super) fn stamp(d: &mut Draft) {
    let now = d.now;
    for e in &d.events {
        match &e.kind {
            EventKind::Assigned { to: Some(_), .. } => d.ticket.assigned_at = Some(now),
            EventKind::Assigned { to: None, .. } => d.ticket.assigned_at = None,
            EventKind::StatusChanged {
                category: StatusCategory::Solved,
                ..
            } => d.ticket.resolved_at = Some(now),
            EventKind::StatusChanged {
                category: StatusCategory::Closed,
                ..
            } => d.ticket.closed_at = Some(now),
            _ => {}
        }
    }
}
