//! The listening connections of a store, two at most:
//!
//! - the configuration listener, started by the first cached configuration read,
//!   `LISTEN`s on the schema's configuration channel (invalidations of the configuration
//!   cache) for as long as the store lives;
//! - the event listener, started by the first subscriber, `LISTEN`s on the schema's event
//!   channel and fans the events out to the subscribers; it stops (and its connection
//!   goes back to the pool) at the first event that finds nobody subscribed. An instance
//!   without subscribers does not listen for events, so PostgreSQL does not signal a
//!   backend nor send it every event of every instance, and this process does not
//!   decode them, on every ticket change.
//!
//! Each holds a connection of the store's pool. When a connection drops, notifications
//! sent meanwhile are lost: subscribers miss those events (the history is the durable
//! record) and the configuration cache is emptied and bypassed until a new connection
//! listens again.

use crate::bus::event_of;
use crate::cache::ConfigCache;
use crate::connect::PostgresStore;
use crate::errors::db;
use sqlx::postgres::{PgListener, PgPool};
use std::sync::{Arc, Mutex as StdMutex, PoisonError, Weak};
use std::time::{Duration, Instant};
use ticket_core::event::TicketEvent;
use ticket_core::Result;
use tokio::sync::broadcast;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

/// How many events each subscriber may lag behind before it skips what it missed.
const CAPACITY: usize = 1024;
/// The pause before trying to listen again after the connection was lost, and the
/// least time between two attempts to start listening for the cache.
const RETRY: Duration = Duration::from_millis(500);

/// The listening tasks of one store.
#[derive(Default)]
pub(crate) struct Listener {
    config: Mutex<Option<Task>>,
    events: Arc<Mutex<Option<EventTask>>>,
    /// When a cached read last tried to start listening (it does not retry sooner than
    /// [`RETRY`]).
    last_attempt: StdMutex<Option<Instant>>,
}

/// A running listening task, stopped when dropped (the connection closes with it).
struct Task(JoinHandle<()>);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The running event listener: its task and the sender its subscribers receive from.
struct EventTask {
    events: broadcast::Sender<TicketEvent>,
    task: Task,
}

/// A connection listening on `channel`.
async fn listen(pool: &PgPool, channel: &str) -> sqlx::Result<PgListener> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(channel).await?;
    Ok(listener)
}

/// The next notification of `listener`; after a lost connection, one of a new connection
/// listening on `channel` (`listening(false)` is called when the connection is lost,
/// `listening(true)` once a new one listens).
async fn next(
    listener: &mut PgListener,
    pool: &PgPool,
    channel: &str,
    listening: impl Fn(bool),
) -> sqlx::postgres::PgNotification {
    loop {
        match listener.try_recv().await {
            Ok(Some(n)) => return n,
            Ok(None) | Err(_) => {
                listening(false);
                *listener = loop {
                    tokio::time::sleep(RETRY).await;
                    if let Ok(l) = listen(pool, channel).await {
                        break l;
                    }
                };
                listening(true);
            }
        }
    }
}

/// Reads invalidations until the store goes away; on a lost connection, empties the cache
/// and listens again on a new one.
async fn run_config(
    mut listener: PgListener,
    pool: PgPool,
    channel: String,
    cache: Arc<ConfigCache>,
) {
    // However the task ends (the store dropped, its runtime shut down), the cache stops
    // trusting a connection that no longer listens.
    struct Stopped(Arc<ConfigCache>);
    impl Drop for Stopped {
        fn drop(&mut self) {
            self.0.set_live(false);
        }
    }
    let _stopped = Stopped(cache.clone());
    loop {
        let n = next(&mut listener, &pool, &channel, |live| cache.set_live(live)).await;
        cache.invalidate_payload(n.payload());
    }
}

/// What the event listener needs besides its connection.
struct EventContext {
    pool: PgPool,
    channel: String,
    events_table: String,
    events: broadcast::Sender<TicketEvent>,
    /// Where the listener is registered, to unregister itself (weak: the store going
    /// away drops the registration, which stops the task).
    slot: Weak<Mutex<Option<EventTask>>>,
}

/// Fans events out to the subscribers until an event finds none (or the store goes
/// away); on a lost connection, listens again on a new one.
async fn run_events(mut listener: PgListener, cx: EventContext) {
    loop {
        let n = next(&mut listener, &cx.pool, &cx.channel, |_| {}).await;
        if cx.events.receiver_count() == 0 {
            // Checked again under the lock subscribers take: one subscribing now either
            // holds a receiver already (then the listener goes on), or finds the slot
            // empty and starts a listener of its own.
            let Some(slot) = cx.slot.upgrade() else {
                return;
            };
            let mut slot = slot.lock().await;
            if cx.events.receiver_count() == 0 {
                // Dropping the task handle flags this task aborted; it ends here without
                // awaiting again, and the listener's connection is given back to the pool
                // once unlistened (`PgListener`'s drop).
                let gone = slot.take();
                drop(slot);
                drop(gone);
                return;
            }
        }
        if let Some(event) = event_of(n.payload(), &cx.pool, &cx.events_table).await {
            // An error only means every subscriber left since.
            let _ = cx.events.send(event);
        }
    }
}

impl PostgresStore {
    /// A receiver of the events published from now on, starting the event listener (and
    /// waiting until it listens) when it is not running.
    pub(crate) async fn subscribe_events(&self) -> Result<broadcast::Receiver<TicketEvent>> {
        let slot = self.listener().events.clone();
        let mut running = slot.lock().await;
        if let Some(r) = running.as_ref().filter(|r| !r.task.0.is_finished()) {
            return Ok(r.events.subscribe());
        }
        let t = self.tables();
        let listener = listen(self.pool(), &t.channel).await.map_err(db)?;
        let (events, rx) = broadcast::channel(CAPACITY);
        let task = tokio::spawn(run_events(
            listener,
            EventContext {
                pool: self.pool().clone(),
                channel: t.channel.clone(),
                events_table: t.events.clone(),
                events: events.clone(),
                slot: Arc::downgrade(&slot),
            },
        ));
        *running = Some(EventTask {
            events,
            task: Task(task),
        });
        Ok(rx)
    }

    /// Starts the configuration listener (and waits until it listens) when it is not
    /// running.
    async fn ensure_config_listener(&self) -> Result<()> {
        let mut running = self.listener().config.lock().await;
        if running.as_ref().is_some_and(|r| !r.0.is_finished()) {
            return Ok(());
        }
        let channel = self.tables().config_channel.clone();
        let listener = listen(self.pool(), &channel).await.map_err(db)?;
        self.cache().set_live(true);
        let task = tokio::spawn(run_config(
            listener,
            self.pool().clone(),
            channel,
            self.cache().clone(),
        ));
        *running = Some(Task(task));
        Ok(())
    }

    /// Whether the configuration cache may be used: enabled, and listening (started
    /// here when it is not, at most once per [`RETRY`]).
    pub(crate) async fn cache_usable(&self) -> bool {
        let cache = self.cache();
        if !cache.enabled() {
            return false;
        }
        if cache.live() {
            return true;
        }
        {
            let mut last = self
                .listener()
                .last_attempt
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < RETRY) {
                return false;
            }
            *last = Some(Instant::now());
        }
        self.ensure_config_listener().await.is_ok() && cache.live()
    }
}
