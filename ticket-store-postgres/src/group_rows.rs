//! The rows of a group of new tickets, as arrays for one statement: what [`crate::group`]
//! sends, and the bulk loader of [`crate::bench`] too.

use crate::bus::{notify_and_count, payloads};
use crate::change::{CommentRows, EventRows, TicketRow, TICKET_COLUMNS};
use crate::connect::PostgresStore;
use crate::errors::Doc;
use crate::notify::NotificationRows;
use crate::outbox::OutboxRows;
use crate::rows;
use crate::tables::Tables;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgArguments;
use sqlx::query::QueryScalar;
use sqlx::Postgres;
use ticket_core::event::TicketEvent;
use ticket_core::ports::TicketChange;
use ticket_core::ticket::Ticket;
use ticket_core::Result;
use uuid::Uuid;

/// Ticket rows as parallel arrays for `unnest` (tags space-joined: a tag never holds a
/// space).
#[derive(Default)]
struct TicketColumns {
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
    doc: Vec<Doc>,
}

impl TicketColumns {
    /// The columns of `tickets`.
    fn new<'a>(tickets: impl IntoIterator<Item = &'a Ticket>) -> Result<Self> {
        let mut c = Self::default();
        for t in tickets {
            c.push(TicketRow::new(t)?);
        }
        Ok(c)
    }

    /// Moves `other`'s rows after these.
    fn append(&mut self, mut o: Self) {
        self.id.append(&mut o.id);
        self.tenant.append(&mut o.tenant);
        self.status.append(&mut o.status);
        self.status_category.append(&mut o.status_category);
        self.priority.append(&mut o.priority);
        self.category.append(&mut o.category);
        self.tags.append(&mut o.tags);
        self.requester.append(&mut o.requester);
        self.assignee.append(&mut o.assignee);
        self.team.append(&mut o.team);
        self.created_at.append(&mut o.created_at);
        self.updated_at.append(&mut o.updated_at);
        self.assigned_at.append(&mut o.assigned_at);
        self.has_sla.append(&mut o.has_sla);
        self.sla_next_check.append(&mut o.sla_next_check);
        self.sla_at_risk.append(&mut o.sla_at_risk);
        self.sla_breached.append(&mut o.sla_breached);
        self.version.append(&mut o.version);
        self.search.append(&mut o.search);
        self.doc.append(&mut o.doc);
    }

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

    /// Binds the columns as `$1…$20`, in the order of [`TICKET_COLUMNS`].
    fn bind<'q>(
        self,
        q: QueryScalar<'q, Postgres, i64, PgArguments>,
    ) -> QueryScalar<'q, Postgres, i64, PgArguments> {
        q.bind(self.id)
            .bind(self.tenant)
            .bind(self.status)
            .bind(self.status_category)
            .bind(self.priority)
            .bind(self.category)
            .bind(self.tags)
            .bind(self.requester)
            .bind(self.assignee)
            .bind(self.team)
            .bind(self.created_at)
            .bind(self.updated_at)
            .bind(self.assigned_at)
            .bind(self.has_sla)
            .bind(self.sla_next_check)
            .bind(self.sla_at_risk)
            .bind(self.sla_breached)
            .bind(self.version)
            .bind(self.search)
            .bind(self.doc)
    }
}

/// Everything a group of new tickets writes, as arrays for one statement.
pub(crate) struct GroupRows {
    tickets: TicketColumns,
    comments: CommentRows,
    events: EventRows,
    notifications: NotificationRows,
    outbox: OutboxRows,
    /// The notification payloads of the events of the changes that ask the store to
    /// publish them ([`TicketChange::publish_events`]).
    payloads: Vec<String>,
}

impl GroupRows {
    /// The rows of new tickets' changes.
    pub(crate) fn of(changes: &[TicketChange]) -> Result<Self> {
        Ok(Self {
            tickets: TicketColumns::new(changes.iter().map(|c| &c.ticket))?,
            comments: CommentRows::new(changes.iter().flat_map(|c| &c.comments))?,
            events: EventRows::new(changes.iter().flat_map(|c| &c.events))?,
            notifications: NotificationRows::new(changes.iter().flat_map(|c| &c.notifications))?,
            outbox: OutboxRows::new(changes.iter().flat_map(|c| &c.outbox))?,
            payloads: payloads(
                changes
                    .iter()
                    .filter(|c| c.publish_events)
                    .flat_map(|c| &c.events),
            )?,
        })
    }

