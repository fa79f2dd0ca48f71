//! Request metrics in the Prometheus text format: a counter and a latency histogram per
//! (method, matched route, status), the number of open realtime feeds, and what the
//! background jobs did.

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default, Clone)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Counters shared by the middleware, the realtime feeds and the background jobs.
/// Cheap to clone.
#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    http: Mutex<BTreeMap<(String, String, u16), Series>>,
    realtime_open: AtomicI64,
    counters: Mutex<BTreeMap<&'static str, AtomicU64>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Records one request.
    pub fn record_http(&self, method: &str, route: &str, status: u16, secs: f64) {
        let mut map = self
            .inner
            .http
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let s = map
            .entry((method.to_string(), route.to_string(), status))
            .or_default();
        s.count += 1;
        s.sum += secs;
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                s.buckets[i] += 1;
            }
        }
    }

    /// Adds `n` to a named counter (`ticket_sla_breaches_total`…).
    pub fn add(&self, name: &'static str, n: u64) {
        let mut map = self
            .inner
            .counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        map.entry(name).or_default().fetch_add(n, Ordering::Relaxed);
    }

    /// A realtime feed opened (`+1`) or closed (`-1`).
    pub fn realtime(&self, delta: i64) {
        self.inner.realtime_open.fetch_add(delta, Ordering::Relaxed);
    }

    /// How many realtime feeds are open.
    #[must_use]
    pub fn realtime_open(&self) -> i64 {
        self.inner.realtime_open.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        let http = self
            .inner
            .http
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        out.push_str("# HELP http_requests_total HTTP requests by method, route and status.\n");
        out.push_str("# TYPE http_requests_total counter\n");
        for ((m, r, s), series) in &http {
            let _ = writeln!(
                out,
                "http_requests_total{{method=\"{m}\",route=\"{}\",status=\"{s}\"}} {}",
                escape(r),
                series.count
            );
        }
        out.push_str("# HELP http_request_duration_seconds Time to the response head.\n");
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        for ((m, r, s), series) in &http {
            let labels = format!("method=\"{m}\",route=\"{}\",status=\"{s}\"", escape(r));
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {}",
                    series.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                series.count
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_sum{{{labels}}} {}",
                series.sum
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_count{{{labels}}} {}",
                series.count
            );
        }
        out.push_str("# HELP ticket_realtime_connections Open WebSocket and SSE feeds.\n");
        out.push_str("# TYPE ticket_realtime_connections gauge\n");
        let _ = writeln!(out, "ticket_realtime_connections {}", self.realtime_open());
        let counters = self
            .inner
            .counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for (name, value) in counters.iter() {
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        }
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The method label: the methods of HTTP's registry the API could serve, and `other`
/// for any other token a client invents (each would be a series of its own).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// Middleware recording every request under its matched route (never the raw path, so
/// ids do not explode the label set; unknown paths are all `unmatched`) and a known
/// method (unknown ones are all `other`), so clients cannot grow the series without
/// bound.
pub(crate) async fn record(State(metrics): State<Metrics>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let res = next.run(req).await;
    metrics.record_http(
        method,
        &route,
        res.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.record_http("GET", "/api/v1/tickets/{id}", 200, 0.003);
        m.record_http("GET", "/api/v1/tickets/{id}", 200, 2.0);
        m.add("ticket_sla_breaches_total", 2);
        m.realtime(1);
        let text = m.render();
        assert!(text.contains(
            "http_requests_total{method=\"GET\",route=\"/api/v1/tickets/{id}\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"+Inf\"} 2"));
        assert!(text.contains("ticket_sla_breaches_total 2"));
        assert!(text.contains("ticket_realtime_connections 1"));
    }

    #[test]
    fn invented_methods_share_one_label() {
        let a = Method::from_bytes(b"FROBNICATE").unwrap();
        let b = Method::from_bytes(b"X-ANYTHING").unwrap();
        assert_eq!(method_label(&a), "other");
        assert_eq!(method_label(&b), "other");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
    }
}
