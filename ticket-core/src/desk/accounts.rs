//! Account use cases: registration, staff accounts, authentication and login sessions,
//! passwords, e-mail verification, profiles, availability, and account deletion.
//!
//! **Deleting an account** erases the person, not the organisation's records: the user
//! row stays (so tickets, comments and history keep a valid author) but its e-mail,
//! username and name are replaced by placeholders, its password hash and agent profile
//! are removed, every token is revoked, and its open assigned tickets are unassigned.
//! Tickets the person raised and what they wrote stay with the organisation.

use super::{forbidden, HelpDesk};
use crate::account::Actor;
use crate::account::{
    AgentProfile, Availability, OneTimeToken, Password, Role, TokenPurpose, TokenSecret, TokenUse,
    User,
};
use crate::error::{Error, Result, Validator};
use crate::id::{TeamId, TenantId, TokenId, UserId};
use crate::notify::{Channel, NotificationKind, OutboxEntry};
use crate::query::{AssigneeFilter, Page, TicketQuery, UserQuery};
use crate::rbac::Permission;
use crate::text::{clean_text, DisplayName, Email, Tags, Username};
use serde::{Deserialize, Serialize};

/// A new account as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RegisterInput {
    /// E-mail address.
    pub email: String,
    /// Login name.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Password (never logged: this type's `Debug` is derived, so hosts must not log it;
    /// the desk never does).
    pub password: String,
}

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

/// A login session: the user and a refresh token to hand to the client once.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who logged in.
    pub user: User,
    /// The refresh token (single use: each refresh rotates it).
    pub refresh_token: TokenSecret,
}

/// The largest capacity an agent profile accepts.
const MAX_CAPACITY: u32 = 10_000;

/// The longest login (e-mail or username) an account can have: an e-mail's 254.
const MAX_LOGIN_CHARS: usize = 254;