    /// Moves `other`'s rows after these.
    pub(crate) fn append(&mut self, other: Self) {
        self.tickets.append(other.tickets);
        self.comments.append(other.comments);
        self.events.append(other.events);
        self.notifications.append(other.notifications);
        self.outbox.append(other.outbox);
        self.payloads.extend(other.payloads);
    }

    /// The rows of `tickets` and `events` (the history of those tickets), nothing else.
    pub(crate) fn tickets_and_events(tickets: &[Ticket], events: &[TicketEvent]) -> Result<Self> {
        Ok(Self {
            tickets: TicketColumns::new(tickets)?,
            comments: CommentRows::new([])?,
            events: EventRows::new(events)?,
            notifications: NotificationRows::new([])?,
            outbox: OutboxRows::new([])?,
            payloads: Vec::new(),
        })
    }

    /// The statement: the tickets as the CTE `ticket`, then only the inserts of the
    /// children there are (every parameter is bound all the same), returning how many
    /// tickets were inserted, and notifies the payloads when there are any. Parameters:
    /// `$1…$20` tickets, `$21…$26` comments, `$27…$31` events, `$32…$36` notifications,
    /// `$37…$46` outbox entries, `$47` the event channel, `$48` the payloads.
    fn sql(&self, t: &Tables) -> String {
        let mut sql = format!(
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
                 RETURNING 1)",
            tickets = t.tickets,
        );
        if !self.comments.ids.is_empty() {
            sql.push_str(&format!(
                ", comments_in AS (
                     INSERT INTO {comments} (id, tenant, ticket_id, internal, created_at, doc)
                     SELECT * FROM unnest($21::uuid[], $22::uuid[], $23::uuid[],
                                          $24::boolean[], $25::timestamptz[], $26::jsonb[]))",
                comments = t.comments,
            ));
        }
        if !self.events.ids.is_empty() {
            sql.push_str(&format!(
                ", events_in AS (
                     INSERT INTO {events} (id, tenant, ticket_id, at, doc)
                     SELECT * FROM unnest($27::uuid[], $28::uuid[], $29::uuid[],
                                          $30::timestamptz[], $31::jsonb[]))",
                events = t.events,
            ));
        }
        if !self.notifications.is_empty() {
            sql.push_str(&format!(
                ", notifications_in AS ({})",
                NotificationRows::insert_sql(t, 32, "true")
            ));
        }
        if !self.outbox.is_empty() {
            sql.push_str(&format!(
                ", outbox_in AS ({})",
                OutboxRows::insert_sql(t, 37, "true")
            ));
        }
        notify_and_count(&mut sql, (!self.payloads.is_empty()).then_some((47, 48)));
        sql
    }

    /// Inserts everything in one statement; returns how many tickets were inserted.
    ///
    /// # Errors
    /// As [`TicketStore::save`](ticket_core::ports::TicketStore::save) for a new ticket;
    /// nothing is written then.
    pub(crate) async fn insert(self, store: &PostgresStore) -> Result<u64> {
        let sql = self.sql(store.tables());
        let Self {
            tickets,
            comments,
            events,
            notifications,
            outbox,
            payloads,
        } = self;
        let q = tickets
            .bind(sqlx::query_scalar::<_, i64>(&sql))
            .bind(comments.ids)
            .bind(comments.tenants)
            .bind(comments.tickets)
            .bind(comments.internal)
            .bind(comments.created_at)
            .bind(comments.docs)
            .bind(events.ids)
            .bind(events.tenants)
            .bind(events.tickets)
            .bind(events.at)
            .bind(events.docs);
        let q = outbox
            .bind(notifications.bind(q))
            .bind(store.channel())
            .bind(payloads);
        store.insert_scalar(q).await.map(rows::count)
    }
}
