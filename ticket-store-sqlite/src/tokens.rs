//! `TokenStore` for `SqliteStore`: hashed one-time tokens, single use (consumption reads
//! and marks the token inside one write transaction), expiring, revocable.

use crate::rows::{db, instant, is_unique, micros, opt_instant, CorruptRow};
use crate::SqliteStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::{QueryBuilder, Row as _, Sqlite};
use ticket_core::account::{OneTimeToken, TokenPurpose, TokenUse};
use ticket_core::error::{Error, Result};
use ticket_core::id::{TenantId, TokenId, UserId};
use ticket_core::ports::TokenStore;
use uuid::Uuid;

/// The column value of a purpose (its wire name).
fn purpose_name(p: TokenPurpose) -> &'static str {
    match p {
        TokenPurpose::VerifyEmail => "verify_email",
        TokenPurpose::ResetPassword => "reset_password",
        TokenPurpose::Refresh => "refresh",
    }
}

/// Reads back [`purpose_name`].
fn parse_purpose(s: &str) -> Result<TokenPurpose> {
    match s {
        "verify_email" => Ok(TokenPurpose::VerifyEmail),
        "reset_password" => Ok(TokenPurpose::ResetPassword),
        "refresh" => Ok(TokenPurpose::Refresh),
        other => Err(Error::store(CorruptRow(format!(
            "unknown token purpose {other:?}"
        )))),
    }
}

const COLUMNS: &str = "id, tenant, user_id, purpose, hash, family, created_at, expires_at, used_at";

/// A token from a row of [`COLUMNS`].
fn token(row: &SqliteRow) -> Result<OneTimeToken> {
    let get_id = |c: &str| row.try_get::<Uuid, _>(c).map_err(db);
    let purpose: String = row.try_get("purpose").map_err(db)?;
    let family: Option<Uuid> = row.try_get("family").map_err(db)?;
    Ok(OneTimeToken {
        id: TokenId::from_uuid(get_id("id")?),
        tenant: TenantId::from_uuid(get_id("tenant")?),
        user_id: UserId::from_uuid(get_id("user_id")?),
        purpose: parse_purpose(&purpose)?,
        hash: row.try_get("hash").map_err(db)?,
        family: family.map(TokenId::from_uuid),
        created_at: instant(row.try_get("created_at").map_err(db)?)?,
        expires_at: instant(row.try_get("expires_at").map_err(db)?)?,
        used_at: opt_instant(row.try_get("used_at").map_err(db)?)?,
    })
}

/// `create_token` inside its transaction.
async fn create_in(conn: &mut SqliteConnection, t: &OneTimeToken) -> Result<()> {
    let sql = format!("INSERT INTO ticket_tokens ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    let written = sqlx::query(&sql)
        .bind(t.id.as_uuid())
        .bind(t.tenant.as_uuid())
        .bind(t.user_id.as_uuid())
        .bind(purpose_name(t.purpose))
        .bind(&t.hash)
        .bind(t.family.map(|f| f.as_uuid()))
        .bind(micros(t.created_at))
        .bind(micros(t.expires_at))
        .bind(t.used_at.map(micros))
        .execute(&mut *conn)
        .await;
    match written {
        Ok(_) => Ok(()),
        Err(e) if is_unique(&e) => {
            let id_taken = sqlx::query("SELECT 1 FROM ticket_tokens WHERE id = ?")
                .bind(t.id.as_uuid())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db)?
                .is_some();
            Err(Error::unique(if id_taken { "id" } else { "hash" }))
        }
        Err(e) => Err(db(e)),
    }
}

/// `consume_token` inside its transaction.
async fn consume_in(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    purpose: TokenPurpose,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<TokenUse> {
    let sql = format!(
        "SELECT {COLUMNS} FROM ticket_tokens WHERE hash = ? AND tenant = ? AND purpose = ?"
    );
    let Some(row) = sqlx::query(&sql)
        .bind(hash)
        .bind(tenant.as_uuid())
        .bind(purpose_name(purpose))
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
    else {
        return Ok(TokenUse::Unknown);
    };
    let mut t = token(&row)?;
    if t.used_at.is_some() {
        return Ok(TokenUse::AlreadyUsed(t));
    }
    if t.expires_at <= now {
        return Ok(TokenUse::Expired);
    }
    sqlx::query("UPDATE ticket_tokens SET used_at = ? WHERE id = ?")
        .bind(micros(now))
        .bind(t.id.as_uuid())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    t.used_at = Some(now);
    Ok(TokenUse::Consumed(t))
}

impl SqliteStore {
    /// Marks the unused tokens of `tenant` picked by `pick` (a condition pushed onto the
    /// query) used at `now`; returns how many.
    async fn revoke_where(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
        pick: impl FnOnce(&mut QueryBuilder<'_, Sqlite>),
    ) -> Result<u64> {
        let mut q = QueryBuilder::<Sqlite>::new("UPDATE ticket_tokens SET used_at = ");
        q.push_bind(micros(now))
            .push(" WHERE used_at IS NULL AND tenant = ")
            .push_bind(tenant.as_uuid());
        pick(&mut q);
        let mut w = self.write().await?;
        let result = q
            .build()
            .execute(&mut *w.tx)
            .await
            .map(|done| done.rows_affected())
            .map_err(db);
        w.finish(result).await
    }
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn create_token(&self, token: &OneTimeToken) -> Result<()> {
        let mut w = self.write().await?;
        let result = create_in(&mut w.tx, token).await;
        w.finish(result).await
    }

    async fn consume_token(
        &self,
        tenant: TenantId,
        purpose: TokenPurpose,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenUse> {
        let mut w = self.write().await?;
        let result = consume_in(&mut w.tx, tenant, purpose, hash, now).await;
        w.finish(result).await
    }

    async fn revoke_family(
        &self,
        tenant: TenantId,
        family: TokenId,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        self.revoke_where(tenant, now, |q| {
            q.push(" AND family = ").push_bind(family.as_uuid());
        })
        .await
    }

    async fn revoke_user_tokens(
        &self,
        tenant: TenantId,
        user: UserId,
        purpose: Option<TokenPurpose>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        self.revoke_where(tenant, now, |q| {
            q.push(" AND user_id = ").push_bind(user.as_uuid());
            if let Some(p) = purpose {
                q.push(" AND purpose = ").push_bind(purpose_name(p));
            }
        })
        .await
    }

    async fn purge_expired_tokens(&self, now: DateTime<Utc>, limit: u32) -> Result<u64> {
        let mut w = self.write().await?;
        let result = sqlx::query(
            "DELETE FROM ticket_tokens WHERE id IN \
             (SELECT id FROM ticket_tokens WHERE expires_at <= ? LIMIT ?)",
        )
        .bind(micros(now))
        .bind(i64::from(limit))
        .execute(&mut *w.tx)
        .await
        .map(|done| done.rows_affected())
        .map_err(db);
        w.finish(result).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_use_wire_names() {
        for p in [
            TokenPurpose::VerifyEmail,
            TokenPurpose::ResetPassword,
            TokenPurpose::Refresh,
        ] {
            assert_eq!(parse_purpose(purpose_name(p)).unwrap(), p);
            assert_eq!(
                serde_json::to_value(p).unwrap().as_str(),
                Some(purpose_name(p))
            );
        }
    }
}
