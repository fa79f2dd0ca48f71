//! Sending tickets elsewhere: distribution to teams, notifications to people and third parties.

use super::change::Draft;
use super::HelpDesk;
use crate::account::Actor;
use crate::error::{Error, Result};
use crate::event::EventKind;
use crate::id::{TeamId, TicketId};
use crate::notify::{NotificationKind, Recipient};
use crate::rbac::Permission;
use crate::rules::Trigger;
use crate::text::clean_text;
use crate::ticket::Ticket;

/// The most ids one batch read or distribution takes.
const MAX_BATCH: usize = 100;

impl HelpDesk {
    /// Hands tickets (at most 100) to a team: each gets the team, a `Distributed` event,
    /// and the team is notified (members in-app, the team's webhook when it has one).
    /// All tickets are checked before any is changed.
    ///
    /// Each ticket is its own atomic change, and a retry is idempotent: a ticket already
    /// in the team is returned as it is, without a new event or notification. So when a
    /// call fails part-way (a conflict, a timeout), calling again with the same ids
    /// completes the rest and duplicates nothing.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`] for the team or any ticket;
    /// [`Error::Invalid`] for an empty or too long list.
    pub async fn distribute(
        &self,
        actor: &Actor,
        ids: &[TicketId],
        team_id: TeamId,
    ) -> Result<Vec<Ticket>> {
        self.require(actor, Permission::TicketDistribute)?;
        if ids.is_empty() || ids.len() > MAX_BATCH {
            return Err(Error::invalid(
                "ticket_ids",
                format!("must hold 1 to {MAX_BATCH} ids"),
            ));
        }
        let team = self.inner.store.get_team(actor.tenant(), team_id).await?;
        let tickets = self.get_tickets(actor, ids).await?;
        let mut distinct = ids.to_vec();
        distinct.sort();
        distinct.dedup();
        if tickets.len() != distinct.len() {
            return Err(Error::not_found("ticket"));
        }
        let mut out = Vec::with_capacity(tickets.len());
        for t in tickets {
            if t.team == Some(team.id) {
                out.push(t);
                continue;
            }
            let mut d = Draft::update(t, self.now());
            d.ticket.team = Some(team.id);
            d.record(actor.user_id());
            d.event(actor.user_id(), EventKind::Distributed { team_id: team.id });
            let message = format!("Ticket distributed to {}: {}", team.name, d.ticket.title);
            self.route(
                &mut d,
                actor,
                &Recipient::Team { team_id: team.id },
                NotificationKind::Distributed,
                &message,
            )
            .await?;
            out.push(
                self.finalize(d, actor, &[Trigger::TicketUpdated], &[])
                    .await?,
            );
        }
        Ok(out)
    }

    /// Notifies a user (in-app), a team (members in-app and its webhook), a third-party
    /// webhook or an e-mail address about a ticket. Deliveries go through the outbox.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`]; [`Error::Invalid`] for the message or
    /// recipient.
    pub async fn notify(
        &self,
        actor: &Actor,
        id: TicketId,
        recipient: Recipient,
        message: &str,
    ) -> Result<()> {
        self.require(actor, Permission::TicketNotify)?;
        let message = clean_text("message", message, 1, 5000, false)?;
        let t = self.visible_ticket(actor, id).await?;
        let mut d = Draft::update(t, self.now());
        self.route(
            &mut d,
            actor,
            &recipient,
            NotificationKind::Message,
            &message,
        )
        .await?;
        self.commit(d.finish()).await.map(|_| ())
    }
}
