//! `EventBus` for `PostgresStore`: `LISTEN/NOTIFY` on the schema's channel, so events
//! cross server instances.
//!
//! `publish` sends one notification per event (its JSON, or `id:<event id>` when the JSON
//! would not fit PostgreSQL's 8,000-byte payload; the listener then reads the event back
//! from the history), concurrent publishes sharing one statement (`publish`). `subscribe` shares one listening connection per store: a task
//! reads it and fans every event out to the subscribers through a bounded broadcast
//! channel, so that a slow subscriber skips events instead of holding up the connection
//! (and, through it, every publisher of the database).

use crate::connect::PostgresStore;
use crate::errors::db;
use async_trait::async_trait;
use futures::StreamExt as _;
use sqlx::postgres::{PgListener, PgPool};
use std::time::Duration;
use ticket_core::event::TicketEvent;
use ticket_core::ports::{EventBus, EventStream};
use ticket_core::Result;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// How many events each subscriber may lag behind before it skips what it missed.
const CAPACITY: usize = 1024;
/// The largest payload sent whole; PostgreSQL refuses 8,000 bytes and more.
const MAX_PAYLOAD: usize = 7_900;
/// The prefix of a payload that carries only the event id.
const BY_ID: &str = "id:";
/// The pause after a failed receive before the listener tries again (it reconnects).
const RETRY: Duration = Duration::from_millis(500);

/// The shared listener of one store, started by the first `subscribe`.
pub(crate) struct Bus {
    channel: String,
    running: Mutex<Option<Listening>>,
}

struct Listening {
    sender: broadcast::Sender<TicketEvent>,
    task: JoinHandle<()>,
}

impl Drop for Listening {
    fn drop(&mut self) {
        // The store is gone: stop listening (the connection closes with the listener).
        self.task.abort();
    }
}

impl Bus {
    pub fn new(channel: String) -> Self {
        Self {
            channel,
            running: Mutex::new(None),
        }
    }
}

/// The notification payload of an event.
fn payload(event: &TicketEvent) -> Result<String> {
    let json = serde_json::to_string(event).map_err(crate::errors::json)?;
    Ok(if json.len() > MAX_PAYLOAD {
        format!("{BY_ID}{}", event.id)
    } else {
        json
    })
}

/// The event of a payload: parsed, or read back from the history when sent by id.
/// `None` when it cannot be had (an event published without being stored, a payload
/// that is not ours): delivery is best-effort.
async fn event_of(payload: &str, pool: &PgPool, events_table: &str) -> Option<TicketEvent> {
    match payload.strip_prefix(BY_ID) {
        None => serde_json::from_str(payload).ok(),
        Some(id) => {
            let id: Uuid = id.parse().ok()?;
            let doc: sqlx::types::Json<TicketEvent> =
                sqlx::query_scalar(&format!("SELECT doc FROM {events_table} WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(pool)
                    .await
                    .ok()??;
            Some(doc.0)
        }
    }
}

/// Reads the listener forever, forwarding every event to the subscribers.
async fn forward(
    mut listener: PgListener,
    sender: broadcast::Sender<TicketEvent>,
    pool: PgPool,
    events_table: String,
) {
    loop {
        match listener.recv().await {
            Ok(n) => {
                if let Some(event) = event_of(n.payload(), &pool, &events_table).await {
                    // An error only means nobody subscribes right now.
                    let _ = sender.send(event);
                }
            }
            // The connection was lost and could not be re-established yet; `recv`
            // reconnects (and listens again) on the next call. What was published
            // meanwhile is lost: the history is the durable record.
            Err(_) => tokio::time::sleep(RETRY).await,
        }
    }
}

impl PostgresStore {
    /// The sender of the running listener, starting it (and waiting until it listens)
    /// when there is none or its task ended.
    async fn listening(&self) -> Result<broadcast::Sender<TicketEvent>> {
        let bus = self.bus();
        let mut running = bus.running.lock().await;
        if let Some(l) = running.as_ref().filter(|l| !l.task.is_finished()) {
            return Ok(l.sender.clone());
        }
        let mut listener = PgListener::connect_with(self.pool()).await.map_err(db)?;
        listener.listen(&bus.channel).await.map_err(db)?;
        let (sender, _) = broadcast::channel(CAPACITY);
        let task = tokio::spawn(forward(
            listener,
            sender.clone(),
            self.pool().clone(),
            self.tables().events.clone(),
        ));
        *running = Some(Listening {
            sender: sender.clone(),
            task,
        });
        Ok(sender)
    }
}

#[async_trait]
impl EventBus for PostgresStore {
    async fn publish(&self, events: &[TicketEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let payloads = events.iter().map(payload).collect::<Result<Vec<_>>>()?;
        self.publish_payloads(payloads).await
    }

    async fn subscribe(&self) -> Result<EventStream> {
        let rx = self.listening().await?.subscribe();
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
