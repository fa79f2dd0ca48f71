//! `SqliteStore` against the store and event-bus conformance suites: one test per
//! behaviour, each on a fresh, migrated database file of its own
//! (`cargo test -p ticket-store-sqlite --test conformance`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::sync::Arc;
use tempfile::TempDir;
use ticket_core::ports::{EventBus, Store};
use ticket_store_sqlite::SqliteStore;

thread_local! {
    /// The folders of this test thread's databases: removed when the test's thread ends,
    /// after the case (and its runtime, and so the store) is done.
    static DIRS: RefCell<Vec<TempDir>> = const { RefCell::new(Vec::new()) };
}

async fn fresh() -> SqliteStore {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("desk.db");
    let store = SqliteStore::connect(path.to_str().expect("a UTF-8 path"))
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    DIRS.with(|dirs| dirs.borrow_mut().push(dir));
    store
}

async fn store() -> Arc<dyn Store> {
    Arc::new(fresh().await)
}

async fn bus() -> Arc<dyn EventBus> {
    Arc::new(fresh().await)
}

ticket_core::store_conformance!(store);
ticket_core::event_bus_conformance!(bus);
