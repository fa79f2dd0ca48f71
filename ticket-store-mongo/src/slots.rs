//! Exclusive turns by insert, the one compare-and-set every MongoDB-protocol server
//! makes atomic. FerretDB 1.x evaluates an update's filter in its own process and then
//! writes the document by `_id`, so two concurrent `find_one_and_update`s filtered on the
//! same version can both succeed there; an insert into a unique index cannot. Every
//! exclusive step of this store (a version-checked replacement, an outbox entry's next
//! state, a token's single use, a rotation's next pick) first takes a *slot*: it inserts
//! `{_id: "<record>@<base version>"}` into `ticket_slots`, and only the one writer whose
//! insert succeeds goes on to write the record; the others get error 11000 and a
//! conflict. On MongoDB the writes that follow are also filtered on the version, so the
//! two safeguards agree.
//!
//! A slot is released once its write landed (a later writer holding a stale version then
//! takes the slot but fails the write's own version filter, which by then reads the new
//! version). A writer that died holding a slot leaves it behind; a slot older than
//! [`STALE_SLOT`] whose record is still at the slot's version is taken over.

use crate::connect::names::SLOTS;
use crate::errors::{db, is_duplicate};
use crate::MongoStore;
use mongodb::bson::doc;
use std::time::Duration;
use ticket_core::error::Result;

/// How old an unreleased slot must be before another writer takes it over (its writer
/// died between taking it and writing).
pub(crate) const STALE_SLOT: Duration = Duration::from_secs(30);

/// Milliseconds since the epoch, now.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl MongoStore {
    /// Takes slot `key`: `true` when this call got it, `false` when another writer holds
    /// it (or held it and never released it, and it is not stale yet).
    pub(crate) async fn take_slot(&self, key: &str) -> Result<bool> {
        for _ in 0..2 {
            match self
                .coll(SLOTS)
                .insert_one(doc! { "_id": key, "at": now_ms() })
                .await
            {
                Ok(_) => return Ok(true),
                Err(e) if is_duplicate(&e) => {}
                Err(e) => return Err(db(e)),
            }
            // Held: take it over only when its writer is long gone.
            let stale_before = now_ms() - i64::try_from(STALE_SLOT.as_millis()).unwrap_or(0);
            let gone = self
                .coll(SLOTS)
                .delete_one(doc! { "_id": key, "at": { "$lt": stale_before } })
                .await
                .map_err(db)?;
            if gone.deleted_count == 0 {
                return Ok(false);
            }
        }
        Ok(false)
    }

    /// One exclusive write of the document `_id` of collection `name` whose revision
    /// field `field` reads `rev`: under the slot `<name>:<_id>@<rev>`, `update` is
    /// applied filtered on `_id` and on that revision (`update` must move the revision
    /// on). `None` when another writer holds the slot; otherwise whether the document
    /// still had that revision and was written.
    pub(crate) async fn write_at(
        &self,
        name: &str,
        key: &str,
        field: &str,
        rev: i64,
        update: mongodb::bson::Document,
    ) -> Result<Option<bool>> {
        let slot = format!("{name}:{key}@{rev}");
        if !self.take_slot(&slot).await? {
            return Ok(None);
        }
        let written = self
            .coll(name)
            .update_one(doc! { "_id": key, field: rev }, update)
            .await;
        self.release_slot(&slot).await?;
        Ok(Some(written.map_err(db)?.matched_count > 0))
    }

    /// Releases slot `key` (after its write landed, or when the write was refused).
    pub(crate) async fn release_slot(&self, key: &str) -> Result<()> {
        self.coll(SLOTS)
            .delete_one(doc! { "_id": key })
            .await
            .map_err(db)?;
        Ok(())
    }
}
