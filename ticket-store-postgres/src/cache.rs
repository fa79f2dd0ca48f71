//! The configuration cache: rules, SLA policies, business calendars and FAQ entries per
//! tenant, read on every ticket change (the desk runs the rules and computes the SLA of
//! each one) or every create (the FAQ matcher) but written rarely.
//!
//! Consistency: a write through any `PostgresStore` on the schema notifies the others
//! (`LISTEN/NOTIFY`, sent when the write commits) and clears the writer's own entry at
//! once, so a store reads its own writes, and the other instances' writes within the
//! time a notification takes (milliseconds). The cache is used only while the store's
//! listening connection is up: when it drops, the cache is emptied and bypassed until it
//! listens again, since notifications sent meanwhile are lost. Entries also expire after
//! [`TTL`], a bound on staleness should a connection die without anyone noticing.
//! `PostgresStore::without_config_cache` turns it off.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use ticket_core::id::TenantId;
use ticket_core::rules::Rule;
use ticket_core::sla::{BusinessCalendar, SlaPolicy};
use ticket_core::team::Faq;

/// How long an entry is served at most.
pub(crate) const TTL: Duration = Duration::from_secs(2);

/// The records of one tenant, and when they were read.
pub(crate) struct Entry<T> {
    read_at: Instant,
    items: Vec<T>,
}

/// Every tenant's records of one kind.
pub(crate) type Entries<T> = Mutex<HashMap<TenantId, Entry<T>>>;

/// The cache of one store (shared with its listening task).
pub(crate) struct ConfigCache {
    enabled: AtomicBool,
    /// Whether the listening connection is up (so that invalidations arrive).
    live: AtomicBool,
    /// Bumped by every invalidation: a read that began before one is not cached.
    generation: AtomicU64,
    rules: Entries<Rule>,
    policies: Entries<SlaPolicy>,
    calendars: Entries<BusinessCalendar>,
    faqs: Entries<Faq>,
}

/// The kinds of records the cache holds.
pub(crate) trait Cached: Clone + Send + 'static {
    fn entries(cache: &ConfigCache) -> &Entries<Self>;
}

impl Cached for Rule {
    fn entries(cache: &ConfigCache) -> &Entries<Self> {
        &cache.rules
    }
}

impl Cached for SlaPolicy {
    fn entries(cache: &ConfigCache) -> &Entries<Self> {
        &cache.policies
    }
}

impl Cached for BusinessCalendar {
    fn entries(cache: &ConfigCache) -> &Entries<Self> {
        &cache.calendars
    }
}

impl Cached for Faq {
    fn entries(cache: &ConfigCache) -> &Entries<Self> {
        &cache.faqs
    }
}

/// A lock that a panic elsewhere cannot poison for good (the maps stay consistent: every
/// change is one insert or remove).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ConfigCache {
    pub fn new() -> Self {
        Self {
            enabled: AtomicBool::new(true),
            live: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            rules: Mutex::default(),
            policies: Mutex::default(),
            calendars: Mutex::default(),
            faqs: Mutex::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    pub fn disable(&self) {
        self.enabled.store(false, Ordering::Relaxed);
        self.clear();
    }

    pub fn live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    /// The listening connection is up (`true`, once it listens) or lost (`false`: what
    /// was notified meanwhile is unknown, so everything goes).
    pub fn set_live(&self, live: bool) {
        if !live {
            self.live.store(false, Ordering::Release);
            self.clear();
        } else {
            self.live.store(true, Ordering::Release);
        }
    }

    /// The current generation, taken before a read whose result may be cached.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The fresh records of `tenant`, if cached.
    pub fn get<T: Cached>(&self, tenant: TenantId) -> Option<Vec<T>> {
        if !self.live() {
            return None;
        }
        lock(T::entries(self))
            .get(&tenant)
            .filter(|e| e.read_at.elapsed() < TTL)
            .map(|e| e.items.clone())
    }

    /// Caches records read since `generation` was taken, unless an invalidation came
    /// in between (or the connection was lost).
    pub fn put<T: Cached>(&self, tenant: TenantId, generation: u64, items: Vec<T>) {
        let mut entries = lock(T::entries(self));
        if self.live() && self.generation() == generation {
            entries.insert(
                tenant,
                Entry {
                    read_at: Instant::now(),
                    items,
                },
            );
        }
    }

    /// Forgets what is cached for `tenant`.
    pub fn invalidate(&self, tenant: TenantId) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        lock(&self.rules).remove(&tenant);
        lock(&self.policies).remove(&tenant);
        lock(&self.calendars).remove(&tenant);
        lock(&self.faqs).remove(&tenant);
    }

    /// Forgets what a notification names (a tenant id), or everything when it names
    /// nothing readable.
    pub fn invalidate_payload(&self, payload: &str) {
        match payload.parse::<TenantId>() {
            Ok(tenant) => self.invalidate(tenant),
            Err(_) => self.clear(),
        }
    }

    /// Forgets everything.
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        lock(&self.rules).clear();
        lock(&self.policies).clear();
        lock(&self.calendars).clear();
        lock(&self.faqs).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_cached_only_while_live_and_unchanged() {
        let cache = ConfigCache::new();
        let t = TenantId::new();
        let g = cache.generation();
        cache.put::<Rule>(t, g, Vec::new());
        assert!(cache.get::<Rule>(t).is_none(), "not live: nothing cached");

        cache.set_live(true);
        let g = cache.generation();
        cache.invalidate(TenantId::new());
        cache.put::<Rule>(t, g, Vec::new());
        assert!(
            cache.get::<Rule>(t).is_none(),
            "an invalidation came in between"
        );

        let g = cache.generation();
        cache.put::<Rule>(t, g, Vec::new());
        assert_eq!(cache.get::<Rule>(t), Some(Vec::new()));
        assert!(cache.get::<SlaPolicy>(t).is_none(), "kinds are apart");

        cache.invalidate_payload(&t.to_string());
        assert!(cache.get::<Rule>(t).is_none());

        let g = cache.generation();
        cache.put::<Rule>(t, g, Vec::new());
        cache.set_live(false);
        cache.set_live(true);
        assert!(
            cache.get::<Rule>(t).is_none(),
            "a lost connection empties it"
        );
    }
}
