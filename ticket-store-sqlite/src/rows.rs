//! Conversions between domain values and columns: instants, documents, versions, enum
//! names, and driver errors; and the read of one record's document by id.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::sqlite::SqliteRow;
use sqlx::Row as _;
use std::fmt;
use ticket_core::error::{Error, Result};
use ticket_core::id::TenantId;
use ticket_core::notify::DeliveryStatus;
use ticket_core::workflow::StatusCategory;
use uuid::Uuid;

impl crate::SqliteStore {
    /// The document of record `id` of the tenant in `table`; `NotFound` naming `entity`
    /// when there is none.
    pub(crate) async fn doc_by_id<T: DeserializeOwned>(
        &self,
        table: &str,
        entity: &'static str,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<T> {
        let sql = format!("SELECT doc FROM {table} WHERE id = ? AND tenant = ?");
        let row = sqlx::query(&sql)
            .bind(id)
            .bind(tenant.as_uuid())
            .fetch_optional(self.pool())
            .await
            .map_err(db)?
            .ok_or_else(|| Error::not_found(entity))?;
        from_doc(&row, "doc")
    }
}

/// A driver failure, with its source.
pub(crate) fn db(e: sqlx::Error) -> Error {
    Error::store(e)
}

/// Whether a driver error is a violated primary key or unique index.
pub(crate) fn is_unique(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

/// Data read back that the domain refuses (a document that no longer parses, an instant
/// out of range…): the database holds something this build did not write.
#[derive(Debug)]
pub(crate) struct CorruptRow(pub(crate) String);

impl fmt::Display for CorruptRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unreadable row: {}", self.0)
    }
}

impl std::error::Error for CorruptRow {}

/// An instant as the microseconds since the epoch that sort and filter columns hold.
pub(crate) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// The smallest whole microsecond at or after `at`: `t >= at` ⇔ `micros(t) >=
/// micros_ceil(at)` (and likewise for `<`) for every instant `t` kept to the microsecond.
pub(crate) fn micros_ceil(at: DateTime<Utc>) -> i64 {
    let floor = at.timestamp_micros();
    if at.timestamp_subsec_nanos() % 1_000 == 0 {
        floor
    } else {
        floor.saturating_add(1)
    }
}

/// Reads back [`micros`].
pub(crate) fn instant(us: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(us)
        .ok_or_else(|| Error::store(CorruptRow(format!("instant {us} out of range"))))
}

/// Reads back an optional [`micros`].
pub(crate) fn opt_instant(us: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    us.map(instant).transpose()
}

/// The JSON document of a record.
pub(crate) fn to_doc<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(Error::store)
}

/// Parses the JSON document in column `column` of `row`.
pub(crate) fn from_doc<T: DeserializeOwned>(row: &SqliteRow, column: &str) -> Result<T> {
    let text: &str = row.try_get(column).map_err(db)?;
    serde_json::from_str(text)
        .map_err(|e| Error::store(CorruptRow(format!("{column} does not parse: {e}"))))
}

/// A version as the column holds it.
pub(crate) fn version(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::invalid("version", "is too large"))
}

/// A count read from SQL (never negative).
pub(crate) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The column value of a status category (its wire name).
pub(crate) fn status_category(c: StatusCategory) -> &'static str {
    match c {
        StatusCategory::New => "new",
        StatusCategory::Open => "open",
        StatusCategory::Pending => "pending",
        StatusCategory::Solved => "solved",
        StatusCategory::Closed => "closed",
    }
}

/// The column value of a delivery status (its wire name).
pub(crate) fn delivery_status(s: DeliveryStatus) -> &'static str {
    match s {
        DeliveryStatus::Pending => "pending",
        DeliveryStatus::InFlight => "in_flight",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Dead => "dead",
    }
}

/// Reads back [`delivery_status`].
pub(crate) fn parse_delivery_status(s: &str) -> Result<DeliveryStatus> {
    match s {
        "pending" => Ok(DeliveryStatus::Pending),
        "in_flight" => Ok(DeliveryStatus::InFlight),
        "delivered" => Ok(DeliveryStatus::Delivered),
        "dead" => Ok(DeliveryStatus::Dead),
        other => Err(Error::store(CorruptRow(format!(
            "unknown delivery status {other:?}"
        )))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn ceil_is_exact_on_whole_microseconds() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        assert_eq!(micros_ceil(at), micros(at));
        let later = at + Duration::nanoseconds(1);
        assert_eq!(micros_ceil(later), micros(at) + 1);
        assert_eq!(micros(later), micros(at));
        assert_eq!(instant(micros(at)).unwrap(), at);
    }

    #[test]
    fn instants_before_the_epoch_floor() {
        let at = DateTime::from_timestamp(-1, 500).unwrap();
        assert_eq!(micros(at), -1_000_000);
        assert_eq!(micros_ceil(at), -999_999);
    }

    #[test]
    fn delivery_statuses_round_trip() {
        for s in [
            DeliveryStatus::Pending,
            DeliveryStatus::InFlight,
            DeliveryStatus::Delivered,
            DeliveryStatus::Dead,
        ] {
            assert_eq!(parse_delivery_status(delivery_status(s)).unwrap(), s);
            let wire = serde_json::to_value(s).unwrap();
            assert_eq!(wire.as_str(), Some(delivery_status(s)));
        }
    }

    #[test]
    fn status_categories_use_wire_names() {
        for c in StatusCategory::ALL {
            let wire = serde_json::to_value(c).unwrap();
            assert_eq!(wire.as_str(), Some(status_category(c)));
        }
    }
}
