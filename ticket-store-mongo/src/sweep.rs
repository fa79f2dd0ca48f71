//! The SLA sweep's shared work for `MongoStore`: claims of due tickets (the lease is
//! written into the ticket's `due` field) and the tenants' pending re-evaluations (one
//! document per tenant in `ticket_sla_reevaluations`, claimed with a lease, progress
//! recorded under the claim). Every write is exclusive through a slot on the value it
//! replaces (see `slots.rs`): the ticket's `due` instant, the request's `rev` counter.
//!
//! A save racing a claim on FerretDB (which does not make the claim's filtered update
//! atomic) may see its new due time replaced by the lease's end: the ticket is then
//! swept at the lease's end, with its fresh snapshot, rather than earlier.

use crate::connect::names::{REEVALUATIONS, TICKETS};
use crate::docs::{all, get_id, get_int, id, instant, limit_of, micros};
use crate::errors::{corrupt, db, is_duplicate, Busy};
use crate::MongoStore;
use chrono::{DateTime, Utc};
use mongodb::bson::{doc, Bson, Document};
use std::time::Duration;
use ticket_core::error::{Error, Result};
use ticket_core::id::{TenantId, TicketId};
use ticket_core::sla::SlaReevaluation;
use uuid::Uuid;

/// How many times a write to a re-evaluation request is tried while other writers hold
/// it (each holds it for one write).
const TRIES: usize = 100;

/// The pause between two tries.
const PAUSE: Duration = Duration::from_millis(5);

/// How many free requests one claim looks at.
const CANDIDATES: i64 = 16;

/// The request document's revision.
fn rev_of(d: &Document) -> Result<i64> {
    get_int(d, "rev")
}

impl MongoStore {
    /// `TicketStore::claim_sla_due`: the due tickets in `sla_due` order, each moved to
    /// the end of the lease under the slot of its due instant; a ticket another claimer
    /// holds (its slot taken, or its due time moved) is skipped.
    pub(crate) async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<(TenantId, TicketId)>> {
        let found = all(self
            .coll(TICKETS)
            .find(doc! { "due": { "$lte": micros(now) } })
            .sort(doc! { "due": 1, "_id": 1 })
            .projection(doc! { "tenant": 1, "due": 1 })
            .limit(limit_of(limit))
            .await
            .map_err(db)?)
        .await?;
        let until = micros(now + lease);
        let mut claimed = Vec::with_capacity(found.len());
        for d in &found {
            let key = d.get_str("_id").map_err(|_| corrupt("_id is missing"))?;
            let due = get_int(d, "due")?;
            let written = self
                .write_at(TICKETS, key, "due", due, doc! { "$set": { "due": until } })
                .await?;
            if written == Some(true) {
                claimed.push((
                    TenantId::from_uuid(get_id(d, "tenant")?),
                    TicketId::from_uuid(get_id(d, "_id")?),
                ));
            }
        }
        Ok(claimed)
    }

    /// `TicketStore::request_sla_reevaluation`: creates the tenant's request, or
    /// restarts it (walk from the start, no claim).
    pub(crate) async fn request_reevaluation(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let key = id(tenant.as_uuid());
        let requests = self.coll(REEVALUATIONS);
        for _ in 0..TRIES {
            let Some(d) = requests.find_one(doc! { "_id": &key }).await.map_err(db)? else {
                match requests
                    .insert_one(doc! {
                        "_id": &key, "requested": micros(now), "after": Bson::Null,
                        "claim": Bson::Null, "lease": Bson::Null, "rev": 0_i64,
                    })
                    .await
                {
                    Ok(_) => return Ok(()),
                    Err(e) if is_duplicate(&e) => continue,
                    Err(e) => return Err(db(e)),
                }
            };
            let rev = rev_of(&d)?;
            let update = doc! { "$set": {
                "requested": micros(now), "after": Bson::Null, "claim": Bson::Null,
                "lease": Bson::Null, "rev": rev + 1,
            } };
            if self
                .write_at(REEVALUATIONS, &key, "rev", rev, update)
                .await?
                == Some(true)
            {
                return Ok(());
            }
            tokio::time::sleep(PAUSE).await;
        }
        Err(Error::store(Busy("SLA re-evaluation request")))
    }

    /// `TicketStore::claim_sla_reevaluation`: the earliest free request given a fresh
    /// claim, under the slot of its revision.
    pub(crate) async fn claim_reevaluation(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<SlaReevaluation>> {
        let free = all(self
            .coll(REEVALUATIONS)
            .find(doc! { "$or": [ { "claim": Bson::Null }, { "lease": { "$lte": micros(now) } } ] })
            .sort(doc! { "requested": 1, "_id": 1 })
            .limit(CANDIDATES)
            .await
            .map_err(db)?)
        .await?;
        for d in &free {
            let key = d.get_str("_id").map_err(|_| corrupt("_id is missing"))?;
            let rev = rev_of(d)?;
            let claim = Uuid::now_v7();
            let update = doc! { "$set": {
                "claim": claim.hyphenated().to_string(), "lease": micros(now + lease), "rev": rev + 1,
            } };
            if self
                .write_at(REEVALUATIONS, key, "rev", rev, update)
                .await?
                == Some(true)
            {
                let after = match d.get("after") {
                    None | Some(Bson::Null) => None,
                    Some(_) => Some(TicketId::from_uuid(get_id(d, "after")?)),
                };
                return Ok(Some(SlaReevaluation {
                    tenant: TenantId::from_uuid(get_id(d, "_id")?),
                    requested_at: instant(get_int(d, "requested")?)?,
                    after,
                    claim,
                }));
            }
        }
        Ok(None)
    }

    /// `TicketStore::advance_sla_reevaluation`: progress or removal, under the claim and
    /// the slot of the request's revision.
    pub(crate) async fn advance_reevaluation(
        &self,
        job: &SlaReevaluation,
        after: Option<TicketId>,
        held_until: DateTime<Utc>,
    ) -> Result<bool> {
        let key = id(job.tenant.as_uuid());
        let claim = job.claim.hyphenated().to_string();
        let requests = self.coll(REEVALUATIONS);
        for _ in 0..TRIES {
            let Some(d) = requests
                .find_one(doc! { "_id": &key, "claim": &claim })
                .await
                .map_err(db)?
            else {
                return Ok(false);
            };
            let rev = rev_of(&d)?;
            let written = match after {
                Some(after) => {
                    let update = doc! { "$set": {
                        "after": id(after.as_uuid()), "lease": micros(held_until), "rev": rev + 1,
                    } };
                    self.write_at(REEVALUATIONS, &key, "rev", rev, update)
                        .await?
                }
                None => self.delete_at(&key, rev).await?,
            };
            if written == Some(true) {
                return Ok(true);
            }
            tokio::time::sleep(PAUSE).await;
        }
        Err(Error::store(Busy("SLA re-evaluation request")))
    }

    /// Removes the request of `key` at revision `rev`, under the slot of that revision
    /// (`None` when another writer holds it).
    async fn delete_at(&self, key: &str, rev: i64) -> Result<Option<bool>> {
        let slot = format!("{REEVALUATIONS}:{key}@{rev}");
        if !self.take_slot(&slot).await? {
            return Ok(None);
        }
        let gone = self
            .coll(REEVALUATIONS)
            .delete_one(doc! { "_id": key, "rev": rev })
            .await;
        self.release_slot(&slot).await?;
        Ok(Some(gone.map_err(db)?.deleted_count > 0))
    }
}
