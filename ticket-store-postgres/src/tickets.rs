//! `TicketStore` for `PostgresStore`: saving a change in one statement, reading,
//! deleting, comments, history and the SLA sweep query. Listing is in `list`, statistics
//! in `stats`.

use crate::bus::{notify_and_count, payloads};
use crate::change::{check_change_scope, CommentRows, EventRows, TicketRow, TICKET_COLUMNS};
use crate::connect::PostgresStore;
use crate::errors::{db, doc};
use crate::notify::NotificationRows;
use crate::outbox::OutboxRows;
use crate::rows;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgArguments;
use sqlx::query::QueryScalar;
use sqlx::Postgres;
use std::collections::HashMap;
use ticket_core::event::TicketEvent;
use ticket_core::id::{TenantId, TicketId};
use ticket_core::notify::OutboxEntry;
use ticket_core::ports::{CapacityCheck, TicketChange, TicketStore};
use ticket_core::query::{
    CommentCursor, CommentQuery, EventCursor, Page, Stats, StatsQuery, TicketQuery,
};
use ticket_core::sla::SlaReevaluation;
use ticket_core::ticket::{Comment, Ticket, TicketSla};
use ticket_core::{Error, Result};
use uuid::Uuid;

impl PostgresStore {
    /// The one statement of a save: the ticket write (`INSERT` for a new ticket, a
    /// version-checked `UPDATE` otherwise) as the CTE `ticket`, then the inserts of its
    /// comments, events, notifications and outbox entries, each only when the ticket was
    /// written; it returns how many tickets were written (0 or 1).
    ///
    /// Parameters: `$1…$20` the ticket row, `$21` the expected version (updates), then
    /// the children (`$22…$25` comments, `$26…$28` events, `$29…$33` notifications,
    /// `$34…$43` outbox entries), `$44` the event channel and `$45` the events'
    /// payloads. Every parameter is always bound (typed by the driver), but only the
    /// inserts of non-empty children are in the statement, and the notifications only
    /// with `notify`: a ticket created with only its `Created` event does not open the
    /// indexes of four tables.
    fn save_sql(&self, update: bool, change: &TicketChange, notify: bool) -> String {
        let t = self.tables();
        let ticket = if update {
            format!(
                "UPDATE {tickets} SET status = $3, status_category = $4, priority = $5, \
                 category = $6, tags = $7, requester = $8, assignee = $9, team = $10, \
                 created_at = $11, updated_at = $12, assigned_at = $13, has_sla = $14, \
                 sla_next_check = $15, sla_at_risk = $16, sla_breached = $17, version = $18, \
                 search = to_tsvector('simple', $19), doc = $20 \
                 WHERE id = $1 AND tenant = $2 AND version = $21 RETURNING id",
                tickets = t.tickets
            )
        } else {
            format!(
                "INSERT INTO {tickets} ({TICKET_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, \
                 $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
                 to_tsvector('simple', $19), $20) RETURNING id",
                tickets = t.tickets
            )
        };
        const WRITTEN: &str = "EXISTS (SELECT 1 FROM ticket)";
        let mut sql = format!("WITH ticket AS ({ticket})");
        if !change.comments.is_empty() {
            sql.push_str(&format!(
                ", comments_in AS (
                    INSERT INTO {comments} (id, tenant, ticket_id, internal, created_at, doc)
                    SELECT c.id, $2, $1, c.internal, c.created_at, c.doc
                    FROM unnest($22::uuid[], $23::boolean[], $24::timestamptz[], $25::jsonb[])
                        AS c(id, internal, created_at, doc)
                    WHERE {WRITTEN})",
                comments = t.comments,
            ));
        }
        if !change.events.is_empty() {
            sql.push_str(&format!(
                ", events_in AS (
                    INSERT INTO {events} (id, tenant, ticket_id, at, doc)
                    SELECT e.id, $2, $1, e.at, e.doc
                    FROM unnest($26::uuid[], $27::timestamptz[], $28::jsonb[]) AS e(id, at, doc)
                    WHERE {WRITTEN})",
                events = t.events,
            ));
        }
        if !change.notifications.is_empty() {
            sql.push_str(&format!(
                ", notifications_in AS ({})",
                NotificationRows::insert_sql(t, 29, WRITTEN)
            ));
        }
        if !change.outbox.is_empty() {
            sql.push_str(&format!(
                ", outbox_in AS ({})",
                OutboxRows::insert_sql(t, 34, WRITTEN)
            ));
        }
        let notify = notify && !change.events.is_empty();
        notify_and_count(&mut sql, notify.then_some((44, 45)));
        sql
    }

    /// A routed save's capacity check, inside its transaction: the agent's user row is
    /// locked (saves checking the same agent wait for each other, and each counts after
    /// the previous one committed), then their other working tickets are counted.
    async fn check_capacity(
        &self,
        tx: &mut sqlx::PgConnection,
        t: &Ticket,
        check: CapacityCheck,
    ) -> Result<()> {
        let tables = self.tables();
        sqlx::query(&format!(
            "SELECT 1 FROM {} WHERE tenant = $1 AND id = $2 FOR UPDATE",
            tables.users
        ))
        .bind(t.tenant.as_uuid())
        .bind(check.agent.as_uuid())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let held: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {} WHERE tenant = $1 AND assignee = $2
               AND status_category IN ('new', 'open') AND id <> $3",
            tables.tickets
        ))
        .bind(t.tenant.as_uuid())
        .bind(check.agent.as_uuid())
        .bind(t.id.as_uuid())
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        if held >= i64::from(check.capacity) {
            // Dropping the transaction rolls it back.
            return Err(Error::Conflict(ticket_core::error::Conflict::Capacity {
                agent: check.agent,
            }));
        }
        Ok(())
    }

    /// The stored version of a ticket of the tenant, if it exists.
    async fn stored_version(&self, tenant: TenantId, id: TicketId) -> Result<Option<i64>> {
        sqlx::query_scalar(&format!(
            "SELECT version FROM {} WHERE tenant = $1 AND id = $2",
            self.tables().tickets
        ))
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(self.pool())
        .await
        .map_err(db)
    }
}

