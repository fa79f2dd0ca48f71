//! `Outbox` for `SqliteStore`: the document holds the delivery, columns its changing state
//! (status, attempts, schedule, lease, claim, last error, delivery time). A claim selects
//! and marks the due entries inside one write transaction, so no two claimers (of this
//! process or another) ever get the same entry.

use crate::cursor::{decode_id, encode_id, page_of, page_size};
use crate::rows::{
    db, delivery_status, from_doc, instant, micros, opt_instant, parse_delivery_status, to_doc,
};
use crate::save::insert_error;
use crate::SqliteStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::{QueryBuilder, Row as _, Sqlite};
use ticket_core::error::{Conflict, Error, Result};
use ticket_core::id::{DeliveryId, TenantId};
use ticket_core::notify::{DeliveryAttempt, DeliveryStatus, OutboxEntry, RECIPIENT_DELETED};
use ticket_core::ports::Outbox;
use ticket_core::query::Page;
use ticket_core::text::Email;
use uuid::Uuid;

/// The columns an entry is read from.
const COLUMNS: &str =
    "doc, status, attempts, next_attempt_at, lease_until, claim, last_error, delivered_at, log";

/// The document with its body blanked: payload `null`, an e-mail's subject and body empty.
const BLANKED: &str = "CASE WHEN json_extract(doc, '$.channel.type') = 'email'
     THEN json_set(doc, '$.payload', json('null'), '$.channel.subject', '',
                   '$.channel.body', '')
     ELSE json_set(doc, '$.payload', json('null')) END";

/// Stores an entry (inside a write transaction).
pub(crate) async fn insert_entry(conn: &mut SqliteConnection, e: &OutboxEntry) -> Result<()> {
    sqlx::query(
        "INSERT INTO ticket_outbox (id, tenant, status, attempts, next_attempt_at, lease_until,
                                    claim, last_error, delivered_at, doc, log)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(e.id.as_uuid())
    .bind(e.tenant.as_uuid())
    .bind(delivery_status(e.status))
    .bind(i64::from(e.attempts))
    .bind(micros(e.next_attempt_at))
    .bind(e.lease_until.map(micros))
    .bind(e.claim)
    .bind(e.last_error.as_deref())
    .bind(e.delivered_at.map(micros))
    .bind(to_doc(e)?)
    .bind(to_doc(&e.log)?)
    .execute(&mut *conn)
    .await
    .map_err(insert_error)?;
    Ok(())
}

/// An entry from a row of [`COLUMNS`]: the document with the state columns over it.
fn entry(row: &SqliteRow) -> Result<OutboxEntry> {
    let mut e: OutboxEntry = from_doc(row, "doc")?;
    let status: String = row.try_get("status").map_err(db)?;
    let attempts: i64 = row.try_get("attempts").map_err(db)?;
    e.status = parse_delivery_status(&status)?;
    e.attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
    e.next_attempt_at = instant(row.try_get("next_attempt_at").map_err(db)?)?;
    e.lease_until = opt_instant(row.try_get("lease_until").map_err(db)?)?;
    e.claim = row.try_get("claim").map_err(db)?;
    e.last_error = row.try_get("last_error").map_err(db)?;
    e.delivered_at = opt_instant(row.try_get("delivered_at").map_err(db)?)?;
    e.log = from_doc(row, "log")?;
    Ok(e)
}

/// `claim` inside its transaction.
async fn claim_in(
    conn: &mut SqliteConnection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<OutboxEntry>> {
    let now = micros(now);
    let due: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM ticket_outbox
         WHERE status IN ('pending', 'in_flight')
           AND ((status = 'pending' AND next_attempt_at <= ?)
             OR (status = 'in_flight' AND (lease_until IS NULL OR lease_until <= ?)))
         ORDER BY next_attempt_at, id LIMIT ?",
    )
    .bind(now)
    .bind(now)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let sql = format!(
        "UPDATE ticket_outbox SET status = 'in_flight', lease_until = ?, claim = ?,
                attempts = attempts + 1
         WHERE id = ? RETURNING {COLUMNS}"
    );
    let mut claimed = Vec::with_capacity(due.len());
    for id in due {
        let row = sqlx::query(&sql)
            .bind(micros(lease_until))
            .bind(Uuid::now_v7())
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .map_err(db)?;
        claimed.push(entry(&row)?);
    }
    Ok(claimed)
}

