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
//! finds the window's matches among the few thousand, and only those are read. A window
//! is cut by a count of tickets, not a span of time (at the creation times' quantiles in
//! PostgreSQL's statistics): sized by time, a window over a burst of creations held many
//! times its share of tickets, and PostgreSQL read every match from the heap to filter
//! them by time (40 ms for 3,500 matches in the load bench). Every way gives the same
//! page.

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

/// How much a window grows (in tickets) when it held too few matches.
const WIDEN: f64 = 4.0;

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
    /// the first sized to hold [`WINDOW_PAGES`] pages of matches (`estimate` of them
    /// spread evenly over the tenant's tickets), each next one [`WIDEN`] times as many
    /// tickets, until the page is full or the window holds every ticket. A window is cut
    /// by the creation times' quantiles (PostgreSQL's statistics of the tickets table),
    /// so that it holds its share of the tickets even where they were created in bursts;
    /// before the table is analysed, by the first and last creation times.
    async fn collect_by_windows(
        &self,
        tenant: TenantId,
        q: &TicketQuery,
        cursor: Option<&TicketCursor>,
        size: usize,
        estimate: f64,
    ) -> Result<Vec<Ticket>> {
        let quantiles = self.created_quantiles(tenant).await?;
        let (Some(first), Some(last)) = (quantiles.first(), quantiles.last()) else {
            return Ok(Vec::new());
        };
        let ascending = q.sort == TicketSort::CreatedAsc;
        // Where the page starts.
        let start = cursor.map_or(if ascending { *first } else { *last }, |c| c.at);
        let need = look_ahead(size) as f64;
        let mut share = WINDOW_PAGES * need / estimate.max(1.0);
        loop {
            let window = window_edge(&quantiles, start, share, ascending);
            let found = self.collect(tenant, q, cursor, size, window).await?;
            if window.is_none() || found.len() as f64 >= need {
                return Ok(found);
            }
            share *= WIDEN;
        }
    }

    /// The creation times cutting the tickets into equal shares, ascending: PostgreSQL's
    /// histogram of `created_at` when it has analysed the table, otherwise the tenant's
    /// first and last creation times (none when it has no ticket).
    async fn created_quantiles(&self, tenant: TenantId) -> Result<Vec<DateTime<Utc>>> {
        let histogram: Option<Vec<DateTime<Utc>>> = sqlx::query_scalar(
            "SELECT histogram_bounds::text::timestamptz[] FROM pg_stats
             WHERE schemaname = $1 AND tablename = 'tickets' AND attname = 'created_at'
             LIMIT 1",
        )
        .bind(self.schema())
        .fetch_optional(self.pool())
        .await
        .map_err(db)?
        .flatten();
        if let Some(bounds) = histogram.filter(|b| b.len() >= 2) {
            return Ok(bounds);
        }
        let (first, last): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) =
            sqlx::query_as(&format!(
                "SELECT min(created_at), max(created_at) FROM {} WHERE tenant = $1",
                self.tables().tickets
            ))
            .bind(tenant.as_uuid())
            .fetch_one(self.pool())
            .await
            .map_err(db)?;
        Ok(first.into_iter().chain(last).collect())
    }
}

/// Where a window of creation time starting at `start` ends to hold `share` of the
/// tickets, going back in time (or forward when `ascending`), by `quantiles` (ascending
/// creation times cutting the tickets into equal shares; tickets spread evenly in time
/// between two of them); `None` when it reaches the first (or last) one: the window is
/// every ticket from `start` on.
fn window_edge(
    quantiles: &[DateTime<Utc>],
    start: DateTime<Utc>,
    share: f64,
    ascending: bool,
) -> Option<DateTime<Utc>> {
    let buckets = quantiles.len().checked_sub(1).filter(|&b| b > 0)? as f64;
    // `start`'s place among the quantiles: 0 at the first, `buckets` at the last.
    let place = match quantiles.iter().position(|&q| q > start) {
        None => buckets,
        Some(0) => 0.0,
        Some(i) => {
            let (lo, hi) = (quantiles[i - 1], quantiles[i]);
            let within = micros(start - lo) / micros(hi - lo).max(1.0);
            (i - 1) as f64 + within
        }
    };
    let target = if ascending {
        place + share * buckets
    } else {
        place - share * buckets
    };
    if target <= 0.0 || target >= buckets || !target.is_finite() {
        return None;
    }
    // The time at `target`, between the quantiles around it.
    let i = target.floor() as usize;
    let (lo, hi) = (quantiles[i], quantiles[i + 1]);
    let offset = (micros(hi - lo) * (target - i as f64)) as i64;
    lo.checked_add_signed(Duration::microseconds(offset))
}

/// A duration in microseconds, as a float.
fn micros(d: Duration) -> f64 {
    d.num_microseconds().unwrap_or(i64::MAX) as f64
}

#[cfg(test)]
mod tests {
    use super::window_edge;
    use chrono::{DateTime, Duration, TimeZone, Utc};

    fn at(minutes: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    #[test]
    fn a_window_holds_its_share_of_tickets_where_they_came_in_a_burst() {
        // Two fifths of the tickets over a year, three fifths in its last ten minutes.
        let year = 365 * 24 * 60;
        let q = [
            at(0),
            at(year / 2),
            at(year),
            at(year + 5),
            at(year + 8),
            at(year + 10),
        ];
        // 10 % of the tickets back from the newest: within the burst, not half a year.
        let edge = window_edge(&q, at(year + 10), 0.1, false).unwrap();
        assert_eq!(edge, at(year + 9));
        // 80 %: the burst and the year's second half.
        let edge = window_edge(&q, at(year + 10), 0.8, false).unwrap();
        assert_eq!(edge, at(year / 2));
        // Forward from the first ticket, 10 %: a quarter of the year.
        let edge = window_edge(&q, at(0), 0.1, true).unwrap();
        assert_eq!(edge, at(year / 4));
        // Past either end: the whole rest.
        assert_eq!(window_edge(&q, at(year + 10), 1.0, false), None);
        assert_eq!(window_edge(&q, at(year / 2), 0.5, false), None);
        assert_eq!(window_edge(&q, at(year + 9), 0.3, true), None);
        // Two quantiles (no statistics yet: first and last ticket): evenly in time.
        assert_eq!(
            window_edge(&[at(0), at(100)], at(100), 0.25, false),
            Some(at(75))
        );
        // One ticket or none: no window.
        assert_eq!(window_edge(&[at(0)], at(0), 0.1, false), None);
        assert_eq!(window_edge(&[], at(0), 0.1, false), None);
    }
}
