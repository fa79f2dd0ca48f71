//! `ShiftStore` for `SqliteStore`: schedules as one document per agent, shift records
//! as rows (their breaks in the document) with at most one open shift per agent.

use crate::rows::{db, from_doc, is_unique, micros, to_doc, version};
use crate::SqliteStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use ticket_core::id::{TenantId, UserId};
use ticket_core::ports::{ShiftStore, MAX_SHIFTS_LISTED};
use ticket_core::workforce::{ShiftRecord, ShiftSchedule, Span};
use ticket_core::{Error, Result};

/// `next` must be `expected + 1`.
fn check_next(expected: u64, next: u64) -> Result<()> {
    if expected.checked_add(1) == Some(next) {
        Ok(())
    } else {
        Err(Error::invalid(
            "version",
            "must be the expected version + 1",
        ))
    }
}

/// The stored version of a row keyed by `key_sql` (`NotFound` when absent).
async fn stored_version(
    conn: &mut SqliteConnection,
    sql: &str,
    tenant: TenantId,
    key: uuid::Uuid,
    entity: &'static str,
) -> Result<i64> {
    sqlx::query_scalar(sql)
        .bind(tenant.as_uuid())
        .bind(key)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .ok_or_else(|| Error::not_found(entity))
}

async fn save_schedule_in(
    conn: &mut SqliteConnection,
    s: &ShiftSchedule,
    expected: Option<u64>,
) -> Result<()> {
    let doc = to_doc(s)?;
    match expected {
        None => {
            let written = sqlx::query(
                "INSERT INTO ticket_shift_schedules (tenant, user_id, version, doc)
                 VALUES (?, ?, ?, ?)",
            )
            .bind(s.tenant.as_uuid())
            .bind(s.user.as_uuid())
            .bind(version(s.version)?)
            .bind(doc)
            .execute(&mut *conn)
            .await;
            match written {
                Ok(_) => Ok(()),
                Err(e) if is_unique(&e) => Err(Error::unique("user")),
                Err(e) => Err(db(e)),
            }
        }
        Some(expected) => {
            check_next(expected, s.version)?;
            let stored = stored_version(
                conn,
                "SELECT version FROM ticket_shift_schedules WHERE tenant = ? AND user_id = ?",
                s.tenant,
                s.user.as_uuid(),
                "schedule",
            )
            .await?;
            if stored != version(expected)? {
                return Err(Error::version_conflict(expected));
            }
            sqlx::query(
                "UPDATE ticket_shift_schedules SET version = ?, doc = ?
                 WHERE tenant = ? AND user_id = ?",
            )
            .bind(version(s.version)?)
            .bind(doc)
            .bind(s.tenant.as_uuid())
            .bind(s.user.as_uuid())
            .execute(&mut *conn)
            .await
            .map_err(db)?;
            Ok(())
        }
    }
}

