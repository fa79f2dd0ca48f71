//! `UserStore` for `SqliteStore`: accounts, uniqueness of e-mail and username per tenant,
//! team membership rows, listing and agent loads.

use crate::cursor::{decode_id, encode_id, page_of, page_size};
use crate::rows::{
    count, db, from_doc, instant, is_unique, micros_ceil, opt_instant, to_doc, version,
};
use crate::SqliteStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteConnection;
use sqlx::{QueryBuilder, Row as _, Sqlite};
use ticket_core::account::{Role, User};
use ticket_core::error::{Error, Result};
use ticket_core::id::{TeamId, TenantId, UserId};
use ticket_core::ports::UserStore;
use ticket_core::query::{Page, UserQuery};
use ticket_core::routing::AgentLoad;
use uuid::Uuid;

/// The column value of a role (its wire name).
fn role_name(role: Role) -> &'static str {
    role.as_str()
}

/// Checks the optimistic-concurrency versions of a replacement (`stored` read in the
/// write transaction), as `MemoryStore` does.
pub(crate) fn check_versions(stored: i64, expected: u64, new: u64) -> Result<()> {
    if expected.checked_add(1) != Some(new) {
        return Err(Error::invalid(
            "version",
            "must be the expected version + 1",
        ));
    }
    if stored != version(expected)? {
        return Err(Error::version_conflict(expected));
    }
    Ok(())
}

/// Names the value a unique violation of a user write hit, checking in `MemoryStore`'s
/// order: id (on create), e-mail, username.
async fn user_conflict(conn: &mut SqliteConnection, user: &User, creating: bool) -> Result<Error> {
    let tenant = user.tenant.as_uuid();
    if creating {
        let taken = sqlx::query("SELECT 1 FROM ticket_users WHERE id = ?")
            .bind(user.id.as_uuid())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
        if taken.is_some() {
            return Ok(Error::unique("id"));
        }
    }
    let taken = |column: &str| {
        format!("SELECT 1 FROM ticket_users WHERE tenant = ? AND {column} = ? AND id <> ?")
    };
    for (field, value) in [
        ("email", user.email.as_str()),
        ("username", user.username.as_str()),
    ] {
        let row = sqlx::query(&taken(field))
            .bind(tenant)
            .bind(value)
            .bind(user.id.as_uuid())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
        if row.is_some() {
            return Ok(Error::unique(field));
        }
    }
    Ok(Error::unique("id"))
}

