//! `TicketStore::list_tickets`: the filters of [`TicketQuery::matches`] in SQL, FTS5 for
//! the text, and keyset pagination on the sort's columns with one look-ahead row.
//!
//! The page is chosen on the narrow ticket rows and only its documents are read. With a
//! text, the store first asks FTS5 how many tickets match (counting no further than
//! [`FEW_MATCHES`]): a rare text is searched from its matches (sorting at most that
//! many), a common one by walking the sort's index and checking each ticket against the
//! matches, which stops as soon as the page is full.

use crate::cursor::{page_of, page_size};
use crate::rows::{db, from_doc, micros, micros_ceil, status_category};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

/// Up to this many text matches (over all tenants), a search starts from the matches.
const FEW_MATCHES: i64 = 2_000;
use ticket_core::error::Result;
use ticket_core::id::TenantId;
use ticket_core::query::{
    search_words, AssigneeFilter, Page, TicketCursor, TicketQuery, TicketSort,
};
use ticket_core::ticket::Ticket;

/// The FTS5 query for the words of `text`: each word quoted (so it is a plain token,
/// never an operator) and all of them required. `None` when the text holds no word, which
/// does not filter (as [`TicketQuery::matches`]).
pub(crate) fn match_expression(text: &str) -> Option<String> {
    let words = search_words(text);
    if words.is_empty() {
        return None;
    }
    let quoted: Vec<String> = words
        .iter()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    Some(quoted.join(" "))
}

/// Appends ` AND <column> IN (…)` for a non-empty list.
fn push_in<'a, T>(
    q: &mut QueryBuilder<'a, Sqlite>,
    column: &str,
    values: impl IntoIterator<Item = T>,
) where
    T: 'a + sqlx::Encode<'a, Sqlite> + sqlx::Type<Sqlite> + Send,
{
    let mut values = values.into_iter().peekable();
    if values.peek().is_none() {
        return;
    }
    q.push(" AND ").push(column).push(" IN (");
    let mut list = q.separated(", ");
    for v in values {
        list.push_bind(v);
    }
    q.push(")");
}

