//! `Outbox` for `PostgresStore`: claims with `FOR UPDATE SKIP LOCKED` and a lease, acks
//! held by the claim, dead-lettering and retries. The delivery state lives in columns
//! (authoritative); the document keeps the entry as enqueued.

use crate::connect::PostgresStore;
use crate::errors::{db, doc, Doc};
use crate::rows::{self, decode_id_cursor, encode_id_cursor, look_ahead, page_of, page_size};
use crate::tables::Tables;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::QueryScalar;
use sqlx::Postgres;
use ticket_core::error::Conflict;
use ticket_core::id::{DeliveryId, TenantId};
use ticket_core::notify::{DeliveryAttempt, DeliveryStatus, OutboxEntry, RECIPIENT_DELETED};
use ticket_core::ports::Outbox;
use ticket_core::query::Page;
use ticket_core::text::Email;
use ticket_core::{Error, Result};
use uuid::Uuid;

/// The stored name of a delivery status (its serde name).
fn status_name(s: DeliveryStatus) -> &'static str {
    match s {
        DeliveryStatus::Pending => "pending",
        DeliveryStatus::InFlight => "in_flight",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Dead => "dead",
    }
}

/// Reads back [`status_name`].
fn parse_status(s: &str) -> Result<DeliveryStatus> {
    Ok(match s {
        "pending" => DeliveryStatus::Pending,
        "in_flight" => DeliveryStatus::InFlight,
        "delivered" => DeliveryStatus::Delivered,
        "dead" => DeliveryStatus::Dead,
        other => {
            return Err(Error::store(format!(
                "unknown delivery status {other:?} in the outbox"
            )))
        }
    })
}

/// The columns a delivery is read back from.
const ENTRY_COLUMNS: &str =
    "doc, status, attempts, next_attempt_at, lease_until, claim, last_error, delivered_at, log";

/// An entry read back: the document as enqueued with the delivery state of the columns.
fn entry(row: &PgRow) -> Result<OutboxEntry> {
    let mut e: OutboxEntry = rows::doc(row, "doc")?;
    e.status = parse_status(&rows::get::<String>(row, "status")?)?;
    e.attempts = u32::try_from(rows::get::<i32>(row, "attempts")?).unwrap_or(0);
    e.next_attempt_at = rows::get(row, "next_attempt_at")?;
    e.lease_until = rows::get(row, "lease_until")?;
    e.claim = rows::get(row, "claim")?;
    e.last_error = rows::get(row, "last_error")?;
    e.delivered_at = rows::get(row, "delivered_at")?;
    e.log = rows::doc(row, "log")?;
    Ok(e)
}

/// A delivery log as jsonb can hold it: a remote server's text may hold NUL, which
/// becomes U+FFFD (as in [`storable_error`]).
fn storable_log(log: &[DeliveryAttempt]) -> Result<Value> {
    let clean = |s: &Option<String>| s.as_deref().map(storable_error);
    let log: Vec<DeliveryAttempt> = log
        .iter()
        .map(|a| DeliveryAttempt {
            error: clean(&a.error),
            response: clean(&a.response),
            ..a.clone()
        })
        .collect();
    serde_json::to_value(log).map_err(Error::store)
}

/// The document with its body blanked: payload `null`, an e-mail's subject and body empty.
const BLANKED: &str = "CASE WHEN doc->'channel'->>'type' = 'email'
     THEN jsonb_set(jsonb_set(jsonb_set(doc, '{payload}', 'null'),
                              '{channel,subject}', '\"\"'), '{channel,body}', '\"\"')
     ELSE jsonb_set(doc, '{payload}', 'null') END";

/// `last_error` as it can be stored: PostgreSQL text cannot hold NUL, and a remote
/// server's message must not make the relay fail, so NUL becomes U+FFFD.
fn storable_error(error: &str) -> String {
    error.replace('\0', "\u{FFFD}")
}

/// Outbox entries as parallel arrays for `unnest`.
pub(crate) struct OutboxRows {
    ids: Vec<Uuid>,
    tenants: Vec<Uuid>,
    statuses: Vec<&'static str>,
    attempts: Vec<i32>,
    next_attempt_at: Vec<DateTime<Utc>>,
    lease_until: Vec<Option<DateTime<Utc>>>,
    claims: Vec<Option<Uuid>>,
    last_errors: Vec<Option<String>>,
    delivered_at: Vec<Option<DateTime<Utc>>>,
    docs: Vec<Doc>,
}

