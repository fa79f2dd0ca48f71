//! `EventBus` for `MemoryStore`: an in-process broadcast channel.

use super::MemoryStore;
use crate::error::Result;
use crate::event::TicketEvent;
use crate::ports::{EventBus, EventStream};
use async_trait::async_trait;
use futures::StreamExt as _;
use tokio::sync::broadcast::error::RecvError;

#[async_trait]
impl EventBus for MemoryStore {
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
