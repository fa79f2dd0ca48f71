//! The embedded migrations and their runner. Applied migrations are recorded, with the
//! SHA-256 of their text, in `ticket_schema_migrations`: a table of this store's own, so a
//! host with its own (sqlx or other) migrations in the same database is unaffected.

use crate::rows::{db, micros};
use crate::SqliteStore;
use sha2::Digest as _;
use sqlx::Row as _;
use std::fmt;
use ticket_core::error::{Error, Result};

/// One embedded migration.
struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

/// Every migration, oldest first. Never edit one that was released: add the next.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sql: include_str!("../migrations/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "token_expiry",
        sql: include_str!("../migrations/0002_token_expiry.sql"),
    },
    Migration {
        version: 3,
        name: "rotation",
        sql: include_str!("../migrations/0003_rotation.sql"),
    },
    Migration {
        version: 4,
        name: "outbox_log",
        sql: include_str!("../migrations/0004_outbox_log.sql"),
    },
    Migration {
        version: 5,
        name: "faq_deflection",
        sql: include_str!("../migrations/0005_faq_deflection.sql"),
    },
    Migration {
        version: 6,
        name: "shifts",
        sql: include_str!("../migrations/0006_shifts.sql"),
    },
    Migration {
        version: 7,
        name: "sla_reevaluation",
        sql: include_str!("../migrations/0007_sla_reevaluation.sql"),
    },
    Migration {
        version: 8,
        name: "webhook_endpoints",
        sql: include_str!("../migrations/0008_webhook_endpoints.sql"),
    },
];

/// Why [`SqliteStore::migrate`] refused to run (returned inside [`Error::Store`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MigrateError {
    /// An applied migration's text differs from the one embedded in this build.
    Changed {
        /// Its version.
        version: i64,
        /// Its name.
        name: String,
    },
    /// The database has a migration this build does not know: it was migrated by a newer
    /// version of the store.
    Unknown {
        /// The unknown version.
        version: i64,
    },
}

impl fmt::Display for MigrateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Changed { version, name } => write!(
                f,
                "migration {version} ({name}) was applied with a different text than this build's"
            ),
            Self::Unknown { version } => write!(
                f,
                "the database has migration {version}, which this build does not know (it was \
                 migrated by a newer version)"
            ),
        }
    }
}

impl std::error::Error for MigrateError {}

/// The hex SHA-256 of a migration's text.
fn checksum(sql: &str) -> String {
    sha2::Sha256::digest(sql.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS ticket_schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    checksum   TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
)";

impl SqliteStore {
    /// Creates or upgrades the schema: applies, in order and in one transaction (an
    /// upgrade is all or nothing), every embedded migration not yet recorded. Running it
    /// again is harmless; it is never run implicitly.
    ///
    /// # Errors
    /// [`Error::Store`] with a [`MigrateError`] when an applied migration changed or the
    /// database is newer than this build, or with the driver's error.
    pub async fn migrate(&self) -> Result<()> {
        let latest = MIGRATIONS.last().map_or(0, |m| m.version);
        let mut w = self.write().await?;
        let mut result = Ok(());
        for migration in MIGRATIONS {
            result = apply(&mut w.tx, migration, latest).await;
            if result.is_err() {
                break;
            }
        }
        w.finish(result).await
    }
}

/// Applies `migration` unless it is recorded (checking its checksum and that nothing
/// newer than `latest` is recorded).
async fn apply(
    conn: &mut sqlx::SqliteConnection,
    migration: &Migration,
    latest: i64,
) -> Result<()> {
    sqlx::query(CREATE_TABLE)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    let newest: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM ticket_schema_migrations")
            .fetch_one(&mut *conn)
            .await
            .map_err(db)?;
    if let Some(version) = newest.filter(|v| *v > latest) {
        return Err(Error::store(MigrateError::Unknown { version }));
    }
    let sum = checksum(migration.sql);
    let applied = sqlx::query("SELECT checksum FROM ticket_schema_migrations WHERE version = ?")
        .bind(migration.version)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    if let Some(row) = applied {
        let recorded: String = row.try_get("checksum").map_err(db)?;
        return if recorded == sum {
            Ok(())
        } else {
            Err(Error::store(MigrateError::Changed {
                version: migration.version,
                name: migration.name.to_string(),
            }))
        };
    }
    sqlx::raw_sql(migration.sql)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    sqlx::query(
        "INSERT INTO ticket_schema_migrations (version, name, checksum, applied_at)
         VALUES (?, ?, ?, ?)",
    )
    .bind(migration.version)
    .bind(migration.name)
    .bind(sum)
    .bind(micros(std::time::SystemTime::now().into()))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i64::try_from(i).unwrap() + 1, "{}", m.name);
        }
    }

    #[test]
    fn checksums_are_sha256_hex() {
        assert_eq!(
            checksum(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
