//! `VolumeStore` for `SqliteStore`: hourly counts by `GROUP BY` over the covering
//! `ticket_tickets_created` index, and the handle time by one aggregate that reads the
//! first-reply instant from the ticket documents of the window (it has no column of its
//! own; the window is bounded by the caller).

use crate::rows::{count, db, instant, micros_ceil};
use crate::SqliteStore;
use async_trait::async_trait;
use sqlx::{QueryBuilder, Row as _, Sqlite};
use ticket_core::error::Result;
use ticket_core::id::TenantId;
use ticket_core::ports::{HandleTime, HourlyCount, VolumeQuery, VolumeStore};

/// Microseconds in an hour.
const HOUR_US: i64 = 3_600_000_000;

/// Pushes `t.tenant = ? AND …` for the scope of `query`.
fn push_scope(q: &mut QueryBuilder<'_, Sqlite>, tenant: TenantId, query: &VolumeQuery) {
    q.push("t.tenant = ").push_bind(tenant.as_uuid());
    q.push(" AND t.created_at >= ")
        .push_bind(micros_ceil(query.from));
    q.push(" AND t.created_at < ")
        .push_bind(micros_ceil(query.to));
    if let Some(team) = query.team {
        q.push(" AND t.team = ").push_bind(team.as_uuid());
    }
    if let Some(category) = &query.category {
        q.push(" AND t.category = ")
            .push_bind(category.as_str().to_string());
    }
}

#[async_trait]
impl VolumeStore for SqliteStore {
    async fn hourly_created(
        &self,
        tenant: TenantId,
        query: &VolumeQuery,
    ) -> Result<Vec<HourlyCount>> {
        // floor division: SQLite's `/` truncates toward zero
        let mut q = QueryBuilder::new(format!(
            "SELECT t.created_at / {HOUR_US} - (t.created_at % {HOUR_US} < 0) AS h, count(*) AS n \
             FROM ticket_tickets t WHERE "
        ));
        push_scope(&mut q, tenant, query);
        q.push(" GROUP BY h ORDER BY h");
        let rows = q.build().fetch_all(self.pool()).await.map_err(db)?;
        rows.iter()
            .map(|row| {
                let hour: i64 = row.try_get("h").map_err(db)?;
                let n: i64 = row.try_get("n").map_err(db)?;
                Ok(HourlyCount {
                    hour: instant(hour.saturating_mul(HOUR_US))?,
                    tickets: count(n),
                })
            })
            .collect()
    }

    async fn handle_time(&self, tenant: TenantId, query: &VolumeQuery) -> Result<HandleTime> {
        // julianday() reads the RFC 3339 instant of the document; 2440587.5 is the Julian
        // day of the Unix epoch
        let mut q = QueryBuilder::new(
            "SELECT count(*) AS n, avg(answered - assigned_at) AS mean_us FROM (\
             SELECT t.assigned_at, CAST(round((julianday(json_extract(d.doc, '$.first_response_at')) \
             - 2440587.5) * 86400000000.0) AS INTEGER) AS answered \
             FROM ticket_tickets t JOIN ticket_ticket_docs d ON d.seq = t.seq \
             WHERE t.assigned_at IS NOT NULL AND ",
        );
        push_scope(&mut q, tenant, query);
        q.push(") WHERE answered IS NOT NULL AND answered >= assigned_at");
        let row = q.build().fetch_one(self.pool()).await.map_err(db)?;
        let n: i64 = row.try_get("n").map_err(db)?;
        let mean_us: Option<f64> = row.try_get("mean_us").map_err(db)?;
        Ok(HandleTime {
            tickets: count(n),
            mean_secs: mean_us.map(|us| us / 1e6),
        })
    }
}
