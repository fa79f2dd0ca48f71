//! `TeamStore` for `SqliteStore`: names unique per tenant, case-insensitively (the
//! lower-cased name is a column under a unique index).

use crate::rows::{db, from_doc, is_unique, to_doc, version};
use crate::users::check_versions;
use crate::SqliteStore;
use async_trait::async_trait;
use sqlx::sqlite::SqliteConnection;
use ticket_core::error::{Error, Result};
use ticket_core::id::{TeamId, TenantId};
use ticket_core::ports::TeamStore;
use ticket_core::team::Team;

/// Names the value a unique violation of a team write hit: the id (on create), else the
/// name.
async fn team_conflict(conn: &mut SqliteConnection, team: &Team, creating: bool) -> Result<Error> {
    if creating {
        let taken = sqlx::query("SELECT 1 FROM ticket_teams WHERE id = ?")
            .bind(team.id.as_uuid())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
        if taken.is_some() {
            return Ok(Error::unique("id"));
        }
    }
    Ok(Error::unique("name"))
}

/// Inserts or replaces the team row.
async fn write_team(conn: &mut SqliteConnection, team: &Team, creating: bool) -> Result<()> {
    let sql = if creating {
        "INSERT INTO ticket_teams (name_key, version, doc, id, tenant) VALUES (?, ?, ?, ?, ?)"
    } else {
        "UPDATE ticket_teams SET name_key = ?, version = ?, doc = ? WHERE id = ? AND tenant = ?"
    };
    let written = sqlx::query(sql)
        .bind(team.name.as_str().to_lowercase())
        .bind(version(team.version)?)
        .bind(to_doc(team)?)
        .bind(team.id.as_uuid())
        .bind(team.tenant.as_uuid())
        .execute(&mut *conn)
        .await;
    match written {
        Ok(_) => Ok(()),
        Err(e) if is_unique(&e) => Err(team_conflict(conn, team, creating).await?),
        Err(e) => Err(db(e)),
    }
}

/// `update_team` inside its transaction.
async fn update_in(conn: &mut SqliteConnection, team: &Team, expected: u64) -> Result<()> {
    let stored: i64 =
        sqlx::query_scalar("SELECT version FROM ticket_teams WHERE id = ? AND tenant = ?")
            .bind(team.id.as_uuid())
            .bind(team.tenant.as_uuid())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?
            .ok_or_else(|| Error::not_found("team"))?;
    check_versions(stored, expected, team.version)?;
    write_team(conn, team, false).await
}

/// `delete_team` inside its transaction.
async fn delete_in(conn: &mut SqliteConnection, tenant: TenantId, id: TeamId) -> Result<()> {
    let done = sqlx::query("DELETE FROM ticket_teams WHERE id = ? AND tenant = ?")
        .bind(id.as_uuid())
        .bind(tenant.as_uuid())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(Error::not_found("team"));
    }
    Ok(())
}

#[async_trait]
impl TeamStore for SqliteStore {
    async fn create_team(&self, team: &Team) -> Result<()> {
        let mut w = self.write().await?;
        let result = write_team(&mut w.tx, team, true).await;
        w.finish(result).await
    }

    async fn update_team(&self, team: &Team, expected_version: u64) -> Result<()> {
        let mut w = self.write().await?;
        let result = update_in(&mut w.tx, team, expected_version).await;
        w.finish(result).await
    }

    async fn get_team(&self, tenant: TenantId, id: TeamId) -> Result<Team> {
        self.doc_by_id("ticket_teams", "team", tenant, id.as_uuid())
            .await
    }

    async fn list_teams(&self, tenant: TenantId) -> Result<Vec<Team>> {
        sqlx::query("SELECT doc FROM ticket_teams WHERE tenant = ? ORDER BY name_key, id")
            .bind(tenant.as_uuid())
            .fetch_all(self.pool())
            .await
            .map_err(db)?
            .iter()
            .map(|row| from_doc(row, "doc"))
            .collect()
    }

    async fn delete_team(&self, tenant: TenantId, id: TeamId) -> Result<()> {
        let mut w = self.write().await?;
        let result = delete_in(&mut w.tx, tenant, id).await;
        w.finish(result).await
    }
}
