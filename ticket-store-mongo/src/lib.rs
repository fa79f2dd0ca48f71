//! # ticket-store-mongo
//!
//! The MongoDB store of the ticketing engine: [`MongoStore`] implements every store trait
//! of [`ticket_core::ports`] (one value is a whole [`Store`](ticket_core::ports::Store))
//! and the [`EventBus`](ticket_core::ports::EventBus), on the official [`mongodb`] driver
//! (re-exported, so a host needs no dependency of its own and always gets the version
//! this crate uses).
//!
//! ```no_run
//! use std::sync::Arc;
//! use ticket_core::HelpDesk;
//! use ticket_store_mongo::MongoStore;
//!
//! # async fn run() -> ticket_core::Result<()> {
//! // Either borrow the host's client: `MongoStore::new(client, "helpdesk")`, or let the
//! // store open one (the database is the URL's, `ticket` when it names none):
//! let store = MongoStore::connect("mongodb://db.example.com:27017/helpdesk").await?;
//! store.migrate().await?; // only when asked, never inside a constructor
//! let store = Arc::new(store);
//! let desk = HelpDesk::builder(store.clone()).event_bus(store).build()?;
//! # let _ = desk;
//! # Ok(())
//! # }
//! ```
//!
//! It runs on a standalone MongoDB server and on MongoDB-protocol servers such as
//! FerretDB (its tests run against FerretDB 1.24 with the SQLite handler, and unchanged
//! against a real MongoDB when `TICKET_TEST_MONGO_URL` names one): it needs no replica
//! set, no multi-document transaction, no change stream and no `$text` index.
//!
//! ## What lives where
//!
//! Every collection is prefixed `ticket_` so a host may share its database. Each record
//! keeps its full JSON document (the serde form of the `ticket-core` type, as a string,
//! so any custom field or payload round-trips exactly, keys with `$` or `.` included)
//! beside real fields for everything filtered, sorted, counted or unique. Ids are the
//! UUIDs' hyphenated strings, which sort like the UUIDs (time order for UUIDv7).
//! Instants that are filtered or sorted are whole microseconds since the epoch (the
//! precision of the SQL stores), so that is the precision of cursors and comparisons.
//! [`MongoStore::migrate`] creates the indexes (idempotently: migrating twice, or from
//! several instances at once, is harmless) and records the schema version in
//! `ticket_schema`; a database written by a newer build is refused.
//!
//! ## A ticket change without transactions
//!
//! [`TicketStore::save`](ticket_core::ports::TicketStore::save) must store the ticket,
//! its comments, events, in-app notifications and outbox entries all or nothing, checked
//! against the expected version. MongoDB makes only single-document writes atomic without
//! a transaction, so a change is made of one document write and idempotent follow-ups:
//!
//! 1. **Checks.** The ids of the new records are checked unused (a change reusing a
//!    stored event id fails before anything is written, like the SQL stores' rollback).
//! 2. **The commit point: one document write.** The ticket document is written with the
//!    whole change embedded as its `pending` field: a create is one `insert_one` (a taken
//!    id is error 11000 → `Conflict::Unique { field: "id" }`). An update takes the
//!    *slot* of its base version first (see below; held → `Conflict::Version`), then
//!    reads the ticket by `_id`: absent or another tenant's → `NotFound`, another
//!    version → `Conflict::Version`, a pending change left by a writer that died → it
//!    is completed (step 3) first. Then it writes the ticket by `_id`: every write of a
//!    ticket's version holds the slot of its base version, so what was read under the
//!    slot still holds. Once this write returns, the change is stored; before it,
//!    nothing is.
//! 3. **Completion.** The records are inserted by their own ids, ignoring those already
//!    there (error 11000 on an `_id`: a retry or a concurrent completer got there first),
//!    then `pending` is removed under the slot of its version (the base of the ticket's
//!    next change, so nothing commits in between), after reading by `_id` that it still
//!    holds that version; when another writer holds that slot, the marker is left to it
//!    or to the next reader. Completing twice, or from two processes at once, writes
//!    each record once.
//!
//! Every command of a create and of an update reads or writes documents by an exact
//! `_id` (`tests/write_path.rs` watches the driver's commands): the one lookup every
//! MongoDB-protocol server serves from an index, FerretDB 1.x's SQLite backend
//! included. Rule, SLA policy, calendar and FAQ lists (read with each change, found by
//! tenant) are cached per tenant for 2 seconds and forgotten on this store's own writes
//! of them (another instance's writes show within those 2 seconds).
//!
//! A writer that dies between 2 and 3 leaves a `pending` change that the next reader
//! completes: reading a ticket, its comments or its history, the next change to the
//! ticket, and the readers of notifications and of the outbox (`claim` first completes
//! any pending change in the database, through an index of the pending tickets), so a
//! notification is never lost for a stored change and never sent for one that was not.
//! The tests kill a change between the two steps and check every reader sees it whole.
//! Pending records are bounded: a ticket holds at most one change.
//!
//! Deleting a ticket is the same protocol in reverse: the `Deleted` event and the
//! outbox entries are embedded in a tombstone marker first, then the comments and the
//! ticket removed and the records inserted.
//!
//! ## Exclusive writes: slots
//!
//! FerretDB 1.x evaluates an update's filter in its own process and then writes the
//! document by `_id`, so two concurrent `find_one_and_update`s filtered on the same
//! version can both succeed there (MongoDB makes them atomic). The one compare-and-set
//! every MongoDB-protocol server makes atomic is an insert into a unique index, so each
//! exclusive step first takes a slot: it inserts `{_id: "<record>@<base version>"}` into
//! `ticket_slots`, and only the writer whose insert succeeds goes on to write (the others
//! get a conflict). Slots guard ticket changes and deletions, user and team
//! replacements, the next state of an outbox entry, a token's single use, a
//! rotation's next pick, a routed save's agent capacity, the SLA sweep's claims, shift
//! and schedule replacements and webhook endpoint changes; they are released once the
//! write landed, and a slot left by a writer that died is taken over after 30 seconds.
//! Ticket changes and their completions read and write under the slot by `_id` alone;
//! the other writes stay version-filtered as well on MongoDB, so both safeguards agree.
//!
//! ## Behaviour
//!
//! - Users, teams and other aggregates are replaced by a version-checked
//!   `find_one_and_update` under a slot; uniqueness lives in unique indexes (tenant +
//!   e-mail, tenant + username, tenant + lower-case team name, token hash), and error
//!   11000 becomes `Conflict::Unique` naming the field (found by a read of the taken
//!   value, never by parsing the server's message). A replacement checks the new
//!   e-mail, username or team name first too, because FerretDB 1.x reports an update
//!   breaking a unique index as an internal error rather than 11000.
//! - Full-text search without `$text`: each ticket keeps the words of its title and
//!   description as cut by [`search_words`](ticket_core::query::search_words) in an
//!   indexed array, and a search asks for `$all` of the query's words: whole words,
//!   case-insensitive, every word required, exactly the other stores' semantics.
//! - Lists are keyset-paginated index walks; statistics are aggregation pipelines
//!   (`$match` + `$group`) run concurrently, never a load of every ticket.
//! - Outbox claims, completions and failures are compare-and-set writes on a revision
//!   counter of each entry, under the slot of that revision: two workers never get the
//!   same entry, and an entry whose lease lapsed is claimed again. A one-time token's
//!   single use is its slot (kept until the token is purged): of two concurrent
//!   presentations one gets `Consumed`, the other `AlreadyUsed`.
//! - Aggregations use `$match`, `$group` and `$sum` only, one accumulator per `$group`
//!   (what FerretDB 1.x computes right); the first and last creation instants are index
//!   walks of one document.
//! - Routed saves ([`CapacityCheck`](ticket_core::ports::CapacityCheck)): the count of
//!   the agent's working tickets (a `working` field, 1 for status category New or
//!   Open) and the commit happen under the agent's slot, so two instances never both
//!   give an agent their last place; a save that cannot get the slot within 5 seconds
//!   is refused as `Conflict::Capacity`.
//! - The SLA sweep's claims: a due ticket is claimed by moving its `due` instant to the
//!   lease's end under the slot of the instant it read; a tenant's re-evaluation
//!   request is one document with a revision counter, claimed, advanced and removed
//!   under the slot of its revision (`sweep.rs`).
//! - Shifts: one schedule document per agent (`_id` tenant/user: a second one is a
//!   duplicate key), and at most one open shift per agent by a unique `open_key`
//!   (`<tenant>/<user>` while open, `closed/<id>` after), which needs no partial index.
//!   Webhook endpoints: one document per tenant + URL (unique index), each change a
//!   read, the domain's rule, and a write under the slot of the revision read.
//! - Volume forecasts: the ticket document carries its creation hour and, once assigned
//!   and then answered, the microseconds between; `hourly_created` groups on the hour,
//!   `handle_time` sums the handle times (`$sum` only), never loading tickets.
//!   [`MongoStore::migrate`] fills these derived fields in for documents stored by an
//!   older build (schema version 2).
//! - Bulk import: [`MongoStore::import_tickets`] stores ready tickets (a migration from
//!   another help desk, a benchmark's seed) by `insert_many` of [`IMPORT_BATCH`]
//!   documents, each exactly what a completed create stores, so no read can tell
//!   them apart; tickets already stored are skipped, so an interrupted import is
//!   finished by running it again. Only tickets: their history starts empty.
//! - [`MongoStore::explain_list`] returns the server's plan of a list or search, to see
//!   which index serves it on a given deployment.
//! - The event bus: `publish` inserts the events into `ticket_bus` under a fresh UUIDv7
//!   (publish order); each store polls it from the position it subscribed at, every
//!   [`BUS_POLL`], so events cross instances within a bounded delay without change
//!   streams. Old bus entries are removed after [`BUS_RETENTION`] (a TTL index where the
//!   server has them, and the publishers' own bounded cleanup everywhere).
//!
//! ## Figures at 100,000 tickets, and what FerretDB can push down
//!
//! `TICKET_BENCH_MONGO_URL=mongodb://… cargo bench -p ticket-examples --bench stores`
//! seeds this store and the SQLite store to the same 100,000 tickets (this one by
//! [`MongoStore::import_tickets`]) and measures both; `bench/mongo/ferretdb-pg.sh`
//! starts a FerretDB on PostgreSQL for it. The README's benchmark section holds the
//! latest table (2026-12-05, 2 shared cores under other builds, FerretDB 1.24.2 on
//! PostgreSQL 15): a create through `HelpDesk` took 1.6 s (SQLite: 0.65 ms), a filter on
//! status + priority + tag 0.77 s, a search 1.4–2.4 s, and a page that no selective
//! equality narrows (newest first, by priority, a deep page) 70–83 s.
//!
//! FerretDB 1.24 runs most of a query in its own process; what reaches its backend:
//!
//! - SQLite backend: only a filter that is exactly `{_id: <string>}` (a find drops its
//!   dotted keys first). So every command of a create and an update goes by `_id` (see
//!   "A ticket change without transactions"; `tests/write_path.rs` proves it from the
//!   driver's command events): one create at 100,000 tickets went from 73 s to 12.9 s.
//!   Not to milliseconds, because 1.24.2 queries `_ferretdb_sjson->'$._id'` while its
//!   unique index is on `_ferretdb_sjson->"_id"`, so SQLite scans (in C) for each `_id`.
//!   Concurrent writers there may get `InternalError … SQLITE_BUSY` from the server.
//! - PostgreSQL backend: top-level equalities (`$eq` or a plain value, strings,
//!   numbers, booleans; `$ne`), as `_jsonb->'field' @> value`. Lists and searches are
//!   shaped for it (`list.rs`): single values as `$eq`, an `$eq` of one tag and of the
//!   longest search word beside their `$all`, a cursor's `$or` beside the filter's
//!   fields; `explain_list` answers `filterPushdown true`. But the indexes
//!   `createIndexes` makes there are B-trees on `(_jsonb->'field')`, which `@>` cannot
//!   use, so every pushed-down query, `{_id}` included, scans the table in PostgreSQL.
//! - Neither pushes down a sort, a range, `$in`, `$all` or `$or`, so a page without a
//!   selective equality and a statistic decode the whole tenant in FerretDB.
//!
//! On MongoDB the same queries walk the indexes [`MongoStore::migrate`] creates.
//! FerretDB 1.x is the server the behaviour is tested on, not one to run a large desk
//! on.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bus;
mod capacity;
mod change;
mod config;
mod config_cache;
mod connect;
mod docs;
mod endpoints;
mod errors;
mod import;
mod list;
mod migrate;
mod notify;
mod outbox;
mod shifts;
mod slots;
mod stats;
mod sweep;
mod teams;
mod ticket_doc;
mod tickets;
mod tokens;
mod users;
mod volume;

pub use bus::{BUS_POLL, BUS_RETENTION};
pub use connect::{MongoStore, DEFAULT_DATABASE};
pub use import::IMPORT_BATCH;
pub use migrate::SCHEMA_VERSION;
/// The driver, re-exported so hosts build clients with the version this crate uses.
pub use mongodb;

#[doc(hidden)]
pub mod testing {
    //! Test support: leaves a change half done, as a writer dying between the commit
    //! point and the completion would.
    pub use crate::change::save_without_completing;
}
