//! The write side of tickets: the row, document, tags and full-text row of a ticket, and
//! everything one `save` or `delete_ticket` writes inside its transaction.

use crate::rows::{db, is_unique, micros, status_category, to_doc, version};
use sqlx::sqlite::{SqliteArguments, SqliteConnection};
use sqlx::{Row as _, Sqlite};
use ticket_core::error::{Error, Result};
use ticket_core::event::TicketEvent;
use ticket_core::id::{TenantId, TicketId};
use ticket_core::notify::OutboxEntry;
use ticket_core::ports::TicketChange;
use ticket_core::ticket::{Comment, Ticket, Visibility};
use uuid::Uuid;

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

/// The columns of a ticket row besides its id and tenant, and its document, computed
/// before the write turn.
pub(crate) struct Columns {
    status: String,
    status_category: &'static str,
    is_open: bool,
    priority: i64,
    category: String,
    requester: Uuid,
    assignee: Option<Uuid>,
    team: Option<Uuid>,
    created_at: i64,
    updated_at: i64,
    assigned_at: Option<i64>,
    version: i64,
    sla_next_check: Option<i64>,
    sla_breached: Option<bool>,
    sla_at_risk: Option<bool>,
    doc: String,
}

impl Columns {
    pub(crate) fn of(t: &Ticket) -> Result<Self> {
        Ok(Self {
            status: t.status.as_str().to_string(),
            status_category: status_category(t.status_category),
            is_open: t.is_open(),
            priority: i64::from(t.priority.rank()),
            category: t.category.as_str().to_string(),
            requester: t.requester.as_uuid(),
            assignee: t.assignee.map(|u| u.as_uuid()),
            team: t.team.map(|u| u.as_uuid()),
            created_at: micros(t.created_at),
            updated_at: micros(t.updated_at),
            assigned_at: t.assigned_at.map(micros),
            version: version(t.version)?,
            sla_next_check: t.sla.as_ref().and_then(|s| s.next_check).map(micros),
            sla_breached: t.sla.as_ref().map(|s| s.breached),
            sla_at_risk: t.sla.as_ref().map(|s| s.at_risk),
            doc: to_doc(t)?,
        })
    }

    /// Binds the columns in the order of [`COLUMN_NAMES`].
    fn bind<'q>(
        &'q self,
        q: sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>,
    ) -> sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>> {
        q.bind(&self.status)
            .bind(self.status_category)
            .bind(self.is_open)
            .bind(self.priority)
            .bind(&self.category)
            .bind(self.requester)
            .bind(self.assignee)
            .bind(self.team)
            .bind(self.created_at)
            .bind(self.updated_at)
            .bind(self.assigned_at)
            .bind(self.version)
            .bind(self.sla_next_check)
            .bind(self.sla_breached)
            .bind(self.sla_at_risk)
    }
}

/// The columns [`Columns::bind`] binds, in order.
const COLUMN_NAMES: [&str; 15] = [
    "status",
    "status_category",
    "is_open",
    "priority",
    "category",
    "requester",
    "assignee",
    "team",
    "created_at",
    "updated_at",
    "assigned_at",
    "version",
    "sla_next_check",
    "sla_breached",
    "sla_at_risk",
];

/// `INSERT` of a new ticket row: id, tenant, then [`COLUMN_NAMES`].
fn insert_sql() -> String {
    let names = COLUMN_NAMES.join(", ");
    let marks = vec!["?"; COLUMN_NAMES.len()].join(", ");
    format!("INSERT INTO ticket_tickets (id, tenant, {names}) VALUES (?, ?, {marks}) RETURNING seq")
}

/// `UPDATE` of every column of [`COLUMN_NAMES`] of the row `seq`.
fn update_sql() -> String {
    let sets: Vec<String> = COLUMN_NAMES.iter().map(|c| format!("{c} = ?")).collect();
    format!(
        "UPDATE ticket_tickets SET {} WHERE seq = ?",
        sets.join(", ")
    )
}

/// Maps an insert's failure: a taken id is `Conflict(Unique { field: "id" })`.
pub(crate) fn insert_error(e: sqlx::Error) -> Error {
    if is_unique(&e) {
        Error::unique("id")
    } else {
        db(e)
    }
}

