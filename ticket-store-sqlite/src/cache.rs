//! The configuration cache: the documents of rules, SLA policies, business calendars and
//! FAQ entries per tenant, read on every ticket change (the desk runs the rules and
//! computes the SLA of each one) or every create (the FAQ matcher) but written rarely, so
//! that a change costs its one write transaction instead of three or four reads and the
//! write.
//!
//! Consistency: a write through the store forgets the tenant's entry of that kind and
//! bumps a generation, so that a read which began before it is not cached; the store
//! reads its own writes at once. Entries expire after [`TTL`], a bound on staleness when
//! another process writes the same database file.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use ticket_core::id::TenantId;

/// How long an entry is served at most.
pub(crate) const TTL: Duration = Duration::from_secs(2);

/// The cached documents (JSON text) of one table and tenant, and when they were read.
struct Entry {
    read_at: Instant,
    docs: Vec<String>,
}

/// The cache of one store.
#[derive(Default)]
pub(crate) struct ConfigCache {
    /// Bumped by every write of a cached table.
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

    /// The documents of `table` for `tenant`, when cached and fresh.
    pub(crate) fn get(&self, table: &'static str, tenant: TenantId) -> Option<Vec<String>> {
        let entries = self.entries();
        let entry = entries.get(&(table, tenant))?;
        (entry.read_at.elapsed() < TTL).then(|| entry.docs.clone())
    }

    /// Caches what a read that started at `generation` found, unless a write came in
    /// meanwhile.
    pub(crate) fn put(
        &self,
        table: &'static str,
        tenant: TenantId,
        generation: u64,
        docs: Vec<String>,
    ) {
        let mut entries = self.entries();
        if self.generation() == generation {
            let read_at = Instant::now();
            entries.insert((table, tenant), Entry { read_at, docs });
        }
    }

    /// Forgets the tenant's documents of `table` (a write of them began or ended).
    pub(crate) fn invalidate(&self, table: &'static str, tenant: TenantId) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(&(table, tenant));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_that_raced_a_write_is_not_cached() {
        let cache = ConfigCache::default();
        let tenant = TenantId::new();
        let before = cache.generation();
        cache.invalidate("t", tenant);
        cache.put("t", tenant, before, vec!["{}".into()]);
        assert_eq!(cache.get("t", tenant), None);
        let now = cache.generation();
        cache.put("t", tenant, now, vec!["{}".into()]);
        assert_eq!(cache.get("t", tenant), Some(vec!["{}".to_string()]));
        cache.invalidate("t", tenant);
        assert_eq!(cache.get("t", tenant), None);
    }
}
