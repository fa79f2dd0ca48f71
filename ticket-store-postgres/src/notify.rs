//! `NotificationStore` for `PostgresStore`: in-app notifications, whose `read_at`
//! column is the authoritative read mark (the document keeps the notification as
//! written).

use crate::connect::PostgresStore;
use crate::errors::{db, doc, Doc};
use crate::rows::{self, decode_id_cursor, encode_id_cursor, look_ahead, page_of, page_size};
use crate::tables::Tables;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::QueryScalar;
use sqlx::Postgres;
use ticket_core::id::{NotificationId, TenantId, UserId};
use ticket_core::notify::Notification;
use ticket_core::ports::NotificationStore;
use ticket_core::query::Page;
use ticket_core::{Error, Result};
use uuid::Uuid;

/// Notifications as parallel arrays for `unnest`.
pub(crate) struct NotificationRows {
    ids: Vec<Uuid>,
    tenants: Vec<Uuid>,
    users: Vec<Uuid>,
    read_at: Vec<Option<DateTime<Utc>>>,
    docs: Vec<Doc>,
}

impl NotificationRows {
    /// The rows of `notifications`.
    ///
    /// # Errors
    /// `Invalid` on `notifications` when one holds NUL.
    pub fn new<'a, I>(notifications: I) -> Result<Self>
    where
        I: IntoIterator<Item = &'a Notification>,
        I::IntoIter: Clone,
    {
        let notifications = notifications.into_iter();
        Ok(Self {
            ids: notifications.clone().map(|n| n.id.as_uuid()).collect(),
            tenants: notifications.clone().map(|n| n.tenant.as_uuid()).collect(),
            users: notifications.clone().map(|n| n.user_id.as_uuid()).collect(),
            read_at: notifications.clone().map(|n| n.read_at).collect(),
            docs: notifications
                .map(|n| doc("notifications", n))
                .collect::<Result<_>>()?,
        })
    }

    /// Moves `other`'s rows after these.
    pub fn append(&mut self, mut other: Self) {
        self.ids.append(&mut other.ids);
        self.tenants.append(&mut other.tenants);
        self.users.append(&mut other.users);
        self.read_at.append(&mut other.read_at);
        self.docs.append(&mut other.docs);
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// An `INSERT` of the rows bound at `$first…$first+4`, done only when `guard` holds.
    pub fn insert_sql(t: &Tables, first: usize, guard: &str) -> String {
        let p = |i: usize| first + i;
        format!(
            "INSERT INTO {table} (id, tenant, user_id, read_at, doc)
             SELECT n.id, n.tenant, n.user_id, n.read_at, n.doc
             FROM unnest(${a}::uuid[], ${b}::uuid[], ${c}::uuid[], ${d}::timestamptz[],
                         ${e}::jsonb[]) AS n(id, tenant, user_id, read_at, doc)
             WHERE {guard}",
            table = t.notifications,
            a = p(0),
            b = p(1),
            c = p(2),
            d = p(3),
            e = p(4),
        )
    }

    /// Binds the rows in the order of [`NotificationRows::insert_sql`].
    pub fn bind<'q, O>(
        self,
        q: QueryScalar<'q, Postgres, O, PgArguments>,
    ) -> QueryScalar<'q, Postgres, O, PgArguments> {
        q.bind(self.ids)
            .bind(self.tenants)
            .bind(self.users)
            .bind(self.read_at)
            .bind(self.docs)
    }
}

/// A notification read back: the document with the read mark of the column.
fn notification(row: &PgRow) -> Result<Notification> {
    let mut n: Notification = rows::doc(row, "doc")?;
    n.read_at = rows::get(row, "read_at")?;
    Ok(n)
}

#[async_trait]
impl NotificationStore for PostgresStore {
    async fn add_notifications(&self, notifications: &[Notification]) -> Result<()> {
        if notifications.is_empty() {
            return Ok(());
        }
        let rows = NotificationRows::new(notifications)?;
        let sql = format!(
            "WITH added AS ({}) SELECT 1",
            NotificationRows::insert_sql(self.tables(), 1, "true")
        );
        rows.bind(sqlx::query_scalar::<_, i32>(&sql))
            .fetch_one(self.pool())
            .await
            .map(drop)
            .map_err(db)
    }

    async fn list_notifications(
        &self,
        tenant: TenantId,
        user: UserId,
        unread_only: bool,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Notification>> {
        let before = cursor.map(decode_id_cursor).transpose()?;
        let size = page_size(limit);
        let sql = format!(
            "SELECT doc, read_at FROM {} WHERE tenant = $1 AND user_id = $2{}{} \
             ORDER BY id DESC LIMIT $3",
            self.tables().notifications,
            if unread_only {
                " AND read_at IS NULL"
            } else {
                ""
            },
            if before.is_some() { " AND id < $4" } else { "" },
        );
        let found = sqlx::query(&sql)
            .bind(tenant.as_uuid())
            .bind(user.as_uuid())
            .bind(look_ahead(size))
            .bind(before)
            .fetch_all(self.pool())
            .await
            .map_err(db)?;
        let items = found.iter().map(notification).collect::<Result<Vec<_>>>()?;
        Ok(page_of(items, size, |n| encode_id_cursor(n.id.as_uuid())))
    }

    async fn mark_read(
        &self,
        tenant: TenantId,
        user: UserId,
        id: NotificationId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        // `coalesce` keeps the first read time, also against a concurrent mark (the
        // second writer re-reads the row it waited for).
        let done = sqlx::query(&format!(
            "UPDATE {} SET read_at = coalesce(read_at, $4) \
             WHERE tenant = $1 AND user_id = $2 AND id = $3",
            self.tables().notifications
        ))
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .bind(id.as_uuid())
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(db)?;
        if rows::affected(&done) == 0 {
            return Err(Error::not_found("notification"));
        }
        Ok(())
    }

    async fn mark_all_read(
        &self,
        tenant: TenantId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let done = sqlx::query(&format!(
            "UPDATE {} SET read_at = $3 WHERE tenant = $1 AND user_id = $2 AND read_at IS NULL",
            self.tables().notifications
        ))
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(rows::affected(&done))
    }

    async fn unread_count(&self, tenant: TenantId, user: UserId) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {} WHERE tenant = $1 AND user_id = $2 AND read_at IS NULL",
            self.tables().notifications
        ))
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .fetch_one(self.pool())
        .await
        .map_err(db)?;
        Ok(rows::count(n))
    }
}
