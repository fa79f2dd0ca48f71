//! `UserStore` for `MongoStore`: accounts (unique e-mail and username per tenant by
//! unique indexes), agent loads by aggregation, and the round-robin rotations (one
//! document per rotation, advanced by compare-and-set).

use crate::connect::names::{ROTATIONS, TICKETS, USERS};
use crate::docs::{
    all, all_docs, decode_id_cursor, encode_id_cursor, from_doc, get_count, get_int, get_opt_int,
    id, instant, limit_of, micros, page_of, page_size, to_json, DOC,
};
use crate::errors::{check_next_version, db, is_duplicate, version};
use crate::MongoStore;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use mongodb::bson::{doc, Bson, Document};
use std::collections::HashMap;
use ticket_core::account::User;
use ticket_core::error::{Error, Result};
use ticket_core::id::{TeamId, TenantId, UserId};
use ticket_core::ports::UserStore;
use ticket_core::query::{Page, UserQuery};
use ticket_core::routing::AgentLoad;

/// How often `record_pick` retries its compare-and-set when other picks of the same
/// rotation keep winning.
const PICK_TRIES: usize = 64;

/// The stored name of a role (its wire name).
fn role_name(role: ticket_core::account::Role) -> String {
    serde_json::to_value(role)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The fields of a user document (all but `_id`).
fn user_fields(u: &User) -> Result<Document> {
    let teams: Vec<String> = u
        .agent
        .as_ref()
        .map(|a| a.teams.iter().map(|t| id(t.as_uuid())).collect())
        .unwrap_or_default();
    let mut d = doc! {
        "tenant": id(u.tenant.as_uuid()),
        "email": u.email.as_str(),
        "username": u.username.as_str(),
        "role": role_name(u.role),
        "agent": u.agent.is_some(),
        "teams": teams,
        "deleted": u.is_deleted(),
        "texts": [
            u.name.as_str().to_lowercase(),
            u.email.as_str().to_lowercase(),
            u.username.as_str().to_lowercase(),
        ],
        "version": version(u.version)?,
        DOC: to_json(u)?,
    };
    d.extend(derived_fields(u));
    Ok(d)
}

/// The fields computed from a user for filters: `online` (an agent taking work), for
/// `UserQuery::available`. `MongoStore::migrate` fills them in for users stored before.
pub(crate) fn derived_fields(u: &User) -> Document {
    doc! {
        "online": u.agent.as_ref().is_some_and(|a| {
            a.availability == ticket_core::account::Availability::Online
        }),
    }
}

/// Escapes the regular-expression metacharacters of `text`, so it matches literally.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\^$.|?*+()[]{}-/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A rotation's key: tenant and team (`-` for tickets without a team).
fn rotation_key(tenant: TenantId, team: Option<TeamId>) -> String {
    format!(
        "{}/{}",
        id(tenant.as_uuid()),
        team.map_or_else(|| "-".to_string(), |t| id(t.as_uuid()))
    )
}

impl MongoStore {
    /// The field a duplicate key of `user` is about: its id, else its e-mail, else its
    /// username (read back, never parsed from the server's message).
    async fn taken_user_field(&self, u: &User, creating: bool) -> Result<&'static str> {
        let users = self.coll(USERS);
        let key = id(u.id.as_uuid());
        if creating
            && users
                .find_one(doc! { "_id": &key })
                .await
                .map_err(db)?
                .is_some()
        {
            return Ok("id");
        }
        let tenant = id(u.tenant.as_uuid());
        let email_taken = users
            .find_one(doc! { "tenant": &tenant, "email": u.email.as_str(), "_id": { "$ne": &key } })
            .projection(doc! { "_id": 1 })
            .await
            .map_err(db)?
            .is_some();
        Ok(if email_taken { "email" } else { "username" })
    }
}

