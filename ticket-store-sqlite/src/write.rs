//! The write path: every write of the store runs in one `BEGIN IMMEDIATE` transaction
//! while holding the store's write mutex, so writers of one store queue in order instead
//! of racing for SQLite's single write lock (no `SQLITE_BUSY`), and a write that checks
//! something first (a version, a uniqueness, a claim) holds the lock from its first read.

use crate::rows::db;
use crate::SqliteStore;
use sqlx::{Sqlite, Transaction};
use std::time::{Duration, Instant};
use ticket_core::error::{Error, Result};
use tokio::sync::MutexGuard;

/// How long a write keeps retrying `BEGIN IMMEDIATE` while another process holds the
/// write lock (each attempt already waits the busy timeout inside SQLite).
const LOCK_PATIENCE: Duration = Duration::from_secs(120);

/// An open write transaction and the store's write turn.
pub(crate) struct Write<'a> {
    pub(crate) tx: Transaction<'static, Sqlite>,
    _turn: MutexGuard<'a, ()>,
}

impl Write<'_> {
    /// Commits when `result` is `Ok`, rolls back otherwise; returns `result` (or the
    /// commit's failure).
    pub(crate) async fn finish<T>(self, result: Result<T>) -> Result<T> {
        match result {
            Ok(value) => {
                self.tx.commit().await.map_err(db)?;
                Ok(value)
            }
            Err(e) => {
                // The rollback error, if any, matters less than why the write failed; the
                // connection discards a transaction it could not roll back.
                let _ = self.tx.rollback().await;
                Err(e)
            }
        }
    }
}

/// Whether a driver error says the database is locked by another connection.
fn is_busy(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .and_then(|code| code.parse::<i32>().ok())
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
        .is_some_and(|code| matches!(code & 0xff, 5 | 6))
}

impl SqliteStore {
    /// Waits for the store's write turn, then opens a `BEGIN IMMEDIATE` transaction
    /// (retrying while another process holds the lock, up to [`LOCK_PATIENCE`]).
    pub(crate) async fn write(&self) -> Result<Write<'_>> {
        let turn = self.inner.write.lock().await;
        let started = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            match self.inner.pool.begin_with("BEGIN IMMEDIATE").await {
                Ok(tx) => return Ok(Write { tx, _turn: turn }),
                Err(e) if is_busy(&e) && started.elapsed() < LOCK_PATIENCE => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(500));
                }
                Err(e) => return Err(Error::store(e)),
            }
        }
    }
}
