//! `EventBus` for `SqliteStore`: an in-process broadcast channel (SQLite serves one host,
//! so one process publishes and subscribes), the same as `MemoryStore`'s.

use crate::SqliteStore;
use async_trait::async_trait;
use futures::StreamExt as _;
use ticket_core::error::Result;
use ticket_core::event::TicketEvent;
use ticket_core::ports::{EventBus, EventStream};
use tokio::sync::broadcast::error::RecvError;

#[async_trait]
impl EventBus for SqliteStore {
    async fn publish(&self, events: &[TicketEvent]) -> Result<()> {
        for event in events {
            // An error only means nobody listens right now: delivery is best-effort.
            let _ = self.inner.events.send(event.clone());
        }
        Ok(())
    }

    async fn subscribe(&self) -> Result<EventStream> {
        let rx = self.inner.events.subscribe();
        let stream = futures::stream::unfold(rx, |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(event) => return Some((event, rx)),
                    // A slow subscriber skips what it missed rather than block publishers.
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return None,
                }
            }
        });
        Ok(stream.boxed())
    }
}
