//! Reading tickets: one or many by id, lists, comments, history, SLA status, statistics.

use super::HelpDesk;
use crate::account::Actor;
use crate::error::{Error, Result};
use crate::event::{visible_to_requester, TicketEvent};
use crate::id::TicketId;
use crate::query::{
    check_limit, CommentCursor, CommentQuery, Page, Stats, StatsQuery, TicketQuery,
};
use crate::rbac::Permission;
use crate::sla::SlaStatus;
use crate::text::clean_text;
use crate::ticket::{Comment, Ticket};

/// The most store pages one [`HelpDesk::history_page`] reads to fill a requester's page.
const HISTORY_READS: u32 = 10;

/// The most ids one batch read or distribution takes.
const MAX_BATCH: usize = 100;

impl HelpDesk {
    /// Whether `actor` may see `ticket`: staff with `TicketReadAll`, or its requester.
    pub(super) fn can_see(&self, actor: &Actor, ticket: &Ticket) -> bool {
        ticket.tenant == actor.tenant()
            && (self.allows(actor, Permission::TicketReadAll)
                || (actor.is(ticket.requester) && self.allows(actor, Permission::TicketOwn)))
    }

    /// The ticket, if `actor` may see it; `NotFound` otherwise (existence is not leaked).
    pub(super) async fn visible_ticket(&self, actor: &Actor, id: TicketId) -> Result<Ticket> {
        let t = self.inner.store.get_ticket(actor.tenant(), id).await?;
        if self.can_see(actor, &t) {
            Ok(t)
        } else {
            Err(Error::not_found("ticket"))
        }
    }

    /// One ticket.
    ///
    /// # Errors
    /// [`Error::NotFound`] when absent or not visible to the actor.
    pub async fn get_ticket(&self, actor: &Actor, id: TicketId) -> Result<Ticket> {
        self.visible_ticket(actor, id).await
    }

    /// Several tickets (at most 100 ids), in the order asked, skipping those absent or not
    /// visible to the actor.
    ///
    /// # Errors
    /// [`Error::Invalid`] for more than 100 ids.
    pub async fn get_tickets(&self, actor: &Actor, ids: &[TicketId]) -> Result<Vec<Ticket>> {
        if ids.len() > MAX_BATCH {
            return Err(Error::invalid("ids", format!("at most {MAX_BATCH} ids")));
        }
        let found = self.inner.store.get_tickets(actor.tenant(), ids).await?;
        Ok(found
            .into_iter()
            .filter(|t| self.can_see(actor, t))
            .collect())
    }

    /// A page of tickets; customers only ever see their own.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::Invalid`] for a bad limit or cursor.
    pub async fn list_tickets(
        &self,
        actor: &Actor,
        mut query: TicketQuery,
    ) -> Result<Page<Ticket>> {
        query.limit = check_limit(Some(query.limit))?;
        if !self.allows(actor, Permission::TicketReadAll) {
            self.require(actor, Permission::TicketOwn)?;
            query.requester = actor.user_id();
        }
        if let Some(text) = &query.text {
            query.text = Some(clean_text("q", text, 0, 500, true)?).filter(|s| !s.is_empty());
        }
        self.inner.store.list_tickets(actor.tenant(), &query).await
    }

