//! Connections kept out of the pool for the inserts of new tickets.
//!
//! `sqlx` 0.8 tests every connection given back to a pool with a round trip of its own
//! (a `Sync`, answered by `ReadyForQuery`), on a task it spawns once the caller has its
//! answer. So a create on a pool connection cost PostgreSQL two round trips, and this
//! process a task, two system calls and a wake-up more. The inserts of new tickets (a
//! lone create or a group, see [`crate::group`]) run instead on connections detached from
//! the pool and kept here between inserts: at most [`KEEP`] idle, one per insert lane,
//! beyond the pool's `max_connections` (as the publisher's connection, see
//! [`crate::publish`]).
//!
//! A connection is kept again only when its statement was answered, with rows or with an
//! error from PostgreSQL (the driver reads up to the next `ReadyForQuery` before it sends
//! anything more). One whose statement was cut short, by a caller that stopped waiting
//! or a broken socket, is closed. Like the pool, the store closes an idle connection past
//! the pool's idle timeout or maximum lifetime instead of using it, and once the host has
//! closed the pool, inserts fail as the pool's statements do and the kept connections
//! close.

use crate::connect::PostgresStore;
use crate::errors::db;
use crate::group::IN_FLIGHT;
use sqlx::postgres::{PgArguments, PgConnection};
use sqlx::query::QueryScalar;
use sqlx::Postgres;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use ticket_core::Result;

/// How many idle connections a store keeps for inserts: one per insert lane.
const KEEP: usize = IN_FLIGHT;

/// A connection taken for inserts, and when.
struct Taken {
    conn: PgConnection,
    /// When the store took it from the pool.
    opened: Instant,
    /// When its last statement ended.
    idle_since: Instant,
}

/// The idle insert connections of one store.
#[derive(Default)]
pub(crate) struct Kept {
    idle: Mutex<Vec<Taken>>,
}

impl Kept {
    /// The idle connections, locked.
    fn idle(&self) -> MutexGuard<'_, Vec<Taken>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether `age` is within `limit` (no limit: always).
fn within(age: Duration, limit: Option<Duration>) -> bool {
    limit.is_none_or(|limit| age < limit)
}

impl PostgresStore {
    /// Runs an insert statement on a kept connection (one detached from the pool when
    /// none is idle); returns its one value.
    ///
    /// # Errors
    /// The statement's errors as [`db`] types them; [`Error::Store`](ticket_core::Error::Store)
    /// when no connection can be had from the pool.
    pub(crate) async fn insert_scalar(
        &self,
        q: QueryScalar<'_, Postgres, i64, PgArguments>,
    ) -> Result<i64> {
        if self.pool().is_closed() {
            // The host closed the pool: the kept connections close with it (outside the lock).
            let closing = std::mem::take(&mut *self.kept().idle());
            drop(closing);
            return Err(db(sqlx::Error::PoolClosed));
        }
        let mut taken = match self.idle_insert_connection() {
            Some(taken) => taken,
            None => {
                let conn = self.pool().acquire().await.map_err(db)?.detach();
                let now = Instant::now();
                Taken {
                    conn,
                    opened: now,
                    idle_since: now,
                }
            }
        };
        // Dropped while waiting, `taken` closes its connection: it may be mid-statement.
        let outcome = q.fetch_one(&mut taken.conn).await;
        if matches!(outcome, Ok(_) | Err(sqlx::Error::Database(_))) {
            taken.idle_since = Instant::now();
            let mut idle = self.kept().idle();
            if idle.len() < KEEP {
                idle.push(taken);
            }
        }
        outcome.map_err(db)
    }

    /// The most recently used idle insert connection within the pool's idle timeout and
    /// maximum lifetime; the others past them are closed.
    fn idle_insert_connection(&self) -> Option<Taken> {
        let options = self.pool().options();
        let (idle_timeout, max_lifetime) = (options.get_idle_timeout(), options.get_max_lifetime());
        let now = Instant::now();
        let mut stale = Vec::new();
        let found = {
            let mut idle = self.kept().idle();
            loop {
                match idle.pop() {
                    Some(t)
                        if within(now - t.idle_since, idle_timeout)
                            && within(now - t.opened, max_lifetime) =>
                    {
                        break Some(t)
                    }
                    Some(t) => stale.push(t),
                    None => break None,
                }
            }
        };
        // Closed outside the lock.
        drop(stale);
        found
    }
}
