//! `TokenStore` for `MongoStore`: one-time tokens, stored hashed (unique hash), spent by
//! one `find_one_and_update` that only matches an unused, unexpired token, so two
//! concurrent presentations never both succeed.

use crate::connect::names::{SLOTS, TOKENS};
use crate::docs::{all, from_doc, id, limit_of, micros, opt_id, to_json, DOC};
use crate::errors::{db, is_duplicate};
use crate::MongoStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mongodb::bson::{doc, Bson, Document};
use mongodb::options::ReturnDocument;
use ticket_core::account::{OneTimeToken, TokenPurpose, TokenUse};
use ticket_core::error::{Error, Result};
use ticket_core::id::{TenantId, TokenId, UserId};
use ticket_core::ports::TokenStore;

/// The stored name of a purpose (its wire name).
fn purpose_name(p: TokenPurpose) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A token read back: its document, with `used_at` as the `used` field holds it.
fn token_of(d: &Document) -> Result<OneTimeToken> {
    let mut t: OneTimeToken = from_doc(d)?;
    t.used_at = crate::docs::from_field(d, "used")?;
    Ok(t)
}

/// The slot of a token's single use (kept until the token is purged).
fn use_slot(d: &Document) -> String {
    format!("token:{}", d.get_str("_id").unwrap_or_default())
}

impl MongoStore {
    /// Takes the single use of the token document `d` (see `slots.rs`): `true` for the
    /// one caller that gets it.
    async fn take_use(&self, d: &Document) -> Result<bool> {
        match self
            .coll(SLOTS)
            .insert_one(doc! { "_id": use_slot(d) })
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_duplicate(&e) => Ok(false),
            Err(e) => Err(db(e)),
        }
    }

    /// A token whose use another caller took: as stored once that caller marked it
    /// (waiting briefly for its write).
    async fn spent_token(&self, t: OneTimeToken) -> Result<TokenUse> {
        for _ in 0..50 {
            let d = self
                .coll(TOKENS)
                .find_one(doc! { "_id": id(t.id.as_uuid()) })
                .await
                .map_err(db)?;
            match d.as_ref().map(token_of).transpose()? {
                Some(stored) if stored.used_at.is_some() => {
                    return Ok(TokenUse::AlreadyUsed(stored))
                }
                Some(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
                None => return Ok(TokenUse::Unknown),
            }
        }
        Ok(TokenUse::AlreadyUsed(t))
    }

    /// Marks every unused token matching `filter` used at `now`; returns how many.
    async fn revoke_where(&self, mut filter: Document, now: DateTime<Utc>) -> Result<u64> {
        filter.insert("spent", false);
        let unused = all(self
            .coll(TOKENS)
            .find(filter)
            .projection(doc! { "_id": 1 })
            .await
            .map_err(db)?)
        .await?;
        let mut revoked = Vec::new();
        for d in &unused {
            if self.take_use(d).await? {
                revoked.extend(d.get("_id").cloned());
            }
        }
        if revoked.is_empty() {
            return Ok(0);
        }
        let count = revoked.len() as u64;
        self.coll(TOKENS)
            .update_many(
                doc! { "_id": { "$in": revoked } },
                doc! { "$set": { "spent": true, "used": to_json(&Some(now))? } },
            )
            .await
            .map_err(db)?;
        Ok(count)
    }
}

#[async_trait]
impl TokenStore for MongoStore {
    async fn create_token(&self, token: &OneTimeToken) -> Result<()> {
        let key = id(token.id.as_uuid());
        let d = doc! {
            "_id": &key,
            "tenant": id(token.tenant.as_uuid()),
            "user": id(token.user_id.as_uuid()),
            "purpose": purpose_name(token.purpose),
            "hash": &token.hash,
            "family": opt_id(token.family.map(|f| f.as_uuid())),
            "expires": micros(token.expires_at),
            "spent": token.used_at.is_some(),
            "used": to_json(&token.used_at)?,
            DOC: to_json(token)?,
        };
        match self.coll(TOKENS).insert_one(d).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate(&e) => {
                let id_taken = self
                    .coll(TOKENS)
                    .find_one(doc! { "_id": &key })
                    .projection(doc! { "_id": 1 })
                    .await
                    .map_err(db)?
                    .is_some();
                Err(Error::unique(if id_taken { "id" } else { "hash" }))
            }
            Err(e) => Err(db(e)),
        }
    }

    async fn consume_token(
        &self,
        tenant: TenantId,
        purpose: TokenPurpose,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenUse> {
        let which = doc! {
            "tenant": id(tenant.as_uuid()),
            "purpose": purpose_name(purpose),
            "hash": hash,
        };
        let Some(d) = self.coll(TOKENS).find_one(which).await.map_err(db)? else {
            return Ok(TokenUse::Unknown);
        };
        let t = token_of(&d)?;
        if t.used_at.is_some() {
            return Ok(TokenUse::AlreadyUsed(t));
        }
        if t.expires_at <= now {
            return Ok(TokenUse::Expired);
        }
        // The single use is the token's slot: one presentation takes it.
        if !self.take_use(&d).await? {
            return self.spent_token(t).await;
        }
        let spent = self
            .coll(TOKENS)
            .find_one_and_update(
                doc! { "_id": d.get("_id").cloned().unwrap_or(Bson::Null) },
                doc! { "$set": { "spent": true, "used": to_json(&Some(now))? } },
            )
            .return_document(ReturnDocument::After)
            .await
            .map_err(db)?;
        match spent {
            Some(d) => Ok(TokenUse::Consumed(token_of(&d)?)),
            None => Ok(TokenUse::Unknown),
        }
    }

    async fn revoke_family(
        &self,
        tenant: TenantId,
        family: TokenId,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        self.revoke_where(
            doc! { "tenant": id(tenant.as_uuid()), "family": id(family.as_uuid()) },
            now,
        )
        .await
    }

    async fn revoke_user_tokens(
        &self,
        tenant: TenantId,
        user: UserId,
        purpose: Option<TokenPurpose>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut f = doc! { "tenant": id(tenant.as_uuid()), "user": id(user.as_uuid()) };
        if let Some(p) = purpose {
            f.insert("purpose", purpose_name(p));
        }
        self.revoke_where(f, now).await
    }

    async fn purge_expired_tokens(&self, now: DateTime<Utc>, limit: u32) -> Result<u64> {
        if limit == 0 {
            return Ok(0);
        }
        let doomed: Vec<Bson> = all(self
            .coll(TOKENS)
            .find(doc! { "expires": { "$lte": micros(now) } })
            .projection(doc! { "_id": 1 })
            .limit(limit_of(limit))
            .await
            .map_err(db)?)
        .await?
        .into_iter()
        .filter_map(|d| d.get("_id").cloned())
        .collect();
        if doomed.is_empty() {
            return Ok(0);
        }
        let slots: Vec<String> = doomed
            .iter()
            .filter_map(|b| b.as_str().map(|k| format!("token:{k}")))
            .collect();
        let gone = self
            .coll(TOKENS)
            .delete_many(doc! { "_id": { "$in": doomed }, "expires": { "$lte": micros(now) } })
            .await
            .map_err(db)?;
        self.coll(SLOTS)
            .delete_many(doc! { "_id": { "$in": slots } })
            .await
            .map_err(db)?;
        Ok(gone.deleted_count)
    }
}