/// `retry_delivery` inside its transaction.
async fn retry_in(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    id: DeliveryId,
    now: DateTime<Utc>,
) -> Result<OutboxEntry> {
    let status: String =
        sqlx::query_scalar("SELECT status FROM ticket_outbox WHERE id = ? AND tenant = ?")
            .bind(id.as_uuid())
            .bind(tenant.as_uuid())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?
            .ok_or_else(|| Error::not_found("delivery"))?;
    if parse_delivery_status(&status)? != DeliveryStatus::Dead {
        return Err(Error::Conflict(Conflict::State {
            reason: "only a dead delivery can be retried".into(),
        }));
    }
    let sql = format!(
        "UPDATE ticket_outbox SET status = 'pending', attempts = 0, next_attempt_at = ?,
                lease_until = NULL, claim = NULL
         WHERE id = ? RETURNING {COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(micros(now))
        .bind(id.as_uuid())
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    entry(&row)
}

impl SqliteStore {
    /// Runs one state change of an entry held by `claim` in a write transaction; whether
    /// it applied.
    async fn acknowledge<'q>(
        &self,
        update: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    ) -> Result<bool> {
        let mut w = self.write().await?;
        let result = update
            .execute(&mut *w.tx)
            .await
            .map(|done| done.rows_affected() > 0)
            .map_err(db);
        w.finish(result).await
    }
}

#[async_trait]
impl Outbox for SqliteStore {
    async fn enqueue(&self, entries: &[OutboxEntry]) -> Result<()> {
        let mut w = self.write().await?;
        let mut result = Ok(());
        for e in entries {
            result = insert_entry(&mut w.tx, e).await;
            if result.is_err() {
                break;
            }
        }
        w.finish(result).await
    }

    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>> {
        let lease_until = now
            .checked_add_signed(lease)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let mut w = self.write().await?;
        let result = claim_in(&mut w.tx, now, lease_until, limit).await;
        w.finish(result).await
    }

    async fn complete(
        &self,
        id: DeliveryId,
        claim: Uuid,
        now: DateTime<Utc>,
        log: &[DeliveryAttempt],
    ) -> Result<bool> {
        self.acknowledge(
            sqlx::query(
                "UPDATE ticket_outbox SET status = 'delivered', delivered_at = ?,
                        lease_until = NULL, claim = NULL, log = ?
                 WHERE id = ? AND status = 'in_flight' AND claim = ?",
            )
            .bind(micros(now))
            .bind(to_doc(&log)?)
            .bind(id.as_uuid())
            .bind(claim),
        )
        .await
    }

    async fn fail(
        &self,
        id: DeliveryId,
        claim: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        log: &[DeliveryAttempt],
    ) -> Result<bool> {
        self.acknowledge(
            sqlx::query(
                "UPDATE ticket_outbox SET last_error = ?, lease_until = NULL, claim = NULL,
                        status = CASE WHEN ? IS NULL THEN 'dead' ELSE 'pending' END,
                        next_attempt_at = coalesce(?, next_attempt_at), log = ?
                 WHERE id = ? AND status = 'in_flight' AND claim = ?",
            )
            .bind(error)
            .bind(retry_at.map(micros))
            .bind(retry_at.map(micros))
            .bind(to_doc(&log)?)
            .bind(id.as_uuid())
            .bind(claim),
        )
        .await
    }

    async fn purge_delivered(&self, before: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query(&format!(
            "UPDATE ticket_outbox SET doc = {BLANKED}
             WHERE status = 'delivered' AND delivered_at < ?
               AND json_type(doc, '$.payload') != 'null'"
        ))
        .bind(micros(before))
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn forget_recipient(
        &self,
        tenant: TenantId,
        address: &Email,
        placeholder: &Email,
    ) -> Result<u64> {
        // Every SET expression reads the row as it was, so `status` in the second CASE is
        // the old one.
        let done = sqlx::query(&format!(
            "UPDATE ticket_outbox SET doc = json_set({BLANKED}, '$.channel.to', ?),
                    last_error = CASE WHEN status IN ('pending', 'dead') THEN ?
                                      ELSE last_error END,
                    status = CASE WHEN status IN ('pending', 'dead') THEN 'dead'
                                  ELSE status END
             WHERE tenant = ? AND json_extract(doc, '$.channel.type') = 'email'
               AND json_extract(doc, '$.channel.to') = ?"
        ))
        .bind(placeholder.as_str())
        .bind(RECIPIENT_DELETED)
        .bind(tenant.as_uuid())
        .bind(address.as_str())
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn get_delivery(&self, tenant: TenantId, id: DeliveryId) -> Result<OutboxEntry> {
        let sql = format!("SELECT {COLUMNS} FROM ticket_outbox WHERE id = ? AND tenant = ?");
        let row = sqlx::query(&sql)
            .bind(id.as_uuid())
            .bind(tenant.as_uuid())
            .fetch_optional(self.pool())
            .await
            .map_err(db)?
            .ok_or_else(|| Error::not_found("delivery"))?;
        entry(&row)
    }

    async fn list_deliveries(
        &self,
        tenant: TenantId,
        status: Option<DeliveryStatus>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<OutboxEntry>> {
        let before = cursor.map(decode_id).transpose()?;
        let size = page_size(limit);
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {COLUMNS} FROM ticket_outbox WHERE tenant = "
        ));
        q.push_bind(tenant.as_uuid());
        if let Some(status) = status {
            q.push(" AND status = ").push_bind(delivery_status(status));
        }
        if let Some(before) = before {
            q.push(" AND id < ").push_bind(before);
        }
        q.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(size) + 1);
        let items = q
            .build()
            .fetch_all(self.pool())
            .await
            .map_err(db)?
            .iter()
            .map(entry)
            .collect::<Result<Vec<_>>>()?;
        Ok(page_of(items, size, |e| encode_id(e.id.as_uuid())))
    }

    async fn retry_delivery(
        &self,
        tenant: TenantId,
        id: DeliveryId,
        now: DateTime<Utc>,
    ) -> Result<OutboxEntry> {
        let mut w = self.write().await?;
        let result = retry_in(&mut w.tx, tenant, id, now).await;
        w.finish(result).await
    }
}
