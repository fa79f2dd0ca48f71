//! `TicketStore` for `MemoryStore`: tickets, comments, history, listing and stats.

use super::{check_new_ids, get_in, page_of, page_size, MemoryStore, State};
use crate::error::{Error, Result};
use crate::event::TicketEvent;
use crate::id::{TenantId, TicketId};
use crate::notify::OutboxEntry;
use crate::ports::{TicketChange, TicketStore};
use crate::query::{
    CommentCursor, CommentQuery, EventCursor, Page, Stats, StatsQuery, TicketCursor, TicketQuery,
    TicketSort,
};
use crate::sla::SlaReevaluation;
use crate::ticket::{Comment, Ticket, TicketSla, Visibility};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::cmp::Reverse;
use std::collections::HashSet;
use std::ops::Bound;

/// Checks that everything a change writes belongs to the ticket's tenant (and comments
/// and events to the ticket itself): a change never writes into another tenant.
fn check_change_scope(change: &TicketChange) -> Result<()> {
    let t = &change.ticket;
    let outside = |field: &str| Error::invalid(field, "belongs to another ticket or tenant");
    if change
        .comments
        .iter()
        .any(|c| c.tenant != t.tenant || c.ticket_id != t.id)
    {
        return Err(outside("comments"));
    }
    if change
        .events
        .iter()
        .any(|e| e.tenant != t.tenant || e.ticket_id != t.id)
    {
        return Err(outside("events"));
    }
    if change.notifications.iter().any(|n| n.tenant != t.tenant) {
        return Err(outside("notifications"));
    }
    if change.outbox.iter().any(|o| o.tenant != t.tenant) {
        return Err(outside("outbox"));
    }
    Ok(())
}

impl State {
    /// Every check `save` makes before it writes anything.
    fn check_save(&self, change: &TicketChange) -> Result<()> {
        let t = &change.ticket;
        check_change_scope(change)?;
        match change.expected_version {
            None => {
                if self.tickets.contains_key(&t.id) {
                    return Err(Error::unique("id"));
                }
            }
            Some(expected) => {
                if expected.checked_add(1) != Some(t.version) {
                    return Err(Error::invalid(
                        "version",
                        "must be the expected version + 1",
                    ));
                }
                let stored = get_in(&self.tickets, t.tenant, &t.id)
                    .ok_or_else(|| Error::not_found("ticket"))?;
                if stored.version != expected {
                    return Err(Error::version_conflict(expected));
                }
            }
        }
        check_new_ids(&self.comments, change.comments.iter().map(|c| c.id))?;
        check_new_ids(&self.events, change.events.iter().map(|e| e.id))?;
        check_new_ids(
            &self.notifications,
            change.notifications.iter().map(|n| n.id),
        )?;
        check_new_ids(&self.outbox, change.outbox.iter().map(|o| o.id))?;
        if let Some(check) = change.capacity {
            // The whole state is under one lock: the count and the write are atomic.
            let held = self
                .tickets
                .values()
                .filter(|o| o.tenant == t.tenant && o.id != t.id)
                .filter(|o| o.assignee == Some(check.agent) && crate::workforce::is_working(o))
                .count();
            if held >= check.capacity as usize {
                return Err(Error::Conflict(crate::error::Conflict::Capacity {
                    agent: check.agent,
                }));
            }
        }
        Ok(())
    }
}

/// The sort key of a ticket: ascending for [`TicketSort::CreatedAsc`], descending for the
/// others; the same key [`TicketCursor::precedes`] compares.
fn sort_key(t: &Ticket, sort: TicketSort) -> (u8, DateTime<Utc>, TicketId) {
    let c = TicketCursor::after(t, sort);
    (c.rank, c.at, c.id)
}

#[async_trait]
impl TicketStore for MemoryStore {
    async fn save(&self, change: &TicketChange) -> Result<()> {
        let mut s = self.state();
        s.check_save(change)?;
        let t = &change.ticket;
        s.sla_stale.remove(&t.id);
        s.sla_claims.remove(&t.id);
        s.tickets.insert(t.id, t.clone());
        s.comments
            .extend(change.comments.iter().map(|c| (c.id, c.clone())));
        s.events
            .extend(change.events.iter().map(|e| (e.id, e.clone())));
        s.notifications
            .extend(change.notifications.iter().map(|n| (n.id, n.clone())));
        s.outbox
            .extend(change.outbox.iter().map(|o| (o.id, o.clone())));
        Ok(())
    }

