//! `UserStore` and `TeamStore` for `MemoryStore`.

use super::{
    decode_id_cursor, encode_id_cursor, get_in, page_of, page_size, remove_in, MemoryStore, State,
};
use crate::account::{Availability, User};
use crate::error::{Error, Result};
use crate::id::{TeamId, TenantId, UserId};
use crate::ports::{TeamStore, UserStore};
use crate::query::{Page, UserQuery};
use crate::routing::AgentLoad;
use crate::team::Team;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

impl State {
    /// Checks that the e-mail and username of `user` are free in its tenant (ignoring the
    /// user itself).
    fn check_user_unique(&self, user: &User) -> Result<()> {
        let others = || {
            self.users
                .values()
                .filter(|u| u.tenant == user.tenant && u.id != user.id)
        };
        if others().any(|u| u.email == user.email) {
            return Err(Error::unique("email"));
        }
        if others().any(|u| u.username == user.username) {
            return Err(Error::unique("username"));
        }
        Ok(())
    }

    /// Checks that the name of `team` is free in its tenant, case-insensitively (ignoring
    /// the team itself).
    fn check_team_unique(&self, team: &Team) -> Result<()> {
        let name = team.name.as_str().to_lowercase();
        if self.teams.values().any(|t| {
            t.tenant == team.tenant && t.id != team.id && t.name.as_str().to_lowercase() == name
        }) {
            return Err(Error::unique("name"));
        }
        Ok(())
    }
}

/// Checks the optimistic-concurrency versions of a replacement.
fn check_versions(stored: u64, expected: u64, new: u64) -> Result<()> {
    if expected.checked_add(1) != Some(new) {
        return Err(Error::invalid(
            "version",
            "must be the expected version + 1",
        ));
    }
    if stored != expected {
        return Err(Error::version_conflict(expected));
    }
    Ok(())
}

