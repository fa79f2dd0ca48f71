//! `EndpointStore` for `MongoStore`: one document per endpoint (`_id` its id, a unique
//! index on tenant + URL, so relay workers never make two for one URL), holding the
//! endpoint's JSON and a revision counter. Each change reads the endpoint, applies the
//! domain's own rule ([`WebhookEndpoint::record`], disable, enable) and writes it back
//! under the slot of the revision it read (see `slots.rs`), trying again when another
//! worker got there first: changes are never lost, and a disable wins once.

use crate::connect::names::ENDPOINTS;
use crate::docs::{
    all_docs, decode_id_cursor, encode_id_cursor, from_doc, get_int, id, limit_of, page_of,
    page_size, to_json, DOC,
};
use crate::errors::{db, is_duplicate, Busy};
use crate::MongoStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mongodb::bson::{doc, Document};
use std::time::Duration;
use ticket_core::error::{Error, Result};
use ticket_core::id::{EndpointId, TenantId};
use ticket_core::notify::WebhookEndpoint;
use ticket_core::ports::EndpointStore;
use ticket_core::query::Page;

/// How many times a change is tried while other workers change the endpoint.
const TRIES: usize = 100;

/// The pause between two tries.
const PAUSE: Duration = Duration::from_millis(5);

impl MongoStore {
    /// Applies `change` to the endpoint `filter` finds (a new one of `create` when none
    /// and `create` is given) and stores it; `change` returns whether it changed
    /// anything. Returns the endpoint as stored and whether this call changed it.
    async fn change_endpoint(
        &self,
        filter: Document,
        create: Option<(TenantId, &str)>,
        change: impl Fn(&mut WebhookEndpoint) -> bool + Send + Sync,
    ) -> Result<(WebhookEndpoint, bool)> {
        let endpoints = self.coll(ENDPOINTS);
        for _ in 0..TRIES {
            let Some(d) = endpoints.find_one(filter.clone()).await.map_err(db)? else {
                let Some((tenant, url)) = create else {
                    return Err(Error::not_found("endpoint"));
                };
                let mut e = WebhookEndpoint::new(tenant, url);
                let changed = change(&mut e);
                let inserted = endpoints
                    .insert_one(doc! {
                        "_id": id(e.id.as_uuid()), "tenant": id(tenant.as_uuid()), "url": url,
                        "rev": 0_i64, DOC: to_json(&e)?,
                    })
                    .await;
                match inserted {
                    Ok(_) => return Ok((e, changed)),
                    Err(err) if is_duplicate(&err) => continue,
                    Err(err) => return Err(db(err)),
                }
            };
            let mut e: WebhookEndpoint = from_doc(&d)?;
            if !change(&mut e) {
                return Ok((e, false));
            }
            let rev = get_int(&d, "rev")?;
            let update = doc! { "$set": { DOC: to_json(&e)?, "rev": rev + 1 } };
            if self
                .write_at(ENDPOINTS, &id(e.id.as_uuid()), "rev", rev, update)
                .await?
                == Some(true)
            {
                return Ok((e, true));
            }
            tokio::time::sleep(PAUSE).await;
        }
        Err(Error::store(Busy("webhook endpoint")))
    }
}

/// The filter of the endpoint of `url`.
fn by_url(tenant: TenantId, url: &str) -> Document {
    doc! { "tenant": id(tenant.as_uuid()), "url": url }
}

#[async_trait]
impl EndpointStore for MongoStore {
    async fn record_endpoint_attempt(
        &self,
        tenant: TenantId,
        url: &str,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<WebhookEndpoint> {
        let (e, _) = self
            .change_endpoint(by_url(tenant, url), Some((tenant, url)), |e| {
                e.record(at, error);
                true
            })
            .await?;
        Ok(e)
    }

    async fn disable_endpoint(
        &self,
        tenant: TenantId,
        url: &str,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<bool> {
        let (_, disabled) = self
            .change_endpoint(by_url(tenant, url), Some((tenant, url)), |e| {
                if e.disabled_at.is_some() {
                    return false;
                }
                e.disabled_at = Some(at);
                e.disabled_reason = Some(reason.to_string());
                true
            })
            .await?;
        Ok(disabled)
    }

    async fn enable_endpoint(&self, tenant: TenantId, id_: EndpointId) -> Result<WebhookEndpoint> {
        let filter = doc! { "_id": id(id_.as_uuid()), "tenant": id(tenant.as_uuid()) };
        let (e, _) = self
            .change_endpoint(filter, None, |e| {
                let changed = e.disabled_at.is_some()
                    || e.disabled_reason.is_some()
                    || e.failing_since.is_some();
                e.disabled_at = None;
                e.disabled_reason = None;
                e.failing_since = None;
                changed
            })
            .await?;
        Ok(e)
    }

    async fn find_endpoint(&self, tenant: TenantId, url: &str) -> Result<Option<WebhookEndpoint>> {
        self.coll(ENDPOINTS)
            .find_one(by_url(tenant, url))
            .await
            .map_err(db)?
            .as_ref()
            .map(from_doc)
            .transpose()
    }

    async fn list_endpoints(
        &self,
        tenant: TenantId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<WebhookEndpoint>> {
        let mut filter = doc! { "tenant": id(tenant.as_uuid()) };
        if let Some(after) = cursor.map(decode_id_cursor).transpose()? {
            filter.insert("_id", doc! { "$gt": id(after) });
        }
        let size = page_size(limit);
        let items: Vec<WebhookEndpoint> = all_docs(
            self.coll(ENDPOINTS)
                .find(filter)
                .sort(doc! { "_id": 1 })
                .limit(limit_of(size) + 1)
                .await
                .map_err(db)?,
        )
        .await?;
        Ok(page_of(items, size, |e| encode_id_cursor(e.id.as_uuid())))
    }
}