    /// A page of the comments of a ticket, oldest first: `limit` (1–100, default 25)
    /// after `cursor` (the `next_cursor` of the previous page); internal notes only for
    /// staff allowed to read them. The store reads only the page.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the ticket is absent or not visible; [`Error::Invalid`]
    /// for a bad limit or cursor.
    pub async fn list_comments(
        &self,
        actor: &Actor,
        id: TicketId,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<Comment>> {
        let limit = check_limit(limit)?;
        let after = cursor
            .filter(|c| !c.is_empty())
            .map(CommentCursor::decode)
            .transpose()?;
        let t = self.visible_ticket(actor, id).await?;
        let query = CommentQuery {
            include_internal: self.allows(actor, Permission::TicketInternal),
            limit,
            after,
        };
        self.inner.store.list_comments(t.tenant, t.id, &query).await
    }

    /// The history of a ticket, oldest first. Requesters without staff rights see only
    /// the events meant for them ([`visible_to_requester`]). Staff may read the history of
    /// a deleted ticket.
    ///
    /// # Errors
    /// [`Error::NotFound`].
    pub async fn history(&self, actor: &Actor, id: TicketId) -> Result<Vec<TicketEvent>> {
        let staff = self.allows(actor, Permission::TicketReadAll);
        match self.visible_ticket(actor, id).await {
            Ok(_) => {}
            Err(Error::NotFound { .. }) if staff => {}
            Err(e) => return Err(e),
        }
        let events = self.inner.store.ticket_events(actor.tenant(), id).await?;
        if events.is_empty() {
            return Err(Error::not_found("ticket"));
        }
        let internal = self.allows(actor, Permission::TicketInternal);
        Ok(events
            .into_iter()
            .filter(|e| internal || visible_to_requester(&e.kind))
            .collect())
    }

    /// A page of a ticket's history, oldest first, as [`HelpDesk::history`] shows it
    /// (internal events only to staff who may see internal notes): at most `limit`
    /// events after `cursor`, read a page at a time from the store rather than whole.
    /// A requester's page is filled past the events hidden from them, reading at most
    /// ten store pages, so it holds fewer than `limit` only at the end of
    /// the history or after that many reads (its cursor then resumes where they ended).
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Invalid`] for a malformed cursor.
    pub async fn history_page(
        &self,
        actor: &Actor,
        id: TicketId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<TicketEvent>> {
        let staff = self.allows(actor, Permission::TicketReadAll);
        match self.visible_ticket(actor, id).await {
            Ok(_) => {}
            Err(Error::NotFound { .. }) if staff => {}
            Err(e) => return Err(e),
        }
        let limit = limit.clamp(1, crate::query::MAX_LIMIT);
        let internal = self.allows(actor, Permission::TicketInternal);
        let mut items = Vec::new();
        let mut next = cursor.filter(|c| !c.is_empty()).map(str::to_string);
        for read in 0..HISTORY_READS {
            let want = limit - u32::try_from(items.len()).unwrap_or(limit);
            let page = self
                .inner
                .store
                .ticket_events_page(actor.tenant(), id, want, next.as_deref())
                .await?;
            if read == 0 && page.items.is_empty() && next.is_none() {
                return Err(Error::not_found("ticket"));
            }
            items.extend(
                page.items
                    .into_iter()
                    .filter(|e| internal || visible_to_requester(&e.kind)),
            );
            next = page.next_cursor;
            if next.is_none() || items.len() >= limit as usize {
                break;
            }
        }
        Ok(Page {
            items,
            next_cursor: next,
        })
    }

    /// The SLA state of a ticket now (`None` when no policy applies).
    ///
    /// # Errors
    /// [`Error::NotFound`].
    pub async fn sla_status(&self, actor: &Actor, id: TicketId) -> Result<Option<SlaStatus>> {
        let t = self.visible_ticket(actor, id).await?;
        let history = self.inner.store.ticket_events(t.tenant, t.id).await?;
        self.evaluate_sla(&t, &history, self.now()).await
    }

    /// Desk statistics.
    ///
    /// # Errors
    /// [`Error::Forbidden`] without `StatsRead`; [`Error::Invalid`] for an empty window.
    pub async fn stats(&self, actor: &Actor, query: StatsQuery) -> Result<Stats> {
        self.require(actor, Permission::StatsRead)?;
        if let (Some(from), Some(to)) = (query.from, query.to) {
            if from >= to {
                return Err(Error::invalid("to", "must be after from"));
            }
        }
        self.inner.store.stats(actor.tenant(), &query).await
    }
}
