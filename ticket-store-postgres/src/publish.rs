//! Group publishing: concurrent `publish` calls of one store share one `pg_notify`
//! statement.
//!
//! Every statement costs a pool checkout (and `sqlx` tests each connection it takes back
//! with a round trip of its own); under load, each ticket change would spend one just to
//! publish a few small notifications. So publishes queue up for one task that sends
//! whatever has queued in one statement, in queue order, and tells every caller how it
//! went: each caller still waits for its own events to be sent (and gets the error if
//! they were not), and a lone publish costs one statement as before.
//!
//! The task keeps the connection it sends on, detached from the pool (a new one after an
//! error): taking one from the pool for every batch would queue the publish behind every
//! statement waiting for a connection, so that under load each ticket change waited for
//! the pool twice, once to save and once to publish. Detached, it is one connection
//! beyond the pool's `max_connections` (unlike the `LISTEN` connections, which `sqlx`'s
//! `PgListener` takes from the pool), and even a pool of one keeps its connection for the
//! store's statements.

use crate::connect::PostgresStore;
use sqlx::postgres::{PgConnection, PgPool};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use ticket_core::{Error, Result};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// The most publish calls one statement carries.
const MAX_BATCH: usize = 256;
/// How many publish calls may wait for the sender.
const QUEUE: usize = 1024;

/// One publish call: its payloads, and where to say how it went.
struct Request {
    payloads: Vec<String>,
    done: oneshot::Sender<std::result::Result<(), Failed>>,
}

/// A failed send, shared by every caller of the batch (the driver error stays the
/// source).
#[derive(Debug, Clone)]
struct Failed(Arc<sqlx::Error>);

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the events could not be published")
    }
}

impl std::error::Error for Failed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// The sender task of one store, started by the first publish (and again if its
/// runtime went away).
#[derive(Default)]
pub(crate) struct Publisher {
    running: Mutex<Option<(mpsc::Sender<Request>, JoinHandle<()>)>>,
}

impl Drop for Publisher {
    fn drop(&mut self) {
        let running = self
            .running
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, task)) = running.take() {
            task.abort();
        }
    }
}

/// Sends what has queued, batch after batch, until every sender is gone, on a
/// connection of its own (opened when the first batch comes, and again after an error).
async fn send_batches(mut queue: mpsc::Receiver<Request>, pool: PgPool, channel: String) {
    let mut conn: Option<PgConnection> = None;
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(more) => batch.push(more),
                Err(_) => break,
            }
        }
        let payloads: Vec<&str> = batch
            .iter()
            .flat_map(|r| r.payloads.iter().map(String::as_str))
            .collect();
        let sent = send(&mut conn, &pool, &channel, payloads).await;
        for r in batch {
            // A caller that stopped waiting does not need to know.
            let _ = r.done.send(sent.clone());
        }
    }
}

/// Sends one batch on `conn` (detaching a new one from `pool` when there is none;
/// dropping it on an error, which may have broken it).
async fn send(
    conn: &mut Option<PgConnection>,
    pool: &PgPool,
    channel: &str,
    payloads: Vec<&str>,
) -> std::result::Result<(), Failed> {
    let failed = |e| Failed(Arc::new(e));
    let c = match conn {
        Some(c) => c,
        None => conn.insert(pool.acquire().await.map_err(failed)?.detach()),
    };
    // One statement: the notifications go out in array order when it commits.
    let sent = sqlx::query("SELECT count(pg_notify($1, p)) FROM unnest($2::text[]) AS p")
        .bind(channel)
        .bind(payloads)
        .execute(&mut *c)
        .await;
    if sent.is_err() {
        *conn = None;
    }
    sent.map(drop).map_err(failed)
}

impl PostgresStore {
    /// The queue of the sender task, starting the task when there is none.
    fn publish_queue(&self) -> mpsc::Sender<Request> {
        let publisher = self.publisher();
        let mut running = publisher
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((queue, task)) = running.as_ref() {
            if !task.is_finished() && !queue.is_closed() {
                return queue.clone();
            }
        }
        let (queue, rx) = mpsc::channel(QUEUE);
        let task = tokio::spawn(send_batches(
            rx,
            self.pool().clone(),
            self.channel().to_string(),
        ));
        *running = Some((queue.clone(), task));
        queue
    }

    /// Sends `payloads` on the store's channel, in order, after every payload queued
    /// before them.
    pub(crate) async fn publish_payloads(&self, payloads: Vec<String>) -> Result<()> {
        let gone = || Error::store("the event publisher stopped");
        let (done, outcome) = oneshot::channel();
        self.publish_queue()
            .send(Request { payloads, done })
            .await
            .map_err(|_| gone())?;
        outcome.await.map_err(|_| gone())?.map_err(Error::store)
    }
}
