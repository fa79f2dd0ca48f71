//! FAQ deflection, closed as a loop: a FAQ answer posted to a new ticket parks it in a
//! pending status (with [`HelpDeskConfig::faq_deflect`]); the requester then confirms the
//! answer helped (the ticket resolves: a deflection) or rejects it (the ticket reopens
//! for an agent). Both are events in the history, so the store counts them into
//! [`crate::query::DeflectionStats`]: the deflection rate and the reopen rate are
//! measured, not guessed.
//!
//! [`HelpDeskConfig::faq_deflect`]: super::HelpDeskConfig::faq_deflect

use super::change::Draft;
use super::HelpDesk;
use crate::account::Actor;
use crate::error::{Error, Result};
use crate::event::{EventKind, TicketEvent};
use crate::id::{FaqId, TicketId};
use crate::notify::{Channel, NotificationKind};
use crate::ports::FaqMatch;
use crate::rbac::Permission;
use crate::rules::Trigger;
use crate::ticket::Ticket;
use crate::workflow::StatusCategory;

/// The FAQ entry whose answer awaits the requester's verdict: the last one suggested
/// without a confirmation or rejection after it.
#[must_use]
pub fn awaiting_verdict(history: &[TicketEvent]) -> Option<FaqId> {
    let mut open = None;
    for e in history {
        match &e.kind {
            EventKind::FaqSuggested { faq_id, .. } => open = Some(*faq_id),
            EventKind::FaqConfirmed { .. } | EventKind::FaqRejected { .. } => open = None,
            _ => {}
        }
    }
    open
}

impl HelpDesk {
    /// After a FAQ answer is posted to a new ticket: parks it in the first pending status
    /// it can reach when deflection is on, else resolves it when `faq_auto_resolve` is on.
    pub(super) fn after_faq_answer(&self, d: &mut Draft) {
        let config = &self.inner.config;
        let target = if config.faq_deflect {
            StatusCategory::Pending
        } else if config.faq_auto_resolve {
            StatusCategory::Solved
        } else {
            return;
        };
        self.move_to_category(d, target);
    }

    /// E-mails the requester the FAQ answer just posted on their new ticket (threaded with
    /// the ticket's other mail), saying how to confirm or reject it. Nothing when the
    /// requester cannot be read or is deleted: the ticket is never lost for a mail.
    pub(super) async fn mail_faq_answer(&self, d: &mut Draft, m: &FaqMatch) {
        let store = &self.inner.store;
        let Ok(user) = store.get_user(d.ticket.tenant, d.ticket.requester).await else {
            return;
        };
        if user.is_deleted() {
            return;
        }
        let config = &self.inner.config;
        let verdict = if config.faq_deflect {
            "If it solved your problem, confirm it on your ticket; if not, say so there and \
             an agent will take it."
        } else {
            "If it did not help, reply on your ticket and an agent will take it."
        };
        let link = config.public_url.as_deref().map_or(String::new(), |base| {
            format!(
                "\n\n{}/my/tickets/{}",
                base.trim_end_matches('/'),
                d.ticket.id
            )
        });
        let body = format!(
            "Hello {},\n\nWe received your request \"{}\". This answer from our FAQ may \
             solve it:\n\n{}\n\n{}\n\n{verdict}{link}\n",
            user.name, d.ticket.title, m.faq.question, m.faq.answer
        );
        let channel = Channel::Email {
            to: user.email,
            subject: format!("Re: {}", d.ticket.title),
            body,
        };
        let message = "An FAQ answer was posted on your ticket";
        let max = config.retry.max_attempts;
        d.deliver(NotificationKind::DeflectionAnswer, channel, message, max);
    }

    /// Moves the draft's ticket, as the system, to the first status of `category` the
    /// workflow allows from its status; nothing when none is reachable.
    fn move_to_category(&self, d: &mut Draft, category: StatusCategory) {
        let wf = &self.inner.config.workflow;
        let next = wf
            .in_category(category)
            .find(|s| wf.check(&d.ticket.status, &s.name, None).is_ok());
        if let Some(s) = next {
            d.ticket.status = s.name.clone();
            d.ticket.status_category = s.category;
            d.record(None);
        }
    }

    /// The requester confirms that the FAQ answer posted to their ticket solved it: the
    /// ticket resolves and the history records the deflection.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the actor cannot see the ticket; [`Error::Forbidden`]
    /// for anyone but the requester or staff who work tickets; [`Error::Invalid`] (`faq`)
    /// when no FAQ answer awaits a verdict; [`Error::Conflict`] when the ticket changed
    /// meanwhile.
    pub async fn confirm_faq(&self, actor: &Actor, id: TicketId) -> Result<Ticket> {
        self.faq_verdict(actor, id, true).await
    }

    /// The requester says the FAQ answer did not help: the ticket reopens for an agent
    /// and the history records the rejection.
    ///
    /// # Errors
    /// As [`HelpDesk::confirm_faq`].
    pub async fn reject_faq(&self, actor: &Actor, id: TicketId) -> Result<Ticket> {
        self.faq_verdict(actor, id, false).await
    }

    async fn faq_verdict(&self, actor: &Actor, id: TicketId, helped: bool) -> Result<Ticket> {
        let t = self.visible_ticket(actor, id).await?;
        if !actor.is(t.requester) {
            self.require(actor, Permission::TicketWork)?;
        }
        let history = self.inner.store.ticket_events(t.tenant, t.id).await?;
        let faq_id = awaiting_verdict(&history).ok_or_else(|| {
            Error::invalid("faq", "this ticket has no FAQ answer awaiting confirmation")
        })?;
        let mut d = Draft::update(t, self.now());
        if helped {
            d.event(actor.user_id(), EventKind::FaqConfirmed { faq_id });
            if !matches!(
                d.ticket.status_category,
                StatusCategory::Solved | StatusCategory::Closed
            ) {
                self.move_to_category(&mut d, StatusCategory::Solved);
            }
        } else {
            d.event(actor.user_id(), EventKind::FaqRejected { faq_id });
            self.move_to_category(&mut d, StatusCategory::Open);
        }
        self.finalize(d, actor, &[Trigger::TicketUpdated], &[])
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{EventId, TenantId, UserId};

    fn ev(kind: EventKind) -> TicketEvent {
        TicketEvent {
            id: EventId::new(),
            tenant: TenantId::DEFAULT,
            ticket_id: TicketId::new(),
            actor: None,
            at: chrono::DateTime::UNIX_EPOCH,
            requester: UserId::new(),
            kind,
        }
    }

    #[test]
    fn the_last_unanswered_suggestion_awaits_a_verdict() {
        let (a, b) = (FaqId::new(), FaqId::new());
        assert_eq!(awaiting_verdict(&[]), None);
        let suggested = ev(EventKind::FaqSuggested {
            faq_id: a,
            score: 0.9,
        });
        assert_eq!(awaiting_verdict(std::slice::from_ref(&suggested)), Some(a));
        let confirmed = ev(EventKind::FaqConfirmed { faq_id: a });
        assert_eq!(awaiting_verdict(&[suggested.clone(), confirmed]), None);
        let again = ev(EventKind::FaqSuggested {
            faq_id: b,
            score: 0.7,
        });
        let rejected = ev(EventKind::FaqRejected { faq_id: a });
        assert_eq!(awaiting_verdict(&[suggested, rejected, again]), Some(b));
    }
}
