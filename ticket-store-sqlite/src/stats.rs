//! `TicketStore::stats` by SQL aggregation (`GROUP BY` over the narrow ticket rows), read
//! in one transaction (one snapshot), never loading tickets.

use crate::rows::{count, db, instant, micros_ceil};
use sqlx::{QueryBuilder, Row as _, Sqlite, SqlitePool};
use ticket_core::error::Result;
use ticket_core::id::{TenantId, UserId};
use ticket_core::query::{days_spanned, AgentLoadStat, Stats, StatsQuery};
use ticket_core::ticket::Priority;
use uuid::Uuid;

/// `SELECT <what> FROM ticket_tickets WHERE <the scope of query>`, ready for more.
fn scoped<'a>(what: &str, tenant: TenantId, query: &StatsQuery) -> QueryBuilder<'a, Sqlite> {
    let mut q = QueryBuilder::new(format!("SELECT {what} FROM ticket_tickets WHERE tenant = "));
    q.push_bind(tenant.as_uuid());
    if let Some(from) = query.from {
        q.push(" AND created_at >= ").push_bind(micros_ceil(from));
    }
    if let Some(to) = query.to {
        q.push(" AND created_at < ").push_bind(micros_ceil(to));
    }
    if let Some(team) = query.team {
        q.push(" AND team = ").push_bind(team.as_uuid());
    }
    q
}

/// Names a priority rank as the breakdown does.
fn priority_name(rank: i64) -> String {
    u8::try_from(rank)
        .ok()
        .and_then(Priority::from_rank)
        .map_or_else(|| rank.to_string(), |p| p.as_str().to_string())
}

/// Statistics of the tenant's tickets in the query's window and team: one pass grouped by
/// (status, priority, category) for the totals, breakdowns, SLA outcomes and time span,
/// one grouped by assignee for the load, both in one read transaction.
pub(crate) async fn stats(
    pool: &SqlitePool,
    tenant: TenantId,
    query: &StatsQuery,
) -> Result<Stats> {
    let mut tx = pool.begin().await.map_err(db)?;
    let groups = scoped(
        "status, priority, category,
         count(*) AS total,
         sum(is_open) AS open,
         min(created_at) AS first,
         max(created_at) AS last,
         sum(CASE WHEN sla_breached = 1 THEN 1 ELSE 0 END) AS breached,
         sum(CASE WHEN sla_breached = 0 AND status_category IN ('solved', 'closed')
             THEN 1 ELSE 0 END) AS met,
         sum(CASE WHEN sla_breached = 0 AND is_open = 1 AND sla_at_risk = 1
             THEN 1 ELSE 0 END) AS at_risk",
        tenant,
        query,
    )
    .push(" GROUP BY status, priority, category")
    .build()
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    if groups.is_empty() {
        return Ok(Stats::default());
    }
    let mut stats = Stats::default();
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    for g in &groups {
        let n = count(g.try_get("total").map_err(db)?);
        stats.total += n;
        stats.open += count(g.try_get("open").map_err(db)?);
        stats.sla.breached += count(g.try_get("breached").map_err(db)?);
        stats.sla.met += count(g.try_get("met").map_err(db)?);
        stats.sla.at_risk += count(g.try_get("at_risk").map_err(db)?);
        first = first.min(g.try_get("first").map_err(db)?);
        last = last.max(g.try_get("last").map_err(db)?);
        let status: String = g.try_get("status").map_err(db)?;
        let priority: i64 = g.try_get("priority").map_err(db)?;
        let category: String = g.try_get("category").map_err(db)?;
        *stats.by_status.entry(status).or_default() += n;
        *stats
            .by_priority
            .entry(priority_name(priority))
            .or_default() += n;
        *stats.by_category.entry(category).or_default() += n;
    }
    let days = days_spanned(
        query.from.map_or_else(|| instant(first), Ok)?,
        query.to.map_or_else(|| instant(last), Ok)?,
    );
    stats.average_per_day = stats.total as f64 / days as f64;

    let mut q = scoped("assignee, count(*) AS n", tenant, query);
    q.push(" AND is_open = 1 AND assignee IS NOT NULL GROUP BY assignee ORDER BY n DESC, assignee");
    for row in q.build().fetch_all(&mut *tx).await.map_err(db)? {
        let user: Uuid = row.try_get("assignee").map_err(db)?;
        let n: i64 = row.try_get("n").map_err(db)?;
        stats.agent_load.push(AgentLoadStat {
            user_id: UserId::from_uuid(user),
            open: count(n),
        });
    }
    tx.commit().await.map_err(db)?;
    Ok(stats)
}
