//! Opening the store the database URL names: `sqlite:` (or a file path) →
//! `ticket-store-sqlite`, `postgres://` / `postgresql://` → `ticket-store-postgres`,
//! `mongodb://` / `mongodb+srv://` → `ticket-store-mongo` (the URL's database, `ticket`
//! when it names none), `memory:` → the in-memory reference store. Migrations run here,
//! at start.

use std::sync::Arc;
use ticket_core::memory::MemoryStore;
use ticket_core::ports::{EventBus, Store};
use ticket_store_sqlite::SqliteStore;

/// An open store and the event bus that goes with it.
#[derive(Clone)]
pub struct OpenStore {
    /// Every store trait.
    pub store: Arc<dyn Store>,
    /// Realtime events (across instances where the store supports it).
    pub bus: Arc<dyn EventBus>,
    /// `sqlite`, `postgres`, `mongo` or `memory`.
    pub kind: &'static str,
    handle: Handle,
}

#[derive(Clone)]
enum Handle {
    Sqlite(SqliteStore),
    Postgres(ticket_store_postgres::PostgresStore),
    Mongo,
    Memory,
}

impl std::fmt::Debug for OpenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenStore")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no store this build knows.
    #[error(
        "unsupported database URL (use sqlite://…, postgres://…, mongodb://… or memory:): {0}"
    )]
    Unsupported(String),
    /// Connecting or migrating failed.
    #[error("cannot open the {kind} store")]
    Open {
        /// Which store.
        kind: &'static str,
        /// Why.
        #[source]
        source: ticket_core::Error,
    },
}

/// Which store a URL names.
#[must_use]
pub fn kind_of(url: &str) -> Option<&'static str> {
    let lower = url.trim().to_ascii_lowercase();
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        Some("postgres")
    } else if lower.starts_with("mongodb://") || lower.starts_with("mongodb+srv://") {
        Some("mongo")
    } else if lower.starts_with("memory:") {
        Some("memory")
    } else if lower.starts_with("sqlite:") || !lower.contains("://") {
        Some("sqlite")
    } else {
        None
    }
}

/// How a client-server database is opened (the embedded stores ignore it).
#[derive(Debug, Clone, Copy)]
pub struct DatabaseOptions<'a> {
    /// The PostgreSQL schema (default `ticket`).
    pub schema: Option<&'a str>,
    /// The most connections of the pool.
    pub max_connections: u32,
}

impl Default for DatabaseOptions<'_> {
    fn default() -> Self {
        Self {
            schema: None,
            max_connections: 32,
        }
    }
}

/// Opens and migrates the store `url` names.
///
/// # Errors
/// [`StoreError`] for an unknown scheme or a store that cannot be opened or migrated.
pub async fn open(url: &str, options: DatabaseOptions<'_>) -> Result<OpenStore, StoreError> {
    match kind_of(url) {
        Some("sqlite") => {
            let fail = |source| StoreError::Open {
                kind: "sqlite",
                source,
            };
            let store = SqliteStore::connect(url).await.map_err(fail)?;
            store.migrate().await.map_err(fail)?;
            Ok(OpenStore {
                store: Arc::new(store.clone()),
                bus: Arc::new(store.clone()),
                kind: "sqlite",
                handle: Handle::Sqlite(store),
            })
        }
        Some("postgres") => crate::postgres::open(url, options).await,
        Some("mongo") => {
            let fail = |source| StoreError::Open {
                kind: "mongo",
                source,
            };
            let store = ticket_store_mongo::MongoStore::connect(url)
                .await
                .map_err(fail)?;
            store.migrate().await.map_err(fail)?;
            Ok(OpenStore {
                store: Arc::new(store.clone()),
                bus: Arc::new(store),
                kind: "mongo",
                handle: Handle::Mongo,
            })
        }
        Some("memory") => {
            let store = MemoryStore::new();
            Ok(OpenStore {
                store: Arc::new(store.clone()),
                bus: Arc::new(store),
                kind: "memory",
                handle: Handle::Memory,
            })
        }
        _ => Err(StoreError::Unsupported(redact(url))),
    }
}

impl OpenStore {
    /// An opened PostgreSQL store (its event bus is `LISTEN/NOTIFY`).
    pub(crate) fn from_postgres(store: ticket_store_postgres::PostgresStore) -> Self {
        Self {
            store: Arc::new(store.clone()),
            bus: Arc::new(store.clone()),
            kind: "postgres",
            handle: Handle::Postgres(store),
        }
    }

    /// Closes connections (SQLite checkpoints its WAL when the last one closes).
    pub async fn close(&self) {
        match &self.handle {
            Handle::Sqlite(s) => s.close().await,
            Handle::Postgres(s) => s.pool().close().await,
            Handle::Mongo | Handle::Memory => {}
        }
    }
}

/// A URL without its password, for messages (see [`crate::redact::url`]).
#[must_use]
pub fn redact(url: &str) -> String {
    crate::redact::url(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_picks_the_store() {
        assert_eq!(kind_of("sqlite://ticket-data/ticket.db"), Some("sqlite"));
        assert_eq!(kind_of("data/desk.db"), Some("sqlite"));
        assert_eq!(kind_of("postgres://u:p@h/db"), Some("postgres"));
        assert_eq!(kind_of("PostgreSQL://h/db"), Some("postgres"));
        assert_eq!(kind_of("mongodb://h:27017/desk"), Some("mongo"));
        assert_eq!(kind_of("mongodb+srv://u:p@cluster/desk"), Some("mongo"));
        assert_eq!(kind_of("memory:"), Some("memory"));
        assert_eq!(kind_of("mysql://h/db"), None);
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("sqlite://a.db"), "sqlite://a.db");
    }
}