#[async_trait]
impl UserStore for MongoStore {
    async fn create_user(&self, user: &User) -> Result<()> {
        let mut d = user_fields(user)?;
        d.insert("_id", id(user.id.as_uuid()));
        match self.coll(USERS).insert_one(d).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate(&e) => {
                Err(Error::unique(self.taken_user_field(user, true).await?))
            }
            Err(e) => Err(db(e)),
        }
    }

    async fn update_user(&self, user: &User, expected_version: u64) -> Result<()> {
        check_next_version(expected_version, user.version)?;
        let key = id(user.id.as_uuid());
        let tenant = id(user.tenant.as_uuid());
        // Checked first as well as by the unique indexes: FerretDB 1.x reports an update
        // that breaks a unique index as an internal error rather than 11000.
        if let Some(taken) = self
            .coll(USERS)
            .find_one(doc! {
                "tenant": &tenant, "_id": { "$ne": &key },
                "$or": [ { "email": user.email.as_str() }, { "username": user.username.as_str() } ],
            })
            .projection(doc! { "email": 1 })
            .await
            .map_err(db)?
        {
            let field = if taken.get_str("email").ok() == Some(user.email.as_str()) {
                "email"
            } else {
                "username"
            };
            return Err(Error::unique(field));
        }
        let slot = format!("user:{key}@{expected_version}");
        let written = if self.take_slot(&slot).await? {
            let written = self
                .coll(USERS)
                .find_one_and_update(
                    doc! { "_id": &key, "tenant": &tenant, "version": version(expected_version)? },
                    doc! { "$set": user_fields(user)? },
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
                let stored = self
                    .coll(USERS)
                    .find_one(doc! { "_id": &key, "tenant": &tenant })
                    .projection(doc! { "version": 1 })
                    .await
                    .map_err(db)?;
                match stored {
                    None => Err(Error::not_found("user")),
                    Some(_) => Err(Error::version_conflict(expected_version)),
                }
            }
            Err(e) if is_duplicate(&e) => {
                Err(Error::unique(self.taken_user_field(user, false).await?))
            }
            Err(e) => Err(db(e)),
        }
    }

    async fn get_user(&self, tenant: TenantId, user: UserId) -> Result<User> {
        let d = self
            .coll(USERS)
            .find_one(doc! { "_id": id(user.as_uuid()), "tenant": id(tenant.as_uuid()) })
            .await
            .map_err(db)?
            .ok_or_else(|| Error::not_found("user"))?;
        from_doc(&d)
    }

    async fn find_user_by_login(&self, tenant: TenantId, login: &str) -> Result<Option<User>> {
        let login = login.trim().to_lowercase();
        let d = self
            .coll(USERS)
            .find_one(doc! {
                "tenant": id(tenant.as_uuid()),
                "$or": [ { "email": &login }, { "username": &login } ],
            })
            .await
            .map_err(db)?;
        d.as_ref().map(from_doc).transpose()
    }

    async fn list_users(&self, tenant: TenantId, query: &UserQuery) -> Result<Page<User>> {
        let after = query.cursor.as_deref().map(decode_id_cursor).transpose()?;
        let mut f = doc! { "tenant": id(tenant.as_uuid()) };
        if let Some(after) = after {
            f.insert("_id", doc! { "$gt": id(after) });
        }
        if !query.include_deleted {
            f.insert("deleted", false);
        }
        if let Some(role) = query.role {
            f.insert("role", role_name(role));
        }
        if let Some(team) = query.team {
            f.insert("teams", id(team.as_uuid()));
        }
        if let Some(available) = query.available {
            f.insert("agent", true);
            f.insert("online", available);
        }
        if let Some(text) = query
            .text
            .as_deref()
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
        {
            f.insert("texts", doc! { "$regex": literal(&text) });
        }
        let size = page_size(query.limit);
        let users: Vec<User> = all_docs(
            self.coll(USERS)
                .find(f)
                .sort(doc! { "_id": 1 })
                .limit(limit_of(size) + 1)
                .await
                .map_err(db)?,
        )
        .await?;
        Ok(page_of(users, size, |u| encode_id_cursor(u.id.as_uuid())))
    }

    async fn agent_loads(&self, tenant: TenantId, team: Option<TeamId>) -> Result<Vec<AgentLoad>> {
        let tenant_s = id(tenant.as_uuid());
        let mut f = doc! { "tenant": &tenant_s, "agent": true, "deleted": false };
        if let Some(team) = team {
            f.insert("teams", id(team.as_uuid()));
        }
        let agents: Vec<User> = all_docs(
            self.coll(USERS)
                .find(f)
                .sort(doc! { "_id": 1 })
                .await
                .map_err(db)?,
        )
        .await?;
        if agents.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = agents.iter().map(|u| id(u.id.as_uuid())).collect();
        let groups = all(self
            .coll(TICKETS)
            .aggregate(vec![
                doc! { "$match": { "tenant": &tenant_s, "assignee": { "$in": &ids } } },
                doc! { "$group": { "_id": "$assignee", "open": { "$sum": "$working" } } },
            ])
            .await
            .map_err(db)?)
        .await?;
        // The latest assignment of each agent: one index walk each, concurrently
        // (`$max` is not an accumulator everywhere: FerretDB 1.x lacks it).
        let latest = futures::future::try_join_all(ids.iter().map(|agent| {
            let tickets = self.coll(TICKETS);
            let tenant_s = tenant_s.clone();
            async move {
                let d = tickets
                    .find_one(doc! { "tenant": tenant_s, "assignee": agent, "assigned": { "$ne": Bson::Null } })
                    .sort(doc! { "assigned": -1 })
                    .projection(doc! { "assigned": 1 })
                    .await
                    .map_err(db)?;
                d.as_ref().map(|d| get_opt_int(d, "assigned")).transpose().map(Option::flatten)
            }
        }))
        .await?;
        let mut by_agent: HashMap<String, (u64, Option<i64>)> = ids
            .iter()
            .zip(latest)
            .map(|(agent, last)| (agent.clone(), (0, last)))
            .collect();
        for g in &groups {
            let agent = g.get_str("_id").unwrap_or_default().to_string();
            if let Some(entry) = by_agent.get_mut(&agent) {
                entry.0 = get_count(g, "open")?;
            }
        }
        agents
            .into_iter()
            .filter_map(|u| {
                let a = u.agent.clone()?;
                Some((u, a))
            })
            .map(|(u, a)| {
                let (open, last) = by_agent
                    .get(&id(u.id.as_uuid()))
                    .copied()
                    .unwrap_or((0, None));
                Ok(AgentLoad {
                    user_id: u.id,
                    availability: a.availability,
                    capacity: a.capacity,
                    open_tickets: u32::try_from(open).unwrap_or(u32::MAX),
                    skills: a.skills,
                    teams: a.teams,
                    last_assigned_at: last.map(instant).transpose()?,
                })
            })
            .collect()
    }

    async fn rotation(
        &self,
        tenant: TenantId,
        team: Option<TeamId>,
    ) -> Result<Vec<(UserId, DateTime<Utc>)>> {
        let Some(d) = self
            .coll(ROTATIONS)
            .find_one(doc! { "_id": rotation_key(tenant, team) })
            .await
            .map_err(db)?
        else {
            return Ok(Vec::new());
        };
        let picks = d.get_document("picks").cloned().unwrap_or_default();
        picks
            .iter()
            .map(|(user, at)| {
                let user = uuid::Uuid::parse_str(user)
                    .map_err(|e| crate::errors::corrupt(e.to_string()))?;
                let at = match at {
                    Bson::Int64(n) => *n,
                    Bson::Int32(n) => i64::from(*n),
                    _ => return Err(crate::errors::corrupt("a pick is not an instant")),
                };
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
        let rotations = self.coll(ROTATIONS);
        let key = rotation_key(tenant, team);
        let pick_field = format!("picks.{}", id(user.as_uuid()));
        for _ in 0..PICK_TRIES {
            let stored = rotations
                .find_one(doc! { "_id": &key })
                .projection(doc! { "latest": 1 })
                .await
                .map_err(db)?;
            let latest = stored.as_ref().map(|d| get_int(d, "latest")).transpose()?;
            let recorded = match latest.map(instant).transpose()? {
                Some(latest) if latest >= at => latest + Duration::microseconds(1),
                _ => at,
            };
            let written = match latest {
                None => match rotations
                    .insert_one(doc! {
                        "_id": &key,
                        "latest": micros(recorded),
                        "picks": { id(user.as_uuid()): micros(recorded) },
                    })
                    .await
                {
                    Ok(_) => true,
                    Err(e) if is_duplicate(&e) => false,
                    Err(e) => return Err(db(e)),
                },
                Some(latest) => {
                    let slot = format!("rotation:{key}@{latest}");
                    if self.take_slot(&slot).await? {
                        let written = rotations
                            .update_one(
                                doc! { "_id": &key, "latest": latest },
                                doc! { "$set": { "latest": micros(recorded), &pick_field: micros(recorded) } },
                            )
                            .await;
                        self.release_slot(&slot).await?;
                        written.map_err(db)?.matched_count > 0
                    } else {
                        tokio::task::yield_now().await;
                        false
                    }
                }
            };
            if written {
                return Ok(recorded);
            }
        }
        Err(Error::store(crate::errors::Corrupt(
            "the rotation kept changing under record_pick".into(),
        )))
    }
}
