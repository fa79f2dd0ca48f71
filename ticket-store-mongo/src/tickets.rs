//! `TicketStore` for `MongoStore`: reads, comments, history and the SLA sweep. Writes
//! are in `change.rs`, listing in `list.rs`, statistics in `stats.rs`, the sweep's
//! claims in `sweep.rs`.

use crate::connect::names::{COMMENTS, EVENTS, TICKETS};
use crate::docs::{all, all_docs, get_id, id, limit_of, micros, page_of, page_size, to_json};
use crate::errors::{db, version as version_of};
use crate::ticket_doc::ticket_of;
use crate::MongoStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mongodb::bson::{doc, Document};
use std::collections::HashMap;
use ticket_core::error::{Error, Result};
use ticket_core::event::TicketEvent;
use ticket_core::id::{TenantId, TicketId};
use ticket_core::notify::OutboxEntry;
use ticket_core::ports::{TicketChange, TicketStore};
use ticket_core::query::{
    CommentCursor, CommentQuery, EventCursor, Page, Stats, StatsQuery, TicketQuery,
};
use ticket_core::sla::SlaReevaluation;
use ticket_core::ticket::{Comment, Ticket, TicketSla};

impl MongoStore {
    /// Completes the pending change of one ticket, if it has one, before its comments
    /// or history are read.
    async fn settle(&self, tenant: TenantId, ticket: TicketId) -> Result<()> {
        let found = self
            .coll(TICKETS)
            .find_one(doc! {
                "_id": id(ticket.as_uuid()),
                "pending.tenant": id(tenant.as_uuid()),
            })
            .projection(doc! { "pending": 1 })
            .await
            .map_err(db)?;
        if let Some(d) = found {
            self.complete_if_pending(&d).await?;
        }
        Ok(())
    }

    /// The history of a ticket after `after` (all of it when `None`), at most `limit`.
    async fn events_after(
        &self,
        tenant: TenantId,
        ticket: TicketId,
        after: Option<EventCursor>,
        limit: Option<i64>,
    ) -> Result<Vec<TicketEvent>> {
        self.settle(tenant, ticket).await?;
        let mut filter = doc! { "tenant": id(tenant.as_uuid()), "ticket": id(ticket.as_uuid()) };
        if let Some(c) = after {
            let at = micros(c.at);
            filter.insert(
                "$or",
                vec![
                    doc! { "at": { "$gt": at } },
                    doc! { "at": at, "_id": { "$gt": id(c.id.as_uuid()) } },
                ],
            );
        }
        let events = self.coll(EVENTS);
        let mut find = events.find(filter).sort(doc! { "at": 1, "_id": 1 });
        if let Some(limit) = limit {
            find = find.limit(limit);
        }
        all_docs(find.await.map_err(db)?).await
    }
}

#[async_trait]
impl TicketStore for MongoStore {
    async fn save(&self, change: &TicketChange) -> Result<()> {
        self.save_change(change).await
    }

    async fn get_ticket(&self, tenant: TenantId, id_: TicketId) -> Result<Ticket> {
        // By `_id` alone (the lookup every server indexes), the tenant checked here.
        let d = self
            .coll(TICKETS)
            .find_one(doc! { "_id": id(id_.as_uuid()) })
            .await
            .map_err(db)?
            .filter(|d| d.get_str("tenant") == Ok(id(tenant.as_uuid()).as_str()))
            .ok_or_else(|| Error::not_found("ticket"))?;
        self.complete_if_pending(&d).await?;
        ticket_of(&d)
    }

