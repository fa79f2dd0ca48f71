//! `list_tickets`: one SQL statement per query, every filter a `WHERE` clause on a real
//! column, keyset pagination by row comparison in the order of the sort's index.

use crate::connect::PostgresStore;
use crate::errors::db;
use crate::rows::{self, look_ahead, page_of, page_size};
use sqlx::postgres::PgArguments;
use sqlx::{Arguments as _, Encode, Postgres, Type};
use ticket_core::id::TenantId;
use ticket_core::query::{
    search_words, AssigneeFilter, Page, TicketCursor, TicketQuery, TicketSort,
};
use ticket_core::ticket::Ticket;
use ticket_core::{Error, Result};

use crate::tickets::category_name;

/// A `WHERE` clause in the making, with its arguments.
struct Filter {
    clauses: Vec<String>,
    args: PgArguments,
    next: usize,
}

impl Filter {
    fn new() -> Self {
        Self {
            clauses: Vec::new(),
            args: PgArguments::default(),
            next: 1,
        }
    }

    /// Binds `value` and returns its placeholder (`$n`).
    fn bind<'q, T>(&mut self, value: T) -> Result<String>
    where
        T: Encode<'q, Postgres> + Type<Postgres> + Send + 'q,
    {
        self.args.add(value).map_err(Error::Store)?;
        let p = format!("${}", self.next);
        self.next += 1;
        Ok(p)
    }

