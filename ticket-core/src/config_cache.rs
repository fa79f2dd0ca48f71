//! A cache of configuration documents per kind and tenant, for store adapters: rules, SLA
//! policies, business calendars and FAQ entries are read on every ticket change but
//! written rarely, so a change costs its one write instead of several reads and the write.
//! The SQLite and MongoDB stores, whose databases have no change notification, use it as
//! it is; the PostgreSQL store adds its `LISTEN/NOTIFY` layer on top (other instances'
//! writes forget entries through [`ConfigCache::invalidate_tenant`], a lost listening
//! connection through [`ConfigCache::clear`]).
//!
//! Consistency: a write through the store calls [`ConfigCache::invalidate`], which
//! forgets the tenant's entry of that kind and bumps a generation, so that a read which
//! began before the write is not cached ([`ConfigCache::put`] takes the generation read
//! with [`ConfigCache::generation`] when the read began): a store reads its own writes at
//! once. An entry is served for at most [`TTL`], the bound on how late a store sees a
//! change made by another process sharing the database (when nothing notifies it).

use crate::id::TenantId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long an entry is served at most.
pub const TTL: Duration = Duration::from_secs(2);

/// The documents of one kind and tenant, and when they were read.
struct Entry<D> {
    read_at: Instant,
    docs: Vec<D>,
}

/// The cache of one store (shared by its clones), holding documents of type `D` (as the
/// store keeps them: JSON text, BSON documents…) keyed by kind (a table or collection
/// name) and tenant.
pub struct ConfigCache<D> {
    /// Bumped by every write of a cached kind.
    generation: AtomicU64,
    entries: Mutex<HashMap<(&'static str, TenantId), Entry<D>>>,
}

impl<D> Default for ConfigCache<D> {
    fn default() -> Self {
        Self {
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<D> std::fmt::Debug for ConfigCache<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigCache")
            .field("generation", &self.generation.load(Ordering::Acquire))
            .finish_non_exhaustive()
    }
}

impl<D: Clone> ConfigCache<D> {
    fn entries(&self) -> MutexGuard<'_, HashMap<(&'static str, TenantId), Entry<D>>> {
        // Every change is one insert or remove: a panic elsewhere leaves it consistent.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The generation to pass to [`ConfigCache::put`] for a read starting now.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The documents of `kind` for `tenant`, when cached and fresh.
    pub fn get(&self, kind: &'static str, tenant: TenantId) -> Option<Vec<D>> {
        let entries = self.entries();
        let entry = entries.get(&(kind, tenant))?;
        (entry.read_at.elapsed() < TTL).then(|| entry.docs.clone())
    }

    /// Caches what a read that started at `generation` found, unless a write came in
    /// meanwhile.
    pub fn put(&self, kind: &'static str, tenant: TenantId, generation: u64, docs: Vec<D>) {
        let mut entries = self.entries();
        if self.generation() == generation {
            let read_at = Instant::now();
            entries.insert((kind, tenant), Entry { read_at, docs });
        }
    }

    /// Forgets the tenant's documents of `kind` (a write of them began or ended).
    pub fn invalidate(&self, kind: &'static str, tenant: TenantId) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(&(kind, tenant));
    }

    /// Forgets the tenant's documents of every kind (a write whose kind is unknown here,
    /// e.g. one another instance notified).
    pub fn invalidate_tenant(&self, tenant: TenantId) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.retain(|(_, t), _| *t != tenant);
    }

    /// Forgets everything (writes may have been missed, e.g. while a notification
    /// channel was down).
    pub fn clear(&self) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_that_raced_a_write_is_not_cached() {
        let cache = ConfigCache::<String>::default();
        let tenant = TenantId::new();
        let before = cache.generation();
        cache.invalidate("t", tenant);
        cache.put("t", tenant, before, vec!["{}".into()]);
        assert_eq!(cache.get("t", tenant), None);
        let now = cache.generation();
        cache.put("t", tenant, now, vec!["{\"a\":1}".into()]);
        assert_eq!(cache.get("t", tenant), Some(vec!["{\"a\":1}".to_string()]));
        cache.invalidate("t", tenant);
        assert_eq!(cache.get("t", tenant), None);
        assert_eq!(cache.get("other", tenant), None);
    }

    #[test]
    fn a_tenant_or_everything_can_be_forgotten_at_once() {
        let cache = ConfigCache::<String>::default();
        let (a, b) = (TenantId::new(), TenantId::new());
        for (kind, tenant) in [("x", a), ("y", a), ("x", b)] {
            cache.put(kind, tenant, cache.generation(), vec![kind.into()]);
        }
        let before = cache.generation();
        cache.invalidate_tenant(a);
        assert_eq!(cache.get("x", a), None);
        assert_eq!(cache.get("y", a), None);
        assert_eq!(
            cache.get("x", b),
            Some(vec!["x".to_string()]),
            "other tenants stay"
        );
        cache.put("x", a, before, vec!["stale".into()]);
        assert_eq!(
            cache.get("x", a),
            None,
            "a read that raced it is not cached"
        );

        let before = cache.generation();
        cache.clear();
        assert_eq!(cache.get("x", b), None);
        cache.put("x", b, before, vec!["stale".into()]);
        assert_eq!(
            cache.get("x", b),
            None,
            "a read that raced it is not cached"
        );
    }
}
