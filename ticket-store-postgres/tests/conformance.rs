//! `PostgresStore` against the store and event-bus conformance suites of
//! `ticket_core::testkit`, one test per behaviour, each in a fresh schema of the database
//! named by `TICKET_TEST_POSTGRES_URL` (dropped afterwards).
//!
//! This file runs under a harness of its own (`harness = false`, with `libtest-mimic`:
//! the usual test command line, filters included) rather than `store_conformance!`, so
//! that the whole suite can skip when the variable is unset: every case then reports
//! `ignored` with the reason. Under `CI` an unset variable fails the run instead, and an
//! unreachable database always does.
//!
//! `cargo test -p ticket-store-postgres --test conformance -- store_conformance::outbox`
//! runs one group.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use futures::FutureExt as _;
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::process::ExitCode;
use std::sync::Arc;
use ticket_core::ports::{EventBus, Store};
use ticket_core::testkit::{bus_cases, store_cases, CASE_TIMEOUT};
use ticket_store_postgres::{sqlx, PostgresStore};

/// Connections per case: the concurrency cases need a few, and cases run in parallel.
const POOL_SIZE: u32 = 3;

/// The panic message of a failed case.
fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_else(|| "the case panicked".to_string())
}

/// Runs one case on its own two-worker runtime (as `store_conformance!` does) against a
/// fresh migrated schema with the kit's timeout, then drops the schema whatever the
/// outcome.
fn run_with<T, F>(
    url: &str,
    as_port: fn(PostgresStore) -> T,
    case: impl FnOnce(T) -> F,
) -> Result<Completion, Failed>
where
    F: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime for the case");
    runtime.block_on(async move {
        let pool = common::pool(url, POOL_SIZE).await;
        let store = common::fresh_in(pool.clone()).await;
        let schema = store.schema().to_string();
        let outcome = AssertUnwindSafe(tokio::time::timeout(CASE_TIMEOUT, case(as_port(store))))
            .catch_unwind()
            .await;
        common::drop_schema(&pool, &schema).await;
        match outcome {
            Ok(Ok(())) => Ok(Completion::Completed),
            Ok(Err(_)) => Err(Failed::from(format!(
                "the case did not finish within {CASE_TIMEOUT:?}"
            ))),
            Err(payload) => Err(Failed::from(message(payload.as_ref()))),
        }
    })
}

fn as_store(s: PostgresStore) -> Arc<dyn Store> {
    Arc::new(s)
}

fn as_bus(s: PostgresStore) -> Arc<dyn EventBus> {
    Arc::new(s)
}

/// Checks once that the database answers, so that an unreachable URL fails the run with
/// one clear message rather than one per case.
fn probe(url: &str) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| format!("cannot reach PostgreSQL at {}: {e}", common::redacted(url)))?;
        pool.close().await;
        Ok(())
    })
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let url = if common::under_ci() && std::env::var(common::URL_VAR).is_err() {
        eprintln!(
            "{} is not set, and CI is: the PostgreSQL store must be tested in CI",
            common::URL_VAR
        );
        return ExitCode::FAILURE;
    } else {
        common::url()
    };
    match &url {
        Ok(url) => {
            if let Err(e) = probe(url) {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
        Err(skip) => println!("{skip}"),
    }
    let mut trials = Vec::new();
    for (name, case) in store_cases() {
        let url = url.clone();
        trials.push(Trial::ignorable_test(
            format!("store_conformance::{name}"),
            move || match url {
                Ok(url) => run_with(&url, as_store, case),
                Err(skip) => Ok(Completion::ignored_with(skip)),
            },
        ));
    }
    for (name, case) in bus_cases() {
        let url = url.clone();
        trials.push(Trial::ignorable_test(
            format!("event_bus_conformance::{name}"),
            move || match url {
                Ok(url) => run_with(&url, as_bus, case),
                Err(skip) => Ok(Completion::ignored_with(skip)),
            },
        ));
    }
    libtest_mimic::run(&args, trials).exit_code()
}
