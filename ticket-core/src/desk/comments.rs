//! The thread: public replies and internal notes, and the status moves a reply implies.

use super::change::Draft;
use super::HelpDesk;
use crate::account::Actor;
use crate::error::{Error, Result};
use crate::event::AuthorKind;
use crate::id::TicketId;
use crate::rbac::Permission;
use crate::rules::Trigger;
use crate::text::CommentBody;
use crate::ticket::{Comment, Visibility};

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
        let kind = self.write_comment(&mut d, actor, visibility, body);
        if visibility == Visibility::Public {
            self.auto_move(&mut d, kind);
        }
        let comment = d.comments.last().cloned();
        self.finalize(d, actor, &[(Trigger::CommentAdded, None)])
            .await?;
        comment.ok_or_else(|| Error::store("comment was not recorded"))
    }

    /// Writes a comment as `actor`; returns who wrote it relative to the ticket.
    pub(super) fn write_comment(
        &self,
        d: &mut Draft,
        actor: &Actor,
        visibility: Visibility,
        body: CommentBody,
    ) -> AuthorKind {
        let kind = if actor.is(d.ticket.requester) {
            AuthorKind::Requester
        } else if actor.is_system() {
            AuthorKind::System
        } else {
            AuthorKind::Staff
        };
        d.comment(actor.user_id(), kind, visibility, body);
        if kind == AuthorKind::Staff
            && visibility == Visibility::Public
            && d.ticket.first_response_at.is_none()
        {
            d.ticket.first_response_at = Some(d.now);
        }
        kind
    }

    /// The workflow's automatic move on a public reply, recorded as the system's.
    pub(super) fn auto_move(&self, d: &mut Draft, author: AuthorKind) {
        let wf = &self.inner.config.workflow;
        let moves = match author {
            AuthorKind::Requester => &wf.on_customer_reply,
            AuthorKind::Staff => &wf.on_agent_reply,
            AuthorKind::System => return,
        };
        if let Some(def) = moves.get(&d.ticket.status).and_then(|to| wf.status(to)) {
            d.ticket.status = def.name.clone();
            d.ticket.status_category = def.category;
            d.record(None);
        }
    }
}