/// Binds a change's children from `$22` on (see [`PostgresStore::save_sql`]).
fn bind_children<'q>(
    q: QueryScalar<'q, Postgres, i64, PgArguments>,
    comments: CommentRows,
    events: EventRows,
    notifications: NotificationRows,
    outbox: OutboxRows,
) -> QueryScalar<'q, Postgres, i64, PgArguments> {
    let q = q
        .bind(comments.ids)
        .bind(comments.internal)
        .bind(comments.created_at)
        .bind(comments.docs)
        .bind(events.ids)
        .bind(events.at)
        .bind(events.docs);
    outbox.bind(notifications.bind(q))
}

impl PostgresStore {
    /// Saves a change in one statement (with its capacity check first, in one
    /// transaction, when it has one), after [`TicketStore::save`]'s checks; with
    /// `notify`, the statement also notifies the change's events.
    pub(crate) async fn save_one(&self, change: &TicketChange, notify: bool) -> Result<()> {
        let t = &change.ticket;
        // Every document is built (and checked for NUL) before the statement runs.
        let row = TicketRow::new(t)?;
        let comments = CommentRows::new(&change.comments)?;
        let events = EventRows::new(&change.events)?;
        let notifications = NotificationRows::new(&change.notifications)?;
        let outbox = OutboxRows::new(&change.outbox)?;
        let payloads = if notify {
            payloads(&change.events)?
        } else {
            Vec::new()
        };
        let expected = change.expected_version.map(rows::version).transpose()?;
        let sql = self.save_sql(expected.is_some(), change, notify);
        let q = row.bind(sqlx::query_scalar::<_, i64>(&sql)).bind(expected);
        let q = bind_children(q, comments, events, notifications, outbox)
            .bind(self.channel())
            .bind(payloads);
        let written = match change.capacity {
            // A new ticket: on a connection kept for inserts (see `kept.rs`).
            None if expected.is_none() => self.insert_scalar(q).await?,
            None => q.fetch_one(self.pool()).await.map_err(db)?,
            Some(check) => {
                let mut tx = self.pool().begin().await.map_err(db)?;
                self.check_capacity(&mut tx, t, check).await?;
                let written = q.fetch_one(&mut *tx).await.map_err(db)?;
                tx.commit().await.map_err(db)?;
                written
            }
        };
        match (written, change.expected_version) {
            (1, _) => Ok(()),
            (_, Some(expected)) => match self.stored_version(t.tenant, t.id).await? {
                None => Err(Error::not_found("ticket")),
                Some(_) => Err(Error::version_conflict(expected)),
            },
            // An INSERT either writes its row or fails.
            (_, None) => Err(Error::unique("id")),
        }
    }
}

