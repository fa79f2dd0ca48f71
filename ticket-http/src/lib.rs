//! # ticket-http
//!
//! The HTTP API of the ticketing engine: an [axum] router over a
//! [`ticket_core::HelpDesk`], JSON under `/api/v1`, JWT bearer authentication with
//! rotating refresh tokens, `application/problem+json` errors with stable codes, cursor
//! pages, realtime feeds of ticket events (WebSocket and SSE), an OpenAPI document
//! generated from the code at `/api/openapi.json`, offline docs at `/api/docs`,
//! `/healthz`, `/readyz` and `/metrics`; and the web [`console`] (customer portal, agent
//! workspace, admin, dashboard) that a host mounts beside the API.
//!
//! It is a library first: [`router`] returns a plain [`axum::Router`] a host can nest or
//! serve with [`serve`] (graceful shutdown). Every use case is a `HelpDesk` method that
//! checks permissions itself: this crate never re-implements RBAC. Configuration comes in
//! typed structs ([`HttpConfig`]); nothing here reads the environment or files.
//!
//! ```no_run
//! use std::sync::Arc;
//! use ticket_core::memory::MemoryStore;
//! use ticket_core::text::Secret;
//! use ticket_core::HelpDesk;
//! use ticket_http::{router, serve, AppState, AuthConfig, HttpConfig};
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = Arc::new(MemoryStore::new());
//! let desk = HelpDesk::builder(store.clone()).event_bus(store).build()?;
//! let config = HttpConfig {
//!     auth: AuthConfig { jwt_secret: Secret::new("a secret of at least thirty-two bytes"), ..Default::default() },
//!     ..Default::default()
//! };
//! let state = AppState::new(desk, config)?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! serve(listener, router(state), async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ai;
pub mod auth;
pub mod background;
pub mod comments;
pub mod config;
pub mod console;
pub mod deliveries;
mod docs;
pub mod dto;
pub mod error;
pub mod extract;
pub mod faqs;
pub mod forecast;
pub mod jwt;
pub mod me;
pub mod middleware;
pub mod notifications;
mod openapi;
pub mod ops;
pub mod page;
pub mod presence;
pub mod problem;
pub mod realtime;
pub mod rules;
pub mod sla;
pub mod state;
pub mod stats;
pub mod teams;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod tickets;
pub mod users;
pub mod workforce;

pub use config::{AuthConfig, CorsConfig, HttpConfig, Limits, RateLimit, RealtimeConfig};
pub use error::Error;
pub use problem::Problem;
pub use state::AppState;

use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::sync::watch;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

/// Every route with its documentation; the auth routes and the password and e-mail
/// routes of `/me` rate limited per client when `state` is given.
fn collect(state: Option<&AppState>) -> OpenApiRouter<AppState> {
    let mut auth = auth::routes().merge(me::limited_routes());
    if let Some(s) = state {
        auth = auth.route_layer(axum::middleware::from_fn_with_state(
            s.clone(),
            middleware::rate_limit::limit,
        ));
    }
    let v1 = OpenApiRouter::new()
        .merge(auth)
        .merge(me::routes())
        .merge(tickets::routes())
        .merge(comments::routes())
        .merge(presence::routes())
        .merge(users::routes())
        .merge(workforce::routes())
        .merge(teams::routes())
        .merge(stats::routes())
        .merge(forecast::routes())
        .merge(sla::routes())
        .merge(rules::routes())
        .merge(faqs::routes())
        .merge(ai::routes())
        .merge(notifications::routes())
        .merge(deliveries::routes())
        .merge(realtime::routes());
    OpenApiRouter::with_openapi(openapi::Base::openapi())
        .nest("/api/v1", v1)
        .merge(ops::routes())
        .merge(docs::routes())
}

/// The OpenAPI document of the API (what `/api/openapi.json` serves).
#[must_use]
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, doc) = collect(None).split_for_parts();
    openapi::finish(doc)
}

/// The whole API: `/api/v1/*`, the realtime feeds, `/healthz`, `/readyz`, `/metrics`,
/// `/api/openapi.json` and `/api/docs`, wrapped in the middleware stack. Serve it with
/// [`serve`] (or with `into_make_service_with_connect_info::<SocketAddr>()`, so the rate
/// limiter sees client addresses).
pub fn router(state: AppState) -> Router {
    let (routes, _) = collect(Some(&state)).split_for_parts();
    let routes = routes
        .fallback(|| async { Problem::not_found("no such route") })
        .with_state(state.clone());
    middleware::apply(routes, &state)
}

/// Tells the realtime feeds that [`serve`] is shutting down.
#[derive(Debug, Clone)]
pub(crate) struct ServerClosing(pub(crate) watch::Receiver<bool>);

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting
/// connections, ends the realtime feeds and waits for in-flight requests to finish.
///
/// # Errors
/// [`Error::Io`] when the listener fails.
pub async fn serve<F>(listener: TcpListener, router: Router, shutdown: F) -> Result<(), Error>
where
    F: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = watch::channel(false);
    let router = router.layer(axum::Extension(ServerClosing(rx)));
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = tx.send(true);
    };
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(signal)
    .await?;
    Ok(())
}
