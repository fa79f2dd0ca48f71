//! The whole journey against the real server wiring on PostgreSQL
//! (`TICKET_TEST_POSTGRES_URL`). Skipped with a message when the variable is unset and
//! `CI` is not; a failure when `CI` is set and it is missing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{config, journey, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journey_on_postgres() {
    let url = match std::env::var("TICKET_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but TICKET_TEST_POSTGRES_URL is not: the PostgreSQL end-to-end test cannot be skipped in CI"
            );
            eprintln!(
                "skipped: set TICKET_TEST_POSTGRES_URL to run the PostgreSQL end-to-end test"
            );
            return;
        }
    };
    if !ticket_examples::postgres::AVAILABLE {
        eprintln!("skipped: ticket-store-postgres is not part of this build yet");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A schema of its own, so runs never see each other's data.
    let mut cfg = config(dir.path(), Some(url));
    cfg.database_schema = Some(format!("e2e_{}", uuid::Uuid::now_v7().simple()));
    let s = start(&cfg).await;
    journey(&s).await;
    s.stop().await;
}
