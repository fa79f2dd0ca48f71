//! PostgreSQL wiring. `ticket-store-postgres` (`PostgresStore::connect(url)`,
//! `PostgresStore::with_schema(pool, schema)`, `.migrate()`, an `EventBus` over
//! `LISTEN/NOTIFY`) is being finished on its own branch; until it lands in this tree the
//! server refuses `postgres://` URLs with a clear error, and [`AVAILABLE`] is `false`.

use crate::store::{redact, OpenStore, StoreError};

/// Whether this build can open PostgreSQL stores.
pub const AVAILABLE: bool = false;

/// Opens and migrates a PostgreSQL store in `schema` (default: the store's own).
///
/// # Errors
/// [`StoreError::Unsupported`] until `ticket-store-postgres` is part of this build.
pub async fn open(url: &str, schema: Option<&str>) -> Result<OpenStore, StoreError> {
    let _ = schema;
    Err(StoreError::Unsupported(format!(
        "{} (PostgreSQL support arrives with ticket-store-postgres)",
        redact(url)
    )))
}
