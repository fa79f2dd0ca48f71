//! Picking an agent by strategy without overfilling anyone. Picks read the agents' loads
//! and the rotation concurrently (no pick waits for another's reads); each then sees,
//! besides the stored loads, the agents that other picks of the desk chose for changes
//! not stored yet (reservations, released once the change is stored or dropped), so a
//! burst of simultaneous creates spreads over the agents. The round-robin rotation is
//! state of its own in the store (when each agent was last picked, per team), not
//! derived from the tickets agents still hold; picks in flight count as the latest.
//!
//! The capacity itself is guarded by the store, in the save
//! ([`crate::ports::CapacityCheck`]), for picks of this desk and of other server
//! instances alike: a pick that lost the agent's last slot is stored unassigned (see
//! `finalize`), and the queue processor assigns it when an agent has room.
//!
//! A tenant where no agent is online (a new desk, or only its administrators) is
//! remembered for [`HelpDeskConfig::actor_ttl`](super::HelpDeskConfig::actor_ttl): its
//! creates read no loads meanwhile. A user saved through this desk, or an agent coming
//! online ([`HelpDesk::wake_queue`]), ends that at once; an agent another instance
//! brought online is seen within the TTL (the tickets raised meanwhile wait in the
//! queue, which that instance's queue processor runs).

use super::change::Draft;
use super::HelpDesk;
use crate::account::Availability;
use crate::error::Result;
use crate::id::{TenantId, UserId};
use crate::routing::{choose_assignee, AgentLoad, AssignStrategy};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The most tenants remembered as having no agent online; past it, all are forgotten.
const MAX_IDLE_TENANTS: usize = 4_096;

/// The picks of one desk not stored yet, and those released while another pick was
/// reading the loads.
#[derive(Debug, Default)]
struct Ledger {
    /// The id of the next reservation.
    next: u64,
    /// Each reservation: the agent picked, and the instant that counts as their latest
    /// pick in the rotation (strictly after every earlier reservation's).
    held: HashMap<u64, Pick>,
    /// The instant of the latest reservation.
    latest: Option<DateTime<Utc>>,
    /// Reservations released so far (a count).
    releases: u64,
    /// The picks released while some pick was reading the loads, numbered by
    /// `releases`: oldest first, none older than the oldest read going on.
    released: VecDeque<(u64, Pick)>,
    /// The reads going on, by the number of releases when each began.
    readers: BTreeMap<u64, usize>,
}

/// An agent picked, and the instant that counts as their pick in the rotation.
type Pick = (UserId, DateTime<Utc>);

impl Ledger {
    /// Drops the released picks that every read going on began after.
    fn prune(&mut self) {
        match self.readers.keys().next().copied() {
            None => self.released.clear(),
            Some(oldest) => {
                while self.released.front().is_some_and(|(n, _)| *n <= oldest) {
                    self.released.pop_front();
                }
            }
        }
    }
}

type Shared = Arc<Mutex<Ledger>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update is one step under the lock: a panic elsewhere cannot leave one
    // half-written.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A read of the loads going on; dropping it ends it.
struct Read {
    ledger: Shared,
    /// The number of releases when it began.
    mark: u64,
}

impl Drop for Read {
    fn drop(&mut self) {
        let mut ledger = lock(&self.ledger);
        if let Some(n) = ledger.readers.get_mut(&self.mark) {
            *n -= 1;
            if *n == 0 {
                ledger.readers.remove(&self.mark);
            }
        }
        ledger.prune();
    }
}

/// The picks of one desk.
#[derive(Debug)]
pub(super) struct Picks {
    ledger: Shared,
    /// Tenants found with no agent online, and until when that is trusted.
    idle: Mutex<HashMap<TenantId, DateTime<Utc>>>,
    idle_ttl: Duration,
}

impl Picks {
    /// The picks of a desk that trusts finding no agent online for `idle_ttl`.
    pub(super) fn new(idle_ttl: Duration) -> Self {
        Self {
            ledger: Shared::default(),
            idle: Mutex::new(HashMap::new()),
            idle_ttl,
        }
    }

    /// Whether `tenant` was found with no agent online less than the TTL before `now`.
    fn known_idle(&self, tenant: TenantId, now: DateTime<Utc>) -> bool {
        lock(&self.idle)
            .get(&tenant)
            .is_some_and(|until| now < *until)
    }

