//! One-time e-mail tokens and e-mail verification.

use super::super::HelpDesk;
use crate::account::Actor;
use crate::account::{OneTimeToken, TokenPurpose, TokenSecret, TokenUse, User};
use crate::error::{Error, Result};
use crate::id::TenantId;
use crate::notify::{Channel, NotificationKind, OutboxEntry};

impl HelpDesk {
    pub(in crate::desk) async fn email_token(
        &self,
        user: &User,
        purpose: TokenPurpose,
        kind: NotificationKind,
        subject: &str,
        text: &str,
    ) -> Result<()> {
        let key = (user.tenant, user.id, purpose);
        let per_hour = self.inner.config.token_mails_per_hour;
        if !self.inner.mail_limit.allow(key, self.now(), per_hour) {
            return Ok(());
        }
        let secret = self.issue_token(user, purpose, None).await?;
        let link = self.token_link(purpose, secret.expose());
        let body = format!("Hello {},\n\n{text}\n\n{link}\n", user.name);
        self.mail_account(user, kind, subject, body).await
    }

    /// Queues an account mail (not about a ticket) to `user`.
    async fn mail_account(
        &self,
        user: &User,
        kind: NotificationKind,
        subject: &str,
        body: String,
    ) -> Result<()> {
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

    /// Greets a new account: its verification link, or with
    /// [`HelpDeskConfig::email_verification`](crate::desk::HelpDeskConfig::email_verification)
    /// off, its welcome mail.
    pub(in crate::desk) async fn greet(&self, user: &User) -> Result<()> {
        if self.inner.config.email_verification {
            self.send_verification(user).await
        } else {
            self.send_welcome(user).await
        }
    }

    /// The welcome mail: sent once the address is verified (or at sign-up when
    /// verification is off), with the link to the account's tickets.
    async fn send_welcome(&self, user: &User) -> Result<()> {
        let page = match &self.inner.config.public_url {
            Some(base) => format!(
                " Raise a request and follow its answers here:\n\n{}/my",
                base.trim_end_matches('/')
            ),
            None => String::new(),
        };
        let body = format!(
            "Hello {},\n\nWelcome to the help desk: your account {} is ready.{page}\n",
            user.name, user.username
        );
        self.mail_account(
            user,
            NotificationKind::Welcome,
            "Welcome to the help desk",
            body,
        )
        .await
    }

    /// The e-mailed form of a token: `{public_url}/verify-email?token=…` or
    /// `{public_url}/reset-password?token=…` (the token is URL-safe base64), or the bare
    /// token without a public URL. Alone on its line, so mail readers link it whole.
    fn token_link(&self, purpose: TokenPurpose, token: &str) -> String {
        let page = match purpose {
            TokenPurpose::ResetPassword => "reset-password",
            _ => "verify-email",
        };
        match &self.inner.config.public_url {
            Some(base) => format!("{}/{page}?token={token}", base.trim_end_matches('/')),
            None => token.to_string(),
        }
    }

    pub(in crate::desk) async fn send_verification(&self, user: &User) -> Result<()> {
        self.email_token(
            user,
            TokenPurpose::VerifyEmail,
            NotificationKind::VerifyEmail,
            "Verify your e-mail address",
            "Confirm your e-mail address with this link (or code):",
        )
        .await
    }

    /// With [`HelpDeskConfig::require_verified_email`](crate::desk::HelpDeskConfig::require_verified_email),
    /// refuses a user whose e-mail address is not verified (the system passes).
    pub(in crate::desk) async fn require_verified_email(&self, actor: &Actor) -> Result<()> {
        if !self.inner.config.require_verified_email || actor.is_system() {
            return Ok(());
        }
        if self.me(actor).await?.email_verified_at.is_none() {
            return Err(Error::Forbidden(
                "verify your e-mail address before raising tickets".into(),
            ));
        }
        Ok(())
    }

    /// Whether rules may trust `user`'s e-mail address: always, unless
    /// `require_verified_email` is set and it is not verified.
    pub(in crate::desk) fn trusted_email(&self, user: &User) -> bool {
        !self.inner.config.require_verified_email || user.email_verified_at.is_some()
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
            self.send_welcome(&user).await?;
        }
        Ok(user)
    }

    pub(in crate::desk) async fn consume(
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
}
