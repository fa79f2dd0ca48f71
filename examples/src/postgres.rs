//! PostgreSQL wiring: `ticket-store-postgres` over a pool of the URL, in the configured
//! schema (default `ticket`), migrated at start (safe from several instances at once),
//! with its `LISTEN/NOTIFY` event bus so realtime feeds cross instances.

use crate::store::{DatabaseOptions, OpenStore, StoreError};
use ticket_store_postgres::sqlx::postgres::PgPoolOptions;
use ticket_store_postgres::{PostgresStore, LISTENING_CONNECTIONS};

/// Whether this build can open PostgreSQL stores.
pub const AVAILABLE: bool = true;

/// Opens and migrates a PostgreSQL store in `options.schema` (default: `ticket`) over a
/// pool of at most `options.max_connections`, and never fewer than the store's listening
/// connections plus one ([`ticket_store_postgres::LISTENING_CONNECTIONS`]); the store
/// keeps up to three more connections beyond the pool (two for new tickets' inserts, one
/// for publishing events). Connections are not pinged before each use (that would
/// double every request's round trips); a connection the server dropped fails one query
/// with a store error and leaves the pool.
///
/// # Errors
/// [`StoreError::Open`] when the database cannot be reached, the schema name is refused
/// or the migrations fail.
pub async fn open(url: &str, options: DatabaseOptions<'_>) -> Result<OpenStore, StoreError> {
    let fail = |source| StoreError::Open {
        kind: "postgres",
        source,
    };
    let pool = PgPoolOptions::new()
        .max_connections(options.max_connections.max(LISTENING_CONNECTIONS + 1))
        .test_before_acquire(false)
        .connect(url)
        .await
        .map_err(|e| fail(ticket_core::Error::store(e)))?;
    let store = match options.schema {
        None => PostgresStore::new(pool),
        Some(schema) => PostgresStore::with_schema(pool, schema).map_err(fail)?,
    };
    store.migrate().await.map_err(fail)?;
    Ok(OpenStore::from_postgres(store))
}
