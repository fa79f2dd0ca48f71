//! # ticket-store-postgres
//!
//! The PostgreSQL store of the ticketing engine: [`PostgresStore`] implements every store
//! trait of [`ticket_core::ports`] (one value is a whole [`Store`](ticket_core::ports::Store))
//! and the [`EventBus`](ticket_core::ports::EventBus), on a [`sqlx`] pool (re-exported, so
//! a host needs no `sqlx` dependency of its own, and always the version this crate uses).
//!
//! ```no_run
//! use std::sync::Arc;
//! use ticket_core::HelpDesk;
//! use ticket_store_postgres::PostgresStore;
//!
//! # async fn run() -> ticket_core::Result<()> {
//! // Either borrow the host's pool: `PostgresStore::new(pool)` (schema `ticket`) or
//! // `PostgresStore::with_schema(pool, "helpdesk")?`; or let the store open one:
//! let store = PostgresStore::connect("postgres://app@db.example.com/app").await?;
//! store.migrate().await?; // only when asked, never inside a constructor
//! let store = Arc::new(store);
//! let desk = HelpDesk::builder(store.clone()).event_bus(store).build()?;
//! # let _ = desk;
//! # Ok(())
//! # }
//! ```
//!
//! ## What lives where
//!
//! Everything sits in one schema (default `ticket`, see [`PostgresStore::with_schema`]),
//! and every query names its tables with that schema, so the store never depends on the
//! pool's `search_path`. [`PostgresStore::migrate`] creates the schema and applies the
//! SQL migrations embedded in this crate, recording them in
//! `<schema>.ticket_schema_migrations` (never in the host's `_sqlx_migrations`), under an
//! advisory lock so several instances may migrate at once.
//!
//! Each aggregate is stored whole as `jsonb` beside real columns for everything that is
//! filtered, sorted, counted or unique: ticket lists are keyset-paginated index walks
//! (one composite index per filter and sort, tags in a GIN-indexed `text[]`, full text in
//! a GIN-indexed `tsvector`), statistics are `GROUP BY`/`FILTER` aggregates, the SLA sweep
//! reads a partial index of the next due instant, and uniqueness is enforced by
//! constraints (a violation is [`Conflict::Unique`](ticket_core::error::Conflict)).
//!
//! ## Behaviour
//!
//! - A ticket save (ticket, comments, events, notifications, outbox entries) is one SQL
//!   statement, hence one transaction: all of it or nothing. Updates are checked against
//!   the expected version (`UPDATE … WHERE version = $expected`).
//! - New tickets saved while an insert of the store is in flight queue up and go together
//!   in one statement when it ends (group inserts, `group.rs`): under load the
//!   per-statement costs are paid once per group, while a lone create runs at once, alone.
//!   Tickets held up 2 ms start a second group beside the one in flight. A group that fails
//!   writes nothing and each of its tickets is saved again alone, so each caller gets its
//!   own outcome.
//! - Outbox claims take rows `FOR UPDATE SKIP LOCKED` and hold them by a lease: two
//!   workers never get the same entry, and the entry of a worker that died is claimed
//!   again once its lease lapses.
//! - The event bus is `LISTEN/NOTIFY` on a channel named after the schema: events
//!   published by any instance on the database reach the subscribers of every instance.
//!   One listening connection per store serves all its subscribers, open only while
//!   someone subscribes (an instance nobody subscribes to is not sent every event of
//!   the database); a slow subscriber skips events rather than hold up the others. Events too large for a notification
//!   travel by id and are read back from the history.
//! - A desk whose bus is the store itself (or a clone of it) leaves publishing a save's
//!   events to the store (`TicketChange::publish_events`). A new ticket's statement
//!   notifies its events itself, so subscribers see them exactly when it commits, never
//!   for a create rolled back, and a create is one round trip rather than a save and then
//!   a publish. Other saves publish after they commit, through the batched publisher:
//!   PostgreSQL commits notifying transactions one at a time, and concurrent updates
//!   would queue for it (new tickets run at most two inserts at once). A bus built apart
//!   from the store (even on the same schema) is published to by the desk, as for any
//!   other store.
//! - Rules, SLA policies and business calendars, which the desk reads on every ticket
//!   change, are cached per tenant. A write through any store on the schema reaches the
//!   other instances' caches by `NOTIFY` as it commits (the writer's own at once), so
//!   they read it within milliseconds; the cache is emptied and bypassed whenever its
//!   listening connection (one per store) is down, and an entry lives two seconds at most, bounding
//!   staleness should notices stop without anyone noticing (a change written around the
//!   stores, a pooler that drops `LISTEN`). [`PostgresStore::without_config_cache`]
//!   reads the database every time instead.
//! - PostgreSQL cannot store the NUL character in `text` or `jsonb`: text or JSON
//!   carrying one is refused with [`Error::Invalid`](ticket_core::Error::Invalid) before
//!   any query runs (except a delivery's `last_error`, where it is replaced by U+FFFD).
//! - Full-text search matches whole words, case-insensitively, exactly as
//!   [`TicketQuery::matches`](ticket_core::query::TicketQuery::matches): the words are cut
//!   by [`search_words`](ticket_core::query::search_words) before PostgreSQL sees them.
//! - Instants are kept to the microsecond (what `timestamptz` holds): filters, sorts and
//!   cursors compare at that precision.
//!
//! ## Performance notes
//!
//! - Every call is one statement, hence one round trip, except a text search (a planner
//!   estimate first, see below) and the rare error paths that tell `NotFound` from a
//!   conflict; cached configuration reads make none, a new ticket's events are
//!   notified in its own statement, and other concurrent publishes share
//!   one, sent on a connection the publisher keeps outside the pool (so a store holds
//!   one connection beyond `max_connections` once it has published, and a publish
//!   never queues behind the statements waiting for the pool). `sqlx` pools check each connection they hand out with a round trip of
//!   their own (`PgPoolOptions::test_before_acquire`, on by default), which doubles the
//!   round trips of every call; a host that wants throughput more than the early
//!   detection of dead connections can turn it off. `sqlx` 0.8 also checks every
//!   connection given back to the pool with a round trip, after the caller has its
//!   answer; new tickets' inserts avoid it on connections the store keeps out of the pool,
//!   one per insert lane (so up to two connections beyond `max_connections`, besides the
//!   publisher's).
//! - Full-text search reads whichever is cheaper: the sort's index checking the words on
//!   the way (common words), or the matches the GIN index finds (rare words), within a
//!   window of creation time for the created-at orders. The store decides from the
//!   planner's estimate of the matches rather than leaving it to PostgreSQL's cost
//!   settings, whose defaults (`random_page_cost = 4`) walk far too long for words of
//!   middling frequency. On SSDs `random_page_cost = 1.1` also helps the planner
//!   everywhere else.
//! - The SLA sweep's query reads a partial index of the next due instant: its cost does
//!   not grow with the open tickets that are not due.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bus;
mod cache;
mod change;
mod config;
mod connect;
mod endpoints;
mod errors;
mod group;
mod group_rows;
mod kept;
mod list;
mod listen;
mod migrate;
mod notify;
mod outbox;
mod publish;
mod rows;
mod search;
mod shifts;
mod stats;
mod sweep;
mod tables;
mod teams;
mod tickets;
mod tokens;
mod users;
mod volume;

#[doc(hidden)]
pub mod bench;

pub use connect::{PostgresStore, DEFAULT_SCHEMA};
pub use migrate::MIGRATIONS_TABLE;
pub use sqlx;

/// How many connections of its pool a store may hold for `LISTEN` at once: one for
/// configuration invalidations (from the first cached configuration read on) and one for
/// events (while anyone subscribes). A pool needs more than this many connections, or
/// the store's statements wait for one that never comes back.
pub const LISTENING_CONNECTIONS: u32 = 2;
