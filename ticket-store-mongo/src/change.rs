//! The write side of tickets (their stored forms are in `ticket_doc.rs`): the protocol
//! that makes a change (ticket + comments + events + notifications + outbox entries)
//! all or nothing without a transaction: one version-checked document write carrying
//! the change as `pending`, then idempotent inserts of the records and the removal of
//! the marker. See the crate docs ("A ticket change without transactions"); routed
//! saves are checked against capacity in `capacity.rs`.

use crate::connect::names::{COMMENTS, EVENTS, NOTIFICATIONS, OUTBOX, TICKETS};
use crate::docs::{get_int, id};
use crate::errors::{check_next_version, db, is_duplicate, only_duplicates, version};
use crate::ticket_doc::{comment_doc, event_doc, new_ticket_doc, ticket_fields};
use crate::MongoStore;
use mongodb::bson::{doc, Bson, Document};
use mongodb::options::ReturnDocument;
use std::collections::HashSet;
use ticket_core::error::{Error, Result};
use ticket_core::event::{EventKind, TicketEvent};
use ticket_core::id::{TenantId, TicketId};
use ticket_core::notify::OutboxEntry;
use ticket_core::ports::TicketChange;
use ticket_core::ticket::Comment;

/// The `pending.v` of a deletion (a ticket version is never negative).
const DELETION: i64 = -1;

/// The tenant a deleted ticket's document carries until its deletion is complete: no
/// tenant-scoped read can find it any more.
const GONE: &str = "-";

/// How often a store looks for changes left pending by writers that died (on reads of
/// notifications and claims of the outbox).
pub(crate) const RECOVERY_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// How many pending changes one recovery query completes.
const RECOVERY_BATCH: i64 = 100;

/// How often a failed commit is retried after completing a pending change it found
/// (each retry follows another writer's completed change; never loops for long).
const COMMIT_TRIES: usize = 8;

