//! `ShiftStore` for `MongoStore`: one document per agent's schedule (`_id`
//! `<tenant>/<user>`, so a second schedule is a duplicate key) and one per shift record.
//! At most one open shift per agent without a partial index: every record carries an
//! `open_key` under a unique index, `<tenant>/<user>` while the shift is open and
//! `closed/<id>` once it ended, so a second open shift of the agent is a duplicate key
//! in the same insert. Replacements are version-checked under a slot (see `slots.rs`).

use crate::connect::names::{SCHEDULES, SHIFTS};
use crate::docs::{all_docs, from_doc, get_id, get_int, id, micros, micros_ceil, to_json, DOC};
use crate::errors::{check_next_version, db, is_duplicate, version};
use crate::MongoStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mongodb::bson::{doc, Bson, Document};
use ticket_core::error::{Error, Result};
use ticket_core::id::{TenantId, UserId};
use ticket_core::ports::{ShiftStore, MAX_SHIFTS_LISTED};
use ticket_core::workforce::{ShiftRecord, ShiftSchedule, Span};

/// The `_id` of an agent's schedule, and the `open_key` of their open shift.
fn agent_key(tenant: TenantId, user: UserId) -> String {
    format!("{}/{}", id(tenant.as_uuid()), id(user.as_uuid()))
}

/// The stored fields of a schedule (all but `_id`).
fn schedule_fields(s: &ShiftSchedule) -> Result<Document> {
    Ok(doc! {
        "tenant": id(s.tenant.as_uuid()),
        "user": id(s.user.as_uuid()),
        "version": version(s.version)?,
        DOC: to_json(s)?,
    })
}

/// The stored fields of a shift record (all but `_id`).
fn shift_fields(r: &ShiftRecord) -> Result<Document> {
    let open_key = match r.ended_at {
        None => agent_key(r.tenant, r.user),
        Some(_) => format!("closed/{}", id(r.id.as_uuid())),
    };
    Ok(doc! {
        "tenant": id(r.tenant.as_uuid()),
        "user": id(r.user.as_uuid()),
        "started": micros(r.started_at),
        "ended": r.ended_at.map_or(Bson::Null, |at| Bson::Int64(micros(at))),
        "open_key": open_key,
        "version": version(r.version)?,
        DOC: to_json(r)?,
    })
}

