//! The configuration cache: the documents of rules, SLA policies, business calendars and
//! FAQ entries per tenant. The desk reads rules and SLA policies with every ticket
//! change, and their lists are found by tenant, which is a scan on a server that pushes
//! down only `{_id}` (FerretDB 1.x with SQLite): cached, a change touches documents by
//! `_id` only (see `tests/write_path.rs`).
//!
//! Consistency: a write through this store forgets the tenant's entry of that kind and
//! bumps a generation, so a read that began before it is not cached and the store reads
//! its own writes at once. An entry is served for at most [`TTL`]: the bound on how late
//! another instance sharing the database sees a configuration change.

use mongodb::bson::Document;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use ticket_core::id::TenantId;

/// How long an entry is served at most.
pub(crate) const TTL: Duration = Duration::from_secs(2);

/// The documents of one collection and tenant, and when they were read.
struct Entry {
    read_at: Instant,
    docs: Vec<Document>,
}

/// The cache of one store (shared by its clones).
#[derive(Default)]
pub(crate) struct ConfigCache {
    /// Bumped by every write of a cached collection.
    generation: AtomicU64,
    entries: Mutex<HashMap<(&'static str, TenantId), Entry>>,
}

impl ConfigCache {
    fn entries(&self) -> MutexGuard<'_, HashMap<(&'static str, TenantId), Entry>> {
        // Every change is one insert or remove: a panic elsewhere leaves it consistent.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The generation to pass to [`ConfigCache::put`] for a read starting now.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The documents of `collection` for `tenant`, when cached and fresh.
    pub(crate) fn get(&self, collection: &'static str, tenant: TenantId) -> Option<Vec<Document>> {
        let entries = self.entries();
        let entry = entries.get(&(collection, tenant))?;
        (entry.read_at.elapsed() < TTL).then(|| entry.docs.clone())
    }

    /// Caches what a read that started at `generation` found, unless a write came in
    /// meanwhile.
    pub(crate) fn put(
        &self,
        collection: &'static str,
        tenant: TenantId,
        generation: u64,
        docs: Vec<Document>,
    ) {
        let mut entries = self.entries();
        if self.generation() == generation {
            let read_at = Instant::now();
            entries.insert((collection, tenant), Entry { read_at, docs });
        }
    }

    /// Forgets the tenant's documents of `collection` (a write of them began or ended).
    pub(crate) fn invalidate(&self, collection: &'static str, tenant: TenantId) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(&(collection, tenant));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;

    #[test]
    fn a_read_that_raced_a_write_is_not_cached() {
        let cache = ConfigCache::default();
        let tenant = TenantId::new();
        let before = cache.generation();
        cache.invalidate("c", tenant);
        cache.put("c", tenant, before, vec![doc! {}]);
        assert_eq!(cache.get("c", tenant), None);
        let now = cache.generation();
        cache.put("c", tenant, now, vec![doc! { "a": 1 }]);
        assert_eq!(cache.get("c", tenant), Some(vec![doc! { "a": 1 }]));
        cache.invalidate("c", tenant);
        assert_eq!(cache.get("c", tenant), None);
        assert_eq!(cache.get("other", tenant), None);
    }
}
