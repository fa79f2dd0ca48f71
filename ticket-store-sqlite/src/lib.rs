//! `ticket-store-sqlite`: the SQLite store of the ticketing engine, the standalone
//! server's embedded default. One [`SqliteStore`] implements every store trait of
//! [`ticket_core::ports`] and the [`EventBus`](ticket_core::ports::EventBus) (in-process,
//! since SQLite lives on one host), with the semantics of the reference
//! [`MemoryStore`](ticket_core::memory::MemoryStore), proven by the conformance kit.
//!
//! ```no_run
//! use std::sync::Arc;
//! use ticket_core::HelpDesk;
//! use ticket_store_sqlite::SqliteStore;
//!
//! # async fn run() -> ticket_core::Result<()> {
//! // Creates `data/` and the file when missing; WAL, busy timeout, foreign keys on.
//! let store = SqliteStore::connect("sqlite://data/desk.db").await?;
//! store.migrate().await?; // only when asked, never inside `connect`
//! let desk = HelpDesk::builder(Arc::new(store.clone()))
//!     .event_bus(Arc::new(store))
//!     .build()?;
//! # let _ = desk;
//! # Ok(())
//! # }
//! ```
//!
//! ## How it stores
//!
//! - **Schema**: each aggregate keeps its full JSON document (serde of the `ticket-core`
//!   type) beside real columns for everything filtered, sorted, unique, aggregated or
//!   changed in place; indexes for every ticket filter and sort; an FTS5 table over title
//!   and description; tables prefixed `ticket_` so a host may share the database.
//! - **Migrations** are embedded and run only by [`SqliteStore::migrate`], recorded with
//!   their checksum in `ticket_schema_migrations` (not sqlx's `_sqlx_migrations`): an
//!   applied migration whose text changed, or a schema newer than this build, is refused.
//! - **Writes** are serialised inside the store (one async mutex per store, then a
//!   `BEGIN IMMEDIATE` transaction per write, retried while another process holds the
//!   lock), so concurrent writers queue instead of failing with `SQLITE_BUSY`; readers run
//!   concurrently under WAL. Each [`TicketStore::save`](ticket_core::ports::TicketStore::save)
//!   is atomic: ticket, tags, full-text row, comments, events, notifications and outbox
//!   entries, all or nothing. Concurrent saves are group-committed: the saves queued
//!   while one transaction runs go into the next one together, each in a savepoint of its
//!   own, so one failing change (a stale version) fails alone, and every caller hears of
//!   its save only once it is committed.
//! - **Outbox claims** select and mark the due entries inside one write transaction: no
//!   two workers, of this process or another, ever get the same entry.
//! - **Durability**: [`SqliteStore::connect`] sets `synchronous = NORMAL` in WAL mode: a
//!   committed write survives the process being killed at any point; after a power loss
//!   or an OS crash the last transactions before the crash may be rolled back (never
//!   corrupted). Hosts that need every commit on disk before it returns build their own
//!   pool with `synchronous = FULL` (see [`SqliteStore::connect_options`]).
//! - **Time**: columns that sort, filter or change in place hold microseconds since the
//!   epoch (like PostgreSQL), so that is the precision of what is ordered, compared and
//!   read back from them (outbox state, tokens, read times); documents keep instants as
//!   given.
//! - **Full text** uses FTS5's `unicode61` tokenizer (diacritics kept), whose tokens agree
//!   with [`ticket_core::query::search_words`] (exactly on ASCII, and on the letters and
//!   digits of other scripts; a word made only of combining marks matches nothing): every
//!   word of the query must occur as a whole word, case-insensitively; a query without any
//!   word does not filter. A rare text is searched from its matches, a common one along
//!   the sort's index.
//! - **Listing** is keyset pagination on covering indexes (one per filter, each in the
//!   newest-first order); statistics are `GROUP BY`s over covering indexes of the narrow
//!   ticket rows (documents live in a table of their own).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod batch;
mod bus;
mod cache;
mod config;
mod connect;
mod cursor;
mod endpoints;
mod list;
mod migrate;
mod notify;
mod outbox;
mod rows;
mod save;
mod shifts;
mod stats;
mod sweep;
mod teams;
mod tickets;
mod tokens;
mod users;
mod volume;
mod write;

pub use connect::{ConnectError, BUSY_TIMEOUT};
pub use migrate::MigrateError;
/// The driver, re-exported so hosts build pools with the version this crate uses.
pub use sqlx;

use sqlx::SqlitePool;
use std::fmt;
use std::sync::Arc;
use ticket_core::event::TicketEvent;
use tokio::sync::{broadcast, Mutex};

/// How many events the in-process bus buffers per subscriber before a slow one lags
/// (and skips what it missed).
const BUS_CAPACITY: usize = 1024;

/// The SQLite store: every store trait of `ticket-core` and its
/// [`EventBus`](ticket_core::ports::EventBus).
///
/// Cheap to clone: clones share the pool, the write queue and the event bus.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: SqlitePool,
    /// Held around every write transaction: writers of this store queue here rather than
    /// race for SQLite's single write lock.
    write: Mutex<()>,
    /// Ticket saves waiting for the writer (group commit, see `batch.rs`).
    queue: std::sync::Mutex<batch::Queue>,
    events: broadcast::Sender<TicketEvent>,
    /// Rules, SLA policies and calendars per tenant (see `cache.rs`).
    config: cache::ConfigCache,
}

impl SqliteStore {
    /// A store over the host's pool (no sizes chosen here). Runs nothing: call
    /// [`SqliteStore::migrate`] when the schema should be created or upgraded. Build the
    /// pool from [`SqliteStore::connect_options`] to get WAL, the busy timeout and foreign
    /// keys.
    #[must_use]
    pub fn new(pool: SqlitePool) -> Self {
        let (events, _) = broadcast::channel(BUS_CAPACITY);
        Self {
            inner: Arc::new(Inner {
                pool,
                write: Mutex::new(()),
                queue: std::sync::Mutex::default(),
                events,
                config: cache::ConfigCache::default(),
            }),
        }
    }

    /// The pool the store runs on.
    #[must_use]
    pub fn pool(&self) -> &SqlitePool {
        &self.inner.pool
    }

    /// Closes the pool: no connection is handed out any more, idle ones close now and
    /// the ones in use when they come back (the last to close checkpoints the WAL).
    pub async fn close(&self) {
        self.inner.pool.close().await;
    }
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("pool", &self.inner.pool)
            .finish_non_exhaustive()
    }
}
