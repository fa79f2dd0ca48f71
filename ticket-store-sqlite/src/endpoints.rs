//! `EndpointStore` for `SqliteStore`: one row per tenant and URL. Every change is one
//! statement in a write transaction (`INSERT … ON CONFLICT (tenant, url) DO UPDATE`), so
//! relay workers never make two rows for one URL, and a disable wins once.

use crate::cursor::{decode_id, encode_id, page_of, page_size};
use crate::rows::{db, micros, opt_instant};
use crate::SqliteStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::Row as _;
use ticket_core::error::{Error, Result};
use ticket_core::id::{EndpointId, TenantId};
use ticket_core::notify::WebhookEndpoint;
use ticket_core::ports::EndpointStore;
use ticket_core::query::Page;
use uuid::Uuid;

/// The columns an endpoint is read from.
const COLUMNS: &str = "id, tenant, url, disabled_at, disabled_reason, failing_since, \
                       last_success_at, last_failure_at, last_error";

/// An endpoint from a row of [`COLUMNS`].
fn endpoint(row: &SqliteRow) -> Result<WebhookEndpoint> {
    let id: Uuid = row.try_get("id").map_err(db)?;
    let tenant: Uuid = row.try_get("tenant").map_err(db)?;
    let at = |column: &str| -> Result<Option<DateTime<Utc>>> {
        opt_instant(row.try_get(column).map_err(db)?)
    };
    Ok(WebhookEndpoint {
        id: EndpointId::from_uuid(id),
        tenant: TenantId::from_uuid(tenant),
        url: row.try_get("url").map_err(db)?,
        disabled_at: at("disabled_at")?,
        disabled_reason: row.try_get("disabled_reason").map_err(db)?,
        failing_since: at("failing_since")?,
        last_success_at: at("last_success_at")?,
        last_failure_at: at("last_failure_at")?,
        last_error: row.try_get("last_error").map_err(db)?,
    })
}

#[async_trait]
impl EndpointStore for SqliteStore {
    async fn record_endpoint_attempt(
        &self,
        tenant: TenantId,
        url: &str,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<WebhookEndpoint> {
        let (success, failure) = match error {
            None => (Some(micros(at)), None),
            Some(_) => (None, Some(micros(at))),
        };
        let sql = format!(
            "INSERT INTO ticket_webhook_endpoints
                 (id, tenant, url, failing_since, last_success_at, last_failure_at, last_error)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (tenant, url) DO UPDATE SET
                 failing_since = CASE WHEN excluded.last_success_at IS NOT NULL THEN NULL
                                      ELSE coalesce(failing_since, excluded.failing_since) END,
                 last_success_at = coalesce(excluded.last_success_at, last_success_at),
                 last_failure_at = coalesce(excluded.last_failure_at, last_failure_at),
                 last_error = coalesce(excluded.last_error, last_error)
             RETURNING {COLUMNS}"
        );
        let mut w = self.write().await?;
        let result = sqlx::query(&sql)
            .bind(EndpointId::new().as_uuid())
            .bind(tenant.as_uuid())
            .bind(url)
            .bind(failure)
            .bind(success)
            .bind(failure)
            .bind(error)
            .fetch_one(&mut *w.tx)
            .await
            .map_err(db)
            .and_then(|row| endpoint(&row));
        w.finish(result).await
    }

    async fn disable_endpoint(
        &self,
        tenant: TenantId,
        url: &str,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<bool> {
        let mut w = self.write().await?;
        let result = sqlx::query(
            "INSERT INTO ticket_webhook_endpoints (id, tenant, url, disabled_at, disabled_reason)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (tenant, url) DO UPDATE SET
                 disabled_at = excluded.disabled_at, disabled_reason = excluded.disabled_reason
             WHERE disabled_at IS NULL",
        )
        .bind(EndpointId::new().as_uuid())
        .bind(tenant.as_uuid())
        .bind(url)
        .bind(micros(at))
        .bind(reason)
        .execute(&mut *w.tx)
        .await
        .map(|done| done.rows_affected() > 0)
        .map_err(db);
        w.finish(result).await
    }

    async fn enable_endpoint(&self, tenant: TenantId, id: EndpointId) -> Result<WebhookEndpoint> {
        let sql = format!(
            "UPDATE ticket_webhook_endpoints
             SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL
             WHERE id = ? AND tenant = ?
             RETURNING {COLUMNS}"
        );
        let mut w = self.write().await?;
        let result = sqlx::query(&sql)
            .bind(id.as_uuid())
            .bind(tenant.as_uuid())
            .fetch_optional(&mut *w.tx)
            .await
            .map_err(db)
            .and_then(|row| match row {
                Some(row) => endpoint(&row),
                None => Err(Error::not_found("endpoint")),
            });
        w.finish(result).await
    }

    async fn find_endpoint(&self, tenant: TenantId, url: &str) -> Result<Option<WebhookEndpoint>> {
        let sql =
            format!("SELECT {COLUMNS} FROM ticket_webhook_endpoints WHERE tenant = ? AND url = ?");
        sqlx::query(&sql)
            .bind(tenant.as_uuid())
            .bind(url)
            .fetch_optional(self.pool())
            .await
            .map_err(db)?
            .as_ref()
            .map(endpoint)
            .transpose()
    }

    async fn list_endpoints(
        &self,
        tenant: TenantId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<WebhookEndpoint>> {
        let after = cursor.map(decode_id).transpose()?;
        let size = page_size(limit);
        let sql = format!(
            "SELECT {COLUMNS} FROM ticket_webhook_endpoints
             WHERE tenant = ? AND (? IS NULL OR id > ?)
             ORDER BY id LIMIT ?"
        );
        let items = sqlx::query(&sql)
            .bind(tenant.as_uuid())
            .bind(after)
            .bind(after)
            .bind(i64::from(size) + 1)
            .fetch_all(self.pool())
            .await
            .map_err(db)?
            .iter()
            .map(endpoint)
            .collect::<Result<Vec<_>>>()?;
        Ok(page_of(items, size, |e| encode_id(e.id.as_uuid())))
    }
}
