//! Full-text search pages, fast whatever share of the tickets the words match.
//!
//! A page of a text search can be found two ways, and neither is good for every word:
//!
//! - *walk* the sort's index and check the words on each ticket until the page is full:
//!   about `page / share` tickets read, cheap for common words, ruinous for rare ones;
//! - *collect* the matches through the full-text GIN index and sort them: every match
//!   read, cheap for rare words, ruinous for common ones.
//!
//! PostgreSQL picks between them by its cost settings; with the defaults
//! (`random_page_cost = 4`, for disks that seek) it walks far too long for words that are
//! neither common nor rare: two words found together in 0.2 % of a million tickets cost a
//! walk over ~14,000 tickets (40+ ms). So the store decides, from the planner's estimate
//! of the matches: above [`COLLECT_MAX`] it walks; at or below it collects, and for the
//! created-at orders only within a window of creation time sized (from the estimate) to
//! hold about two pages of matches, widened until the page is full. The GIN index then
//! finds the window's matches among the few thousand, and only those are read. Every
//! way gives the same page.

use crate::connect::PostgresStore;
use crate::errors::db;
use crate::list::{order_by, where_clause};
use crate::rows::{self, look_ahead};
use chrono::{DateTime, Duration, Utc};
use ticket_core::id::TenantId;
use ticket_core::query::{TicketCursor, TicketQuery, TicketSort};
use ticket_core::ticket::Ticket;
use ticket_core::Result;

/// The most matches (as the planner estimates them) a text search collects rather than
/// walks: the walk reads about `page / share` tickets and the collection `share × rows`;
/// they meet near `sqrt(page × rows)`, a few thousand at a million tickets.
pub(crate) const COLLECT_MAX: f64 = 5_000.0;

/// How many pages of matches a first window is sized to hold (the estimate is rough).
const WINDOW_PAGES: f64 = 2.0;

/// How much a window grows when it held too few matches.
const WIDEN: i64 = 4;

impl PostgresStore {
    /// Up to `size + 1` tickets matching `q` (which has words) after the cursor.
    pub(crate) async fn search(
        &self,
        tenant: TenantId,
        q: &TicketQuery,
        cursor: Option<&TicketCursor>,
        size: usize,
    ) -> Result<Vec<Ticket>> {
        let estimate = self
            .estimated_rows(where_clause(tenant, q, cursor)?)
            .await?;
        if estimate > self.text_collect_max() {
            return self.walk(tenant, q, cursor, size).await;
        }
        match q.sort {
            TicketSort::CreatedDesc | TicketSort::CreatedAsc => {
                self.collect_by_windows(tenant, q, cursor, size, estimate)
                    .await
            }
            TicketSort::UpdatedDesc | TicketSort::PriorityDesc => {
                self.collect(tenant, q, cursor, size, None).await
            }
        }
    }

    /// The planner's estimate of the tickets a `WHERE` clause matches.
    async fn estimated_rows(&self, f: crate::list::Filter) -> Result<f64> {
        let sql = format!(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM {} WHERE {}",
            self.tables().tickets,
            f.clauses.join(" AND ")
        );
        let plan: sqlx::types::Json<serde_json::Value> = sqlx::query_scalar_with(&sql, f.args)
            .fetch_one(self.pool())
            .await
            .map_err(db)?;
        Ok(plan
            .0
            .pointer("/0/Plan/Plan Rows")
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(f64::MAX))
    }

    /// Every match (with `window`: created at or after it for a descending order, at or
    /// before it for an ascending one), sorted; then the documents of the first
    /// `size + 1`.
    async fn collect(
        &self,
        tenant: TenantId,
        q: &TicketQuery,
        cursor: Option<&TicketCursor>,
        size: usize,
        window: Option<DateTime<Utc>>,
    ) -> Result<Vec<Ticket>> {
        let mut f = where_clause(tenant, q, cursor)?;
        if let Some(edge) = window {
            let p = f.bind(edge)?;
            f.push(if q.sort == TicketSort::CreatedAsc {
                format!("created_at <= {p}")
            } else {
                format!("created_at >= {p}")
            });
        }
        let limit = f.bind(look_ahead(size))?;
        let tickets = &self.tables().tickets;
        // Materialised: the matches are gathered whole (through the GIN index) before
        // they are sorted, never by walking the sort's index.
        let sql = format!(
            "WITH m AS MATERIALIZED (
                 SELECT id, created_at, updated_at, priority FROM {tickets} WHERE {w})
             SELECT t.doc
             FROM (SELECT * FROM m ORDER BY {order} LIMIT {limit}) k
             JOIN {tickets} t ON t.id = k.id
             ORDER BY {order_k}",
            w = f.clauses.join(" AND "),
            order = order_by(q.sort, ""),
            order_k = order_by(q.sort, "k."),
        );
        let found = sqlx::query_with(&sql, f.args)
            .fetch_all(self.pool())
            .await
            .map_err(db)?;
        rows::docs(&found)
    }

    /// [`PostgresStore::collect`] within windows of creation time from the page's start,
    /// the first sized from `estimate` (matches spread evenly over the tenant's time),
    /// each next one [`WIDEN`] times wider, until the page is full or the window holds
    /// every ticket.
    async fn collect_by_windows(
        &self,
        tenant: TenantId,
        q: &TicketQuery,
        cursor: Option<&TicketCursor>,
        size: usize,
        estimate: f64,
    ) -> Result<Vec<Ticket>> {
        let (first, last): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) =
            sqlx::query_as(&format!(
                "SELECT min(created_at), max(created_at) FROM {} WHERE tenant = $1",
                self.tables().tickets
            ))
            .bind(tenant.as_uuid())
            .fetch_one(self.pool())
            .await
            .map_err(db)?;
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(Vec::new());
        };
        let ascending = q.sort == TicketSort::CreatedAsc;
        // Where the page starts, and the far end of the tenant's tickets.
        let (start, end) = match (ascending, cursor) {
            (false, c) => (c.map_or(last, |c| c.at), first),
            (true, c) => (c.map_or(first, |c| c.at), last),
        };
        let span = (end - start)
            .num_microseconds()
            .unwrap_or(i64::MAX)
            .abs()
            .max(1);
        let need = look_ahead(size) as f64;
        let share = (WINDOW_PAGES * need / estimate.max(1.0)).min(1.0);
        let mut width = ((span as f64 * share) as i64).max(1);
        loop {
            let edge = if ascending {
                start.checked_add_signed(Duration::microseconds(width))
            } else {
                start.checked_sub_signed(Duration::microseconds(width))
            };
            let whole = edge.is_none_or(|e| if ascending { e >= end } else { e <= end });
            let window = if whole { None } else { edge };
            let found = self.collect(tenant, q, cursor, size, window).await?;
            if whole || found.len() as f64 >= need {
                return Ok(found);
            }
            width = width.saturating_mul(WIDEN);
        }
    }
}
