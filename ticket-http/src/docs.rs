//! Human documentation at `/api/docs`: a small self-contained page (no CDN, nothing
//! downloaded at build time) that renders `/api/openapi.json`, and the document itself.

use crate::state::AppState;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The documentation routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(spec))
        .routes(routes!(page))
        .routes(routes!(script))
}

const PAGE: &str = include_str!("docs/index.html");
const SCRIPT: &str = include_str!("docs/app.js");

fn with_type(
    body: &'static str,
    content_type: &'static str,
    csp: Option<&'static str>,
) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(csp) = csp {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        );
    }
    res
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI document", body = Object)))]
async fn spec() -> Response {
    with_type(crate::openapi::json(), "application/json", None)
}

/// The API documentation, rendered in the browser from the OpenAPI document.
#[utoipa::path(get, path = "/api/docs", tag = "operations",
    responses((status = 200, description = "An HTML page", body = String, content_type = "text/html")))]
async fn page() -> Response {
    with_type(
        PAGE,
        "text/html; charset=utf-8",
        Some("default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; frame-ancestors 'none'"),
    )
}

/// The script of the documentation page.
#[utoipa::path(get, path = "/api/docs/app.js", tag = "operations",
    responses((status = 200, description = "JavaScript", body = String, content_type = "text/javascript")))]
async fn script() -> Response {
    with_type(SCRIPT, "text/javascript; charset=utf-8", None)
}
