//! Passwords: forgotten-password resets and changes by the account holder.

use super::super::HelpDesk;
use crate::account::Actor;
use crate::account::{Password, TokenPurpose, User};
use crate::error::{Error, Result};
use crate::id::TenantId;
use crate::notify::NotificationKind;
use crate::text::Email;

impl HelpDesk {
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
                    "Choose a new password with this link (or code), valid for a short time:",
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
            .await
        {
            return Err(Error::Unauthenticated);
        }
        self.set_password(&mut user, new_password).await
    }

    pub(in crate::desk) async fn set_password(
        &self,
        user: &mut User,
        new_password: &str,
    ) -> Result<()> {
        let password = Password::parse(
            "password",
            new_password,
            Some(&user.email),
            Some(&user.username),
        )?;
        user.password_hash = Some(self.inner.hasher.hash(&password).await?);
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
}
