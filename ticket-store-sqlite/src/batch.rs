//! Group commit of ticket saves. Concurrent `save` calls queue their changes; one writer
//! task at a time takes the store's write turn, then every change queued by then (up to
//! [`MAX_BATCH`]), and applies them in one transaction, each inside a savepoint of its
//! own: a change that fails (a stale version, a taken id) is rolled back alone and gets
//! its error, the others commit together. Every caller gets its result only after the
//! commit, so an acknowledged save is always stored, and the outcome of each change is
//! exactly what it would be had the changes been saved one after the other. Under
//! concurrency this turns many small commits (each writing its pages to the WAL) into a
//! few larger ones.

use crate::tickets::{save_in, Columns};
use crate::SqliteStore;
use sqlx::sqlite::SqliteConnection;
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, MutexGuard, PoisonError};
use ticket_core::error::{Error, Result};
use ticket_core::ports::TicketChange;
use tokio::sync::oneshot;

/// The most changes one transaction takes.
const MAX_BATCH: usize = 64;

/// One queued save and where its outcome goes.
pub(crate) struct Job {
    change: TicketChange,
    cols: Columns,
    done: oneshot::Sender<Result<()>>,
}

/// The saves waiting for the writer, and whether a writer task is running.
#[derive(Default)]
pub(crate) struct Queue {
    jobs: VecDeque<Job>,
    writing: bool,
}

/// A save whose writer stopped before it ran: it was not stored.
#[derive(Debug)]
struct WriterStopped;

impl fmt::Display for WriterStopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the store's writer stopped before this change was written")
    }
}

impl std::error::Error for WriterStopped {}

/// Clears the `writing` flag (and drops the jobs left, whose callers then learn they were
/// not stored) if the writer ends other than by finding the queue empty.
struct Writing<'a> {
    store: &'a SqliteStore,
    armed: bool,
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut q = self.store.queue();
            q.writing = false;
            q.jobs.clear();
        }
    }
}

impl SqliteStore {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        // Nothing is left half-done under this lock: a poisoned one is taken over.
        self.inner
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a change for the writer (starting one when none runs) and waits for its
    /// outcome.
    pub(crate) async fn save_batched(&self, change: TicketChange, cols: Columns) -> Result<()> {
        let (done, outcome) = oneshot::channel();
        let start = {
            let mut q = self.queue();
            q.jobs.push_back(Job { change, cols, done });
            !std::mem::replace(&mut q.writing, true)
        };
        if start {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    // A task of its own, so a caller giving up cannot stop a batch midway.
                    let store = self.clone();
                    drop(runtime.spawn(async move { store.drain().await }));
                }
                Err(_) => self.drain().await,
            }
        }
        outcome
            .await
            .unwrap_or_else(|_| Err(Error::store(WriterStopped)))
    }

    /// Writes batches until the queue is empty.
    async fn drain(&self) {
        let mut writing = Writing {
            store: self,
            armed: true,
        };
        loop {
            {
                let mut q = self.queue();
                if q.jobs.is_empty() {
                    q.writing = false;
                    writing.armed = false;
                    return;
                }
            }
            // Take the write turn first: what queues meanwhile joins this batch.
            let write = self.write().await;
            let jobs: Vec<Job> = {
                let mut q = self.queue();
                let n = q.jobs.len().min(MAX_BATCH);
                q.jobs.drain(..n).collect()
            };
            let mut w = match write {
                Ok(w) => w,
                Err(e) => {
                    let e = Arc::new(e);
                    for job in jobs {
                        let _ = job.done.send(Err(Error::store(Arc::clone(&e))));
                    }
                    continue;
                }
            };
            let outcomes = match apply(&mut w.tx, &jobs).await {
                // Nothing to keep (a lone change that failed is not behind a savepoint).
                Ok(outcomes) if outcomes.iter().all(Result::is_err) => {
                    let _ = w.tx.rollback().await;
                    outcomes
                }
                Ok(outcomes) => match w.tx.commit().await {
                    Ok(()) => outcomes,
                    Err(e) => fail_all(outcomes, e),
                },
                Err(e) => {
                    let _ = w.tx.rollback().await;
                    fail_all(jobs.iter().map(|_| Ok(())).collect(), e)
                }
            };
            for (job, outcome) in jobs.into_iter().zip(outcomes) {
                // The caller may have stopped waiting; the change is stored all the same.
                let _ = job.done.send(outcome);
            }
        }
    }
}

/// Replaces every success by the failure that undid it (the commit's, or a savepoint's).
fn fail_all(outcomes: Vec<Result<()>>, e: sqlx::Error) -> Vec<Result<()>> {
    let e = Arc::new(e);
    outcomes
        .into_iter()
        .map(|o| o.and_then(|()| Err(Error::store(Arc::clone(&e)))))
        .collect()
}

/// Applies every job in its own savepoint; the outcome of each. Fails as a whole only when
/// a savepoint itself fails (the transaction is then in an unknown state).
async fn apply(
    conn: &mut SqliteConnection,
    jobs: &[Job],
) -> std::result::Result<Vec<Result<()>>, sqlx::Error> {
    if let [job] = jobs {
        // Alone in its transaction: a failure rolls the whole transaction back.
        return Ok(vec![save_in(conn, &job.change, &job.cols).await]);
    }
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in jobs {
        sqlx::query("SAVEPOINT ticket_change")
            .execute(&mut *conn)
            .await?;
        let outcome = save_in(conn, &job.change, &job.cols).await;
        if outcome.is_err() {
            sqlx::query("ROLLBACK TO ticket_change")
                .execute(&mut *conn)
                .await?;
        }
        sqlx::query("RELEASE ticket_change")
            .execute(&mut *conn)
            .await?;
        outcomes.push(outcome);
    }
    Ok(outcomes)
}