    async fn get_ticket(&self, tenant: TenantId, id: TicketId) -> Result<Ticket> {
        get_in(&self.state().tickets, tenant, &id)
            .cloned()
            .ok_or_else(|| Error::not_found("ticket"))
    }

    async fn get_tickets(&self, tenant: TenantId, ids: &[TicketId]) -> Result<Vec<Ticket>> {
        let s = self.state();
        let mut seen = HashSet::new();
        Ok(ids
            .iter()
            .filter(|id| seen.insert(**id))
            .filter_map(|id| get_in(&s.tickets, tenant, id).cloned())
            .collect())
    }

    async fn list_tickets(&self, tenant: TenantId, query: &TicketQuery) -> Result<Page<Ticket>> {
        let sort = query.sort;
        let cursor = query
            .cursor
            .as_deref()
            .map(|c| TicketCursor::decode(c, sort))
            .transpose()?;
        let s = self.state();
        let mut found: Vec<&Ticket> = s
            .tickets
            .values()
            .filter(|t| t.tenant == tenant && query.matches(t))
            .filter(|t| cursor.is_none_or(|c| c.precedes(t)))
            .collect();
        match sort {
            TicketSort::CreatedAsc => found.sort_by_key(|t| sort_key(t, sort)),
            _ => found.sort_by_key(|t| Reverse(sort_key(t, sort))),
        }
        Ok(page_of(
            found.into_iter().cloned(),
            page_size(query.limit),
            |t| TicketCursor::after(t, sort).encode(),
        ))
    }

    async fn delete_ticket(
        &self,
        tenant: TenantId,
        id: TicketId,
        event: &TicketEvent,
        outbox: &[OutboxEntry],
    ) -> Result<()> {
        let mut s = self.state();
        if get_in(&s.tickets, tenant, &id).is_none() {
            return Err(Error::not_found("ticket"));
        }
        if event.tenant != tenant || event.ticket_id != id {
            return Err(Error::invalid(
                "event",
                "belongs to another ticket or tenant",
            ));
        }
        if outbox.iter().any(|o| o.tenant != tenant) {
            return Err(Error::invalid("outbox", "belongs to another tenant"));
        }
        check_new_ids(&s.events, [event.id])?;
        check_new_ids(&s.outbox, outbox.iter().map(|o| o.id))?;
        s.tickets.remove(&id);
        s.sla_stale.remove(&id);
        s.sla_claims.remove(&id);
        s.comments.retain(|_, c| c.ticket_id != id);
        s.events.insert(event.id, event.clone());
        s.outbox.extend(outbox.iter().map(|o| (o.id, o.clone())));
        Ok(())
    }

    async fn list_comments(
        &self,
        tenant: TenantId,
        ticket: TicketId,
        query: &CommentQuery,
    ) -> Result<Page<Comment>> {
        let s = self.state();
        let mut comments: Vec<&Comment> = s
            .comments
            .values()
            .filter(|c| c.tenant == tenant && c.ticket_id == ticket)
            .filter(|c| query.include_internal || c.visibility == Visibility::Public)
            .filter(|c| {
                query
                    .after
                    .is_none_or(|after| CommentCursor::key(c) > after)
            })
            .collect();
        comments.sort_by_key(|c| CommentCursor::key(c));
        let read = comments
            .into_iter()
            .take(query.limit as usize + 1)
            .cloned()
            .collect();
        Ok(CommentCursor::page(read, query))
    }

    async fn ticket_events(&self, tenant: TenantId, ticket: TicketId) -> Result<Vec<TicketEvent>> {
        let s = self.state();
        let mut events: Vec<TicketEvent> = s
            .events
            .values()
            .filter(|e| e.tenant == tenant && e.ticket_id == ticket)
            .cloned()
            .collect();
        events.sort_by_key(|e| (e.at, e.id));
        Ok(events)
    }