impl OutboxRows {
    /// The rows of `entries`.
    ///
    /// # Errors
    /// `Invalid` on `outbox` when an entry holds NUL (payload, channel or error text).
    pub fn new<'a, I>(entries: I) -> Result<Self>
    where
        I: IntoIterator<Item = &'a OutboxEntry>,
        I::IntoIter: Clone,
    {
        let entries = entries.into_iter();
        let attempts = entries
            .clone()
            .map(|e| {
                i32::try_from(e.attempts).map_err(|_| Error::invalid("outbox", "too many attempts"))
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            ids: entries.clone().map(|e| e.id.as_uuid()).collect(),
            tenants: entries.clone().map(|e| e.tenant.as_uuid()).collect(),
            statuses: entries.clone().map(|e| status_name(e.status)).collect(),
            attempts,
            next_attempt_at: entries.clone().map(|e| e.next_attempt_at).collect(),
            lease_until: entries.clone().map(|e| e.lease_until).collect(),
            claims: entries.clone().map(|e| e.claim).collect(),
            last_errors: entries.clone().map(|e| e.last_error.clone()).collect(),
            delivered_at: entries.clone().map(|e| e.delivered_at).collect(),
            docs: entries.map(|e| doc("outbox", e)).collect::<Result<_>>()?,
        })
    }

    /// Moves `other`'s rows after these.
    pub fn append(&mut self, mut other: Self) {
        self.ids.append(&mut other.ids);
        self.tenants.append(&mut other.tenants);
        self.statuses.append(&mut other.statuses);
        self.attempts.append(&mut other.attempts);
        self.next_attempt_at.append(&mut other.next_attempt_at);
        self.lease_until.append(&mut other.lease_until);
        self.claims.append(&mut other.claims);
        self.last_errors.append(&mut other.last_errors);
        self.delivered_at.append(&mut other.delivered_at);
        self.docs.append(&mut other.docs);
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// An `INSERT` of the rows bound at `$first…$first+9`, done only when `guard` holds.
    pub fn insert_sql(t: &Tables, first: usize, guard: &str) -> String {
        let p: Vec<usize> = (first..first + 10).collect();
        format!(
            "INSERT INTO {table} (id, tenant, status, attempts, next_attempt_at, lease_until,
                                  claim, last_error, delivered_at, doc)
             SELECT o.id, o.tenant, o.status, o.attempts, o.next_attempt_at, o.lease_until,
                    o.claim, o.last_error, o.delivered_at, o.doc
             FROM unnest(${}::uuid[], ${}::uuid[], ${}::text[], ${}::integer[],
                         ${}::timestamptz[], ${}::timestamptz[], ${}::uuid[], ${}::text[],
                         ${}::timestamptz[], ${}::jsonb[])
                 AS o(id, tenant, status, attempts, next_attempt_at, lease_until, claim,
                      last_error, delivered_at, doc)
             WHERE {guard}",
            p[0],
            p[1],
            p[2],
            p[3],
            p[4],
            p[5],
            p[6],
            p[7],
            p[8],
            p[9],
            table = t.outbox,
        )
    }

    /// Binds the rows in the order of [`OutboxRows::insert_sql`].
    pub fn bind<'q, O>(
        self,
        q: QueryScalar<'q, Postgres, O, PgArguments>,
    ) -> QueryScalar<'q, Postgres, O, PgArguments> {
        q.bind(self.ids)
            .bind(self.tenants)
            .bind(self.statuses)
            .bind(self.attempts)
            .bind(self.next_attempt_at)
            .bind(self.lease_until)
            .bind(self.claims)
            .bind(self.last_errors)
            .bind(self.delivered_at)
            .bind(self.docs)
    }
}

