//! `ShiftStore` for `PostgresStore`: schedules as one document per agent, shift records
//! as rows (their breaks in the document) with at most one open shift per agent (the
//! partial unique index `shifts_one_open`).

use crate::connect::PostgresStore;
use crate::errors::{db, doc};
use crate::rows;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ticket_core::id::{TenantId, UserId};
use ticket_core::ports::{ShiftStore, MAX_SHIFTS_LISTED};
use ticket_core::workforce::{ShiftRecord, ShiftSchedule, Span};
use ticket_core::{Error, Result};
use uuid::Uuid;

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

impl PostgresStore {
    /// After a versioned update wrote nothing: `NotFound` or a version conflict.
    async fn missed_update(
        &self,
        table: &str,
        key: &str,
        tenant: TenantId,
        id: Uuid,
        expected: u64,
        entity: &'static str,
    ) -> Error {
        let found: std::result::Result<Option<i64>, _> = sqlx::query_scalar(&format!(
            "SELECT version FROM {table} WHERE tenant = $1 AND {key} = $2"
        ))
        .bind(tenant.as_uuid())
        .bind(id)
        .fetch_optional(self.pool())
        .await;
        match found {
            Ok(None) => Error::not_found(entity),
            Ok(Some(_)) => Error::version_conflict(expected),
            Err(e) => db(e),
        }
    }
}

#[async_trait]
impl ShiftStore for PostgresStore {
    async fn save_schedule(
        &self,
        schedule: &ShiftSchedule,
        expected_version: Option<u64>,
    ) -> Result<()> {
        let table = &self.tables().shift_schedules;
        let body = doc("schedule", schedule)?;
        let v = rows::version(schedule.version)?;
        match expected_version {
            None => {
                sqlx::query(&format!(
                    "INSERT INTO {table} (tenant, user_id, version, doc) VALUES ($1, $2, $3, $4)"
                ))
                .bind(schedule.tenant.as_uuid())
                .bind(schedule.user.as_uuid())
                .bind(v)
                .bind(body)
                .execute(self.pool())
                .await
                .map_err(db)?;
                Ok(())
            }
            Some(expected) => {
                check_next(expected, schedule.version)?;
                let done = sqlx::query(&format!(
                    "UPDATE {table} SET version = $3, doc = $4
                     WHERE tenant = $1 AND user_id = $2 AND version = $5"
                ))
                .bind(schedule.tenant.as_uuid())
                .bind(schedule.user.as_uuid())
                .bind(v)
                .bind(body)
                .bind(rows::version(expected)?)
                .execute(self.pool())
                .await
                .map_err(db)?;
                if rows::affected(&done) == 1 {
                    return Ok(());
                }
                Err(self
                    .missed_update(
                        table,
                        "user_id",
                        schedule.tenant,
                        schedule.user.as_uuid(),
                        expected,
                        "schedule",
                    )
                    .await)
            }
        }
    }

    async fn get_schedule(&self, tenant: TenantId, user: UserId) -> Result<Option<ShiftSchedule>> {
        let row = sqlx::query(&format!(
            "SELECT doc FROM {} WHERE tenant = $1 AND user_id = $2",
            self.tables().shift_schedules
        ))
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        row.map(|row| rows::doc(&row, "doc")).transpose()
    }

    async fn list_schedules(
        &self,
        tenant: TenantId,
        users: &[UserId],
    ) -> Result<Vec<ShiftSchedule>> {
        let ids: Vec<Uuid> = users.iter().map(UserId::as_uuid).collect();
        let found = sqlx::query(&format!(
            "SELECT doc FROM {} WHERE tenant = $1 AND (cardinality($2::uuid[]) = 0
                 OR user_id = ANY($2)) ORDER BY user_id",
            self.tables().shift_schedules
        ))
        .bind(tenant.as_uuid())
        .bind(&ids)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows::docs(&found)
    }

    async fn save_shift(&self, record: &ShiftRecord, expected_version: Option<u64>) -> Result<()> {
        let table = &self.tables().shifts;
        let body = doc("shift", record)?;
        let v = rows::version(record.version)?;
        match expected_version {
            None => {
                sqlx::query(&format!(
                    "INSERT INTO {table} (id, tenant, user_id, started_at, ended_at, version, doc)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)"
                ))
                .bind(record.id.as_uuid())
                .bind(record.tenant.as_uuid())
                .bind(record.user.as_uuid())
                .bind(record.started_at)
                .bind(record.ended_at)
                .bind(v)
                .bind(body)
                .execute(self.pool())
                .await
                .map_err(db)?;
                Ok(())
            }
            Some(expected) => {
                check_next(expected, record.version)?;
                let done = sqlx::query(&format!(
                    "UPDATE {table} SET ended_at = $3, version = $4, doc = $5
                     WHERE tenant = $1 AND id = $2 AND version = $6 AND user_id = $7"
                ))
                .bind(record.tenant.as_uuid())
                .bind(record.id.as_uuid())
                .bind(record.ended_at)
                .bind(v)
                .bind(body)
                .bind(rows::version(expected)?)
                .bind(record.user.as_uuid())
                .execute(self.pool())
                .await
                .map_err(db)?;
                if rows::affected(&done) == 1 {
                    return Ok(());
                }
                Err(self
                    .missed_update(
                        table,
                        "id",
                        record.tenant,
                        record.id.as_uuid(),
                        expected,
                        "shift",
                    )
                    .await)
            }
        }
    }

    async fn open_shift(&self, tenant: TenantId, user: UserId) -> Result<Option<ShiftRecord>> {
        let row = sqlx::query(&format!(
            "SELECT doc FROM {} WHERE tenant = $1 AND user_id = $2 AND ended_at IS NULL",
            self.tables().shifts
        ))
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        row.map(|row| rows::doc(&row, "doc")).transpose()
    }

    async fn list_shifts(
        &self,
        tenant: TenantId,
        user: Option<UserId>,
        range: Span,
        limit: u32,
    ) -> Result<Vec<ShiftRecord>> {
        let found = sqlx::query(&format!(
            "SELECT doc FROM {} WHERE tenant = $1 AND ($2::uuid IS NULL OR user_id = $2)
               AND started_at < $3 AND (ended_at IS NULL OR ended_at > $4)
             ORDER BY started_at, id LIMIT $5",
            self.tables().shifts
        ))
        .bind(tenant.as_uuid())
        .bind(user.map(|u| u.as_uuid()))
        .bind(range.end)
        .bind(range.start)
        .bind(i64::from(limit.min(MAX_SHIFTS_LISTED)))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows::docs(&found)
    }

    async fn open_shifts(
        &self,
        started_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ShiftRecord>> {
        let found = sqlx::query(&format!(
            "SELECT doc FROM {} WHERE ended_at IS NULL AND started_at < $1
             ORDER BY started_at, id LIMIT $2",
            self.tables().shifts
        ))
        .bind(started_before)
        .bind(i64::from(limit.min(MAX_SHIFTS_LISTED)))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows::docs(&found)
    }
}