/// Whether `user` passes the filters of `query` (not the cursor).
fn user_matches(user: &User, query: &UserQuery) -> bool {
    let text = query
        .text
        .as_deref()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty());
    (query.include_deleted || !user.is_deleted())
        && query.role.is_none_or(|r| user.role == r)
        && query.available.is_none_or(|want| {
            user.agent
                .as_ref()
                .is_some_and(|a| (a.availability == Availability::Online) == want)
        })
        && query
            .team
            .is_none_or(|team| user.agent.as_ref().is_some_and(|a| a.teams.contains(&team)))
        && text.is_none_or(|q| {
            [
                user.name.as_str(),
                user.email.as_str(),
                user.username.as_str(),
            ]
            .iter()
            .any(|field| field.to_lowercase().contains(&q))
        })
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn create_user(&self, user: &User) -> Result<()> {
        let mut s = self.state();
        if s.users.contains_key(&user.id) {
            return Err(Error::unique("id"));
        }
        s.check_user_unique(user)?;
        s.users.insert(user.id, user.clone());
        Ok(())
    }

    async fn update_user(&self, user: &User, expected_version: u64) -> Result<()> {
        let mut s = self.state();
        let stored =
            get_in(&s.users, user.tenant, &user.id).ok_or_else(|| Error::not_found("user"))?;
        check_versions(stored.version, expected_version, user.version)?;
        s.check_user_unique(user)?;
        s.users.insert(user.id, user.clone());
        Ok(())
    }

    async fn get_user(&self, tenant: TenantId, id: UserId) -> Result<User> {
        get_in(&self.state().users, tenant, &id)
            .cloned()
            .ok_or_else(|| Error::not_found("user"))
    }

    async fn find_user_by_login(&self, tenant: TenantId, login: &str) -> Result<Option<User>> {
        let login = login.trim().to_lowercase();
        let s = self.state();
        Ok(s.users
            .values()
            .find(|u| {
                u.tenant == tenant && (u.email.as_str() == login || u.username.as_str() == login)
            })
            .cloned())
    }

    async fn list_users(&self, tenant: TenantId, query: &UserQuery) -> Result<Page<User>> {
        let after = query
            .cursor
            .as_deref()
            .map(decode_id_cursor)
            .transpose()?
            .map(UserId::from_uuid);
        let s = self.state();
        let users = s
            .users
            .values()
            .filter(|u| {
                u.tenant == tenant && after.is_none_or(|a| u.id > a) && user_matches(u, query)
            })
            .cloned();
        Ok(page_of(users, page_size(query.limit), |u| {
            encode_id_cursor(u.id.as_uuid())
        }))
    }

    async fn agent_loads(&self, tenant: TenantId, team: Option<TeamId>) -> Result<Vec<AgentLoad>> {
        let s = self.state();
        let loads = s
            .users
            .values()
            .filter(|u| u.tenant == tenant && !u.is_deleted())
            .filter_map(|u| u.agent.as_ref().map(|a| (u, a)))
            .filter(|(_, a)| team.is_none_or(|team| a.teams.contains(&team)))
            .map(|(u, a)| {
                let theirs = || {
                    s.tickets
                        .values()
                        .filter(|t| t.tenant == tenant && t.assignee == Some(u.id))
                };
                let open = theirs().filter(|t| crate::workforce::is_working(t)).count();
                AgentLoad {
                    user_id: u.id,
                    availability: a.availability,
                    capacity: a.capacity,
                    open_tickets: u32::try_from(open).unwrap_or(u32::MAX),
                    skills: a.skills.clone(),
                    teams: a.teams.clone(),
                    last_assigned_at: theirs().filter_map(|t| t.assigned_at).max(),
                }
            })
            .collect();
        Ok(loads)
    }

    async fn rotation(
        &self,
        tenant: TenantId,
        team: Option<TeamId>,
    ) -> Result<Vec<(UserId, DateTime<Utc>)>> {
        let s = self.state();
        Ok(s.rotations
            .iter()
            .filter(|((t, scope, _), _)| *t == tenant && *scope == team)
            .map(|((_, _, user), at)| (*user, *at))
            .collect())
    }

    async fn record_pick(
        &self,
        tenant: TenantId,
        team: Option<TeamId>,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<DateTime<Utc>> {
        let mut s = self.state();
        let latest = s
            .rotations
            .iter()
            .filter(|((t, scope, _), _)| *t == tenant && *scope == team)
            .map(|(_, at)| *at)
            .max();
        let at = match latest {
            Some(latest) if latest >= at => latest + Duration::microseconds(1),
            _ => at,
        };
        s.rotations.insert((tenant, team, user), at);
        Ok(at)
    }
}

#[async_trait]
impl TeamStore for MemoryStore {
    async fn create_team(&self, team: &Team) -> Result<()> {
        let mut s = self.state();
        if s.teams.contains_key(&team.id) {
            return Err(Error::unique("id"));
        }
        s.check_team_unique(team)?;
        s.teams.insert(team.id, team.clone());
        Ok(())
    }

    async fn update_team(&self, team: &Team, expected_version: u64) -> Result<()> {
        let mut s = self.state();
        let stored =
            get_in(&s.teams, team.tenant, &team.id).ok_or_else(|| Error::not_found("team"))?;
        check_versions(stored.version, expected_version, team.version)?;
        s.check_team_unique(team)?;
        s.teams.insert(team.id, team.clone());
        Ok(())
    }

    async fn get_team(&self, tenant: TenantId, id: TeamId) -> Result<Team> {
        get_in(&self.state().teams, tenant, &id)
            .cloned()
            .ok_or_else(|| Error::not_found("team"))
    }

    async fn list_teams(&self, tenant: TenantId) -> Result<Vec<Team>> {
        let s = self.state();
        let mut teams: Vec<Team> = s
            .teams
            .values()
            .filter(|t| t.tenant == tenant)
            .cloned()
            .collect();
        teams.sort_by(|a, b| {
            (a.name.as_str().to_lowercase(), a.id).cmp(&(b.name.as_str().to_lowercase(), b.id))
        });
        Ok(teams)
    }

    async fn delete_team(&self, tenant: TenantId, id: TeamId) -> Result<()> {
        remove_in(&mut self.state().teams, tenant, &id, "team").map(drop)
    }
}
