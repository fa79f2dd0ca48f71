//! `ticket-server`: the ticketing engine's REST + realtime API on `127.0.0.1:8080`, with
//! SQLite under `./ticket-data/` and nothing else to set up. See
//! `ticket_examples::config` for the settings (TOML file and `TICKET_*` variables).

use std::process::ExitCode;
use std::time::Duration;
use ticket_examples::app::{bind, build_app, serve, shutdown_signal};
use ticket_examples::config::ServerConfig;
use ticket_examples::redact::{secrets_of, RedactingWriter};
use tracing_subscriber::EnvFilter;

/// jemalloc rather than the system's malloc: a create allocates many small blocks (the
/// ticket, its JSON rows, the classification) on the runtime's threads, and glibc's
/// malloc took a tenth of the server's CPU per create more (the AI step of
/// `cargo bench -p ticket-store-postgres --bench load`: 54 against 48 µs a create, 86
/// against 76 µs a classified one). mimalloc was as fast but held twice the idle memory
/// (63–78 against 42–50 MB just started, glibc's 35–46 MB).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match ServerConfig::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ticket-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .or_else(|| EnvFilter::try_new(&config.log).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    // Whatever a library prints, the database password never reaches the log.
    let writer = RedactingWriter::new(secrets_of(&config.database_url()));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer)
        .init();
    for name in &config.ignored_variables {
        tracing::warn!(variable = %name, "unknown TICKET_ variable ignored");
    }
    tracing::debug!(?config, "configuration");
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let mut msg = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                source = s.source();
            }
            tracing::error!(error = %msg, "ticket-server failed");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: ServerConfig) -> Result<(), ticket_examples::app::AppError> {
    let app = build_app(&config).await?;
    let listener = bind(config.bind).await?;
    let addr = listener
        .local_addr()
        .map_err(|source| ticket_examples::app::AppError::Io {
            what: "no local address".into(),
            source,
        })?;
    tracing::info!(%addr, docs = %format!("http://{addr}/api/docs"), "listening");
    serve(
        app,
        listener,
        shutdown_signal(),
        Duration::from_secs(config.shutdown_grace_secs),
    )
    .await
}
