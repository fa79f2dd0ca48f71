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

use crate::change::category_name;

/// A `WHERE` clause in the making, with its arguments.
pub(crate) struct Filter {
    pub clauses: Vec<String>,
    pub args: PgArguments,
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
    pub fn bind<'q, T>(&mut self, value: T) -> Result<String>
    where
        T: Encode<'q, Postgres> + Type<Postgres> + Send + 'q,
    {
        self.args.add(value).map_err(Error::Store)?;
        let p = format!("${}", self.next);
        self.next += 1;
        Ok(p)
    }

    pub fn push(&mut self, clause: String) {
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
pub(crate) fn order_by(sort: TicketSort, table: &str) -> String {
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
pub(crate) fn where_clause(
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
    /// `TicketStore::list_tickets`.
    pub(crate) async fn list(&self, tenant: TenantId, q: &TicketQuery) -> Result<Page<Ticket>> {
        let sort = q.sort;
        let cursor = q
            .cursor
            .as_deref()
            .map(|c| TicketCursor::decode(c, sort))
            .transpose()?;
        let size = page_size(q.limit);
        let items = if has_words(q) {
            self.search(tenant, q, cursor.as_ref(), size).await?
        } else {
            self.walk(tenant, q, cursor.as_ref(), size).await?
        };
        Ok(page_of(items, size, |t| {
            TicketCursor::after(t, sort).encode()
        }))
    }

    /// Up to `size + 1` tickets after the cursor: the sort's index walked in order, every
    /// filter checked on the way.
    pub(crate) async fn walk(
        &self,
        tenant: TenantId,
        q: &TicketQuery,
        cursor: Option<&TicketCursor>,
        size: usize,
    ) -> Result<Vec<Ticket>> {
        let mut f = where_clause(tenant, q, cursor)?;
        let limit = f.bind(look_ahead(size))?;
        let sql = format!(
            "SELECT doc FROM {} WHERE {} ORDER BY {} LIMIT {limit}",
            self.tables().tickets,
            f.clauses.join(" AND "),
            order_by(q.sort, ""),
        );
        let found = sqlx::query_with(&sql, f.args)
            .fetch_all(self.pool())
            .await
            .map_err(db)?;
        rows::docs(&found)
    }
}
