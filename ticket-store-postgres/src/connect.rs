//! [`PostgresStore`]: construction over a pool, the schema it lives in, and the checks
//! every store method shares.

use crate::cache::ConfigCache;
use crate::errors::db;
use crate::group::Inserts;
use crate::kept::Kept;
use crate::listen::Listener;
use crate::publish::Publisher;
use crate::tables::Tables;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use ticket_core::{Error, Result};

/// The schema a store uses unless told otherwise.
pub const DEFAULT_SCHEMA: &str = "ticket";

/// The PostgreSQL store: every store trait of `ticket_core::ports` and the event bus, on
/// a `sqlx` pool.
///
/// Cheap to clone: clones share the pool and the event bus listener.
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    schema: String,
    tables: Tables,
    listener: Listener,
    cache: Arc<ConfigCache>,
    publisher: Publisher,
    inserts: Inserts,
    /// Connections kept out of the pool for inserts (see `kept.rs`).
    kept: Kept,
    /// See `search::COLLECT_MAX` (an `f64`, as bits).
    text_collect_max: AtomicU64,
    /// The bus's [`EventBus::channel_id`](ticket_core::ports::EventBus::channel_id): random
    /// per store built, shared by its clones. Not the channel's name: a store on another
    /// database may have a schema (hence a channel) of the same name, and the desk must
    /// never take one for the other.
    channel_id: String,
}

impl PostgresStore {
    /// A store over the host's pool, in the schema [`DEFAULT_SCHEMA`] (`ticket`). Runs no
    /// query: call [`PostgresStore::migrate`] to create or upgrade the schema.
    #[must_use]
    pub fn new(pool: PgPool) -> Self {
        Self::build(pool, DEFAULT_SCHEMA.to_string())
    }

    /// A store over the host's pool in the schema `schema`: a plain lower-case identifier
    /// (`[a-z_][a-z0-9_]{0,62}`), so that it needs no quoting rules of its own. Several
    /// stores in several schemas of one database are independent, event bus included.
    ///
    /// # Errors
    /// [`Error::Invalid`] on `schema` for any other name.
    pub fn with_schema(pool: PgPool, schema: &str) -> Result<Self> {
        check_schema(schema)?;
        Ok(Self::build(pool, schema.to_string()))
    }

    /// Opens a pool on `url` (with `sqlx`'s default pool options) and returns a store over
    /// it in the default schema. Does not migrate.
    ///
    /// # Errors
    /// [`Error::Store`] when the database cannot be reached.
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new().connect(url).await.map_err(db)?;
        Ok(Self::new(pool))
    }

    fn build(pool: PgPool, schema: String) -> Self {
        let tables = Tables::new(&schema);
        Self {
            inner: Arc::new(Inner {
                pool,
                schema,
                tables,
                listener: Listener::default(),
                cache: Arc::new(ConfigCache::new()),
                publisher: Publisher::default(),
                inserts: Inserts::default(),
                kept: Kept::default(),
                text_collect_max: AtomicU64::new(crate::search::COLLECT_MAX.to_bits()),
                channel_id: format!("postgres:{}", uuid::Uuid::now_v7()),
            }),
        }
    }

    /// The pool the store runs on.
    #[must_use]
    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// The schema the store lives in.
    #[must_use]
    pub fn schema(&self) -> &str {
        &self.inner.schema
    }

    /// The `LISTEN/NOTIFY` channel of the event bus (derived from the schema).
    #[must_use]
    pub fn channel(&self) -> &str {
        &self.inner.tables.channel
    }

    /// See `Inner::channel_id`.
    pub(crate) fn channel_id(&self) -> &str {
        &self.inner.channel_id
    }

    pub(crate) fn tables(&self) -> &Tables {
        &self.inner.tables
    }

    pub(crate) fn listener(&self) -> &Listener {
        &self.inner.listener
    }

    pub(crate) fn cache(&self) -> &Arc<ConfigCache> {
        &self.inner.cache
    }

    /// Turns off the cache of rules, SLA policies and business calendars (see the crate
    /// docs): every read goes to the database. The cache is on by default; it is kept
    /// consistent across instances by `LISTEN/NOTIFY`, so turn it off only where
    /// notifications cannot travel (e.g. through a pooler in transaction mode) and the
    /// two-second bound on staleness matters.
    #[must_use]
    pub fn without_config_cache(self) -> Self {
        self.inner.cache.disable();
        self
    }

    pub(crate) fn publisher(&self) -> &Publisher {
        &self.inner.publisher
    }

    pub(crate) fn inserts(&self) -> &Inserts {
        &self.inner.inserts
    }

    pub(crate) fn kept(&self) -> &Kept {
        &self.inner.kept
    }

    /// Up to how many estimated matches a text search collects its matches through the
    /// full-text index rather than walking the sort's index (both give the same page).
    /// For tests and benchmarks only.
    #[doc(hidden)]
    pub fn set_text_collect_max(&self, matches: f64) {
        self.inner
            .text_collect_max
            .store(matches.to_bits(), Ordering::Relaxed);
    }

    pub(crate) fn text_collect_max(&self) -> f64 {
        f64::from_bits(self.inner.text_collect_max.load(Ordering::Relaxed))
    }
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.inner.schema)
            .field("pool_size", &self.inner.pool.size())
            .finish_non_exhaustive()
    }
}

/// Checks a schema name: `[a-z_][a-z0-9_]{0,62}`.
fn check_schema(schema: &str) -> Result<()> {
    let mut chars = schema.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok && schema.len() <= 63 {
        Ok(())
    } else {
        Err(Error::invalid(
            "schema",
            "must be 1-63 characters of a-z, 0-9 and '_', not starting with a digit",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::check_schema;

    #[test]
    fn schema_names() {
        for ok in ["ticket", "_x", "t_0123abc", &"a".repeat(63)] {
            assert!(check_schema(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Ticket",
            "1abc",
            "a-b",
            "a b",
            "a\"b",
            "é",
            &"a".repeat(64),
        ] {
            assert!(check_schema(bad).is_err(), "{bad}");
        }
    }
}
