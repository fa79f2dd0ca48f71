//! Checks every response a test receives against the OpenAPI document: the status is
//! documented for the operation, the content type is one documented, and a JSON body
//! matches the schema (a validator for the JSON Schema subset utoipa emits).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::sync::OnceLock;

fn doc() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::to_value(ticket_http::openapi()).unwrap())
}

/// The documented operation for a concrete path (`/api/v1/tickets/<uuid>`), if any.
pub fn operation(method: &str, path: &str) -> Option<(&'static str, &'static Value)> {
    let path = path.split('?').next().unwrap_or_default();
    let segs: Vec<&str> = path.split('/').collect();
    let paths = doc()["paths"].as_object().unwrap();
    let mut best: Option<(&str, &Value, usize)> = None;
    for (template, item) in paths {
        let t: Vec<&str> = template.split('/').collect();
        if t.len() != segs.len() {
            continue;
        }
        let mut statics = 0;
        let fits = t.iter().zip(&segs).all(|(a, b)| {
            if a.starts_with('{') {
                true
            } else {
                statics += 1;
                a == b
            }
        });
        if fits && best.is_none_or(|(_, _, s)| statics > s) {
            best = Some((template.as_str(), item, statics));
        }
    }
    let (template, item, _) = best?;
    item.get(method.to_ascii_lowercase())
        .map(|op| (template, op))
}

/// Panics unless the response conforms to the document.
pub fn check_response(
    method: &str,
    path: &str,
    status: u16,
    content_type: Option<&str>,
    body: &str,
) {
    let Some((template, op)) = operation(method, path) else {
        // Undocumented method/route: the server must answer with a problem (405/404).
        assert!(
            status == 404 || status == 405,
            "{method} {path}: undocumented, got {status}"
        );
        return;
    };
    let what = format!("{method} {template} → {status}");
    let response = op["responses"]
        .get(status.to_string())
        .unwrap_or_else(|| panic!("{what}: status not documented"));
    let response = resolve(response);
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        assert!(
            body.is_empty(),
            "{what}: documented without content but got a body: {body}"
        );
        return;
    };
    let ct = content_type.unwrap_or_else(|| panic!("{what}: no content type"));
    let mime = ct.split(';').next().unwrap_or_default().trim();
    let media = content.get(mime).unwrap_or_else(|| {
        panic!(
            "{what}: content type {mime} not documented ({:?})",
            content.keys()
        )
    });
    if mime.ends_with("json") {
        let value: Value =
            serde_json::from_str(body).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
        if let Some(schema) = media.get("schema") {
            if let Err(e) = validate(schema, &value, "$") {
                panic!("{what}: body does not match the schema: {e}\n{body}");
            }
        }
    }
}

fn resolve(v: &Value) -> &Value {
    let mut v = v;
    while let Some(r) = v.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap();
        v = doc()["components"]["schemas"]
            .get(name)
            .or_else(|| doc()["components"]["responses"].get(name))
            .unwrap_or_else(|| panic!("dangling $ref {r}"));
    }
    v
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => false,
    }
}

/// Validates `v` against `schema`.
pub fn validate(schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let s = resolve(schema);
    if let Some(t) = s.get("type") {
        let ok = match t {
            Value::String(t) => type_ok(t, v),
            Value::Array(ts) => ts
                .iter()
                .any(|t| type_ok(t.as_str().unwrap_or_default(), v)),
            _ => true,
        };
        if !ok {
            return Err(format!("{at}: {v} is not of type {t}"));
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            return Err(format!("{at}: {v} not in {e:?}"));
        }
    }
    if let Some(f) = s.get("format").and_then(Value::as_str) {
        if let Some(text) = v.as_str() {
            let ok = match f {
                "uuid" => uuid::Uuid::parse_str(text).is_ok(),
                "date-time" => chrono::DateTime::parse_from_rfc3339(text).is_ok(),
                "date" => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
                _ => true,
            };
            if !ok {
                return Err(format!("{at}: {text:?} is not a {f}"));
            }
        }
    }
    if let (Some(n), Some(min)) = (v.as_f64(), s.get("minimum").and_then(Value::as_f64)) {
        if n < min {
            return Err(format!("{at}: {n} < {min}"));
        }
    }
    if let (Some(n), Some(max)) = (v.as_f64(), s.get("maximum").and_then(Value::as_f64)) {
        if n > max {
            return Err(format!("{at}: {n} > {max}"));
        }
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for part in all {
            validate(part, v, at)?;
        }
    }
    if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
        let errors: Vec<String> = one
            .iter()
            .filter_map(|o| validate(o, v, at).err())
            .collect();
        let matched = one.len() - errors.len();
        if matched != 1 {
            return Err(format!(
                "{at}: {matched} of {} oneOf variants match {v}: {errors:?}",
                one.len()
            ));
        }
    }
    if let Some(obj) = v.as_object() {
        let props = s.get("properties").and_then(Value::as_object);
        for req in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = req.as_str().unwrap_or_default();
            if !obj.contains_key(name) {
                return Err(format!("{at}: required property {name} missing"));
            }
        }
        for (k, val) in obj {
            if let Some(p) = props.and_then(|p| p.get(k)) {
                validate(p, val, &format!("{at}.{k}"))?;
            } else if let Some(extra) = s.get("additionalProperties") {
                if extra == &Value::Bool(false) {
                    return Err(format!("{at}: unexpected property {k}"));
                }
                if extra.is_object() {
                    validate(extra, val, &format!("{at}.{k}"))?;
                }
            }
        }
    }
    if let (Some(items), Some(arr)) = (s.get("items"), v.as_array()) {
        for (i, item) in arr.iter().enumerate() {
            validate(items, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}
