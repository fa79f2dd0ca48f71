//! [`AppState`]: what every handler shares.

use crate::config::HttpConfig;
use crate::error::Error;
use crate::jwt::Jwt;
use crate::middleware::metrics::Metrics;
use crate::middleware::rate_limit::RateLimiter;
use crate::realtime::FeedSlots;
use std::sync::Arc;
use ticket_core::ports::EventBus;
use ticket_core::{HelpDesk, TenantId};
use tokio::sync::watch;

/// The state of the router: the [`HelpDesk`], the event bus of the realtime feeds, the
/// tenant served, the configuration and the shared middleware state. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    desk: HelpDesk,
    bus: Option<Arc<dyn EventBus>>,
    tenant: TenantId,
    config: HttpConfig,
    jwt: Jwt,
    metrics: Metrics,
    client_limiter: Option<RateLimiter>,
    account_limiter: Option<RateLimiter>,
    feeds: FeedSlots,
    closing: watch::Sender<bool>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("tenant", &self.inner.tenant)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over `desk` (its event bus feeds the realtime routes) serving
    /// [`TenantId::DEFAULT`].
    ///
    /// # Errors
    /// [`Error::Config`] when the JWT secret is shorter than 32 bytes, the access-token
    /// TTL is zero, a rate limit is zero, or a realtime limit is zero.
    pub fn new(desk: HelpDesk, config: HttpConfig) -> Result<Self, Error> {
        Self::build(desk, config, TenantId::DEFAULT, None)
    }

    fn build(
        desk: HelpDesk,
        config: HttpConfig,
        tenant: TenantId,
        bus: Option<Arc<dyn EventBus>>,
    ) -> Result<Self, Error> {
        let jwt = Jwt::new(&config.auth)?;
        let client_limiter = config.auth_rate_limit.map(RateLimiter::new).transpose()?;
        let account_limiter = config
            .account_rate_limit
            .map(RateLimiter::new)
            .transpose()?;
        let feeds = FeedSlots::new(&config.realtime)?;
        let bus = bus.or_else(|| desk.event_bus().cloned());
        Ok(Self {
            inner: Arc::new(Inner {
                desk,
                bus,
                tenant,
                config,
                jwt,
                metrics: Metrics::default(),
                client_limiter,
                account_limiter,
                feeds,
                closing: watch::Sender::new(false),
            }),
        })
    }

    /// The same state serving another tenant (multi-tenant hosts build one router per
    /// tenant, or nest them).
    ///
    /// # Errors
    /// As [`AppState::new`].
    pub fn with_tenant(self, tenant: TenantId) -> Result<Self, Error> {
        let i = &self.inner;
        Self::build(i.desk.clone(), i.config.clone(), tenant, i.bus.clone())
    }

    /// The same state with another event bus for the realtime feeds.
    ///
    /// # Errors
    /// As [`AppState::new`].
    pub fn with_event_bus(self, bus: Arc<dyn EventBus>) -> Result<Self, Error> {
        let i = &self.inner;
        Self::build(i.desk.clone(), i.config.clone(), i.tenant, Some(bus))
    }

    /// The help desk.
    #[must_use]
    pub fn desk(&self) -> &HelpDesk {
        &self.inner.desk
    }

    /// The event bus of the realtime feeds, if any.
    #[must_use]
    pub fn event_bus(&self) -> Option<&Arc<dyn EventBus>> {
        self.inner.bus.as_ref()
    }

    /// The tenant served.
    #[must_use]
    pub fn tenant(&self) -> TenantId {
        self.inner.tenant
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &HttpConfig {
        &self.inner.config
    }

    /// Request metrics (rendered at `/metrics`).
    #[must_use]
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    pub(crate) fn jwt(&self) -> &Jwt {
        &self.inner.jwt
    }

    pub(crate) fn client_limiter(&self) -> Option<&RateLimiter> {
        self.inner.client_limiter.as_ref()
    }

    pub(crate) fn account_limiter(&self) -> Option<&RateLimiter> {
        self.inner.account_limiter.as_ref()
    }

    pub(crate) fn feeds(&self) -> &FeedSlots {
        &self.inner.feeds
    }

    /// Ends every WebSocket and SSE feed of this state (hosts that do not use
    /// [`crate::serve`] call this when they shut down, so open feeds do not hold the
    /// server up).
    pub fn close_realtime(&self) {
        self.inner.closing.send_replace(true);
    }

    /// A receiver that turns `true` when [`AppState::close_realtime`] is called.
    pub(crate) fn closing(&self) -> watch::Receiver<bool> {
        self.inner.closing.subscribe()
    }
}
