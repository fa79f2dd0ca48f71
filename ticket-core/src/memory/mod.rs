//! `MemoryStore`: a complete in-memory implementation of every store trait.
//!
//! It is the reference semantics of the ports (every other adapter is held to the same
//! behaviour by the conformance kit in `ticket_core::testkit`) and the default store of
//! tests and examples. All state sits behind one mutex, never held across an `.await`, so
//! every method is atomic: a write checks everything first and then writes all of it or
//! nothing, exactly like a database transaction.
//!
//! ```
//! use std::sync::Arc;
//! use ticket_core::memory::MemoryStore;
//! use ticket_core::ports::{EventBus, Store};
//!
//! let store = MemoryStore::new();
//! let as_store: Arc<dyn Store> = Arc::new(store.clone()); // clones share the data
//! let as_bus: Arc<dyn EventBus> = Arc::new(store);
//! # let _ = (as_store, as_bus);
//! ```

mod bus;
mod config;
mod endpoints;
mod notify;
mod shifts;
mod stats;
mod sweep;
mod tickets;
mod tokens;
mod users;
mod volume;

use crate::account::{OneTimeToken, User};
use crate::error::{Error, Result};
use crate::event::TicketEvent;
use crate::id::{
    CalendarId, CommentId, DeliveryId, EventId, FaqId, NotificationId, RuleId, SlaPolicyId, TeamId,
    TenantId, TicketId, TokenId, UserId,
};
use crate::notify::{Notification, OutboxEntry};
use crate::query::{Page, DEFAULT_LIMIT, MAX_LIMIT};
use crate::rules::Rule;
use crate::sla::{BusinessCalendar, SlaPolicy};
use crate::team::{Faq, Team};
use crate::ticket::{Comment, Ticket};
use base64::Engine as _;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::broadcast;
use uuid::Uuid;

/// How many events the in-process bus buffers per subscriber before a slow one lags
/// (and skips what it missed).
const BUS_CAPACITY: usize = 1024;

/// An in-memory store implementing every store trait and the
/// [`EventBus`](crate::ports::EventBus).
///
/// Cheap to clone: clones share the same data (an `Arc` inside).
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    events: broadcast::Sender<TicketEvent>,
}

/// Everything the store holds, keyed by id (ids are UUIDv7, unique across tenants);
/// every read checks the tenant of what it finds.
#[derive(Default)]
struct State {
    tickets: BTreeMap<TicketId, Ticket>,
    comments: BTreeMap<CommentId, Comment>,
    events: BTreeMap<EventId, TicketEvent>,
    users: BTreeMap<UserId, User>,
    teams: BTreeMap<TeamId, Team>,
    sla_policies: BTreeMap<SlaPolicyId, SlaPolicy>,
    calendars: BTreeMap<CalendarId, BusinessCalendar>,
    rules: BTreeMap<RuleId, Rule>,
    faqs: BTreeMap<FaqId, Faq>,
    tokens: BTreeMap<TokenId, OneTimeToken>,
    notifications: BTreeMap<NotificationId, Notification>,
    outbox: BTreeMap<DeliveryId, OutboxEntry>,
    endpoints: BTreeMap<crate::id::EndpointId, crate::notify::WebhookEndpoint>,
    /// Round-robin rotations: when each agent was last picked, per tenant and team.
    rotations: BTreeMap<(TenantId, Option<TeamId>, UserId), chrono::DateTime<chrono::Utc>>,
    /// Tickets marked for an SLA re-evaluation (`mark_sla_stale`), and from when.
    sla_stale: BTreeMap<TicketId, chrono::DateTime<chrono::Utc>>,
    /// Shift schedules, one per agent.
    schedules: BTreeMap<(TenantId, UserId), crate::workforce::ShiftSchedule>,
    /// Shift records.
    shifts: BTreeMap<crate::id::ShiftId, crate::workforce::ShiftRecord>,
    /// Tickets a sweeper claimed (`claim_sla_due`), and until when: not due before then
    /// unless a save or a mark writes their due time first.
    sla_claims: BTreeMap<TicketId, chrono::DateTime<chrono::Utc>>,
    /// Pending SLA re-evaluations, one per tenant.
    sla_reevaluations: BTreeMap<TenantId, sweep::Pending>,
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        let (events, _) = broadcast::channel(BUS_CAPACITY);
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State::default()),
                events,
            }),
        }
    }

    /// The state, locked. A panic while the lock was held cannot leave the state half
    /// written (every write is checked before it starts), so a poisoned lock is taken over.
    fn state(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state();
        f.debug_struct("MemoryStore")
            .field("tickets", &s.tickets.len())
            .field("users", &s.users.len())
            .field("teams", &s.teams.len())
            .field("outbox", &s.outbox.len())
            .finish_non_exhaustive()
    }
}

/// A record that belongs to one tenant.
trait Tenanted {
    fn tenant(&self) -> TenantId;
}

macro_rules! tenanted {
    ($($t:ty),* $(,)?) => {
        $(impl Tenanted for $t {
            fn tenant(&self) -> TenantId {
                self.tenant
            }
        })*
    };
}

tenanted!(
    Ticket,
    Comment,
    TicketEvent,
    User,
    Team,
    SlaPolicy,
    BusinessCalendar,
    Rule,
    Faq,
    OneTimeToken,
    Notification,
    OutboxEntry
);

/// The record `id` if it belongs to `tenant`.
fn get_in<'a, K: Ord, V: Tenanted>(
    map: &'a BTreeMap<K, V>,
    tenant: TenantId,
    id: &K,
) -> Option<&'a V> {
    map.get(id).filter(|v| v.tenant() == tenant)
}

