//! `MemoryStore` against the store and event-bus conformance suites: one test per
//! behaviour (`cargo test -p ticket-core --features testkit --test memory_conformance`).
#![cfg(feature = "testkit")]

use std::sync::Arc;
use ticket_core::memory::MemoryStore;
use ticket_core::ports::{EventBus, Store};

async fn store() -> Arc<dyn Store> {
    Arc::new(MemoryStore::new())
}

async fn bus() -> Arc<dyn EventBus> {
    Arc::new(MemoryStore::new())
}

ticket_core::store_conformance!(store);
ticket_core::event_bus_conformance!(bus);
