//! `TicketStore::stats` by SQL aggregation: one summary row, three `GROUP BY`s and the
//! open load per assignee, read in one transaction (one snapshot), never loading tickets.
//! Each reads a covering index of the narrow ticket rows: the summary the wide
//! `ticket_tickets_created`, each breakdown the index that starts with its column (so the
//! groups come in order, without a sort).

use crate::rows::{count, db, instant, micros_ceil};
use sqlx::sqlite::SqliteConnection;
use sqlx::{QueryBuilder, Row as _, Sqlite, SqlitePool};
use std::collections::BTreeMap;
use ticket_core::error::Result;
use ticket_core::id::{TenantId, UserId};
use ticket_core::query::{
    days_spanned, AgentLoadStat, DeflectionStats, SlaStats, Stats, StatsQuery,
};
use ticket_core::ticket::Priority;
use uuid::Uuid;

/// `SELECT <what> FROM ticket_tickets WHERE <the scope of query>`, ready for more.
fn scoped<'a>(what: &str, tenant: TenantId, query: &StatsQuery) -> QueryBuilder<'a, Sqlite> {
    let mut q = QueryBuilder::new(format!("SELECT {what} FROM ticket_tickets WHERE "));
    push_scope(&mut q, tenant, query);
    q
}

/// Pushes the conditions of the scope of `query` (`tenant = ? AND …`) onto `q`.
fn push_scope(q: &mut QueryBuilder<'_, Sqlite>, tenant: TenantId, query: &StatsQuery) {
    q.push("tenant = ").push_bind(tenant.as_uuid());
    if let Some(from) = query.from {
        q.push(" AND created_at >= ").push_bind(micros_ceil(from));
    }
    if let Some(to) = query.to {
        q.push(" AND created_at < ").push_bind(micros_ceil(to));
    }
    if let Some(team) = query.team {
        q.push(" AND team = ").push_bind(team.as_uuid());
    }
}

/// Counts per value of `column` (read as text by `key`).
async fn breakdown(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    query: &StatsQuery,
    column: &str,
    key: impl Fn(&sqlx::sqlite::SqliteRow) -> Result<String>,
) -> Result<BTreeMap<String, u64>> {
    let mut q = scoped(&format!("{column} AS k, count(*) AS n"), tenant, query);
    q.push(" GROUP BY ").push(column);
    let mut out = BTreeMap::new();
    for row in q.build().fetch_all(&mut *conn).await.map_err(db)? {
        let n: i64 = row.try_get("n").map_err(db)?;
        out.insert(key(&row)?, count(n));
    }
    Ok(out)
}

/// Reads column `k` as text.
fn text_key(row: &sqlx::sqlite::SqliteRow) -> Result<String> {
    row.try_get("k").map_err(db)
}

/// Reads column `k` as a priority rank and names it.
fn priority_key(row: &sqlx::sqlite::SqliteRow) -> Result<String> {
    let rank: i64 = row.try_get("k").map_err(db)?;
    let name = u8::try_from(rank)
        .ok()
        .and_then(Priority::from_rank)
        .map_or_else(|| rank.to_string(), |p| p.as_str().to_string());
    Ok(name)
}

/// Statistics of the tenant's tickets in the query's window and team.
pub(crate) async fn stats(
    pool: &SqlitePool,
    tenant: TenantId,
    query: &StatsQuery,
) -> Result<Stats> {
    let mut tx = pool.begin().await.map_err(db)?;
    let conn = &mut *tx;
    let summary = scoped(
        "count(*) AS total,
         coalesce(sum(is_open), 0) AS open,
         min(created_at) AS first,
         max(created_at) AS last,
         coalesce(sum(CASE WHEN sla_breached = 1 THEN 1 ELSE 0 END), 0) AS breached,
         coalesce(sum(CASE WHEN sla_breached = 0 AND status_category IN ('solved', 'closed')
                      THEN 1 ELSE 0 END), 0) AS met,
         coalesce(sum(CASE WHEN sla_breached = 0 AND is_open = 1 AND sla_at_risk = 1
                      THEN 1 ELSE 0 END), 0) AS at_risk",
        tenant,
        query,
    )
    .build()
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    let total = count(summary.try_get("total").map_err(db)?);
    if total == 0 {
        return Ok(Stats::default());
    }
    let mut stats = Stats {
        total,
        open: count(summary.try_get("open").map_err(db)?),
        sla: SlaStats {
            met: count(summary.try_get("met").map_err(db)?),
            breached: count(summary.try_get("breached").map_err(db)?),
            at_risk: count(summary.try_get("at_risk").map_err(db)?),
        },
        ..Stats::default()
    };
    let first = instant(summary.try_get("first").map_err(db)?)?;
    let last = instant(summary.try_get("last").map_err(db)?)?;
    let days = days_spanned(query.from.unwrap_or(first), query.to.unwrap_or(last));
    stats.average_per_day = total as f64 / days as f64;

    stats.by_status = breakdown(conn, tenant, query, "status", text_key).await?;
    stats.by_priority = breakdown(conn, tenant, query, "priority", priority_key).await?;
    stats.by_category = breakdown(conn, tenant, query, "category", text_key).await?;

    let mut q = scoped("assignee, count(*) AS n", tenant, query);
    q.push(" AND is_open = 1 AND assignee IS NOT NULL GROUP BY assignee ORDER BY n DESC, assignee");
    for row in q.build().fetch_all(&mut *conn).await.map_err(db)? {
        let user: Uuid = row.try_get("assignee").map_err(db)?;
        let n: i64 = row.try_get("n").map_err(db)?;
        stats.agent_load.push(AgentLoadStat {
            user_id: UserId::from_uuid(user),
            open: count(n),
        });
    }
    stats.deflection = deflection(conn, tenant, query).await?;
    tx.commit().await.map_err(db)?;
    Ok(stats)
}

/// FAQ deflection: the `faq_suggested`, `faq_confirmed` and `faq_rejected` events of the
/// tickets in scope, found through the index `ticket_events_by_tenant`.
async fn deflection(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    query: &StatsQuery,
) -> Result<DeflectionStats> {
    let mut q = QueryBuilder::new(
        "SELECT coalesce(sum(json_extract(doc, '$.type') = 'faq_suggested'), 0) AS suggested,
                coalesce(sum(json_extract(doc, '$.type') = 'faq_confirmed'), 0) AS confirmed,
                coalesce(sum(json_extract(doc, '$.type') = 'faq_rejected'), 0) AS rejected
         FROM ticket_events
         WHERE json_extract(doc, '$.type') IN ('faq_suggested', 'faq_confirmed', 'faq_rejected')
           AND tenant = ",
    );
    q.push_bind(tenant.as_uuid());
    q.push(" AND ticket_id IN (SELECT id FROM ticket_tickets WHERE ");
    push_scope(&mut q, tenant, query);
    q.push(")");
    let row = q.build().fetch_one(&mut *conn).await.map_err(db)?;
    Ok(DeflectionStats {
        suggested: count(row.try_get("suggested").map_err(db)?),
        confirmed: count(row.try_get("confirmed").map_err(db)?),
        rejected: count(row.try_get("rejected").map_err(db)?),
    })
}