/// Replaces the tag rows of ticket `seq`.
async fn write_tags(conn: &mut SqliteConnection, seq: i64, t: &Ticket, fresh: bool) -> Result<()> {
    if !fresh {
        sqlx::query("DELETE FROM ticket_ticket_tags WHERE ticket = ?")
            .bind(seq)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    if t.tags.is_empty() {
        return Ok(());
    }
    let mut q = sqlx::QueryBuilder::<Sqlite>::new("INSERT INTO ticket_ticket_tags (ticket, tag) ");
    q.push_values(t.tags.iter(), |mut row, tag| {
        row.push_bind(seq).push_bind(tag.as_str());
    });
    q.build().execute(&mut *conn).await.map_err(db)?;
    Ok(())
}

/// Writes the full-text row of ticket `seq` (replacing the old one unless `fresh`).
async fn write_text(conn: &mut SqliteConnection, seq: i64, t: &Ticket, fresh: bool) -> Result<()> {
    if !fresh {
        sqlx::query("DELETE FROM ticket_ticket_fts WHERE rowid = ?")
            .bind(seq)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    sqlx::query("INSERT INTO ticket_ticket_fts (rowid, title, description) VALUES (?, ?, ?)")
        .bind(seq)
        .bind(t.title.as_str())
        .bind(t.description.as_str())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

/// Inserts a new ticket row with its tags and text.
async fn create_ticket(conn: &mut SqliteConnection, t: &Ticket, cols: &Columns) -> Result<()> {
    let sql = insert_sql();
    let q = sqlx::query(&sql)
        .bind(t.id.as_uuid())
        .bind(t.tenant.as_uuid());
    let seq: i64 = cols
        .bind(q)
        .fetch_one(&mut *conn)
        .await
        .map_err(insert_error)?
        .try_get("seq")
        .map_err(db)?;
    sqlx::query("INSERT INTO ticket_ticket_docs (seq, doc) VALUES (?, ?)")
        .bind(seq)
        .bind(&cols.doc)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    write_tags(conn, seq, t, true).await?;
    write_text(conn, seq, t, true).await
}

/// Replaces a stored ticket made at `expected` (checked), with its tags and text when
/// they changed.
async fn update_ticket(
    conn: &mut SqliteConnection,
    t: &Ticket,
    expected: u64,
    cols: &Columns,
) -> Result<()> {
    if expected.checked_add(1) != Some(t.version) {
        return Err(Error::invalid(
            "version",
            "must be the expected version + 1",
        ));
    }
    let stored = sqlx::query(
        "SELECT t.seq, t.version, json_extract(d.doc, '$.title') AS title,
                json_extract(d.doc, '$.description') AS description,
                json_extract(d.doc, '$.tags') AS tags
         FROM ticket_tickets t JOIN ticket_ticket_docs d ON d.seq = t.seq
         WHERE t.id = ? AND t.tenant = ?",
    )
    .bind(t.id.as_uuid())
    .bind(t.tenant.as_uuid())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or_else(|| Error::not_found("ticket"))?;
    let stored_version: i64 = stored.try_get("version").map_err(db)?;
    if stored_version != version(expected)? {
        return Err(Error::version_conflict(expected));
    }
    let seq: i64 = stored.try_get("seq").map_err(db)?;
    let sql = update_sql();
    cols.bind(sqlx::query(&sql))
        .bind(seq)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    sqlx::query("UPDATE ticket_ticket_docs SET doc = ? WHERE seq = ?")
        .bind(&cols.doc)
        .bind(seq)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    let old_tags: Option<String> = stored.try_get("tags").map_err(db)?;
    let old_tags: Vec<String> = old_tags
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default();
    if !old_tags
        .iter()
        .map(String::as_str)
        .eq(t.tags.iter().map(|tag| tag.as_str()))
    {
        write_tags(conn, seq, t, false).await?;
    }
    let old_title: Option<String> = stored.try_get("title").map_err(db)?;
    let old_description: Option<String> = stored.try_get("description").map_err(db)?;
    if old_title.as_deref() != Some(t.title.as_str())
        || old_description.as_deref() != Some(t.description.as_str())
    {
        write_text(conn, seq, t, false).await?;
    }
    Ok(())
}

/// Inserts a comment.
async fn insert_comment(conn: &mut SqliteConnection, c: &Comment) -> Result<()> {
    sqlx::query(
        "INSERT INTO ticket_comments (id, tenant, ticket_id, internal, created_at, doc)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(c.id.as_uuid())
    .bind(c.tenant.as_uuid())
    .bind(c.ticket_id.as_uuid())
    .bind(c.visibility == Visibility::Internal)
    .bind(micros(c.created_at))
    .bind(to_doc(c)?)
    .execute(&mut *conn)
    .await
    .map_err(insert_error)?;
    Ok(())
}

/// Appends a history entry.
async fn insert_event(conn: &mut SqliteConnection, e: &TicketEvent) -> Result<()> {
    sqlx::query(
        "INSERT INTO ticket_events (id, tenant, ticket_id, at, doc) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(e.id.as_uuid())
    .bind(e.tenant.as_uuid())
    .bind(e.ticket_id.as_uuid())
    .bind(micros(e.at))
    .bind(to_doc(e)?)
    .execute(&mut *conn)
    .await
    .map_err(insert_error)?;
    Ok(())
}

/// Everything `save` writes, inside its transaction.
pub(crate) async fn save_in(
    conn: &mut SqliteConnection,
    change: &TicketChange,
    cols: &Columns,
) -> Result<()> {
    let t = &change.ticket;
    if let Some(check) = change.capacity {
        // Writes are serialised (one `BEGIN IMMEDIATE` transaction at a time, across
        // processes): the count and the write cannot interleave with another save.
        let held: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM ticket_tickets
             WHERE tenant = ? AND assignee = ? AND status_category IN ('new', 'open') AND id <> ?",
        )
        .bind(t.tenant.as_uuid())
        .bind(check.agent.as_uuid())
        .bind(t.id.as_uuid())
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
        if held >= i64::from(check.capacity) {
            return Err(Error::Conflict(ticket_core::error::Conflict::Capacity {
                agent: check.agent,
            }));
        }
    }
    match change.expected_version {
        None => create_ticket(conn, t, cols).await?,
        Some(expected) => update_ticket(conn, t, expected, cols).await?,
    }
    for c in &change.comments {
        insert_comment(conn, c).await?;
    }
    for e in &change.events {
        insert_event(conn, e).await?;
    }
    for n in &change.notifications {
        crate::notify::insert_notification(conn, n).await?;
    }
    for o in &change.outbox {
        crate::outbox::insert_entry(conn, o).await?;
    }
    Ok(())
}

/// Everything `delete_ticket` writes, inside its transaction.
pub(crate) async fn delete_in(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    id: TicketId,
    event: &TicketEvent,
    outbox: &[OutboxEntry],
) -> Result<()> {
    let seq: i64 = sqlx::query_scalar("SELECT seq FROM ticket_tickets WHERE id = ? AND tenant = ?")
        .bind(id.as_uuid())
        .bind(tenant.as_uuid())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .ok_or_else(|| Error::not_found("ticket"))?;
    if event.tenant != tenant || event.ticket_id != id {
        return Err(Error::invalid(
            "event",
            "belongs to another ticket or tenant",
        ));
    }
    if outbox.iter().any(|o| o.tenant != tenant) {
        return Err(Error::invalid("outbox", "belongs to another tenant"));
    }
    for sql in [
        "DELETE FROM ticket_comments WHERE ticket_id = (SELECT id FROM ticket_tickets WHERE seq = ?)",
        "DELETE FROM ticket_ticket_tags WHERE ticket = ?",
        "DELETE FROM ticket_ticket_fts WHERE rowid = ?",
        "DELETE FROM ticket_ticket_docs WHERE seq = ?",
        "DELETE FROM ticket_tickets WHERE seq = ?",
    ] {
        sqlx::query(sql)
            .bind(seq)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    insert_event(conn, event).await?;
    for o in outbox {
        crate::outbox::insert_entry(conn, o).await?;
    }
    Ok(())
}
