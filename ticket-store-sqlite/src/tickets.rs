//! `TicketStore` for `SqliteStore`: reads, comments, history and the SLA sweep query.
//! Writes are in `save.rs` (saves go through the group commit of `batch.rs`), listing in
//! `list.rs`, statistics in `stats.rs`.

use crate::cursor::{page_of, page_size};
use crate::rows::{db, from_doc, micros, version as version_of};
use crate::save::{check_change_scope, delete_in, Columns};
use crate::SqliteStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Row as _, Sqlite};
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
use uuid::Uuid;

/// How many ids one `IN (…)` list binds.
const IN_CHUNK: usize = 500;

#[async_trait]
impl TicketStore for SqliteStore {
    async fn save(&self, change: &TicketChange) -> Result<()> {
        check_change_scope(change)?;
        let cols = Columns::of(&change.ticket)?;
        self.save_batched(change.clone(), cols).await
    }

    async fn get_ticket(&self, tenant: TenantId, id: TicketId) -> Result<Ticket> {
        let row = sqlx::query(
            "SELECT d.doc FROM ticket_tickets t JOIN ticket_ticket_docs d ON d.seq = t.seq
             WHERE t.id = ? AND t.tenant = ?",
        )
        .bind(id.as_uuid())
        .bind(tenant.as_uuid())
        .fetch_optional(self.pool())
        .await
        .map_err(db)?
        .ok_or_else(|| Error::not_found("ticket"))?;
        from_doc(&row, "doc")
    }

