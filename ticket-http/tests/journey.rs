//! The whole journey of a customer and the staff over real HTTP on `MemoryStore`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{start, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::json;
use ticket_core::account::Role;

#[tokio::test]
async fn customer_and_agent_journey() {
    let s = start().await;

    // Register, verify the e-mail, log in.
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"email": "ann@example.com", "username": "ann", "name": "Ann", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["role"], "customer");
    assert!(r.body.get("password_hash").is_none());
    assert!(r.body["email_verified_at"].is_null());
    let token = s.mailed_token("ann@example.com").await;
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/verify-email",
            None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["email_verified_at"].is_string());
    let again = s
        .req(
            Method::POST,
            "/api/v1/auth/verify-email",
            None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);

    let session = s.login("ann").await;
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["expires_in"], 900);
    let ann = session["access_token"].as_str().unwrap().to_string();
    let ann_refresh = session["refresh_token"].as_str().unwrap().to_string();
    let me = s.get("/api/v1/me", &ann).await;
    assert_eq!(me.body["username"], "ann");

    let (agent_id, agent) = s.user("bob", Role::Agent).await;

    // A dry run first: what raising would decide, nothing written.
    let r = s
        .post(
            "/api/v1/tickets/classify",
            &ann,
            json!({"title": "VPN drops", "description": "", "tags": ["VPN"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"category": "general", "priority": "medium", "tags": ["vpn"],
               "classification": null, "faq": null})
    );

    // Raise tickets.
    let r = s
        .post(
            "/api/v1/tickets",
            &ann,
            json!({"title": "VPN drops every hour", "description": "Since Monday the VPN disconnects.",
                   "priority": "high", "category": "technical", "tags": ["VPN", "network"],
                   "custom_fields": {"office": "Berlin"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let t1 = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["status"], "new");
    assert_eq!(r.body["tags"], json!(["network", "vpn"]));
    let r = s
        .post(
            "/api/v1/tickets",
            &ann,
            json!({"title": "Invoice is wrong", "description": "", "priority": "low", "category": "billing"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let t2 = r.body["id"].as_str().unwrap().to_string();

    // Comments and the first reply.
    let r = s
        .post(
            &format!("/api/v1/tickets/{t1}/comments"),
            &ann,
            json!({"body": "Still happening."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["internal"], false);
    let r = s
        .post(
            &format!("/api/v1/tickets/{t1}/comments"),
            &agent,
            json!({"body": "Looking.", "internal": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let customer_view = s.get(&format!("/api/v1/tickets/{t1}/comments"), &ann).await;
    assert_eq!(customer_view.body["items"].as_array().unwrap().len(), 1);
    let staff_view = s
        .get(&format!("/api/v1/tickets/{t1}/comments"), &agent)
        .await;
    assert_eq!(staff_view.body["items"].as_array().unwrap().len(), 2);
    let internal = s
        .post(
            &format!("/api/v1/tickets/{t1}/comments"),
            &ann,
            json!({"body": "x", "internal": true}),
        )
        .await;
    assert_eq!(internal.status, StatusCode::FORBIDDEN);

    // Assign, transition.
    let r = s
        .post(
            &format!("/api/v1/tickets/{t1}/assign"),
            &agent,
            json!({"assignee_id": agent_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["assignee_id"], agent_id.as_str());
    let r = s
        .post(
            &format!("/api/v1/tickets/{t1}/transition"),
            &agent,
            json!({"status": "in_progress", "comment": "On it."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "in_progress");
    let r = s
        .post(
            &format!("/api/v1/tickets/{t1}/transition"),
            &ann,
            json!({"status": "closed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "invalid_transition");
    assert!(r.is_problem());

    // Claim: t2 is free; t1 is held.
    let r = s
        .post(&format!("/api/v1/tickets/{t2}/claim"), &agent, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let (_, carol) = s.user("carol", Role::Agent).await;
    let r = s
        .post(&format!("/api/v1/tickets/{t1}/claim"), &carol, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // Optimistic concurrency.
    let r = s
        .req(
            Method::PATCH,
            &format!("/api/v1/tickets/{t2}"),
            Some(&agent),
            Some(json!({"priority": "critical", "version": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "version_conflict");
    let current = s.get(&format!("/api/v1/tickets/{t2}"), &agent).await.body["version"].clone();
    let r = s
        .req(
            Method::PATCH,
            &format!("/api/v1/tickets/{t2}"),
            Some(&agent),
            Some(json!({"priority": "critical", "tags": ["invoice"], "version": current})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["priority"], "critical");

    // Every filter.
    let ids = |r: &common::Res| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect()
    };
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("status=in_progress".into(), vec![&t1]),
        ("status=new,in_progress".into(), vec![&t2, &t1]),
        ("priority=critical".into(), vec![&t2]),
        ("status_category=open".into(), vec![&t1]),
        ("status_category=new,pending".into(), vec![&t2]),
        ("status_category=solved,closed".into(), vec![]),
        ("category=technical".into(), vec![&t1]),
        ("tag=vpn,network".into(), vec![&t1]),
        ("tag=invoice".into(), vec![&t2]),
        (format!("assignee={agent_id}"), vec![&t2, &t1]),
        ("assignee=me".into(), vec![&t2, &t1]),
        ("assignee=none".into(), vec![]),
        ("q=vpn%20hour".into(), vec![&t1]),
        ("created_after=2000-01-01T00:00:00Z".into(), vec![&t2, &t1]),
        ("created_before=2000-01-01T00:00:00Z".into(), vec![]),
        ("sort=created_asc".into(), vec![&t1, &t2]),
        ("sort=priority_desc".into(), vec![&t2, &t1]),
    ];
    for (q, want) in cases {
        let r = s.get(&format!("/api/v1/tickets?{q}"), &agent).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text);
        assert_eq!(ids(&r), want, "{q}");
    }
    let me_id = me.body["id"].as_str().unwrap();
    let r = s
        .get(&format!("/api/v1/tickets?requester={me_id}"), &agent)
        .await;
    assert_eq!(ids(&r).len(), 2);
    // Pages of one.
    let p1 = s.get("/api/v1/tickets?limit=1", &agent).await;
    let cursor = p1.body["next_cursor"].as_str().unwrap().to_string();
    let p2 = s
        .get(&format!("/api/v1/tickets?limit=1&cursor={cursor}"), &agent)
        .await;
    assert_eq!(ids(&p2), vec![t1.clone()]);
    assert!(p2.body["next_cursor"].is_null());
    // Batch.
    let r = s
        .get(&format!("/api/v1/tickets/batch?ids={t2},{t1}"), &ann)
        .await;
    assert_eq!(ids(&r), vec![t2.clone(), t1.clone()]);

    // History and SLA.
    let h = s
        .get(&format!("/api/v1/tickets/{t1}/history"), &agent)
        .await;
    let types: Vec<&str> = h.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"created")
            && types.contains(&"status_changed")
            && types.contains(&"assigned"),
        "{types:?}"
    );
    let h = s.get(&format!("/api/v1/tickets/{t1}/history"), &ann).await;
    assert!(h.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| !(e["type"] == "commented" && e["visibility"] == "internal")));
    let sla = s.get(&format!("/api/v1/tickets/{t1}/sla"), &ann).await;
    assert_eq!(sla.status, StatusCode::OK);
    assert!(sla.body["sla"].is_null());

    // Delete (admin only), refresh, logout.
    let r = s
        .req(
            Method::DELETE,
            &format!("/api/v1/tickets/{t2}"),
            Some(&agent),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let (_, admin) = s.user("root", Role::Admin).await;
    let r = s
        .req(
            Method::DELETE,
            &format!("/api/v1/tickets/{t2}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = s.get(&format!("/api/v1/tickets/{t2}"), &admin).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": ann_refresh})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let new_refresh = r.body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(new_refresh, ann_refresh);
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refresh_token": new_refresh})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": new_refresh})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.is_problem());

    s.stop().await;
}

#[tokio::test]
async fn operations_routes() {
    let s = start().await;
    let r = s.req(Method::GET, "/healthz", None, None).await;
    assert_eq!(r.body["status"], "ok");
    let r = s.req(Method::GET, "/readyz", None, None).await;
    assert_eq!(r.body["status"], "ready");
    let r = s.req(Method::GET, "/metrics", None, None).await;
    assert!(
        r.text
            .contains("http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"} 1"),
        "{}",
        r.text
    );
    let r = s.req(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(r.body["openapi"], "3.1.0");
    let r = s.req(Method::GET, "/api/docs", None, None).await;
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let r = s.req(Method::GET, "/nowhere", None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.is_problem());
    let r = s.req(Method::PUT, "/healthz", None, None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.is_problem(), "{:?} {}", r.headers, r.text);
    assert_eq!(r.code(), "method_not_allowed");
    s.stop().await;
}

#[tokio::test]
async fn history_and_comments_are_read_page_by_page() {
    let s = start().await;
    let (_, ann) = s.user("ann", Role::Customer).await;
    let (_, agent) = s.user("bob", Role::Agent).await;
    let r = s
        .post(
            "/api/v1/tickets",
            &ann,
            json!({"title": "Printer on fire", "description": "Smoke everywhere"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let t = r.body["id"].as_str().unwrap().to_string();
    for i in 0..6 {
        let r = s
            .post(
                &format!("/api/v1/tickets/{t}/comments"),
                &agent,
                json!({"body": format!("Note {i}"), "internal": i % 2 == 0}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    // Walks a paged route with `limit`, checking each page's size and shape.
    let walk = |path: String, token: String, limit: usize| {
        let s = &s;
        async move {
            let mut all = Vec::new();
            let mut cursor = String::new();
            loop {
                let r = s
                    .get(&format!("{path}?limit={limit}&cursor={cursor}"), &token)
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.text);
                let items = r.body["items"].as_array().unwrap().clone();
                assert!(items.len() <= limit, "{}", r.text);
                all.extend(items);
                match r.body["next_cursor"].as_str() {
                    Some(c) => cursor = c.to_string(),
                    None => return all,
                }
            }
        }
    };
    let history = format!("/api/v1/tickets/{t}/history");
    let staff = walk(history.clone(), agent.clone(), 2).await;
    let ids: std::collections::HashSet<_> = staff.iter().map(|e| e["id"].clone()).collect();
    assert_eq!(ids.len(), staff.len(), "no event twice");
    let commented =
        |events: &[serde_json::Value]| events.iter().filter(|e| e["type"] == "commented").count();
    assert_eq!(commented(&staff), 6);
    assert_eq!(staff[0]["type"], "created");
    let stamps: Vec<_> = staff.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    // The requester's pages skip the internal notes and still come full.
    let mine = walk(history.clone(), ann.clone(), 2).await;
    assert_eq!(commented(&mine), 3);
    assert!(mine.iter().all(|e| e["visibility"] != "internal"));
    let first = s.get(&format!("{history}?limit=2"), &ann).await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    let comments = walk(format!("/api/v1/tickets/{t}/comments"), ann.clone(), 2).await;
    assert_eq!(comments.len(), 3);
    assert_eq!(
        walk(format!("/api/v1/tickets/{t}/comments"), agent.clone(), 4)
            .await
            .len(),
        6
    );
    // The limit is bounded, like every list.
    for bad in ["0", "101"] {
        let r = s.get(&format!("{history}?limit={bad}"), &agent).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
        assert!(r.is_problem());
    }
    // Another customer sees nothing of it.
    let (_, eve) = s.user("eve", Role::Customer).await;
    let r = s.get(&history, &eve).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
}
