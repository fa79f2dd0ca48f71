//! `EventBus` for `MongoStore`, across instances without change streams: `publish`
//! inserts the events into `ticket_bus` under ids that sort in publish order (the
//! publish instant in milliseconds, then a per-process sequence, then a random tag);
//! each store runs one poller while it has subscribers, reading what was published
//! since it last looked every [`BUS_POLL`] and broadcasting it to its subscribers.
//!
//! Each poll reads back a window of [`OVERLAP`] before the newest id it saw (and skips
//! what it already delivered), so an insert that becomes visible late (a slow publisher,
//! another instance whose clock is a little behind) is still delivered, if after newer
//! events. Delivery is best-effort, as the port says: the history is the durable record.

use crate::connect::names::BUS;
use crate::docs::{all, from_field, DOC};
use crate::errors::db;
use crate::MongoStore;
use async_trait::async_trait;
use futures::StreamExt as _;
use mongodb::bson::{doc, Document};
use mongodb::Collection;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use ticket_core::error::Result;
use ticket_core::event::TicketEvent;
use ticket_core::ports::{EventBus, EventStream};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

/// How often a store with subscribers reads the bus: the bound of the delay between a
/// publish on any instance and its delivery (plus the read itself).
pub const BUS_POLL: Duration = Duration::from_millis(200);

/// How long published events stay in `ticket_bus` (a TTL index removes them on MongoDB;
/// the publishers also remove them, for servers without TTL indexes).
pub const BUS_RETENTION: Duration = Duration::from_secs(600);

/// How far before the newest id it saw a poll reads again.
const OVERLAP: Duration = Duration::from_secs(5);

/// How many events one read of the bus returns (a poll reads on while they are full).
const READ_BATCH: i64 = 1000;

/// How many events each subscriber buffers before a slow one skips what it missed.
const CAPACITY: usize = 1024;

/// How often a publisher removes events past [`BUS_RETENTION`].
const CLEANUP_EVERY: Duration = Duration::from_secs(30);

/// The bus side of a store: the broadcast to its subscribers and its poller's state.
pub(crate) struct BusState {
    sender: broadcast::Sender<TicketEvent>,
    /// Whether a poller runs (it stops when the last subscriber is gone).
    polling: Mutex<bool>,
    /// When this store last removed old events.
    last_cleanup: Mutex<Option<std::time::Instant>>,
}

impl Default for BusState {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(CAPACITY).0,
            polling: Mutex::new(false),
            last_cleanup: Mutex::new(None),
        }
    }
}

/// Milliseconds since the epoch, now.
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The id of the `n`th event of a publish at `ms`: sorts by `ms`, then by the
/// process-wide sequence (publish order within a process).
fn bus_id(ms: u64) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let tag = uuid::Uuid::new_v4().as_u128() & 0xffff_ffff;
    format!("{ms:012x}-{seq:016x}-{tag:08x}")
}

/// The smallest id of the events published at or after `ms`.
fn lower_bound(ms: u64) -> String {
    format!("{ms:012x}")
}

/// The millisecond an id was published at.
fn ms_of(id: &str) -> u64 {
    id.get(..12)
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .unwrap_or(0)
}

/// Reads the bus on a timer and broadcasts what it finds, until nobody listens.
async fn poll(bus: Collection<Document>, state: std::sync::Arc<crate::connect::Inner>) {
    let overlap = u64::try_from(OVERLAP.as_millis()).unwrap_or(u64::MAX);
    let mut newest = now_ms();
    let mut delivered: HashMap<String, u64> = HashMap::new();
    let mut tick = tokio::time::interval(BUS_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        {
            let mut polling = state
                .bus
                .polling
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if state.bus.sender.receiver_count() == 0 {
                *polling = false;
                return;
            }
        }
        let mut after = lower_bound(newest.saturating_sub(overlap));
        loop {
            let read = match bus
                .find(doc! { "_id": { "$gt": &after } })
                .sort(doc! { "_id": 1 })
                .limit(READ_BATCH)
                .await
            {
                Ok(cursor) => all(cursor).await,
                Err(e) => Err(db(e)),
            };
            // A failed read is retried at the next tick (the window covers it).
            let Ok(read) = read else { break };
            let full = i64::try_from(read.len()).unwrap_or(i64::MAX) >= READ_BATCH;
            for d in &read {
                let Ok(key) = d.get_str("_id") else { continue };
                after = key.to_string();
                if delivered.contains_key(key) {
                    continue;
                }
                let ms = ms_of(key);
                newest = newest.max(ms);
                delivered.insert(key.to_string(), ms);
                if let Ok(event) = from_field::<TicketEvent>(d, DOC) {
                    // An error only means nobody listens right now.
                    let _ = state.bus.sender.send(event);
                }
            }
            if !full {
                break;
            }
        }
        let horizon = newest.saturating_sub(overlap.saturating_mul(2));
        delivered.retain(|_, ms| *ms >= horizon);
    }
}

impl MongoStore {
    /// Removes events past [`BUS_RETENTION`], at most once per [`CLEANUP_EVERY`].
    async fn clean_bus(&self) -> Result<()> {
        {
            let mut last = self
                .inner
                .bus
                .last_cleanup
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < CLEANUP_EVERY) {
                return Ok(());
            }
            *last = Some(std::time::Instant::now());
        }
        let retention = u64::try_from(BUS_RETENTION.as_millis()).unwrap_or(u64::MAX);
        self.coll(BUS)
            .delete_many(doc! { "_id": { "$lt": lower_bound(now_ms().saturating_sub(retention)) } })
            .await
            .map_err(db)?;
        Ok(())
    }
}

#[async_trait]
impl EventBus for MongoStore {
    async fn publish(&self, events: &[TicketEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let ms = now_ms();
        let at = mongodb::bson::DateTime::now();
        let docs = events
            .iter()
            .map(|e| {
                Ok(doc! {
                    "_id": bus_id(ms),
                    "at": at,
                    DOC: crate::docs::to_json(e)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.coll(BUS).insert_many(docs).await.map_err(db)?;
        self.clean_bus().await
    }

    async fn subscribe(&self) -> Result<EventStream> {
        let rx = {
            let mut polling = self
                .inner
                .bus
                .polling
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let rx = self.inner.bus.sender.subscribe();
            if !*polling {
                *polling = true;
                tokio::spawn(poll(self.coll(BUS), self.inner.clone()));
            }
            rx
        };
        let stream = futures::stream::unfold(rx, |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(event) => return Some((event, rx)),
                    // A slow subscriber skips what it missed rather than block the others.
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return None,
                }
            }
        });
        Ok(stream.boxed())
    }
}
