//! Group inserts: new tickets saved while another insert of the store is under way go
//! to PostgreSQL together, in one statement.
//!
//! A create is one statement, but one statement per ticket pays its fixed costs (a round
//! trip, planning, an executor start, a transaction and its commit record) for every
//! ticket: in the PostgreSQL load bench, PostgreSQL spent ~460 µs of CPU per create at 16
//! clients, and ~180 µs once creates went in groups. So while an insert is in flight,
//! the new tickets saved meanwhile queue up, and when it ends they go as the next group:
//! a lone create is never held back (with nothing in flight it runs at once, alone, as
//! before), and under load the groups grow with the load. Tickets that waited [`STALL`]
//! start a second group beside the one in flight, so that under load two backends
//! insert, and one slow statement does not stop every create.
//!
//! Only new tickets without a capacity check take part: their statement cannot be
//! refused for anything but its own rows. A group is one statement, so it is atomic; when
//! it fails (an id already taken, a document holding NUL, a vanished team), nothing of it
//! is written and each of its tickets is saved again alone, so that each caller gets its
//! own outcome. A caller that stops waiting does not stop its group.

use crate::connect::PostgresStore;
use crate::group_rows::GroupRows;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use ticket_core::ports::TicketChange;
use ticket_core::{Error, Result};
use tokio::sync::oneshot;

/// How many inserts of one store may be in flight at once. A ticket saved while one
/// runs waits for the next group, the larger the better; a second one starts for
/// tickets that waited [`STALL`], so that one PostgreSQL backend running the groups one
/// after another is not the limit under load, and a slow statement (an index cleaning
/// up, a checkpoint) does not hold up every create.
pub(crate) const IN_FLIGHT: usize = 2;
/// How long a queued ticket waits for the insert in flight before it starts another.
/// Measured in the load bench (64 clients, interleaved, three rounds each): 2 ms gave
/// 6,000–6,800 tickets/s with a p99 of 19–23 ms, 20 ms gave 4,700–5,300 with 32–95 ms
/// (the second lane seldom opened); 0 ms (a second lane as soon as one ticket queues)
/// and a third lane gave no more.
const STALL: Duration = Duration::from_millis(2);
/// The most tickets one group carries.
const MAX_GROUP: usize = 128;

/// The group inserts of one store: how many are in flight, and the tickets waiting.
#[derive(Default)]
pub(crate) struct Inserts {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    in_flight: usize,
    queue: Vec<Waiting>,
}

/// A new ticket waiting for the next group: its rows (built by its caller, so that the
/// group's statement does not wait for them), its change (to be saved alone should the
/// group fail) and where to say how it went.
struct Waiting {
    rows: GroupRows,
    change: TicketChange,
    done: oneshot::Sender<Result<()>>,
}

impl Inserts {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// The next group: the oldest queued tickets, [`MAX_GROUP`] at most.
    fn next_group(&mut self) -> Vec<Waiting> {
        let take = self.queue.len().min(MAX_GROUP);
        self.queue.drain(..take).collect()
    }
}

impl PostgresStore {
    /// Saves a new ticket without a capacity check: at once when no insert is in flight,
    /// otherwise in the next group; its events are notified in the statement when the
    /// change asks for it.
    pub(crate) async fn insert_new(&self, change: &TicketChange) -> Result<()> {
        if !self.take_turn_or_queue(None) {
            let (done, outcome) = oneshot::channel();
            let waiting = Waiting {
                rows: GroupRows::of(std::slice::from_ref(change))?,
                change: change.clone(),
                done,
            };
            // The insert in flight may have ended meanwhile: then this one goes at once.
            if !self.take_turn_or_queue(Some(waiting)) {
                return self.wait_for_group(outcome).await;
            }
        }
        let _turn = Turn(self.clone());
        self.save_one(change, change.publish_events).await
    }

    /// Takes the turn when nothing is in flight (counted as in flight then); otherwise
    /// queues `waiting`, if any, for the next group.
    fn take_turn_or_queue(&self, waiting: Option<Waiting>) -> bool {
        let mut state = self.inserts().state();
        if state.in_flight == 0 {
            state.in_flight += 1;
            return true;
        }
        state.queue.extend(waiting);
        false
    }

    /// The outcome of a queued ticket's group, starting a group beside the insert in
    /// flight should it hold the ticket up for [`STALL`].
    async fn wait_for_group(&self, mut outcome: oneshot::Receiver<Result<()>>) -> Result<()> {
        let outcome = match tokio::time::timeout(STALL, &mut outcome).await {
            Ok(outcome) => outcome,
            Err(_) => {
                self.start_stalled();
                outcome.await
            }
        };
        outcome.unwrap_or_else(|_| Err(Error::store("the group insert stopped")))
    }

    /// Starts the queued tickets as a group beside the insert in flight, which has held
    /// them up for [`STALL`] (unless [`IN_FLIGHT`] are running already, or another
    /// waiter or the end of the insert took them meanwhile).
    fn start_stalled(&self) {
        let mut state = self.inserts().state();
        if state.in_flight >= IN_FLIGHT || state.queue.is_empty() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        state.in_flight += 1;
        let group = state.next_group();
        drop(state);
        runtime.spawn(run_group(Turn(self.clone()), group));
    }
}

/// An insert in flight. When it ends, or its caller stops waiting, the tickets queued
/// meanwhile leave as the next group (on a task of their own); with none queued, one
/// insert fewer is in flight.
struct Turn(PostgresStore);

impl Drop for Turn {
    fn drop(&mut self) {
        let mut state = self.0.inserts().state();
        if state.queue.is_empty() {
            state.in_flight -= 1;
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let group = state.next_group();
                drop(state);
                runtime.spawn(run_group(Turn(self.0.clone()), group));
            }
            // The runtime is shutting down: nothing can be sent any more.
            Err(_) => {
                state.in_flight -= 1;
                for w in state.queue.drain(..) {
                    let _ = w.done.send(Err(Error::store("the runtime stopped")));
                }
            }
        }
    }
}

/// Inserts one group and tells each of its callers how it went. The group's turn is
/// taken by value, so that a task dropped before it runs (a runtime shutting down) still
/// ends the turn and hands the queue on.
async fn run_group(turn: Turn, group: Vec<Waiting>) {
    let store = &turn.0;
    let tickets = group.len();
    let mut rows: Option<GroupRows> = None;
    let mut callers = Vec::with_capacity(tickets);
    for w in group {
        match rows.as_mut() {
            None => rows = Some(w.rows),
            Some(all) => all.append(w.rows),
        }
        callers.push((w.change, w.done));
    }
    if let Some(rows) = rows.filter(|_| tickets > 1) {
        if rows.insert(store).await.is_ok_and(|n| n == tickets as u64) {
            for (_, done) in callers {
                let _ = done.send(Ok(()));
            }
            return;
        }
    }
    // Alone, or the group failed and wrote nothing: each ticket alone, for its outcome.
    for (change, done) in callers {
        let outcome = store.save_one(&change, change.publish_events).await;
        let _ = done.send(outcome);
    }
}