/// Writes the user row (insert or replace of the columns) and its team rows.
async fn write_user(conn: &mut SqliteConnection, user: &User, creating: bool) -> Result<()> {
    let sql = if creating {
        "INSERT INTO ticket_users (email, username, name_key, email_key, username_key, role,
                                   is_agent, deleted, version, doc, id, tenant)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    } else {
        "UPDATE ticket_users SET email = ?, username = ?, name_key = ?, email_key = ?,
                username_key = ?, role = ?, is_agent = ?, deleted = ?, version = ?, doc = ?
         WHERE id = ? AND tenant = ?"
    };
    let written = sqlx::query(sql)
        .bind(user.email.as_str())
        .bind(user.username.as_str())
        .bind(user.name.as_str().to_lowercase())
        .bind(user.email.as_str().to_lowercase())
        .bind(user.username.as_str().to_lowercase())
        .bind(role_name(user.role))
        .bind(user.agent.is_some())
        .bind(user.is_deleted())
        .bind(version(user.version)?)
        .bind(to_doc(user)?)
        .bind(user.id.as_uuid())
        .bind(user.tenant.as_uuid())
        .execute(&mut *conn)
        .await;
    match written {
        Ok(_) => {}
        Err(e) if is_unique(&e) => return Err(user_conflict(conn, user, creating).await?),
        Err(e) => return Err(db(e)),
    }
    if !creating {
        sqlx::query("DELETE FROM ticket_user_teams WHERE user_id = ?")
            .bind(user.id.as_uuid())
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    let teams = user
        .agent
        .as_ref()
        .map(|a| a.teams.as_slice())
        .unwrap_or(&[]);
    for team in teams {
        sqlx::query("INSERT OR IGNORE INTO ticket_user_teams (team_id, user_id) VALUES (?, ?)")
            .bind(team.as_uuid())
            .bind(user.id.as_uuid())
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(())
}

/// `update_user` inside its transaction.
async fn update_in(conn: &mut SqliteConnection, user: &User, expected: u64) -> Result<()> {
    let stored: i64 =
        sqlx::query_scalar("SELECT version FROM ticket_users WHERE id = ? AND tenant = ?")
            .bind(user.id.as_uuid())
            .bind(user.tenant.as_uuid())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?
            .ok_or_else(|| Error::not_found("user"))?;
    check_versions(stored, expected, user.version)?;
    write_user(conn, user, false).await
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, user: &User) -> Result<()> {
        let mut w = self.write().await?;
        let result = write_user(&mut w.tx, user, true).await;
        w.finish(result).await
    }

    async fn update_user(&self, user: &User, expected_version: u64) -> Result<()> {
        let mut w = self.write().await?;
        let result = update_in(&mut w.tx, user, expected_version).await;
        w.finish(result).await
    }

    async fn get_user(&self, tenant: TenantId, id: UserId) -> Result<User> {
        self.doc_by_id("ticket_users", "user", tenant, id.as_uuid())
            .await
    }

    async fn find_user_by_login(&self, tenant: TenantId, login: &str) -> Result<Option<User>> {
        let login = login.trim().to_lowercase();
        let row = sqlx::query(
            "SELECT doc FROM ticket_users WHERE tenant = ? AND (email = ? OR username = ?)
             ORDER BY id LIMIT 1",
        )
        .bind(tenant.as_uuid())
        .bind(&login)
        .bind(&login)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        row.map(|row| from_doc(&row, "doc")).transpose()
    }

    async fn list_users(&self, tenant: TenantId, query: &UserQuery) -> Result<Page<User>> {
        let after = query.cursor.as_deref().map(decode_id).transpose()?;
        let size = page_size(query.limit);
        let mut q =
            QueryBuilder::<Sqlite>::new("SELECT u.doc FROM ticket_users u WHERE u.tenant = ");
        q.push_bind(tenant.as_uuid());
        if !query.include_deleted {
            q.push(" AND u.deleted = 0");
        }
        if let Some(role) = query.role {
            q.push(" AND u.role = ").push_bind(role_name(role));
        }
        if let Some(team) = query.team {
            q.push(" AND EXISTS (SELECT 1 FROM ticket_user_teams m WHERE m.user_id = u.id AND m.team_id = ")
                .push_bind(team.as_uuid())
                .push(")");
        }
        if let Some(available) = query.available {
            q.push(" AND u.is_agent = 1 AND (json_extract(u.doc, '$.agent.availability') = 'online') = ")
                .push_bind(available);
        }
        let text = query
            .text
            .as_deref()
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty());
        if let Some(text) = text {
            q.push(" AND (instr(u.name_key, ")
                .push_bind(text.clone())
                .push(") > 0 OR instr(u.email_key, ")
                .push_bind(text.clone())
                .push(") > 0 OR instr(u.username_key, ")
                .push_bind(text)
                .push(") > 0)");
        }
        if let Some(after) = after {
            q.push(" AND u.id > ").push_bind(after);
        }
        q.push(" ORDER BY u.id LIMIT ")
            .push_bind(i64::from(size) + 1);
        let users = q
            .build()
            .fetch_all(self.pool())
            .await
            .map_err(db)?
            .iter()
            .map(|row| from_doc(row, "doc"))
            .collect::<Result<Vec<User>>>()?;
        Ok(page_of(users, size, |u| encode_id(u.id.as_uuid())))
    }

    async fn agent_loads(&self, tenant: TenantId, team: Option<TeamId>) -> Result<Vec<AgentLoad>> {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT u.doc,
                    (SELECT count(*) FROM ticket_tickets t
                     WHERE t.tenant = u.tenant AND t.assignee = u.id
                       AND t.status_category IN ('new', 'open')) AS open,
                    (SELECT max(t.assigned_at) FROM ticket_tickets t
                     WHERE t.tenant = u.tenant AND t.assignee = u.id AND t.is_open = 0) AS closed_at,
                    (SELECT max(t.assigned_at) FROM ticket_tickets t
                     WHERE t.tenant = u.tenant AND t.assignee = u.id AND t.is_open = 1) AS open_at
             FROM ticket_users u
             WHERE u.is_agent = 1 AND u.deleted = 0 AND u.tenant = ",
        );
        q.push_bind(tenant.as_uuid());
        if let Some(team) = team {
            q.push(" AND EXISTS (SELECT 1 FROM ticket_user_teams m WHERE m.user_id = u.id AND m.team_id = ")
                .push_bind(team.as_uuid())
                .push(")");
        }
        q.push(" ORDER BY u.id");
        let rows = q.build().fetch_all(self.pool()).await.map_err(db)?;
        let mut loads = Vec::with_capacity(rows.len());
        for row in &rows {
            let user: User = from_doc(row, "doc")?;
            let Some(agent) = user.agent else { continue };
            let open: i64 = row.try_get("open").map_err(db)?;
            // The latest assignment among closed and among open tickets (`None` is least).
            let closed_at: Option<i64> = row.try_get("closed_at").map_err(db)?;
            let open_at: Option<i64> = row.try_get("open_at").map_err(db)?;
            loads.push(AgentLoad {
                user_id: user.id,
                availability: agent.availability,
                capacity: agent.capacity,
                open_tickets: u32::try_from(count(open)).unwrap_or(u32::MAX),
                skills: agent.skills,
                teams: agent.teams,
                last_assigned_at: opt_instant(closed_at.max(open_at))?,
            });
        }
        Ok(loads)
    }

    async fn rotation(
        &self,
        tenant: TenantId,
        team: Option<TeamId>,
    ) -> Result<Vec<(UserId, DateTime<Utc>)>> {
        let rows = sqlx::query(
            "SELECT user_id, picked_at FROM ticket_rotation WHERE tenant = ? AND scope = ?",
        )
        .bind(tenant.as_uuid())
        .bind(scope(team))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                let user: Uuid = row.try_get("user_id").map_err(db)?;
                let at: i64 = row.try_get("picked_at").map_err(db)?;
                Ok((UserId::from_uuid(user), instant(at)?))
            })
            .collect()
    }

    async fn record_pick(
        &self,
        tenant: TenantId,
        team: Option<TeamId>,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<DateTime<Utc>> {
        let mut w = self.write().await?;
        let recorded = sqlx::query_scalar::<_, i64>(
            "INSERT INTO ticket_rotation (tenant, scope, user_id, picked_at)
             VALUES (?1, ?2, ?3, max(?4, coalesce((SELECT max(picked_at) + 1 FROM ticket_rotation
                                                 WHERE tenant = ?1 AND scope = ?2), ?4)))
             ON CONFLICT (tenant, scope, user_id) DO UPDATE SET picked_at = excluded.picked_at
             RETURNING picked_at",
        )
        .bind(tenant.as_uuid())
        .bind(scope(team))
        .bind(user.as_uuid())
        .bind(micros_ceil(at))
        .fetch_one(&mut *w.tx)
        .await
        .map_err(db);
        instant(w.finish(recorded).await?)
    }
}

/// The rotation key of `team`: its id, or the nil UUID for tickets without a team.
fn scope(team: Option<TeamId>) -> Uuid {
    team.map_or(Uuid::nil(), |t| t.as_uuid())
}
