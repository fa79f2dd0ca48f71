//! Ticket lists: every filter of a `TicketQuery` as one filter document, and keyset
//! pagination in each sort's order (`(created, _id)`, `(updated, _id)` or
//! `(priority, created, _id)`, each with an index).

use crate::connect::names::TICKETS;
use crate::docs::{all, id, limit_of, micros, micros_ceil, page_of, page_size};
use crate::errors::db;
use crate::ticket_doc::ticket_of;
use crate::MongoStore;
use mongodb::bson::{doc, Bson, Document};
use ticket_core::error::Result;
use ticket_core::id::TenantId;
use ticket_core::query::{
    search_words, AssigneeFilter, Page, TicketCursor, TicketQuery, TicketSort,
};
use ticket_core::ticket::Ticket;

/// The filter document of `query`'s filters (not its cursor) in `tenant`.
pub(crate) fn filter_of(tenant: TenantId, q: &TicketQuery) -> Document {
    let mut f = doc! { "tenant": id(tenant.as_uuid()) };
    let strings = |v: Vec<&str>| Bson::Array(v.into_iter().map(Bson::from).collect());
    if !q.statuses.is_empty() {
        f.insert(
            "status",
            doc! { "$in": strings(q.statuses.iter().map(|s| s.as_str()).collect()) },
        );
    }
    if !q.status_categories.is_empty() {
        let names: Vec<Bson> = q
            .status_categories
            .iter()
            .filter_map(|c| serde_json::to_value(c).ok())
            .filter_map(|v| v.as_str().map(Bson::from))
            .collect();
        f.insert("cat", doc! { "$in": names });
    }
    if !q.priorities.is_empty() {
        let ranks: Vec<i32> = q.priorities.iter().map(|p| i32::from(p.rank())).collect();
        f.insert("priority", doc! { "$in": ranks });
    }
    if !q.categories.is_empty() {
        f.insert(
            "category",
            doc! { "$in": strings(q.categories.iter().map(|c| c.as_str()).collect()) },
        );
    }
    if !q.tags.is_empty() {
        f.insert(
            "tags",
            doc! { "$all": strings(q.tags.iter().map(|t| t.as_str()).collect()) },
        );
    }
    match q.assignee {
        None => {}
        Some(AssigneeFilter::Unassigned) => {
            f.insert("assignee", Bson::Null);
        }
        Some(AssigneeFilter::User(u)) => {
            f.insert("assignee", id(u.as_uuid()));
        }
    }
    if let Some(team) = q.team {
        f.insert("team", id(team.as_uuid()));
    }
    if let Some(r) = q.requester {
        f.insert("requester", id(r.as_uuid()));
    }
    let mut created = Document::new();
    if let Some(a) = q.created_after {
        created.insert("$gte", micros_ceil(a));
    }
    if let Some(b) = q.created_before {
        created.insert("$lt", micros_ceil(b));
    }
    if !created.is_empty() {
        f.insert("created", created);
    }
    if let Some(text) = q.text.as_deref() {
        let mut words = search_words(text);
        words.sort();
        words.dedup();
        if !words.is_empty() {
            f.insert("words", doc! { "$all": words });
        }
    }
    f
}

/// The sort document of `sort`.
fn sort_of(sort: TicketSort) -> Document {
    match sort {
        TicketSort::CreatedDesc => doc! { "created": -1, "_id": -1 },
        TicketSort::CreatedAsc => doc! { "created": 1, "_id": 1 },
        TicketSort::UpdatedDesc => doc! { "updated": -1, "_id": -1 },
        TicketSort::PriorityDesc => doc! { "priority": -1, "created": -1, "_id": -1 },
    }
}

/// The keyset predicate "strictly after `c`" in its sort's order.
fn after(c: &TicketCursor) -> Document {
    let (field, op) = match c.sort {
        TicketSort::CreatedAsc => ("created", "$gt"),
        TicketSort::UpdatedDesc => ("updated", "$lt"),
        TicketSort::CreatedDesc | TicketSort::PriorityDesc => ("created", "$lt"),
    };
    let at = micros(c.at);
    let key = id(c.id.as_uuid());
    let time_then_id = vec![
        doc! { field: { op: at } },
        doc! { field: at, "_id": { op: &key } },
    ];
    if c.sort == TicketSort::PriorityDesc {
        let rank = i32::from(c.rank);
        doc! { "$or": [
            { "priority": { "$lt": rank } },
            { "priority": rank, field: { op: at } },
            { "priority": rank, field: at, "_id": { op: &key } },
        ] }
    } else {
        doc! { "$or": time_then_id }
    }
}

/// The filter, sort and limit of the `find` that reads a page of `query` (one ticket
/// more than the page, to tell whether another follows).
fn find_of(tenant: TenantId, query: &TicketQuery) -> Result<(Document, Document, i64)> {
    let cursor = query
        .cursor
        .as_deref()
        .map(|c| TicketCursor::decode(c, query.sort))
        .transpose()?;
    let mut filter = filter_of(tenant, query);
    if let Some(c) = &cursor {
        filter = doc! { "$and": [filter, after(c)] };
    }
    Ok((
        filter,
        sort_of(query.sort),
        limit_of(page_size(query.limit)) + 1,
    ))
}

/// A page of `tenant`'s tickets matching `query`.
pub(crate) async fn list_tickets(
    store: &MongoStore,
    tenant: TenantId,
    query: &TicketQuery,
) -> Result<Page<Ticket>> {
    let sort = query.sort;
    let size = page_size(query.limit);
    let (filter, order, limit) = find_of(tenant, query)?;
    let docs = all(store
        .coll(TICKETS)
        .find(filter)
        .sort(order)
        .limit(limit)
        .await
        .map_err(db)?)
    .await?;
    let tickets = docs.iter().map(ticket_of).collect::<Result<Vec<_>>>()?;
    Ok(page_of(tickets, size, |t| {
        TicketCursor::after(t, sort).encode()
    }))
}

impl MongoStore {
    /// The server's query plan (`explain` at verbosity `queryPlanner`) of the `find`
    /// that [`list_tickets`](ticket_core::ports::TicketStore::list_tickets) runs for
    /// `query`: which index serves a list or a search on this deployment. MongoDB
    /// answers with its winning plan (`IXSCAN` or `COLLSCAN` stages); FerretDB 1.x
    /// with whether the filter, sort and limit were pushed down to its backend.
    ///
    /// # Errors
    /// [`Error::Invalid`](ticket_core::Error::Invalid) for a cursor that does not
    /// decode; [`Error::Store`](ticket_core::Error::Store) when the server fails.
    pub async fn explain_list(&self, tenant: TenantId, query: &TicketQuery) -> Result<Document> {
        let (filter, sort, limit) = find_of(tenant, query)?;
        self.database()
            .run_command(doc! {
                "explain": {
                    "find": TICKETS,
                    "filter": filter,
                    "sort": sort,
                    "limit": limit,
                },
                "verbosity": "queryPlanner",
            })
            .await
            .map_err(db)
    }
}
