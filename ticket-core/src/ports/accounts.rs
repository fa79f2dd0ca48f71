//! The account ports: users, teams and one-time tokens.

use crate::account::{OneTimeToken, TokenPurpose, TokenUse, User};
#[allow(unused_imports)] // `Error` is named by the `# Errors` doc links
use crate::error::{Error, Result};
use crate::id::{TeamId, TenantId, TokenId, UserId};
use crate::query::{Page, UserQuery};
use crate::routing::AgentLoad;
use crate::team::Team;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// User accounts.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user.
    ///
    /// # Errors
    /// [`Error::Conflict`] (`Unique { field }` with `email`, `username` or `id`) when the
    /// value is taken in the tenant (nothing is written); [`Error::Store`].
    async fn create_user(&self, user: &User) -> Result<()>;

    /// Replaces a user (`user.version` = `expected_version + 1`).
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] (`Version`) on a stale version;
    /// [`Error::Conflict`] (`Unique`) when the new e-mail or username is taken;
    /// [`Error::Store`].
    async fn update_user(&self, user: &User, expected_version: u64) -> Result<()>;

    /// One user (deleted ones included).
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn get_user(&self, tenant: TenantId, id: UserId) -> Result<User>;

    /// The user whose normalised e-mail or username equals `login` (trimmed,
    /// case-insensitive), if any.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn find_user_by_login(&self, tenant: TenantId, login: &str) -> Result<Option<User>>;

    /// A page of users, ordered by id (creation order).
    ///
    /// # Errors
    /// [`Error::Invalid`] (`cursor`); [`Error::Store`].
    async fn list_users(&self, tenant: TenantId, query: &UserQuery) -> Result<Page<User>>;

    /// The load of every non-deleted user with an agent profile (of `team` when given):
    /// working tickets assigned (what counts against capacity:
    /// [`is_working`](crate::workforce::is_working), status category New or Open; a
    /// Pending ticket's clock is paused) and the latest `assigned_at` among their tickets.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn agent_loads(&self, tenant: TenantId, team: Option<TeamId>) -> Result<Vec<AgentLoad>>;

    /// The round-robin rotation of `team` (of tickets without a team when `None`): when
    /// each agent was last picked there, in any order. Agents never picked are absent.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn rotation(
        &self,
        tenant: TenantId,
        team: Option<TeamId>,
    ) -> Result<Vec<(UserId, DateTime<Utc>)>>;

    /// Records that `user` was picked in the rotation of `team` at `at`, or, when the
    /// rotation's latest pick is not before `at`, one microsecond after it (picks of one
    /// rotation are strictly ordered even within one instant). Returns the instant
    /// recorded.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn record_pick(
        &self,
        tenant: TenantId,
        team: Option<TeamId>,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<DateTime<Utc>>;
}

/// Teams.
#[async_trait]
pub trait TeamStore: Send + Sync {
    /// Creates a team.
    ///
    /// # Errors
    /// [`Error::Conflict`] (`Unique { field: "name" }`) when the name is taken
    /// (case-insensitively); [`Error::Store`].
    async fn create_team(&self, team: &Team) -> Result<()>;

    /// Replaces a team (`team.version` = `expected_version + 1`).
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] (`Version` or `Unique`); [`Error::Store`].
    async fn update_team(&self, team: &Team, expected_version: u64) -> Result<()>;

    /// One team.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn get_team(&self, tenant: TenantId, id: TeamId) -> Result<Team>;

    /// Every team of the tenant, by name.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn list_teams(&self, tenant: TenantId) -> Result<Vec<Team>>;

    /// Deletes a team.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn delete_team(&self, tenant: TenantId, id: TeamId) -> Result<()>;
}

/// One-time tokens, stored hashed.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Stores a token.
    ///
    /// # Errors
    /// [`Error::Conflict`] (`Unique { field: "hash" }`) when the hash exists;
    /// [`Error::Store`].
    async fn create_token(&self, token: &OneTimeToken) -> Result<()>;

    /// Presents a token: atomically marks an unused, unexpired token with this purpose
    /// and hash as used at `now` and returns it; two concurrent calls never both get
    /// `Consumed`.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn consume_token(
        &self,
        tenant: TenantId,
        purpose: TokenPurpose,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenUse>;

    /// Marks every unused token of a refresh family used (revoked); returns how many.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn revoke_family(
        &self,
        tenant: TenantId,
        family: TokenId,
        now: DateTime<Utc>,
    ) -> Result<u64>;

    /// Marks every unused token of a user (of `purpose`, or all) used; returns how many.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn revoke_user_tokens(
        &self,
        tenant: TenantId,
        user: UserId,
        purpose: Option<TokenPurpose>,
        now: DateTime<Utc>,
    ) -> Result<u64>;

    /// Deletes up to `limit` tokens of any tenant that expired at or before `now`, used
    /// or not (an expired token is refused anyway, so nothing it proves is lost); returns
    /// how many. Tokens not yet expired stay, spent ones included: a spent refresh token
    /// must still be recognised as a replay until it expires. Hosts call it on a timer
    /// until it returns less than `limit`.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn purge_expired_tokens(&self, now: DateTime<Utc>, limit: u32) -> Result<u64>;
}
