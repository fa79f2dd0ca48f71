//! The health of webhook endpoints, kept by the relay (see
//! [`WebhookEndpoint`](crate::notify::WebhookEndpoint)).

#[allow(unused_imports)] // `Error` is named by the `# Errors` doc links
use crate::error::{Error, Result};
use crate::id::{EndpointId, TenantId};
use crate::notify::WebhookEndpoint;
use crate::query::Page;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Webhook endpoints per tenant and URL, created the first time the relay records an
/// attempt at one. Each method changes one endpoint atomically, so several relay
/// instances keep one consistent state.
#[async_trait]
pub trait EndpointStore: Send + Sync {
    /// Records an attempt at `url` at `at` as [`WebhookEndpoint::record`] does
    /// (`error` is `None` on success), creating the endpoint when it is new; returns it
    /// as it is after.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn record_endpoint_attempt(
        &self,
        tenant: TenantId,
        url: &str,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<WebhookEndpoint>;

    /// Disables the endpoint of `url` at `at` for `reason` (creating it when new).
    /// Returns `true` when this call disabled it, `false` when it was disabled already
    /// (its first reason and time stay), so exactly one caller tells its owner.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn disable_endpoint(
        &self,
        tenant: TenantId,
        url: &str,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<bool>;

    /// Enables an endpoint again: no longer disabled, and its failure clock stopped (the
    /// next failure starts it afresh); its last error and success stay. Returns it.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the tenant has no such endpoint; [`Error::Store`].
    async fn enable_endpoint(&self, tenant: TenantId, id: EndpointId) -> Result<WebhookEndpoint>;

    /// The endpoint of `url`, if an attempt was ever recorded for it.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn find_endpoint(&self, tenant: TenantId, url: &str) -> Result<Option<WebhookEndpoint>>;

    /// The tenant's endpoints, oldest first (by id): at most `limit` (0 means the
    /// default; no page exceeds the maximum of [`crate::query`]) after `cursor`.
    ///
    /// # Errors
    /// [`Error::Invalid`] (`cursor`); [`Error::Store`].
    async fn list_endpoints(
        &self,
        tenant: TenantId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<WebhookEndpoint>>;
}
