//! What every change goes through before it is saved: rules, routing effects, default notifications, the SLA snapshot, timestamps.

use super::change::Draft;
use super::HelpDesk;
use crate::account::{Actor, User};
use crate::error::{Conflict, Error, Result};
use crate::event::{AuthorKind, EventKind, SlaTarget, TicketEvent};
use crate::notify::NotificationKind;
use crate::rules::{Effect, RuleContext, RuleRunner, Trigger};
use crate::sla::{evaluate, select_policy, BusinessCalendar, SlaPolicy, SlaReplay, SlaStatus};
use crate::text::CommentBody;
use crate::ticket::{Ticket, Visibility};
use crate::workflow::StatusCategory;

impl HelpDesk {
    /// Records the actor's changes, runs the rules once for every trigger the change
    /// implies (each rule at most once), carries out their effects as they fire, stamps
    /// timestamps, adds the default notifications, recomputes the SLA snapshot, and
    /// stores it all in one atomic save.
    pub(super) async fn finalize(
        &self,
        mut d: Draft,
        actor: &Actor,
        triggers: &[Trigger],
        sla_targets: &[SlaTarget],
    ) -> Result<Ticket> {
        d.record(actor.user_id());
        self.run_rules(&mut d, triggers, sla_targets).await?;
        d.record(None);
        stamp(&mut d);
        self.default_notifications(&mut d, actor);
        // The history is replayed from the ticket's own replay when it fits, read only
        // when a policy covers the ticket and its terms changed since.
        let terms = match &d.config {
            Some(config) => config.terms(&d.ticket),
            None => self.sla_terms(&d.ticket).await?,
        };
        d.ticket.sla = match terms {
            None => None,
            Some((policy, calendar)) => {
                let mut replay = if d.is_new() {
                    SlaReplay::new(&policy, &calendar)
                } else {
                    self.sla_replay(&d.ticket, &policy, &calendar, d.now)
                        .await?
                };
                let wf = &self.inner.config.workflow;
                replay.apply(&policy, &calendar, wf, &d.events, d.now);
                let mut snapshot = replay.status(&policy, &calendar, d.now).snapshot();
                snapshot.replay = Some(replay);
                Some(snapshot)
            }
        };
        // The agents picked stay reserved until the change is stored.
        let picked = std::mem::take(&mut d.reservations);
        let strict = d.strict_capacity;
        let before = d.assignee_before();
        let change = self.publishing(d.finish());
        let stored = match self.inner.store.save(&change).await {
            Ok(()) => Ok(change),
            // Another instance took the agent's last slot: the change is stored without
            // the pick (the ticket waits in the queue), never lost.
            Err(Error::Conflict(Conflict::Capacity { .. })) if !strict => {
                let change = super::change::without_pick(change, before);
                self.inner.store.save(&change).await.map(|()| change)
            }
            Err(e) => Err(e),
        };
        drop(picked);
        let change = stored?;
        self.publish_saved(&change).await;
        Ok(change.ticket)
    }

    /// Runs the tenant's rules for `triggers` on the draft: each rule that fires is
    /// recorded and its effects carried out before the next condition is checked, so
    /// conditions see the ticket as earlier rules left it, assignments included.
    pub(super) async fn run_rules(
        &self,
        d: &mut Draft,
        triggers: &[Trigger],
        sla_targets: &[SlaTarget],
    ) -> Result<()> {
        let tenant = d.ticket.tenant;
        let rules = match &d.config {
            Some(config) => config.rules.clone(),
            None => self.inner.store.list_rules(tenant).await?,
        };
        if rules.is_empty() {
            return Ok(());
        }
        let needed = rules.iter().any(|r| r.condition.needs_requester_email());
        let requester = self.rule_requester(&d.ticket, needed).await;
        let ctx = RuleContext {
            triggers,
            workflow: &self.inner.config.workflow,
            requester_email: requester.as_ref().map(|u| &u.email),
            sla_targets,
        };
        let system = crate::account::Actor::system(tenant);
        let mut runner = RuleRunner::new(&rules, &ctx);
        while let Some(fired) = runner.next_fired(&ctx, &mut d.ticket) {
            let at = d.events.len();
            d.event(
                None,
                EventKind::RuleFired {
                    rule_id: fired.rule_id,
                    name: fired.name.to_string(),
                },
            );
            let before = d.ticket.assignee;
            let written = d.written();
            for effect in fired.effects {
                self.apply_effect(d, &system, effect).await?;
            }
            let assigned = d.ticket.assignee != before;
            if assigned {
                runner.ticket_changed();
            }
            // A rule whose actions changed nothing (routing with nobody to pick, a tag
            // the ticket has) did nothing worth a line of history: not recorded.
            if !fired.changed && !assigned && d.written() == written {
                d.events.remove(at);
            }
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
            .filter(|u| self.trusted_email(u))
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
                    self.pick_assignee(d, strategy).await?;
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

    /// The history of the stored `ticket` replayed under `policy` and `calendar`: the
    /// replay kept on its snapshot when it fits, else a replay of the history read from
    /// the store (after a policy or calendar change, or the first time).
    pub(super) async fn sla_replay(
        &self,
        ticket: &Ticket,
        policy: &SlaPolicy,
        calendar: &BusinessCalendar,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<SlaReplay> {
        let kept = ticket.sla.as_ref().and_then(|s| s.replay.as_ref());
        if let Some(replay) = kept.filter(|r| r.fits(policy, calendar, now)) {
            return Ok(replay.clone());
        }
        let history = self
            .inner
            .store
            .ticket_events(ticket.tenant, ticket.id)
            .await?;
        let mut replay = SlaReplay::new(policy, calendar);
        let wf = &self.inner.config.workflow;
        replay.apply(policy, calendar, wf, &history, now);
        Ok(replay)
    }

    /// The SLA state of `ticket` at `now` given its full history (`None` without a
    /// policy).
    pub(super) async fn evaluate_sla(
        &self,
        ticket: &Ticket,
        history: &[TicketEvent],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<SlaStatus>> {
        let wf = &self.inner.config.workflow;
        Ok(self
            .sla_terms(ticket)
            .await?
            .map(|(policy, calendar)| evaluate(&policy, &calendar, wf, history, now)))
    }

    /// The policy that covers `ticket` and its calendar (around the clock when it names
    /// none, or one since deleted); `None` without a policy.
    async fn sla_terms(&self, ticket: &Ticket) -> Result<Option<(SlaPolicy, BusinessCalendar)>> {
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
        Ok(Some((policy.clone(), calendar)))
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
