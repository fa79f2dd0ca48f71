//! `Outbox` for `MongoStore`. Every change of an entry is a compare-and-set on its
//! revision counter `rev` (read, change in Rust, write back only if `rev` is unchanged):
//! two workers never both claim an entry, and a completion or failure only lands while
//! the worker's claim still holds it.

use crate::connect::names::OUTBOX;
use crate::docs::{
    all, decode_id_cursor, encode_id_cursor, from_doc, get_int, id, limit_of, micros, page_of,
    page_size, to_json, DOC,
};
use crate::errors::{db, is_duplicate};
use crate::MongoStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mongodb::bson::{doc, Bson, Document};
use ticket_core::error::{Conflict, Error, Result};
use ticket_core::id::{DeliveryId, TenantId};
use ticket_core::notify::{
    Channel, DeliveryAttempt, DeliveryStatus, OutboxEntry, RECIPIENT_DELETED,
};
use ticket_core::ports::Outbox;
use ticket_core::query::Page;
use ticket_core::text::Email;
use uuid::Uuid;

/// How many entries one pass of a bulk change (purge, forget) reads.
const BATCH: i64 = 200;

/// How many rounds a claim makes when other workers win some of its candidates.
const CLAIM_ROUNDS: usize = 4;

/// The stored name of a delivery status (its wire name).
fn status_name(s: DeliveryStatus) -> &'static str {
    match s {
        DeliveryStatus::Pending => "pending",
        DeliveryStatus::InFlight => "in_flight",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Dead => "dead",
    }
}

/// The fields of an entry document (all but `_id` and `rev`).
fn entry_fields(e: &OutboxEntry) -> Result<Document> {
    let to = match &e.channel {
        Channel::Email { to, .. } => Bson::String(to.as_str().to_string()),
        Channel::Webhook { .. } => Bson::Null,
    };
    Ok(doc! {
        "tenant": id(e.tenant.as_uuid()),
        "status": status_name(e.status),
        "next": micros(e.next_attempt_at),
        "lease": e.lease_until.map_or(Bson::Null, |l| Bson::Int64(micros(l))),
        "delivered": e.delivered_at.map_or(Bson::Null, |l| Bson::Int64(micros(l))),
        "blank": e.payload.is_null(),
        "to": to,
        DOC: to_json(e)?,
    })
}

/// The stored form of a new entry.
pub(crate) fn entry_doc(e: &OutboxEntry) -> Result<Document> {
    let mut d = entry_fields(e)?;
    d.insert("_id", id(e.id.as_uuid()));
    d.insert("rev", 0_i64);
    Ok(d)
}

/// Blanks what an entry carries (payload, e-mail subject and body), keeping metadata.
fn blank(e: &mut OutboxEntry) {
    e.payload = serde_json::Value::Null;
    if let Channel::Email { subject, body, .. } = &mut e.channel {
        subject.clear();
        body.clear();
    }
}

impl MongoStore {
    /// Writes `entry` over the stored document `d` if its revision is still `d`'s (under
    /// the slot of that revision: one writer per revision, see `slots.rs`).
    async fn swap(&self, d: &Document, entry: &OutboxEntry) -> Result<bool> {
        let rev = get_int(d, "rev")?;
        let key = d.get_str("_id").unwrap_or_default();
        let slot = format!("outbox:{key}@{rev}");
        if !self.take_slot(&slot).await? {
            return Ok(false);
        }
        let mut set = entry_fields(entry)?;
        set.insert("rev", rev + 1);
        let r = self
            .coll(OUTBOX)
            .update_one(doc! { "_id": key, "rev": rev }, doc! { "$set": set })
            .await;
        self.release_slot(&slot).await?;
        Ok(r.map_err(db)?.matched_count > 0)
    }

