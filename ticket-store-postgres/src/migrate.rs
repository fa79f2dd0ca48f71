//! The migration runner: the SQL migrations embedded in the crate, applied in order in
//! one transaction under an advisory lock, recorded with a checksum in a table of our
//! own (`<schema>.ticket_schema_migrations`), never in the host's `_sqlx_migrations`.

use crate::connect::PostgresStore;
use crate::errors::db;
use sha2::{Digest as _, Sha256};
use sqlx::Row as _;
use std::collections::BTreeMap;
use ticket_core::{Error, Result};

/// The table, in the store's schema, that records the applied migrations (version, name,
/// checksum, time).
pub const MIGRATIONS_TABLE: &str = "ticket_schema_migrations";

/// One embedded migration.
struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

/// Every migration, oldest first. Never edit one that shipped: add the next.
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
    Migration {
        version: 9,
        name: "sla_claims",
        sql: include_str!("../migrations/0009_sla_claims.sql"),
    },
    Migration {
        version: 10,
        name: "partial_ticket_indexes",
        sql: include_str!("../migrations/0010_partial_ticket_indexes.sql"),
    },
    Migration {
        version: 11,
        name: "ticket_rows_uncompressed",
        sql: include_str!("../migrations/0011_ticket_rows_uncompressed.sql"),
    },
];

/// The checksum of a migration's text as written (before the schema is filled in).
fn checksum(sql: &str) -> String {
    Sha256::digest(sql.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Why a migration cannot be applied: a changed applied migration or an unknown newer one.
#[derive(Debug)]
struct MigrationMismatch(String);

impl std::fmt::Display for MigrationMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MigrationMismatch {}

impl PostgresStore {
    /// Creates the schema if it is missing and applies every embedded migration not yet
    /// applied, all in one transaction under an advisory lock of the schema: safe to call
    /// on every start, and from several instances at once. Returns how many migrations it
    /// applied (0 when the schema was up to date).
    ///
    /// # Errors
    /// [`Error::Store`] when the database fails, when an applied migration's checksum no
    /// longer matches the one embedded here (an edited migration), or when the schema
    /// holds a migration this version of the crate does not know (a newer crate migrated
    /// it); nothing is applied then.
    pub async fn migrate(&self) -> Result<usize> {
        let t = self.tables();
        let mut tx = self.pool().begin().await.map_err(db)?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("ticket-store-postgres.migrate.{}", self.schema()))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        // Create the schema only when missing: a host may have made it for a role that
        // may not create schemas.
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
                .bind(self.schema())
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        if !exists {
            sqlx::raw_sql(&format!("CREATE SCHEMA {}", t.schema))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        sqlx::raw_sql(&format!(
            "CREATE TABLE IF NOT EXISTS {table} (
                 version    bigint      NOT NULL PRIMARY KEY,
                 name       text        NOT NULL,
                 checksum   text        NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now()
             );",
            table = t.migrations,
        ))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let applied: BTreeMap<i64, String> = sqlx::query(&format!(
            "SELECT version, checksum FROM {} ORDER BY version",
            t.migrations
        ))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db)?;
        check_applied(&applied)?;
        let mut count = 0;
        for m in MIGRATIONS
            .iter()
            .filter(|m| !applied.contains_key(&m.version))
        {
            sqlx::raw_sql(&m.sql.replace("{schema}", &t.schema))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            sqlx::query(&format!(
                "INSERT INTO {} (version, name, checksum) VALUES ($1, $2, $3)",
                t.migrations
            ))
            .bind(m.version)
            .bind(m.name)
            .bind(checksum(m.sql))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            count += 1;
        }
        tx.commit().await.map_err(db)?;
        Ok(count)
    }
}

/// Refuses applied migrations that changed or that this crate does not know.
fn check_applied(applied: &BTreeMap<i64, String>) -> Result<()> {
    for (version, sum) in applied {
        match MIGRATIONS.iter().find(|m| m.version == *version) {
            Some(m) if checksum(m.sql) == *sum => {}
            Some(m) => {
                return Err(Error::store(MigrationMismatch(format!(
                    "migration {version} ({}) was applied with another checksum: \
                     an applied migration must never change",
                    m.name
                ))))
            }
            None => {
                return Err(Error::store(MigrationMismatch(format!(
                    "migration {version} is applied but unknown to this version of \
                     ticket-store-postgres (a newer version migrated the schema)"
                ))))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_ordered_and_named() {
        assert!(MIGRATIONS.windows(2).all(|w| w[0].version < w[1].version));
        assert!(MIGRATIONS.iter().all(|m| m.sql.contains("{schema}")));
        assert_eq!(checksum("x").len(), 64);
    }

    #[test]
    fn changed_or_unknown_migrations_are_refused() {
        let mut applied = BTreeMap::new();
        applied.insert(1, checksum(MIGRATIONS[0].sql));
        assert!(check_applied(&applied).is_ok());
        applied.insert(1, "edited".to_string());
        assert!(check_applied(&applied).is_err());
        applied.insert(1, checksum(MIGRATIONS[0].sql));
        applied.insert(999, "future".to_string());
        assert!(check_applied(&applied).is_err());
    }
}
