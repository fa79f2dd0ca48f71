//! `NotificationStore` and `Outbox` for `MemoryStore`.

use super::{
    check_new_ids, decode_id_cursor, encode_id_cursor, get_in, get_in_mut, page_of, page_size,
    MemoryStore,
};
use crate::error::{Conflict, Error, Result};
use crate::id::{DeliveryId, NotificationId, TenantId, UserId};
use crate::notify::{
    Channel, DeliveryAttempt, DeliveryStatus, Notification, OutboxEntry, RECIPIENT_DELETED,
};
use crate::ports::{NotificationStore, Outbox};
use crate::query::Page;
use crate::text::Email;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[async_trait]
impl NotificationStore for MemoryStore {
    async fn add_notifications(&self, notifications: &[Notification]) -> Result<()> {
        let mut s = self.state();
        check_new_ids(&s.notifications, notifications.iter().map(|n| n.id))?;
        s.notifications
            .extend(notifications.iter().map(|n| (n.id, n.clone())));
        Ok(())
    }

    async fn list_notifications(
        &self,
        tenant: TenantId,
        user: UserId,
        unread_only: bool,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Notification>> {
        let before = cursor
            .map(decode_id_cursor)
            .transpose()?
            .map(NotificationId::from_uuid);
        let s = self.state();
        let items = s
            .notifications
            .values()
            .rev()
            .filter(|n| n.tenant == tenant && n.user_id == user && before.is_none_or(|b| n.id < b))
            .filter(|n| !unread_only || n.read_at.is_none())
            .cloned();
        Ok(page_of(items, page_size(limit), |n| {
            encode_id_cursor(n.id.as_uuid())
        }))
    }

    async fn mark_read(
        &self,
        tenant: TenantId,
        user: UserId,
        id: NotificationId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut s = self.state();
        let n = get_in_mut(&mut s.notifications, tenant, &id)
            .filter(|n| n.user_id == user)
            .ok_or_else(|| Error::not_found("notification"))?;
        n.read_at.get_or_insert(now);
        Ok(())
    }

    async fn mark_all_read(
        &self,
        tenant: TenantId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut s = self.state();
        let mut count = 0;
        for n in s
            .notifications
            .values_mut()
            .filter(|n| n.tenant == tenant && n.user_id == user && n.read_at.is_none())
        {
            n.read_at = Some(now);
            count += 1;
        }
        Ok(count)
    }

    async fn unread_count(&self, tenant: TenantId, user: UserId) -> Result<u64> {
        let s = self.state();
        let count = s
            .notifications
            .values()
            .filter(|n| n.tenant == tenant && n.user_id == user && n.read_at.is_none())
            .count();
        Ok(u64::try_from(count).unwrap_or(u64::MAX))
    }
}

/// Blanks what an entry carries (payload, e-mail subject and body), keeping metadata.
fn blank(e: &mut OutboxEntry) {
    e.payload = serde_json::Value::Null;
    if let Channel::Email { subject, body, .. } = &mut e.channel {
        subject.clear();
        body.clear();
    }
}

/// Whether a worker may claim `entry` at `now`: pending and due, or in flight with a
/// lapsed lease (its worker died).
fn claimable(entry: &OutboxEntry, now: DateTime<Utc>) -> bool {
    match entry.status {
        DeliveryStatus::Pending => entry.next_attempt_at <= now,
        DeliveryStatus::InFlight => entry.lease_until.is_none_or(|lease| lease <= now),
        DeliveryStatus::Delivered | DeliveryStatus::Dead => false,
    }
}

/// The in-flight entry `id` held by `claim`, if it still is.
fn held(
    outbox: &mut std::collections::BTreeMap<DeliveryId, OutboxEntry>,
    id: DeliveryId,
    claim: Uuid,
) -> Option<&mut OutboxEntry> {
    outbox
        .get_mut(&id)
        .filter(|e| e.status == DeliveryStatus::InFlight && e.claim == Some(claim))
}

#[async_trait]
impl Outbox for MemoryStore {
    async fn enqueue(&self, entries: &[OutboxEntry]) -> Result<()> {
        let mut s = self.state();
        check_new_ids(&s.outbox, entries.iter().map(|e| e.id))?;
        s.outbox.extend(entries.iter().map(|e| (e.id, e.clone())));
        Ok(())
    }

    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>> {
        let mut s = self.state();
        let mut due: Vec<(DateTime<Utc>, DeliveryId)> = s
            .outbox
            .values()
            .filter(|e| claimable(e, now))
            .map(|e| (e.next_attempt_at, e.id))
            .collect();
        due.sort();
        due.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let lease_until = now
            .checked_add_signed(lease)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let mut claimed = Vec::with_capacity(due.len());
        for (_, id) in due {
            if let Some(e) = s.outbox.get_mut(&id) {
                e.status = DeliveryStatus::InFlight;
                e.lease_until = Some(lease_until);
                e.claim = Some(Uuid::now_v7());
                e.attempts = e.attempts.saturating_add(1);
                claimed.push(e.clone());
            }
        }
        Ok(claimed)
    }

