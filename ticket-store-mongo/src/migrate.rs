//! `MongoStore::migrate`: the indexes of every collection, created idempotently, and the
//! schema version recorded in `ticket_schema`.

use crate::bus::BUS_RETENTION;
use crate::connect::names::{
    BUS, CALENDARS, COMMENTS, ENDPOINTS, EVENTS, FAQS, NOTIFICATIONS, OUTBOX, REEVALUATIONS, RULES,
    SCHEDULES, SCHEMA, SHIFTS, SLA_POLICIES, TEAMS, TICKETS, TOKENS, USERS,
};
use crate::docs::get_int;
use crate::errors::db;
use crate::MongoStore;
use mongodb::bson::{doc, Document};
use mongodb::error::ErrorKind;
use mongodb::options::IndexOptions;
use mongodb::IndexModel;
use ticket_core::error::{Error, Result};

/// The schema version this build writes and reads. A database recorded at a newer
/// version is refused by [`MongoStore::migrate`].
///
/// Version 2 added the shift, endpoint and SLA re-evaluation collections and the
/// derived fields of tickets (`working`, `hour`, `handled`, `handle_us`) and users
/// (`online`), which the migration fills in for documents stored before.
pub const SCHEMA_VERSION: i64 = 2;

/// How many documents one backfill batch reads.
const BACKFILL_BATCH: i64 = 500;

/// The server's code for a feature it lacks.
const NOT_IMPLEMENTED: i32 = 238;

/// The server's code for a collection that does not exist.
const NAMESPACE_NOT_FOUND: i32 = 26;

/// A database written by a newer build of this crate.
#[derive(Debug, thiserror::Error)]
#[error("the database holds schema version {found}, newer than this build's {SCHEMA_VERSION}")]
pub(crate) struct TooNew {
    found: i64,
}

/// An index named `name` on `keys`.
fn index(name: &str, keys: Document) -> IndexModel {
    IndexModel::builder()
        .keys(keys)
        .options(IndexOptions::builder().name(name.to_string()).build())
        .build()
}

/// A unique index named `name` on `keys`.
fn unique(name: &str, keys: Document) -> IndexModel {
    IndexModel::builder()
        .keys(keys)
        .options(
            IndexOptions::builder()
                .name(name.to_string())
                .unique(true)
                .build(),
        )
        .build()
}

/// Every index, by collection.
fn indexes() -> Vec<(&'static str, Vec<IndexModel>)> {
    let by_tenant_order = || {
        vec![index(
            "tenant_order",
            doc! { "tenant": 1, "order": 1, "_id": 1 },
        )]
    };
    vec![
        (
            TICKETS,
            vec![
                index("created", doc! { "tenant": 1, "created": -1, "_id": -1 }),
                index("updated", doc! { "tenant": 1, "updated": -1, "_id": -1 }),
                index(
                    "priority",
                    doc! { "tenant": 1, "priority": -1, "created": -1, "_id": -1 },
                ),
                index("status", doc! { "tenant": 1, "status": 1, "created": -1 }),
                index(
                    "assignee",
                    doc! { "tenant": 1, "assignee": 1, "created": -1 },
                ),
                index("team", doc! { "tenant": 1, "team": 1, "created": -1 }),
                index(
                    "requester",
                    doc! { "tenant": 1, "requester": 1, "created": -1 },
                ),
                index("tags", doc! { "tenant": 1, "tags": 1 }),
                index("words", doc! { "tenant": 1, "words": 1 }),
                index("open", doc! { "tenant": 1, "open": 1, "_id": 1 }),
                index("due", doc! { "due": 1, "_id": 1 }),
                index("pend", doc! { "pend": 1 }),
                index("working", doc! { "tenant": 1, "assignee": 1, "working": 1 }),
            ],
        ),
        (
            REEVALUATIONS,
            vec![index("requested", doc! { "requested": 1, "_id": 1 })],
        ),
        (
            SCHEDULES,
            vec![index("user", doc! { "tenant": 1, "user": 1 })],
        ),
        (
            SHIFTS,
            vec![
                unique("open_key", doc! { "open_key": 1 }),
                index("started", doc! { "tenant": 1, "started": 1, "_id": 1 }),
                index("open", doc! { "ended": 1, "started": 1, "_id": 1 }),
            ],
        ),
        (
            ENDPOINTS,
            vec![unique("url", doc! { "tenant": 1, "url": 1 })],
        ),
        (
            COMMENTS,
            vec![index(
                "thread",
                doc! { "tenant": 1, "ticket": 1, "at": 1, "_id": 1 },
            )],
        ),
        (
            EVENTS,
            vec![index(
                "history",
                doc! { "tenant": 1, "ticket": 1, "at": 1, "_id": 1 },
            )],
        ),
        (
            USERS,
            vec![
                unique("email", doc! { "tenant": 1, "email": 1 }),
                unique("username", doc! { "tenant": 1, "username": 1 }),
                index("teams", doc! { "tenant": 1, "teams": 1 }),
            ],
        ),
        (
            TEAMS,
            vec![unique("name", doc! { "tenant": 1, "name_lc": 1 })],
        ),
        (SLA_POLICIES, by_tenant_order()),
        (CALENDARS, by_tenant_order()),
        (RULES, by_tenant_order()),
        (FAQS, by_tenant_order()),
        (
            TOKENS,
            vec![
                unique("hash", doc! { "hash": 1 }),
                index("user", doc! { "tenant": 1, "user": 1 }),
                index("family", doc! { "tenant": 1, "family": 1 }),
                index("expires", doc! { "expires": 1 }),
            ],
        ),
        (
            NOTIFICATIONS,
            vec![index("user", doc! { "tenant": 1, "user": 1, "_id": -1 })],
        ),
        (
            OUTBOX,
            vec![
                index("due", doc! { "status": 1, "next": 1, "_id": 1 }),
                index("tenant", doc! { "tenant": 1, "_id": -1 }),
                index("recipient", doc! { "tenant": 1, "to": 1 }),
            ],
        ),
    ]
}

