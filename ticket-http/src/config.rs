//! Typed configuration of the HTTP layer. The library never reads environment variables
//! or files: a host builds these structs (the `ticket-server` binary layers defaults, a
//! TOML file and `TICKET_*` variables into them).

use std::time::Duration;
use ticket_core::text::Secret;

/// Everything the router needs besides the [`ticket_core::HelpDesk`].
#[derive(Debug, Clone, Default)]
pub struct HttpConfig {
    /// Access tokens.
    pub auth: AuthConfig,
    /// Request body size and time limits.
    pub limits: Limits,
    /// Rate limit per client address of the `/auth/*` routes, `PUT /me/password` and
    /// `POST /me/email-verification` (`None`: unlimited). IPv6 clients share a bucket
    /// per /64.
    pub auth_rate_limit: Option<RateLimit>,
    /// Rate limit per account of login, refresh, registration, forgotten password,
    /// password change and verification resend (`None`: unlimited): guesses spread over
    /// many addresses still share the account's budget.
    pub account_rate_limit: Option<RateLimit>,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` headers name the client (addresses
    /// or networks). Empty: the socket's peer is the client and those headers are
    /// ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Cross-origin requests.
    pub cors: CorsConfig,
    /// WebSocket and SSE feeds.
    pub realtime: RealtimeConfig,
}

/// JWT access tokens (HS256).
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The HMAC key (at least 32 bytes).
    pub jwt_secret: Secret,
    /// The `iss` claim written and required.
    pub issuer: String,
    /// How long an access token lives.
    pub access_ttl: Duration,
    /// Clock skew tolerated when checking `exp` (at most 5 s are used).
    pub leeway: Duration,
}

impl Default for AuthConfig {
    /// A configuration with an **empty** secret, refused by [`crate::AppState::new`]:
    /// hosts must set `jwt_secret`.
    fn default() -> Self {
        Self {
            jwt_secret: Secret::new(""),
            issuer: "ticket-engine".to_string(),
            access_ttl: Duration::from_secs(15 * 60),
            leeway: Duration::from_secs(2),
        }
    }
}

/// Request limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest request body accepted, in bytes (larger: 413).
    pub body_bytes: usize,
    /// How long a request may take before the server answers 503.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// A token bucket: `burst` requests at once, refilled at `per_minute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Bucket size.
    pub burst: u32,
    /// Tokens added per minute.
    pub per_minute: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            burst: 20,
            per_minute: 30,
        }
    }
}

/// Cross-origin resource sharing.
#[derive(Debug, Clone, Default)]
pub struct CorsConfig {
    /// Origins allowed to call the API from a browser (`https://desk.example.com`);
    /// `*` allows any origin. Empty: no CORS headers are sent.
    pub allowed_origins: Vec<String>,
}

/// WebSocket and SSE feeds.
#[derive(Debug, Clone, Copy)]
pub struct RealtimeConfig {
    /// How often a ping (WebSocket) or keep-alive comment (SSE) is sent.
    pub heartbeat: Duration,
    /// How often the subscriber's account is read again (role changes, deletion).
    pub revalidate: Duration,
    /// How long one send may take before a slow WebSocket client is disconnected.
    pub send_timeout: Duration,
    /// The largest WebSocket message (and frame) a client may send, in bytes; a larger
    /// one ends the connection.
    pub max_message_bytes: usize,
    /// Feeds (WebSocket and SSE together) open at once on this server; more: 429
    /// `too_many_feeds`.
    pub max_feeds: usize,
    /// Feeds one user may hold open at once; more: 429 `too_many_feeds`.
    pub max_feeds_per_user: usize,
}

impl Default for RealtimeConfig {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(25),
            revalidate: Duration::from_secs(30),
            send_timeout: Duration::from_secs(10),
            max_message_bytes: 64 * 1024,
            max_feeds: 10_000,
            max_feeds_per_user: 8,
        }
    }
}
