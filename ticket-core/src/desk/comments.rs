//! The thread: public replies and internal notes, and the status moves a reply implies.

use super::change::Draft;
use super::HelpDesk;
use crate::account::Actor;
use crate::error::{Error, Result};
use crate::event::AuthorKind;
use crate::id::{TicketId, UserId};
use crate::rbac::Permission;
use crate::rules::Trigger;
use crate::text::CommentBody;
use crate::ticket::{Comment, Visibility};
use crate::workflow::{SlaClock, StatusDef};

impl HelpDesk {
    /// Adds a public reply or an internal note. The first public staff reply stamps the
    /// first response; replies move the ticket along the workflow's automatic moves
    /// (a requester's reply reopens a pending ticket).
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Forbidden`]; [`Error::Invalid`] for the body.
    pub async fn add_comment(
        &self,
        actor: &Actor,
        id: TicketId,
        body: &str,
        internal: bool,
    ) -> Result<Comment> {
        let t = self.visible_ticket(actor, id).await?;
        if internal {
            self.require(actor, Permission::TicketInternal)?;
        } else if !actor.is(t.requester) {
            self.require(actor, Permission::TicketWork)?;
        }
        let body = CommentBody::parse(body)?;
        let visibility = if internal {
            Visibility::Internal
        } else {
            Visibility::Public
        };
        let mut d = Draft::update(t, self.now());
        let to = if visibility == Visibility::Public {
            self.auto_move_target(&d, self.author_kind(&d, actor))
        } else {
            None
        };
        let moved = to.is_some();
        self.reply_and_move(&mut d, actor, visibility, body, to, None);
        let comment = d.comments.last().cloned();
        let triggers: &[Trigger] = if moved {
            &[Trigger::CommentAdded, Trigger::TicketUpdated]
        } else {
            &[Trigger::CommentAdded]
        };
        self.finalize(d, actor, triggers, &[]).await?;
        comment.ok_or_else(|| Error::store("comment was not recorded"))
    }

    /// Writes a comment by `actor` and, with `to`, moves the ticket there as `mover`
    /// (`None`: the system's automatic move), in the order that lets the SLA count the reply: into a status that stops
    /// the clock after the reply ("reply and resolve" meets the response rather than
    /// cancelling it), anywhere else before it (a reply that reopens a solved ticket
    /// starts a next-response clock).
    pub(super) fn reply_and_move(
        &self,
        d: &mut Draft,
        actor: &Actor,
        visibility: Visibility,
        body: CommentBody,
        to: Option<StatusDef>,
        mover: Option<UserId>,
    ) {
        let wf = &self.inner.config.workflow;
        let Some(def) = to else {
            self.write_comment(d, actor, visibility, body);
            return;
        };
        if wf.clock_of(&def.name) == SlaClock::Stop {
            self.write_comment(d, actor, visibility, body);
            move_to(d, def, mover);
        } else {
            move_to(d, def, mover);
            self.write_comment(d, actor, visibility, body);
        }
    }

    /// Who `actor` is relative to the draft's ticket.
    fn author_kind(&self, d: &Draft, actor: &Actor) -> AuthorKind {
        if actor.is(d.ticket.requester) {
            AuthorKind::Requester
        } else if actor.is_system() {
            AuthorKind::System
        } else {
            AuthorKind::Staff
        }
    }

    /// Writes a comment as `actor`; returns who wrote it relative to the ticket.
    pub(super) fn write_comment(
        &self,
        d: &mut Draft,
        actor: &Actor,
        visibility: Visibility,
        body: CommentBody,
    ) -> AuthorKind {
        let kind = self.author_kind(d, actor);
        d.comment(actor.user_id(), kind, visibility, body);
        if kind == AuthorKind::Staff
            && visibility == Visibility::Public
            && d.ticket.first_response_at.is_none()
        {
            d.ticket.first_response_at = Some(d.now);
        }
        kind
    }

    /// Where the workflow's automatic move on a public reply by `author` takes the
    /// ticket, if anywhere.
    fn auto_move_target(&self, d: &Draft, author: AuthorKind) -> Option<StatusDef> {
        let wf = &self.inner.config.workflow;
        let moves = match author {
            AuthorKind::Requester => &wf.on_customer_reply,
            AuthorKind::Staff => &wf.on_agent_reply,
            AuthorKind::System => return None,
        };
        moves
            .get(&d.ticket.status)
            .and_then(|to| wf.status(to))
            .cloned()
    }
}

/// Moves the draft's ticket to `def`, recorded as `mover`'s.
fn move_to(d: &mut Draft, def: StatusDef, mover: Option<UserId>) {
    d.ticket.status = def.name;
    d.ticket.status_category = def.category;
    d.record(mover);
}
