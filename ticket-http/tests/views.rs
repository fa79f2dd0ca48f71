//! Saved views (`/me/views`) over real HTTP: kept with the account, replaced whole, and
//! checked field by field.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::start;
use reqwest::{Method, StatusCode};
use serde_json::json;
use ticket_core::account::Role;

#[tokio::test]
async fn saved_views_are_kept_with_the_account() {
    let s = start().await;
    let (_, agent) = s.user("vera", Role::Agent).await;
    let empty = s.get("/api/v1/me/views", &agent).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
    assert_eq!(empty.body, json!({"views": []}));

    let views = json!({"views": [
        {"name": "Mine", "query": "?assignee=me&status_category=new,open"},
        {"name": "Urgent", "query": "priority=high,critical"}
    ]});
    let put = s
        .req(Method::PUT, "/api/v1/me/views", Some(&agent), Some(views))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(
        put.body["views"][0]["query"],
        "assignee=me&status_category=new,open"
    );

    // A second session (another device) reads the same views.
    let again = s.token("vera").await;
    let read = s.get("/api/v1/me/views", &again).await;
    assert_eq!(read.body, put.body);

    // Bad input is refused whole, with the field of each mistake; nothing is lost.
    let bad = s
        .req(
            Method::PUT,
            "/api/v1/me/views",
            Some(&agent),
            Some(json!({"views": [{"name": "", "query": "a=1"}, {"name": "x\ny", "query": ""}]})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["views[0].name", "views[1].name"]);
    let twins = json!({"views": [{"name": "Mine", "query": ""}, {"name": "MINE", "query": ""}]});
    let r = s
        .req(Method::PUT, "/api/v1/me/views", Some(&agent), Some(twins))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let many: Vec<_> = (0..21)
        .map(|i| json!({"name": format!("v{i}"), "query": ""}))
        .collect();
    let r = s
        .req(
            Method::PUT,
            "/api/v1/me/views",
            Some(&agent),
            Some(json!({"views": many})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(s.get("/api/v1/me/views", &agent).await.body, put.body);

    // Clearing is an empty list; anonymous callers are refused.
    let cleared = s
        .req(
            Method::PUT,
            "/api/v1/me/views",
            Some(&agent),
            Some(json!({"views": []})),
        )
        .await;
    assert_eq!(cleared.body, json!({"views": []}));
    let anon = s.req(Method::GET, "/api/v1/me/views", None, None).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
}