#[async_trait]
impl TicketStore for PostgresStore {
    async fn save(&self, change: &TicketChange) -> Result<()> {
        let t = &change.ticket;
        check_change_scope(change)?;
        if let Some(expected) = change.expected_version {
            if expected.checked_add(1) != Some(t.version) {
                return Err(Error::invalid(
                    "version",
                    "must be the expected version + 1",
                ));
            }
        }
        if change.expected_version.is_none() && change.capacity.is_none() {
            return self.insert_new(change).await;
        }
        // PostgreSQL commits the transactions that notify one at a time (a lock held
        // through the WAL flush): concurrent updates notifying in their own statements
        // would queue for it, so their events go through the batched publisher, after the
        // save. New tickets notify in their statement: at most two inserts run at once.
        let payloads = if change.publish_events {
            payloads(&change.events)?
        } else {
            Vec::new()
        };
        self.save_one(change, false).await?;
        if !payloads.is_empty() {
            // Best-effort, as the desk's own publish: the history is the durable record.
            let _ = self.publish_payloads(payloads).await;
        }
        Ok(())
    }

    async fn get_ticket(&self, tenant: TenantId, id: TicketId) -> Result<Ticket> {
        self.doc_by_id(&self.tables().tickets, "ticket", tenant, id.as_uuid())
            .await
    }

    async fn get_tickets(&self, tenant: TenantId, ids: &[TicketId]) -> Result<Vec<Ticket>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: Vec<Uuid> = ids.iter().map(TicketId::as_uuid).collect();
        let found = sqlx::query(&format!(
            "SELECT doc FROM {} WHERE tenant = $1 AND id = ANY($2)",
            self.tables().tickets
        ))
        .bind(tenant.as_uuid())
        .bind(&wanted)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        let mut by_id: HashMap<TicketId, Ticket> = rows::docs::<Ticket>(&found)?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        // In the order asked, each once (`remove` drops later duplicates).
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    async fn list_tickets(&self, tenant: TenantId, query: &TicketQuery) -> Result<Page<Ticket>> {
        self.list(tenant, query).await
    }

