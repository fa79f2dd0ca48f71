//! The workforce over real HTTP: shifts and breaks set availability, the queue is
//! processed onto the agent on shift, a rebalance (dry run, then for real) moves the
//! tickets of an agent whose shift ended, history and adherence read back, schedules are
//! validated, and the workload shows it all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, Duration, Utc};
use common::start;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use ticket_core::account::Role;

fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn shifts_queue_rebalance_and_history_end_to_end() {
    let s = start().await;
    let (_, admin) = s.user("boss", Role::Admin).await;
    let (ann, ann_t) = s.user("ann", Role::Agent).await;
    let (bob, bob_t) = s.user("bob", Role::Agent).await;
    let (_, cust) = s.user("carl", Role::Customer).await;
    let mut tickets = Vec::new();
    for (i, priority) in ["low", "critical", "medium"].iter().enumerate() {
        let r = s
            .post(
                "/api/v1/tickets",
                &cust,
                json!({"title": format!("Printer {i}"), "description": "jammed", "priority": priority}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert!(r.body["assignee_id"].is_null(), "no agent is on shift yet");
        tickets.push(r.body["id"].as_str().unwrap().to_string());
    }
    let available = "/api/v1/users?role=agent&available=true";
    assert!(ids(&s.get(available, &admin).await.body).is_empty());

    // Ann starts her shift: online, and the queue goes to her.
    let r = s
        .post(
            &format!("/api/v1/users/{ann}/shift/start"),
            &ann_t,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["availability"], "online");
    assert_eq!(ids(&s.get(available, &admin).await.body), vec![ann.clone()]);
    let again = s
        .post(
            &format!("/api/v1/users/{ann}/shift/start"),
            &ann_t,
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let someone_else = s
        .post(&format!("/api/v1/users/{ann}/shift/end"), &bob_t, json!({}))
        .await;
    assert_eq!(
        someone_else.status,
        StatusCode::FORBIDDEN,
        "bob cannot end ann's shift"
    );
    let q = s
        .req(Method::POST, "/api/v1/queue/process", Some(&admin), None)
        .await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.text);
    assert_eq!(q.body["assigned"], 3);
    for id in &tickets {
        let t = s.get(&format!("/api/v1/tickets/{id}"), &admin).await;
        assert_eq!(t.body["assignee_id"], ann.as_str());
    }
    let history = s
        .get(&format!("/api/v1/tickets/{}/history", tickets[1]), &admin)
        .await;
    assert!(
        history.text.contains("queue: assigned to ann"),
        "{}",
        history.text
    );

    // A break, then the end of her shift: away, then offline.
    let r = s
        .post(
            &format!("/api/v1/users/{ann}/break/start"),
            &ann_t,
            json!({}),
        )
        .await;
    assert_eq!(r.body["availability"], "away");
    let r = s
        .post(&format!("/api/v1/users/{ann}/shift/end"), &ann_t, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["availability"], "offline");
    assert_eq!(r.body["breaks"].as_array().unwrap().len(), 1);
    assert!(
        !r.body["breaks"][0]["ended_at"].is_null(),
        "the end closes the break"
    );
    s.post(
        &format!("/api/v1/users/{bob}/shift/start"),
        &bob_t,
        json!({}),
    )
    .await;

    // Rebalance: the dry run plans, the run moves, with the reason in the history.
    let dry = s
        .req(
            Method::POST,
            "/api/v1/workload/rebalance?dry_run=true",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.text);
    let moves = dry.body["moves"].as_array().unwrap();
    assert_eq!(moves.len(), 3);
    assert!(moves.iter().all(|m| m["from"] == ann.as_str()
        && m["to"] == bob.as_str()
        && m["reason"] == "shift_ended"));
    assert_eq!(
        moves[0]["ticket_id"],
        tickets[1].as_str(),
        "the critical one first"
    );
    assert_eq!(dry.body["applied"], 0);
    let t = s
        .get(&format!("/api/v1/tickets/{}", tickets[0]), &admin)
        .await;
    assert_eq!(
        t.body["assignee_id"],
        ann.as_str(),
        "a dry run moves nothing"
    );
    let run = s
        .req(
            Method::POST,
            "/api/v1/workload/rebalance",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(run.body["applied"], 3, "{}", run.text);
    let t = s
        .get(&format!("/api/v1/tickets/{}", tickets[0]), &admin)
        .await;
    assert_eq!(t.body["assignee_id"], bob.as_str());
    let history = s
        .get(&format!("/api/v1/tickets/{}/history", tickets[0]), &admin)
        .await;
    assert!(
        history.text.contains("rebalance: the agent's shift ended"),
        "{}",
        history.text
    );

    // History of the day, and the workload.
    let (from, to) = (
        (now() - Duration::hours(1)).to_rfc3339(),
        (now() + Duration::hours(1)).to_rfc3339(),
    );
    let range = format!("from={}&to={}", urlencode(&from), urlencode(&to));
    let h = s
        .get(&format!("/api/v1/users/{ann}/shifts?{range}"), &ann_t)
        .await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.text);
    assert_eq!(h.body["items"].as_array().unwrap().len(), 1);
    assert!(!h.body["items"][0]["ended_at"].is_null());
    let all = s.get(&format!("/api/v1/shifts?{range}"), &admin).await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 2);
    let w = s.get("/api/v1/workload", &admin).await;
    let bob_load = w.body["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["user_id"] == bob.as_str())
        .unwrap();
    assert_eq!(bob_load["working_tickets"], 3);
    assert_eq!(bob_load["availability"], "online");
    s.stop().await;
}

fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from(std::time::SystemTime::now())
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn schedules_are_validated_versioned_and_give_adherence() {
    let s = start().await;
    let (_, admin) = s.user("boss", Role::Admin).await;
    let (ann, ann_t) = s.user("ann", Role::Agent).await;
    let path = format!("/api/v1/users/{ann}/schedule");
    let missing = s.get(&path, &ann_t).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let bad = s
        .req(
            Method::PUT,
            &path,
            Some(&admin),
            Some(json!({"time_zone": "Mars/Olympus", "weekly": [
                {"weekday": "monday", "start": "25:00", "end": "17:00"}
            ]})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(bad.text.contains("weekly[0].start"), "{}", bad.text);
    let zone = s
        .req(
            Method::PUT,
            &path,
            Some(&admin),
            Some(json!({"time_zone": "Mars/Olympus"})),
        )
        .await;
    assert_eq!(zone.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(zone.text.contains("time_zone"), "{}", zone.text);
    let by_agent = s
        .req(
            Method::PUT,
            &path,
            Some(&ann_t),
            Some(json!({"time_zone": "UTC"})),
        )
        .await;
    assert_eq!(
        by_agent.status,
        StatusCode::FORBIDDEN,
        "managers plan schedules"
    );
    // Today, all day, in UTC: a one-off shift with a break.
    let day = now().date_naive();
    let start = day.and_hms_opt(0, 0, 0).unwrap().and_utc();
    let body = json!({"time_zone": "UTC", "one_off": [{
        "start": start.to_rfc3339(),
        "end": (start + Duration::hours(24)).to_rfc3339(),
        "breaks": [{"start": (start + Duration::hours(12)).to_rfc3339(),
                    "end": (start + Duration::hours(13)).to_rfc3339()}]
    }]});
    let put = s
        .req(Method::PUT, &path, Some(&admin), Some(body.clone()))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(put.body["version"], 1);
    let stale = s
        .req(Method::PUT, &path, Some(&admin), Some(body.clone()))
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "a second create");
    let mut next = body;
    next["version"] = json!(1);
    let put = s.req(Method::PUT, &path, Some(&admin), Some(next)).await;
    assert_eq!(put.body["version"], 2, "{}", put.text);
    assert_eq!(s.get(&path, &ann_t).await.body["version"], 2);

    // Adherence of the day: 23 hours scheduled; not worked yet.
    let range = format!(
        "from={}&to={}",
        urlencode(&start.to_rfc3339()),
        urlencode(&(start + Duration::hours(24)).to_rfc3339())
    );
    let a = s
        .get(&format!("/api/v1/users/{ann}/adherence?{range}"), &ann_t)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["intervals"].as_array().unwrap().len(), 96);
    assert_eq!(a.body["scheduled_secs"], 23 * 3600);
    let staff = s
        .get(&format!("/api/v1/workload/scheduled?{range}"), &admin)
        .await;
    assert_eq!(staff.body["items"][0]["agents"], 1.0);
    assert_eq!(staff.body["items"][48]["agents"], 0.0, "12:00 is the break");
    let backwards = s
        .get(
            &format!(
                "/api/v1/users/{ann}/adherence?from={}&to={}",
                urlencode(&start.to_rfc3339()),
                urlencode(&start.to_rfc3339())
            ),
            &ann_t,
        )
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    s.stop().await;
}
