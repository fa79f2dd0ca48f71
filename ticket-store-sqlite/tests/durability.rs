//! A writer killed with SIGKILL mid-stream loses nothing it acknowledged: the test runs
//! its own binary again as a child (switched into writer mode by an environment
//! variable), reads the ids the child printed after each `save` returned, kills it, then
//! reopens the file and finds every acknowledged ticket, in a database that passes
//! `PRAGMA integrity_check`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use ticket_core::id::{TenantId, TicketId, UserId};
use ticket_core::ports::TicketStore;
use ticket_core::testkit::fixtures;
use ticket_core::ticket::Ticket;
use ticket_store_sqlite::SqliteStore;

/// Set (to the database path) only in the child: switches [`child_writer`] on.
const CHILD_DB: &str = "TICKET_SQLITE_DURABILITY_CHILD_DB";
/// The tenant the child writes into.
const CHILD_TENANT: &str = "TICKET_SQLITE_DURABILITY_CHILD_TENANT";
/// How many acknowledgements the parent waits for before it kills the child.
const ACKS_BEFORE_KILL: usize = 400;
/// Writer tasks in the child.
const WRITERS: usize = 4;

/// Writer mode: does nothing unless the parent set [`CHILD_DB`]; then writes tickets
/// forever from a few tasks, printing `ack <id>` after each save returns.
#[test]
fn child_writer() {
    let Ok(path) = std::env::var(CHILD_DB) else {
        return;
    };
    let tenant: TenantId = std::env::var(CHILD_TENANT).unwrap().parse().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let store = Arc::new(SqliteStore::connect(&path).await.unwrap());
        let requester = UserId::new();
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    for i in 0u64.. {
                        let t = Ticket {
                            title: fixtures::title(&format!("Writer {w} ticket {i}")),
                            tags: fixtures::tags(&["durable"]),
                            ..fixtures::ticket(tenant, requester)
                        };
                        store.save(&fixtures::create(t.clone())).await.unwrap();
                        println!("ack {}", t.id);
                    }
                })
            })
            .collect();
        for w in writers {
            w.await.unwrap();
        }
    });
}

#[tokio::test]
async fn acknowledged_tickets_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.db");
    let path = path.to_str().unwrap().to_string();
    let tenant = fixtures::tenant();
    {
        let store = SqliteStore::connect(&path).await.unwrap();
        store.migrate().await.unwrap();
        store.close().await;
    }

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
        .env(CHILD_DB, &path)
        .env(CHILD_TENANT, tenant.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run the writer child");
    let stdout = child.stdout.take().unwrap();
    // Reads every line until the child's end, passing each acknowledged id on.
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut acked = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // A line cut short by the kill was never acknowledged (println had not returned).
            if let Some(Ok(id)) = line.strip_prefix("ack ").map(str::parse::<TicketId>) {
                acked.push(id);
                let _ = tx.send(id);
            }
        }
        acked
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    for _ in 0..ACKS_BEFORE_KILL {
        let left = deadline.saturating_duration_since(Instant::now());
        if rx.recv_timeout(left).is_err() {
            let _ = child.kill();
            panic!("the child did not acknowledge {ACKS_BEFORE_KILL} tickets in time");
        }
    }
    // SIGKILL on Unix: the child gets no chance to close, checkpoint or flush anything.
    child.kill().expect("kill the child");
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was killed, not finished");
    // Every id the child printed before it died was acknowledged, read or not yet.
    let acked = reader.join().unwrap();
    assert!(acked.len() >= ACKS_BEFORE_KILL);

    let store = SqliteStore::connect(&path)
        .await
        .expect("reopen after the kill");
    let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(integrity, vec!["ok".to_string()]);
    let found = store.get_tickets(tenant, &acked).await.unwrap();
    let found: Vec<TicketId> = found.iter().map(|t| t.id).collect();
    assert_eq!(found, acked, "every acknowledged ticket is there");
    // The history and the full-text rows came with them (one transaction per save).
    let events = store.ticket_events(tenant, acked[0]).await.unwrap();
    assert_eq!(events.len(), 1);
    let fts_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket_ticket_fts")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let tickets: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket_tickets")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(
        fts_rows, tickets,
        "no ticket without its text row, nor the reverse"
    );
    assert!(tickets >= i64::try_from(acked.len()).unwrap());
    println!(
        "{} tickets acknowledged before the kill, {tickets} stored (a save may commit \
         before its acknowledgement is printed)",
        acked.len()
    );
}
