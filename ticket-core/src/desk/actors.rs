//! Who an authenticated user id acts as, remembered for a moment: every request of a
//! server resolves its access token's user to an [`Actor`] (role, deleted or not), and
//! without this each one would cost a store round trip before any work.
//!
//! An entry lives [`HelpDeskConfig::actor_ttl`](super::HelpDeskConfig::actor_ttl) at
//! most and is forgotten at once when this desk changes the user, so on one instance a
//! role change or a deletion applies to the very next request; another instance sharing
//! the store sees it within the TTL. A TTL of zero turns the cache off.

use crate::account::Actor;
use crate::id::{TenantId, UserId};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The most users remembered; past it, expired entries go, and if none had, all do.
const MAX_ENTRIES: usize = 65_536;

/// Each user's actor and when the entry expires.
type Entries = HashMap<(TenantId, UserId), (Actor, DateTime<Utc>)>;

/// The cache (one per desk).
#[derive(Debug)]
pub(super) struct ActorCache {
    ttl: Duration,
    entries: Mutex<Entries>,
}

impl ActorCache {
    /// A cache whose entries live `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> MutexGuard<'_, Entries> {
        // A panic while holding the lock cannot leave a half-written entry behind.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The actor remembered for `user`, if its entry has not expired at `now`.
    pub fn get(&self, tenant: TenantId, user: UserId, now: DateTime<Utc>) -> Option<Actor> {
        if self.ttl <= Duration::zero() {
            return None;
        }
        let entries = self.entries();
        let (actor, expires) = entries.get(&(tenant, user))?;
        (now < *expires).then_some(*actor)
    }

    /// Remembers `actor` (a user's) from `now`.
    pub fn put(&self, actor: Actor, now: DateTime<Utc>) {
        let Some(user) = actor.user_id() else {
            return;
        };
        if self.ttl <= Duration::zero() {
            return;
        }
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (_, expires)| now < *expires);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert((actor.tenant(), user), (actor, now + self.ttl));
    }

    /// Forgets `user` (it changed).
    pub fn forget(&self, tenant: TenantId, user: UserId) {
        self.entries().remove(&(tenant, user));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::Role;
    use chrono::TimeZone as _;

    #[test]
    fn entries_expire_and_are_forgotten() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let cache = ActorCache::new(Duration::seconds(2));
        let (tenant, user) = (TenantId::new(), UserId::new());
        assert_eq!(cache.get(tenant, user, t0), None);
        let actor = Actor::user(tenant, user, Role::Agent);
        cache.put(actor, t0);
        assert_eq!(
            cache.get(tenant, user, t0 + Duration::seconds(1)),
            Some(actor)
        );
        assert_eq!(cache.get(tenant, user, t0 + Duration::seconds(2)), None);
        cache.put(actor, t0);
        cache.forget(tenant, user);
        assert_eq!(cache.get(tenant, user, t0), None);
        // Another tenant's user of the same id is someone else.
        cache.put(actor, t0);
        assert_eq!(cache.get(TenantId::new(), user, t0), None);
    }

    #[test]
    fn a_zero_ttl_remembers_nothing() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let cache = ActorCache::new(Duration::zero());
        let (tenant, user) = (TenantId::new(), UserId::new());
        cache.put(Actor::user(tenant, user, Role::Admin), now);
        assert_eq!(cache.get(tenant, user, now), None);
    }
}
