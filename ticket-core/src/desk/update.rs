//! Changing a ticket: field updates, status transitions, deletion.

use super::change::Draft;
use super::HelpDesk;
use crate::account::Actor;
use crate::error::{Error, Result, Validator};
use crate::event::EventKind;
use crate::id::TicketId;
use crate::rbac::Permission;
use crate::rules::Trigger;
use crate::text::{Category, CommentBody, CustomFields, Description, Status, Tags, Title};
use crate::ticket::{Ticket, TicketPatch, Visibility};

impl HelpDesk {
    /// Changes a ticket's fields. With `expected_version`, a stale version is a conflict.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`]; [`Error::Invalid`];
    /// [`Error::Conflict`] (`Version`) when the ticket changed since `expected_version`.
    pub async fn update_ticket(
        &self,
        actor: &Actor,
        id: TicketId,
        patch: TicketPatch,
        expected_version: Option<u64>,
    ) -> Result<Ticket> {
        self.require(actor, Permission::TicketUpdate)?;
        let t = self.visible_ticket(actor, id).await?;
        if let Some(v) = expected_version.filter(|v| *v != t.version) {
            return Err(Error::version_conflict(v));
        }
        let mut d = Draft::update(t, self.now());
        apply_patch(&mut d.ticket, patch)?;
        d.record(actor.user_id());
        if !d.has_events() {
            return Ok(d.ticket);
        }
        self.finalize(d, actor, &[Trigger::TicketUpdated], &[])
            .await
    }

    /// Moves a ticket through the workflow, optionally with a public comment.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Forbidden`]; [`Error::Invalid`] for an unknown
    /// status; [`Error::InvalidTransition`] when the workflow forbids it for the actor.
    pub async fn transition(
        &self,
        actor: &Actor,
        id: TicketId,
        status: &str,
        comment: Option<String>,
    ) -> Result<Ticket> {
        let t = self.visible_ticket(actor, id).await?;
        if !actor.is(t.requester) {
            self.require(actor, Permission::TicketWork)?;
        }
        let to = Status::parse(status)?;
        let body = comment.map(CommentBody::parse).transpose()?;
        let def = self
            .inner
            .config
            .workflow
            .check(&t.status, &to, actor.role())?
            .clone();
        let mut d = Draft::update(t, self.now());
        let Some(body) = body else {
            d.ticket.status = def.name;
            d.ticket.status_category = def.category;
            d.record(actor.user_id());
            return self
                .finalize(d, actor, &[Trigger::TicketUpdated], &[])
                .await;
        };
        let mover = actor.user_id();
        self.reply_and_move(&mut d, actor, Visibility::Public, body, Some(def), mover);
        self.finalize(
            d,
            actor,
            &[Trigger::TicketUpdated, Trigger::CommentAdded],
            &[],
        )
        .await
    }

    /// Deletes a ticket and its comments; its history stays for audit, ending with a
    /// `Deleted` event.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`].
    pub async fn delete_ticket(&self, actor: &Actor, id: TicketId) -> Result<()> {
        self.require(actor, Permission::TicketDelete)?;
        let t = self.visible_ticket(actor, id).await?;
        let mut d = Draft::update(t, self.now());
        d.event(actor.user_id(), EventKind::Deleted);
        let change = d.finish();
        let [event] = change.events.as_slice() else {
            return Err(Error::store("deletion event missing"));
        };
        self.inner
            .store
            .delete_ticket(actor.tenant(), id, event, &change.outbox)
            .await?;
        self.publish(&change.events).await;
        Ok(())
    }
}

/// Applies a patch, validating every field at once.
pub(super) fn apply_patch(t: &mut Ticket, patch: TicketPatch) -> Result<()> {
    let mut v = Validator::new();
    let title = patch.title.map(|s| v.check(Title::parse(s)));
    let description = patch.description.map(|s| v.check(Description::parse(s)));
    let category = patch.category.map(|s| v.check(Category::parse(s)));
    let tags = patch.tags.map(|s| v.check(Tags::parse(&s)));
    let custom = patch.custom_fields.map(|m| v.check(CustomFields::parse(m)));
    v.finish()?;
    if let Some(Some(x)) = title {
        t.title = x;
    }
    if let Some(Some(x)) = description {
        t.description = x;
    }
    if let Some(Some(x)) = category {
        t.category = x;
    }
    if let Some(Some(x)) = tags {
        t.tags = x;
    }
    if let Some(Some(x)) = custom {
        t.custom_fields = x;
    }
    if let Some(p) = patch.priority {
        t.priority = p;
    }
    Ok(())
}