impl HelpDesk {
    /// The actor for an authenticated user id, with the role as stored (remembered for
    /// [`HelpDeskConfig::actor_ttl`](super::HelpDeskConfig::actor_ttl); this desk's own
    /// changes to the user apply at once).
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] when the user does not exist or was deleted.
    pub async fn actor(&self, tenant: TenantId, user: UserId) -> Result<Actor> {
        let now = self.now();
        if let Some(actor) = self.inner.actors.get(tenant, user, now) {
            return Ok(actor);
        }
        match self.inner.store.get_user(tenant, user).await {
            Ok(u) if !u.is_deleted() => {
                let actor = Actor::user(tenant, u.id, u.role);
                self.inner.actors.put(actor, now);
                Ok(actor)
            }
            Ok(_) | Err(Error::NotFound { .. }) => Err(Error::Unauthenticated),
            Err(e) => Err(e),
        }
    }

    /// Registers a customer and e-mails them a verification token (through the outbox).
    ///
    /// # Errors
    /// [`Error::Forbidden`] when registration is closed; [`Error::Invalid`];
    /// [`Error::Conflict`] when the e-mail or username is taken.
    pub async fn register(&self, tenant: TenantId, input: RegisterInput) -> Result<User> {
        if !self.inner.config.open_registration {
            return Err(forbidden("registration is closed"));
        }
        let user = self.new_user(tenant, input, Role::Customer)?;
        self.inner.store.create_user(&user).await?;
        self.send_verification(&user).await?;
        Ok(user)
    }

    /// Creates an account with any role: customers and agents need `UsersManage`, admins
    /// and super-admins need `AdminsManage`.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::Invalid`]; [`Error::Conflict`].
    pub async fn create_user(
        &self,
        actor: &Actor,
        input: RegisterInput,
        role: Role,
    ) -> Result<User> {
        self.require_manage(actor, role)?;
        let user = self.new_user(actor.tenant(), input, role)?;
        self.inner.store.create_user(&user).await?;
        self.send_verification(&user).await?;
        Ok(user)
    }

    /// Creates the first super-admin of a tenant when it has none (hosts call this at
    /// start-up); returns `None` when one exists.
    ///
    /// # Errors
    /// [`Error::Invalid`]; [`Error::Conflict`] when the e-mail or username is taken by
    /// another account.
    pub async fn ensure_super_admin(
        &self,
        tenant: TenantId,
        input: RegisterInput,
    ) -> Result<Option<User>> {
        let query = UserQuery {
            role: Some(Role::SuperAdmin),
            limit: 1,
            ..UserQuery::default()
        };
        if !self
            .inner
            .store
            .list_users(tenant, &query)
            .await?
            .items
            .is_empty()
        {
            return Ok(None);
        }
        let mut user = self.new_user(tenant, input, Role::SuperAdmin)?;
        user.email_verified_at = Some(user.created_at);
        self.inner.store.create_user(&user).await?;
        Ok(Some(user))
    }

    fn require_manage(&self, actor: &Actor, role: Role) -> Result<()> {
        let perm = if matches!(role, Role::Admin | Role::SuperAdmin) {
            Permission::AdminsManage
        } else {
            Permission::UsersManage
        };
        self.require(actor, perm)
    }

    fn new_user(&self, tenant: TenantId, input: RegisterInput, role: Role) -> Result<User> {
        let mut v = Validator::new();
        let email = v.check(Email::parse(&input.email));
        let username = v.check(Username::parse_login(&input.username));
        let name = v.check(DisplayName::parse(&input.name));
        let password = v.check(Password::parse(
            "password",
            &input.password,
            email.as_ref(),
            username.as_ref(),
        ));
        v.finish()?;
        let (Some(email), Some(username), Some(name), Some(password)) =
            (email, username, name, password)
        else {
            return Err(Error::invalid("user", "invalid input"));
        };
        let now = self.now();
        Ok(User {
            id: UserId::new(),
            tenant,
            email,
            username,
            name,
            role,
            password_hash: Some(self.inner.hasher.hash(&password)?),
            email_verified_at: None,
            agent: role.is_staff().then(AgentProfile::default),
            created_at: now,
            updated_at: now,
            deleted_at: None,
            version: 1,
        })
    }

    /// Checks a login (e-mail or username) and password. The same argon2 work is done
    /// whether or not the account exists.
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] for an unknown login, a wrong password or a deleted
    /// account.
    pub async fn authenticate(
        &self,
        tenant: TenantId,
        login: &str,
        password: &str,
    ) -> Result<User> {
        // A login no account can have (empty, control characters, longer than any e-mail)
        // never reaches the store, but costs the same password check as an unknown one.
        let plausible = !login.is_empty()
            && login.chars().count() <= MAX_LOGIN_CHARS
            && !login.chars().any(char::is_control);
        let user = if plausible {
            self.inner.store.find_user_by_login(tenant, login).await?
        } else {
            None
        }
        .filter(|u| !u.is_deleted());
        let hash = user.as_ref().and_then(|u| u.password_hash.as_ref());
        if self.inner.hasher.verify(password, hash) {
            user.ok_or(Error::Unauthenticated)
        } else {
            Err(Error::Unauthenticated)
        }
    }

    /// Authenticates and opens a session with a fresh refresh-token family.
    ///
    /// # Errors
    /// As [`HelpDesk::authenticate`].
    pub async fn login(&self, tenant: TenantId, login: &str, password: &str) -> Result<Session> {
        let user = self.authenticate(tenant, login, password).await?;
        let refresh_token = self
            .issue_token(&user, TokenPurpose::Refresh, Some(TokenId::new()))
            .await?;
        Ok(Session {
            user,
            refresh_token,
        })
    }

    /// Rotates a refresh token: the presented one is spent and a new one of the same
    /// family returned. Presenting a spent token (a replay) revokes the whole family.
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] for an unknown, spent, expired or revoked token, or a
    /// deleted account.
    pub async fn refresh_session(&self, tenant: TenantId, refresh_token: &str) -> Result<Session> {
        let hash = TokenSecret::from_client(refresh_token).hash();
        let now = self.now();
        match self
            .inner
            .store
            .consume_token(tenant, TokenPurpose::Refresh, &hash, now)
            .await?
        {
            TokenUse::Consumed(token) => {
                let user = self.inner.store.get_user(tenant, token.user_id).await?;
                if user.is_deleted() {
                    return Err(Error::Unauthenticated);
                }
                let refresh_token = self
                    .issue_token(&user, TokenPurpose::Refresh, token.family)
                    .await?;
                Ok(Session {
                    user,
                    refresh_token,
                })
            }
            TokenUse::AlreadyUsed(token) => {
                if let Some(family) = token.family {
                    self.inner.store.revoke_family(tenant, family, now).await?;
                }
                Err(Error::Unauthenticated)
            }
            TokenUse::Expired | TokenUse::Unknown => Err(Error::Unauthenticated),
        }
    }

    /// Ends a session: its refresh-token family is revoked. Unknown tokens are ignored.
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn logout(&self, tenant: TenantId, refresh_token: &str) -> Result<()> {
        let hash = TokenSecret::from_client(refresh_token).hash();
        let now = self.now();
        let token = match self
            .inner
            .store
            .consume_token(tenant, TokenPurpose::Refresh, &hash, now)
            .await?
        {
            TokenUse::Consumed(t) | TokenUse::AlreadyUsed(t) => t,
            TokenUse::Expired | TokenUse::Unknown => return Ok(()),
        };
        if let Some(family) = token.family {
            self.inner.store.revoke_family(tenant, family, now).await?;
        }
        Ok(())
    }

    async fn issue_token(
        &self,
        user: &User,
        purpose: TokenPurpose,
        family: Option<TokenId>,
    ) -> Result<TokenSecret> {
        let ttl = self.inner.config.token_ttl;
        let life = match purpose {
            TokenPurpose::VerifyEmail => ttl.verify_email,
            TokenPurpose::ResetPassword => ttl.reset_password,
            TokenPurpose::Refresh => ttl.refresh,
        };
        let secret = TokenSecret::generate();
        let now = self.now();
        let token = OneTimeToken {
            id: TokenId::new(),
            tenant: user.tenant,
            user_id: user.id,
            purpose,
            hash: secret.hash(),
            family,
            created_at: now,
            expires_at: now + life,
            used_at: None,
        };
        self.inner.store.create_token(&token).await?;
        Ok(secret)
    }

    async fn email_token(
        &self,
        user: &User,
        purpose: TokenPurpose,
        kind: NotificationKind,
        subject: &str,
        text: &str,
    ) -> Result<()> {
        let secret = self.issue_token(user, purpose, None).await?;
        let body = format!("Hello {},\n\n{text}\n\n{}\n", user.name, secret.expose());
        let channel = Channel::Email {
            to: user.email.clone(),
            subject: subject.to_string(),
            body,
        };
        let payload = serde_json::json!({ "user_id": user.id, "kind": kind });
        let entry = OutboxEntry::new(
            user.tenant,
            None,
            kind,
            channel,
            payload,
            self.inner.config.retry.max_attempts,
            self.now(),
        );
        self.inner.store.enqueue(&[entry]).await
    }

    async fn send_verification(&self, user: &User) -> Result<()> {
        self.email_token(
            user,
            TokenPurpose::VerifyEmail,
            NotificationKind::VerifyEmail,
            "Verify your e-mail address",
            "Your e-mail verification code:",
        )
        .await
    }

    /// Sends the acting user a new e-mail verification token.
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] for the system; [`Error::Conflict`] when already
    /// verified.
    pub async fn request_email_verification(&self, actor: &Actor) -> Result<()> {
        let user = self.me(actor).await?;
        if user.email_verified_at.is_some() {
            return Err(Error::Conflict(crate::error::Conflict::State {
                reason: "the e-mail address is already verified".into(),
            }));
        }
        self.send_verification(&user).await
    }

    /// Verifies an e-mail address with the token sent to it (single use, expiring).
    ///
    /// # Errors
    /// [`Error::Invalid`] on `token` when it is unknown, spent or expired.
    pub async fn verify_email(&self, tenant: TenantId, token: &str) -> Result<User> {
        let t = self
            .consume(tenant, TokenPurpose::VerifyEmail, token)
            .await?;
        let mut user = self.inner.store.get_user(tenant, t.user_id).await?;
        if user.email_verified_at.is_none() {
            user.email_verified_at = Some(self.now());
            self.save_user(&mut user).await?;
        }
        Ok(user)
    }

    async fn consume(
        &self,
        tenant: TenantId,
        purpose: TokenPurpose,
        token: &str,
    ) -> Result<OneTimeToken> {
        let hash = TokenSecret::from_client(token).hash();
        match self
            .inner
            .store
            .consume_token(tenant, purpose, &hash, self.now())
            .await?
        {
            TokenUse::Consumed(t) => Ok(t),
            _ => Err(Error::invalid("token", "is invalid, used or expired")),
        }
    }

    /// Starts a password reset: when an active account has this e-mail, a single-use
    /// token is e-mailed to it. Answers the same either way, so it tells nobody whether
    /// the address is registered.
    ///
    /// # Errors
    /// [`Error::Store`] only.
    pub async fn request_password_reset(&self, tenant: TenantId, email: &str) -> Result<()> {
        let Ok(email) = Email::parse(email) else {
            return Ok(());
        };
        let user = self
            .inner
            .store
            .find_user_by_login(tenant, email.as_str())
            .await?;
        match user {
            Some(u) if !u.is_deleted() && u.email == email => {
                self.email_token(
                    &u,
                    TokenPurpose::ResetPassword,
                    NotificationKind::PasswordReset,
                    "Reset your password",
                    "Your password reset code (valid for a short time):",
                )
                .await
            }
            _ => Ok(()),
        }
    }

    /// Sets a new password with a reset token; every session of the user ends.
    ///
    /// # Errors
    /// [`Error::Invalid`] on `token` (unknown, spent, expired) or `password`.
    pub async fn reset_password(
        &self,
        tenant: TenantId,
        token: &str,
        new_password: &str,
    ) -> Result<()> {
        let t = self
            .consume(tenant, TokenPurpose::ResetPassword, token)
            .await?;
        let mut user = self.inner.store.get_user(tenant, t.user_id).await?;
        if user.is_deleted() {
            return Err(Error::invalid("token", "is invalid, used or expired"));
        }
        self.set_password(&mut user, new_password).await
    }

    /// Changes the acting user's password after checking the current one; every session
    /// ends.
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] when the current password is wrong; [`Error::Invalid`].
    pub async fn change_password(
        &self,
        actor: &Actor,
        current: &str,
        new_password: &str,
    ) -> Result<()> {
        let mut user = self.me(actor).await?;
        if !self
            .inner
            .hasher
            .verify(current, user.password_hash.as_ref())
        {
            return Err(Error::Unauthenticated);
        }
        self.set_password(&mut user, new_password).await
    }

    async fn set_password(&self, user: &mut User, new_password: &str) -> Result<()> {
        let password = Password::parse(
            "password",
            new_password,
            Some(&user.email),
            Some(&user.username),
        )?;
        user.password_hash = Some(self.inner.hasher.hash(&password)?);
        self.save_user(user).await?;
        self.inner
            .store
            .revoke_user_tokens(
                user.tenant,
                user.id,
                Some(TokenPurpose::Refresh),
                self.now(),
            )
            .await?;
        Ok(())
    }

    /// Stores a changed user, advancing its version (and forgetting who it acted as).
    pub(super) async fn save_user(&self, user: &mut User) -> Result<()> {
        let expected = user.version;
        user.version += 1;
        user.updated_at = self.now();
        let saved = self.inner.store.update_user(user, expected).await;
        // A request that read the old row just before the write may remember it again,
        // for the TTL at most.
        self.inner.actors.forget(user.tenant, user.id);
        saved
    }

    async fn me(&self, actor: &Actor) -> Result<User> {
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

    /// An admin changes a user: name, username, role, skills, capacity, teams. Changing
    /// an admin or super-admin, or making one, needs `AdminsManage`.
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
        apply_profile(&mut user, patch)?;
        self.save_user(&mut user).await?;
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
        Ok(user)
    }

    /// Deletes an account (see the module docs for what is erased and what is kept):
    /// oneself, or with `UsersManage` (`AdminsManage` for admins).
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`].
    pub async fn delete_account(&self, actor: &Actor, id: UserId) -> Result<()> {
        let mut user = self.inner.store.get_user(actor.tenant(), id).await?;
        if user.is_deleted() {
            return Err(Error::not_found("user"));
        }
        if !actor.is(id) {
            self.require_manage(actor, user.role)?;
        }
        let now = self.now();
        let short = user.id.as_uuid().simple().to_string();
        user.email = Email::parse(format!("deleted-{short}@deleted.invalid"))?;
        user.username = Username::parse(format!("deleted-{short}"))?;
        user.name = DisplayName::parse("Deleted user")?;
        user.password_hash = None;
        user.agent = None;
        user.email_verified_at = None;
        user.deleted_at = Some(now);
        self.save_user(&mut user).await?;
        self.inner
            .store
            .revoke_user_tokens(user.tenant, user.id, None, now)
            .await?;
        self.unassign_all(actor.tenant(), id).await
    }

    /// Unassigns every open ticket of a deleted agent, as the system.
    async fn unassign_all(&self, tenant: TenantId, id: UserId) -> Result<()> {
        let system = Actor::system(tenant);
        loop {
            let query = TicketQuery {
                assignee: Some(AssigneeFilter::User(id)),
                limit: 100,
                ..TicketQuery::default()
            };
            let page = self.inner.store.list_tickets(tenant, &query).await?;
            if page.items.is_empty() {
                return Ok(());
            }
            for t in page.items {
                let input = super::AssignInput {
                    assignee: Some(None),
                    team: None,
                };
                match self.assign(&system, t.id, input).await {
                    Ok(_) | Err(Error::Conflict(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
}

fn apply_identity(user: &mut User, name: Option<&str>, username: Option<&str>) -> Result<()> {
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

fn apply_profile(user: &mut User, patch: UserPatch) -> Result<()> {
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
