//! Opening a database: connection options, the file and its folder, and the check that
//! what was opened really is a readable SQLite database.

use crate::SqliteStore;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::error::Error as StdError;
use std::fmt;
use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;
use ticket_core::error::{BoxError, Error, Result};

/// How long a connection waits for a lock held by another connection or process before
/// SQLite reports it busy (writers of one store never get there: they queue first).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a database could not be opened: the target (as given) and the cause (an I/O error
/// creating the folder, or the driver's error: not a database, unreadable, a directory…).
/// [`SqliteStore::connect`] returns it inside [`Error::Store`].
#[derive(Debug)]
pub struct ConnectError {
    target: String,
    source: BoxError,
}

impl ConnectError {
    fn new(target: &str, source: impl Into<BoxError>) -> Self {
        Self {
            target: target.to_string(),
            source: source.into(),
        }
    }

    /// The URL or path that was given.
    #[must_use]
    pub fn target(&self) -> &str {
        &self.target
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot open the SQLite database {:?}: {}",
            self.target, self.source
        )
    }
}

impl StdError for ConnectError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(self.source.as_ref())
    }
}

impl SqliteStore {
    /// The connection options this store recommends for `url_or_path` (`sqlite://path`,
    /// `sqlite:path`, or a plain file path): create the file when missing, WAL journal,
    /// `busy_timeout` of [`BUSY_TIMEOUT`], foreign keys on, `synchronous = NORMAL`
    /// (durable against a crash of the process; see the crate docs) and temporary data
    /// (sorts, the savepoint journals of group commits) in memory. Hosts that build their
    /// own pool start from these (and may add pragmas, e.g. a larger `cache_size` or an
    /// `mmap_size` for large databases).
    ///
    /// # Errors
    /// [`Error::Store`] (with a [`ConnectError`]) when the URL does not parse.
    pub fn connect_options(url_or_path: &str) -> Result<SqliteConnectOptions> {
        let options = if url_or_path.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url_or_path)
                .map_err(|e| Error::store(ConnectError::new(url_or_path, e)))?
        } else {
            SqliteConnectOptions::new().filename(url_or_path)
        };
        Ok(options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            .synchronous(SqliteSynchronous::Normal)
            .pragma("temp_store", "memory"))
    }

    /// Opens (creating the file and its folder when missing) the database at
    /// `url_or_path` with [`SqliteStore::connect_options`] and a default pool, and checks
    /// it by reading its schema, so a file that is not a database, a directory or an
    /// unreadable path fails here with a clear error. Does not migrate: call
    /// [`SqliteStore::migrate`].
    ///
    /// # Errors
    /// [`Error::Store`] with a [`ConnectError`] naming the target and carrying the cause.
    pub async fn connect(url_or_path: &str) -> Result<Self> {
        let options = Self::connect_options(url_or_path)?;
        let fail = |e: BoxError| Error::store(ConnectError::new(url_or_path, e));
        create_folder(options.get_filename()).map_err(|e| fail(e.into()))?;
        let pool = SqlitePoolOptions::new()
            .connect_with(options)
            .await
            .map_err(|e| fail(e.into()))?;
        // Opening may succeed lazily on some broken files: read the schema to be sure.
        let check: std::result::Result<i64, sqlx::Error> =
            sqlx::query_scalar("SELECT count(*) FROM sqlite_schema")
                .fetch_one(&pool)
                .await;
        if let Err(e) = check {
            pool.close().await;
            return Err(fail(e.into()));
        }
        Ok(Self::new(pool))
    }
}

/// Creates the folder of a database file when it is missing (nothing for in-memory
/// databases or a bare file name).
fn create_folder(file: &Path) -> std::io::Result<()> {
    match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() && file != Path::new(":memory:") => {
            std::fs::create_dir_all(parent)
        }
        _ => Ok(()),
    }
}