    fn remember_idle(&self, tenant: TenantId, now: DateTime<Utc>) {
        if self.idle_ttl <= Duration::zero() {
            return;
        }
        let mut idle = lock(&self.idle);
        if idle.len() >= MAX_IDLE_TENANTS {
            idle.clear();
        }
        idle.insert(tenant, now + self.idle_ttl);
    }

    /// Forgets that `tenant` had no agent online (one of its users changed).
    pub(super) fn forget_idle(&self, tenant: TenantId) {
        lock(&self.idle).remove(&tenant);
    }

    /// Forgets every tenant found with no agent online (an agent came online).
    pub(super) fn forget_all_idle(&self) {
        lock(&self.idle).clear();
    }

    /// Begins a read of the loads: from here, the picks released are kept for it.
    fn begin_read(&self) -> Read {
        let mut ledger = lock(&self.ledger);
        let mark = ledger.releases;
        *ledger.readers.entry(mark).or_insert(0) += 1;
        Read {
            ledger: Arc::clone(&self.ledger),
            mark,
        }
    }

    /// Adds to `loads` the picks in flight: those held now, and those released since
    /// `read` began (stored, maybe after the read saw the agent's tickets: counted, twice
    /// at worst, a safe overestimate, never missed; a pick released before the read
    /// began was stored before it, so the read counted it). Then chooses by `strategy`
    /// and reserves the agent chosen, under the ledger's lock (no pick of the desk slips
    /// in between).
    fn choose_and_reserve(
        &self,
        strategy: AssignStrategy,
        d: &Draft,
        loads: &mut [AgentLoad],
        read: Read,
    ) -> Option<Reservation> {
        let mut ledger = lock(&self.ledger);
        add_in_flight(&ledger, read.mark, loads);
        let user = choose_assignee(strategy, &d.ticket, loads)?;
        let reservation = reserve(&self.ledger, &mut ledger, user, d.now);
        drop(ledger);
        drop(read);
        Some(reservation)
    }
}

/// Adds to `loads` the picks held in `ledger` and those released since the read that
/// began at `mark`: one more working ticket each, and the pick as the agent's latest in
/// the rotation.
fn add_in_flight(ledger: &Ledger, mark: u64, loads: &mut [AgentLoad]) {
    let released = ledger.released.iter().filter(|(n, _)| *n > mark);
    for (user, at) in ledger.held.values().chain(released.map(|(_, pick)| pick)) {
        if let Some(load) = loads.iter_mut().find(|l| l.user_id == *user) {
            load.open_tickets = load.open_tickets.saturating_add(1);
            load.last_assigned_at = load.last_assigned_at.max(Some(*at));
        }
    }
}

/// Reserves `user`, picked at `now` (or just after the latest pick of the desk).
fn reserve(shared: &Shared, ledger: &mut Ledger, user: UserId, now: DateTime<Utc>) -> Reservation {
    let at = match ledger.latest {
        Some(latest) if latest >= now => latest + Duration::microseconds(1),
        _ => now,
    };
    let id = ledger.next;
    ledger.next += 1;
    ledger.latest = Some(at);
    ledger.held.insert(id, (user, at));
    Reservation {
        ledger: Arc::clone(shared),
        id,
        user,
    }
}

/// An agent picked for a change not stored yet; dropping it releases the pick.
#[derive(Debug)]
pub(crate) struct Reservation {
    ledger: Shared,
    id: u64,
    user: UserId,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut ledger = lock(&self.ledger);
        if let Some(pick) = ledger.held.remove(&self.id) {
            ledger.releases += 1;
            if !ledger.readers.is_empty() {
                let n = ledger.releases;
                ledger.released.push_back((n, pick));
            }
        }
    }
}

