//! The OpenAPI 3.1 document, generated from the handlers' annotations and the DTOs'
//! schemas (utoipa), served at `/api/openapi.json`. Every route is registered through
//! `utoipa_axum`, so a route cannot exist without its documentation.

use crate::problem::{ProblemBody, PROBLEM_JSON};
use std::sync::OnceLock;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, OpenApi, RefOr};
use utoipa::{Modify, ToSchema};

/// The document's fixed parts: info, tags, the bearer security scheme.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "ticket engine",
        description = "REST and realtime API of the help-desk / ticketing engine. \
            Errors are `application/problem+json` documents with a stable `code`.",
        license(name = "MIT OR Apache-2.0")
    ),
    tags(
        (name = "auth", description = "Registration, login, tokens, password reset"),
        (name = "me", description = "The caller's account"),
        (name = "users", description = "User accounts (staff)"),
        (name = "teams", description = "Teams of agents"),
        (name = "tickets", description = "Tickets, their history and SLA state"),
        (name = "comments", description = "Public replies and internal notes"),
        (name = "stats", description = "Desk statistics"),
        (name = "workload", description = "Ticket volume forecasts and staffing"),
        (name = "sla", description = "SLA policies and business calendars"),
        (name = "rules", description = "Automation rules"),
        (name = "faqs", description = "FAQ entries"),
        (name = "ai", description = "Classifier retraining and FAQ deflection verdicts"),
        (name = "notifications", description = "In-app notifications"),
        (name = "deliveries", description = "Outbound deliveries (webhooks, e-mail)"),
        (name = "realtime", description = "WebSocket and SSE feeds of ticket events"),
        (name = "workforce", description = "Shifts, breaks, schedules, adherence, workload, queue processing and rebalancing"),
        (name = "operations", description = "Health, readiness, metrics, this document")
    ),
    components(schemas(ProblemBody)),
    modifiers(&Conventions)
)]
pub(crate) struct Base;

/// Adds what every operation shares: the bearer scheme, and the problem responses the
/// server may give to any request (malformed input, limits, failures).
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The problem responses added to every operation.
const PROBLEMS: [(&str, &str); 12] = [
    ("400", "Malformed request (`bad_request`)"),
    (
        "401",
        "Missing or bad access token, or bad credentials (`unauthenticated`)",
    ),
    ("403", "Not allowed for the caller's role (`forbidden`)"),
    (
        "404",
        "No such resource, or not visible to the caller (`not_found`)",
    ),
    ("409", "Version, uniqueness, state or workflow conflict"),
    ("413", "Body too large (`payload_too_large`)"),
    ("415", "Body is not JSON (`unsupported_media_type`)"),
    (
        "422",
        "Invalid input, with one entry per field in `errors` (`invalid_input`)",
    ),
    ("429", "Rate limited, see `Retry-After` (`rate_limited`); for the realtime feeds, too many open (`too_many_feeds`)"),
    ("500", "Unexpected error (`internal`)"),
    ("502", "A notifier or classifier failed"),
    ("503", "Store unavailable or request timed out"),
];

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                ProblemBody::name(),
            )))),
        )
        .build()
}

fn add_problems(op: &mut Operation) {
    for (status, description) in PROBLEMS {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(problem_response(description)));
    }
}

/// Every spelling of a UUID the server accepts (the `uuid` crate's parser: simple,
/// hyphenated, braced, URN), so schema-driven clients generate only accepted values.
const UUID_PATTERN: &str = concat!(
    "^([0-9a-fA-F]{32}",
    "|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    "|\\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\\}",
    "|[uU][rR][nN]:[uU][uU][iI][dD]:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
);

/// Adds [`UUID_PATTERN`] to every string schema of format `uuid`.
fn add_uuid_patterns(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            if m.get("format").and_then(|f| f.as_str()) == Some("uuid")
                && !m.contains_key("pattern")
            {
                m.insert("pattern".into(), UUID_PATTERN.into());
            }
            m.values_mut().for_each(add_uuid_patterns);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(add_uuid_patterns),
        _ => {}
    }
}

/// Request enums whose variants refuse unknown fields (`deny_unknown_fields`); utoipa
/// marks structs, not enum variants.
const CLOSED_ENUMS: [&str; 3] = ["Condition", "Action", "Recipient"];

fn close_enum_variants(v: &mut serde_json::Value) {
    for name in CLOSED_ENUMS {
        let variants = v
            .pointer_mut(&format!("/components/schemas/{name}/oneOf"))
            .and_then(serde_json::Value::as_array_mut);
        for variant in variants.into_iter().flatten() {
            if let Some(m) = variant.as_object_mut() {
                m.insert("additionalProperties".into(), false.into());
            }
        }
    }
}

/// Completes a collected document: problem responses on every operation, UUID
/// patterns, closed request enums.
pub(crate) fn finish(doc: OpenApi) -> OpenApi {
    let mut doc = with_problems(doc);
    if let Ok(mut v) = serde_json::to_value(&doc) {
        add_uuid_patterns(&mut v);
        close_enum_variants(&mut v);
        if let Ok(patched) = serde_json::from_value(v) {
            doc = patched;
        }
    }
    doc
}

fn with_problems(mut doc: OpenApi) -> OpenApi {
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        {
            add_problems(op);
        }
    }
    doc
}

static DOC: OnceLock<String> = OnceLock::new();

/// The document as JSON (built once).
pub(crate) fn json() -> &'static str {
    DOC.get_or_init(|| {
        serde_json::to_string_pretty(&crate::openapi()).unwrap_or_else(|_| "{}".to_string())
    })
}