    fn push(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    /// `column = $n` for one value, `column = ANY($n)` for several, nothing for none. A
    /// single value is bound as a plain equality so that the planner can walk the
    /// column's index in order (PostgreSQL 15 gives up index order for `= ANY` on a
    /// column after the first).
    fn any_of<T>(&mut self, column: &str, values: Vec<T>) -> Result<()>
    where
        T: for<'q> Encode<'q, Postgres> + Type<Postgres> + sqlx::postgres::PgHasArrayType + Send,
    {
        match values.len() {
            0 => {}
            1 => {
                let mut values = values;
                if let Some(v) = values.pop() {
                    let p = self.bind(v)?;
                    self.push(format!("{column} = {p}"));
                }
            }
            _ => {
                let p = self.bind(values)?;
                self.push(format!("{column} = ANY({p})"));
            }
        }
        Ok(())
    }
}

/// `ORDER BY` of a sort, matching its index, on the columns of `table` (`""` or `"k."`).
fn order_by(sort: TicketSort, table: &str) -> String {
    let t = table;
    match sort {
        TicketSort::CreatedDesc => format!("{t}created_at DESC, {t}id DESC"),
        TicketSort::CreatedAsc => format!("{t}created_at, {t}id"),
        TicketSort::UpdatedDesc => format!("{t}updated_at DESC, {t}id DESC"),
        TicketSort::PriorityDesc => {
            format!("{t}priority DESC, {t}created_at DESC, {t}id DESC")
        }
    }
}

/// A text search expecting at most this many matches (the planner's estimate) collects
/// them through the full-text GIN index and sorts them; above it, it walks the sort's
/// index and checks the text on the way, stopping at the page's end.
///
/// PostgreSQL chooses between the two itself, but with its default cost settings
/// (`random_page_cost = 4`, made for disks that seek) it walks far too long for words
/// that are neither common nor rare: two words found together in 0.2 % of a million
/// tickets cost a walk over ~14,000 rows (40+ ms) where collecting their ~2,000 matches
/// takes ~10 ms. The walk costs about `page / share` rows and the collection about
/// `share × rows`; they meet near `sqrt(page × rows)`, a few thousand at a million.
pub(crate) const COLLECT_MAX: f64 = 5_000.0;

/// The keyset predicate: rows strictly after the cursor in the sort's order (what
/// [`TicketCursor::precedes`] decides in memory).
fn after_cursor(f: &mut Filter, c: &TicketCursor) -> Result<()> {
    let at = f.bind(c.at)?;
    let id = f.bind(c.id.as_uuid())?;
    let clause = match c.sort {
        TicketSort::CreatedDesc => format!("(created_at, id) < ({at}, {id})"),
        TicketSort::CreatedAsc => format!("(created_at, id) > ({at}, {id})"),
        TicketSort::UpdatedDesc => format!("(updated_at, id) < ({at}, {id})"),
        TicketSort::PriorityDesc => {
            let rank = f.bind(i16::from(c.rank))?;
            format!("(priority, created_at, id) < ({rank}, {at}, {id})")
        }
    };
    f.push(clause);
    Ok(())
}

/// Every filter of `q` (see [`TicketQuery::matches`]) as `WHERE` clauses.
fn filters(f: &mut Filter, tenant: TenantId, q: &TicketQuery) -> Result<()> {
    let p = f.bind(tenant.as_uuid())?;
    f.push(format!("tenant = {p}"));
    f.any_of(
        "status",
        q.statuses.iter().map(|s| s.as_str().to_string()).collect(),
    )?;
    f.any_of(
        "status_category",
        q.status_categories
            .iter()
            .map(|c| category_name(*c).to_string())
            .collect(),
    )?;
    f.any_of(
        "priority",
        q.priorities.iter().map(|p| i16::from(p.rank())).collect(),
    )?;
    f.any_of(
        "category",
        q.categories
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
    )?;
    if !q.tags.is_empty() {
        let tags: Vec<String> = q.tags.iter().map(|t| t.as_str().to_string()).collect();
        let p = f.bind(tags)?;
        f.push(format!("tags @> {p}::text[]"));
    }
    match q.assignee {
        None => {}
        Some(AssigneeFilter::Unassigned) => f.push("assignee IS NULL".to_string()),
        Some(AssigneeFilter::User(u)) => {
            let p = f.bind(u.as_uuid())?;
            f.push(format!("assignee = {p}"));
        }
    }
    if let Some(team) = q.team {
        let p = f.bind(team.as_uuid())?;
        f.push(format!("team = {p}"));
    }
    if let Some(r) = q.requester {
        let p = f.bind(r.as_uuid())?;
        f.push(format!("requester = {p}"));
    }
    if let Some(after) = q.created_after {
        let p = f.bind(after)?;
        f.push(format!("created_at >= {p}"));
    }
    if let Some(before) = q.created_before {
        let p = f.bind(before)?;
        f.push(format!("created_at < {p}"));
    }
    if let Some(text) = &q.text {
        // The words as `TicketQuery::matches` cuts them; none means no text filter. Only
        // letters and digits reach PostgreSQL, so no query syntax can slip in, and
        // `plainto_tsquery` ANDs them all, like `matches`.
        let words = search_words(text);
        if !words.is_empty() {
            let p = f.bind(words.join(" "))?;
            f.push(format!("search @@ plainto_tsquery('simple', {p})"));
        }
    }
    Ok(())
}

/// Whether `q` searches text (with at least one word).
fn has_words(q: &TicketQuery) -> bool {
    q.text
        .as_deref()
        .is_some_and(|t| !search_words(t).is_empty())
}

/// The filters and the cursor of a list, as one `WHERE` clause with its arguments.
fn where_clause(
    tenant: TenantId,
    q: &TicketQuery,
    cursor: Option<&TicketCursor>,
) -> Result<Filter> {
    let mut f = Filter::new();
    filters(&mut f, tenant, q)?;
    if let Some(c) = cursor {
        after_cursor(&mut f, c)?;
    }
    Ok(f)
}

impl PostgresStore {
    /// The planner's estimate of the rows matching `f`.
    async fn estimated_rows(&self, f: Filter) -> Result<f64> {
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

    /// `TicketStore::list_tickets`.
    pub(crate) async fn list(&self, tenant: TenantId, q: &TicketQuery) -> Result<Page<Ticket>> {
        let sort = q.sort;
        let cursor = q
            .cursor
            .as_deref()
            .map(|c| TicketCursor::decode(c, sort))
            .transpose()?;
        let size = page_size(q.limit);
        let collect = has_words(q)
            && self
                .estimated_rows(where_clause(tenant, q, cursor.as_ref())?)
                .await?
                <= self.text_collect_max();
        let mut f = where_clause(tenant, q, cursor.as_ref())?;
        let limit = f.bind(look_ahead(size))?;
        let tickets = &self.tables().tickets;
        let sql = if collect {
            // Every match (through the GIN index), sorted; then the page's documents.
            format!(
                "WITH m AS MATERIALIZED (
                     SELECT id, created_at, updated_at, priority FROM {tickets} WHERE {w})
                 SELECT t.doc
                 FROM (SELECT * FROM m ORDER BY {order} LIMIT {limit}) k
                 JOIN {tickets} t ON t.id = k.id
                 ORDER BY {order_k}",
                w = f.clauses.join(" AND "),
                order = order_by(sort, ""),
                order_k = order_by(sort, "k."),
            )
        } else {
            format!(
                "SELECT doc FROM {tickets} WHERE {} ORDER BY {} LIMIT {limit}",
                f.clauses.join(" AND "),
                order_by(sort, ""),
            )
        };
        let found = sqlx::query_with(&sql, f.args)
            .fetch_all(self.pool())
            .await
            .map_err(db)?;
        let items: Vec<Ticket> = rows::docs(&found)?;
        Ok(page_of(items, size, |t| {
            TicketCursor::after(t, sort).encode()
        }))
    }
}
