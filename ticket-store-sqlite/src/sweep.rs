//! The SLA sweep's shared work: claims of due tickets (a lease written into the due-time
//! column) and the tenants' pending re-evaluations (one row per tenant, claimed with a
//! lease, progress recorded under the claim). SQLite has one writer at a time, so each
//! claim is a read and a write in one write transaction.

use crate::rows::{db, instant, micros};
use crate::SqliteStore;
use chrono::{DateTime, Utc};
use ticket_core::error::Result;
use ticket_core::id::{TenantId, TicketId};
use ticket_core::sla::SlaReevaluation;
use uuid::Uuid;

/// The due tickets, in the sweep's index order (binds: now, limit).
const DUE: &str = "FROM ticket_tickets
     WHERE sla_next_check IS NOT NULL AND sla_next_check <= ?
     ORDER BY sla_next_check, id LIMIT ?";

impl SqliteStore {
    /// `TicketStore::claim_sla_due`: the due batch read and moved to the end of the
    /// lease in one write transaction, so the next claimer sees it claimed.
    pub(crate) async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<(TenantId, TicketId)>> {
        let mut w = self.write().await?;
        let found = async {
            let found = sqlx::query_as::<_, (Uuid, Uuid)>(&format!("SELECT tenant, id {DUE}"))
                .bind(micros(now))
                .bind(i64::from(limit))
                .fetch_all(&mut *w.tx)
                .await
                .map_err(db)?;
            sqlx::query(&format!(
                "UPDATE ticket_tickets SET sla_next_check = ? WHERE seq IN (SELECT seq {DUE})"
            ))
            .bind(micros(now + lease))
            .bind(micros(now))
            .bind(i64::from(limit))
            .execute(&mut *w.tx)
            .await
            .map_err(db)?;
            Ok(found)
        }
        .await;
        let found = w.finish(found).await?;
        Ok(found
            .into_iter()
            .map(|(tenant, id)| (TenantId::from_uuid(tenant), TicketId::from_uuid(id)))
            .collect())
    }

    /// `TicketStore::request_sla_reevaluation`: one upsert that restarts the walk.
    pub(crate) async fn request_reevaluation(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut w = self.write().await?;
        let done = sqlx::query(
            "INSERT INTO ticket_sla_reevaluations (tenant, requested_at) VALUES (?, ?)
             ON CONFLICT (tenant) DO UPDATE SET requested_at = excluded.requested_at,
                 after = NULL, claim = NULL, lease_until = NULL",
        )
        .bind(tenant.as_uuid())
        .bind(micros(now))
        .execute(&mut *w.tx)
        .await
        .map(drop)
        .map_err(db);
        w.finish(done).await
    }

    /// `TicketStore::claim_sla_reevaluation`: the earliest free request given a fresh
    /// claim in one statement.
    pub(crate) async fn claim_reevaluation(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<SlaReevaluation>> {
        let claim = Uuid::now_v7();
        let mut w = self.write().await?;
        let found = sqlx::query_as::<_, (Uuid, i64, Option<Uuid>)>(
            "UPDATE ticket_sla_reevaluations SET claim = ?, lease_until = ?
             WHERE tenant = (SELECT tenant FROM ticket_sla_reevaluations
                             WHERE claim IS NULL OR lease_until <= ?
                             ORDER BY requested_at, tenant LIMIT 1)
             RETURNING tenant, requested_at, after",
        )
        .bind(claim)
        .bind(micros(now + lease))
        .bind(micros(now))
        .fetch_optional(&mut *w.tx)
        .await
        .map_err(db);
        let Some((tenant, requested_at, after)) = w.finish(found).await? else {
            return Ok(None);
        };
        Ok(Some(SlaReevaluation {
            tenant: TenantId::from_uuid(tenant),
            requested_at: instant(requested_at)?,
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
        let mut w = self.write().await?;
        let done = match after {
            Some(after) => sqlx::query(
                "UPDATE ticket_sla_reevaluations SET after = ?, lease_until = ?
                 WHERE tenant = ? AND claim = ?",
            )
            .bind(after.as_uuid())
            .bind(micros(held_until)),
            None => {
                sqlx::query("DELETE FROM ticket_sla_reevaluations WHERE tenant = ? AND claim = ?")
            }
        }
        .bind(job.tenant.as_uuid())
        .bind(job.claim)
        .execute(&mut *w.tx)
        .await
        .map(|r| r.rows_affected() == 1)
        .map_err(db);
        w.finish(done).await
    }
}
