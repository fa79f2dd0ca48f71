//! The wiring of `ticket-server`, shared by the binary and its end-to-end tests:
//! configuration → store → desk → first super-admin and default rules → router →
//! background timers; then serving with graceful shutdown.

use crate::config::ServerConfig;
use crate::store::{self, OpenStore, StoreError};
use axum::Router;
use base64::Engine as _;
use rand::RngCore as _;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use ticket_core::desk::RegisterInput;
use ticket_core::text::Secret;
use ticket_core::{Actor, HelpDesk, HelpDeskConfig, TenantId};
use ticket_http::background::{Background, BackgroundConfig};
use ticket_http::{AppState, AuthConfig, CorsConfig, HttpConfig, Limits, RateLimit};
use tokio::net::TcpListener;

/// Why the server could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A use case at start-up (super-admin, default rules).
    #[error("{what}")]
    Desk {
        /// What was being done.
        what: &'static str,
        /// Why it failed.
        #[source]
        source: ticket_core::Error,
    },
    /// The classifier could not be set up.
    #[error("ai: {0}")]
    Ai(String),
    /// The HTTP layer's configuration.
    #[error(transparent)]
    Http(#[from] ticket_http::Error),
    /// The notifier's settings.
    #[error(transparent)]
    Notifier(#[from] crate::notifier::NotifierError),
    /// Files and sockets.
    #[error("{what}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
}

/// A built server: its router and what it runs on.
pub struct App {
    /// The whole API and the web console.
    pub router: Router,
    /// The router's state (metrics, realtime shutdown).
    pub state: AppState,
    /// The help desk.
    pub desk: HelpDesk,
    /// The store.
    pub store: OpenStore,
    /// The SLA sweep and outbox relay timers (none when both are disabled).
    pub background: Option<Background>,
    /// The classifier's retraining timer (none unless configured).
    pub retrain: Option<crate::ai::RetrainTimer>,
    /// Where the lexical AI model came from at start: loaded from the model file, or
    /// trained (`None` without the lexical model or without a model file).
    pub ai_model: Option<ticket_ai::ModelOrigin>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// Reads the JWT secret from `path`, or creates it there (32 random bytes, mode 0600).
///
/// # Errors
/// [`AppError::Io`] when the file cannot be read or written, or is too short.
pub fn jwt_secret_from_file(path: &Path) -> Result<Secret, AppError> {
    let io = |what: String| move |source| AppError::Io { what, source };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let secret = text.trim().to_string();
            if secret.len() < ticket_http::jwt::MIN_SECRET_BYTES {
                return Err(AppError::Io {
                    what: format!("the JWT secret in {} is too short", path.display()),
                    source: std::io::Error::from(std::io::ErrorKind::InvalidData),
                });
            }
            Ok(Secret::new(secret))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(io(format!("cannot create {}", dir.display())))?;
            }
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
            write_private(path, &secret).map_err(io(format!("cannot write {}", path.display())))?;
            tracing::info!(path = %path.display(), "generated a JWT secret");
            Ok(Secret::new(secret))
        }
        Err(source) => Err(AppError::Io {
            what: format!("cannot read {}", path.display()),
            source,
        }),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// The HTTP configuration of a server configuration.
#[must_use]
pub fn http_config(config: &ServerConfig, jwt_secret: Secret) -> HttpConfig {
    HttpConfig {
        auth: AuthConfig {
            jwt_secret,
            issuer: config.jwt_issuer.clone(),
            access_ttl: Duration::from_secs(config.access_ttl_secs),
            ..AuthConfig::default()
        },
        limits: Limits {
            body_bytes: config.body_limit_bytes,
            request_timeout: Duration::from_secs(config.request_timeout_secs),
        },
        auth_rate_limit: (config.auth_rate_burst > 0 && config.auth_rate_per_minute > 0).then_some(
            RateLimit {
                burst: config.auth_rate_burst,
                per_minute: config.auth_rate_per_minute,
            },
        ),
        account_rate_limit: (config.account_rate_burst > 0 && config.account_rate_per_minute > 0)
            .then_some(RateLimit {
                burst: config.account_rate_burst,
                per_minute: config.account_rate_per_minute,
            }),
        // Checked when the configuration was loaded.
        trusted_proxies: config.trusted_proxy_networks().unwrap_or_default(),
        cors: CorsConfig {
            allowed_origins: config.cors_origins.clone(),
        },
        ..HttpConfig::default()
    }
}

/// Builds the server: opens and migrates the store, builds the desk, creates the first
/// super-admin when asked and none exists, installs the default rules on a desk without
/// rules, and starts the background timers.
///
/// # Errors
/// [`AppError`] for any of those steps.
pub async fn build_app(config: &ServerConfig) -> Result<App, AppError> {
    let url = config.database_url();
    let options = store::DatabaseOptions {
        schema: config.database_schema.as_deref(),
        max_connections: config.database_max_connections,
    };
    let store = store::open(&url, options).await?;
    tracing::info!(store = store.kind, url = %store::redact(&url), "store ready");
    let mut builder = HelpDesk::builder(store.store.clone())
        .event_bus(store.bus.clone())
        .notifier(std::sync::Arc::new(crate::notifier::build(config)?))
        .config(HelpDeskConfig {
            hash_cost: config.hash_cost.into(),
            open_registration: config.open_registration,
            email_verification: config.email_verification,
            require_verified_email: config.require_verified_email,
            actor_ttl: chrono::Duration::seconds(i64::from(config.actor_cache_secs)),
            webhook_addresses: crate::notifier::webhook_addresses(config)
                .map_err(crate::notifier::NotifierError::from)?,
            public_url: Some(crate::notifier::public_url(config)),
            faq_min_score: config.ai_faq_min_score,
            faq_deflect: config.ai_faq_deflect,
            helpful_notes: config.ai_enabled && config.ai_helpful_notes,
            relay: ticket_core::notify::RelayConfig {
                disable_after: chrono::Duration::hours(i64::from(
                    config.webhook_disable_after_hours,
                )),
                ..ticket_core::notify::RelayConfig::default()
            },
            ..HelpDeskConfig::default()
        });
    let ai = crate::ai::build(config).await.map_err(AppError::Ai)?;
    let ai_model = ai.as_ref().and_then(|ai| ai.origin);
    if let Some(ai) = ai {
        builder = builder.classifier(ai.classifier).faq_matcher(ai.faq);
    }
    let desk = builder.build().map_err(|source| AppError::Desk {
        what: "cannot build the help desk",
        source,
    })?;
    let tenant = TenantId::DEFAULT;
    if let (Some(email), Some(password)) = (&config.admin_email, &config.admin_password) {
        let input = RegisterInput {
            email: email.clone(),
            username: "admin".into(),
            name: "Administrator".into(),
            password: password.expose().to_string(),
        };
        let created = desk
            .ensure_super_admin(tenant, input)
            .await
            .map_err(|source| AppError::Desk {
                what: "cannot create the first super-admin",
                source,
            })?;
        if created.is_some() {
            tracing::info!(email = %email, "created the first super-admin (username admin)");
        }
    }
    if config.install_default_rules {
        let n = desk
            .install_default_rules(&Actor::system(tenant))
            .await
            .map_err(|source| AppError::Desk {
                what: "cannot install the default rules",
                source,
            })?;
        if n > 0 {
            tracing::info!(rules = n, "installed the default rules");
        }
    }
    if config.install_default_sla {
        let n = desk
            .install_default_sla(&Actor::system(tenant))
            .await
            .map_err(|source| AppError::Desk {
                what: "cannot install the default SLA policies",
                source,
            })?;
        if n > 0 {
            tracing::info!(policies = n, "installed the default SLA policies");
        }
    }
    let secret = match &config.jwt_secret {
        Some(s) => s.clone(),
        None => jwt_secret_from_file(&config.jwt_secret_file())?,
    };
    let state = AppState::new(desk.clone(), http_config(config, secret))?;
    // The API, and the web console at `/` beside it.
    let router = ticket_http::router(state.clone()).merge(ticket_http::console::routes());
    let background = (config.sweep_interval_secs > 0 || config.relay_interval_ms > 0).then(|| {
        let never = Duration::from_secs(365 * 24 * 3600);
        let b = BackgroundConfig {
            sweep_every: if config.sweep_interval_secs > 0 {
                Duration::from_secs(config.sweep_interval_secs)
            } else {
                never
            },
            relay_every: if config.relay_interval_ms > 0 {
                Duration::from_millis(config.relay_interval_ms)
            } else {
                never
            },
            relay_batch: config.relay_batch,
            ..BackgroundConfig::default()
        };
        Background::spawn(desk.clone(), b, state.metrics().clone())
    });
    let retrain = crate::ai::retrain_timer(config, &desk);
    Ok(App {
        router,
        state,
        desk,
        store,
        background,
        retrain,
        ai_model,
    })
}

/// Binds the configured address.
///
/// # Errors
/// [`AppError::Io`] when the address cannot be bound.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, AppError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| AppError::Io {
            what: format!("cannot listen on {addr}"),
            source,
        })
}

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting, ends
/// the realtime feeds, lets in-flight requests finish (at most `grace`), stops the
/// timers and closes the store.
///
/// # Errors
/// [`AppError::Http`] when serving fails.
pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> Result<(), AppError> {
    let (fired_tx, fired_rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        let _ = fired_tx.send(());
    };
    let served = ticket_http::serve(listener, app.router, signal);
    let deadline = async move {
        if fired_rx.await.is_ok() {
            tokio::time::sleep(grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    let result = tokio::select! {
        r = served => r.map_err(AppError::from),
        () = deadline => {
            tracing::warn!(grace_secs = grace.as_secs(), "in-flight requests did not finish in time");
            Ok(())
        }
    };
    if let Some(b) = app.background {
        b.shutdown().await;
    }
    app.store.close().await;
    tracing::info!("stopped");
    result
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_secret_is_generated_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/jwt-secret");
        let a = jwt_secret_from_file(&path).unwrap();
        let b = jwt_secret_from_file(&path).unwrap();
        assert_eq!(a.expose(), b.expose());
        assert!(a.expose().len() >= 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "short").unwrap();
        assert!(jwt_secret_from_file(&path).is_err());
    }
}