    async fn get_tickets(&self, tenant: TenantId, ids: &[TicketId]) -> Result<Vec<Ticket>> {
        let mut found: HashMap<TicketId, Ticket> = HashMap::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let mut q = sqlx::QueryBuilder::<Sqlite>::new(
                "SELECT d.doc FROM ticket_tickets t JOIN ticket_ticket_docs d ON d.seq = t.seq
                 WHERE t.tenant = ",
            );
            q.push_bind(tenant.as_uuid()).push(" AND t.id IN (");
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(id.as_uuid());
            }
            q.push(")");
            for row in q.build().fetch_all(self.pool()).await.map_err(db)? {
                let t: Ticket = from_doc(&row, "doc")?;
                found.insert(t.id, t);
            }
        }
        // In the order asked, each once (removing as we go skips the duplicates).
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    async fn list_tickets(&self, tenant: TenantId, query: &TicketQuery) -> Result<Page<Ticket>> {
        crate::list::list_tickets(self.pool(), tenant, query).await
    }

    async fn delete_ticket(
        &self,
        tenant: TenantId,
        id: TicketId,
        event: &TicketEvent,
        outbox: &[OutboxEntry],
    ) -> Result<()> {
        let mut w = self.write().await?;
        let result = delete_in(&mut w.tx, tenant, id, event, outbox).await;
        w.finish(result).await
    }

    async fn list_comments(
        &self,
        tenant: TenantId,
        ticket: TicketId,
        query: &CommentQuery,
    ) -> Result<Page<Comment>> {
        // Keyset on the index (ticket_id, created_at, id): `created_at` holds whole
        // microseconds, the cursor's precision. Without a cursor, the position before all.
        let (at, id) = query
            .after
            .map_or((i64::MIN, Uuid::nil()), |c| (micros(c.at), c.id.as_uuid()));
        let read: Vec<Comment> = sqlx::query(
            "SELECT doc FROM ticket_comments WHERE ticket_id = ? AND tenant = ? \
             AND (? OR internal = 0) AND (created_at > ? OR (created_at = ? AND id > ?)) \
             ORDER BY created_at, id LIMIT ?",
        )
        .bind(ticket.as_uuid())
        .bind(tenant.as_uuid())
        .bind(query.include_internal)
        .bind(at)
        .bind(at)
        .bind(id)
        .bind(i64::from(query.limit) + 1)
        .fetch_all(self.pool())
        .await
        .map_err(db)?
        .iter()
        .map(|row| from_doc(row, "doc"))
        .collect::<Result<_>>()?;
        Ok(CommentCursor::page(read, query))
    }

    async fn ticket_events(&self, tenant: TenantId, ticket: TicketId) -> Result<Vec<TicketEvent>> {
        sqlx::query(
            "SELECT doc FROM ticket_events WHERE ticket_id = ? AND tenant = ? ORDER BY at, id",
        )
        .bind(ticket.as_uuid())
        .bind(tenant.as_uuid())
        .fetch_all(self.pool())
        .await
        .map_err(db)?
        .iter()
        .map(|row| from_doc(row, "doc"))
        .collect()
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
        let at = cursor.map(|c| micros(c.at));
        let id = cursor.map(|c| c.id.as_uuid());
        let rows = sqlx::query(
            "SELECT doc FROM ticket_events WHERE ticket_id = ? AND tenant = ?
             AND (?3 IS NULL OR at > ?3 OR (at = ?3 AND id > ?4))
             ORDER BY at, id LIMIT ?5",
        )
        .bind(ticket.as_uuid())
        .bind(tenant.as_uuid())
        .bind(at)
        .bind(id)
        .bind(i64::from(size) + 1)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        let events = rows
            .iter()
            .map(|row| from_doc(row, "doc"))
            .collect::<Result<Vec<TicketEvent>>>()?;
        Ok(page_of(events, size, |e| EventCursor::after(e).encode()))
    }

    async fn stats(&self, tenant: TenantId, query: &StatsQuery) -> Result<Stats> {
        crate::stats::stats(self.pool(), tenant, query).await
    }

    async fn sla_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<(TenantId, TicketId)>> {
        let rows = sqlx::query(
            "SELECT tenant, id FROM ticket_tickets
             WHERE sla_next_check IS NOT NULL AND sla_next_check <= ?
             ORDER BY sla_next_check, id LIMIT ?",
        )
        .bind(micros(now))
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                let tenant: Uuid = row.try_get("tenant").map_err(db)?;
                let id: Uuid = row.try_get("id").map_err(db)?;
                Ok((TenantId::from_uuid(tenant), TicketId::from_uuid(id)))
            })
            .collect()
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
        // The columns and the document's `sla`, checked against the version, in one
        // transaction; the version and `updated_at` stay as they are.
        let snapshot = serde_json::to_string(&sla).map_err(Error::store)?;
        let mut w = self.write().await?;
        let result = save_sla_in(&mut w.tx, tenant, id, version_of(version)?, sla, snapshot).await;
        w.finish(result).await
    }

    async fn mark_sla_stale(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
        after: Option<TicketId>,
        limit: u32,
    ) -> Result<Option<TicketId>> {
        // One bounded batch in id order, marked in one UPDATE: the sweep's index sees
        // `now` unless the snapshot's own check is earlier.
        let limit = limit.max(1);
        let now = micros(now);
        let mut w = self.write().await?;
        let marked = sqlx::query_scalar::<_, Uuid>(
            "UPDATE ticket_tickets
             SET sla_next_check = CASE WHEN sla_next_check IS NULL OR sla_next_check > ?
                                       THEN ? ELSE sla_next_check END
             WHERE seq IN (SELECT seq FROM ticket_tickets
                           WHERE tenant = ? AND is_open = 1 AND (? IS NULL OR id > ?)
                           ORDER BY id LIMIT ?)
             RETURNING id",
        )
        .bind(now)
        .bind(now)
        .bind(tenant.as_uuid())
        .bind(after.map(|a| a.as_uuid()))
        .bind(after.map(|a| a.as_uuid()))
        .bind(i64::from(limit))
        .fetch_all(&mut *w.tx)
        .await
        .map_err(db);
        let marked = w.finish(marked).await?;
        let full = marked.len() == usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(marked
            .into_iter()
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

    async fn ping(&self) -> Result<()> {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(self.pool())
            .await
            .map_err(db)?;
        Ok(())
    }
}

/// The write of `save_sla`: the columns and the document's `sla`, when the version holds.
async fn save_sla_in(
    tx: &mut sqlx::SqliteConnection,
    tenant: TenantId,
    id: TicketId,
    version: i64,
    sla: Option<&TicketSla>,
    snapshot: String,
) -> Result<bool> {
    let seq: Option<i64> = sqlx::query_scalar(
        "UPDATE ticket_tickets SET sla_next_check = ?, sla_breached = ?, sla_at_risk = ?
         WHERE id = ? AND tenant = ? AND version = ? RETURNING seq",
    )
    .bind(sla.and_then(|s| s.next_check).map(micros))
    .bind(sla.map(|s| s.breached))
    .bind(sla.map(|s| s.at_risk))
    .bind(id.as_uuid())
    .bind(tenant.as_uuid())
    .bind(version)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let Some(seq) = seq else {
        return Ok(false);
    };
    sqlx::query(
        "UPDATE ticket_ticket_docs SET doc = json_set(doc, '$.sla', json(?)) WHERE seq = ?",
    )
    .bind(snapshot)
    .bind(seq)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    Ok(true)
}
