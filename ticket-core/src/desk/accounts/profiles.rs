//! Profiles: reading and listing users, changes by the user and by admins, agent availability.

use super::super::HelpDesk;
use crate::account::Actor;
use crate::account::{AgentProfile, Availability, Role, User};
use crate::error::{Error, Result, Validator};
use crate::id::{TeamId, UserId};
use crate::query::{Page, UserQuery};
use crate::rbac::Permission;
use crate::text::{clean_text, DisplayName, Tags, Username};
use serde::{Deserialize, Serialize};

/// Changes an admin makes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserPatch {
    /// Display name.
    pub name: Option<String>,
    /// Login name.
    pub username: Option<String>,
    /// Role.
    pub role: Option<Role>,
    /// Agent skills.
    pub skills: Option<Vec<String>>,
    /// Agent capacity (open tickets).
    pub capacity: Option<u32>,
    /// Agent teams.
    pub team_ids: Option<Vec<TeamId>>,
}

/// The largest capacity an agent profile accepts.
const MAX_CAPACITY: u32 = 10_000;

impl HelpDesk {
    /// Stores a changed user, advancing its version (and forgetting who it acted as).
    pub(in crate::desk) async fn save_user(&self, user: &mut User) -> Result<()> {
        let expected = user.version;
        user.version += 1;
        user.updated_at = self.now();
        let saved = self.inner.store.update_user(user, expected).await;
        // A request that read the old row just before the write may remember it again,
        // for the TTL at most.
        self.inner.actors.forget(user.tenant, user.id);
        // Routing looks for agents online again.
        self.inner.picks.forget_idle(user.tenant);
        saved
    }

    pub(in crate::desk) async fn me(&self, actor: &Actor) -> Result<User> {
        let id = actor.user_id().ok_or(Error::Unauthenticated)?;
        let user = self.inner.store.get_user(actor.tenant(), id).await?;
        if user.is_deleted() {
            return Err(Error::Unauthenticated);
        }
        Ok(user)
    }

