//! `EndpointStore` for `MemoryStore`.

use super::{decode_id_cursor, encode_id_cursor, page_of, page_size, MemoryStore};
use crate::error::{Error, Result};
use crate::id::{EndpointId, TenantId};
use crate::notify::WebhookEndpoint;
use crate::ports::EndpointStore;
use crate::query::Page;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

impl MemoryStore {
    /// The endpoint of `url`, created when new.
    fn endpoint_mut<'s>(
        endpoints: &'s mut std::collections::BTreeMap<EndpointId, WebhookEndpoint>,
        tenant: TenantId,
        url: &str,
    ) -> &'s mut WebhookEndpoint {
        let id = endpoints
            .values()
            .find(|e| e.tenant == tenant && e.url == url)
            .map(|e| e.id);
        let fresh = WebhookEndpoint::new(tenant, url);
        endpoints.entry(id.unwrap_or(fresh.id)).or_insert(fresh)
    }
}

#[async_trait]
impl EndpointStore for MemoryStore {
    async fn record_endpoint_attempt(
        &self,
        tenant: TenantId,
        url: &str,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<WebhookEndpoint> {
        let mut s = self.state();
        let e = Self::endpoint_mut(&mut s.endpoints, tenant, url);
        e.record(at, error);
        Ok(e.clone())
    }

    async fn disable_endpoint(
        &self,
        tenant: TenantId,
        url: &str,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<bool> {
        let mut s = self.state();
        let e = Self::endpoint_mut(&mut s.endpoints, tenant, url);
        if e.disabled_at.is_some() {
            return Ok(false);
        }
        e.disabled_at = Some(at);
        e.disabled_reason = Some(reason.to_string());
        Ok(true)
    }

    async fn enable_endpoint(&self, tenant: TenantId, id: EndpointId) -> Result<WebhookEndpoint> {
        let mut s = self.state();
        match s.endpoints.get_mut(&id) {
            Some(e) if e.tenant == tenant => {
                e.disabled_at = None;
                e.disabled_reason = None;
                e.failing_since = None;
                Ok(e.clone())
            }
            _ => Err(Error::not_found("endpoint")),
        }
    }

    async fn find_endpoint(&self, tenant: TenantId, url: &str) -> Result<Option<WebhookEndpoint>> {
        Ok(self
            .state()
            .endpoints
            .values()
            .find(|e| e.tenant == tenant && e.url == url)
            .cloned())
    }

    async fn list_endpoints(
        &self,
        tenant: TenantId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<WebhookEndpoint>> {
        let after = cursor
            .map(decode_id_cursor)
            .transpose()?
            .map(EndpointId::from_uuid);
        let s = self.state();
        let items = s
            .endpoints
            .values()
            .filter(|e| e.tenant == tenant && after.is_none_or(|a| e.id > a))
            .cloned();
        Ok(page_of(items, page_size(limit), |e| {
            encode_id_cursor(e.id.as_uuid())
        }))
    }
}
