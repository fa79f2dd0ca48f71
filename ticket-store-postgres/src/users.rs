//! `UserStore` for `PostgresStore`: accounts with e-mail and username unique per tenant
//! (constraints), version-checked updates, listing and agent loads.

use crate::connect::PostgresStore;
use crate::errors::{db, doc, Doc};
use crate::rows::{self, decode_id_cursor, encode_id_cursor, look_ahead, page_of, page_size};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgArguments;
use sqlx::Arguments as _;
use ticket_core::account::User;
use ticket_core::id::{TeamId, TenantId, UserId};
use ticket_core::ports::UserStore;
use ticket_core::query::{Page, UserQuery};
use ticket_core::routing::AgentLoad;
use ticket_core::{Error, Result};
use uuid::Uuid;

/// The columns of one user row.
struct UserRow {
    id: Uuid,
    tenant: Uuid,
    email: String,
    username: String,
    role: &'static str,
    deleted: bool,
    is_agent: bool,
    agent_teams: Vec<Uuid>,
    search_keys: Vec<String>,
    version: i64,
    doc: Doc,
}

impl UserRow {
    fn new(u: &User) -> Result<Self> {
        Ok(Self {
            id: u.id.as_uuid(),
            tenant: u.tenant.as_uuid(),
            email: u.email.as_str().to_string(),
            username: u.username.as_str().to_string(),
            role: u.role.as_str(),
            deleted: u.is_deleted(),
            is_agent: u.agent.is_some(),
            agent_teams: u
                .agent
                .as_ref()
                .map(|a| a.teams.iter().map(TeamId::as_uuid).collect())
                .unwrap_or_default(),
            // What `list_users` searches, lower-cased here as `MemoryStore` does.
            search_keys: vec![
                u.name.as_str().to_lowercase(),
                u.email.as_str().to_lowercase(),
                u.username.as_str().to_lowercase(),
            ],
            version: rows::version(u.version)?,
            doc: doc("user", u)?,
        })
    }
}

#[async_trait]
impl UserStore for PostgresStore {
    async fn create_user(&self, user: &User) -> Result<()> {
        let r = UserRow::new(user)?;
        sqlx::query(&format!(
            "INSERT INTO {} (id, tenant, email, username, role, deleted, is_agent, agent_teams, \
             search_keys, version, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            self.tables().users
        ))
        .bind(r.id)
        .bind(r.tenant)
        .bind(r.email)
        .bind(r.username)
        .bind(r.role)
        .bind(r.deleted)
        .bind(r.is_agent)
        .bind(r.agent_teams)
        .bind(r.search_keys)
        .bind(r.version)
        .bind(r.doc)
        .execute(self.pool())
        .await
        .map(drop)
        .map_err(db)
    }

    async fn update_user(&self, user: &User, expected_version: u64) -> Result<()> {
        if expected_version.checked_add(1) != Some(user.version) {
            // `MemoryStore` reports a missing user first.
            let known = self
                .exists(&self.tables().users, user.tenant, user.id.as_uuid())
                .await?;
            return Err(if known {
                Error::invalid("version", "must be the expected version + 1")
            } else {
                Error::not_found("user")
            });
        }
        let r = UserRow::new(user)?;
        let done = sqlx::query(&format!(
            "UPDATE {} SET email = $3, username = $4, role = $5, deleted = $6, is_agent = $7, \
             agent_teams = $8, search_keys = $9, version = $10, doc = $11 \
             WHERE id = $1 AND tenant = $2 AND version = $12",
            self.tables().users
        ))
        .bind(r.id)
        .bind(r.tenant)
        .bind(r.email)
        .bind(r.username)
        .bind(r.role)
        .bind(r.deleted)
        .bind(r.is_agent)
        .bind(r.agent_teams)
        .bind(r.search_keys)
        .bind(r.version)
        .bind(r.doc)
        .bind(rows::version(expected_version)?)
        .execute(self.pool())
        .await
        .map_err(db)?;
        if rows::affected(&done) == 1 {
            Ok(())
        } else if self
            .exists(&self.tables().users, user.tenant, user.id.as_uuid())
            .await?
        {
            Err(Error::version_conflict(expected_version))
        } else {
            Err(Error::not_found("user"))
        }
    }

    async fn get_user(&self, tenant: TenantId, id: UserId) -> Result<User> {
        self.doc_by_id(&self.tables().users, "user", tenant, id.as_uuid())
            .await
    }

    async fn find_user_by_login(&self, tenant: TenantId, login: &str) -> Result<Option<User>> {
        let login = login.trim().to_lowercase();
        if login.contains('\0') {
            // No e-mail or username holds NUL: nobody has this login.
            return Ok(None);
        }
        let row = sqlx::query(&format!(
            "SELECT doc FROM {} WHERE tenant = $1 AND (email = $2 OR username = $2) \
             ORDER BY id LIMIT 1",
            self.tables().users
        ))
        .bind(tenant.as_uuid())
        .bind(login)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        row.map(|r| rows::doc(&r, "doc")).transpose()
    }

