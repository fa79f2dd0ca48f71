//! `EndpointStore` for `PostgresStore`: one row per tenant and URL. Every change is one
//! statement (`INSERT … ON CONFLICT (tenant, url) DO UPDATE`, which locks the row it
//! updates), so relay instances never make two rows for one URL, and a disable wins once.

use crate::connect::PostgresStore;
use crate::errors::db;
use crate::rows::{decode_id_cursor, encode_id_cursor, look_ahead, page_of, page_size};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::Row as _;
use ticket_core::id::{EndpointId, TenantId};
use ticket_core::notify::WebhookEndpoint;
use ticket_core::ports::EndpointStore;
use ticket_core::query::Page;
use ticket_core::{Error, Result};
use uuid::Uuid;

/// The columns an endpoint is read from.
const COLUMNS: &str = "id, tenant, url, disabled_at, disabled_reason, failing_since, \
                       last_success_at, last_failure_at, last_error";

/// An endpoint from a row of [`COLUMNS`].
fn endpoint(row: &PgRow) -> Result<WebhookEndpoint> {
    let id: Uuid = row.try_get("id").map_err(db)?;
    let tenant: Uuid = row.try_get("tenant").map_err(db)?;
    Ok(WebhookEndpoint {
        id: EndpointId::from_uuid(id),
        tenant: TenantId::from_uuid(tenant),
        url: row.try_get("url").map_err(db)?,
        disabled_at: row.try_get("disabled_at").map_err(db)?,
        disabled_reason: row.try_get("disabled_reason").map_err(db)?,
        failing_since: row.try_get("failing_since").map_err(db)?,
        last_success_at: row.try_get("last_success_at").map_err(db)?,
        last_failure_at: row.try_get("last_failure_at").map_err(db)?,
        last_error: row.try_get("last_error").map_err(db)?,
    })
}

#[async_trait]
impl EndpointStore for PostgresStore {
    async fn record_endpoint_attempt(
        &self,
        tenant: TenantId,
        url: &str,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<WebhookEndpoint> {
        let (success, failure) = match error {
            None => (Some(at), None),
            Some(_) => (None, Some(at)),
        };
        let sql = format!(
            "INSERT INTO {} AS e
                 (id, tenant, url, failing_since, last_success_at, last_failure_at, last_error)
             VALUES ($1, $2, $3, $4, $5, $4, $6)
             ON CONFLICT (tenant, url) DO UPDATE SET
                 failing_since = CASE WHEN excluded.last_success_at IS NOT NULL THEN NULL
                                      ELSE coalesce(e.failing_since, excluded.failing_since) END,
                 last_success_at = coalesce(excluded.last_success_at, e.last_success_at),
                 last_failure_at = coalesce(excluded.last_failure_at, e.last_failure_at),
                 last_error = coalesce(excluded.last_error, e.last_error)
             RETURNING {COLUMNS}",
            self.tables().endpoints
        );
        let row = sqlx::query(&sql)
            .bind(EndpointId::new().as_uuid())
            .bind(tenant.as_uuid())
            .bind(url)
            .bind(failure)
            .bind(success)
            .bind(error)
            .fetch_one(self.pool())
            .await
            .map_err(db)?;
        endpoint(&row)
    }

    async fn disable_endpoint(
        &self,
        tenant: TenantId,
        url: &str,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<bool> {
        let sql = format!(
            "INSERT INTO {} AS e (id, tenant, url, disabled_at, disabled_reason)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant, url) DO UPDATE SET
                 disabled_at = excluded.disabled_at, disabled_reason = excluded.disabled_reason
             WHERE e.disabled_at IS NULL",
            self.tables().endpoints
        );
        let done = sqlx::query(&sql)
            .bind(EndpointId::new().as_uuid())
            .bind(tenant.as_uuid())
            .bind(url)
            .bind(at)
            .bind(reason)
            .execute(self.pool())
            .await
            .map_err(db)?;
        Ok(done.rows_affected() > 0)
    }

    async fn enable_endpoint(&self, tenant: TenantId, id: EndpointId) -> Result<WebhookEndpoint> {
        let sql = format!(
            "UPDATE {} SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL
             WHERE id = $1 AND tenant = $2
             RETURNING {COLUMNS}",
            self.tables().endpoints
        );
        let row = sqlx::query(&sql)
            .bind(id.as_uuid())
            .bind(tenant.as_uuid())
            .fetch_optional(self.pool())
            .await
            .map_err(db)?
            .ok_or_else(|| Error::not_found("endpoint"))?;
        endpoint(&row)
    }

    async fn find_endpoint(&self, tenant: TenantId, url: &str) -> Result<Option<WebhookEndpoint>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM {} WHERE tenant = $1 AND url = $2",
            self.tables().endpoints
        );
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
        let after = cursor.map(decode_id_cursor).transpose()?;
        let size = page_size(limit);
        let sql = format!(
            "SELECT {COLUMNS} FROM {}
             WHERE tenant = $1 AND ($2::uuid IS NULL OR id > $2)
             ORDER BY id LIMIT $3",
            self.tables().endpoints
        );
        let items = sqlx::query(&sql)
            .bind(tenant.as_uuid())
            .bind(after)
            .bind(look_ahead(size))
            .fetch_all(self.pool())
            .await
            .map_err(db)?
            .iter()
            .map(endpoint)
            .collect::<Result<Vec<_>>>()?;
        Ok(page_of(items, size, |e| encode_id_cursor(e.id.as_uuid())))
    }
}
