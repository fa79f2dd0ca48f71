//! The middleware stack: panics caught as 500 problems, request ids, tracing spans keyed
//! by the matched route (never bodies, headers or query strings), metrics, security
//! headers, CORS, bare error statuses turned into problems, a time limit and a body-size
//! limit. The auth routes and the password and e-mail routes of `/me` also get
//! [`rate_limit`], which knows the client through [`client`].

pub mod client;
pub mod metrics;
pub mod rate_limit;

use crate::config::CorsConfig;
use crate::problem::{Problem, PROBLEM_JSON};
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

/// The request id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps every route of `router` in the stack.
pub(crate) fn apply(router: Router, state: &AppState) -> Router {
    let limits = state.config().limits;
    let stack = ServiceBuilder::new()
        .layer(CatchPanicLayer::custom(|_| {
            Problem::internal().into_response()
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(make_span)
                .on_request(())
                .on_response(on_response),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics().clone(),
            metrics::record,
        ))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(header::REFERRER_POLICY, "no-referrer"))
        .layer(security_header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ))
        .layer(security_header(header::CACHE_CONTROL, "no-store"))
        .option_layer(cors(&state.config().cors))
        .layer(axum::middleware::map_response(problemify))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            limits.request_timeout,
        ))
        .layer(DefaultBodyLimit::max(limits.body_bytes));
    router.layer(stack)
}

fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

fn cors(config: &CorsConfig) -> Option<CorsLayer> {
    if config.allowed_origins.is_empty() {
        return None;
    }
    let origin = if config.allowed_origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            config
                .allowed_origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok()),
        )
    };
    Some(
        CorsLayer::new()
            .allow_origin(origin)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, REQUEST_ID])
            .expose_headers([REQUEST_ID, header::RETRY_AFTER])
            .max_age(Duration::from_secs(600)),
    )
}

/// The span of a request: method, matched route and request id. Never the URI (query
/// strings may carry tokens), headers or body.
fn make_span(req: &Request) -> Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", method = %req.method(), route, request_id = id)
}

fn on_response(res: &Response, latency: Duration, _span: &Span) {
    let status = res.status().as_u16();
    let ms = latency.as_millis() as u64;
    if res.status().is_server_error() {
        tracing::warn!(status, latency_ms = ms, "response");
    } else {
        tracing::info!(status, latency_ms = ms, "response");
    }
}

/// Turns error statuses produced below the handlers (unknown route, wrong method, body
/// limit, timeout, WebSocket upgrade refusals…) into problem documents, keeping their
/// headers (`Allow`, `Retry-After`…).
async fn problemify(res: Response) -> Response {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return res;
    }
    let (mut parts, _) = res.into_parts();
    let problem = Problem::from_status(status).into_response();
    let (new_parts, body) = problem.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &new_parts.headers {
        parts.headers.insert(name, value.clone());
    }
    Response::from_parts(parts, body)
}
