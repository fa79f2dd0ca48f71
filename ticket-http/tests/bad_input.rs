//! Malformed and invalid input on every route: always a 4xx `application/problem+json`
//! answer (checked against the OpenAPI document), never a 5xx.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{start, Res, TestServer};
use reqwest::Method;
use serde_json::{json, Value};
use ticket_core::account::Role;

fn doc() -> Value {
    serde_json::to_value(ticket_http::openapi()).unwrap()
}

fn resolve<'a>(doc: &'a Value, s: &'a Value) -> &'a Value {
    match s.get("$ref").and_then(Value::as_str) {
        Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap()],
        None => s,
    }
}

/// A value of the wrong type for a schema.
fn wrong(doc: &Value, schema: &Value) -> Value {
    let s = resolve(doc, schema);
    if s.get("enum").is_some() || s.get("oneOf").is_some() {
        return json!("certainly-not-a-valid-variant");
    }
    let t = match &s["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts
            .iter()
            .find(|t| *t != "null")
            .and_then(Value::as_str)
            .unwrap_or("object")
            .to_string(),
        _ => "object".into(),
    };
    match (t.as_str(), s["format"].as_str()) {
        ("string", Some("uuid" | "date" | "date-time")) => json!("not-a-valid-value"),
        ("string", _) => json!(12345),
        ("integer" | "number", _) => json!("twelve"),
        ("boolean", _) => json!("maybe"),
        ("array", _) => json!({"not": "an array"}),
        _ => json!([1, 2, 3]),
    }
}

fn assert_4xx(r: &Res, what: &str) {
    assert!(
        r.status.is_client_error(),
        "{what}: {} {}",
        r.status,
        r.text
    );
    assert!(r.is_problem(), "{what}: not a problem document: {}", r.text);
}

fn concrete(path: &str, id: &str) -> String {
    path.replace("{id}", id)
}

async fn send(
    s: &TestServer,
    method: &str,
    path: &str,
    token: &str,
    ct: Option<&str>,
    body: Option<&str>,
) -> Res {
    let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    s.raw(m, path, Some(token), ct, body).await
}

