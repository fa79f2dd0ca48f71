//! The SLA sweep's bookkeeping in memory: which tickets are due (snapshots, stale marks,
//! claims) and the tenants' pending re-evaluations.

use super::State;
use crate::id::{TenantId, TicketId};
use crate::sla::SlaReevaluation;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// A tenant's pending re-evaluation and who holds it until when.
#[derive(Debug, Clone)]
pub(super) struct Pending {
    requested_at: DateTime<Utc>,
    after: Option<TicketId>,
    claim: Option<(Uuid, DateTime<Utc>)>,
}

impl State {
    /// Up to `limit` tickets due at `now`, earliest first (then by id): each at the
    /// earlier of its stale mark and the end of its claim, or, unclaimed, its snapshot's
    /// `next_check`.
    pub(super) fn sla_due(&self, now: DateTime<Utc>, limit: u32) -> Vec<(TenantId, TicketId)> {
        let mut due: Vec<(DateTime<Utc>, TicketId, TenantId)> = self
            .tickets
            .values()
            .filter_map(|t| {
                let own = match self.sla_claims.get(&t.id) {
                    Some(until) => Some(*until),
                    None => t.sla.as_ref().and_then(|sla| sla.next_check),
                };
                let marked = self.sla_stale.get(&t.id).copied();
                let at = own.into_iter().chain(marked).min()?;
                (at <= now).then_some((at, t.id, t.tenant))
            })
            .collect();
        due.sort();
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        due.into_iter()
            .take(limit)
            .map(|(_, id, tenant)| (tenant, id))
            .collect()
    }

    /// Records (or restarts) the tenant's re-evaluation.
    pub(super) fn request_reevaluation(&mut self, tenant: TenantId, now: DateTime<Utc>) {
        self.sla_reevaluations.insert(
            tenant,
            Pending {
                requested_at: now,
                after: None,
                claim: None,
            },
        );
    }

    /// Claims the earliest pending re-evaluation no claim holds at `now`.
    pub(super) fn claim_reevaluation(
        &mut self,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Option<SlaReevaluation> {
        let (tenant, pending) = self
            .sla_reevaluations
            .iter_mut()
            .filter(|(_, p)| p.claim.is_none_or(|(_, until)| until <= now))
            .min_by_key(|(tenant, p)| (p.requested_at, **tenant))?;
        let claim = Uuid::now_v7();
        pending.claim = Some((claim, now + lease));
        Some(SlaReevaluation {
            tenant: *tenant,
            requested_at: pending.requested_at,
            after: pending.after,
            claim,
        })
    }

    /// Records progress under the job's claim, or removes the finished request.
    pub(super) fn advance_reevaluation(
        &mut self,
        job: &SlaReevaluation,
        after: Option<TicketId>,
        held_until: DateTime<Utc>,
    ) -> bool {
        let Some(pending) = self.sla_reevaluations.get_mut(&job.tenant) else {
            return false;
        };
        if pending.claim.map(|(c, _)| c) != Some(job.claim) {
            return false;
        }
        match after {
            Some(after) => {
                pending.after = Some(after);
                pending.claim = Some((job.claim, held_until));
            }
            None => {
                self.sla_reevaluations.remove(&job.tenant);
            }
        }
        true
    }
}
