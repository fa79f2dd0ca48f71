//! `TicketStore::stats`: one aggregate over the tickets in scope, with `GROUPING SETS`
//! for the totals and each breakdown and `FILTER` for the conditional counts, and the FAQ
//! deflection counts over the scoped tickets' events, both in one read-only snapshot.

use crate::connect::PostgresStore;
use crate::errors::db;
use crate::rows::{self, count};
use chrono::{DateTime, Utc};
use sqlx::{Arguments as _, Row as _};
use std::cmp::Reverse;
use ticket_core::id::{TenantId, UserId};
use ticket_core::query::{days_spanned, AgentLoadStat, DeflectionStats, Stats, StatsQuery};
use ticket_core::ticket::Priority;
use ticket_core::{Error, Result};
use uuid::Uuid;

/// `GROUPING(status, priority, category, agent)` of each grouping set: a bit is set for
/// every column the row is *not* grouped by.
const TOTALS: i32 = 0b1111;
const BY_STATUS: i32 = 0b0111;
const BY_PRIORITY: i32 = 0b1011;
const BY_CATEGORY: i32 = 0b1101;
const BY_AGENT: i32 = 0b1110;

/// Open work, as `StatusCategory::is_open` says.
const OPEN: &str = "status_category IN ('new', 'open', 'pending')";
/// The event kinds of FAQ deflection (the partial index `events_faq_verdicts`).
const FAQ_KINDS: &str = "'faq_suggested', 'faq_confirmed', 'faq_rejected'";

/// Solved or closed.
const DONE: &str = "status_category IN ('solved', 'closed')";

impl PostgresStore {
    /// `TicketStore::stats`.
    pub(crate) async fn compute_stats(&self, tenant: TenantId, q: &StatsQuery) -> Result<Stats> {
        let mut args = sqlx::postgres::PgArguments::default();
        let add = |clause: &str, n: usize| format!(" AND {clause} ${n}");
        let mut scope = String::from("tenant = $1");
        args.add(tenant.as_uuid()).map_err(Error::Store)?;
        let mut n = 1;
        if let Some(from) = q.from {
            n += 1;
            scope.push_str(&add("created_at >=", n));
            args.add(from).map_err(Error::Store)?;
        }
        if let Some(to) = q.to {
            n += 1;
            scope.push_str(&add("created_at <", n));
            args.add(to).map_err(Error::Store)?;
        }
        if let Some(team) = q.team {
            n += 1;
            scope.push_str(&add("team =", n));
            args.add(team.as_uuid()).map_err(Error::Store)?;
        }
        // SLA outcomes as `MemoryStore` counts them: breached first, then met (solved or
        // closed), then at risk (open).
        let sql = format!(
            "SELECT GROUPING(status, priority, category, agent) AS g,
                    status, priority, category, agent,
                    count(*) AS n,
                    count(*) FILTER (WHERE is_open) AS open,
                    min(created_at) AS first, max(created_at) AS last,
                    count(*) FILTER (WHERE has_sla AND sla_breached) AS breached,
                    count(*) FILTER (WHERE has_sla AND NOT sla_breached AND {DONE}) AS met,
                    count(*) FILTER (WHERE has_sla AND NOT sla_breached AND is_open
                                     AND sla_at_risk) AS at_risk
             FROM (SELECT status, priority, category, status_category, created_at, has_sla,
                          sla_breached, sla_at_risk, {OPEN} AS is_open,
                          CASE WHEN {OPEN} THEN assignee END AS agent
                   FROM {tickets} WHERE {scope}) s
             GROUP BY GROUPING SETS ((), (status), (priority), (category), (agent))",
            tickets = self.tables().tickets,
        );
        let deflection_sql = format!(
            "SELECT count(*) FILTER (WHERE doc->>'type' = 'faq_suggested') AS suggested,
                    count(*) FILTER (WHERE doc->>'type' = 'faq_confirmed') AS confirmed,
                    count(*) FILTER (WHERE doc->>'type' = 'faq_rejected') AS rejected
             FROM {events}
             WHERE tenant = $1 AND doc->>'type' IN ({FAQ_KINDS})
               AND ticket_id IN (SELECT id FROM {tickets} WHERE {scope})",
            events = self.tables().events,
            tickets = self.tables().tickets,
        );
        // One snapshot for both reads.
        let mut tx = self.pool().begin().await.map_err(db)?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let found = sqlx::query_with(&sql, args.clone())
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        let verdicts = sqlx::query_with(&deflection_sql, args)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        let mut stats = Stats {
            deflection: DeflectionStats {
                suggested: count(rows::get(&verdicts, "suggested")?),
                confirmed: count(rows::get(&verdicts, "confirmed")?),
                rejected: count(rows::get(&verdicts, "rejected")?),
            },
            ..Stats::default()
        };
        let mut span: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
        for row in &found {
            let g: i32 = rows::get(row, "g")?;
            let n = count(rows::get(row, "n")?);
            match g {
                TOTALS => {
                    stats.total = n;
                    stats.open = count(rows::get(row, "open")?);
                    stats.sla.breached = count(rows::get(row, "breached")?);
                    stats.sla.met = count(rows::get(row, "met")?);
                    stats.sla.at_risk = count(rows::get(row, "at_risk")?);
                    let first: Option<DateTime<Utc>> = rows::get(row, "first")?;
                    let last: Option<DateTime<Utc>> = rows::get(row, "last")?;
                    span = first.zip(last);
                }
                BY_STATUS => {
                    let status: String = rows::get(row, "status")?;
                    stats.by_status.insert(status, n);
                }
                BY_PRIORITY => {
                    let rank: i16 = rows::get(row, "priority")?;
                    let priority = u8::try_from(rank)
                        .ok()
                        .and_then(Priority::from_rank)
                        .ok_or_else(|| {
                            Error::store(format!("unknown priority rank {rank} in the store"))
                        })?;
                    stats.by_priority.insert(priority.as_str().to_string(), n);
                }
                BY_CATEGORY => {
                    let category: String = rows::get(row, "category")?;
                    stats.by_category.insert(category, n);
                }
                BY_AGENT => {
                    // The group of rows without an open assignee has no agent.
                    let agent: Option<Uuid> = row.try_get("agent").map_err(db)?;
                    if let Some(agent) = agent {
                        stats.agent_load.push(AgentLoadStat {
                            user_id: UserId::from_uuid(agent),
                            open: n,
                        });
                    }
                }
                _ => {}
            }
        }
        stats
            .agent_load
            .sort_by_key(|a| (Reverse(a.open), a.user_id));
        if let Some((first, last)) = span {
            if stats.total > 0 {
                let days = days_spanned(q.from.unwrap_or(first), q.to.unwrap_or(last));
                stats.average_per_day = stats.total as f64 / days as f64;
            }
        }
        Ok(stats)
    }
}
