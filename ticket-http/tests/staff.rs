//! The staff side over real HTTP: users, teams, SLA, rules, FAQ, distribution,
//! notifications, deliveries and statistics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use async_trait::async_trait;
use common::{desk_config, http_config, start_custom, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;
use ticket_core::account::Role;
use ticket_core::notify::{OutboxEntry, RetryPolicy};
use ticket_core::ports::{EndpointStore as _, Notifier};
use ticket_core::HelpDeskConfig;

/// A notifier that always fails, so deliveries die at once.
struct Broken;

#[async_trait]
impl Notifier for Broken {
    async fn deliver(&self, _: &OutboxEntry) -> ticket_core::Result<()> {
        Err(ticket_core::Error::Notify("unreachable".into()))
    }
}

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().unwrap()
}

#[tokio::test]
async fn staff_journey() {
    let config = HelpDeskConfig {
        retry: RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
        ..desk_config()
    };
    let s = start_custom(http_config(), config, Some(Arc::new(Broken))).await;
    let (_, root) = s.user("root", Role::SuperAdmin).await;
    let (_, admin) = s.user("adam", Role::Admin).await;
    let (cust_id, cust) = s.user("cleo", Role::Customer).await;

    // Users: create staff, list, filter, change, availability.
    let r = s
        .post("/api/v1/users", &admin, json!({"email": "ag1@example.com", "username": "ag1", "name": "Agent One", "password": PASSWORD, "role": "agent"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let ag1 = r.body["id"].as_str().unwrap().to_string();
    let r = s
        .post("/api/v1/users", &admin, json!({"email": "ad2@example.com", "username": "ad2", "name": "Admin Two", "password": PASSWORD, "role": "admin"}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "admins are made by super-admins"
    );
    let r = s
        .post("/api/v1/users", &root, json!({"email": "ad2@example.com", "username": "ad2", "name": "Admin Two", "password": PASSWORD, "role": "admin"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = s
        .post("/api/v1/users", &root, json!({"email": "AD2@example.com", "username": "other", "name": "Dup", "password": PASSWORD, "role": "agent"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "already_exists");
    let r = s.get("/api/v1/users?role=agent", &admin).await;
    assert_eq!(items(&r.body).len(), 1);
    let r = s.get("/api/v1/users?q=cleo", &admin).await;
    assert_eq!(items(&r.body)[0]["id"], cust_id.as_str());
    let r = s.get("/api/v1/users?limit=2", &admin).await;
    assert_eq!(items(&r.body).len(), 2);
    assert!(r.body["next_cursor"].is_string());
    let r = s
        .req(
            Method::PATCH,
            &format!("/api/v1/users/{ag1}"),
            Some(&admin),
            Some(json!({"skills": ["vpn", "linux"], "capacity": 5})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["agent"]["skills"], json!(["linux", "vpn"]));
    let ag1_token = s.token("ag1").await;
    let r = s
        .req(
            Method::PUT,
            &format!("/api/v1/users/{ag1}/availability"),
            Some(&ag1_token),
            Some(json!({"availability": "online"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["agent"]["availability"], "online");
    let r = s
        .req(
            Method::PUT,
            &format!("/api/v1/users/{cust_id}/availability"),
            Some(&admin),
            Some(json!({"availability": "online"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Teams with members (membership is on the agents' profiles).
    let r = s
        .post("/api/v1/teams", &admin, json!({"name": "Network", "description": "VPN and Wi-Fi",
            "webhook_url": "https://hooks.example.com/net", "webhook_secret": "s3cret", "member_ids": [ag1]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let team = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["member_ids"], json!([ag1]));
    assert_eq!(r.body["has_webhook_secret"], true);
    assert!(!r.text.contains("s3cret"));
    let r = s.get(&format!("/api/v1/users/{ag1}"), &admin).await;
    assert_eq!(r.body["agent"]["team_ids"], json!([team]));
    let r = s
        .post(
            "/api/v1/teams",
            &admin,
            json!({"name": "Bad", "member_ids": [cust_id]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "member_ids[0]");
    let r = s
        .post("/api/v1/teams", &admin, json!({"name": "Billing"}))
        .await;
    let team2 = r.body["id"].as_str().unwrap().to_string();
    let r = s
        .req(
            Method::PATCH,
            &format!("/api/v1/teams/{team2}"),
            Some(&admin),
            Some(json!({"member_ids": [ag1], "webhook_url": null})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = s.get("/api/v1/teams", &ag1_token).await;
    assert_eq!(items(&r.body).len(), 2);
    let r = s.get(&format!("/api/v1/users?team={team2}"), &admin).await;
    assert_eq!(items(&r.body).len(), 1);
    let r = s
        .req(
            Method::DELETE,
            &format!("/api/v1/teams/{team2}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = s.get(&format!("/api/v1/users/{ag1}"), &admin).await;
    assert_eq!(r.body["agent"]["team_ids"], json!([team]));

    // SLA: a calendar and a policy; new tickets get deadlines.
    let r = s
        .post("/api/v1/sla/calendars", &admin, json!({"name": "Office", "timezone": "Europe/Berlin",
            "week": {"mon": [{"start_minute": 540, "end_minute": 1020}]}, "holidays": ["2030-12-25"]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let cal = r.body["id"].as_str().unwrap().to_string();
    let r = s
        .post("/api/v1/sla/calendars", &admin, json!({"name": "Nowhere", "timezone": "Mars/Olympus", "week": {"mon": [{"start_minute": 0, "end_minute": 60}]}}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = s
        .req(Method::PUT, &format!("/api/v1/sla/calendars/{cal}"), Some(&admin), Some(json!({"name": "Office hours", "timezone": "Europe/Berlin", "week": {"tue": [{"start_minute": 540, "end_minute": 1020}]}})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["name"], "Office hours");
    let r = s
        .post(
            "/api/v1/sla/policies",
            &admin,
            json!({"name": "High", "condition": {"priorities": ["high", "critical"]},
            "targets": {"first_response_minutes": 60, "resolution_minutes": 480}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let policy = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["warn_at_percent"], 80);
    let r = s
        .post(
            "/api/v1/sla/policies",
            &admin,
            json!({"name": "None", "targets": {}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = s.get("/api/v1/sla/policies", &ag1_token).await;
    assert_eq!(items(&r.body).len(), 1);
    let r = s
        .get(&format!("/api/v1/sla/policies/{policy}"), &ag1_token)
        .await;
    assert_eq!(r.body["targets"]["first_response_minutes"], 60);
    let r = s
        .post("/api/v1/tickets", &cust, json!({"title": "VPN down", "description": "urgent", "priority": "high", "tags": ["vpn"]}))
        .await;
    let t1 = r.body["id"].as_str().unwrap().to_string();
    assert!(
        r.body["sla"]["first_response_due"].is_string(),
        "{}",
        r.text
    );
    let r = s.get(&format!("/api/v1/tickets/{t1}/sla"), &cust).await;
    assert_eq!(r.body["sla"]["policy_id"], policy.as_str());
    assert_eq!(r.body["sla"]["targets"].as_array().unwrap().len(), 2);

    // Rules: create, read, replace, preview, delete.
    let rule = json!({"name": "VPN to network", "triggers": ["ticket_created"],
        "condition": {"type": "all", "all": [{"type": "has_tag", "tag": "vpn"}, {"type": "not", "not": {"type": "unassigned"}}, {"type": "custom_field_equals", "key": "office", "value": "Berlin"}]},
        "actions": [{"type": "set_team", "team_id": team}, {"type": "add_tags", "tags": ["routed"]}]});
    let r = s.post("/api/v1/rules", &admin, rule.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let rule_id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["condition"]["all"][1]["not"]["type"], "unassigned");
    let mut simpler = rule.clone();
    simpler["condition"] = json!({"type": "has_tag", "tag": "vpn"});
    let r = s
        .req(
            Method::PUT,
            &format!("/api/v1/rules/{rule_id}"),
            Some(&admin),
            Some(simpler),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = s
        .post(
            &format!("/api/v1/rules/{rule_id}/preview"),
            &admin,
            json!({"ticket_id": t1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["matched"], true);
    assert_eq!(r.body["ticket"]["team_id"], team.as_str());
    let r = s.get(&format!("/api/v1/tickets/{t1}"), &admin).await;
    assert!(r.body["team_id"].is_null(), "a preview stores nothing");
    let r = s
        .post(
            "/api/v1/rules",
            &admin,
            json!({"name": "x", "triggers": [], "condition": {"type": "always"}, "actions": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = s.post("/api/v1/rules", &admin, json!({"name": "x", "triggers": ["ticket_created"], "condition": {"type": "has_tag", "tag": "BAD TAG!"}, "actions": [{"type": "set_priority", "priority": "low"}]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = s
        .req(
            Method::DELETE,
            &format!("/api/v1/rules/{rule_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    // FAQ.
    let r = s
        .post(
            "/api/v1/faqs",
            &admin,
            json!({"question": "How do I reset my VPN?", "answer": "Reinstall the profile."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let faq = r.body["id"].as_str().unwrap().to_string();
    let r = s.get("/api/v1/faqs", &cust).await;
    assert_eq!(items(&r.body).len(), 1);
    let r = s
        .req(
            Method::PUT,
            &format!("/api/v1/faqs/{faq}"),
            Some(&admin),
            Some(json!({"question": "VPN reset?", "answer": "Reinstall."})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = s
        .req(
            Method::DELETE,
            &format!("/api/v1/faqs/{faq}"),
            Some(&cust),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Distribute and notify.
    let r = s
        .post(
            "/api/v1/tickets/distribute",
            &admin,
            json!({"ticket_ids": [t1], "team_id": team}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(items(&r.body)[0]["team_id"], team.as_str());
    let r = s
        .post(
            &format!("/api/v1/tickets/{t1}/notify"),
            &ag1_token,
            json!({"webhook_url": "https://partner.example.com/hook", "message": "FYI"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let r = s
        .post(
            &format!("/api/v1/tickets/{t1}/notify"),
            &ag1_token,
            json!({"team_id": team, "user_id": ag1, "message": "two"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = s
        .post(
            &format!("/api/v1/tickets/{t1}/notify"),
            &cust,
            json!({"team_id": team, "message": "hi"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The distribution reached the team member in-app.
    let r = s.get("/api/v1/notifications?unread=true", &ag1_token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let notes = items(&r.body).clone();
    assert!(
        notes.iter().any(|n| n["kind"] == "distributed"),
        "{notes:?}"
    );
    let r = s
        .get("/api/v1/notifications/unread-count", &ag1_token)
        .await;
    assert_eq!(r.body["count"].as_u64().unwrap(), notes.len() as u64);
    let first = notes[0]["id"].as_str().unwrap();
    let r = s
        .post(
            &format!("/api/v1/notifications/{first}/read"),
            &ag1_token,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = s
        .post("/api/v1/notifications/read-all", &ag1_token, json!({}))
        .await;
    assert_eq!(r.body["count"].as_u64().unwrap(), notes.len() as u64 - 1);
    let r = s
        .post(
            &format!("/api/v1/notifications/{first}/read"),
            &cust,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Deliveries: the webhook calls die with the broken notifier; an admin retries one.
    s.desk.relay_outbox(100).await.unwrap();
    let r = s.get("/api/v1/deliveries?status=dead", &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let dead = items(&r.body).clone();
    assert!(
        dead.iter()
            .any(|d| d["channel"]["url"] == "https://partner.example.com/hook"),
        "{dead:?}"
    );
    assert!(!r.text.contains("s3cret"));
    assert!(dead.iter().all(|d| d["channel"].get("body").is_none()));
    let id = dead[0]["id"].as_str().unwrap();
    let r = s
        .post(&format!("/api/v1/deliveries/{id}/retry"), &admin, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "pending");
    let r = s
        .post(&format!("/api/v1/deliveries/{id}/retry"), &admin, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = s.get("/api/v1/deliveries", &ag1_token).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Webhook endpoints: the failed calls started the partner endpoint's failure clock;
    // once disabled, an admin enables it again.
    let hook = "https://partner.example.com/hook";
    let endpoint = |body: &Value| {
        items(body)
            .iter()
            .find(|e| e["url"] == hook)
            .cloned()
            .unwrap_or_else(|| panic!("{body}"))
    };
    let r = s.get("/api/v1/webhook-endpoints", &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let e = endpoint(&r.body);
    assert_eq!(e["enabled"], true);
    assert!(
        e["failing_since"].is_string() && e["last_error"].is_string(),
        "{e}"
    );
    assert!(e["last_success_at"].is_null());
    s.store
        .disable_endpoint(
            ticket_core::TenantId::DEFAULT,
            hook,
            s.desk.now(),
            "it answered 410 Gone",
        )
        .await
        .unwrap();
    let r = s.get("/api/v1/webhook-endpoints?limit=100", &admin).await;
    let e = endpoint(&r.body);
    assert_eq!(e["enabled"], false);
    assert_eq!(e["disabled_reason"], "it answered 410 Gone");
    let id = e["id"].as_str().unwrap();
    let r = s
        .post(
            &format!("/api/v1/webhook-endpoints/{id}/enable"),
            &ag1_token,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = s
        .post(
            &format!("/api/v1/webhook-endpoints/{id}/enable"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["enabled"], true);
    assert!(r.body["disabled_reason"].is_null() && r.body["failing_since"].is_null());
    let r = s
        .post(
            &format!("/api/v1/webhook-endpoints/{}/enable", uuid::Uuid::now_v7()),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert!(r.is_problem());
    let r = s.get("/api/v1/webhook-endpoints?cursor=junk", &admin).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    // Statistics.
    let r = s
        .get(&format!("/api/v1/stats?team_id={team}"), &ag1_token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["by_priority"]["high"], 1);
    let r = s
        .get(
            "/api/v1/stats?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z",
            &admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = s.get("/api/v1/stats", &cust).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Delete users: deleted accounts are gone.
    let r = s
        .req(
            Method::DELETE,
            &format!("/api/v1/users/{ag1}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = s.get(&format!("/api/v1/users/{ag1}"), &admin).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = s.get("/api/v1/me", &ag1_token).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "a deleted user's token stops working"
    );
    let r = s.req(Method::DELETE, "/api/v1/me", Some(&cust), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "cleo", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    s.stop().await;
}

#[tokio::test]
async fn me_and_passwords() {
    let s = common::start().await;
    let (_, t) = s.user("dora", Role::Customer).await;
    let r = s
        .req(
            Method::PATCH,
            "/api/v1/me",
            Some(&t),
            Some(json!({"name": "Dora D."})),
        )
        .await;
    assert_eq!(r.body["name"], "Dora D.");
    let r = s.req(Method::PUT, "/api/v1/me/password", Some(&t), Some(json!({"current_password": "wrong password!", "new_password": "another fine password"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = s
        .req(
            Method::PUT,
            "/api/v1/me/password",
            Some(&t),
            Some(json!({"current_password": PASSWORD, "new_password": "another fine password"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "dora", "password": "another fine password"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // Forgot / reset: 202 whether or not the address exists.
    for email in ["dora@example.com", "nobody@example.com"] {
        let r = s
            .req(
                Method::POST,
                "/api/v1/auth/forgot-password",
                None,
                Some(json!({"email": email})),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
    }
    let token = s.mailed_token("dora@example.com").await;
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/reset-password",
            None,
            Some(json!({"token": token, "password": "a third fine password"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/reset-password",
            None,
            Some(json!({"token": token, "password": "a fourth fine password"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = s
        .req(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "dora@example.com", "password": "a third fine password"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = s
        .req(
            Method::POST,
            "/api/v1/me/email-verification",
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    s.stop().await;
}