impl HelpDesk {
    /// Assigns the draft's ticket by `strategy` (when someone is eligible), counting the
    /// picks in flight, recording the pick in the team's rotation, and reserving the
    /// agent until the draft is stored or dropped. Reads nothing in a tenant recently
    /// found with no agent online.
    pub(super) async fn pick_assignee(
        &self,
        d: &mut Draft,
        strategy: AssignStrategy,
    ) -> Result<()> {
        let picks = &self.inner.picks;
        let (tenant, team) = (d.ticket.tenant, d.ticket.team);
        if picks.known_idle(tenant, d.now) {
            return Ok(());
        }
        // Begun before the loads are read (see `choose_and_reserve`).
        let read = picks.begin_read();
        let store = &self.inner.store;
        let (mut loads, rotation) = futures::future::try_join(
            store.agent_loads(tenant, team),
            store.rotation(tenant, team),
        )
        .await?;
        if !loads.iter().any(|l| l.availability == Availability::Online) {
            // Only for the whole tenant: a team without agents online says nothing of
            // the others.
            if team.is_none() {
                picks.remember_idle(tenant, d.now);
            }
            return Ok(());
        }
        let rotation: HashMap<UserId, _> = rotation.into_iter().collect();
        for load in &mut loads {
            load.last_assigned_at = rotation.get(&load.user_id).copied();
        }
        let Some(reservation) = picks.choose_and_reserve(strategy, d, &mut loads, read) else {
            return Ok(());
        };
        let user = reservation.user;
        // Held from here: an error below drops the reservation with the draft.
        d.reservations.push(reservation);
        // The pick is recorded while the agent's name is read for the history.
        let (recorded, reason) = futures::future::join(
            store.record_pick(tenant, team, user, d.now),
            self.assignment_reason(strategy, d, &loads, user),
        )
        .await;
        recorded?;
        d.assign_reason = reason;
        // Across instances the store holds the pick to the agent's capacity in the save.
        d.capacity =
            loads
                .iter()
                .find(|l| l.user_id == user)
                .map(|l| crate::ports::CapacityCheck {
                    agent: user,
                    capacity: l.capacity,
                });
        d.ticket.assignee = Some(user);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn load(user: UserId) -> AgentLoad {
        AgentLoad {
            user_id: user,
            availability: Availability::Online,
            capacity: 10,
            open_tickets: 0,
            skills: crate::text::Tags::empty(),
            teams: Vec::new(),
            last_assigned_at: None,
        }
    }

    fn in_flight(picks: &Picks, read: &Read, users: &[UserId]) -> Vec<u32> {
        let mut loads: Vec<AgentLoad> = users.iter().map(|u| load(*u)).collect();
        add_in_flight(&lock(&picks.ledger), read.mark, &mut loads);
        loads.iter().map(|l| l.open_tickets).collect()
    }

    #[test]
    fn a_pick_released_during_a_read_still_counts_for_it() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let picks = Picks::new(Duration::seconds(2));
        let (ann, bob) = (UserId::new(), UserId::new());
        let take = |user| {
            let mut ledger = lock(&picks.ledger);
            reserve(&picks.ledger, &mut ledger, user, now)
        };
        let before = take(ann);
        let read = picks.begin_read();
        // Stored (and released) while the loads were read: the read may not see them.
        drop(before);
        drop(take(bob));
        let held = take(ann);
        assert_eq!(in_flight(&picks, &read, &[ann, bob]), [2, 1]);
        // A read that began after those releases found them stored.
        let later = picks.begin_read();
        assert_eq!(in_flight(&picks, &later, &[ann, bob]), [1, 0]);
        // Picks of one instant follow each other in the rotation.
        let at = lock(&picks.ledger).held.values().next().map(|p| p.1);
        assert_eq!(at, Some(now + Duration::microseconds(2)));
        drop((read, later, held));
        let ledger = lock(&picks.ledger);
        assert!(ledger.released.is_empty() && ledger.held.is_empty() && ledger.readers.is_empty());
    }

    #[test]
    fn a_tenant_without_agents_online_is_remembered_until_a_user_changes() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let picks = Picks::new(Duration::seconds(2));
        let (a, b) = (TenantId::new(), TenantId::new());
        picks.remember_idle(a, now);
        picks.remember_idle(b, now);
        assert!(picks.known_idle(a, now + Duration::seconds(1)));
        assert!(!picks.known_idle(a, now + Duration::seconds(2)));
        picks.forget_idle(a);
        assert!(!picks.known_idle(a, now) && picks.known_idle(b, now));
        picks.forget_all_idle();
        assert!(!picks.known_idle(b, now));
        let off = Picks::new(Duration::zero());
        off.remember_idle(a, now);
        assert!(!off.known_idle(a, now));
    }
}