async fn save_shift_in(
    conn: &mut SqliteConnection,
    r: &ShiftRecord,
    expected: Option<u64>,
) -> Result<()> {
    let doc = to_doc(r)?;
    match expected {
        None => {
            let written = sqlx::query(
                "INSERT INTO ticket_shifts (id, tenant, user_id, started_at, ended_at, version, doc)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(r.id.as_uuid())
            .bind(r.tenant.as_uuid())
            .bind(r.user.as_uuid())
            .bind(micros(r.started_at))
            .bind(r.ended_at.map(micros))
            .bind(version(r.version)?)
            .bind(doc)
            .execute(&mut *conn)
            .await;
            match written {
                Ok(_) => Ok(()),
                Err(e) if is_unique(&e) => {
                    let taken: Option<i64> =
                        sqlx::query_scalar("SELECT 1 FROM ticket_shifts WHERE id = ?")
                            .bind(r.id.as_uuid())
                            .fetch_optional(&mut *conn)
                            .await
                            .map_err(db)?;
                    Err(Error::unique(if taken.is_some() {
                        "id"
                    } else {
                        "open_shift"
                    }))
                }
                Err(e) => Err(db(e)),
            }
        }
        Some(expected) => {
            check_next(expected, r.version)?;
            let row: Option<(i64, uuid::Uuid)> = sqlx::query_as(
                "SELECT version, user_id FROM ticket_shifts WHERE tenant = ? AND id = ?",
            )
            .bind(r.tenant.as_uuid())
            .bind(r.id.as_uuid())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
            let (stored, user) = row.ok_or_else(|| Error::not_found("shift"))?;
            if stored != version(expected)? {
                return Err(Error::version_conflict(expected));
            }
            if user != r.user.as_uuid() {
                return Err(Error::invalid("user", "a shift keeps its agent"));
            }
            sqlx::query(
                "UPDATE ticket_shifts SET ended_at = ?, version = ?, doc = ?
                 WHERE tenant = ? AND id = ?",
            )
            .bind(r.ended_at.map(micros))
            .bind(version(r.version)?)
            .bind(doc)
            .bind(r.tenant.as_uuid())
            .bind(r.id.as_uuid())
            .execute(&mut *conn)
            .await
            .map_err(|e| {
                if is_unique(&e) {
                    Error::unique("open_shift")
                } else {
                    db(e)
                }
            })?;
            Ok(())
        }
    }
}

fn docs<T: serde::de::DeserializeOwned>(rows: &[sqlx::sqlite::SqliteRow]) -> Result<Vec<T>> {
    rows.iter().map(|row| from_doc(row, "doc")).collect()
}

#[async_trait]
impl ShiftStore for SqliteStore {
    async fn save_schedule(
        &self,
        schedule: &ShiftSchedule,
        expected_version: Option<u64>,
    ) -> Result<()> {
        let mut w = self.write().await?;
        let result = save_schedule_in(&mut w.tx, schedule, expected_version).await;
        w.finish(result).await
    }

    async fn get_schedule(&self, tenant: TenantId, user: UserId) -> Result<Option<ShiftSchedule>> {
        let row =
            sqlx::query("SELECT doc FROM ticket_shift_schedules WHERE tenant = ? AND user_id = ?")
                .bind(tenant.as_uuid())
                .bind(user.as_uuid())
                .fetch_optional(self.pool())
                .await
                .map_err(db)?;
        row.map(|row| from_doc(&row, "doc")).transpose()
    }

    async fn list_schedules(
        &self,
        tenant: TenantId,
        users: &[UserId],
    ) -> Result<Vec<ShiftSchedule>> {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "SELECT doc FROM ticket_shift_schedules WHERE tenant = ",
        );
        q.push_bind(tenant.as_uuid());
        if !users.is_empty() {
            q.push(" AND user_id IN (");
            let mut list = q.separated(", ");
            for u in users {
                list.push_bind(u.as_uuid());
            }
            q.push(")");
        }
        q.push(" ORDER BY user_id");
        let rows = q.build().fetch_all(self.pool()).await.map_err(db)?;
        docs(&rows)
    }

    async fn save_shift(&self, record: &ShiftRecord, expected_version: Option<u64>) -> Result<()> {
        let mut w = self.write().await?;
        let result = save_shift_in(&mut w.tx, record, expected_version).await;
        w.finish(result).await
    }

    async fn open_shift(&self, tenant: TenantId, user: UserId) -> Result<Option<ShiftRecord>> {
        let row = sqlx::query(
            "SELECT doc FROM ticket_shifts
             WHERE tenant = ? AND user_id = ? AND ended_at IS NULL",
        )
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        row.map(|row| from_doc(&row, "doc")).transpose()
    }

    async fn list_shifts(
        &self,
        tenant: TenantId,
        user: Option<UserId>,
        range: Span,
        limit: u32,
    ) -> Result<Vec<ShiftRecord>> {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "SELECT doc FROM ticket_shifts WHERE tenant = ",
        );
        q.push_bind(tenant.as_uuid());
        if let Some(user) = user {
            q.push(" AND user_id = ").push_bind(user.as_uuid());
        }
        q.push(" AND started_at < ")
            .push_bind(micros(range.end))
            .push(" AND (ended_at IS NULL OR ended_at > ")
            .push_bind(micros(range.start))
            .push(") ORDER BY started_at, id LIMIT ")
            .push_bind(i64::from(limit.min(MAX_SHIFTS_LISTED)));
        let rows = q.build().fetch_all(self.pool()).await.map_err(db)?;
        docs(&rows)
    }

    async fn open_shifts(
        &self,
        started_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ShiftRecord>> {
        let rows = sqlx::query(
            "SELECT doc FROM ticket_shifts WHERE ended_at IS NULL AND started_at < ?
             ORDER BY started_at, id LIMIT ?",
        )
        .bind(micros(started_before))
        .bind(i64::from(limit.min(MAX_SHIFTS_LISTED)))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        docs(&rows)
    }
}
