//! How values are kept in documents: JSON documents, ids, instants, and reading fields
//! back; the page helpers every list shares.

use crate::errors::{corrupt, db};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use futures::TryStreamExt as _;
use mongodb::bson::{Bson, Document};
use mongodb::Cursor;
use serde::de::DeserializeOwned;
use serde::Serialize;
use ticket_core::error::{Error, Result};
use ticket_core::query::{Page, DEFAULT_LIMIT, MAX_LIMIT};
use uuid::Uuid;

/// The field holding a record's JSON document.
pub(crate) const DOC: &str = "doc";

/// The JSON document of a value.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(Error::store)
}

/// Parses the JSON string in field `field` of `d`.
pub(crate) fn from_field<T: DeserializeOwned>(d: &Document, field: &str) -> Result<T> {
    let text = d
        .get_str(field)
        .map_err(|_| corrupt(format!("{field} is missing")))?;
    serde_json::from_str(text).map_err(|e| corrupt(format!("{field} does not parse: {e}")))
}

/// Parses the record's JSON document.
pub(crate) fn from_doc<T: DeserializeOwned>(d: &Document) -> Result<T> {
    from_field(d, DOC)
}

/// An id as stored: the UUID's hyphenated lower-case string (sorts like the UUID).
pub(crate) fn id(u: Uuid) -> String {
    u.hyphenated().to_string()
}

/// An optional id as stored (`null` when absent).
pub(crate) fn opt_id(u: Option<Uuid>) -> Bson {
    u.map_or(Bson::Null, |u| Bson::String(id(u)))
}

/// Reads back an id field.
pub(crate) fn get_id(d: &Document, field: &str) -> Result<Uuid> {
    let s = d
        .get_str(field)
        .map_err(|_| corrupt(format!("{field} is missing")))?;
    Uuid::parse_str(s).map_err(|e| corrupt(format!("{field} is not a UUID: {e}")))
}

/// An instant as stored where it is filtered or sorted: microseconds since the epoch.
pub(crate) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// The smallest whole microsecond at or after `at`: `t >= at` ⇔ `micros(t) >=
/// micros_ceil(at)` (and likewise for `<`) for every instant kept to the microsecond.
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
    DateTime::from_timestamp_micros(us).ok_or_else(|| corrupt(format!("instant {us} out of range")))
}

/// An integer field (`Int32` or `Int64`; aggregation sums come back as either).
pub(crate) fn get_int(d: &Document, field: &str) -> Result<i64> {
    match d.get(field) {
        Some(Bson::Int32(n)) => Ok(i64::from(*n)),
        Some(Bson::Int64(n)) => Ok(*n),
        #[allow(clippy::cast_possible_truncation)]
        Some(Bson::Double(f)) if f.fract() == 0.0 => Ok(*f as i64),
        _ => Err(corrupt(format!("{field} is not an integer"))),
    }
}

/// An optional integer field (`None` when absent or `null`).
pub(crate) fn get_opt_int(d: &Document, field: &str) -> Result<Option<i64>> {
    match d.get(field) {
        None | Some(Bson::Null) => Ok(None),
        Some(_) => get_int(d, field).map(Some),
    }
}

/// A non-negative count field.
pub(crate) fn get_count(d: &Document, field: &str) -> Result<u64> {
    Ok(u64::try_from(get_int(d, field)?).unwrap_or(0))
}

/// Every document of a cursor.
pub(crate) async fn all(cursor: Cursor<Document>) -> Result<Vec<Document>> {
    cursor.try_collect().await.map_err(db)
}

/// Every document of a cursor, parsed from its JSON document.
pub(crate) async fn all_docs<T: DeserializeOwned>(cursor: Cursor<Document>) -> Result<Vec<T>> {
    all(cursor).await?.iter().map(from_doc).collect()
}

/// The page size for a requested limit: 0 means the default, and no page exceeds the
/// maximum.
pub(crate) fn page_size(limit: u32) -> u32 {
    if limit == 0 {
        DEFAULT_LIMIT
    } else {
        limit.min(MAX_LIMIT)
    }
}

/// The page of at most `size` items out of `items` (read with `size + 1`), with a next
/// cursor made by `cursor` from the last item exactly when more follow.
pub(crate) fn page_of<T>(mut items: Vec<T>, size: u32, cursor: impl Fn(&T) -> String) -> Page<T> {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let next_cursor = if items.len() > size {
        items.truncate(size);
        items.last().map(cursor)
    } else {
        None
    };
    Page { items, next_cursor }
}

/// The opaque cursor after an id (users, notifications, deliveries): the same form as
/// the other stores'.
pub(crate) fn encode_id_cursor(id: Uuid) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// Reads back [`encode_id_cursor`].
pub(crate) fn decode_id_cursor(cursor: &str) -> Result<Uuid> {
    let bad = || Error::invalid("cursor", "is not a cursor of this list");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    Uuid::from_slice(&bytes).map_err(|_| bad())
}

/// A limit as the driver takes it.
pub(crate) fn limit_of(n: u32) -> i64 {
    i64::from(n)
}
