//! A tenant's configuration read once (rules, SLA policies and the calendars they name),
//! so a sweep changes many tickets without reading it per ticket.

use super::HelpDesk;
use crate::error::{Error, Result};
use crate::id::{CalendarId, TenantId};
use crate::rules::Rule;
use crate::sla::{select_policy, BusinessCalendar, SlaPolicy};
use crate::ticket::Ticket;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The rules and SLA policies of a tenant and the calendars the policies name.
#[derive(Debug, Clone, Default)]
pub(super) struct TenantConfig {
    /// The tenant's rules, in the store's order.
    pub(super) rules: Vec<Rule>,
    policies: Vec<SlaPolicy>,
    /// The calendars of the enabled policies that exist (a missing one means around the
    /// clock).
    calendars: HashMap<CalendarId, BusinessCalendar>,
}

impl TenantConfig {
    /// The policy that covers `ticket` and its calendar (around the clock when it names
    /// none, or one since deleted); `None` without a policy.
    pub(super) fn terms(&self, ticket: &Ticket) -> Option<(SlaPolicy, BusinessCalendar)> {
        let policy = select_policy(&self.policies, ticket)?;
        let calendar = policy
            .calendar_id
            .and_then(|id| self.calendars.get(&id))
            .cloned()
            .unwrap_or_else(|| BusinessCalendar::always_open(ticket.tenant));
        Some((policy.clone(), calendar))
    }
}

impl HelpDesk {
    /// Reads the rules and SLA configuration of `tenant`.
    pub(super) async fn tenant_config(&self, tenant: TenantId) -> Result<TenantConfig> {
        let store = &self.inner.store;
        let rules = store.list_rules(tenant).await?;
        let policies = store.list_sla_policies(tenant).await?;
        let mut calendars = HashMap::new();
        for id in policies
            .iter()
            .filter(|p| p.enabled)
            .filter_map(|p| p.calendar_id)
        {
            if calendars.contains_key(&id) {
                continue;
            }
            match store.get_calendar(tenant, id).await {
                Ok(c) => {
                    calendars.insert(id, c);
                }
                Err(Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(TenantConfig {
            rules,
            policies,
            calendars,
        })
    }
}

/// The most batches of open tickets one sweep marks for re-evaluation; a longer walk
/// goes on at the next sweep (of any instance) where this one stopped.
const MAX_STALE_BATCHES: u64 = 50;

impl HelpDesk {
    /// Records that the open tickets of `tenant` need an SLA re-evaluation after a
    /// policy or calendar change: one store write, so the admin request returns at once;
    /// `reevaluate_sla`, called by every sweep, does the work in the background.
    pub(super) async fn request_sla_reevaluation(&self, tenant: TenantId) -> Result<()> {
        let now = self.now();
        self.inner.store.request_sla_reevaluation(tenant, now).await
    }

    /// Carries out pending re-evaluations: claims each (so one instance walks a tenant
    /// at a time), marks its open tickets for the sweep in batches of `sweep_batch`
    /// (due from `now`), recording after each batch how far it got, so a walk cut off
    /// resumes where it stopped. Stops after [`MAX_STALE_BATCHES`] batches, releasing
    /// the walk for the next call. Returns the batches marked.
    pub(super) async fn reevaluate_sla(&self, now: DateTime<Utc>) -> Result<u64> {
        let store = &self.inner.store;
        let batch = self.inner.config.sweep_batch.max(1);
        let lease = self.inner.config.sweep_lease;
        let mut batches = 0;
        while batches < MAX_STALE_BATCHES {
            let Some(job) = store.claim_sla_reevaluation(now, lease).await? else {
                break;
            };
            let mut after = job.after;
            loop {
                let next = store.mark_sla_stale(job.tenant, now, after, batch).await?;
                batches += 1;
                let pause = next.is_some() && batches >= MAX_STALE_BATCHES;
                let held_until = if pause { now } else { now + lease };
                let held = store
                    .advance_sla_reevaluation(&job, next, held_until)
                    .await?;
                // Not held: a newer change restarted the walk (claimed again above).
                if !held || next.is_none() || pause {
                    break;
                }
                after = next;
            }
        }
        Ok(batches)
    }
}
