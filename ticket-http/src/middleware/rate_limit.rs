//! Token buckets against password guessing and e-mail flooding, two of them:
//!
//! - **per client** ([`HttpConfig::auth_rate_limit`](crate::HttpConfig::auth_rate_limit)):
//!   every `/auth/*` route, `PUT /me/password` and `POST /me/email-verification`, keyed by
//!   the client's address ([`crate::middleware::client`]; IPv6 clients by their /64, since
//!   one host commonly holds a whole /64);
//! - **per account** ([`HttpConfig::account_rate_limit`](crate::HttpConfig::account_rate_limit)):
//!   checked by the handlers that know the account: login (the login name), registration
//!   and forgotten password (the e-mail address they send to), password change and
//!   verification resend (the user), and refresh (the presented token), so spreading
//!   guesses over many addresses does not multiply an attacker's budget for one account.
//!
//! Over a limit, the answer is a 429 problem (`rate_limited`) with `Retry-After`. Each
//! limiter holds at most [`MAX_BUCKETS`] buckets whatever clients send.

use crate::config::RateLimit;
use crate::error::Error;
use crate::problem::Problem;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// Buckets a limiter keeps; past it, full buckets go, then the least recently used
/// quarter.
pub const MAX_BUCKETS: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// What a bucket is kept for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LimitKey {
    /// A client address (an IPv6 one cut to its /64).
    Client(IpAddr),
    /// An account, named the way the route names it (login name, e-mail address, user
    /// id, token hash), prefixed by the kind of name.
    Account(String),
}

impl LimitKey {
    /// The bucket of a client address: IPv4 as is (IPv4-mapped IPv6 too), IPv6 cut to
    /// its /64.
    #[must_use]
    pub fn client(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => Self::Client(ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::Client(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    Self::Client(IpAddr::V6(prefix.into()))
                }
            },
        }
    }

    /// The bucket of an account name of `kind` (`login`, `email`, `user`, `token`),
    /// case-folded and bounded in length so any input makes a small key.
    #[must_use]
    pub fn account(kind: &str, name: &str) -> Self {
        let name: String = name.trim().to_lowercase().chars().take(254).collect();
        Self::Account(format!("{kind}:{name}"))
    }
}

/// Token buckets by key.
#[derive(Debug)]
pub struct RateLimiter<K = LimitKey> {
    burst: f64,
    per_sec: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
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
    pub fn check(&self, key: &K, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(key) {
            self.make_room(&mut buckets, now);
        }
        let b = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: self.burst,
            last: now,
        });
        let tokens = refill(b, now, self.burst, self.per_sec);
        b.last = now;
        if tokens >= 1.0 {
            b.tokens = tokens - 1.0;
            Ok(())
        } else {
            b.tokens = tokens;
            let wait = (1.0 - tokens) / self.per_sec;
            Err(wait.ceil().max(1.0) as u64)
        }
    }

    /// Drops the buckets that refilled (they hold nothing a new one would not); if that
    /// is not enough, the least recently used quarter. Clients being limited keep their
    /// bucket: their own attempts keep it recent.
    fn make_room(&self, buckets: &mut HashMap<K, Bucket>, now: Instant) {
        let (burst, per_sec) = (self.burst, self.per_sec);
        buckets.retain(|_, b| refill(b, now, burst, per_sec) < burst);
        if buckets.len() < MAX_BUCKETS {
            return;
        }
        let mut by_age: Vec<(Instant, K)> =
            buckets.iter().map(|(k, b)| (b.last, k.clone())).collect();
        by_age.sort_unstable_by_key(|(last, _)| *last);
        for (_, k) in by_age.into_iter().take(MAX_BUCKETS / 4) {
            buckets.remove(&k);
        }
    }

    /// How many buckets are held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.buckets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no bucket is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn refill(b: &Bucket, now: Instant, burst: f64, per_sec: f64) -> f64 {
    let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
    (b.tokens + elapsed * per_sec).min(burst)
}

/// Middleware limiting a router per client (see [`crate::middleware::client`]).
pub(crate) async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(limiter) = state.client_limiter() {
        let ip = super::client::client_ip(&req, &state.config().trusted_proxies);
        if let Err(secs) = limiter.check(&LimitKey::client(ip), Instant::now()) {
            return Problem::rate_limited(secs).into_response();
        }
    }
    next.run(req).await
}

/// Takes a token of the account `name` of `kind` (see [`LimitKey::account`]).
///
/// # Errors
/// 429 `rate_limited` when the account's bucket is empty.
pub(crate) fn account(state: &AppState, kind: &str, name: &str) -> Result<(), Problem> {
    match state.account_limiter() {
        Some(limiter) => limiter
            .check(&LimitKey::account(kind, name), Instant::now())
            .map_err(Problem::rate_limited),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limiter(burst: u32, per_minute: u32) -> RateLimiter {
        RateLimiter::new(RateLimit { burst, per_minute }).unwrap()
    }

    #[test]
    fn bucket_empties_and_refills() {
        let l = limiter(2, 60);
        let ip = LimitKey::client("10.0.0.1".parse().unwrap());
        let other = LimitKey::client("10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        assert!(l.check(&ip, t0).is_ok());
        assert!(l.check(&ip, t0).is_ok());
        assert_eq!(l.check(&ip, t0), Err(1));
        assert!(l.check(&other, t0).is_ok(), "buckets are per IP");
        assert!(l.check(&ip, t0 + Duration::from_millis(1100)).is_ok());
        assert!(RateLimiter::<LimitKey>::new(RateLimit {
            burst: 0,
            per_minute: 1
        })
        .is_err());
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        let a = LimitKey::client("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = LimitKey::client("2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap());
        let c = LimitKey::client("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            LimitKey::client("::ffff:192.0.2.7".parse().unwrap()),
            LimitKey::client("192.0.2.7".parse().unwrap()),
            "an IPv4-mapped address is its IPv4 address"
        );
    }

    #[test]
    fn account_names_fold_case_and_stay_small() {
        assert_eq!(
            LimitKey::account("login", " Ann@Example.com "),
            LimitKey::account("login", "ann@example.com")
        );
        assert_ne!(
            LimitKey::account("login", "ann"),
            LimitKey::account("user", "ann")
        );
        let LimitKey::Account(long) = LimitKey::account("login", &"x".repeat(100_000)) else {
            panic!("an account key");
        };
        assert!(long.len() < 300);
    }

    #[test]
    fn memory_stays_bounded_and_limited_clients_keep_their_bucket() {
        let l = limiter(1, 1);
        let t0 = Instant::now();
        let victim = LimitKey::account("login", "ann");
        assert!(l.check(&victim, t0).is_ok());
        for i in 0..(MAX_BUCKETS as u32 * 2) {
            let t = t0 + Duration::from_micros(u64::from(i) + 1);
            let _ = l.check(&LimitKey::account("login", &format!("spray{i}")), t);
            if i % 1000 == 0 {
                // The attacker keeps hitting the victim's account: it stays limited.
                assert!(l.check(&victim, t).is_err(), "round {i}");
            }
        }
        assert!(l.len() <= MAX_BUCKETS);
    }
}
