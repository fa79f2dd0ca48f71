//! A token bucket per client IP, for the `/auth/*` routes. Over the limit, the answer
//! is a 429 problem with `Retry-After`.

use crate::config::RateLimit;
use crate::error::Error;
use crate::problem::Problem;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// Buckets kept before full ones are dropped.
const MAX_BUCKETS: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Token buckets keyed by client IP.
#[derive(Debug)]
pub struct RateLimiter {
    burst: f64,
    per_sec: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    /// A limiter of `limit`.
    ///
    /// # Errors
    /// [`Error::Config`] when the burst or the rate is zero.
    pub fn new(limit: RateLimit) -> Result<Self, Error> {
        if limit.burst == 0 || limit.per_minute == 0 {
            return Err(Error::Config(
                "a rate limit needs a burst and a rate above zero".into(),
            ));
        }
        Ok(Self {
            burst: f64::from(limit.burst),
            per_sec: f64::from(limit.per_minute) / 60.0,
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// Takes a token for `key` at `now`; `Err(secs)` says when one will be available.
    pub fn check(&self, key: IpAddr, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(&key) {
            let (burst, per_sec) = (self.burst, self.per_sec);
            buckets.retain(|_, b| refill(b, now, burst, per_sec) < burst);
        }
        let b = buckets.entry(key).or_insert(Bucket {
            tokens: self.burst,
            last: now,
        });
        let tokens = refill(b, now, self.burst, self.per_sec);
        if tokens >= 1.0 {
            b.tokens = tokens - 1.0;
            b.last = now;
            Ok(())
        } else {
            b.tokens = tokens;
            b.last = now;
            let wait = (1.0 - tokens) / self.per_sec;
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

fn refill(b: &Bucket, now: Instant, burst: f64, per_sec: f64) -> f64 {
    let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
    (b.tokens + elapsed * per_sec).min(burst)
}

/// Middleware limiting a router by client IP (from `ConnectInfo`; requests without it
/// share one bucket).
pub(crate) async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(limiter) = state.auth_limiter() {
        let ip = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        if let Err(secs) = limiter.check(ip, Instant::now()) {
            return Problem::rate_limited(secs).into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_empties_and_refills() {
        let l = RateLimiter::new(RateLimit {
            burst: 2,
            per_minute: 60,
        })
        .unwrap();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        let t0 = Instant::now();
        assert!(l.check(ip, t0).is_ok());
        assert!(l.check(ip, t0).is_ok());
        assert_eq!(l.check(ip, t0), Err(1));
        assert!(l.check(other, t0).is_ok(), "buckets are per IP");
        assert!(l.check(ip, t0 + Duration::from_millis(1100)).is_ok());
        assert!(RateLimiter::new(RateLimit {
            burst: 0,
            per_minute: 1
        })
        .is_err());
    }
}
