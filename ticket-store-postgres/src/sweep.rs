//! The SLA sweep's shared work: claims of due tickets (`FOR NO KEY UPDATE SKIP LOCKED`,
//! then a lease row in `sla_claims`) and the tenants' pending re-evaluations (one row
//! per tenant, claimed with a lease, progress recorded under the claim).

use crate::connect::PostgresStore;
use crate::errors::db;
use chrono::{DateTime, Utc};
use ticket_core::id::{TenantId, TicketId};
use ticket_core::sla::SlaReevaluation;
use ticket_core::Result;
use uuid::Uuid;

/// How many times one claim goes back for tickets that a concurrent claimer took between
/// this claim's snapshot and its insert (a fresh statement sees that claimer's claims).
const CLAIM_ATTEMPTS: usize = 3;

/// The SQL condition "ticket `t` is held by a claim at `now`" (`now` a parameter such as
/// `$1`): a claim of the ticket whose lease has not ended and that was made at the
/// ticket's current due time and version (a save makes a new version, so it ends the
/// claim without touching the claims).
pub(crate) fn held_by_claim(claims: &str, now: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM {claims} c WHERE c.ticket_id = t.id AND c.until > {now} \
         AND c.due_at = t.sla_next_check AND c.version = t.version)"
    )
}

impl PostgresStore {
    /// `TicketStore::claim_sla_due`: the due tickets no claim holds, in the sweep's index
    /// order, locked with SKIP LOCKED so that concurrent claimers take disjoint batches,
    /// and claimed by a row each in `sla_claims` in the same statement. The tickets
    /// themselves are only locked, never written: updating their indexed due time would
    /// give each claimed ticket a new row version and an entry in every index of the
    /// table. A ticket whose claim a concurrent claimer committed after this statement's
    /// snapshot is lost to it (the conflicting insert changes nothing); the claim then
    /// asks again for the difference. The same statement purges claims whose lease
    /// ended a lease ago (a lease's worth of slack for the clocks of other instances).
    pub(crate) async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<(TenantId, TicketId)>> {
        let t = self.tables();
        let sql = format!(
            "WITH due AS (SELECT t.id, t.tenant, t.sla_next_check AS at, t.version \
                 FROM {tickets} t \
                 WHERE t.sla_next_check IS NOT NULL AND t.sla_next_check <= $1 AND NOT {held} \
                 ORDER BY t.sla_next_check, t.id LIMIT $2 FOR NO KEY UPDATE OF t SKIP LOCKED), \
             claimed AS (INSERT INTO {claims} AS c (ticket_id, due_at, version, until) \
                 SELECT id, at, version, $3 FROM due \
                 ON CONFLICT (ticket_id) DO UPDATE SET due_at = EXCLUDED.due_at, \
                     version = EXCLUDED.version, until = EXCLUDED.until \
                 WHERE c.until <= $1 OR c.due_at <> EXCLUDED.due_at \
                     OR c.version <> EXCLUDED.version \
                 RETURNING c.ticket_id), \
             purged AS (DELETE FROM {claims} old WHERE old.until <= $4 \
                 AND old.ticket_id NOT IN (SELECT id FROM due)) \
             SELECT due.at, due.tenant, due.id, claimed.ticket_id IS NOT NULL \
             FROM due LEFT JOIN claimed ON claimed.ticket_id = due.id",
            tickets = t.tickets,
            claims = t.sla_claims,
            held = held_by_claim(&t.sla_claims, "$1"),
        );
        let mut found: Vec<(DateTime<Utc>, Uuid, Uuid)> = Vec::new();
        for _ in 0..CLAIM_ATTEMPTS {
            let want = limit.saturating_sub(u32::try_from(found.len()).unwrap_or(u32::MAX));
            if want == 0 {
                break;
            }
            let rows: Vec<(DateTime<Utc>, Uuid, Uuid, bool)> = sqlx::query_as(&sql)
                .bind(now)
                .bind(i64::from(want))
                .bind(now + lease)
                .bind(now - lease)
                .fetch_all(self.pool())
                .await
                .map_err(db)?;
            let lost = rows.iter().any(|(_, _, _, mine)| !mine);
            found.extend(
                rows.into_iter()
                    .filter(|(_, _, _, mine)| *mine)
                    .map(|(at, tenant, id, _)| (at, tenant, id)),
            );
            if !lost {
                break;
            }
        }
        found.sort();
        Ok(found
            .into_iter()
            .map(|(_, tenant, id)| (TenantId::from_uuid(tenant), TicketId::from_uuid(id)))
            .collect())
    }

    /// `TicketStore::request_sla_reevaluation`: one upsert that restarts the walk.
    pub(crate) async fn request_reevaluation(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO {t} (tenant, requested_at) VALUES ($1, $2) \
             ON CONFLICT (tenant) DO UPDATE SET requested_at = EXCLUDED.requested_at, \
                 after = NULL, claim = NULL, lease_until = NULL",
            t = self.tables().sla_reevaluations
        ))
        .bind(tenant.as_uuid())
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(())
    }

    /// `TicketStore::claim_sla_reevaluation`: the earliest free request, locked with
    /// SKIP LOCKED and given a fresh claim in one statement.
    pub(crate) async fn claim_reevaluation(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<SlaReevaluation>> {
        let claim = Uuid::now_v7();
        let found: Option<(Uuid, DateTime<Utc>, Option<Uuid>)> = sqlx::query_as(&format!(
            "WITH free AS (SELECT tenant FROM {t} \
                 WHERE claim IS NULL OR lease_until <= $1 \
                 ORDER BY requested_at, tenant LIMIT 1 FOR UPDATE SKIP LOCKED) \
             UPDATE {t} r SET claim = $2, lease_until = $3 FROM free \
             WHERE r.tenant = free.tenant RETURNING r.tenant, r.requested_at, r.after",
            t = self.tables().sla_reevaluations
        ))
        .bind(now)
        .bind(claim)
        .bind(now + lease)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        Ok(found.map(|(tenant, requested_at, after)| SlaReevaluation {
            tenant: TenantId::from_uuid(tenant),
            requested_at,
            after: after.map(TicketId::from_uuid),
            claim,
        }))
    }

    /// `TicketStore::advance_sla_reevaluation`: progress or removal, under the claim.
    pub(crate) async fn advance_reevaluation(
        &self,
        job: &SlaReevaluation,
        after: Option<TicketId>,
        held_until: DateTime<Utc>,
    ) -> Result<bool> {
        let t = &self.tables().sla_reevaluations;
        let done = match after {
            Some(after) => {
                sqlx::query(&format!(
                    "UPDATE {t} SET after = $3, lease_until = $4 \
                     WHERE tenant = $1 AND claim = $2"
                ))
                .bind(job.tenant.as_uuid())
                .bind(job.claim)
                .bind(after.as_uuid())
                .bind(held_until)
                .execute(self.pool())
                .await
            }
            None => {
                sqlx::query(&format!("DELETE FROM {t} WHERE tenant = $1 AND claim = $2"))
                    .bind(job.tenant.as_uuid())
                    .bind(job.claim)
                    .execute(self.pool())
                    .await
            }
        }
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }
}
