//! Registration: customers signing up, staff accounts created by admins, the first super-admin.

use super::super::{forbidden, HelpDesk};
use crate::account::Actor;
use crate::account::{AgentProfile, Password, Role, User};
use crate::error::{Error, Result, Validator};
use crate::id::{TenantId, UserId};
use crate::query::UserQuery;
use crate::rbac::Permission;
use crate::text::{DisplayName, Email, Username};
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

impl HelpDesk {
    /// Registers a customer and e-mails them a verification token, or a welcome with
    /// `email_verification` off (through the outbox).
    ///
    /// # Errors
    /// [`Error::Forbidden`] when registration is closed; [`Error::Invalid`];
    /// [`Error::Conflict`] when the e-mail or username is taken.
    pub async fn register(&self, tenant: TenantId, input: RegisterInput) -> Result<User> {
        if !self.inner.config.open_registration {
            return Err(forbidden("registration is closed"));
        }
        let user = self.new_user(tenant, input, Role::Customer).await?;
        self.inner.store.create_user(&user).await?;
        self.greet(&user).await?;
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
        let user = self.new_user(actor.tenant(), input, role).await?;
        self.inner.store.create_user(&user).await?;
        self.greet(&user).await?;
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
        let mut user = self.new_user(tenant, input, Role::SuperAdmin).await?;
        user.email_verified_at = Some(user.created_at);
        self.inner.store.create_user(&user).await?;
        Ok(Some(user))
    }

    pub(in crate::desk) fn require_manage(&self, actor: &Actor, role: Role) -> Result<()> {
        let perm = if matches!(role, Role::Admin | Role::SuperAdmin) {
            Permission::AdminsManage
        } else {
            Permission::UsersManage
        };
        self.require(actor, perm)
    }

    pub(in crate::desk) async fn new_user(
        &self,
        tenant: TenantId,
        input: RegisterInput,
        role: Role,
    ) -> Result<User> {
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
        let password_hash = self.inner.hasher.hash(&password).await?;
        let now = self.now();
        Ok(User {
            id: UserId::new(),
            tenant,
            email,
            username,
            name,
            role,
            password_hash: Some(password_hash),
            email_verified_at: None,
            agent: role.is_staff().then(AgentProfile::default),
            created_at: now,
            updated_at: now,
            deleted_at: None,
            version: 1,
            saved_views: Vec::new(),
        })
    }
}
