//! PostgreSQL wiring: `ticket-store-postgres` over a pool of the URL, in the configured
//! schema (default `ticket`), migrated at start (safe from several instances at once),
//! with its `LISTEN/NOTIFY` event bus so realtime feeds cross instances.

use crate::store::{OpenStore, StoreError};
use ticket_store_postgres::sqlx::postgres::PgPoolOptions;
use ticket_store_postgres::PostgresStore;

/// Whether this build can open PostgreSQL stores.
pub const AVAILABLE: bool = true;

/// Opens and migrates a PostgreSQL store in `schema` (default: `ticket`).
///
/// # Errors
/// [`StoreError::Open`] when the database cannot be reached, the schema name is refused
/// or the migrations fail.
pub async fn open(url: &str, schema: Option<&str>) -> Result<OpenStore, StoreError> {
    let fail = |source| StoreError::Open {
        kind: "postgres",
        source,
    };
    let store = match schema {
        None => PostgresStore::connect(url).await.map_err(fail)?,
        Some(schema) => {
            let pool = PgPoolOptions::new()
                .connect(url)
                .await
                .map_err(|e| fail(ticket_core::Error::store(e)))?;
            PostgresStore::with_schema(pool, schema).map_err(fail)?
        }
    };
    store.migrate().await.map_err(fail)?;
    Ok(OpenStore::from_postgres(store))
}
