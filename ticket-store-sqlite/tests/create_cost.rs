//! The store calls of one authenticated create through `HelpDesk` on SQLite
//! (`ticket_core::testkit::create_cost`): configuration from the store's cache and one
//! write transaction; nothing reads the requester or the agents.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use ticket_store_sqlite::SqliteStore;

#[tokio::test]
async fn an_authenticated_create_is_one_write_and_cached_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.db");
    let store = SqliteStore::connect(path.to_str().unwrap()).await.unwrap();
    store.migrate().await.unwrap();
    ticket_core::testkit::create_cost(Arc::new(store), "SQLite").await;
}
