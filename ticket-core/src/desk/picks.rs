//! Picking an agent by strategy without overfilling anyone. Picks of one desk take turns;
//! each sees, besides the stored loads, the agents that earlier picks chose for changes
//! not stored yet (reservations, released once the change is stored or dropped), so a
//! burst of simultaneous creates spreads over the agents and never takes one past their
//! capacity. The round-robin rotation is state of its own in the store (when each agent
//! was last picked, per team), not derived from the tickets agents still hold.
//!
//! Reservations live in the desk; across server instances over one store, the store
//! holds each pick to the agent's capacity in the save ([`crate::ports::CapacityCheck`]):
//! a pick that lost the agent's last slot to another instance is stored unassigned
//! (see `finalize`), and the queue processor assigns it when an agent has room.

use super::change::Draft;
use super::HelpDesk;
use crate::error::Result;
use crate::id::UserId;
use crate::routing::{choose_assignee, AssignStrategy};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Agents picked for changes not stored yet, and how many times.
type Reserved = Arc<Mutex<HashMap<UserId, u32>>>;

/// The picks of one desk.
#[derive(Debug, Default)]
pub(super) struct Picks {
    /// One pick at a time (from reading the loads to reserving the agent).
    turn: tokio::sync::Mutex<()>,
    reserved: Reserved,
}

fn lock(reserved: &Reserved) -> MutexGuard<'_, HashMap<UserId, u32>> {
    // Counts are updated in one step: a panic elsewhere cannot leave one half-written.
    reserved.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An agent picked for a change not stored yet; dropping it releases the pick.
#[derive(Debug)]
pub(crate) struct Reservation {
    reserved: Reserved,
    user: UserId,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut reserved = lock(&self.reserved);
        if let Some(n) = reserved.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                reserved.remove(&self.user);
            }
        }
    }
}

impl HelpDesk {
    /// Assigns the draft's ticket by `strategy` (when someone is eligible), counting the
    /// picks in flight, recording the pick in the team's rotation, and reserving the
    /// agent until the draft is stored or dropped.
    pub(super) async fn pick_assignee(
        &self,
        d: &mut Draft,
        strategy: AssignStrategy,
    ) -> Result<()> {
        let picks = &self.inner.picks;
        let turn = picks.turn.lock().await;
        // The reservations are read before the loads: a pick stored in between is then
        // counted twice (a safe overestimate), never missed.
        let reserved = lock(&picks.reserved).clone();
        let (tenant, team) = (d.ticket.tenant, d.ticket.team);
        let store = &self.inner.store;
        // The two reads at once: every pick of the desk waits for this turn, so its
        // length bounds the desk's creates per second while a routing rule assigns.
        let (mut loads, rotation) = futures::future::try_join(
            store.agent_loads(tenant, team),
            store.rotation(tenant, team),
        )
        .await?;
        let rotation: HashMap<UserId, _> = rotation.into_iter().collect();
        for load in &mut loads {
            let in_flight = reserved.get(&load.user_id).copied().unwrap_or(0);
            load.open_tickets = load.open_tickets.saturating_add(in_flight);
            load.last_assigned_at = rotation.get(&load.user_id).copied();
        }
        let Some(user) = choose_assignee(strategy, &d.ticket, &loads) else {
            return Ok(());
        };
        store.record_pick(tenant, team, user, d.now).await?;
        // Across instances the store holds the pick to the agent's capacity in the save.
        d.capacity =
            loads
                .iter()
                .find(|l| l.user_id == user)
                .map(|l| crate::ports::CapacityCheck {
                    agent: user,
                    capacity: l.capacity,
                });
        *lock(&picks.reserved).entry(user).or_insert(0) += 1;
        d.ticket.assignee = Some(user);
        d.reservations.push(Reservation {
            reserved: Arc::clone(&picks.reserved),
            user,
        });
        drop(turn);
        d.assign_reason = self.assignment_reason(strategy, d, &loads, user).await;
        Ok(())
    }
}
