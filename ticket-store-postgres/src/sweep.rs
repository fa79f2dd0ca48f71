//! The SLA sweep's shared work: claims of due tickets (`FOR UPDATE SKIP LOCKED`, then a
//! lease written into the due-time column) and the tenants' pending re-evaluations
//! (one row per tenant, claimed with a lease, progress recorded under the claim).

use crate::connect::PostgresStore;
use crate::errors::db;
use chrono::{DateTime, Utc};
use ticket_core::id::{TenantId, TicketId};
use ticket_core::sla::SlaReevaluation;
use ticket_core::Result;
use uuid::Uuid;

impl PostgresStore {
    /// `TicketStore::claim_sla_due`: the due tickets in the sweep's index order, locked
    /// with SKIP LOCKED so that concurrent claimers take disjoint batches, and moved to
    /// the end of the lease in the same statement (the document's snapshot stays as it
    /// is: only the sweep reads the column).
    pub(crate) async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<(TenantId, TicketId)>> {
        let mut found: Vec<(DateTime<Utc>, Uuid, Uuid)> = sqlx::query_as(&format!(
            "WITH due AS (SELECT id, sla_next_check AS at FROM {tickets} \
                 WHERE sla_next_check IS NOT NULL AND sla_next_check <= $1 \
                 ORDER BY sla_next_check, id LIMIT $2 FOR UPDATE SKIP LOCKED) \
             UPDATE {tickets} t SET sla_next_check = $3 FROM due \
             WHERE t.id = due.id RETURNING due.at, t.tenant, t.id",
            tickets = self.tables().tickets
        ))
        .bind(now)
        .bind(i64::from(limit))
        .bind(now + lease)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
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
