//! The rows a ticket change writes: the ticket's columns (and the words it is searched
//! by), its comments and events as arrays for `unnest`, and the check that a change
//! writes only into its own ticket and tenant.

use crate::errors::{doc, Doc};
use crate::rows;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgArguments;
use sqlx::Postgres;
use ticket_core::event::TicketEvent;
use ticket_core::ports::TicketChange;
use ticket_core::query::search_words;
use ticket_core::ticket::{Comment, Ticket, Visibility};
use ticket_core::workflow::StatusCategory;
use ticket_core::{Error, Result};
use uuid::Uuid;

/// The stored name of a status category (its serde name).
pub(crate) fn category_name(c: StatusCategory) -> &'static str {
    match c {
        StatusCategory::New => "new",
        StatusCategory::Open => "open",
        StatusCategory::Pending => "pending",
        StatusCategory::Solved => "solved",
        StatusCategory::Closed => "closed",
    }
}

/// The words full-text search matches, as `TicketQuery::matches` cuts them, space
/// separated: what the `search` column is made from.
pub(crate) fn search_text(t: &Ticket) -> String {
    let mut words = search_words(t.title.as_str());
    words.extend(search_words(t.description.as_str()));
    words.join(" ")
}

/// The columns of one ticket row, in the order of [`TICKET_COLUMNS`].
pub(crate) struct TicketRow {
    pub id: Uuid,
    pub tenant: Uuid,
    pub status: String,
    pub status_category: &'static str,
    pub priority: i16,
    pub category: String,
    pub tags: Vec<String>,
    pub requester: Uuid,
    pub assignee: Option<Uuid>,
    pub team: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub has_sla: bool,
    pub sla_next_check: Option<DateTime<Utc>>,
    pub sla_at_risk: bool,
    pub sla_breached: bool,
    pub version: i64,
    pub search: String,
    pub doc: Doc,
}

/// The ticket columns every write sets, `search` being built from its words.
pub(crate) const TICKET_COLUMNS: &str = "id, tenant, status, status_category, priority, \
    category, tags, requester, assignee, team, created_at, updated_at, assigned_at, has_sla, \
    sla_next_check, sla_at_risk, sla_breached, version, search, doc";

impl TicketRow {
    /// The row of `t`.
    ///
    /// # Errors
    /// `Invalid` on `ticket` when it holds NUL; `Invalid` on `version` past `i64::MAX`.
    pub fn new(t: &Ticket) -> Result<Self> {
        let sla = t.sla.as_ref();
        Ok(Self {
            id: t.id.as_uuid(),
            tenant: t.tenant.as_uuid(),
            status: t.status.as_str().to_string(),
            status_category: category_name(t.status_category),
            priority: i16::from(t.priority.rank()),
            category: t.category.as_str().to_string(),
            tags: t.tags.iter().map(|g| g.as_str().to_string()).collect(),
            requester: t.requester.as_uuid(),
            assignee: t.assignee.map(|u| u.as_uuid()),
            team: t.team.map(|u| u.as_uuid()),
            created_at: t.created_at,
            updated_at: t.updated_at,
            assigned_at: t.assigned_at,
            has_sla: sla.is_some(),
            sla_next_check: sla.and_then(|s| s.next_check),
            sla_at_risk: sla.is_some_and(|s| s.at_risk),
            sla_breached: sla.is_some_and(|s| s.breached),
            version: rows::version(t.version)?,
            search: search_text(t),
            doc: doc("ticket", t)?,
        })
    }

    /// Binds the row as `$1…$20` in the order of [`TICKET_COLUMNS`].
    pub fn bind<'q, O>(
        self,
        q: sqlx::query::QueryScalar<'q, Postgres, O, PgArguments>,
    ) -> sqlx::query::QueryScalar<'q, Postgres, O, PgArguments> {
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