    async fn get_tickets(&self, tenant: TenantId, ids: &[TicketId]) -> Result<Vec<Ticket>> {
        let mut found: HashMap<TicketId, Ticket> = HashMap::new();
        for chunk in ids.chunks(500) {
            let keys: Vec<String> = chunk.iter().map(|t| id(t.as_uuid())).collect();
            let docs = all(self
                .coll(TICKETS)
                .find(doc! { "tenant": id(tenant.as_uuid()), "_id": { "$in": keys } })
                .await
                .map_err(db)?)
            .await?;
            for d in &docs {
                let t = ticket_of(d)?;
                found.insert(t.id, t);
            }
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    async fn list_tickets(&self, tenant: TenantId, query: &TicketQuery) -> Result<Page<Ticket>> {
        crate::list::list_tickets(self, tenant, query).await
    }

    async fn delete_ticket(
        &self,
        tenant: TenantId,
        id: TicketId,
        event: &TicketEvent,
        outbox: &[OutboxEntry],
    ) -> Result<()> {
        self.delete_change(tenant, id, event, outbox).await
    }

    async fn list_comments(
        &self,
        tenant: TenantId,
        ticket: TicketId,
        query: &CommentQuery,
    ) -> Result<Page<Comment>> {
        self.settle(tenant, ticket).await?;
        let mut filter = doc! { "tenant": id(tenant.as_uuid()), "ticket": id(ticket.as_uuid()) };
        if !query.include_internal {
            filter.insert("internal", false);
        }
        if let Some(c) = query.after {
            let at = micros(c.at);
            filter.insert(
                "$or",
                vec![
                    doc! { "at": { "$gt": at } },
                    doc! { "at": at, "_id": { "$gt": id(c.id.as_uuid()) } },
                ],
            );
        }
        let read: Vec<Comment> = all_docs(
            self.coll(COMMENTS)
                .find(filter)
                .sort(doc! { "at": 1, "_id": 1 })
                .limit(i64::from(query.limit) + 1)
                .await
                .map_err(db)?,
        )
        .await?;
        Ok(CommentCursor::page(read, query))
    }

    async fn ticket_events(&self, tenant: TenantId, ticket: TicketId) -> Result<Vec<TicketEvent>> {
        self.events_after(tenant, ticket, None, None).await
    }

    async fn ticket_events_page(
        &self,
        tenant: TenantId,
        ticket: TicketId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<TicketEvent>> {
        let cursor = cursor.map(EventCursor::decode).transpose()?;
        let size = page_size(limit);
        let events = self
            .events_after(tenant, ticket, cursor, Some(limit_of(size) + 1))
            .await?;
        Ok(page_of(events, size, |e| EventCursor::after(e).encode()))
    }

    async fn stats(&self, tenant: TenantId, query: &StatsQuery) -> Result<Stats> {
        crate::stats::stats(self, tenant, query).await
    }

    async fn sla_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<(TenantId, TicketId)>> {
        let docs = all(self
            .coll(TICKETS)
            .find(doc! { "due": { "$lte": micros(now) } })
            .sort(doc! { "due": 1, "_id": 1 })
            .projection(doc! { "tenant": 1 })
            .limit(limit_of(limit))
            .await
            .map_err(db)?)
        .await?;
        docs.iter()
            .map(|d| {
                Ok((
                    TenantId::from_uuid(get_id(d, "tenant")?),
                    TicketId::from_uuid(get_id(d, "_id")?),
                ))
            })
            .collect()
    }

    async fn save_sla(
        &self,
        tenant: TenantId,
        ticket: TicketId,
        version: u64,
        sla: Option<&TicketSla>,
    ) -> Result<bool> {
        let mut set = doc! {
            "sla": to_json(&sla)?,
            "sla_has": sla.is_some(),
            "sla_breached": sla.is_some_and(|s| s.breached),
            "sla_at_risk": sla.is_some_and(|s| s.at_risk),
        };
        let mut unset = doc! { "stale": "" };
        match sla.and_then(|s| s.next_check) {
            Some(next) => {
                set.insert("sla_next", micros(next));
                set.insert("due", micros(next));
            }
            None => {
                unset.insert("sla_next", "");
                unset.insert("due", "");
            }
        }
        let written = self
            .coll(TICKETS)
            .update_one(
                doc! {
                    "_id": id(ticket.as_uuid()),
                    "tenant": id(tenant.as_uuid()),
                    "version": version_of(version)?,
                },
                doc! { "$set": set, "$unset": unset },
            )
            .await
            .map_err(db)?;
        Ok(written.matched_count > 0)
    }

    async fn mark_sla_stale(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
        after: Option<TicketId>,
        limit: u32,
    ) -> Result<Option<TicketId>> {
        let limit = limit.max(1);
        let mut filter: Document = doc! { "tenant": id(tenant.as_uuid()), "open": true };
        if let Some(after) = after {
            filter.insert("_id", doc! { "$gt": id(after.as_uuid()) });
        }
        let batch = all(self
            .coll(TICKETS)
            .find(filter)
            .sort(doc! { "_id": 1 })
            .projection(doc! { "_id": 1 })
            .limit(limit_of(limit))
            .await
            .map_err(db)?)
        .await?;
        let keys: Vec<String> = batch
            .iter()
            .filter_map(|d| d.get_str("_id").ok().map(str::to_string))
            .collect();
        if !keys.is_empty() {
            // `$min` sets an absent field and lowers a later one: the sweep sees `now`
            // unless the snapshot's own check is earlier.
            let now = micros(now);
            self.coll(TICKETS)
                .update_many(
                    doc! { "tenant": id(tenant.as_uuid()), "_id": { "$in": keys.clone() } },
                    doc! { "$min": { "stale": now, "due": now } },
                )
                .await
                .map_err(db)?;
        }
        let full = keys.len() == usize::try_from(limit).unwrap_or(usize::MAX);
        match keys.last().filter(|_| full) {
            Some(last) => Ok(Some(TicketId::from_uuid(
                uuid::Uuid::parse_str(last).map_err(|e| crate::errors::corrupt(e.to_string()))?,
            ))),
            None => Ok(None),
        }
    }

    async fn claim_sla_due(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<(TenantId, TicketId)>> {
        self.claim_due(now, lease, limit).await
    }

    async fn request_sla_reevaluation(&self, tenant: TenantId, now: DateTime<Utc>) -> Result<()> {
        self.request_reevaluation(tenant, now).await
    }

    async fn claim_sla_reevaluation(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<SlaReevaluation>> {
        self.claim_reevaluation(now, lease).await
    }

    async fn advance_sla_reevaluation(
        &self,
        job: &SlaReevaluation,
        after: Option<TicketId>,
        held_until: DateTime<Utc>,
    ) -> Result<bool> {
        self.advance_reevaluation(job, after, held_until).await
    }

    async fn ping(&self) -> Result<()> {
        self.ping_server().await
    }
}
