//! Who works a ticket: assignment, claiming, and routing by strategy.

use super::change::Draft;
use super::{forbidden, HelpDesk};
use crate::account::Actor;
use crate::error::{Conflict, Error, Result};
use crate::event::EventKind;
use crate::id::{TeamId, TicketId, UserId};
use crate::notify::{Channel, NotificationKind, Recipient};
use crate::rbac::Permission;
use crate::rules::Trigger;
use crate::ticket::Ticket;

/// Who a ticket goes to; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AssignInput {
    /// The agent.
    pub assignee: Option<Option<UserId>>,
    /// The team.
    pub team: Option<Option<TeamId>>,
}

impl HelpDesk {
    /// Assigns a ticket to an agent and/or a team.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`] for the ticket, agent or team;
    /// [`Error::Invalid`] when the assignee is not staff.
    pub async fn assign(&self, actor: &Actor, id: TicketId, input: AssignInput) -> Result<Ticket> {
        self.require(actor, Permission::TicketAssign)?;
        let t = self.visible_ticket(actor, id).await?;
        if let Some(Some(user)) = input.assignee {
            self.check_assignable(actor, user).await?;
        }
        if let Some(Some(team)) = input.team {
            self.inner.store.get_team(actor.tenant(), team).await?;
        }
        let mut d = Draft::update(t, self.now());
        if let Some(a) = input.assignee {
            if a.is_some() && a != d.ticket.assignee {
                d.assign_reason = self.over_capacity_flag(actor, a).await?;
            }
            d.ticket.assignee = a;
        }
        if let Some(team) = input.team {
            d.ticket.team = team;
        }
        d.record(actor.user_id());
        if !d.has_events() {
            return Ok(d.ticket);
        }
        self.finalize(d, actor, &[Trigger::TicketUpdated], &[])
            .await
    }

    /// A manual assignment may take an agent past their capacity; the history flags it
    /// ("over capacity: 10/10 working tickets before this one").
    async fn over_capacity_flag(
        &self,
        actor: &Actor,
        user: Option<UserId>,
    ) -> Result<Option<String>> {
        let Some(user) = user else { return Ok(None) };
        let loads = self.inner.store.agent_loads(actor.tenant(), None).await?;
        Ok(loads
            .iter()
            .find(|l| l.user_id == user && l.open_tickets >= l.capacity)
            .map(|l| {
                format!(
                    "manual assignment over capacity: {}/{} working tickets before this one",
                    l.open_tickets, l.capacity
                )
            }))
    }

    pub(super) async fn check_assignable(&self, actor: &Actor, user: UserId) -> Result<()> {
        let u = self.inner.store.get_user(actor.tenant(), user).await?;
        if u.is_deleted() || !u.role.is_staff() {
            return Err(Error::invalid(
                "assignee_id",
                "must be an active agent or admin",
            ));
        }
        Ok(())
    }

    /// The acting agent takes an unassigned ticket.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`]; [`Error::Conflict`] (`State`) when
    /// someone else holds it, (`Version`) when another claim won the race.
    pub async fn claim(&self, actor: &Actor, id: TicketId) -> Result<Ticket> {
        self.require(actor, Permission::TicketClaim)?;
        let me = actor
            .user_id()
            .ok_or_else(|| forbidden("the system cannot claim"))?;
        let t = self.visible_ticket(actor, id).await?;
        match t.assignee {
            Some(a) if a == me => return Ok(t),
            Some(_) => {
                return Err(Error::Conflict(Conflict::State {
                    reason: "the ticket is already assigned".into(),
                }))
            }
            None => {}
        }
        let mut d = Draft::update(t, self.now());
        d.ticket.assignee = Some(me);
        d.record(actor.user_id());
        self.finalize(d, actor, &[Trigger::TicketUpdated], &[])
            .await
    }

    /// Sends a notification about the draft's ticket and records it in the history.
    pub(super) async fn route(
        &self,
        d: &mut Draft,
        actor: &Actor,
        recipient: &Recipient,
        kind: NotificationKind,
        message: &str,
    ) -> Result<()> {
        let tenant = d.ticket.tenant;
        let max = self.inner.config.retry.max_attempts;
        let channel = match recipient {
            Recipient::User { user_id } => {
                let u = self.inner.store.get_user(tenant, *user_id).await?;
                d.notify_user(u.id, None, kind, message.to_string());
                "user"
            }
            Recipient::Team { team_id } => {
                let team = self.inner.store.get_team(tenant, *team_id).await?;
                for member in self.inner.store.agent_loads(tenant, Some(team.id)).await? {
                    d.notify_user(member.user_id, actor.user_id(), kind, message.to_string());
                }
                if let Some(url) = &team.webhook_url {
                    d.deliver(
                        kind,
                        Channel::Webhook {
                            url: url.clone(),
                            secret: team.webhook_secret.clone(),
                        },
                        message,
                        max,
                    );
                }
                "team"
            }
            Recipient::Webhook { url } => {
                let url = self.check_webhook("webhook_url", url)?;
                d.deliver(kind, Channel::Webhook { url, secret: None }, message, max);
                "webhook"
            }
            Recipient::Email { address } => {
                let subject = format!("[{}] {}", d.ticket.status, d.ticket.title);
                let body = format!("{message}\n\nTicket {}: {}\n", d.ticket.id, d.ticket.title);
                d.deliver(
                    kind,
                    Channel::Email {
                        to: address.clone(),
                        subject,
                        body,
                    },
                    message,
                    max,
                );
                "email"
            }
        };
        d.event(
            actor.user_id(),
            EventKind::Notified {
                channel: channel.to_string(),
            },
        );
        Ok(())
    }
}
