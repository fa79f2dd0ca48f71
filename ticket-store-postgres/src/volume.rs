//! `VolumeStore` for `PostgresStore`: hourly counts by `GROUP BY` over the
//! `tickets_created` index, and the handle time by one aggregate reading the first-reply
//! instant from the ticket documents of the window (it has no column of its own; the
//! window is bounded by the caller).

use crate::connect::PostgresStore;
use crate::errors::db;
use crate::rows::{count, get};
use async_trait::async_trait;
use chrono::DateTime;
use sqlx::{Postgres, QueryBuilder};
use ticket_core::error::{Error, Result};
use ticket_core::id::TenantId;
use ticket_core::ports::{HandleTime, HourlyCount, VolumeQuery, VolumeStore};

/// Pushes `tenant = $… AND …` for the scope of `query`.
fn push_scope(q: &mut QueryBuilder<'_, Postgres>, tenant: TenantId, query: &VolumeQuery) {
    q.push("tenant = ").push_bind(tenant.as_uuid());
    q.push(" AND created_at >= ").push_bind(query.from);
    q.push(" AND created_at < ").push_bind(query.to);
    if let Some(team) = query.team {
        q.push(" AND team = ").push_bind(team.as_uuid());
    }
    if let Some(category) = &query.category {
        q.push(" AND category = ")
            .push_bind(category.as_str().to_string());
    }
}

#[async_trait]
impl VolumeStore for PostgresStore {
    async fn hourly_created(
        &self,
        tenant: TenantId,
        query: &VolumeQuery,
    ) -> Result<Vec<HourlyCount>> {
        // hours since the epoch: independent of the session's time zone
        let mut q = QueryBuilder::new(format!(
            "SELECT floor(extract(epoch FROM created_at) / 3600)::bigint AS h, count(*) AS n \
             FROM {} WHERE ",
            self.tables().tickets
        ));
        push_scope(&mut q, tenant, query);
        q.push(" GROUP BY h ORDER BY h");
        let rows = q.build().fetch_all(self.pool()).await.map_err(db)?;
        rows.iter()
            .map(|row| {
                let hour: i64 = get(row, "h")?;
                let n: i64 = get(row, "n")?;
                let hour = DateTime::from_timestamp(hour.saturating_mul(3600), 0)
                    .ok_or_else(|| Error::Store("an hour out of range".into()))?;
                Ok(HourlyCount {
                    hour,
                    tickets: count(n),
                })
            })
            .collect()
    }

    async fn handle_time(&self, tenant: TenantId, query: &VolumeQuery) -> Result<HandleTime> {
        let mut q = QueryBuilder::new(format!(
            "SELECT count(*) AS n, avg(extract(epoch FROM answered - assigned_at))::float8 AS mean \
             FROM (SELECT assigned_at, (doc->>'first_response_at')::timestamptz AS answered \
                   FROM {} WHERE assigned_at IS NOT NULL AND ",
            self.tables().tickets
        ));
        push_scope(&mut q, tenant, query);
        q.push(") s WHERE answered IS NOT NULL AND answered >= assigned_at");
        let row = q.build().fetch_one(self.pool()).await.map_err(db)?;
        let n: i64 = get(&row, "n")?;
        let mean: Option<f64> = get(&row, "mean")?;
        Ok(HandleTime {
            tickets: count(n),
            mean_secs: mean,
        })
    }
}
