//! The listening connection of a store: one per store, started by the first subscriber
//! or the first cached configuration read, `LISTEN`ing on the schema's event channel
//! (events, fanned out to subscribers) and its configuration channel (invalidations of
//! the configuration cache).
//!
//! When the connection drops, notifications sent meanwhile are lost: subscribers miss
//! those events (the history is the durable record) and the configuration cache is
//! emptied and bypassed until a new connection listens again.

use crate::bus::event_of;
use crate::cache::ConfigCache;
use crate::connect::PostgresStore;
use crate::errors::db;
use sqlx::postgres::{PgListener, PgPool};
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
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

/// The listening task of one store.
#[derive(Default)]
pub(crate) struct Listener {
    running: Mutex<Option<Running>>,
    /// When a cached read last tried to start listening (it does not retry sooner than
    /// [`RETRY`]).
    last_attempt: StdMutex<Option<Instant>>,
}

struct Running {
    events: broadcast::Sender<TicketEvent>,
    task: JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        // The store is gone: stop listening (the connection closes with the listener).
        self.task.abort();
    }
}

/// What the task needs besides the connection.
struct Context {
    pool: PgPool,
    channels: [String; 2],
    events_table: String,
    cache: Arc<ConfigCache>,
    events: broadcast::Sender<TicketEvent>,
}

/// A connection listening on `channels`.
async fn listen(pool: &PgPool, channels: &[String; 2]) -> sqlx::Result<PgListener> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener
        .listen_all(channels.iter().map(String::as_str))
        .await?;
    Ok(listener)
}

/// Reads notifications until the store goes away; on a lost connection, empties the
/// cache and listens again on a new one.
async fn run(mut listener: PgListener, cx: Context) {
    // However the task ends (the store dropped, its runtime shut down), the cache stops
    // trusting a connection that no longer listens.
    struct Stopped(Arc<ConfigCache>);
    impl Drop for Stopped {
        fn drop(&mut self) {
            self.0.set_live(false);
        }
    }
    let _stopped = Stopped(cx.cache.clone());
    let [events_channel, config_channel] = &cx.channels;
    loop {
        match listener.try_recv().await {
            Ok(Some(n)) if n.channel() == config_channel.as_str() => {
                cx.cache.invalidate_payload(n.payload());
            }
            Ok(Some(n)) if n.channel() == events_channel.as_str() => {
                if let Some(event) = event_of(n.payload(), &cx.pool, &cx.events_table).await {
                    // An error only means nobody subscribes right now.
                    let _ = cx.events.send(event);
                }
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => {
                cx.cache.set_live(false);
                listener = loop {
                    tokio::time::sleep(RETRY).await;
                    if let Ok(l) = listen(&cx.pool, &cx.channels).await {
                        break l;
                    }
                };
                cx.cache.set_live(true);
            }
        }
    }
}

impl PostgresStore {
    /// The event sender of the running listener, starting it (and waiting until it
    /// listens) when there is none or its task ended.
    pub(crate) async fn ensure_listener(&self) -> Result<broadcast::Sender<TicketEvent>> {
        let mut running = self.listener().running.lock().await;
        if let Some(r) = running.as_ref().filter(|r| !r.task.is_finished()) {
            return Ok(r.events.clone());
        }
        let t = self.tables();
        let channels = [t.channel.clone(), t.config_channel.clone()];
        let listener = listen(self.pool(), &channels).await.map_err(db)?;
        let (events, _) = broadcast::channel(CAPACITY);
        self.cache().set_live(true);
        let task = tokio::spawn(run(
            listener,
            Context {
                pool: self.pool().clone(),
                channels,
                events_table: t.events.clone(),
                cache: self.cache().clone(),
                events: events.clone(),
            },
        ));
        *running = Some(Running {
            events: events.clone(),
            task,
        });
        Ok(events)
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
        self.ensure_listener().await.is_ok() && cache.live()
    }
}
