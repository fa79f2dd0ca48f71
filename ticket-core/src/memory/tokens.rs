//! `TokenStore` for `MemoryStore`: single-use, expiring, hashed one-time tokens.

use super::MemoryStore;
use crate::account::{OneTimeToken, TokenPurpose, TokenUse};
use crate::error::{Error, Result};
use crate::id::{TenantId, TokenId, UserId};
use crate::ports::TokenStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Marks every unused token that `pick` selects used at `now`; returns how many.
fn revoke_where(
    tokens: &mut std::collections::BTreeMap<TokenId, OneTimeToken>,
    now: DateTime<Utc>,
    pick: impl Fn(&OneTimeToken) -> bool,
) -> u64 {
    let mut count = 0;
    for t in tokens
        .values_mut()
        .filter(|t| t.used_at.is_none() && pick(t))
    {
        t.used_at = Some(now);
        count += 1;
    }
    count
}

#[async_trait]
impl TokenStore for MemoryStore {
    async fn create_token(&self, token: &OneTimeToken) -> Result<()> {
        let mut s = self.state();
        if s.tokens.contains_key(&token.id) {
            return Err(Error::unique("id"));
        }
        if s.tokens.values().any(|t| t.hash == token.hash) {
            return Err(Error::unique("hash"));
        }
        s.tokens.insert(token.id, token.clone());
        Ok(())
    }

    async fn consume_token(
        &self,
        tenant: TenantId,
        purpose: TokenPurpose,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenUse> {
        let mut s = self.state();
        let Some(token) = s
            .tokens
            .values_mut()
            .find(|t| t.tenant == tenant && t.purpose == purpose && t.hash == hash)
        else {
            return Ok(TokenUse::Unknown);
        };
        if token.used_at.is_some() {
            return Ok(TokenUse::AlreadyUsed(token.clone()));
        }
        if token.expires_at <= now {
            return Ok(TokenUse::Expired);
        }
        token.used_at = Some(now);
        Ok(TokenUse::Consumed(token.clone()))
    }

    async fn revoke_family(
        &self,
        tenant: TenantId,
        family: TokenId,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        Ok(revoke_where(&mut self.state().tokens, now, |t| {
            t.tenant == tenant && t.family == Some(family)
        }))
    }

    async fn revoke_user_tokens(
        &self,
        tenant: TenantId,
        user: UserId,
        purpose: Option<TokenPurpose>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        Ok(revoke_where(&mut self.state().tokens, now, |t| {
            t.tenant == tenant && t.user_id == user && purpose.is_none_or(|p| t.purpose == p)
        }))
    }

    async fn purge_expired_tokens(&self, now: DateTime<Utc>, limit: u32) -> Result<u64> {
        let mut s = self.state();
        let doomed: Vec<TokenId> = s
            .tokens
            .values()
            .filter(|t| t.expires_at <= now)
            .map(|t| t.id)
            .take(limit as usize)
            .collect();
        for id in &doomed {
            s.tokens.remove(id);
        }
        Ok(doomed.len() as u64)
    }
}