/// The record `id` if it belongs to `tenant`, mutably.
fn get_in_mut<'a, K: Ord, V: Tenanted>(
    map: &'a mut BTreeMap<K, V>,
    tenant: TenantId,
    id: &K,
) -> Option<&'a mut V> {
    map.get_mut(id).filter(|v| v.tenant() == tenant)
}

/// Removes the record `id` if it belongs to `tenant`.
fn remove_in<K: Ord, V: Tenanted>(
    map: &mut BTreeMap<K, V>,
    tenant: TenantId,
    id: &K,
    entity: &'static str,
) -> Result<V> {
    if get_in(map, tenant, id).is_none() {
        return Err(Error::not_found(entity));
    }
    map.remove(id).ok_or_else(|| Error::not_found(entity))
}

/// Creates or replaces the record `id` of its tenant. An id held by another tenant is a
/// uniqueness conflict (never an overwrite across tenants).
fn upsert<K: Ord, V: Tenanted>(map: &mut BTreeMap<K, V>, id: K, value: V) -> Result<()> {
    if map
        .get(&id)
        .is_some_and(|old| old.tenant() != value.tenant())
    {
        return Err(Error::unique("id"));
    }
    map.insert(id, value);
    Ok(())
}

/// Checks that `ids` are all new to `map` and distinct from each other.
fn check_new_ids<K: Ord + Hash + Copy, V>(
    map: &BTreeMap<K, V>,
    ids: impl IntoIterator<Item = K>,
) -> Result<()> {
    let mut seen = HashSet::new();
    for id in ids {
        if map.contains_key(&id) || !seen.insert(id) {
            return Err(Error::unique("id"));
        }
    }
    Ok(())
}

/// The page size for a requested limit: 0 means the default, and no page exceeds the
/// maximum.
fn page_size(limit: u32) -> usize {
    let limit = if limit == 0 {
        DEFAULT_LIMIT
    } else {
        limit.min(MAX_LIMIT)
    };
    usize::try_from(limit).unwrap_or(usize::MAX)
}

/// Cuts a page of at most `size` items from `items` (already ordered and past the cursor),
/// with a next cursor made by `cursor` from the last item exactly when more follow.
fn page_of<T>(
    items: impl Iterator<Item = T>,
    size: usize,
    cursor: impl Fn(&T) -> String,
) -> Page<T> {
    let mut items: Vec<T> = items.take(size.saturating_add(1)).collect();
    let next_cursor = if items.len() > size {
        items.truncate(size);
        items.last().map(cursor)
    } else {
        None
    };
    Page { items, next_cursor }
}

/// The opaque cursor after an id (users, notifications, deliveries).
fn encode_id_cursor(id: Uuid) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// Reads back [`encode_id_cursor`].
fn decode_id_cursor(cursor: &str) -> Result<Uuid> {
    let bad = || Error::invalid("cursor", "is not a cursor of this list");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    Uuid::from_slice(&bytes).map_err(|_| bad())
}

/// What `MemoryStore` checks beyond the contract the conformance kit holds every store
/// to (the kit itself runs in `tests/memory_conformance.rs`).
#[cfg(all(test, feature = "testkit"))]
mod tests {
    use super::MemoryStore;
    use crate::error::{Conflict, Error};
    use crate::id::UserId;
    use crate::ports::{FaqStore, TicketStore};
    use crate::team::Faq;
    use crate::testkit::fixtures;
    use crate::ticket::Visibility;

    #[tokio::test]
    async fn clones_share_the_data() {
        let store = MemoryStore::new();
        let t = fixtures::ticket(fixtures::tenant(), UserId::new());
        store
            .clone()
            .save(&fixtures::create(t.clone()))
            .await
            .unwrap();
        assert_eq!(store.get_ticket(t.tenant, t.id).await.unwrap(), t);
    }

    #[tokio::test]
    async fn a_change_never_writes_into_another_tenant() {
        let store = MemoryStore::new();
        let t = fixtures::ticket(fixtures::tenant(), UserId::new());
        let stranger = fixtures::ticket(fixtures::tenant(), UserId::new());
        let mut change = fixtures::create(t.clone());
        change.comments.push(fixtures::comment(
            &stranger,
            Visibility::Public,
            "hi",
            t.created_at,
        ));
        assert!(matches!(store.save(&change).await, Err(Error::Invalid(_))));
        assert!(matches!(
            store.get_ticket(t.tenant, t.id).await,
            Err(Error::NotFound { .. })
        ));
    }

    #[tokio::test]
    async fn a_version_that_is_not_the_next_is_invalid() {
        let store = MemoryStore::new();
        let t = fixtures::ticket(fixtures::tenant(), UserId::new());
        store.save(&fixtures::create(t.clone())).await.unwrap();
        let mut change = fixtures::update(&t);
        change.ticket.version = 5;
        assert!(matches!(store.save(&change).await, Err(Error::Invalid(_))));
        assert_eq!(store.get_ticket(t.tenant, t.id).await.unwrap().version, 1);
    }

    #[tokio::test]
    async fn an_upsert_never_takes_over_another_tenants_record() {
        let store = MemoryStore::new();
        let faq = fixtures::faq(fixtures::tenant(), "Why?");
        store.save_faq(&faq).await.unwrap();
        let other = Faq {
            tenant: fixtures::tenant(),
            ..faq.clone()
        };
        let refused = store.save_faq(&other).await;
        assert!(matches!(
            refused,
            Err(Error::Conflict(Conflict::Unique { .. }))
        ));
        assert_eq!(store.get_faq(faq.tenant, faq.id).await.unwrap(), faq);
    }
}
