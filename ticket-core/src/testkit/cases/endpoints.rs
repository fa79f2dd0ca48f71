//! `EndpointStore`: the health of webhook endpoints — the failure clock a success stops,
//! disabling once (the first reason stays), enabling again, paged lists, tenants apart,
//! and one endpoint per URL however many relay workers record at once.

use crate::error::Error;
use crate::id::EndpointId;
use crate::ports::Store;
use crate::testkit::fixtures;
use chrono::Duration;
use std::collections::HashSet;
use std::sync::Arc;

const URL: &str = "https://hooks.example.com/desk";

/// Attempts start, keep and stop the failure clock; disabling happens once and keeps
/// its first reason through later attempts; enabling clears it and the clock.
pub async fn endpoint_failure_clock_disable_and_enable(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let t0 = fixtures::now();
    assert_eq!(store.find_endpoint(tenant, URL).await.expect("find"), None);
    let first = store
        .record_endpoint_attempt(tenant, URL, t0, Some("HTTP 500"))
        .await
        .expect("record");
    assert_eq!((first.tenant, first.url.as_str()), (tenant, URL));
    assert!(first.is_enabled());
    assert_eq!(first.failing_since, Some(t0));
    let t1 = t0 + Duration::hours(1);
    let second = store
        .record_endpoint_attempt(tenant, URL, t1, Some("timed out"))
        .await
        .expect("record");
    assert_eq!(second.id, first.id, "one endpoint per URL");
    assert_eq!(second.failing_since, Some(t0), "the clock keeps running");
    assert_eq!(second.last_failure_at, Some(t1));
    assert_eq!(second.last_error.as_deref(), Some("timed out"));
    let t2 = t1 + Duration::hours(1);
    let ok = store
        .record_endpoint_attempt(tenant, URL, t2, None)
        .await
        .expect("record");
    assert_eq!(ok.failing_since, None, "a success stops the clock");
    assert_eq!(ok.last_success_at, Some(t2));
    assert_eq!(ok.last_failure_at, Some(t1));
    let t3 = t2 + Duration::hours(1);
    store
        .record_endpoint_attempt(tenant, URL, t3, Some("HTTP 502"))
        .await
        .expect("record");
    assert!(store
        .disable_endpoint(tenant, URL, t3, "it answered 410 Gone")
        .await
        .expect("disable"));
    assert!(!store
        .disable_endpoint(tenant, URL, t3 + Duration::hours(1), "again")
        .await
        .expect("disable again"));
    store
        .record_endpoint_attempt(tenant, URL, t3 + Duration::hours(2), None)
        .await
        .expect("record");
    let off = store
        .find_endpoint(tenant, URL)
        .await
        .expect("find")
        .expect("known");
    assert!(!off.is_enabled(), "an attempt does not enable it");
    assert_eq!(off.disabled_at, Some(t3));
    assert_eq!(off.disabled_reason.as_deref(), Some("it answered 410 Gone"));
    let on = store
        .enable_endpoint(tenant, first.id)
        .await
        .expect("enable");
    assert!(on.is_enabled());
    assert_eq!(
        (on.disabled_reason.as_deref(), on.failing_since),
        (None, None)
    );
    assert_eq!(on.last_success_at, Some(t3 + Duration::hours(2)));
    assert_eq!(
        store.find_endpoint(tenant, URL).await.expect("find"),
        Some(on.clone())
    );
    // A disable after enabling counts again.
    assert!(store
        .disable_endpoint(tenant, URL, t3 + Duration::hours(3), "failing")
        .await
        .expect("disable"));
    // Unknown ids and other tenants' endpoints are not found.
    for (t, id) in [(tenant, EndpointId::new()), (fixtures::tenant(), first.id)] {
        assert!(
            matches!(
                store.enable_endpoint(t, id).await,
                Err(Error::NotFound { .. })
            ),
            "enable of an unknown endpoint"
        );
    }
}

/// Endpoints are per tenant: the same URL in two tenants is two endpoints, and lists
/// walk a tenant's endpoints oldest first in pages without gaps or repeats.
pub async fn endpoints_are_per_tenant_and_listed_in_pages(store: Arc<dyn Store>) {
    let (a, b) = (fixtures::tenant(), fixtures::tenant());
    let now = fixtures::now();
    let mut urls = Vec::new();
    for i in 0..5 {
        let url = format!("https://hooks{i}.example.com/x");
        store
            .record_endpoint_attempt(a, &url, now, Some("HTTP 500"))
            .await
            .expect("record");
        urls.push(url);
    }
    store
        .disable_endpoint(b, &urls[0], now, "gone")
        .await
        .expect("disable");
    let theirs = store
        .find_endpoint(a, &urls[0])
        .await
        .expect("find")
        .expect("known");
    assert!(
        theirs.is_enabled(),
        "another tenant's disable does not reach it"
    );
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .list_endpoints(a, 2, cursor.as_deref())
            .await
            .expect("list");
        assert!(page.items.len() <= 2);
        seen.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let listed: Vec<&str> = seen.iter().map(|e| e.url.as_str()).collect();
    assert_eq!(listed, urls, "oldest first, each once, only the tenant's");
    let only_b = store.list_endpoints(b, 0, None).await.expect("list");
    assert_eq!(only_b.items.len(), 1);
    assert!(!only_b.items[0].is_enabled());
    assert!(matches!(
        store.list_endpoints(a, 2, Some("not a cursor")).await,
        Err(Error::Invalid(_))
    ));
}

/// Relay workers recording and disabling at once: one endpoint per URL, and exactly
/// one disable wins (so the owner is told once).
pub async fn concurrent_records_make_one_endpoint_and_one_disable(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let now = fixtures::now();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let e = store
                    .record_endpoint_attempt(tenant, URL, now, Some("HTTP 503"))
                    .await
                    .expect("record");
                let won = store
                    .disable_endpoint(tenant, URL, now, &format!("worker {i}"))
                    .await
                    .expect("disable");
                (e.id, won)
            })
        })
        .collect();
    let mut ids = HashSet::new();
    let mut winners = 0;
    for t in tasks {
        let (id, won) = t.await.expect("task");
        ids.insert(id);
        winners += usize::from(won);
    }
    assert_eq!(ids.len(), 1, "one endpoint per URL");
    assert_eq!(winners, 1, "exactly one disable wins");
    let listed = store.list_endpoints(tenant, 0, None).await.expect("list");
    assert_eq!(listed.items.len(), 1);
}
