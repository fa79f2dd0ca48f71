//! `NotificationStore` for `MongoStore`: in-app notifications, read state in a field of
//! its own so marking them read is one update.

use crate::connect::names::NOTIFICATIONS;
use crate::docs::{
    all, decode_id_cursor, encode_id_cursor, from_doc, id, limit_of, page_of, page_size, to_json,
    DOC,
};
use crate::errors::{db, is_duplicate};
use crate::MongoStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mongodb::bson::{doc, Document};
use ticket_core::error::{Error, Result};
use ticket_core::id::{NotificationId, TenantId, UserId};
use ticket_core::notify::Notification;
use ticket_core::ports::NotificationStore;
use ticket_core::query::Page;

/// The stored form of a notification.
pub(crate) fn notification_doc(n: &Notification) -> Result<Document> {
    Ok(doc! {
        "_id": id(n.id.as_uuid()),
        "tenant": id(n.tenant.as_uuid()),
        "user": id(n.user_id.as_uuid()),
        "unread": n.read_at.is_none(),
        "read": to_json(&n.read_at)?,
        DOC: to_json(n)?,
    })
}

/// A notification read back, with `read_at` as the `read` field holds it.
fn notification_of(d: &Document) -> Result<Notification> {
    let mut n: Notification = from_doc(d)?;
    n.read_at = crate::docs::from_field(d, "read")?;
    Ok(n)
}

#[async_trait]
impl NotificationStore for MongoStore {
    async fn add_notifications(&self, notifications: &[Notification]) -> Result<()> {
        if notifications.is_empty() {
            return Ok(());
        }
        let docs = notifications
            .iter()
            .map(notification_doc)
            .collect::<Result<Vec<_>>>()?;
        // All or nothing: check the ids first (a batch of fresh UUIDv7s never collides).
        let ids: Vec<String> = notifications.iter().map(|n| id(n.id.as_uuid())).collect();
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        if distinct.len() != ids.len()
            || self
                .coll(NOTIFICATIONS)
                .find_one(doc! { "_id": { "$in": &ids } })
                .await
                .map_err(db)?
                .is_some()
        {
            return Err(Error::unique("id"));
        }
        match self.coll(NOTIFICATIONS).insert_many(docs).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate(&e) => Err(Error::unique("id")),
            Err(e) => Err(db(e)),
        }
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
        self.recover_now().await?;
        let mut f = doc! { "tenant": id(tenant.as_uuid()), "user": id(user.as_uuid()) };
        if let Some(before) = before {
            f.insert("_id", doc! { "$lt": id(before) });
        }
        if unread_only {
            f.insert("unread", true);
        }
        let size = page_size(limit);
        let items = all(self
            .coll(NOTIFICATIONS)
            .find(f)
            .sort(doc! { "_id": -1 })
            .limit(limit_of(size) + 1)
            .await
            .map_err(db)?)
        .await?
        .iter()
        .map(notification_of)
        .collect::<Result<Vec<_>>>()?;
        Ok(page_of(items, size, |n| encode_id_cursor(n.id.as_uuid())))
    }

    async fn mark_read(
        &self,
        tenant: TenantId,
        user: UserId,
        notification: NotificationId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let which = doc! {
            "_id": id(notification.as_uuid()),
            "tenant": id(tenant.as_uuid()),
            "user": id(user.as_uuid()),
        };
        let mut unread = which.clone();
        unread.insert("unread", true);
        let r = self
            .coll(NOTIFICATIONS)
            .update_one(
                unread,
                doc! { "$set": { "unread": false, "read": to_json(&Some(now))? } },
            )
            .await
            .map_err(db)?;
        if r.matched_count > 0 {
            return Ok(());
        }
        // Already read (keeps the first time), or not the user's.
        self.coll(NOTIFICATIONS)
            .find_one(which)
            .projection(doc! { "_id": 1 })
            .await
            .map_err(db)?
            .map(drop)
            .ok_or_else(|| Error::not_found("notification"))
    }

    async fn mark_all_read(
        &self,
        tenant: TenantId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        self.recover_now().await?;
        let r = self
            .coll(NOTIFICATIONS)
            .update_many(
                doc! { "tenant": id(tenant.as_uuid()), "user": id(user.as_uuid()), "unread": true },
                doc! { "$set": { "unread": false, "read": to_json(&Some(now))? } },
            )
            .await
            .map_err(db)?;
        Ok(r.modified_count)
    }

    async fn unread_count(&self, tenant: TenantId, user: UserId) -> Result<u64> {
        self.recover_now().await?;
        self.coll(NOTIFICATIONS)
            .count_documents(
                doc! { "tenant": id(tenant.as_uuid()), "user": id(user.as_uuid()), "unread": true },
            )
            .await
            .map_err(db)
    }
}
