//! `TokenStore` for `PostgresStore`: hashed one-time tokens, unique by hash, spent by one
//! conditional `UPDATE` so two presentations never both succeed. `used_at` is the
//! authoritative column; the document keeps the token as issued.

use crate::connect::PostgresStore;
use crate::errors::{check_text, db, doc};
use crate::rows;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use ticket_core::account::{OneTimeToken, TokenPurpose, TokenUse};
use ticket_core::id::{TenantId, TokenId, UserId};
use ticket_core::ports::TokenStore;
use ticket_core::Result;

/// The stored name of a purpose (its serde name).
fn purpose_name(p: TokenPurpose) -> &'static str {
    match p {
        TokenPurpose::VerifyEmail => "verify_email",
        TokenPurpose::ResetPassword => "reset_password",
        TokenPurpose::Refresh => "refresh",
    }
}

/// A token read back: the document with the use mark of the column.
fn token(row: &PgRow) -> Result<OneTimeToken> {
    let mut t: OneTimeToken = rows::doc(row, "doc")?;
    t.used_at = rows::get(row, "used_at")?;
    Ok(t)
}

#[async_trait]
impl TokenStore for PostgresStore {
    async fn create_token(&self, token: &OneTimeToken) -> Result<()> {
        check_text("hash", &token.hash)?;
        let d = doc("token", token)?;
        sqlx::query(&format!(
            "INSERT INTO {} (id, tenant, user_id, purpose, hash, family, expires_at, used_at, doc) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            self.tables().tokens
        ))
        .bind(token.id.as_uuid())
        .bind(token.tenant.as_uuid())
        .bind(token.user_id.as_uuid())
        .bind(purpose_name(token.purpose))
        .bind(&token.hash)
        .bind(token.family.map(|f| f.as_uuid()))
        .bind(token.expires_at)
        .bind(token.used_at)
        .bind(d)
        .execute(self.pool())
        .await
        .map(drop)
        .map_err(db)
    }

    async fn consume_token(
        &self,
        tenant: TenantId,
        purpose: TokenPurpose,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenUse> {
        if hash.contains('\0') {
            // No stored hash holds NUL.
            return Ok(TokenUse::Unknown);
        }
        let t = &self.tables().tokens;
        // Spent only if unused and unexpired; a concurrent presentation waits for the row
        // and re-checks `used_at` on the version it waited for, so it cannot spend it too.
        let spent = sqlx::query(&format!(
            "UPDATE {t} SET used_at = $4 \
             WHERE tenant = $1 AND purpose = $2 AND hash = $3 AND used_at IS NULL \
             AND expires_at > $4 RETURNING doc, used_at"
        ))
        .bind(tenant.as_uuid())
        .bind(purpose_name(purpose))
        .bind(hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        if let Some(row) = spent {
            let mut consumed = token(&row)?;
            consumed.used_at = Some(now);
            return Ok(TokenUse::Consumed(consumed));
        }
        let found = sqlx::query(&format!(
            "SELECT doc, used_at FROM {t} WHERE tenant = $1 AND purpose = $2 AND hash = $3"
        ))
        .bind(tenant.as_uuid())
        .bind(purpose_name(purpose))
        .bind(hash)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        let Some(row) = found else {
            return Ok(TokenUse::Unknown);
        };
        let stored = token(&row)?;
        Ok(if stored.used_at.is_some() {
            TokenUse::AlreadyUsed(stored)
        } else {
            // Unused yet not spent above: it expired.
            TokenUse::Expired
        })
    }

    async fn revoke_family(
        &self,
        tenant: TenantId,
        family: TokenId,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let done = sqlx::query(&format!(
            "UPDATE {} SET used_at = $3 WHERE tenant = $1 AND family = $2 AND used_at IS NULL",
            self.tables().tokens
        ))
        .bind(tenant.as_uuid())
        .bind(family.as_uuid())
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(rows::affected(&done))
    }

    async fn revoke_user_tokens(
        &self,
        tenant: TenantId,
        user: UserId,
        purpose: Option<TokenPurpose>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let done = sqlx::query(&format!(
            "UPDATE {} SET used_at = $4 WHERE tenant = $1 AND user_id = $2 AND used_at IS NULL \
             AND ($3::text IS NULL OR purpose = $3)",
            self.tables().tokens
        ))
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .bind(purpose.map(purpose_name))
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(rows::affected(&done))
    }

    async fn purge_expired_tokens(&self, now: DateTime<Utc>, limit: u32) -> Result<u64> {
        // SKIP LOCKED: instances purging at once take different rows instead of waiting.
        let t = &self.tables().tokens;
        let done = sqlx::query(&format!(
            "DELETE FROM {t} WHERE id IN \
             (SELECT id FROM {t} WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"
        ))
        .bind(now)
        .bind(i64::from(limit))
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(rows::affected(&done))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_are_stored_by_their_wire_names() {
        for p in [
            TokenPurpose::VerifyEmail,
            TokenPurpose::ResetPassword,
            TokenPurpose::Refresh,
        ] {
            assert_eq!(
                serde_json::to_value(p).ok(),
                Some(serde_json::Value::String(purpose_name(p).into()))
            );
        }
    }
}
