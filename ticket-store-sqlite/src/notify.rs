//! `NotificationStore` for `SqliteStore`: the document holds the notification, the
//! `read_at` column its read state (changed in place).

use crate::cursor::{decode_id, encode_id, page_of, page_size};
use crate::rows::{count, db, from_doc, micros, opt_instant, to_doc};
use crate::tickets::insert_error;
use crate::SqliteStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::{QueryBuilder, Row as _, Sqlite};
use ticket_core::error::{Error, Result};
use ticket_core::id::{NotificationId, TenantId, UserId};
use ticket_core::notify::Notification;
use ticket_core::ports::NotificationStore;
use ticket_core::query::Page;

/// Stores a notification (inside a write transaction).
pub(crate) async fn insert_notification(
    conn: &mut SqliteConnection,
    n: &Notification,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ticket_notifications (id, tenant, user_id, read_at, doc) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(n.id.as_uuid())
    .bind(n.tenant.as_uuid())
    .bind(n.user_id.as_uuid())
    .bind(n.read_at.map(micros))
    .bind(to_doc(n)?)
    .execute(&mut *conn)
    .await
    .map_err(insert_error)?;
    Ok(())
}

/// A notification from its document and `read_at` column.
fn notification(row: &SqliteRow) -> Result<Notification> {
    let mut n: Notification = from_doc(row, "doc")?;
    n.read_at = opt_instant(row.try_get("read_at").map_err(db)?)?;
    Ok(n)
}

#[async_trait]
impl NotificationStore for SqliteStore {
    async fn add_notifications(&self, notifications: &[Notification]) -> Result<()> {
        let mut w = self.write().await?;
        let mut result = Ok(());
        for n in notifications {
            result = insert_notification(&mut w.tx, n).await;
            if result.is_err() {
                break;
            }
        }
        w.finish(result).await
    }

    async fn list_notifications(
        &self,
        tenant: TenantId,
        user: UserId,
        unread_only: bool,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Notification>> {
        let before = cursor.map(decode_id).transpose()?;
        let size = page_size(limit);
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT doc, read_at FROM ticket_notifications WHERE tenant = ",
        );
        q.push_bind(tenant.as_uuid())
            .push(" AND user_id = ")
            .push_bind(user.as_uuid());
        if unread_only {
            q.push(" AND read_at IS NULL");
        }
        if let Some(before) = before {
            q.push(" AND id < ").push_bind(before);
        }
        q.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(size) + 1);
        let items = q
            .build()
            .fetch_all(self.pool())
            .await
            .map_err(db)?
            .iter()
            .map(notification)
            .collect::<Result<Vec<_>>>()?;
        Ok(page_of(items, size, |n| encode_id(n.id.as_uuid())))
    }

    async fn mark_read(
        &self,
        tenant: TenantId,
        user: UserId,
        id: NotificationId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut w = self.write().await?;
        let result = sqlx::query(
            "UPDATE ticket_notifications SET read_at = coalesce(read_at, ?)
             WHERE id = ? AND tenant = ? AND user_id = ?",
        )
        .bind(micros(now))
        .bind(id.as_uuid())
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .execute(&mut *w.tx)
        .await
        .map_err(db)
        .and_then(|done| {
            if done.rows_affected() == 0 {
                Err(Error::not_found("notification"))
            } else {
                Ok(())
            }
        });
        w.finish(result).await
    }

    async fn mark_all_read(
        &self,
        tenant: TenantId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut w = self.write().await?;
        let result = sqlx::query(
            "UPDATE ticket_notifications SET read_at = ?
             WHERE tenant = ? AND user_id = ? AND read_at IS NULL",
        )
        .bind(micros(now))
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .execute(&mut *w.tx)
        .await
        .map(|done| done.rows_affected())
        .map_err(db);
        w.finish(result).await
    }

    async fn unread_count(&self, tenant: TenantId, user: UserId) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM ticket_notifications
             WHERE tenant = ? AND user_id = ? AND read_at IS NULL",
        )
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .fetch_one(self.pool())
        .await
        .map_err(db)?;
        Ok(count(n))
    }
}