/// Comments as parallel arrays for `unnest` (the tenant and ticket columns serve group
/// inserts, where the rows belong to several tickets).
pub(crate) struct CommentRows {
    pub ids: Vec<Uuid>,
    pub tenants: Vec<Uuid>,
    pub tickets: Vec<Uuid>,
    pub internal: Vec<bool>,
    pub created_at: Vec<DateTime<Utc>>,
    pub docs: Vec<Doc>,
}

impl CommentRows {
    /// The rows of `comments`.
    ///
    /// # Errors
    /// `Invalid` on `comments` when one holds NUL.
    pub fn new<'a, I>(comments: I) -> Result<Self>
    where
        I: IntoIterator<Item = &'a Comment>,
        I::IntoIter: Clone,
    {
        let all = comments.into_iter();
        Ok(Self {
            ids: all.clone().map(|c| c.id.as_uuid()).collect(),
            tenants: all.clone().map(|c| c.tenant.as_uuid()).collect(),
            tickets: all.clone().map(|c| c.ticket_id.as_uuid()).collect(),
            internal: all
                .clone()
                .map(|c| c.visibility == Visibility::Internal)
                .collect(),
            created_at: all.clone().map(|c| c.created_at).collect(),
            docs: all.map(|c| doc("comments", c)).collect::<Result<_>>()?,
        })
    }

    /// Moves `other`'s rows after these.
    pub fn append(&mut self, mut other: Self) {
        self.ids.append(&mut other.ids);
        self.tenants.append(&mut other.tenants);
        self.tickets.append(&mut other.tickets);
        self.internal.append(&mut other.internal);
        self.created_at.append(&mut other.created_at);
        self.docs.append(&mut other.docs);
    }
}

/// Events as parallel arrays for `unnest` (the tenant and ticket columns serve group
/// inserts, where the rows belong to several tickets).
pub(crate) struct EventRows {
    pub ids: Vec<Uuid>,
    pub tenants: Vec<Uuid>,
    pub tickets: Vec<Uuid>,
    pub at: Vec<DateTime<Utc>>,
    pub docs: Vec<Doc>,
}

impl EventRows {
    /// The rows of `events`.
    ///
    /// # Errors
    /// `Invalid` on `events` when one holds NUL.
    pub fn new<'a, I>(events: I) -> Result<Self>
    where
        I: IntoIterator<Item = &'a TicketEvent>,
        I::IntoIter: Clone,
    {
        let all = events.into_iter();
        Ok(Self {
            ids: all.clone().map(|e| e.id.as_uuid()).collect(),
            tenants: all.clone().map(|e| e.tenant.as_uuid()).collect(),
            tickets: all.clone().map(|e| e.ticket_id.as_uuid()).collect(),
            at: all.clone().map(|e| e.at).collect(),
            docs: all.map(|e| doc("events", e)).collect::<Result<_>>()?,
        })
    }

    /// Moves `other`'s rows after these.
    pub fn append(&mut self, mut other: Self) {
        self.ids.append(&mut other.ids);
        self.tenants.append(&mut other.tenants);
        self.tickets.append(&mut other.tickets);
        self.at.append(&mut other.at);
        self.docs.append(&mut other.docs);
    }
}

/// Checks that everything a change writes belongs to the ticket's tenant (and comments
/// and events to the ticket itself), as `MemoryStore` does: a change never writes into
/// another tenant.
pub(crate) fn check_change_scope(change: &TicketChange) -> Result<()> {
    let t = &change.ticket;
    let outside = |field: &str| Error::invalid(field, "belongs to another ticket or tenant");
    if change
        .comments
        .iter()
        .any(|c| c.tenant != t.tenant || c.ticket_id != t.id)
    {
        return Err(outside("comments"));
    }
    if change
        .events
        .iter()
        .any(|e| e.tenant != t.tenant || e.ticket_id != t.id)
    {
        return Err(outside("events"));
    }
    if change.notifications.iter().any(|n| n.tenant != t.tenant) {
        return Err(outside("notifications"));
    }
    if change.outbox.iter().any(|o| o.tenant != t.tenant) {
        return Err(outside("outbox"));
    }
    Ok(())
}
