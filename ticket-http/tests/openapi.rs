//! The OpenAPI document: complete (every route of the issue), accurate security
//! declarations, resolvable references, and served as generated. Response bodies are
//! checked against it by every other test (`common::spec`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Every operation the API offers: (method, path, public).
const OPERATIONS: &[(&str, &str, bool)] = &[
    ("post", "/api/v1/auth/register", true),
    ("post", "/api/v1/auth/login", true),
    ("post", "/api/v1/auth/refresh", true),
    ("post", "/api/v1/auth/logout", true),
    ("post", "/api/v1/auth/verify-email", true),
    ("post", "/api/v1/auth/forgot-password", true),
    ("post", "/api/v1/auth/reset-password", true),
    ("get", "/api/v1/me", false),
    ("patch", "/api/v1/me", false),
    ("delete", "/api/v1/me", false),
    ("put", "/api/v1/me/password", false),
    ("post", "/api/v1/me/email-verification", false),
    ("get", "/api/v1/me/views", false),
    ("put", "/api/v1/me/views", false),
    ("get", "/api/v1/users", false),
    ("post", "/api/v1/users", false),
    ("get", "/api/v1/users/{id}", false),
    ("patch", "/api/v1/users/{id}", false),
    ("delete", "/api/v1/users/{id}", false),
    ("put", "/api/v1/users/{id}/availability", false),
    ("post", "/api/v1/users/{id}/shift/start", false),
    ("post", "/api/v1/users/{id}/shift/end", false),
    ("post", "/api/v1/users/{id}/break/start", false),
    ("post", "/api/v1/users/{id}/break/end", false),
    ("get", "/api/v1/users/{id}/schedule", false),
    ("put", "/api/v1/users/{id}/schedule", false),
    ("get", "/api/v1/users/{id}/shifts", false),
    ("get", "/api/v1/shifts", false),
    ("get", "/api/v1/users/{id}/adherence", false),
    ("get", "/api/v1/teams/{id}/adherence", false),
    ("get", "/api/v1/workload", false),
    ("get", "/api/v1/workload/scheduled", false),
    ("post", "/api/v1/queue/process", false),
    ("post", "/api/v1/workload/rebalance", false),
    ("get", "/api/v1/teams", false),
    ("post", "/api/v1/teams", false),
    ("get", "/api/v1/teams/{id}", false),
    ("patch", "/api/v1/teams/{id}", false),
    ("delete", "/api/v1/teams/{id}", false),
    ("post", "/api/v1/tickets", false),
    ("get", "/api/v1/tickets", false),
    ("get", "/api/v1/tickets/batch", false),
    ("post", "/api/v1/tickets/classify", false),
    ("get", "/api/v1/tickets/{id}", false),
    ("patch", "/api/v1/tickets/{id}", false),
    ("delete", "/api/v1/tickets/{id}", false),
    ("post", "/api/v1/tickets/{id}/transition", false),
    ("post", "/api/v1/tickets/{id}/assign", false),
    ("post", "/api/v1/tickets/{id}/claim", false),
    ("get", "/api/v1/tickets/{id}/comments", false),
    ("post", "/api/v1/tickets/{id}/comments", false),
    ("get", "/api/v1/tickets/{id}/history", false),
    ("get", "/api/v1/tickets/{id}/sla", false),
    ("post", "/api/v1/tickets/distribute", false),
    ("post", "/api/v1/tickets/{id}/notify", false),
    ("get", "/api/v1/tickets/{id}/presence", false),
    ("put", "/api/v1/tickets/{id}/presence", false),
    ("delete", "/api/v1/tickets/{id}/presence", false),
    ("get", "/api/v1/stats", false),
    ("get", "/api/v1/workload/forecast", false),
    ("get", "/api/v1/workload/staffing", false),
    ("get", "/api/v1/sla/policies", false),
    ("post", "/api/v1/sla/policies", false),
    ("get", "/api/v1/sla/policies/{id}", false),
    ("put", "/api/v1/sla/policies/{id}", false),
    ("delete", "/api/v1/sla/policies/{id}", false),
    ("get", "/api/v1/sla/calendars", false),
    ("post", "/api/v1/sla/calendars", false),
    ("get", "/api/v1/sla/calendars/{id}", false),
    ("put", "/api/v1/sla/calendars/{id}", false),
    ("delete", "/api/v1/sla/calendars/{id}", false),
    ("get", "/api/v1/rules", false),
    ("post", "/api/v1/rules", false),
    ("get", "/api/v1/rules/{id}", false),
    ("put", "/api/v1/rules/{id}", false),
    ("delete", "/api/v1/rules/{id}", false),
    ("post", "/api/v1/rules/{id}/preview", false),
    ("get", "/api/v1/faqs", false),
    ("post", "/api/v1/faqs", false),
    ("put", "/api/v1/faqs/{id}", false),
    ("delete", "/api/v1/faqs/{id}", false),
    ("post", "/api/v1/ai/retrain", false),
    ("post", "/api/v1/tickets/{id}/faq/confirm", false),
    ("post", "/api/v1/tickets/{id}/faq/reject", false),
    ("get", "/api/v1/notifications", false),
    ("get", "/api/v1/notifications/unread-count", false),
    ("post", "/api/v1/notifications/{id}/read", false),
    ("post", "/api/v1/notifications/read-all", false),
    ("get", "/api/v1/deliveries", false),
    ("get", "/api/v1/deliveries/{id}", false),
    ("post", "/api/v1/deliveries/{id}/retry", false),
    ("post", "/api/v1/deliveries/replay", false),
    ("get", "/api/v1/webhook-endpoints", false),
    ("post", "/api/v1/webhook-endpoints/{id}/enable", false),
    ("get", "/api/v1/events", false),
    ("get", "/api/v1/events/sse", false),
    ("get", "/healthz", true),
    ("get", "/readyz", true),
    ("get", "/metrics", true),
    ("get", "/api/openapi.json", true),
    ("get", "/api/docs", true),
    ("get", "/api/docs/app.js", true),
];

