//! The configuration cache: the documents of rules, SLA policies, business calendars and
//! FAQ entries per tenant. The desk reads rules and SLA policies with every ticket
//! change, and their lists are found by tenant, which is a scan on a server that pushes
//! down only `{_id}` (FerretDB 1.x with SQLite): cached, a change touches documents by
//! `_id` only (see `tests/write_path.rs`).
//!
//! Consistency: a write through this store forgets the tenant's entry of that kind and
//! bumps a generation, so a read that began before it is not cached and the store reads
//! its own writes at once. An entry is served for at most
//! [`ticket_core::config_cache::TTL`]: the bound on how late another instance sharing the
//! database sees a configuration change. The cache itself is
//! [`ticket_core::config_cache`]'s, shared with the SQLite store.

/// The cache of one store (shared by its clones): BSON documents.
pub(crate) type ConfigCache = ticket_core::config_cache::ConfigCache<mongodb::bson::Document>;
