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
//! [`TTL`](config_cache::TTL), a bound on staleness should a connection die without
//! anyone noticing. `PostgresStore::without_config_cache` turns it off.
//!
//! The entries, their time to live and the generation that keeps a read which raced a
//! write out of the cache are [`ticket_core::config_cache`]'s, shared with the SQLite
//! and MongoDB stores; this module adds what notification needs: the `enabled` and `live`
//! flags (nothing is served or cached while the listening connection is down), a
//! notice's tenant forgetting every kind of that tenant, and typed records (decoded once,
//! not at every read).

use std::sync::atomic::{AtomicBool, Ordering};
use ticket_core::config_cache;
use ticket_core::id::TenantId;
use ticket_core::rules::Rule;
use ticket_core::sla::{BusinessCalendar, SlaPolicy};
use ticket_core::team::Faq;

/// One cached record, of any cached kind (the shared cache holds one type).
#[derive(Clone)]
pub(crate) enum Record {
    Rule(Rule),
    Policy(SlaPolicy),
    Calendar(BusinessCalendar),
    Faq(Faq),
}

/// The kinds of records the cache holds.
pub(crate) trait Cached: Clone + Send + 'static {
    /// The kind's key in the shared cache.
    const KIND: &'static str;
    /// The record as the cache holds it.
    fn record(self) -> Record;
    /// The record back, when it is of this kind.
    fn of(record: Record) -> Option<Self>;
}

/// `Cached` for each record type: its `Record` variant and its key.
macro_rules! cached {
    ($($type:ty => $variant:ident, $kind:literal;)*) => {$(
        impl Cached for $type {
            const KIND: &'static str = $kind;
            fn record(self) -> Record {
                Record::$variant(self)
            }
            fn of(record: Record) -> Option<Self> {
                match record {
                    Record::$variant(r) => Some(r),
                    _ => None,
                }
            }
        }
    )*};
}

cached! {
    Rule => Rule, "rules";
    SlaPolicy => Policy, "sla_policies";
    BusinessCalendar => Calendar, "calendars";
    Faq => Faq, "faqs";
}

/// The cache of one store (shared with its listening task).
pub(crate) struct ConfigCache {
    enabled: AtomicBool,
    /// Whether the listening connection is up (so that invalidations arrive).
    live: AtomicBool,
    /// The entries, and the generation bumped by every invalidation.
    records: config_cache::ConfigCache<Record>,
}

impl ConfigCache {
    pub fn new() -> Self {
        Self {
            enabled: AtomicBool::new(true),
            live: AtomicBool::new(false),
            records: config_cache::ConfigCache::default(),
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
        // Cleared after the flag falls: a `put` that saw it up either finds the
        // generation bumped or has its entry cleared.
        self.live.store(live, Ordering::Release);
        if !live {
            self.clear();
        }
    }

    /// The current generation, taken before a read whose result may be cached.
    pub fn generation(&self) -> u64 {
        self.records.generation()
    }

    /// The fresh records of `tenant`, if cached.
    pub fn get<T: Cached>(&self, tenant: TenantId) -> Option<Vec<T>> {
        if !self.live() {
            return None;
        }
        let records = self.records.get(T::KIND, tenant)?;
        records.into_iter().map(T::of).collect()
    }

    /// Caches records read since `generation` was taken, unless an invalidation came
    /// in between (or the connection was lost).
    pub fn put<T: Cached>(&self, tenant: TenantId, generation: u64, items: Vec<T>) {
        if self.live() {
            let records = items.into_iter().map(Cached::record).collect();
            self.records.put(T::KIND, tenant, generation, records);
        }
    }

    /// Forgets what is cached for `tenant`.
    pub fn invalidate(&self, tenant: TenantId) {
        self.records.invalidate_tenant(tenant);
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
        self.records.clear();
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