impl MongoStore {
    /// Creates the collections' indexes (idempotently: running it twice, or from several
    /// instances at once, is harmless) and records [`SCHEMA_VERSION`].
    ///
    /// # Errors
    /// [`Error::Store`] when the server fails, or when the database records a schema
    /// version newer than this build's.
    pub async fn migrate(&self) -> Result<()> {
        let schema = self.coll(SCHEMA);
        if let Some(d) = schema
            .find_one(doc! { "_id": "schema" })
            .await
            .map_err(db)?
        {
            let found = get_int(&d, "version")?;
            if found > SCHEMA_VERSION {
                return Err(Error::store(TooNew { found }));
            }
        }
        for (name, models) in indexes() {
            self.create_missing(name, models).await?;
        }
        self.create_bus_ttl().await?;
        self.backfill(TICKETS, "working", |d| {
            Ok(crate::ticket_doc::derived_fields(
                &crate::ticket_doc::ticket_of(d)?,
            ))
        })
        .await?;
        self.backfill(USERS, "online", |d| {
            let u: ticket_core::account::User = crate::docs::from_doc(d)?;
            Ok(crate::users::derived_fields(&u))
        })
        .await?;
        schema
            .update_one(
                doc! { "_id": "schema" },
                doc! { "$max": { "version": SCHEMA_VERSION } },
            )
            .upsert(true)
            .await
            .map_err(db)?;
        Ok(())
    }

    /// Sets the fields `fields_of` computes on every document of collection `name` that
    /// lacks `marker` (one of them), in bounded batches. Idempotent, and harmless when
    /// several instances run it at once (they write the same values).
    async fn backfill(
        &self,
        name: &str,
        marker: &str,
        fields_of: impl Fn(&Document) -> Result<Document>,
    ) -> Result<()> {
        loop {
            let batch = crate::docs::all(
                self.coll(name)
                    .find(doc! { marker: { "$exists": false } })
                    .limit(BACKFILL_BATCH)
                    .await
                    .map_err(db)?,
            )
            .await?;
            for d in &batch {
                let key = d.get("_id").cloned().unwrap_or(mongodb::bson::Bson::Null);
                self.coll(name)
                    .update_one(doc! { "_id": key }, doc! { "$set": fields_of(d)? })
                    .await
                    .map_err(db)?;
            }
            if batch.len() < usize::try_from(BACKFILL_BATCH).unwrap_or(0) {
                return Ok(());
            }
        }
    }

    /// The names of the indexes of collection `name` (none when it does not exist yet).
    async fn index_names(&self, name: &str) -> Result<Vec<String>> {
        match self.coll(name).list_index_names().await {
            Ok(names) => Ok(names),
            Err(e) if matches!(e.kind.as_ref(), ErrorKind::Command(c) if c.code == NAMESPACE_NOT_FOUND) => {
                Ok(Vec::new())
            }
            Err(e) => Err(db(e)),
        }
    }

    /// Creates the indexes of `models` that collection `name` lacks. Only the missing
    /// ones are asked for (FerretDB 1.24 drops the connection when asked to create an
    /// index that exists); when another instance migrating at the same time makes the
    /// request fail, the indexes are listed again and the migration goes on if they are
    /// all there.
    async fn create_missing(&self, name: &str, models: Vec<IndexModel>) -> Result<()> {
        let name_of = |m: &IndexModel| {
            m.options
                .as_ref()
                .and_then(|o| o.name.clone())
                .unwrap_or_default()
        };
        let existing = self.index_names(name).await?;
        let missing: Vec<IndexModel> = models
            .into_iter()
            .filter(|m| !existing.contains(&name_of(m)))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let wanted: Vec<String> = missing.iter().map(name_of).collect();
        if let Err(e) = self.coll(name).create_indexes(missing).await {
            let now = self.index_names(name).await?;
            if !wanted.iter().all(|w| now.contains(w)) {
                return Err(db(e));
            }
        }
        Ok(())
    }

    /// The TTL index of the bus. Servers without TTL indexes (FerretDB 1.x answers
    /// `NotImplemented`) rely on the publishers' own cleanup.
    async fn create_bus_ttl(&self) -> Result<()> {
        let model = IndexModel::builder()
            .keys(doc! { "at": 1 })
            .options(
                IndexOptions::builder()
                    .name("ttl".to_string())
                    .expire_after(BUS_RETENTION)
                    .build(),
            )
            .build();
        if self.index_names(BUS).await?.iter().any(|n| n == "ttl") {
            return Ok(());
        }
        match self.coll(BUS).create_index(model).await {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.kind.as_ref(), ErrorKind::Command(c) if c.code == NOT_IMPLEMENTED) => {
                Ok(())
            }
            Err(e) => Err(db(e)),
        }
    }

    /// The schema version the database records (`None` before the first migration).
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn schema_version(&self) -> Result<Option<i64>> {
        let d = self
            .coll(SCHEMA)
            .find_one(doc! { "_id": "schema" })
            .await
            .map_err(db)?;
        d.as_ref().map(|d| get_int(d, "version")).transpose()
    }
}
