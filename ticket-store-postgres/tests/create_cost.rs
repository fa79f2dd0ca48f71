//! The store calls of one authenticated create through `HelpDesk` on PostgreSQL
//! (`ticket_core::testkit::create_cost`): configuration from the store's cache and one
//! write transaction; nothing reads the requester or the agents.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

#[tokio::test]
async fn an_authenticated_create_is_one_write_and_cached_configuration() {
    if !common::should_run() {
        return;
    }
    let pool = common::pool().await;
    let store = common::fresh_in(pool.clone()).await;
    let schema = store.schema().to_string();
    ticket_core::testkit::create_cost(Arc::new(store), "PostgreSQL").await;
    common::drop_schema(&pool, &schema).await;
}