    async fn list_users(&self, tenant: TenantId, query: &UserQuery) -> Result<Page<User>> {
        let after = query.cursor.as_deref().map(decode_id_cursor).transpose()?;
        let size = page_size(query.limit);
        let text = query
            .text
            .as_deref()
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty());
        if text.as_deref().is_some_and(|t| t.contains('\0')) {
            // No name, e-mail or username holds NUL.
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        let mut args = PgArguments::default();
        let mut clauses = vec!["tenant = $1".to_string()];
        args.add(tenant.as_uuid()).map_err(Error::Store)?;
        let mut n = 1;
        let mut next = || {
            n += 1;
            n
        };
        if !query.include_deleted {
            clauses.push("NOT deleted".to_string());
        }
        if let Some(after) = after {
            clauses.push(format!("id > ${}", next()));
            args.add(after).map_err(Error::Store)?;
        }
        if let Some(role) = query.role {
            clauses.push(format!("role = ${}", next()));
            args.add(role.as_str()).map_err(Error::Store)?;
        }
        if let Some(team) = query.team {
            clauses.push(format!(
                "is_agent AND agent_teams @> ARRAY[${}::uuid]",
                next()
            ));
            args.add(team.as_uuid()).map_err(Error::Store)?;
        }
        if let Some(available) = query.available {
            clauses.push(format!(
                "is_agent AND (doc->'agent'->>'availability' = 'online') = ${}",
                next()
            ));
            args.add(available).map_err(Error::Store)?;
        }
        if let Some(text) = text {
            clauses.push(format!(
                "EXISTS (SELECT 1 FROM unnest(search_keys) AS k WHERE strpos(k, ${}) > 0)",
                next()
            ));
            args.add(text).map_err(Error::Store)?;
        }
        let limit = next();
        args.add(look_ahead(size)).map_err(Error::Store)?;
        let sql = format!(
            "SELECT doc FROM {} WHERE {} ORDER BY id LIMIT ${limit}",
            self.tables().users,
            clauses.join(" AND "),
        );
        let found = sqlx::query_with(&sql, args)
            .fetch_all(self.pool())
            .await
            .map_err(db)?;
        let users: Vec<User> = rows::docs(&found)?;
        Ok(page_of(users, size, |u| encode_id_cursor(u.id.as_uuid())))
    }

    async fn agent_loads(&self, tenant: TenantId, team: Option<TeamId>) -> Result<Vec<AgentLoad>> {
        let t = self.tables();
        let sql = format!(
            "SELECT u.doc, l.open, l.last_assigned_at
             FROM {users} u
             CROSS JOIN LATERAL (
                 SELECT count(*) FILTER (WHERE t.status_category IN ('new', 'open'))
                            AS open,
                        max(t.assigned_at) AS last_assigned_at
                 FROM {tickets} t
                 WHERE t.tenant = u.tenant AND t.assignee = u.id) l
             WHERE u.tenant = $1 AND u.is_agent AND NOT u.deleted{team}
             ORDER BY u.id",
            users = t.users,
            tickets = t.tickets,
            team = if team.is_some() {
                " AND u.agent_teams @> ARRAY[$2::uuid]"
            } else {
                ""
            },
        );
        let found = sqlx::query(&sql)
            .bind(tenant.as_uuid())
            .bind(team.map(|t| t.as_uuid()))
            .fetch_all(self.pool())
            .await
            .map_err(db)?;
        let mut loads = Vec::with_capacity(found.len());
        for row in &found {
            let user: User = rows::doc(row, "doc")?;
            let Some(agent) = user.agent else { continue };
            let open = rows::count(rows::get(row, "open")?);
            loads.push(AgentLoad {
                user_id: user.id,
                availability: agent.availability,
                capacity: agent.capacity,
                open_tickets: u32::try_from(open).unwrap_or(u32::MAX),
                skills: agent.skills,
                teams: agent.teams,
                last_assigned_at: rows::get(row, "last_assigned_at")?,
            });
        }
        Ok(loads)
    }

    async fn rotation(
        &self,
        tenant: TenantId,
        team: Option<TeamId>,
    ) -> Result<Vec<(UserId, DateTime<Utc>)>> {
        let found: Vec<(Uuid, DateTime<Utc>)> = sqlx::query_as(&format!(
            "SELECT user_id, picked_at FROM {} WHERE tenant = $1 AND scope = $2",
            self.tables().rotation
        ))
        .bind(tenant.as_uuid())
        .bind(scope(team))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        Ok(found
            .into_iter()
            .map(|(user, at)| (UserId::from_uuid(user), at))
            .collect())
    }

    async fn record_pick(
        &self,
        tenant: TenantId,
        team: Option<TeamId>,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<DateTime<Utc>> {
        // GREATEST ignores the NULL of a rotation's first pick.
        sqlx::query_scalar(&format!(
            "INSERT INTO {rotation} (tenant, scope, user_id, picked_at)
             SELECT $1, $2, $3, GREATEST(date_trunc('microseconds', $4::timestamptz),
                 (SELECT max(picked_at) + interval '1 microsecond' FROM {rotation}
                  WHERE tenant = $1 AND scope = $2))
             ON CONFLICT (tenant, scope, user_id) DO UPDATE SET picked_at = excluded.picked_at
             RETURNING picked_at",
            rotation = self.tables().rotation
        ))
        .bind(tenant.as_uuid())
        .bind(scope(team))
        .bind(user.as_uuid())
        .bind(at)
        .fetch_one(self.pool())
        .await
        .map_err(db)
    }
}

/// The rotation key of `team`: its id, or the nil UUID for tickets without a team.
fn scope(team: Option<TeamId>) -> Uuid {
    team.map_or(Uuid::nil(), |t| t.as_uuid())
}