    async fn delete_ticket(
        &self,
        tenant: TenantId,
        id: TicketId,
        event: &TicketEvent,
        outbox: &[OutboxEntry],
    ) -> Result<()> {
        let scope = if event.tenant != tenant || event.ticket_id != id {
            Some(Error::invalid(
                "event",
                "belongs to another ticket or tenant",
            ))
        } else if outbox.iter().any(|o| o.tenant != tenant) {
            Some(Error::invalid("outbox", "belongs to another tenant"))
        } else {
            None
        };
        if let Some(invalid) = scope {
            // `MemoryStore` reports a missing ticket before a misdirected event.
            return match self.stored_version(tenant, id).await? {
                None => Err(Error::not_found("ticket")),
                Some(_) => Err(invalid),
            };
        }
        let event_doc = doc("event", event)?;
        let entries = OutboxRows::new(outbox)?;
        let t = self.tables();
        // Comments go with their ticket (ON DELETE CASCADE); the history stays.
        let sql = format!(
            "WITH gone AS (DELETE FROM {tickets} WHERE tenant = $1 AND id = $2 RETURNING id),
             event_in AS (
                 INSERT INTO {events} (id, tenant, ticket_id, at, doc)
                 SELECT $3, $1, $2, $4, $5 WHERE EXISTS (SELECT 1 FROM gone))
             {outbox}
             SELECT count(*) FROM gone",
            tickets = t.tickets,
            events = t.events,
            outbox = if outbox.is_empty() {
                String::new()
            } else {
                format!(
                    ", outbox_in AS ({})",
                    OutboxRows::insert_sql(t, 6, "EXISTS (SELECT 1 FROM gone)")
                )
            },
        );
        let q = sqlx::query_scalar::<_, i64>(&sql)
            .bind(tenant.as_uuid())
            .bind(id.as_uuid())
            .bind(event.id.as_uuid())
            .bind(event.at)
            .bind(event_doc);
        let deleted = entries.bind(q).fetch_one(self.pool()).await.map_err(db)?;
        if deleted == 1 {
            Ok(())
        } else {
            Err(Error::not_found("ticket"))
        }
    }

    async fn list_comments(
        &self,
        tenant: TenantId,
        ticket: TicketId,
        query: &CommentQuery,
    ) -> Result<Page<Comment>> {
        // Keyset on the index (ticket_id, created_at, id); `created_at` keeps whole
        // microseconds, the cursor's precision.
        let found = sqlx::query(&format!(
            "SELECT doc FROM {} WHERE ticket_id = $2 AND tenant = $1 AND ($3 OR NOT internal) \
             AND ($4::timestamptz IS NULL OR (created_at, id) > ($4, $5)) \
             ORDER BY created_at, id LIMIT $6",
            self.tables().comments
        ))
        .bind(tenant.as_uuid())
        .bind(ticket.as_uuid())
        .bind(query.include_internal)
        .bind(query.after.map(|c| c.at))
        .bind(query.after.map(|c| c.id.as_uuid()))
        .bind(i64::from(query.limit) + 1)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        Ok(CommentCursor::page(rows::docs(&found)?, query))
    }

    async fn ticket_events(&self, tenant: TenantId, ticket: TicketId) -> Result<Vec<TicketEvent>> {
        let found = sqlx::query(&format!(
            "SELECT doc FROM {} WHERE ticket_id = $2 AND tenant = $1 ORDER BY at, id",
            self.tables().events
        ))
        .bind(tenant.as_uuid())
        .bind(ticket.as_uuid())
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows::docs(&found)
    }