impl MongoStore {
    /// Creates a shift record: a taken id or a second open shift is a duplicate key.
    async fn create_shift(&self, r: &ShiftRecord) -> Result<()> {
        let key = id(r.id.as_uuid());
        let mut fields = shift_fields(r)?;
        fields.insert("_id", &key);
        match self.coll(SHIFTS).insert_one(fields).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate(&e) => {
                let taken = self
                    .coll(SHIFTS)
                    .find_one(doc! { "_id": &key })
                    .projection(doc! { "_id": 1 })
                    .await
                    .map_err(db)?;
                Err(Error::unique(if taken.is_some() {
                    "id"
                } else {
                    "open_shift"
                }))
            }
            Err(e) => Err(db(e)),
        }
    }

    /// Replaces a shift record at version `expected`.
    async fn replace_shift(&self, r: &ShiftRecord, expected: u64) -> Result<()> {
        check_next_version(expected, r.version)?;
        let key = id(r.id.as_uuid());
        let stored = self
            .coll(SHIFTS)
            .find_one(doc! { "_id": &key, "tenant": id(r.tenant.as_uuid()) })
            .projection(doc! { "version": 1, "user": 1 })
            .await
            .map_err(db)?
            .ok_or_else(|| Error::not_found("shift"))?;
        let expected_v = version(expected)?;
        if get_int(&stored, "version")? != expected_v {
            return Err(Error::version_conflict(expected));
        }
        if get_id(&stored, "user")? != r.user.as_uuid() {
            return Err(Error::invalid("user", "a shift keeps its agent"));
        }
        let fields = shift_fields(r)?;
        if r.ended_at.is_none() {
            // Reopening: FerretDB 1.x reports an update breaking a unique index as an
            // internal error, so the other open shift is looked for first.
            let other = self
                .coll(SHIFTS)
                .find_one(doc! { "open_key": agent_key(r.tenant, r.user), "_id": { "$ne": &key } })
                .projection(doc! { "_id": 1 })
                .await
                .map_err(db)?;
            if other.is_some() {
                return Err(Error::unique("open_shift"));
            }
        }
        match self
            .write_at(SHIFTS, &key, "version", expected_v, doc! { "$set": fields })
            .await
        {
            Ok(Some(true)) => Ok(()),
            Ok(_) => Err(Error::version_conflict(expected)),
            Err(Error::Store(e))
                if e.downcast_ref::<mongodb::error::Error>()
                    .is_some_and(is_duplicate) =>
            {
                Err(Error::unique("open_shift"))
            }
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl ShiftStore for MongoStore {
    async fn save_schedule(
        &self,
        schedule: &ShiftSchedule,
        expected_version: Option<u64>,
    ) -> Result<()> {
        let key = agent_key(schedule.tenant, schedule.user);
        let mut fields = schedule_fields(schedule)?;
        let Some(expected) = expected_version else {
            fields.insert("_id", &key);
            return match self.coll(SCHEDULES).insert_one(fields).await {
                Ok(_) => Ok(()),
                Err(e) if is_duplicate(&e) => Err(Error::unique("user")),
                Err(e) => Err(db(e)),
            };
        };
        check_next_version(expected, schedule.version)?;
        let stored = self
            .coll(SCHEDULES)
            .find_one(doc! { "_id": &key })
            .projection(doc! { "version": 1 })
            .await
            .map_err(db)?
            .ok_or_else(|| Error::not_found("schedule"))?;
        let expected_v = version(expected)?;
        if get_int(&stored, "version")? != expected_v {
            return Err(Error::version_conflict(expected));
        }
        match self
            .write_at(
                SCHEDULES,
                &key,
                "version",
                expected_v,
                doc! { "$set": fields },
            )
            .await?
        {
            Some(true) => Ok(()),
            _ => Err(Error::version_conflict(expected)),
        }
    }

    async fn get_schedule(&self, tenant: TenantId, user: UserId) -> Result<Option<ShiftSchedule>> {
        self.coll(SCHEDULES)
            .find_one(doc! { "_id": agent_key(tenant, user) })
            .await
            .map_err(db)?
            .as_ref()
            .map(from_doc)
            .transpose()
    }

    async fn list_schedules(
        &self,
        tenant: TenantId,
        users: &[UserId],
    ) -> Result<Vec<ShiftSchedule>> {
        let mut filter = doc! { "tenant": id(tenant.as_uuid()) };
        if !users.is_empty() {
            let ids: Vec<String> = users.iter().map(|u| id(u.as_uuid())).collect();
            filter.insert("user", doc! { "$in": ids });
        }
        all_docs(
            self.coll(SCHEDULES)
                .find(filter)
                .sort(doc! { "user": 1 })
                .await
                .map_err(db)?,
        )
        .await
    }

    async fn save_shift(&self, record: &ShiftRecord, expected_version: Option<u64>) -> Result<()> {
        match expected_version {
            None => self.create_shift(record).await,
            Some(expected) => self.replace_shift(record, expected).await,
        }
    }

    async fn open_shift(&self, tenant: TenantId, user: UserId) -> Result<Option<ShiftRecord>> {
        self.coll(SHIFTS)
            .find_one(doc! { "open_key": agent_key(tenant, user) })
            .await
            .map_err(db)?
            .as_ref()
            .map(from_doc)
            .transpose()
    }

    async fn list_shifts(
        &self,
        tenant: TenantId,
        user: Option<UserId>,
        range: Span,
        limit: u32,
    ) -> Result<Vec<ShiftRecord>> {
        // Stored instants are whole microseconds: `s < end` is `s < ceil(end)`, and
        // `e > start` is `e > floor(start)`.
        let mut filter = doc! {
            "tenant": id(tenant.as_uuid()),
            "started": { "$lt": micros_ceil(range.end) },
            "$or": [ { "ended": Bson::Null }, { "ended": { "$gt": micros(range.start) } } ],
        };
        if let Some(user) = user {
            filter.insert("user", id(user.as_uuid()));
        }
        all_docs(
            self.coll(SHIFTS)
                .find(filter)
                .sort(doc! { "started": 1, "_id": 1 })
                .limit(i64::from(limit.min(MAX_SHIFTS_LISTED)))
                .await
                .map_err(db)?,
        )
        .await
    }

    async fn open_shifts(
        &self,
        started_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ShiftRecord>> {
        all_docs(
            self.coll(SHIFTS)
                .find(
                    doc! { "ended": Bson::Null, "started": { "$lt": micros_ceil(started_before) } },
                )
                .sort(doc! { "started": 1, "_id": 1 })
                .limit(i64::from(limit.min(MAX_SHIFTS_LISTED)))
                .await
                .map_err(db)?,
        )
        .await
    }
}
