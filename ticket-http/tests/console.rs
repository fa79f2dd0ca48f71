//! The web console's serving (pages, assets, headers, the API's 404 kept) and the
//! presence routes it uses, over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use reqwest::{Method, StatusCode};
use serde_json::json;
use ticket_core::account::Role;

#[tokio::test]
async fn pages_serve_the_app_assets_have_their_types_and_unknown_paths_stay_problems() {
    let s = common::start().await;
    for page in [
        "/",
        "/login",
        "/verify-email?token=abc",
        "/my/tickets/6a1f0b8e-1111-4222-8333-444455556666",
        "/admin/sla",
    ] {
        let r = s.http.get(s.url(page)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{page}");
        let h = r.headers().clone();
        assert_eq!(h["content-type"], "text/html; charset=utf-8");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe"),
            "{csp}"
        );
        assert_eq!(h["x-frame-options"], "DENY");
        assert!(r.text().await.unwrap().contains("/assets/app.js"));
    }
    for (asset, media) in [
        ("app.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
    ] {
        let r = s
            .http
            .get(s.url(&format!("/assets/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{asset}");
        assert_eq!(r.headers()["content-type"], media);
    }
    for missing in [
        "/assets/nope.js",
        "/api/v1/nope",
        "/nope",
        "/my/tickets/1/2",
    ] {
        let r = s.http.get(s.url(missing)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{missing}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json"));
    }
}

#[tokio::test]
async fn staff_see_who_else_is_on_a_ticket_customers_cannot() {
    let s = common::start().await;
    let (_, customer) = s.user("cora", Role::Customer).await;
    let (ann_id, ann) = s.user("ann", Role::Agent).await;
    let (bob_id, bob) = s.user("bob", Role::Agent).await;
    let t = s
        .post(
            "/api/v1/tickets",
            &customer,
            json!({"title": "Printer on fire", "description": ""}),
        )
        .await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.text);
    let path = format!(
        "/api/v1/tickets/{}/presence",
        t.body["id"].as_str().unwrap()
    );

    let r = s
        .req(
            Method::PUT,
            &path,
            Some(&ann),
            Some(json!({"activity": "viewing"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    let r = s
        .req(
            Method::PUT,
            &path,
            Some(&bob),
            Some(json!({"activity": "replying"})),
        )
        .await;
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["user_id"], ann_id.as_str(), "earliest first");
    assert_eq!(items[1]["user_id"], bob_id.as_str());
    assert_eq!(items[1]["activity"], "replying");

    // customers get no presence, of their own ticket or otherwise
    let r = s.get(&path, &customer).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.is_problem());
    // bad input and unknown tickets are problems
    let r = s
        .req(
            Method::PUT,
            &path,
            Some(&ann),
            Some(json!({"activity": "dancing"})),
        )
        .await;
    assert!(r.status.is_client_error() && r.is_problem(), "{}", r.text);
    let r = s
        .get(
            "/api/v1/tickets/6a1f0b8e-1111-4222-8333-444455556666/presence",
            &ann,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = s.req(Method::DELETE, &path, Some(&bob), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = s.get(&path, &ann).await;
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["user_id"], ann_id.as_str());
}
