//! `MongoStore` against the store and event-bus conformance suites of
//! `ticket_core::testkit`: one test per behaviour, each on a fresh database of the server
//! named by `TICKET_TEST_MONGO_URL` (FerretDB in CI). Without it every test prints that
//! it skipped (and fails under `CI`); an unreachable server fails them.
//!
//! `cargo test -p ticket-store-mongo --test conformance store_conformance::outbox` runs
//! one group.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use ticket_core::ports::{EventBus, Store};

async fn store() -> Arc<dyn Store> {
    Arc::new(common::fresh().await)
}

async fn bus() -> Arc<dyn EventBus> {
    Arc::new(common::fresh().await)
}

ticket_core::store_conformance!(store, when = common::should_run);
ticket_core::event_bus_conformance!(bus, when = common::should_run);
