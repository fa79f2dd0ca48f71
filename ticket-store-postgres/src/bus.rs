//! `EventBus` for `PostgresStore`: `LISTEN/NOTIFY` on the schema's channel, so events
//! cross server instances.
//!
//! `publish` sends one notification per event (its JSON, or `id:<event id>` when the JSON
//! would not fit PostgreSQL's 8,000-byte payload; the listener then reads the event back
//! from the history), concurrent publishes sharing one statement (`publish`).
//! A desk whose bus is this store (or a clone: they share [`EventBus::channel_id`]) does
//! not call it for the changes it saves: a new ticket's statement notifies its events
//! itself ([`notify_and_count`]), so they are published exactly when committed and a
//! create costs one round trip, not two; other saves publish after committing (see
//! `TicketStore::save`).
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

/// The notification payloads of `events`, in order.
pub(crate) fn payloads<'a>(
    events: impl IntoIterator<Item = &'a TicketEvent>,
) -> Result<Vec<String>> {
    events.into_iter().map(payload).collect()
}

/// The end of a save statement whose CTE `ticket` returns one row per ticket written:
/// it returns how many were written and, with `publish` (`Some((channel, payloads))`,
/// the numbers of the parameters holding the channel and the payloads as `text[]`),
/// notifies every payload, in order, only when a ticket was written. The notifications
/// go out when the transaction commits, and not at all if it rolls back.
pub(crate) fn notify_and_count(sql: &mut String, publish: Option<(usize, usize)>) {
    match publish {
        None => sql.push_str(" SELECT count(*) FROM ticket"),
        // A CTE that only reads runs only if referenced: the final condition references
        // it (PostgreSQL evaluates such a condition once, before anything else).
        Some((channel, payloads)) => sql.push_str(&format!(
            ", notified AS (SELECT count(pg_notify(${channel}, p)) AS sent \
                FROM unnest(${payloads}::text[]) AS p WHERE EXISTS (SELECT 1 FROM ticket)) \
             SELECT count(*) FROM ticket WHERE (SELECT sent FROM notified) >= 0"
        )),
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
        self.publish_payloads(payloads(events)?).await
    }

    fn channel_id(&self) -> Option<String> {
        Some(self.channel_id().to_string())
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
