//! `/workload/forecast` and `/workload/staffing` over real HTTP, on five weeks of
//! synthetic history stored in the server's store: the shape of the answers, the scopes,
//! the Erlang C figures, the SLA default of the answer time, and who may ask.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Duration;
use common::{start, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use ticket_core::account::Role;
use ticket_core::forecast::erlang::erlang_c_agents;
use ticket_core::forecast::{floor_hour, synthetic, ServiceTarget};
use ticket_core::id::UserId;
use ticket_core::ports::TicketStore as _;
use ticket_core::testkit::fixtures;
use ticket_core::ticket::Ticket;
use ticket_core::TenantId;

/// Stores five weeks of synthetic tickets ending at the current hour, alternately
/// billing and technical, each answered ten minutes after its assignment at creation.
/// Returns how many.
async fn seed_history(s: &TestServer, requester: UserId) -> usize {
    let now = floor_hour(s.desk.now());
    let history = synthetic::series(11, 5, None);
    let start = now - Duration::hours(history.len() as i64);
    let mut stored = 0;
    for (i, &n) in history.values().iter().enumerate() {
        for k in 0..n as i64 {
            let at = start + Duration::hours(i as i64) + Duration::seconds(k * 37 % 3600);
            let category = if k % 2 == 0 { "billing" } else { "technical" };
            let ticket = Ticket {
                category: fixtures::category(category),
                assigned_at: Some(fixtures::micros(at)),
                first_response_at: Some(fixtures::micros(at + Duration::minutes(10))),
                ..fixtures::ticket_at(TenantId::DEFAULT, requester, at)
            };
            s.store.save(&fixtures::create(ticket)).await.unwrap();
            stored += 1;
        }
    }
    stored
}

fn total(points: &Value) -> f64 {
    points
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["tickets"].as_f64().unwrap())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forecast_and_staffing_from_the_desks_history() {
    let s = start().await;
    let (customer_id, customer) = s.user("cleo", Role::Customer).await;
    let (_, agent) = s.user("ava", Role::Agent).await;
    let (_, admin) = s.user("adam", Role::Admin).await;

    // No history yet: a clear 422 on `history`.
    let r = s.get("/api/v1/workload/forecast", &agent).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.code(), "invalid_input");
    assert_eq!(r.body["errors"][0]["field"], "history", "{}", r.text);

    let requester = UserId::from_uuid(customer_id.parse().unwrap());
    assert!(seed_history(&s, requester).await > 2000);

    // Customers may not; anonymous callers are not authenticated.
    let r = s.get("/api/v1/workload/forecast", &customer).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = s
        .req(
            reqwest::Method::GET,
            "/api/v1/workload/forecast",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Two days ahead, per hour, from the current hour on.
    let r = s.get("/api/v1/workload/forecast?days=2", &agent).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let f = &r.body;
    let points = f["points"].as_array().unwrap();
    assert_eq!(points.len(), 48);
    assert_eq!(points[0]["hour"], f["history_to"]);
    let now = floor_hour(s.desk.now());
    assert_eq!(f["history_to"], json!(now));
    // five weeks: three weekly folds; Holt–Winters needs three weeks before the first
    assert_eq!(f["folds"], 3);
    let models: Vec<&str> = f["scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["model"].as_str().unwrap())
        .collect();
    assert_eq!(models, ["seasonal_naive", "hour_of_week"]);
    assert!(f["mase"].as_f64().unwrap() <= f["baseline_mase"].as_f64().unwrap());
    assert!(f["mase"].as_f64().unwrap() < 1.0, "{}", f);
    // the synthetic desk gets about 430 tickets on two ordinary days; the forecast is
    // in that range whatever the weekday
    let all = total(&f["points"]);
    assert!((150.0..1000.0).contains(&all), "{all}");

    // A category has about half the volume.
    let r = s
        .get("/api/v1/workload/forecast?days=2&category=billing", &agent)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["category"], "billing");
    let billing = total(&r.body["points"]);
    assert!(
        (0.35 * all..0.65 * all).contains(&billing),
        "{billing} of {all}"
    );

    // Out of range.
    for bad in [
        "days=0",
        "days=15",
        "history_weeks=2",
        "history_weeks=27",
        "category=%20",
    ] {
        let r = s
            .get(&format!("/api/v1/workload/forecast?{bad}"), &agent)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
    }

    // Staffing without an answer time and without SLA policies: 422 on within_secs.
    let r = s.get("/api/v1/workload/staffing?days=1", &admin).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "within_secs");

    // With a policy, its first-response target is the answer time.
    let r = s
        .post(
            "/api/v1/sla/policies",
            &admin,
            json!({"name": "All", "targets": {"first_response_minutes": 30}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = s.get("/api/v1/workload/staffing?days=1", &agent).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let plan = &r.body;
    assert_eq!(plan["within_secs"], 1800.0);
    assert_eq!(plan["target"], 0.8);
    assert_eq!(plan["method"], "erlang_c");
    assert_eq!(plan["handle_source"], "measured");
    let handle = plan["handle_secs"].as_f64().unwrap();
    assert!((handle - 600.0).abs() < 1e-3, "{handle}");
    assert!(plan["measured_tickets"].as_u64().unwrap() > 2000);
    let intervals = plan["intervals"].as_array().unwrap();
    assert_eq!(intervals.len(), 24);
    let target = ServiceTarget::new(0.8, 1800.0).unwrap();
    let mut busiest = 0;
    for i in intervals {
        let load = i["load"].as_f64().unwrap();
        let tickets = i["tickets"].as_f64().unwrap();
        assert!((load - tickets * 600.0 / 3600.0).abs() < 1e-9);
        let required = i["required"].as_u64().unwrap();
        assert_eq!(
            required,
            u64::from(erlang_c_agents(load, 600.0, target).unwrap())
        );
        if required > 0 {
            assert!(i["service_level"].as_f64().unwrap() >= 0.8);
        }
        // not wired to schedules yet
        assert!(i["scheduled"].is_null() && i["gap"].is_null());
        busiest = busiest.max(required);
    }
    assert!(busiest >= 2, "office hours need agents: {plan}");

    // A given handle time and the square-root rule.
    let r = s
        .get(
            "/api/v1/workload/staffing?days=1&handle_secs=1200&within_secs=3600&target=0.9&method=square_root",
            &admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["handle_source"], "given");
    assert_eq!(r.body["handle_secs"], 1200.0);
    assert_eq!(r.body["method"], "square_root");
    assert!((r.body["measured_handle_secs"].as_f64().unwrap() - 600.0).abs() < 1e-3);

    for bad in [
        "target=1",
        "target=0",
        "handle_secs=0",
        "within_secs=-1",
        "handle_secs=1e12",
    ] {
        let r = s
            .get(&format!("/api/v1/workload/staffing?days=1&{bad}"), &agent)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
    }
    let r = s.get("/api/v1/workload/staffing", &customer).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