    async fn ticket_events_page(
        &self,
        tenant: TenantId,
        ticket: TicketId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<TicketEvent>> {
        let cursor = cursor.map(EventCursor::decode).transpose()?;
        let size = rows::page_size(limit);
        // The keyset walk of `events_by_ticket (ticket_id, at, id)`.
        let found = sqlx::query(&format!(
            "SELECT doc FROM {} WHERE ticket_id = $2 AND tenant = $1 \
             AND ($3::timestamptz IS NULL OR (at, id) > ($3, $4)) \
             ORDER BY at, id LIMIT $5",
            self.tables().events
        ))
        .bind(tenant.as_uuid())
        .bind(ticket.as_uuid())
        .bind(cursor.map(|c| c.at))
        .bind(cursor.map(|c| c.id.as_uuid()))
        .bind(rows::look_ahead(size))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        let events: Vec<TicketEvent> = rows::docs(&found)?;
        Ok(rows::page_of(events, size, |e| {
            EventCursor::after(e).encode()
        }))
    }

    async fn stats(&self, tenant: TenantId, query: &StatsQuery) -> Result<Stats> {
        self.compute_stats(tenant, query).await
    }

    async fn sla_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<(TenantId, TicketId)>> {
        // Claimed tickets are not due again before their lease ends.
        let found: Vec<(Uuid, Uuid)> = sqlx::query_as(&format!(
            "SELECT t.tenant, t.id FROM {} t \
             WHERE t.sla_next_check IS NOT NULL AND t.sla_next_check <= $1 AND NOT {} \
             ORDER BY t.sla_next_check, t.id LIMIT $2",
            self.tables().tickets,
            crate::sweep::held_by_claim(&self.tables().sla_claims, "$1")
        ))
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        Ok(found
            .into_iter()
            .map(|(tenant, id)| (TenantId::from_uuid(tenant), TicketId::from_uuid(id)))
            .collect())
    }

    async fn claim_sla_due(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<(TenantId, TicketId)>> {
        self.claim_due(now, lease, limit).await
    }

    async fn save_sla(
        &self,
        tenant: TenantId,
        id: TicketId,
        version: u64,
        sla: Option<&TicketSla>,
    ) -> Result<bool> {
        // The columns and the document's `sla` in one version-checked UPDATE (the version
        // and `updated_at` stay as they are), and the end of the ticket's claim.
        let saved: i64 = sqlx::query_scalar(&format!(
            "WITH saved AS (UPDATE {} SET has_sla = $4, sla_next_check = $5, \
                 sla_at_risk = $6, sla_breached = $7, doc = jsonb_set(doc, '{{sla}}', $8) \
                 WHERE id = $1 AND tenant = $2 AND version = $3 RETURNING id), \
             released AS (DELETE FROM {} WHERE ticket_id IN (SELECT id FROM saved)) \
             SELECT count(*) FROM saved",
            self.tables().tickets,
            self.tables().sla_claims
        ))
        .bind(id.as_uuid())
        .bind(tenant.as_uuid())
        .bind(rows::version(version)?)
        .bind(sla.is_some())
        .bind(sla.and_then(|s| s.next_check))
        .bind(sla.is_some_and(|s| s.at_risk))
        .bind(sla.is_some_and(|s| s.breached))
        .bind(sqlx::types::Json(sla))
        .fetch_one(self.pool())
        .await
        .map_err(db)?;
        Ok(saved == 1)
    }

    async fn mark_sla_stale(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
        after: Option<TicketId>,
        limit: u32,
    ) -> Result<Option<TicketId>> {
        // One bounded batch in id order (the primary key), marked in one UPDATE: the
        // sweep's index sees `now` unless the snapshot's own check is earlier (a claimed
        // ticket's due time is the end of its lease, so it is due at `now`); their
        // claims end.
        let limit = limit.max(1);
        let marked: Vec<(Uuid,)> = sqlx::query_as(&format!(
            "WITH batch AS (SELECT id FROM {tickets} \
                 WHERE tenant = $1 AND status_category IN ('new', 'open', 'pending') \
                   AND ($3::uuid IS NULL OR id > $3) \
                 ORDER BY id LIMIT $4), \
             marked AS (UPDATE {tickets} t SET sla_next_check = CASE WHEN {held} THEN $2 \
                     ELSE LEAST(t.sla_next_check, $2) END \
                 FROM batch WHERE t.id = batch.id RETURNING t.id), \
             released AS (DELETE FROM {claims} WHERE ticket_id IN (SELECT id FROM marked)) \
             SELECT id FROM marked",
            tickets = self.tables().tickets,
            claims = self.tables().sla_claims,
            held = crate::sweep::held_by_claim(&self.tables().sla_claims, "$2")
        ))
        .bind(tenant.as_uuid())
        .bind(now)
        .bind(after.map(|a| a.as_uuid()))
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        let full = marked.len() == usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(marked
            .into_iter()
            .map(|(id,)| id)
            .max()
            .filter(|_| full)
            .map(TicketId::from_uuid))
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

    fn event_channel(&self) -> Option<String> {
        Some(self.channel_id().to_string())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(self.pool())
            .await
            .map(drop)
            .map_err(db)
    }
}
