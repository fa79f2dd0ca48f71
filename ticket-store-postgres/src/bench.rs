//! Bulk loading for the load benchmark (`benches/load.rs`); not part of the API.
//!
//! The rows are built by the same code as [`TicketStore::save`](ticket_core::ports::TicketStore::save)
//! (documents, columns and search words); only the statement differs: many tickets and
//! their events per `INSERT … SELECT FROM unnest(…)` instead of one change per statement.

use crate::change::{EventRows, TicketRow, TICKET_COLUMNS};
use crate::connect::PostgresStore;
use crate::errors::db;
use chrono::{DateTime, Utc};
use serde_json::Value;
use ticket_core::event::TicketEvent;
use ticket_core::ticket::Ticket;
use ticket_core::Result;
use uuid::Uuid;

/// Ticket rows as parallel arrays (tags space-joined: a tag never holds a space).
#[derive(Default)]
struct Columns {
    id: Vec<Uuid>,
    tenant: Vec<Uuid>,
    status: Vec<String>,
    status_category: Vec<&'static str>,
    priority: Vec<i16>,
    category: Vec<String>,
    tags: Vec<String>,
    requester: Vec<Uuid>,
    assignee: Vec<Option<Uuid>>,
    team: Vec<Option<Uuid>>,
    created_at: Vec<DateTime<Utc>>,
    updated_at: Vec<DateTime<Utc>>,
    assigned_at: Vec<Option<DateTime<Utc>>>,
    has_sla: Vec<bool>,
    sla_next_check: Vec<Option<DateTime<Utc>>>,
    sla_at_risk: Vec<bool>,
    sla_breached: Vec<bool>,
    version: Vec<i64>,
    search: Vec<String>,
    doc: Vec<Value>,
}

impl Columns {
    fn push(&mut self, r: TicketRow) {
        self.id.push(r.id);
        self.tenant.push(r.tenant);
        self.status.push(r.status);
        self.status_category.push(r.status_category);
        self.priority.push(r.priority);
        self.category.push(r.category);
        self.tags.push(r.tags.join(" "));
        self.requester.push(r.requester);
        self.assignee.push(r.assignee);
        self.team.push(r.team);
        self.created_at.push(r.created_at);
        self.updated_at.push(r.updated_at);
        self.assigned_at.push(r.assigned_at);
        self.has_sla.push(r.has_sla);
        self.sla_next_check.push(r.sla_next_check);
        self.sla_at_risk.push(r.sla_at_risk);
        self.sla_breached.push(r.sla_breached);
        self.version.push(r.version);
        self.search.push(r.search);
        self.doc.push(r.doc);
    }
}

impl PostgresStore {
    /// Inserts `tickets` and `events` (the history of those tickets) in one statement.
    /// Returns how many tickets were inserted.
    ///
    /// # Errors
    /// As [`TicketStore::save`](ticket_core::ports::TicketStore::save) for a new ticket.
    pub async fn bulk_insert(&self, tickets: &[Ticket], events: &[TicketEvent]) -> Result<u64> {
        let mut c = Columns::default();
        for t in tickets {
            c.push(TicketRow::new(t)?);
        }
        let e = EventRows::new(events)?;
        let tickets_ids: Vec<Uuid> = events.iter().map(|e| e.ticket_id.as_uuid()).collect();
        let tenants: Vec<Uuid> = events.iter().map(|e| e.tenant.as_uuid()).collect();
        let t = self.tables();
        let sql = format!(
            "WITH ticket AS (
                 INSERT INTO {tickets} ({TICKET_COLUMNS})
                 SELECT id, tenant, status, status_category, priority, category,
                        string_to_array(tags, ' '), requester, assignee, team, created_at,
                        updated_at, assigned_at, has_sla, sla_next_check, sla_at_risk,
                        sla_breached, version, to_tsvector('simple', search), doc
                 FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::smallint[],
                             $6::text[], $7::text[], $8::uuid[], $9::uuid[], $10::uuid[],
                             $11::timestamptz[], $12::timestamptz[], $13::timestamptz[],
                             $14::boolean[], $15::timestamptz[], $16::boolean[],
                             $17::boolean[], $18::bigint[], $19::text[], $20::jsonb[])
                     AS r(id, tenant, status, status_category, priority, category, tags,
                          requester, assignee, team, created_at, updated_at, assigned_at,
                          has_sla, sla_next_check, sla_at_risk, sla_breached, version,
                          search, doc)
                 RETURNING 1),
             events_in AS (
                 INSERT INTO {events} (id, tenant, ticket_id, at, doc)
                 SELECT * FROM unnest($21::uuid[], $22::uuid[], $23::uuid[],
                                      $24::timestamptz[], $25::jsonb[]))
             SELECT count(*) FROM ticket",
            tickets = t.tickets,
            events = t.events,
        );
        let (ids, at, docs) = e.into_parts();
        sqlx::query_scalar::<_, i64>(&sql)
            .bind(c.id)
            .bind(c.tenant)
            .bind(c.status)
            .bind(c.status_category)
            .bind(c.priority)
            .bind(c.category)
            .bind(c.tags)
            .bind(c.requester)
            .bind(c.assignee)
            .bind(c.team)
            .bind(c.created_at)
            .bind(c.updated_at)
            .bind(c.assigned_at)
            .bind(c.has_sla)
            .bind(c.sla_next_check)
            .bind(c.sla_at_risk)
            .bind(c.sla_breached)
            .bind(c.version)
            .bind(c.search)
            .bind(c.doc)
            .bind(ids)
            .bind(tenants)
            .bind(tickets_ids)
            .bind(at)
            .bind(docs)
            .fetch_one(self.pool())
            .await
            .map(crate::rows::count)
            .map_err(db)
    }
}
