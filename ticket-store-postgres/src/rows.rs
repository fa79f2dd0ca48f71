//! Reading rows back: documents (one by id, or whether it exists), counters, id cursors
//! and pages.

use crate::connect::PostgresStore;
use crate::errors::db;
use base64::Engine as _;
use serde::de::DeserializeOwned;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::Row as _;
use ticket_core::id::TenantId;
use ticket_core::query::{Page, DEFAULT_LIMIT, MAX_LIMIT};
use ticket_core::{Error, Result};
use uuid::Uuid;

/// The document in column `col`, deserialised.
pub(crate) fn doc<T: DeserializeOwned>(row: &PgRow, col: &str) -> Result<T> {
    row.try_get::<Json<T>, _>(col).map(|j| j.0).map_err(db)
}

/// The documents of `rows` in column `doc`.
pub(crate) fn docs<T: DeserializeOwned>(rows: &[PgRow]) -> Result<Vec<T>> {
    rows.iter().map(|r| doc(r, "doc")).collect()
}

/// Column `col` of `row`.
pub(crate) fn get<'r, T>(row: &'r PgRow, col: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(col).map_err(db)
}

/// A version as stored (`bigint`).
pub(crate) fn version(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::invalid("version", "is too large"))
}

/// A count as returned (`bigint`, never negative).
pub(crate) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl PostgresStore {
    /// The document of record `id` of the tenant in `table`; `NotFound` naming `entity`
    /// when there is none.
    pub(crate) async fn doc_by_id<T: DeserializeOwned>(
        &self,
        table: &str,
        entity: &'static str,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<T> {
        let row = sqlx::query(&format!(
            "SELECT doc FROM {table} WHERE tenant = $1 AND id = $2"
        ))
        .bind(tenant.as_uuid())
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?
        .ok_or_else(|| Error::not_found(entity))?;
        doc(&row, "doc")
    }

    /// Whether record `id` of the tenant is in `table` (telling a stale version from a
    /// missing record after an update wrote nothing).
    pub(crate) async fn exists(&self, table: &str, tenant: TenantId, id: Uuid) -> Result<bool> {
        sqlx::query_scalar(&format!(
            "SELECT EXISTS (SELECT 1 FROM {table} WHERE tenant = $1 AND id = $2)"
        ))
        .bind(tenant.as_uuid())
        .bind(id)
        .fetch_one(self.pool())
        .await
        .map_err(db)
    }
}

/// Rows affected, as the ports count them.
pub(crate) fn affected(done: &sqlx::postgres::PgQueryResult) -> u64 {
    done.rows_affected()
}

/// The page size for a requested limit, as `MemoryStore` reads it: 0 means the default,
/// and no page exceeds the maximum.
pub(crate) fn page_size(limit: u32) -> usize {
    let limit = if limit == 0 {
        DEFAULT_LIMIT
    } else {
        limit.min(MAX_LIMIT)
    };
    usize::try_from(limit).unwrap_or(100)
}

/// The SQL `LIMIT` that fetches one row past a page of `size`, to know whether more
/// follow.
pub(crate) fn look_ahead(size: usize) -> i64 {
    i64::try_from(size).unwrap_or(100) + 1
}

/// Cuts a page of at most `size` items from `items` (fetched with [`look_ahead`]), with
/// a next cursor made by `cursor` from the last item exactly when more follow.
pub(crate) fn page_of<T>(mut items: Vec<T>, size: usize, cursor: impl Fn(&T) -> String) -> Page<T> {
    let next_cursor = if items.len() > size {
        items.truncate(size);
        items.last().map(cursor)
    } else {
        None
    };
    Page { items, next_cursor }
}

/// The opaque cursor after an id (users, notifications, deliveries): the same encoding
/// `MemoryStore` uses.
pub(crate) fn encode_id_cursor(id: Uuid) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// Reads back [`encode_id_cursor`].
///
/// # Errors
/// `Invalid` on `cursor`.
pub(crate) fn decode_id_cursor(cursor: &str) -> Result<Uuid> {
    let bad = || Error::invalid("cursor", "is not a cursor of this list");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    Uuid::from_slice(&bytes).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_cursors_round_trip_and_refuse_garbage() {
        let id = Uuid::now_v7();
        assert_eq!(decode_id_cursor(&encode_id_cursor(id)).ok(), Some(id));
        assert!(decode_id_cursor("%%%").is_err());
        assert!(decode_id_cursor("AAAA").is_err());
    }

    #[test]
    fn pages_look_one_ahead() {
        assert_eq!(page_size(0), 25);
        assert_eq!(page_size(1000), 100);
        let p = page_of(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(
            (p.items, p.next_cursor),
            (vec![1, 2], Some("2".to_string()))
        );
        let p = page_of(vec![1, 2], 2, |n| n.to_string());
        assert_eq!(p.next_cursor, None);
    }
}
