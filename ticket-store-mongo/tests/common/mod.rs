//! Test support: the server URL and the skip policy, fresh databases.
//!
//! Policy: without `TICKET_TEST_MONGO_URL` a test prints that it skipped and passes,
//! unless `CI` is set, where it fails; a URL that cannot be reached always fails.
//!
//! Every test gets its own database `tsm_<uuid v7>`, so tests run in parallel. The
//! conformance kit has no teardown hook, so the first fresh database of a test process
//! also drops the test databases older than ten minutes (their names carry their
//! creation time).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};
use ticket_store_mongo::mongodb::Client;
use ticket_store_mongo::MongoStore;
use tokio::sync::OnceCell;

/// The variable naming the test server.
pub const URL_VAR: &str = "TICKET_TEST_MONGO_URL";

/// The prefix of test databases.
const PREFIX: &str = "tsm_";

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
            panic!("{URL_VAR} is not set, and CI is: the MongoDB store must be tested in CI")
        }
        _ => Err(format!("skipped: {URL_VAR} is not set")),
    }
}

/// The guard of the conformance macros and of every other test: `false` after printing
/// the skip line when there is no URL; panics under CI without one, and whenever the
/// server cannot be reached (checked once per process).
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
            MongoStore::connect(&with_timeout(&url))
                .await
                .map(drop)
                .map_err(|e| format!("cannot reach MongoDB at {}: {e}", redacted(&url)))
        })
    })
    .join()
    .unwrap_or_else(|_| Err("the connection probe panicked".to_string()))
}

/// The URL with a short server-selection timeout (unless it sets one), so an
/// unreachable server fails fast.
fn with_timeout(url: &str) -> String {
    if url.contains("serverSelectionTimeoutMS") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&serverSelectionTimeoutMS=5000")
    } else if url.trim_end_matches('/').matches('/').count() > 2 {
        format!("{url}?serverSelectionTimeoutMS=5000")
    } else {
        format!(
            "{}/?serverSelectionTimeoutMS=5000",
            url.trim_end_matches('/')
        )
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

/// A client of the test server. Panics when it cannot be reached.
pub async fn client() -> Client {
    let url = url().unwrap_or_else(|skip| panic!("{skip}: call should_run() first"));
    let store = MongoStore::connect(&with_timeout(&url))
        .await
        .unwrap_or_else(|e| panic!("cannot reach MongoDB at {}: {e}", redacted(&url)));
    store.client().clone()
}

/// A fresh, unique database name: the prefix and a UUIDv7 (whose first 48 bits are the
/// creation time in milliseconds).
pub fn database_name() -> String {
    format!("{PREFIX}{}", uuid::Uuid::now_v7().simple())
}

/// The creation time (ms since the epoch) of a test database, from its name.
fn created_ms(name: &str) -> Option<u64> {
    let hex = name.strip_prefix(PREFIX)?;
    (hex.len() == 32)
        .then(|| u64::from_str_radix(hex.get(..12)?, 16).ok())
        .flatten()
}

/// Drops the test databases older than ten minutes (left by earlier runs), once per
/// process.
async fn sweep_stale_databases(client: &Client) {
    static SWEPT: OnceCell<()> = OnceCell::const_new();
    SWEPT
        .get_or_init(|| async {
            let now_ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
            let names = client
                .list_database_names()
                .await
                .expect("list test databases");
            for name in names {
                if created_ms(&name).is_some_and(|ms| ms + 600_000 < now_ms) {
                    let _ = client.database(&name).drop().await;
                }
            }
        })
        .await;
}

/// A migrated store on a fresh database of `client`.
pub async fn fresh_in(client: Client) -> MongoStore {
    sweep_stale_databases(&client).await;
    let store = MongoStore::new(client, &database_name());
    store.migrate().await.expect("migrate a fresh database");
    store
}

/// A migrated store on a fresh database, with a client of its own.
pub async fn fresh() -> MongoStore {
    fresh_in(client().await).await
}

/// Drops a test database.
pub async fn drop_database(store: &MongoStore) {
    store
        .database()
        .drop()
        .await
        .expect("drop the test database");
}

#[test]
fn database_names_carry_their_creation_time() {
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let ms = created_ms(&database_name()).unwrap();
    assert!(u128::from(ms) >= before && u128::from(ms) < before + 60_000);
    assert_eq!(created_ms("tsm_nothex"), None);
}