    /// Changes the entries `filter` selects with `change` (which says whether it changed
    /// one), in batches, until none is left; returns how many were changed.
    async fn change_all(
        &self,
        filter: Document,
        change: impl Fn(&mut OutboxEntry) -> bool + Send + Sync,
    ) -> Result<u64> {
        let mut changed = 0;
        let mut skip: Vec<Bson> = Vec::new();
        loop {
            let mut f = filter.clone();
            if !skip.is_empty() {
                f.insert("_id", doc! { "$nin": skip.clone() });
            }
            let batch = all(self.coll(OUTBOX).find(f).limit(BATCH).await.map_err(db)?).await?;
            if batch.is_empty() {
                return Ok(changed);
            }
            for d in &batch {
                let mut e: OutboxEntry = from_doc(d)?;
                if !change(&mut e) {
                    // Matched by the filter but nothing to change: never read it again.
                    skip.extend(d.get("_id").cloned());
                    continue;
                }
                // A lost race leaves the entry to the next pass, which reads it afresh.
                if self.swap(d, &e).await? {
                    changed += 1;
                }
            }
        }
    }

    /// The entry `id` in flight under `claim`, changed by `change`; `false` when the
    /// claim no longer holds it.
    async fn settle_claimed(
        &self,
        delivery: DeliveryId,
        claim: Uuid,
        change: impl Fn(&mut OutboxEntry),
    ) -> Result<bool> {
        loop {
            let Some(d) = self
                .coll(OUTBOX)
                .find_one(doc! { "_id": id(delivery.as_uuid()), "status": "in_flight" })
                .await
                .map_err(db)?
            else {
                return Ok(false);
            };
            let mut e: OutboxEntry = from_doc(&d)?;
            if e.claim != Some(claim) {
                return Ok(false);
            }
            change(&mut e);
            e.lease_until = None;
            e.claim = None;
            if self.swap(&d, &e).await? {
                return Ok(true);
            }
        }
    }
}

#[async_trait]
impl Outbox for MongoStore {
    async fn enqueue(&self, entries: &[OutboxEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = entries.iter().map(|e| id(e.id.as_uuid())).collect();
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        if distinct.len() != ids.len()
            || self
                .coll(OUTBOX)
                .find_one(doc! { "_id": { "$in": &ids } })
                .await
                .map_err(db)?
                .is_some()
        {
            return Err(Error::unique("id"));
        }
        let docs = entries.iter().map(entry_doc).collect::<Result<Vec<_>>>()?;
        match self.coll(OUTBOX).insert_many(docs).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate(&e) => Err(Error::unique("id")),
            Err(e) => Err(db(e)),
        }
    }

    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>> {
        self.recover_now().await?;
        let lease_until = now
            .checked_add_signed(lease)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let at = micros(now);
        let want = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut claimed: Vec<OutboxEntry> = Vec::new();
        let mut lost: Vec<Bson> = Vec::new();
        for _ in 0..CLAIM_ROUNDS {
            if claimed.len() >= want {
                break;
            }
            let mut f = doc! { "$or": [
                { "status": "pending", "next": { "$lte": at } },
                { "status": "in_flight", "lease": { "$lte": at } },
                { "status": "in_flight", "lease": Bson::Null },
            ] };
            if !lost.is_empty() {
                f.insert("_id", doc! { "$nin": lost.clone() });
            }
            let rest = u32::try_from(want - claimed.len()).unwrap_or(u32::MAX);
            let due = all(self
                .coll(OUTBOX)
                .find(f)
                .sort(doc! { "next": 1, "_id": 1 })
                .limit(limit_of(rest))
                .await
                .map_err(db)?)
            .await?;
            if due.is_empty() {
                break;
            }
            for d in &due {
                let mut e: OutboxEntry = from_doc(d)?;
                e.status = DeliveryStatus::InFlight;
                e.lease_until = Some(lease_until);
                e.claim = Some(Uuid::now_v7());
                e.attempts = e.attempts.saturating_add(1);
                if self.swap(d, &e).await? {
                    claimed.push(e);
                } else {
                    lost.extend(d.get("_id").cloned());
                }
            }
        }
        claimed.sort_by_key(|e| (e.next_attempt_at, e.id));
        Ok(claimed)
    }