fn doc() -> Value {
    serde_json::to_value(ticket_http::openapi()).unwrap()
}

fn all_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, _) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                out.insert((method.clone(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_route_is_documented_with_the_right_security() {
    let doc = doc();
    let want: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|(m, p, _)| ((*m).to_string(), (*p).to_string()))
        .collect();
    assert_eq!(all_operations(&doc), want);
    for (method, path, public) in OPERATIONS {
        let op = &doc["paths"][path][method];
        let secured = op["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
        assert_eq!(secured, !public, "{method} {path}");
        assert!(op["operationId"].is_string(), "{method} {path}");
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{method} {path}"
        );
        assert_eq!(
            op["tags"].as_array().map(Vec::len),
            Some(1),
            "{method} {path}"
        );
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|k| k.starts_with('2'))
                || (*path == "/api/v1/events" && responses.contains_key("101")),
            "{method} {path}"
        );
        for code in ["400", "401", "403", "404", "422", "500", "503"] {
            let media = &responses[code]["content"]["application/problem+json"];
            assert!(media.is_object(), "{method} {path} {code}");
        }
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] == "path" {
                assert_eq!(p["schema"]["format"], "uuid", "{method} {path}");
                assert!(path.contains(&format!("{{{}}}", p["name"].as_str().unwrap())));
            }
        }
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"],
        json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    );
}

fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                out.push(r);
            }
            m.values().for_each(|v| refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves_and_every_body_is_described() {
    let doc = doc();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() > 100);
    for r in found {
        let name = r.strip_prefix("#/components/schemas/").expect(r);
        assert!(doc["components"]["schemas"].get(name).is_some(), "{r}");
    }
    for (method, path) in all_operations(&doc) {
        let op = &doc["paths"][&path][&method];
        if let Some(body) = op.get("requestBody") {
            assert!(
                body["content"]["application/json"]["schema"].is_object(),
                "{method} {path}"
            );
        }
    }
    // Request bodies that have required fields declare them.
    let register = &doc["components"]["schemas"]["RegisterBody"];
    assert_eq!(
        register["required"],
        json!(["email", "username", "name", "password"])
    );
}

#[test]
fn the_response_validator_refuses_what_the_schema_does_not_allow() {
    let ticket = json!({"$ref": "#/components/schemas/Ticket"});
    let mut t = json!({
        "id": "0190e0a0-0000-7000-8000-000000000000", "title": "t", "description": "",
        "status": "new", "status_category": "new", "priority": "low", "category": "general",
        "tags": [], "custom_fields": {}, "requester_id": "0190e0a0-0000-7000-8000-000000000001",
        "assignee_id": null, "team_id": null, "classification": null, "sla": null, "version": 1,
        "created_at": "2030-01-01T00:00:00Z", "updated_at": "2030-01-01T00:00:00Z",
        "assigned_at": null, "first_response_at": null, "resolved_at": null, "closed_at": null
    });
    common::spec::validate(&ticket, &t, "$").unwrap();
    t["priority"] = json!("urgent");
    assert!(common::spec::validate(&ticket, &t, "$").is_err());
    t["priority"] = json!("low");
    t["id"] = json!("nope");
    assert!(common::spec::validate(&ticket, &t, "$").is_err());
    t.as_object_mut().unwrap().remove("id");
    assert!(common::spec::validate(&ticket, &t, "$").is_err());
}

#[tokio::test]
async fn served_document_and_offline_docs_page() {
    let s = common::start().await;
    let r = s.req(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, doc());
    let page = s.req(Method::GET, "/api/docs", None, None).await;
    let script = s.req(Method::GET, "/api/docs/app.js", None, None).await;
    assert!(page.text.contains("<script src=\"docs/app.js\"></script>"));
    assert!(script.text.contains("fetch(\"openapi.json\")"));
    for text in [&page.text, &script.text] {
        // Nothing is loaded from elsewhere: the page works offline.
        assert!(!text.contains("http://") && !text.contains("https://") && !text.contains("//cdn"));
    }
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"));
    s.stop().await;
}
