//! `TeamStore` for `PostgresStore`: names unique per tenant case-insensitively (a
//! constraint over the lower-cased name), version-checked updates.

use crate::connect::PostgresStore;
use crate::errors::{db, doc};
use crate::rows;
use async_trait::async_trait;
use ticket_core::id::{TeamId, TenantId};
use ticket_core::ports::TeamStore;
use ticket_core::team::Team;
use ticket_core::{Error, Result};

/// The key a team name is unique and sorted by: lower-cased as `MemoryStore` does.
fn name_key(team: &Team) -> String {
    team.name.as_str().to_lowercase()
}

#[async_trait]
impl TeamStore for PostgresStore {
    async fn create_team(&self, team: &Team) -> Result<()> {
        let d = doc("team", team)?;
        sqlx::query(&format!(
            "INSERT INTO {} (id, tenant, name_key, version, doc) VALUES ($1, $2, $3, $4, $5)",
            self.tables().teams
        ))
        .bind(team.id.as_uuid())
        .bind(team.tenant.as_uuid())
        .bind(name_key(team))
        .bind(rows::version(team.version)?)
        .bind(d)
        .execute(self.pool())
        .await
        .map(drop)
        .map_err(db)
    }

    async fn update_team(&self, team: &Team, expected_version: u64) -> Result<()> {
        if expected_version.checked_add(1) != Some(team.version) {
            let known = self
                .exists(&self.tables().teams, team.tenant, team.id.as_uuid())
                .await?;
            return Err(if known {
                Error::invalid("version", "must be the expected version + 1")
            } else {
                Error::not_found("team")
            });
        }
        let d = doc("team", team)?;
        let done = sqlx::query(&format!(
            "UPDATE {} SET name_key = $3, version = $4, doc = $5 \
             WHERE id = $1 AND tenant = $2 AND version = $6",
            self.tables().teams
        ))
        .bind(team.id.as_uuid())
        .bind(team.tenant.as_uuid())
        .bind(name_key(team))
        .bind(rows::version(team.version)?)
        .bind(d)
        .bind(rows::version(expected_version)?)
        .execute(self.pool())
        .await
        .map_err(db)?;
        if rows::affected(&done) == 1 {
            Ok(())
        } else if self
            .exists(&self.tables().teams, team.tenant, team.id.as_uuid())
            .await?
        {
            Err(Error::version_conflict(expected_version))
        } else {
            Err(Error::not_found("team"))
        }
    }

    async fn get_team(&self, tenant: TenantId, id: TeamId) -> Result<Team> {
        self.doc_by_id(&self.tables().teams, "team", tenant, id.as_uuid())
            .await
    }

    async fn list_teams(&self, tenant: TenantId) -> Result<Vec<Team>> {
        // Byte order (`COLLATE "C"`), as Rust orders strings, whatever the database's
        // collation.
        let found = sqlx::query(&format!(
            "SELECT doc FROM {} WHERE tenant = $1 ORDER BY name_key COLLATE \"C\", id",
            self.tables().teams
        ))
        .bind(tenant.as_uuid())
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows::docs(&found)
    }

    async fn delete_team(&self, tenant: TenantId, id: TeamId) -> Result<()> {
        let done = sqlx::query(&format!(
            "DELETE FROM {} WHERE tenant = $1 AND id = $2",
            self.tables().teams
        ))
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .execute(self.pool())
        .await
        .map_err(db)?;
        if rows::affected(&done) == 1 {
            Ok(())
        } else {
            Err(Error::not_found("team"))
        }
    }
}