/// Checks that everything a change writes belongs to the ticket's tenant (and comments
/// and events to the ticket itself), as `MemoryStore` does.
fn check_change_scope(change: &TicketChange) -> Result<()> {
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

/// The FAQ deflection counters a change adds to its ticket (its events' kinds).
fn faq_counts(events: &[TicketEvent]) -> (i64, i64, i64) {
    events.iter().fold((0, 0, 0), |(s, c, r), e| match e.kind {
        EventKind::FaqSuggested { .. } => (s + 1, c, r),
        EventKind::FaqConfirmed { .. } => (s, c + 1, r),
        EventKind::FaqRejected { .. } => (s, c, r + 1),
        _ => (s, c, r),
    })
}

/// A change's records as stored, by collection, with their ids.
struct Records {
    comments: Vec<Document>,
    events: Vec<Document>,
    notifications: Vec<Document>,
    outbox: Vec<Document>,
}

impl Records {
    fn of(
        comments: &[Comment],
        events: &[TicketEvent],
        notifications: &[ticket_core::notify::Notification],
        outbox: &[OutboxEntry],
    ) -> Result<Self> {
        Ok(Self {
            comments: comments.iter().map(comment_doc).collect::<Result<_>>()?,
            events: events.iter().map(event_doc).collect::<Result<_>>()?,
            notifications: notifications
                .iter()
                .map(crate::notify::notification_doc)
                .collect::<Result<_>>()?,
            outbox: outbox
                .iter()
                .map(crate::outbox::entry_doc)
                .collect::<Result<_>>()?,
        })
    }

    fn by_collection(&self) -> [(&'static str, &Vec<Document>); 4] {
        [
            (COMMENTS, &self.comments),
            (EVENTS, &self.events),
            (NOTIFICATIONS, &self.notifications),
            (OUTBOX, &self.outbox),
        ]
    }

    /// The `pending` marker of version `v` carrying these records.
    fn pending(&self, v: i64, tenant: TenantId) -> Document {
        doc! {
            "v": v,
            "tenant": id(tenant.as_uuid()),
            "comments": self.comments.clone(),
            "events": self.events.clone(),
            "notifications": self.notifications.clone(),
            "outbox": self.outbox.clone(),
        }
    }
}

/// The `_id`s of `docs`.
fn ids_of(docs: &[Document]) -> Vec<Bson> {
    docs.iter()
        .filter_map(|d| d.get("_id").cloned())
        .collect::<Vec<_>>()
}

impl MongoStore {
    /// Checks that the records' ids are new: unused in their collections and distinct
    /// (a change reusing an id fails before anything is written).
    async fn check_new_records(&self, records: &Records) -> Result<()> {
        let checks = records.by_collection().map(|(name, docs)| async move {
            if docs.is_empty() {
                return Ok(());
            }
            let ids = ids_of(docs);
            let distinct: HashSet<String> = ids.iter().map(ToString::to_string).collect();
            if distinct.len() != ids.len() {
                return Err(Error::unique("id"));
            }
            // One exact `_id` lookup each (an `$in` is a scan where only `{_id}` is
            // pushed down to an index, as on FerretDB 1.x).
            let lookups = ids.into_iter().map(|key| async move {
                let taken = self
                    .coll(name)
                    .find_one(doc! { "_id": key })
                    .projection(doc! { "_id": 1 })
                    .await
                    .map_err(db)?;
                match taken {
                    Some(_) => Err(Error::unique("id")),
                    None => Ok(()),
                }
            });
            futures::future::try_join_all(lookups).await.map(drop)
        });
        futures::future::try_join_all(checks).await.map(drop)
    }

    /// Stores a change: checks, the one-document commit, then the completion.
    pub(crate) async fn save_change(&self, change: &TicketChange) -> Result<()> {
        let v = self.commit_change(change).await?;
        self.complete_ticket(change.ticket.id, v).await
    }

    /// Steps 1 and 2 of a save: after it returns, the change is stored (its records wait
    /// in the ticket's `pending` marker). Returns the version committed. A routed save
    /// is checked against the agent's capacity first (`capacity.rs`).
    pub(crate) async fn commit_change(&self, change: &TicketChange) -> Result<i64> {
        match change.capacity {
            None => self.commit_unchecked(change).await,
            Some(check) => self.commit_within_capacity(change, check).await,
        }
    }

    /// [`MongoStore::commit_change`] without the capacity check.
    pub(crate) async fn commit_unchecked(&self, change: &TicketChange) -> Result<i64> {
        check_change_scope(change)?;
        let t = &change.ticket;
        if let Some(expected) = change.expected_version {
            check_next_version(expected, t.version)?;
        }
        let records = Records::of(
            &change.comments,
            &change.events,
            &change.notifications,
            &change.outbox,
        )?;
        self.check_new_records(&records).await?;
        let v = version(t.version)?;
        let (faq_s, faq_c, faq_r) = faq_counts(&change.events);
        let tickets = self.coll(TICKETS);
        let key = id(t.id.as_uuid());
        let Some(expected) = change.expected_version else {
            let mut created = new_ticket_doc(t, (faq_s, faq_c, faq_r))?;
            created.insert("pending", records.pending(v, t.tenant));
            created.insert("pend", true);
            tickets.insert_one(created).await.map_err(|e| {
                if is_duplicate(&e) {
                    Error::unique("id")
                } else {
                    db(e)
                }
            })?;
            return Ok(v);
        };
        let mut fields = ticket_fields(t)?;
        fields.insert("pending", records.pending(v, t.tenant));
        fields.insert("pend", true);
        let expected_v = version(expected)?;
        let tenant = id(t.tenant.as_uuid());
        let mut update = doc! {
            "$set": fields,
            "$inc": { "faq_s": faq_s, "faq_c": faq_c, "faq_r": faq_r },
        };
        if t.sla.as_ref().and_then(|s| s.next_check).is_none() {
            update.insert("$unset", doc! { "sla_next": "", "due": "", "stale": "" });
        } else {
            update.insert("$unset", doc! { "stale": "" });
        }
        for _ in 0..COMMIT_TRIES {
            // One change per base version: the slot makes concurrent writers exclusive,
            // so what is read under it stays true until the write (every write of a
            // ticket's version or pending change holds the slot of its base version).
            let slot = format!("ticket:{key}@{expected_v}");
            if !self.take_slot(&slot).await? {
                return Err(Error::version_conflict(expected));
            }
            let outcome = self
                .commit_under_slot(&key, &tenant, expected_v, &update)
                .await;
            self.release_slot(&slot).await?;
            match outcome? {
                Held::Written => return Ok(v),
                Held::Conflict => return Err(Error::version_conflict(expected)),
                Held::Pending(pending) => self.complete(&key, &pending).await?,
            }
        }
        Err(Error::version_conflict(expected))
    }

    /// The write of an update, under the slot of its base version `expected_v`: reads
    /// the ticket by `_id` (its tenant checked here), then writes it by `_id`.
    async fn commit_under_slot(
        &self,
        key: &str,
        tenant: &str,
        expected_v: i64,
        update: &Document,
    ) -> Result<Held> {
        let tickets = self.coll(TICKETS);
        let stored = self
            .ticket_by_id(key, doc! { "tenant": 1, "version": 1, "pending": 1 })
            .await?
            .filter(|d| d.get_str("tenant") == Ok(tenant))
            .ok_or_else(|| Error::not_found("ticket"))?;
        if let Ok(pending) = stored.get_document("pending") {
            if get_int(pending, "v")? == expected_v {
                // Left by a writer that died: completed under this very slot.
                self.complete_held(key, pending).await?;
            } else {
                return Ok(Held::Pending(pending.clone()));
            }
        }
        if get_int(&stored, "version")? != expected_v {
            return Ok(Held::Conflict);
        }
        tickets
            .update_one(doc! { "_id": key }, update.clone())
            .await
            .map_err(db)?;
        Ok(Held::Written)
    }

    /// The document of ticket `key` (its fields in `projection`), read by `_id` alone:
    /// the callers check its tenant.
    pub(crate) async fn ticket_by_id(
        &self,
        key: &str,
        projection: Document,
    ) -> Result<Option<Document>> {
        self.coll(TICKETS)
            .find_one(doc! { "_id": key })
            .projection(projection)
            .await
            .map_err(db)
    }

    /// Step 3: inserts the records of the ticket's pending change of version `v` (those
    /// already there are skipped) and removes the marker. Idempotent; a no-op when the
    /// ticket has no pending change of that version.
    pub(crate) async fn complete_ticket(&self, ticket: TicketId, v: i64) -> Result<()> {
        let tickets = self.coll(TICKETS);
        let key = id(ticket.as_uuid());
        let Some(stored) = tickets
            .find_one(doc! { "_id": &key, "pending.v": v })
            .projection(doc! { "pending": 1 })
            .await
            .map_err(db)?
        else {
            return Ok(());
        };
        let pending = stored
            .get_document("pending")
            .map_err(|_| crate::errors::corrupt("pending is not a document"))?;
        self.complete(&key, pending).await
    }

    /// Completes one pending marker read from the ticket document `key`: inserts its
    /// records, then removes the marker under the slot of its version (the base of the
    /// ticket's next change, so no change can commit in between). When another writer
    /// holds that slot, the marker stays for it (or the next reader) to remove: the
    /// records are stored either way.
    async fn complete(&self, key: &str, pending: &Document) -> Result<()> {
        let v = get_int(pending, "v")?;
        if v == DELETION {
            return self.complete_held(key, pending).await;
        }
        self.insert_records(pending).await?;
        let slot = format!("ticket:{key}@{v}");
        if !self.take_slot(&slot).await? {
            return Ok(());
        }
        let removed = async {
            let still = self.ticket_by_id(key, doc! { "pending.v": 1 }).await?;
            let marked = still
                .as_ref()
                .and_then(|d| d.get_document("pending").ok())
                .is_some_and(|p| get_int(p, "v").ok() == Some(v));
            if marked {
                self.unmark(key).await?;
            }
            Ok(())
        }
        .await;
        self.release_slot(&slot).await?;
        removed
    }

    /// Removes the pending marker of ticket `key` (by `_id`: the caller holds the slot
    /// of the marker's version and checked it).
    async fn unmark(&self, key: &str) -> Result<()> {
        self.coll(TICKETS)
            .update_one(
                doc! { "_id": key },
                doc! { "$unset": { "pending": "", "pend": "" } },
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    /// Inserts the records of a pending marker (those already there are skipped).
    async fn insert_records(&self, pending: &Document) -> Result<()> {
        for name in [COMMENTS, EVENTS, NOTIFICATIONS, OUTBOX] {
            let field = name.trim_start_matches("ticket_");
            let docs: Vec<Document> = pending
                .get_array(field)
                .map(|a| a.iter().filter_map(|b| b.as_document().cloned()).collect())
                .unwrap_or_default();
            insert_idempotent(self, name, docs).await?;
        }
        Ok(())
    }

    /// Completes a pending marker of ticket `key` whose removal needs no slot: the
    /// caller holds the slot of its version, or it is a deletion (which no change can
    /// follow).
    async fn complete_held(&self, key: &str, pending: &Document) -> Result<()> {
        let v = get_int(pending, "v")?;
        self.insert_records(pending).await?;
        let tickets = self.coll(TICKETS);
        if v == DELETION {
            let tenant = pending.get_str("tenant").unwrap_or_default();
            self.coll(COMMENTS)
                .delete_many(doc! { "tenant": tenant, "ticket": key })
                .await
                .map_err(db)?;
            tickets
                .delete_one(doc! { "_id": key, "pending.v": DELETION })
                .await
                .map_err(db)?;
        } else {
            self.unmark(key).await?;
        }
        Ok(())
    }

    /// Completes up to `limit` pending changes of any ticket (left by writers that died
    /// between the commit and the completion); returns how many it found.
    pub(crate) async fn complete_all_pending(&self, limit: i64) -> Result<usize> {
        let found = crate::docs::all(
            self.coll(TICKETS)
                .find(doc! { "pend": true })
                .projection(doc! { "pending": 1 })
                .limit(limit)
                .await
                .map_err(db)?,
        )
        .await?;
        for d in &found {
            let key = d.get_str("_id").unwrap_or_default();
            if let Ok(pending) = d.get_document("pending") {
                self.complete(key, pending).await?;
            }
        }
        Ok(found.len())
    }

    /// Completes the changes left pending by writers that died, at most once per
    /// [`RECOVERY_EVERY`] per store: the readers of notifications and of the outbox call
    /// it first, so what they read is never missing a stored change's records.
    pub(crate) async fn recover_now(&self) -> Result<()> {
        {
            let mut last = self
                .inner
                .last_recovery
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < RECOVERY_EVERY) {
                return Ok(());
            }
            *last = Some(std::time::Instant::now());
        }
        while self.complete_all_pending(RECOVERY_BATCH).await?
            == usize::try_from(RECOVERY_BATCH).unwrap_or(0)
        {}
        Ok(())
    }

    /// Deletes a ticket: the `Deleted` event and the outbox entries go into a deletion
    /// marker in the same write that hides the ticket from every tenant-scoped read
    /// (the commit point), then the records are inserted and the comments and the
    /// document removed.
    pub(crate) async fn delete_change(
        &self,
        tenant: TenantId,
        ticket: TicketId,
        event: &TicketEvent,
        outbox: &[OutboxEntry],
    ) -> Result<()> {
        let tickets = self.coll(TICKETS);
        let key = id(ticket.as_uuid());
        let tenant_s = id(tenant.as_uuid());
        for _ in 0..COMMIT_TRIES {
            let stored = tickets
                .find_one(doc! { "_id": &key, "tenant": &tenant_s })
                .projection(doc! { "version": 1, "pending": 1 })
                .await
                .map_err(db)?
                .ok_or_else(|| Error::not_found("ticket"))?;
            if let Ok(pending) = stored.get_document("pending") {
                self.complete(&key, pending).await?;
                continue;
            }
            let base = get_int(&stored, "version")?;
            if event.tenant != tenant || event.ticket_id != ticket {
                return Err(Error::invalid(
                    "event",
                    "belongs to another ticket or tenant",
                ));
            }
            if outbox.iter().any(|o| o.tenant != tenant) {
                return Err(Error::invalid("outbox", "belongs to another tenant"));
            }
            let records = Records::of(&[], std::slice::from_ref(event), &[], outbox)?;
            self.check_new_records(&records).await?;
            let slot = format!("ticket:{key}@{base}");
            if !self.take_slot(&slot).await? {
                // A change is being made: read again once it landed.
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                continue;
            }
            let marked = tickets
                .find_one_and_update(
                    doc! {
                        "_id": &key, "tenant": &tenant_s, "version": base,
                        "pending": { "$exists": false },
                    },
                    doc! {
                        "$set": {
                            "tenant": GONE,
                            "pend": true,
                            "pending": records.pending(DELETION, tenant),
                        },
                        "$unset": { "due": "", "sla_next": "", "stale": "" },
                    },
                )
                .return_document(ReturnDocument::After)
                .await;
            self.release_slot(&slot).await?;
            if let Some(marked) = marked.map_err(db)? {
                let pending = marked
                    .get_document("pending")
                    .map_err(|_| crate::errors::corrupt("pending is not a document"))?;
                return self.complete(&key, pending).await;
            }
        }
        Err(Error::store(crate::errors::Corrupt(
            "the ticket kept changing while being deleted".into(),
        )))
    }

    /// Completes the pending change of the ticket document `d` if it carries one (readers
    /// call it on what they read, so a change left half done is whole before it is seen).
    pub(crate) async fn complete_if_pending(&self, d: &Document) -> Result<bool> {
        let Ok(pending) = d.get_document("pending") else {
            return Ok(false);
        };
        let key = d.get_str("_id").unwrap_or_default();
        self.complete(key, pending).await?;
        Ok(true)
    }
}

/// What an update found under the slot of its base version.
enum Held {
    /// The change is stored.
    Written,
    /// The ticket is at another version.
    Conflict,
    /// The ticket carries another version's pending change, to complete (outside the
    /// slot, which is not that change's) before trying again.
    Pending(Document),
}

/// Inserts `docs` into `name`, skipping those whose `_id` is already there.
async fn insert_idempotent(store: &MongoStore, name: &str, docs: Vec<Document>) -> Result<()> {
    if docs.is_empty() {
        return Ok(());
    }
    match store.coll(name).insert_many(docs).ordered(false).await {
        Ok(_) => Ok(()),
        Err(e) if only_duplicates(&e) => Ok(()),
        Err(e) => Err(db(e)),
    }
}

/// Makes the commit of a change but not its completion, as a writer dying between the
/// two would: for the tests of the recovery.
///
/// # Errors
/// As [`TicketStore::save`](ticket_core::ports::TicketStore::save).
pub async fn save_without_completing(store: &MongoStore, change: &TicketChange) -> Result<()> {
    store.commit_change(change).await.map(drop)
}
