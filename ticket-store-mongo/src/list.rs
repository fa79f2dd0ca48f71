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

/// "One of `values`": an `$in`, or a plain `$eq` for a single value (a server that
/// pushes down only equalities, as FerretDB 1.x on PostgreSQL, pushes this one down).
fn one_of(values: Vec<Bson>) -> Document {
    match values.as_slice() {
        [only] => doc! { "$eq": only.clone() },
        _ => doc! { "$in": values },
    }
}

/// "Holds every one of `values`" (an array field): an `$all`, with an `$eq` of
/// `pushed` beside it, the same condition a server can push down as an equality
/// (an array equals a value it holds), so that only candidates are read.
fn all_of(values: Vec<Bson>, pushed: Option<Bson>) -> Document {
    let mut d = Document::new();
    if let Some(p) = pushed {
        d.insert("$eq", p);
    }
    d.insert("$all", values);
    d
}

/// The filter document of `query`'s filters (not its cursor) in `tenant`. Each
/// condition is a top-level field, equalities wherever the query allows, so that a
/// server pushing equalities down to its backend (FerretDB 1.x on PostgreSQL) reads
/// only their matches; the cursor's `$or` is added beside them (see [`find_of`]).
pub(crate) fn filter_of(tenant: TenantId, q: &TicketQuery) -> Document {
    let mut f = doc! { "tenant": id(tenant.as_uuid()) };
    let strings = |v: Vec<&str>| v.into_iter().map(Bson::from).collect::<Vec<_>>();
    if !q.statuses.is_empty() {
        f.insert(
            "status",
            one_of(strings(q.statuses.iter().map(|s| s.as_str()).collect())),
        );
    }
    if !q.status_categories.is_empty() {
        let names: Vec<Bson> = q
            .status_categories
            .iter()
            .filter_map(|c| serde_json::to_value(c).ok())
            .filter_map(|v| v.as_str().map(Bson::from))
            .collect();
        f.insert("cat", one_of(names));
    }
    if !q.priorities.is_empty() {
        let ranks: Vec<Bson> = q
            .priorities
            .iter()
            .map(|p| Bson::Int32(i32::from(p.rank())))
            .collect();
        f.insert("priority", one_of(ranks));
    }
    if !q.categories.is_empty() {
        f.insert(
            "category",
            one_of(strings(q.categories.iter().map(|c| c.as_str()).collect())),
        );
    }
    if !q.tags.is_empty() {
        let tags = strings(q.tags.iter().map(|t| t.as_str()).collect());
        let first = tags.first().cloned();
        f.insert("tags", all_of(tags, first));
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
        // The longest word is likely the rarest: the one pushed down.
        let longest = words
            .iter()
            .max_by_key(|w| (w.chars().count(), std::cmp::Reverse(w.as_str())))
            .map(|w| Bson::from(w.as_str()));
        if !words.is_empty() {
            let words = words.iter().map(|w| Bson::from(w.as_str())).collect();
            f.insert("words", all_of(words, longest));
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
        // Beside the filter's fields (which hold no `$or`), not `$and`-ed with them: a
        // server pushing down top-level equalities still pushes those down.
        filter.extend(after(c));
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

#[cfg(test)]
mod tests {
    use super::*;
    use ticket_core::testkit::fixtures;
    use ticket_core::text::Status;
    use ticket_core::ticket::Priority;

    #[test]
    fn single_values_are_equalities_and_the_cursor_sits_beside_them() {
        let tenant = TenantId::new();
        let page = TicketQuery {
            statuses: vec![Status::known("open")],
            priorities: vec![Priority::High],
            tags: vec![fixtures::tag("b"), fixtures::tag("a")],
            text: Some("printer kangaroo".into()),
            ..TicketQuery::default()
        };
        let f = filter_of(tenant, &page);
        assert_eq!(f.get_document("status").unwrap(), &doc! { "$eq": "open" });
        assert!(f.get_document("priority").unwrap().contains_key("$eq"));
        assert_eq!(f.get_document("tags").unwrap().get_str("$eq"), Ok("b"));
        let words = f.get_document("words").unwrap();
        assert_eq!(words.get_str("$eq"), Ok("kangaroo"));
        assert_eq!(words.get_array("$all").unwrap().len(), 2);

        let two = TicketQuery {
            statuses: vec![Status::known("open"), Status::known("new")],
            ..TicketQuery::default()
        };
        assert!(filter_of(tenant, &two)
            .get_document("status")
            .unwrap()
            .contains_key("$in"));

        let first = fixtures::ticket_at(tenant, ticket_core::id::UserId::new(), fixtures::now());
        let next = TicketQuery {
            cursor: Some(TicketCursor::after(&first, TicketSort::CreatedDesc).encode()),
            ..page
        };
        let (filter, _, _) = find_of(tenant, &next).unwrap();
        assert!(filter.contains_key("$or") && !filter.contains_key("$and"));
        assert_eq!(filter.get_str("tenant"), Ok(id(tenant.as_uuid()).as_str()));
    }
}