    /// The acting user's own account.
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] for the system or a deleted account.
    pub async fn current_user(&self, actor: &Actor) -> Result<User> {
        self.me(actor).await
    }

    /// One user: oneself, or anyone with `UsersRead`.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`].
    pub async fn get_user(&self, actor: &Actor, id: UserId) -> Result<User> {
        if !actor.is(id) {
            self.require(actor, Permission::UsersRead)?;
        }
        self.inner.store.get_user(actor.tenant(), id).await
    }

    /// A page of users.
    ///
    /// # Errors
    /// [`Error::Forbidden`] without `UsersRead`; [`Error::Invalid`].
    pub async fn list_users(&self, actor: &Actor, mut query: UserQuery) -> Result<Page<User>> {
        self.require(actor, Permission::UsersRead)?;
        query.limit = crate::query::check_limit(Some(query.limit).filter(|l| *l != 0))?;
        query.text = query
            .text
            .map(|t| clean_text("q", &t, 0, 200, true))
            .transpose()?
            .filter(|t| !t.is_empty());
        self.inner.store.list_users(actor.tenant(), &query).await
    }

    /// Changes one's own name or username.
    ///
    /// # Errors
    /// [`Error::Invalid`]; [`Error::Conflict`] when the username is taken.
    pub async fn update_me(
        &self,
        actor: &Actor,
        name: Option<&str>,
        username: Option<&str>,
    ) -> Result<User> {
        let mut user = self.me(actor).await?;
        apply_identity(&mut user, name, username)?;
        self.save_user(&mut user).await?;
        Ok(user)
    }

    /// The acting user's saved ticket views.
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] for the system or a deleted account.
    pub async fn saved_views(&self, actor: &Actor) -> Result<Vec<crate::views::SavedView>> {
        Ok(self.me(actor).await?.saved_views)
    }

    /// Replaces the acting user's saved ticket views (checked by
    /// [`check_views`](crate::views::check_views)).
    ///
    /// # Errors
    /// [`Error::Invalid`] on `views`; [`Error::Unauthenticated`]; [`Error::Conflict`] when
    /// the account changed meanwhile.
    pub async fn set_saved_views(
        &self,
        actor: &Actor,
        views: Vec<crate::views::SavedView>,
    ) -> Result<Vec<crate::views::SavedView>> {
        let views = crate::views::check_views(views)?;
        let mut user = self.me(actor).await?;
        user.saved_views = views;
        self.save_user(&mut user).await?;
        Ok(user.saved_views)
    }

    /// An admin changes a user: name, username, role, skills, capacity, teams. Changing
    /// an admin or super-admin, or making one, needs `AdminsManage`. Demoting staff to
    /// customer drops their agent profile (so team notifications stop reaching them) and
    /// unassigns their open tickets; changing the role to the same again completes an
    /// unassignment that was cut off.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`] (user or team); [`Error::Invalid`];
    /// [`Error::Conflict`].
    pub async fn update_user(&self, actor: &Actor, id: UserId, patch: UserPatch) -> Result<User> {
        let mut user = self.inner.store.get_user(actor.tenant(), id).await?;
        if user.is_deleted() {
            return Err(Error::not_found("user"));
        }
        self.require_manage(actor, user.role)?;
        if let Some(role) = patch.role {
            self.require_manage(actor, role)?;
            user.role = role;
        }
        apply_identity(&mut user, patch.name.as_deref(), patch.username.as_deref())?;
        if let Some(teams) = &patch.team_ids {
            for team in teams {
                self.inner.store.get_team(actor.tenant(), *team).await?;
            }
        }
        let role_set = patch.role.is_some();
        apply_profile(&mut user, patch)?;
        self.save_user(&mut user).await?;
        if role_set && !user.role.is_staff() {
            // A demoted agent works nothing any more: their open tickets go back to the
            // queue (an interrupted run is completed by demoting again).
            self.unassign_open(actor.tenant(), id).await?;
        }
        Ok(user)
    }

    /// Sets an agent's availability: oneself, or anyone with `UsersManage`.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`]; [`Error::Invalid`] when the user is
    /// not staff.
    pub async fn set_availability(
        &self,
        actor: &Actor,
        id: UserId,
        availability: Availability,
    ) -> Result<User> {
        if !actor.is(id) {
            self.require(actor, Permission::UsersManage)?;
        }
        let mut user = self.inner.store.get_user(actor.tenant(), id).await?;
        let Some(profile) = user.agent.as_mut().filter(|_| user.deleted_at.is_none()) else {
            return Err(Error::invalid(
                "availability",
                "only agents have an availability",
            ));
        };
        profile.availability = availability;
        self.save_user(&mut user).await?;
        if availability == Availability::Online {
            self.wake_queue();
        }
        Ok(user)
    }
}

pub(in crate::desk) fn apply_identity(
    user: &mut User,
    name: Option<&str>,
    username: Option<&str>,
) -> Result<()> {
    let mut v = Validator::new();
    let name = name.map(|n| v.check(DisplayName::parse(n)));
    let username = username.map(|u| v.check(Username::parse_login(u)));
    v.finish()?;
    if let Some(Some(n)) = name {
        user.name = n;
    }
    if let Some(Some(u)) = username {
        user.username = u;
    }
    Ok(())
}

pub(in crate::desk) fn apply_profile(user: &mut User, patch: UserPatch) -> Result<()> {
    if !user.role.is_staff() {
        if patch.skills.is_some() || patch.capacity.is_some() || patch.team_ids.is_some() {
            return Err(Error::invalid(
                "role",
                "only agents and admins have skills, capacity and teams",
            ));
        }
        user.agent = None;
        return Ok(());
    }
    let profile = user.agent.get_or_insert_with(AgentProfile::default);
    if let Some(skills) = patch.skills {
        profile.skills = Tags::parse(&skills)
            .map_err(|_| Error::invalid("skills", "at most 20 tags of a-z, 0-9, '_' and '-'"))?;
    }
    if let Some(c) = patch.capacity {
        if c > MAX_CAPACITY {
            return Err(Error::invalid(
                "capacity",
                format!("must be at most {MAX_CAPACITY}"),
            ));
        }
        profile.capacity = c;
    }
    if let Some(mut teams) = patch.team_ids {
        teams.sort();
        teams.dedup();
        profile.teams = teams;
    }
    Ok(())
}
