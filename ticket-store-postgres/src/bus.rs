//! `EventBus` for `PostgresStore`: `LISTEN/NOTIFY` on the schema's channel, so events
//! cross server instances.
//!
//! `publish` sends one notification per event (its JSON, or `id:<event id>` when the JSON
//! would not fit PostgreSQL's 8,000-byte payload; the listener then reads the event back
//! from the history), concurrent publishes sharing one statement (`publish`).
//! `subscribe` shares the store's event listener (`listen`), running while someone
//! subscribes: its task fans every event out to the subscribers through a bounded
//! broadcast channel, so that a slow subscriber skips events instead of holding up the
//! connection (and, through it, every publisher of the database).

use crate::connect::PostgresStore;
use async_trait::async_trait;
use futures::StreamExt as _;
use sqlx::postgres::PgPool;
use ticket_core::event::TicketEvent;
use ticket_core::ports::{EventBus, EventStream};
use ticket_core::Result;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

/// The largest payload sent whole; PostgreSQL refuses 8,000 bytes and more.
const MAX_PAYLOAD: usize = 7_900;
/// The prefix of a payload that carries only the event id.
const BY_ID: &str = "id:";

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
pub(crate) async fn event_of(
    payload: &str,
    pool: &PgPool,
    events_table: &str,
) -> Option<TicketEvent> {
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
        let rx = self.subscribe_events().await?;
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
