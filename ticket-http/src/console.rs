//! The web console: a single-page application for customers, agents and admins, served
//! at `/` from assets embedded in the binary (no CDN, nothing downloaded at build or run
//! time, no Node.js needed to build).
//!
//! The console is a client of the public API only (`/api/v1` and its realtime feed): it
//! has no endpoint of its own. [`routes`] serves `index.html` on every page address of
//! the console (so a reload or a link from an e-mail lands on the right screen) and the
//! scripts and styles under `/assets/`. Mount it beside the API router:
//!
//! ```no_run
//! # fn build(state: ticket_http::AppState) -> axum::Router {
//! ticket_http::router(state).merge(ticket_http::console::routes())
//! # }
//! ```
//!
//! Unknown paths are not the console's: they keep the API's 404 problem document.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The content security policy of the console: scripts, styles and connections only to
/// this origin, no inline script, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

const INDEX: &str = include_str!("../console/index.html");

/// Declares the embedded assets: `(file name under console/assets/, media type)`.
macro_rules! assets {
    ($($name:literal => $media:expr),* $(,)?) => {
        &[$(($name, include_str!(concat!("../console/assets/", $name)), $media)),*]
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every asset: name, content, media type.
const ASSETS: &[(&str, &str, &str)] = assets![
    "app.css" => "text/css; charset=utf-8",
    "app.js" => JS,
    "api.js" => JS,
    "feed.js" => JS,
    "ui.js" => JS,
    "charts.js" => JS,
    "auth.js" => JS,
    "portal.js" => JS,
    "queue.js" => JS,
    "ticket.js" => JS,
    "admin.js" => JS,
    "dashboard.js" => JS,
    "favicon.svg" => "image/svg+xml",
];

/// The page addresses of the console (each serves `index.html`; the script picks the
/// screen from the address).
pub const PAGES: &[&str] = &[
    "/",
    "/login",
    "/signup",
    "/verify-email",
    "/forgot-password",
    "/reset-password",
    "/profile",
    "/my",
    "/my/new",
    "/my/tickets/{id}",
    "/queue",
    "/tickets/{id}",
    "/notifications",
    "/dashboard",
    "/admin",
    "/admin/{section}",
];

/// The console's routes: its pages and `/assets/{name}`. Stateless, so it merges into
/// any router.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let mut router = Router::new().route("/assets/{name}", get(asset));
    for page in PAGES {
        router = router.route(page, get(index));
    }
    router
}

fn headers(mut res: Response, media: &'static str) -> Response {
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

async fn index() -> Response {
    headers(INDEX.into_response(), "text/html; charset=utf-8")
}

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, body, media)) => headers(body.into_response(), media),
        None => {
            crate::Problem::new(StatusCode::NOT_FOUND, "not_found", "no such asset").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_the_scripts_import_is_served() {
        for (name, body, _) in ASSETS {
            for line in body.lines() {
                let Some(rest) = line.split(" from \"./").nth(1) else {
                    continue;
                };
                let Some(target) = rest.split('"').next() else {
                    continue;
                };
                assert!(
                    ASSETS.iter().any(|(n, _, _)| *n == target),
                    "{name} imports {target}, which is not served"
                );
            }
        }
        assert!(INDEX.contains("/assets/app.js"));
    }
}