/// A page of the tenant's tickets matching `query`.
pub(crate) async fn list_tickets(
    pool: &SqlitePool,
    tenant: TenantId,
    query: &TicketQuery,
) -> Result<Page<Ticket>> {
    let sort = query.sort;
    let cursor = query
        .cursor
        .as_deref()
        .map(|c| TicketCursor::decode(c, sort))
        .transpose()?;
    let size = page_size(query.limit);

    let text = query.text.as_deref().and_then(match_expression);
    let from_matches = match &text {
        Some(expr) => few_matches(pool, expr).await?,
        None => false,
    };

    // Only the sort's own columns, so that an index holding them all covers the page.
    let keys = match sort {
        TicketSort::CreatedDesc | TicketSort::CreatedAsc => "t.created_at, t.id",
        TicketSort::UpdatedDesc => "t.updated_at, t.id",
        TicketSort::PriorityDesc => "t.priority, t.created_at, t.id",
    };
    let mut q =
        QueryBuilder::<Sqlite>::new(format!("SELECT d.doc FROM (SELECT t.seq, {keys} FROM "));
    if from_matches {
        // The matches drive; CROSS JOIN keeps SQLite from reordering the loop.
        q.push(
            "ticket_ticket_fts CROSS JOIN ticket_tickets t ON t.seq = ticket_ticket_fts.rowid
             WHERE ticket_ticket_fts MATCH ",
        )
        .push_bind(text.clone().unwrap_or_default())
        .push(" AND t.tenant = ");
    } else {
        q.push("ticket_tickets t WHERE t.tenant = ");
    }
    q.push_bind(tenant.as_uuid());
    push_in(
        &mut q,
        "t.status",
        query.statuses.iter().map(|s| s.as_str().to_string()),
    );
    push_in(
        &mut q,
        "t.status_category",
        query.status_categories.iter().map(|c| status_category(*c)),
    );
    push_in(
        &mut q,
        "t.priority",
        query.priorities.iter().map(|p| i64::from(p.rank())),
    );
    push_in(
        &mut q,
        "t.category",
        query.categories.iter().map(|c| c.as_str().to_string()),
    );
    for tag in &query.tags {
        q.push(
            " AND EXISTS (SELECT 1 FROM ticket_ticket_tags g WHERE g.ticket = t.seq AND g.tag = ",
        )
        .push_bind(tag.as_str().to_string())
        .push(")");
    }
    match query.assignee {
        None => {}
        Some(AssigneeFilter::Unassigned) => {
            q.push(" AND t.assignee IS NULL");
        }
        Some(AssigneeFilter::User(u)) => {
            q.push(" AND t.assignee = ").push_bind(u.as_uuid());
        }
    }
    if let Some(team) = query.team {
        q.push(" AND t.team = ").push_bind(team.as_uuid());
    }
    if let Some(r) = query.requester {
        q.push(" AND t.requester = ").push_bind(r.as_uuid());
    }
    if let Some(after) = query.created_after {
        q.push(" AND t.created_at >= ")
            .push_bind(micros_ceil(after));
    }
    if let Some(before) = query.created_before {
        q.push(" AND t.created_at < ")
            .push_bind(micros_ceil(before));
    }
    if let (Some(expr), false) = (text, from_matches) {
        q.push(" AND t.seq IN (SELECT rowid FROM ticket_ticket_fts WHERE ticket_ticket_fts MATCH ")
            .push_bind(expr)
            .push(")");
    }
    if let Some(c) = cursor {
        let (at, id) = (micros(c.at), c.id.as_uuid());
        match sort {
            TicketSort::CreatedDesc => {
                q.push(" AND (t.created_at, t.id) < (")
                    .push_bind(at)
                    .push(", ")
                    .push_bind(id)
                    .push(")");
            }
            TicketSort::CreatedAsc => {
                q.push(" AND (t.created_at, t.id) > (")
                    .push_bind(at)
                    .push(", ")
                    .push_bind(id)
                    .push(")");
            }
            TicketSort::UpdatedDesc => {
                q.push(" AND (t.updated_at, t.id) < (")
                    .push_bind(at)
                    .push(", ")
                    .push_bind(id)
                    .push(")");
            }
            TicketSort::PriorityDesc => {
                q.push(" AND (t.priority, t.created_at, t.id) < (")
                    .push_bind(i64::from(c.rank))
                    .push(", ")
                    .push_bind(at)
                    .push(", ")
                    .push_bind(id)
                    .push(")");
            }
        }
    }
    let order = match sort {
        TicketSort::CreatedDesc => " ORDER BY {}created_at DESC, {}id DESC",
        TicketSort::CreatedAsc => " ORDER BY {}created_at ASC, {}id ASC",
        TicketSort::UpdatedDesc => " ORDER BY {}updated_at DESC, {}id DESC",
        TicketSort::PriorityDesc => " ORDER BY {}priority DESC, {}created_at DESC, {}id DESC",
    };
    q.push(order.replace("{}", "t."));
    q.push(" LIMIT ").push_bind(i64::from(size) + 1);
    q.push(") AS p JOIN ticket_ticket_docs d ON d.seq = p.seq");
    q.push(order.replace("{}", "p."));

    let rows = q.build().fetch_all(pool).await.map_err(db)?;
    let tickets = rows
        .iter()
        .map(|row| from_doc(row, "doc"))
        .collect::<Result<Vec<Ticket>>>()?;
    Ok(page_of(tickets, size, |t| {
        TicketCursor::after(t, sort).encode()
    }))
}

/// Whether the FTS5 query `expr` has at most [`FEW_MATCHES`] matches.
async fn few_matches(pool: &SqlitePool, expr: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT 1 FROM ticket_ticket_fts WHERE ticket_ticket_fts MATCH ?
                               LIMIT ?)",
    )
    .bind(expr)
    .bind(FEW_MATCHES + 1)
    .fetch_one(pool)
    .await
    .map_err(db)?;
    Ok(n <= FEW_MATCHES)
}

#[cfg(test)]
mod tests {
    use super::match_expression;

    #[test]
    fn match_expressions_quote_every_word() {
        assert_eq!(
            match_expression("VPN drops!").as_deref(),
            Some("\"vpn\" \"drops\"")
        );
        assert_eq!(
            match_expression("OR NOT *"),
            Some("\"or\" \"not\"".to_string())
        );
        assert_eq!(match_expression("  ?! -- "), None);
    }
}
