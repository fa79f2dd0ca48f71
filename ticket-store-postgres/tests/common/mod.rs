//! Test support: the database URL and the skip policy, fresh schemas, pools.
//!
//! Policy: without `TICKET_TEST_POSTGRES_URL` a test prints that it skipped and passes,
//! unless `CI` is set, where it fails; a URL that cannot be reached always fails.
//!
//! Every test gets its own schema `tsp_<uuid v7>`, so tests run in parallel. Tests that
//! can, drop theirs at the end; the conformance kit has no teardown hook, so the first
//! fresh schema of a test process also drops the test schemas older than ten minutes (their
//! names carry their creation time).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use ticket_store_postgres::{sqlx, PostgresStore};
use tokio::sync::OnceCell;

/// The variable naming the test database.
pub const URL_VAR: &str = "TICKET_TEST_POSTGRES_URL";

/// The prefix of test schemas.
const PREFIX: &str = "tsp_";

/// Connections per test pool: the concurrency cases need a few, tests run in parallel
/// (one per core), and the server allows 100.
pub const POOL_SIZE: u32 = 3;

/// Whether we run under CI (`CI` set to anything but empty, `0` or `false`).
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// The URL to test against, or the line to print when skipping. Panics under CI when
/// there is none: CI never skips the store.
pub fn url() -> Result<String, String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Ok(url),
        _ if under_ci() => {
            panic!("{URL_VAR} is not set, and CI is: the PostgreSQL store must be tested in CI")
        }
        _ => Err(format!("skipped: {URL_VAR} is not set")),
    }
}

/// The guard of the conformance macros (`when = common::should_run`) and of every other
/// test: `false` after printing the skip line when there is no URL; panics under CI
/// without one, and whenever the database cannot be reached (checked once per process).
pub fn should_run() -> bool {
    match url() {
        Ok(url) => {
            static REACHABLE: OnceLock<Result<(), String>> = OnceLock::new();
            if let Err(e) = REACHABLE.get_or_init(|| probe(&url)) {
                panic!("{e}");
            }
            true
        }
        Err(skip) => {
            println!("{skip}");
            false
        }
    }
}

/// Connects once, on a runtime of its own (guards run outside any runtime).
fn probe(url: &str) -> Result<(), String> {
    let url = url.to_string();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async {
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .connect(&url)
                .await
                .map_err(|e| format!("cannot reach PostgreSQL at {}: {e}", redacted(&url)))?;
            pool.close().await;
            Ok(())
        })
    })
    .join()
    .unwrap_or_else(|_| Err("the connection probe panicked".to_string()))
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

/// A small pool on the test database. Panics when it cannot be reached.
pub async fn pool() -> PgPool {
    let url = url().unwrap_or_else(|skip| panic!("{skip}: call should_run() first"));
    PgPoolOptions::new()
        .max_connections(POOL_SIZE)
        .acquire_timeout(Duration::from_secs(30))
        .connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {}: {e}", redacted(&url)))
}

/// A fresh, unique schema name: the prefix and a UUIDv7 (whose first 48 bits are the
/// creation time in milliseconds).
pub fn schema_name() -> String {
    format!("{PREFIX}{}", uuid::Uuid::now_v7().simple())
}

/// The creation time (ms since the epoch) of a test schema, from its name.
fn created_ms(schema: &str) -> Option<u64> {
    let hex = schema.strip_prefix(PREFIX)?;
    (hex.len() == 32)
        .then(|| u64::from_str_radix(hex.get(..12)?, 16).ok())
        .flatten()
}

/// Drops the test schemas older than ten minutes (left by earlier runs: no case runs that
/// long), once per process.
async fn sweep_stale_schemas(pool: &PgPool) {
    static SWEPT: OnceCell<()> = OnceCell::const_new();
    SWEPT
        .get_or_init(|| async {
            let now_ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'tsp\\_%'",
            )
            .fetch_all(pool)
            .await
            .expect("list test schemas");
            for name in names {
                if created_ms(&name).is_some_and(|ms| ms + 600_000 < now_ms) {
                    drop_schema(pool, &name).await;
                }
            }
        })
        .await;
}

/// A migrated store in a fresh schema on `pool`.
pub async fn fresh_in(pool: PgPool) -> PostgresStore {
    sweep_stale_schemas(&pool).await;
    let store = PostgresStore::with_schema(pool, &schema_name()).expect("a valid schema name");
    store.migrate().await.expect("migrate a fresh schema");
    store
}

/// A migrated store in a fresh schema on a pool of its own.
pub async fn fresh() -> PostgresStore {
    fresh_in(pool().await).await
}

/// Drops a test schema and everything in it.
pub async fn drop_schema(pool: &PgPool, schema: &str) {
    sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
        .execute(pool)
        .await
        .expect("drop the test schema");
}

#[test]
fn schema_names_carry_their_creation_time() {
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let ms = created_ms(&schema_name()).unwrap();
    assert!(u128::from(ms) >= before && u128::from(ms) < before + 60_000);
    assert_eq!(created_ms("tsp_nothex"), None);
}

/// A connection of the test's own holding a `SHARE` lock on the store's tickets table, in
/// an open transaction: inserts wait until it commits.
pub async fn lock_tickets(store: &PostgresStore) -> PgConnection {
    let mut lock = PgConnection::connect(&url().unwrap()).await.unwrap();
    sqlx::query("BEGIN").execute(&mut lock).await.unwrap();
    sqlx::query(&format!(
        "LOCK TABLE \"{}\".tickets IN SHARE MODE",
        store.schema()
    ))
    .execute(&mut lock)
    .await
    .unwrap();
    lock
}