#[tokio::test]
async fn every_route_answers_malformed_input_with_a_problem() {
    let s = start().await;
    let (_, root) = s.user("root", Role::SuperAdmin).await;
    let doc = doc();
    let some_id = uuid::Uuid::now_v7().to_string();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let here = format!("{method} {path}");
            // A path id that is not a UUID.
            if path.contains("{id}") {
                let r = send(&s, method, &concrete(path, "not-a-uuid"), &root, None, None).await;
                assert_eq!(r.status, 400, "{here}: {}", r.text);
                assert_4xx(&r, &here);
                checked += 1;
            }
            let url = concrete(path, &some_id);
            // Malformed query parameters.
            for p in op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
            {
                let name = p["name"].as_str().unwrap();
                let schema = resolve(&doc, &p["schema"]);
                let bad: Vec<String> = match (schema["type"].as_str(), schema["format"].as_str()) {
                    (Some("integer"), _) => vec![
                        "x".into(),
                        "-1".into(),
                        "0".into(),
                        "101".into(),
                        "99999999999".into(),
                    ],
                    (Some("boolean"), _) => vec!["maybe".into()],
                    (Some("string"), Some("uuid" | "date-time")) => vec!["not-valid".into()],
                    _ if schema.get("enum").is_some() => vec!["no_such_value".into()],
                    _ => continue,
                };
                for v in bad {
                    let r = send(&s, method, &format!("{url}?{name}={v}"), &root, None, None).await;
                    assert_4xx(&r, &format!("{here}?{name}={v}"));
                    checked += 1;
                }
            }
            // Malformed bodies.
            let Some(body) = op.get("requestBody") else {
                continue;
            };
            let schema = resolve(&doc, &body["content"]["application/json"]["schema"]);
            for (ct, raw) in [
                (Some("application/json"), "{"),
                (Some("application/json"), "[1, 2]"),
                (Some("application/json"), "null"),
                (Some("application/json"), "\"text\""),
                (Some("text/plain"), "{}"),
                (None, "{}"),
            ] {
                let r = send(&s, method, &url, &root, ct, Some(raw)).await;
                assert_4xx(&r, &format!("{here} body {raw:?} as {ct:?}"));
                if ct != Some("application/json") {
                    assert_eq!(r.status, 415, "{here}");
                }
                checked += 1;
            }
            // An unknown field.
            let r = send(
                &s,
                method,
                &url,
                &root,
                Some("application/json"),
                Some(r#"{"surely_unknown_field": 1}"#),
            )
            .await;
            assert_eq!(r.status, 400, "{here}: {}", r.text);
            assert_4xx(&r, &here);
            // Each property with a value of the wrong type.
            for (prop, prop_schema) in schema["properties"].as_object().into_iter().flatten() {
                let b = json!({ prop.as_str(): wrong(&doc, prop_schema) });
                let r = send(
                    &s,
                    method,
                    &url,
                    &root,
                    Some("application/json"),
                    Some(&b.to_string()),
                )
                .await;
                assert_4xx(&r, &format!("{here} {b}"));
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "{checked}");
    s.stop().await;
}

#[tokio::test]
async fn invalid_values_name_their_fields() {
    let s = start().await;
    let (_, root) = s.user("root", Role::SuperAdmin).await;
    let (cust_id, cust) = s.user("cust", Role::Customer).await;
    let t = s
        .post(
            "/api/v1/tickets",
            &cust,
            json!({"title": "ok", "description": ""}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cases: Vec<(Method, String, Value, u16, &str)> = vec![
        (
            Method::POST,
            "/api/v1/auth/register".into(),
            json!({"email": "nope", "username": "a", "name": "", "password": "short"}),
            422,
            "email",
        ),
        (
            Method::POST,
            "/api/v1/tickets".into(),
            json!({"title": "", "description": "", "tags": ["ok", "bad tag!"]}),
            422,
            "title",
        ),
        (
            Method::POST,
            "/api/v1/tickets".into(),
            json!({"title": "two\nlines", "description": ""}),
            422,
            "title",
        ),
        (
            Method::POST,
            "/api/v1/tickets".into(),
            json!({"title": "x", "description": "", "custom_fields": {"bad key!": 1}}),
            422,
            "custom_fields.bad key!",
        ),
        (
            Method::PATCH,
            format!("/api/v1/tickets/{t}"),
            json!({"title": "x".repeat(201)}),
            422,
            "title",
        ),
        (
            Method::POST,
            format!("/api/v1/tickets/{t}/transition"),
            json!({"status": "NOT A STATUS!"}),
            422,
            "status",
        ),
        (
            Method::POST,
            format!("/api/v1/tickets/{t}/assign"),
            json!({"assignee_id": cust_id}),
            422,
            "assignee_id",
        ),
        (
            Method::POST,
            format!("/api/v1/tickets/{t}/comments"),
            json!({"body": ""}),
            422,
            "body",
        ),
        (
            Method::POST,
            "/api/v1/tickets/distribute".into(),
            json!({"ticket_ids": [], "team_id": uuid::Uuid::now_v7()}),
            422,
            "ticket_ids",
        ),
        (
            Method::POST,
            format!("/api/v1/tickets/{t}/notify"),
            json!({"message": "m"}),
            422,
            "recipient",
        ),
        (
            Method::POST,
            format!("/api/v1/tickets/{t}/notify"),
            json!({"webhook_url": "ftp://x", "message": "m"}),
            422,
            "webhook_url",
        ),
        (
            Method::POST,
            "/api/v1/sla/policies".into(),
            json!({"name": "p", "targets": {"resolution_minutes": 0}}),
            422,
            "targets.resolution_minutes",
        ),
        (
            Method::POST,
            "/api/v1/sla/calendars".into(),
            json!({"name": "c", "timezone": "UTC", "week": {"mon": [{"start_minute": 600, "end_minute": 500}]}}),
            422,
            "week.mon[0]",
        ),
        (
            Method::POST,
            "/api/v1/rules".into(),
            json!({"name": "r", "triggers": [], "condition": {"type": "always"}, "actions": []}),
            422,
            "triggers",
        ),
        (
            Method::POST,
            "/api/v1/teams".into(),
            json!({"name": "t", "webhook_url": "javascript:alert(1)"}),
            422,
            "webhook_url",
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/{cust_id}"),
            json!({"capacity": 5}),
            422,
            "role",
        ),
        (
            Method::GET,
            "/api/v1/tickets?limit=1000".into(),
            Value::Null,
            422,
            "limit",
        ),
        (
            Method::GET,
            "/api/v1/tickets?cursor=garbage".into(),
            Value::Null,
            422,
            "cursor",
        ),
        (
            Method::GET,
            "/api/v1/tickets?priority=urgent".into(),
            Value::Null,
            422,
            "priority",
        ),
        (
            Method::GET,
            "/api/v1/tickets?assignee=someone".into(),
            Value::Null,
            422,
            "assignee",
        ),
        (
            Method::GET,
            "/api/v1/tickets?status_category=active".into(),
            Value::Null,
            422,
            "status_category",
        ),
        (
            Method::GET,
            "/api/v1/users?q=a%00b".into(),
            Value::Null,
            422,
            "q",
        ),
        (
            Method::GET,
            "/api/v1/tickets?q=a%00b".into(),
            Value::Null,
            422,
            "q",
        ),
        (
            Method::POST,
            "/api/v1/auth/login".into(),
            json!({"login": "a\u{0}b", "password": "x"}),
            422,
            "body",
        ),
        (
            Method::POST,
            "/api/v1/teams".into(),
            json!({"name": "t", "webhook_secret": "s\u{0}"}),
            422,
            "body",
        ),
        (
            Method::GET,
            "/api/v1/tickets/batch?ids=a,b".into(),
            Value::Null,
            422,
            "ids[0]",
        ),
        (
            Method::GET,
            "/api/v1/tickets/{t}/history?cursor=x".replace("{t}", &t),
            Value::Null,
            422,
            "cursor",
        ),
        (
            Method::GET,
            "/api/v1/stats?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z".into(),
            Value::Null,
            422,
            "to",
        ),
    ];
    for (method, path, body, status, field) in cases {
        let body = (!body.is_null()).then_some(body);
        let r = s.req(method.clone(), &path, Some(&root), body).await;
        assert_eq!(r.status.as_u16(), status, "{method} {path}: {}", r.text);
        assert!(r.is_problem());
        let fields: Vec<&str> = r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{method} {path}: {fields:?}");
    }
    s.stop().await;
}