    async fn ticket_events_page(
        &self,
        tenant: TenantId,
        ticket: TicketId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<TicketEvent>> {
        let cursor = cursor.map(EventCursor::decode).transpose()?;
        let s = self.state();
        let mut events: Vec<&TicketEvent> = s
            .events
            .values()
            .filter(|e| e.tenant == tenant && e.ticket_id == ticket)
            .filter(|e| cursor.is_none_or(|c| c.precedes(e)))
            .collect();
        events.sort_by_key(|e| (e.at, e.id));
        Ok(page_of(
            events.into_iter().cloned(),
            page_size(limit),
            |e| EventCursor::after(e).encode(),
        ))
    }

    async fn stats(&self, tenant: TenantId, query: &StatsQuery) -> Result<Stats> {
        let s = self.state();
        let in_scope = |t: &&Ticket| {
            t.tenant == tenant
                && query.from.is_none_or(|from| t.created_at >= from)
                && query.to.is_none_or(|to| t.created_at < to)
                && query.team.is_none_or(|team| t.team == Some(team))
        };
        let mut stats = super::stats::compute(s.tickets.values().filter(in_scope), query);
        if stats.total > 0 {
            let scoped: std::collections::BTreeSet<TicketId> =
                s.tickets.values().filter(in_scope).map(|t| t.id).collect();
            let events = s
                .events
                .values()
                .filter(|e| e.tenant == tenant && scoped.contains(&e.ticket_id));
            stats.deflection = super::stats::deflection(events.map(|e| &e.kind));
        }
        Ok(stats)
    }

    async fn sla_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<(TenantId, TicketId)>> {
        Ok(self.state().sla_due(now, limit))
    }

    async fn claim_sla_due(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<(TenantId, TicketId)>> {
        let mut s = self.state();
        let due = s.sla_due(now, limit);
        for (_, id) in &due {
            // The claim replaces the due time, a stale mark included (as a store whose
            // due-time column the claim overwrites).
            s.sla_stale.remove(id);
            s.sla_claims.insert(*id, now + lease);
        }
        Ok(due)
    }

    async fn save_sla(
        &self,
        tenant: TenantId,
        id: TicketId,
        version: u64,
        sla: Option<&TicketSla>,
    ) -> Result<bool> {
        let mut s = self.state();
        let Some(t) = s
            .tickets
            .get_mut(&id)
            .filter(|t| t.tenant == tenant && t.version == version)
        else {
            return Ok(false);
        };
        t.sla = sla.cloned();
        s.sla_stale.remove(&id);
        s.sla_claims.remove(&id);
        Ok(true)
    }

    async fn mark_sla_stale(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
        after: Option<TicketId>,
        limit: u32,
    ) -> Result<Option<TicketId>> {
        let mut s = self.state();
        let limit = usize::try_from(limit).unwrap_or(usize::MAX).max(1);
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        let batch: Vec<TicketId> = s
            .tickets
            .range((start, Bound::Unbounded))
            .filter(|(_, t)| t.tenant == tenant && t.status_category.is_open())
            .map(|(id, _)| *id)
            .take(limit)
            .collect();
        for id in &batch {
            let at = s.sla_stale.get(id).map_or(now, |at| (*at).min(now));
            s.sla_stale.insert(*id, at);
        }
        Ok(batch.last().copied().filter(|_| batch.len() == limit))
    }

    async fn request_sla_reevaluation(&self, tenant: TenantId, now: DateTime<Utc>) -> Result<()> {
        self.state().request_reevaluation(tenant, now);
        Ok(())
    }

    async fn claim_sla_reevaluation(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<SlaReevaluation>> {
        Ok(self.state().claim_reevaluation(now, lease))
    }

    async fn advance_sla_reevaluation(
        &self,
        job: &SlaReevaluation,
        after: Option<TicketId>,
        held_until: DateTime<Utc>,
    ) -> Result<bool> {
        Ok(self.state().advance_reevaluation(job, after, held_until))
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }
}
