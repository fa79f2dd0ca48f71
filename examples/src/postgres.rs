//! PostgreSQL wiring. `ticket-store-postgres` (`PostgresStore::connect(url)`,
//! `.migrate()`, an `EventBus` over `LISTEN/NOTIFY`) is being finished on its own
//! branch; until it lands in this tree the server refuses `postgres://` URLs with a
//! clear error, and [`AVAILABLE`] is `false`.

use crate::store::{redact, OpenStore, StoreError};

/// Whether this build can open PostgreSQL stores.
pub const AVAILABLE: bool = false;

/// Opens and migrates a PostgreSQL store.
///
/// # Errors
/// [`StoreError::Unsupported`] until `ticket-store-postgres` is part of this build.
pub async fn open(url: &str) -> Result<OpenStore, StoreError> {
    Err(StoreError::Unsupported(format!(
        "{} (PostgreSQL support arrives with ticket-store-postgres)",
        redact(url)
    )))
}

/// A URL for a fresh, empty database or schema next to `url`, for tests.
///
/// # Errors
/// [`StoreError::Unsupported`] until `ticket-store-postgres` is part of this build.
pub async fn fresh_database_url(url: &str) -> Result<String, StoreError> {
    open(url).await.map(|_| url.to_string())
}
