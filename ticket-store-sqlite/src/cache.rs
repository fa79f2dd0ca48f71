//! The configuration cache: the documents of rules, SLA policies, business calendars and
//! FAQ entries per tenant, read on every ticket change (the desk runs the rules and
//! computes the SLA of each one) or every create (the FAQ matcher) but written rarely, so
//! that a change costs its one write transaction instead of three or four reads and the
//! write.
//!
//! Consistency: a write through the store forgets the tenant's entry of that kind and
//! bumps a generation, so that a read which began before it is not cached; the store
//! reads its own writes at once. Entries expire after
//! [`ticket_core::config_cache::TTL`], a bound on staleness when another process writes
//! the same database file. The cache itself is [`ticket_core::config_cache`]'s, shared
//! with the MongoDB store.

/// The cache of one store: documents as JSON text.
pub(crate) type ConfigCache = ticket_core::config_cache::ConfigCache<String>;
