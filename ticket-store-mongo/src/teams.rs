//! `TeamStore` for `MongoStore`: names unique per tenant, case-insensitively, by a
//! unique index on the lower-case name.

use crate::connect::names::TEAMS;
use crate::docs::{all_docs, from_doc, id, to_json, DOC};
use crate::errors::{check_next_version, db, is_duplicate, version};
use crate::MongoStore;
use async_trait::async_trait;
use mongodb::bson::{doc, Document};
use ticket_core::error::{Error, Result};
use ticket_core::id::{TeamId, TenantId};
use ticket_core::ports::TeamStore;
use ticket_core::team::Team;

/// The fields of a team document (all but `_id`).
fn team_fields(t: &Team) -> Result<Document> {
    Ok(doc! {
        "tenant": id(t.tenant.as_uuid()),
        "name_lc": t.name.as_str().to_lowercase(),
        "version": version(t.version)?,
        DOC: to_json(t)?,
    })
}

#[async_trait]
impl TeamStore for MongoStore {
    async fn create_team(&self, team: &Team) -> Result<()> {
        let key = id(team.id.as_uuid());
        let mut d = team_fields(team)?;
        d.insert("_id", &key);
        match self.coll(TEAMS).insert_one(d).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate(&e) => {
                let id_taken = self
                    .coll(TEAMS)
                    .find_one(doc! { "_id": &key })
                    .await
                    .map_err(db)?
                    .is_some();
                Err(Error::unique(if id_taken { "id" } else { "name" }))
            }
            Err(e) => Err(db(e)),
        }
    }

    async fn update_team(&self, team: &Team, expected_version: u64) -> Result<()> {
        check_next_version(expected_version, team.version)?;
        let key = id(team.id.as_uuid());
        let tenant = id(team.tenant.as_uuid());
        // Checked first as well as by the unique index: FerretDB 1.x reports an update
        // that breaks a unique index as an internal error rather than 11000.
        let taken = self
            .coll(TEAMS)
            .find_one(doc! {
                "tenant": &tenant, "_id": { "$ne": &key },
                "name_lc": team.name.as_str().to_lowercase(),
            })
            .projection(doc! { "_id": 1 })
            .await
            .map_err(db)?;
        if taken.is_some() {
            return Err(Error::unique("name"));
        }
        let slot = format!("team:{key}@{expected_version}");
        let written = if self.take_slot(&slot).await? {
            let written = self
                .coll(TEAMS)
                .find_one_and_update(
                    doc! { "_id": &key, "tenant": &tenant, "version": version(expected_version)? },
                    doc! { "$set": team_fields(team)? },
                )
                .await;
            self.release_slot(&slot).await?;
            written
        } else {
            Ok(None)
        };
        match written {
            Ok(Some(_)) => Ok(()),
            Ok(None) => {
                let exists = self
                    .coll(TEAMS)
                    .find_one(doc! { "_id": &key, "tenant": &tenant })
                    .projection(doc! { "_id": 1 })
                    .await
                    .map_err(db)?
                    .is_some();
                Err(if exists {
                    Error::version_conflict(expected_version)
                } else {
                    Error::not_found("team")
                })
            }
            Err(e) if is_duplicate(&e) => Err(Error::unique("name")),
            Err(e) => Err(db(e)),
        }
    }

    async fn get_team(&self, tenant: TenantId, team: TeamId) -> Result<Team> {
        let d = self
            .coll(TEAMS)
            .find_one(doc! { "_id": id(team.as_uuid()), "tenant": id(tenant.as_uuid()) })
            .await
            .map_err(db)?
            .ok_or_else(|| Error::not_found("team"))?;
        from_doc(&d)
    }

    async fn list_teams(&self, tenant: TenantId) -> Result<Vec<Team>> {
        all_docs(
            self.coll(TEAMS)
                .find(doc! { "tenant": id(tenant.as_uuid()) })
                .sort(doc! { "name_lc": 1, "_id": 1 })
                .await
                .map_err(db)?,
        )
        .await
    }

    async fn delete_team(&self, tenant: TenantId, team: TeamId) -> Result<()> {
        let gone = self
            .coll(TEAMS)
            .delete_one(doc! { "_id": id(team.as_uuid()), "tenant": id(tenant.as_uuid()) })
            .await
            .map_err(db)?;
        if gone.deleted_count == 0 {
            return Err(Error::not_found("team"));
        }
        Ok(())
    }
}