    async fn complete(
        &self,
        id: DeliveryId,
        claim: Uuid,
        now: DateTime<Utc>,
        log: &[DeliveryAttempt],
    ) -> Result<bool> {
        let mut s = self.state();
        let Some(e) = held(&mut s.outbox, id, claim) else {
            return Ok(false);
        };
        e.log = log.to_vec();
        e.status = DeliveryStatus::Delivered;
        e.delivered_at = Some(now);
        e.lease_until = None;
        e.claim = None;
        Ok(true)
    }

    async fn fail(
        &self,
        id: DeliveryId,
        claim: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        log: &[DeliveryAttempt],
    ) -> Result<bool> {
        let mut s = self.state();
        let Some(e) = held(&mut s.outbox, id, claim) else {
            return Ok(false);
        };
        e.log = log.to_vec();
        e.last_error = Some(error.to_string());
        e.lease_until = None;
        e.claim = None;
        match retry_at {
            Some(at) => {
                e.status = DeliveryStatus::Pending;
                e.next_attempt_at = at;
            }
            None => e.status = DeliveryStatus::Dead,
        }
        Ok(true)
    }

    async fn purge_delivered(&self, before: DateTime<Utc>) -> Result<u64> {
        let mut s = self.state();
        let mut count = 0;
        for e in s.outbox.values_mut().filter(|e| {
            e.status == DeliveryStatus::Delivered
                && e.delivered_at.is_some_and(|at| at < before)
                && !e.payload.is_null()
        }) {
            blank(e);
            count += 1;
        }
        Ok(count)
    }

    async fn forget_recipient(
        &self,
        tenant: TenantId,
        address: &Email,
        placeholder: &Email,
    ) -> Result<u64> {
        let mut s = self.state();
        let mut count = 0;
        for e in s.outbox.values_mut().filter(|e| {
            e.tenant == tenant && matches!(&e.channel, Channel::Email { to, .. } if to == address)
        }) {
            blank(e);
            if let Channel::Email { to, .. } = &mut e.channel {
                *to = placeholder.clone();
            }
            if matches!(e.status, DeliveryStatus::Pending | DeliveryStatus::Dead) {
                e.status = DeliveryStatus::Dead;
                e.last_error = Some(RECIPIENT_DELETED.to_string());
            }
            count += 1;
        }
        Ok(count)
    }

    async fn get_delivery(&self, tenant: TenantId, id: DeliveryId) -> Result<OutboxEntry> {
        get_in(&self.state().outbox, tenant, &id)
            .cloned()
            .ok_or_else(|| Error::not_found("delivery"))
    }

    async fn list_deliveries(
        &self,
        tenant: TenantId,
        status: Option<DeliveryStatus>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<OutboxEntry>> {
        let before = cursor
            .map(decode_id_cursor)
            .transpose()?
            .map(DeliveryId::from_uuid);
        let s = self.state();
        let items = s
            .outbox
            .values()
            .rev()
            .filter(|e| e.tenant == tenant && before.is_none_or(|b| e.id < b))
            .filter(|e| status.is_none_or(|st| e.status == st))
            .cloned();
        Ok(page_of(items, page_size(limit), |e| {
            encode_id_cursor(e.id.as_uuid())
        }))
    }

    async fn retry_delivery(
        &self,
        tenant: TenantId,
        id: DeliveryId,
        now: DateTime<Utc>,
    ) -> Result<OutboxEntry> {
        let mut s = self.state();
        let e =
            get_in_mut(&mut s.outbox, tenant, &id).ok_or_else(|| Error::not_found("delivery"))?;
        if e.status != DeliveryStatus::Dead {
            return Err(Error::Conflict(Conflict::State {
                reason: "only a dead delivery can be retried".into(),
            }));
        }
        e.status = DeliveryStatus::Pending;
        e.attempts = 0;
        e.next_attempt_at = now;
        e.lease_until = None;
        e.claim = None;
        Ok(e.clone())
    }
}