    async fn complete(
        &self,
        delivery: DeliveryId,
        claim: Uuid,
        now: DateTime<Utc>,
        log: &[DeliveryAttempt],
    ) -> Result<bool> {
        self.settle_claimed(delivery, claim, |e| {
            e.log = log.to_vec();
            e.status = DeliveryStatus::Delivered;
            e.delivered_at = Some(now);
        })
        .await
    }

    async fn fail(
        &self,
        delivery: DeliveryId,
        claim: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        log: &[DeliveryAttempt],
    ) -> Result<bool> {
        self.settle_claimed(delivery, claim, |e| {
            e.log = log.to_vec();
            e.last_error = Some(error.to_string());
            match retry_at {
                Some(at) => {
                    e.status = DeliveryStatus::Pending;
                    e.next_attempt_at = at;
                }
                None => e.status = DeliveryStatus::Dead,
            }
        })
        .await
    }

    async fn purge_delivered(&self, before: DateTime<Utc>) -> Result<u64> {
        self.change_all(
            doc! { "status": "delivered", "delivered": { "$lt": micros(before) }, "blank": false },
            |e| {
                if e.payload.is_null() {
                    return false;
                }
                blank(e);
                true
            },
        )
        .await
    }

    async fn forget_recipient(
        &self,
        tenant: TenantId,
        address: &Email,
        placeholder: &Email,
    ) -> Result<u64> {
        let placeholder = placeholder.clone();
        self.change_all(
            doc! { "tenant": id(tenant.as_uuid()), "to": address.as_str() },
            move |e| {
                blank(e);
                if let Channel::Email { to, .. } = &mut e.channel {
                    *to = placeholder.clone();
                }
                if matches!(e.status, DeliveryStatus::Pending | DeliveryStatus::Dead) {
                    e.status = DeliveryStatus::Dead;
                    e.last_error = Some(RECIPIENT_DELETED.to_string());
                }
                true
            },
        )
        .await
    }

    async fn get_delivery(&self, tenant: TenantId, delivery: DeliveryId) -> Result<OutboxEntry> {
        let d = self
            .coll(OUTBOX)
            .find_one(doc! { "_id": id(delivery.as_uuid()), "tenant": id(tenant.as_uuid()) })
            .await
            .map_err(db)?
            .ok_or_else(|| Error::not_found("delivery"))?;
        from_doc(&d)
    }

    async fn list_deliveries(
        &self,
        tenant: TenantId,
        status: Option<DeliveryStatus>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<OutboxEntry>> {
        let before = cursor.map(decode_id_cursor).transpose()?;
        self.recover_now().await?;
        let mut f = doc! { "tenant": id(tenant.as_uuid()) };
        if let Some(before) = before {
            f.insert("_id", doc! { "$lt": id(before) });
        }
        if let Some(s) = status {
            f.insert("status", status_name(s));
        }
        let size = page_size(limit);
        let items: Vec<OutboxEntry> = crate::docs::all_docs(
            self.coll(OUTBOX)
                .find(f)
                .sort(doc! { "_id": -1 })
                .limit(limit_of(size) + 1)
                .await
                .map_err(db)?,
        )
        .await?;
        Ok(page_of(items, size, |e| encode_id_cursor(e.id.as_uuid())))
    }

    async fn retry_delivery(
        &self,
        tenant: TenantId,
        delivery: DeliveryId,
        now: DateTime<Utc>,
    ) -> Result<OutboxEntry> {
        loop {
            let d = self
                .coll(OUTBOX)
                .find_one(doc! { "_id": id(delivery.as_uuid()), "tenant": id(tenant.as_uuid()) })
                .await
                .map_err(db)?
                .ok_or_else(|| Error::not_found("delivery"))?;
            let mut e: OutboxEntry = from_doc(&d)?;
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
            if self.swap(&d, &e).await? {
                return Ok(e);
            }
        }
    }
}