#[async_trait]
impl Outbox for PostgresStore {
    async fn enqueue(&self, entries: &[OutboxEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let rows = OutboxRows::new(entries)?;
        let sql = format!(
            "WITH added AS ({}) SELECT 1",
            OutboxRows::insert_sql(self.tables(), 1, "true")
        );
        rows.bind(sqlx::query_scalar::<_, i32>(&sql))
            .fetch_one(self.pool())
            .await
            .map(drop)
            .map_err(db)
    }

    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let lease_until = now
            .checked_add_signed(lease)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let t = self.tables();
        // The rows locked by another claimer are skipped, and a row another claimer took
        // meanwhile is re-checked on its new version, so no entry is handed out twice.
        let sql = format!(
            "WITH due AS (
                 SELECT id FROM {outbox}
                 WHERE (status = 'pending' AND next_attempt_at <= $1)
                    OR (status = 'in_flight' AND (lease_until IS NULL OR lease_until <= $1))
                 ORDER BY next_attempt_at, id
                 LIMIT $3
                 FOR UPDATE SKIP LOCKED)
             UPDATE {outbox} o
             SET status = 'in_flight', lease_until = $2, claim = gen_random_uuid(),
                 attempts = o.attempts + 1
             FROM due WHERE o.id = due.id
             RETURNING {ENTRY_COLUMNS}",
            outbox = t.outbox,
        );
        let found = sqlx::query(&sql)
            .bind(now)
            .bind(lease_until)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await
            .map_err(db)?;
        let mut claimed = found.iter().map(entry).collect::<Result<Vec<_>>>()?;
        claimed.sort_by_key(|e| (e.next_attempt_at, e.id));
        Ok(claimed)
    }

    async fn complete(
        &self,
        id: DeliveryId,
        claim: Uuid,
        now: DateTime<Utc>,
        log: &[DeliveryAttempt],
    ) -> Result<bool> {
        let done = sqlx::query(&format!(
            "UPDATE {} SET status = 'delivered', delivered_at = $3, lease_until = NULL, \
             claim = NULL, log = $4 WHERE id = $1 AND status = 'in_flight' AND claim = $2",
            self.tables().outbox
        ))
        .bind(id.as_uuid())
        .bind(claim)
        .bind(now)
        .bind(storable_log(log)?)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(rows::affected(&done) == 1)
    }

    async fn fail(
        &self,
        id: DeliveryId,
        claim: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        log: &[DeliveryAttempt],
    ) -> Result<bool> {
        let done = sqlx::query(&format!(
            "UPDATE {} SET \
                 status = CASE WHEN $4::timestamptz IS NULL THEN 'dead' ELSE 'pending' END, \
                 next_attempt_at = coalesce($4, next_attempt_at), \
                 last_error = $3, lease_until = NULL, claim = NULL, log = $5 \
             WHERE id = $1 AND status = 'in_flight' AND claim = $2",
            self.tables().outbox
        ))
        .bind(id.as_uuid())
        .bind(claim)
        .bind(storable_error(error))
        .bind(retry_at)
        .bind(storable_log(log)?)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(rows::affected(&done) == 1)
    }

    async fn purge_delivered(&self, before: DateTime<Utc>) -> Result<u64> {
        // SKIP LOCKED: instances purging at once take different rows instead of waiting
        // on each other's (a skipped row is the other purger's).
        let done = sqlx::query(&format!(
            "UPDATE {t} SET doc = {BLANKED} WHERE id IN \
             (SELECT id FROM {t} WHERE status = 'delivered' AND delivered_at < $1 \
                AND doc->'payload' <> 'null' FOR UPDATE SKIP LOCKED)",
            t = self.tables().outbox
        ))
        .bind(before)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(rows::affected(&done))
    }

    async fn forget_recipient(
        &self,
        tenant: TenantId,
        address: &Email,
        placeholder: &Email,
    ) -> Result<u64> {
        // Every SET expression reads the row as it was, so `status` in the CASEs is the
        // old one.
        let done = sqlx::query(&format!(
            "UPDATE {} SET doc = jsonb_set({BLANKED}, '{{channel,to}}', to_jsonb($3::text)), \
                 last_error = CASE WHEN status IN ('pending', 'dead') THEN $4 \
                                   ELSE last_error END, \
                 status = CASE WHEN status IN ('pending', 'dead') THEN 'dead' ELSE status END \
             WHERE tenant = $1 AND doc->'channel'->>'type' = 'email' \
               AND doc->'channel'->>'to' = $2",
            self.tables().outbox
        ))
        .bind(tenant.as_uuid())
        .bind(address.as_str())
        .bind(placeholder.as_str())
        .bind(RECIPIENT_DELETED)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(rows::affected(&done))
    }

    async fn get_delivery(&self, tenant: TenantId, id: DeliveryId) -> Result<OutboxEntry> {
        let row = sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM {} WHERE tenant = $1 AND id = $2",
            self.tables().outbox
        ))
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
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
        let before = cursor.map(decode_id_cursor).transpose()?;
        let size = page_size(limit);
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM {} WHERE tenant = $1{}{} ORDER BY id DESC LIMIT $2",
            self.tables().outbox,
            if status.is_some() {
                " AND status = $3"
            } else {
                ""
            },
            if before.is_some() { " AND id < $4" } else { "" },
        );
        let found = sqlx::query(&sql)
            .bind(tenant.as_uuid())
            .bind(look_ahead(size))
            .bind(status.map(status_name))
            .bind(before)
            .fetch_all(self.pool())
            .await
            .map_err(db)?;
        let items = found.iter().map(entry).collect::<Result<Vec<_>>>()?;
        Ok(page_of(items, size, |e| encode_id_cursor(e.id.as_uuid())))
    }

    async fn retry_delivery(
        &self,
        tenant: TenantId,
        id: DeliveryId,
        now: DateTime<Utc>,
    ) -> Result<OutboxEntry> {
        let t = self.tables();
        let row = sqlx::query(&format!(
            "UPDATE {} SET status = 'pending', attempts = 0, next_attempt_at = $3, \
                 lease_until = NULL, claim = NULL \
             WHERE tenant = $1 AND id = $2 AND status = 'dead' RETURNING {ENTRY_COLUMNS}",
            t.outbox
        ))
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .bind(now)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        match row {
            Some(row) => entry(&row),
            None => {
                // Not retried: absent, or alive.
                self.get_delivery(tenant, id).await?;
                Err(Error::Conflict(Conflict::State {
                    reason: "only a dead delivery can be retried".into(),
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in [
            DeliveryStatus::Pending,
            DeliveryStatus::InFlight,
            DeliveryStatus::Delivered,
            DeliveryStatus::Dead,
        ] {
            assert_eq!(parse_status(status_name(s)).ok(), Some(s));
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(Value::String(status_name(s).into()))
            );
        }
        assert!(parse_status("lost").is_err());
        assert_eq!(storable_error("a\0b"), "a\u{FFFD}b");
    }
}
