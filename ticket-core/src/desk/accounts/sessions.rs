//! Authentication and login sessions: who an id acts as, password checks, refresh-token rotation, logout.

use super::super::HelpDesk;
use crate::account::Actor;
use crate::account::{OneTimeToken, TokenPurpose, TokenSecret, TokenUse, User};
use crate::error::{Error, Result};
use crate::id::{TenantId, TokenId, UserId};

/// A login session: the user and a refresh token to hand to the client once.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who logged in.
    pub user: User,
    /// The refresh token (single use: each refresh rotates it).
    pub refresh_token: TokenSecret,
}

/// The longest login (e-mail or username) an account can have: an e-mail's 254.
const MAX_LOGIN_CHARS: usize = 254;

/// The most store round trips one `purge_expired_tokens` call makes (the next call
/// resumes a larger backlog).
const MAX_PURGE_ROUNDS: u32 = 50;

impl HelpDesk {
    /// The actor for an authenticated user id, with the role as stored (remembered for
    /// [`HelpDeskConfig::actor_ttl`](crate::desk::HelpDeskConfig::actor_ttl); this desk's own
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
        if self.inner.hasher.verify(password, hash).await {
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

    /// Deletes the one-time and refresh tokens of every tenant that have expired by now
    /// (see [`TokenStore::purge_expired_tokens`](crate::ports::TokenStore::purge_expired_tokens)),
    /// `batch` per store round trip, until a round finds fewer or 50 rounds ran (the next
    /// call resumes); returns how many. A host calls it on a timer
    /// (ticket-http's background jobs do); it is safe on several instances at once.
    ///
    /// # Errors
    /// [`Error::Store`] (what earlier rounds deleted stays deleted).
    pub async fn purge_expired_tokens(&self, batch: u32) -> Result<u64> {
        let batch = batch.max(1);
        let now = self.now();
        let mut total = 0;
        for _ in 0..MAX_PURGE_ROUNDS {
            let n = self.inner.store.purge_expired_tokens(now, batch).await?;
            total += n;
            if n < u64::from(batch) {
                break;
            }
        }
        Ok(total)
    }

    pub(in crate::desk) async fn issue_token(
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
}
