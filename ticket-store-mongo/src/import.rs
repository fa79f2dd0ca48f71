//! `MongoStore::import_tickets`: ready tickets stored in bulk (a migration from another
//! help desk, or seeding a benchmark), each document exactly as a completed create
//! leaves it, written by `insert_many` in batches instead of one change at a time.

use crate::connect::names::TICKETS;
use crate::errors::{db, only_duplicates, version, DUPLICATE_KEY};
use crate::ticket_doc::new_ticket_doc;
use crate::MongoStore;
use mongodb::bson::Document;
use mongodb::error::ErrorKind;
use std::collections::HashSet;
use ticket_core::error::{Error, Result};
use ticket_core::id::TenantId;
use ticket_core::ticket::Ticket;

/// How many tickets one `insert_many` carries (the documents of one batch are built
/// only when it is written, so an import holds at most one batch of them).
pub const IMPORT_BATCH: usize = 1_000;

impl MongoStore {
    /// Stores ready tickets of `tenant` in bulk, by `insert_many` of [`IMPORT_BATCH`]
    /// tickets at a time instead of one change per ticket: for migrations from the
    /// systems this engine replaces, and for seeding benchmarks.
    ///
    /// Each ticket document is exactly what a completed create of that ticket stores
    /// (the same fields, search words, derived counters and SLA due instant), so reads,
    /// lists, searches, statistics and the SLA sweep cannot tell an imported ticket from
    /// a saved one. Only the ticket is imported: no history entry, comment,
    /// notification or outbox entry is written (its history starts empty), and nothing
    /// is published.
    ///
    /// A ticket whose id is already stored is left as stored and not counted, so an
    /// import that stopped halfway (each batch is written on its own, without a
    /// transaction) is finished by running it again. Returns how many tickets were
    /// stored.
    ///
    /// # Errors
    /// [`Error::Invalid`] before anything is written when a ticket belongs to another
    /// tenant, two tickets share an id or a version is too large; [`Error::Store`] when
    /// the server fails (the batches before the failing one are stored).
    pub async fn import_tickets(&self, tenant: TenantId, tickets: &[Ticket]) -> Result<u64> {
        let mut ids = HashSet::with_capacity(tickets.len());
        for t in tickets {
            if t.tenant != tenant {
                return Err(Error::invalid("tickets", "belong to another tenant"));
            }
            if !ids.insert(t.id) {
                return Err(Error::invalid("tickets", "repeat a ticket id"));
            }
            version(t.version)?;
        }
        let mut stored = 0u64;
        for batch in tickets.chunks(IMPORT_BATCH) {
            let docs = batch
                .iter()
                .map(|t| new_ticket_doc(t, (0, 0, 0)))
                .collect::<Result<Vec<Document>>>()?;
            stored += self.insert_new(docs).await?;
        }
        Ok(stored)
    }

    /// Inserts the ticket documents `docs`, skipping those whose `_id` is taken; returns
    /// how many were inserted.
    async fn insert_new(&self, docs: Vec<Document>) -> Result<u64> {
        let sent = u64::try_from(docs.len()).unwrap_or(u64::MAX);
        match self.coll(TICKETS).insert_many(docs).ordered(false).await {
            Ok(done) => Ok(u64::try_from(done.inserted_ids.len()).unwrap_or(u64::MAX)),
            Err(e) if only_duplicates(&e) => Ok(sent.saturating_sub(duplicates(&e))),
            Err(e) => Err(db(e)),
        }
    }
}

/// How many documents of a failed `insert_many` were refused as duplicate keys.
fn duplicates(e: &mongodb::error::Error) -> u64 {
    let n = match e.kind.as_ref() {
        ErrorKind::InsertMany(m) => m.write_errors.as_ref().map_or(0, |errs| {
            errs.iter().filter(|w| w.code == DUPLICATE_KEY).count()
        }),
        _ => 1,
    };
    u64::try_from(n).unwrap_or(u64::MAX)
}
