//! Test support: the database URL (and the skip policy), fresh schemas, pools.
//!
//! Policy: without `TICKET_TEST_POSTGRES_URL` a test prints that it skipped and passes,
//! unless `CI` is set, where it fails; a URL that cannot be reached always fails.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;
use ticket_store_postgres::{sqlx, PostgresStore};

/// The variable naming the test database.
pub const URL_VAR: &str = "TICKET_TEST_POSTGRES_URL";

/// Whether we run under CI (`CI` set to anything but empty, `0` or `false`).
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// The URL to test against; `Err` with the reason to skip when there is none. Panics
/// under CI when there is none: CI never skips the store.
pub fn url() -> Result<String, String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Ok(url),
        _ if under_ci() => {
            panic!("{URL_VAR} is not set, and CI is: the PostgreSQL store must be tested in CI")
        }
        _ => Err(format!("skipped: {URL_VAR} is not set")),
    }
}

/// The URL, or `None` after printing the skip line (for `#[tokio::test]`s).
pub fn url_or_skip() -> Option<String> {
    match url() {
        Ok(url) => Some(url),
        Err(skip) => {
            println!("{skip}");
            None
        }
    }
}

/// The URL without its credentials, for messages.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// A small pool on `url` (tests run in parallel: a few connections each keep far below
/// the server's `max_connections`). Panics when the database cannot be reached.
pub async fn pool(url: &str, max: u32) -> PgPool {
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {}: {e}", redacted(url)))
}

/// A fresh, unique schema name (`t_<32 hex>`).
pub fn schema_name() -> String {
    format!("t_{}", uuid::Uuid::now_v7().simple())
}

/// A migrated store in a fresh schema on `pool`.
pub async fn fresh_in(pool: PgPool) -> PostgresStore {
    let store = PostgresStore::with_schema(pool, &schema_name()).expect("a valid schema name");
    store.migrate().await.expect("migrate a fresh schema");
    store
}

/// Drops a test schema and everything in it.
pub async fn drop_schema(pool: &PgPool, schema: &str) {
    sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
        .execute(pool)
        .await
        .expect("drop the test schema");
}
