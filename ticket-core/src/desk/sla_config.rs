//! A tenant's SLA configuration read once (policies and the calendars they name), so a
//! sweep evaluates many tickets without reading it per ticket.

use super::HelpDesk;
use crate::error::{Error, Result};
use crate::event::TicketEvent;
use crate::id::{CalendarId, TenantId};
use crate::sla::{evaluate, select_policy, BusinessCalendar, SlaPolicy, SlaStatus};
use crate::ticket::Ticket;
use crate::workflow::Workflow;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The SLA policies of a tenant and the calendars they name.
#[derive(Debug, Clone, Default)]
pub(super) struct SlaConfig {
    policies: Vec<SlaPolicy>,
    /// The calendars of the enabled policies that exist (a missing one means around the
    /// clock).
    calendars: HashMap<CalendarId, BusinessCalendar>,
}

impl SlaConfig {
    /// The SLA state of `ticket` given its full `history` at `now` (`None` when no
    /// policy covers it).
    pub(super) fn evaluate(
        &self,
        ticket: &Ticket,
        workflow: &Workflow,
        history: &[TicketEvent],
        now: DateTime<Utc>,
    ) -> Option<SlaStatus> {
        let policy = select_policy(&self.policies, ticket)?;
        let always = BusinessCalendar::always_open(ticket.tenant);
        let calendar = policy
            .calendar_id
            .and_then(|id| self.calendars.get(&id))
            .unwrap_or(&always);
        Some(evaluate(policy, calendar, workflow, history, now))
    }
}

impl HelpDesk {
    /// Reads the SLA configuration of `tenant`.
    pub(super) async fn sla_config(&self, tenant: TenantId) -> Result<SlaConfig> {
        let store = &self.inner.store;
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
        Ok(SlaConfig {
            policies,
            calendars,
        })
    }
}

impl HelpDesk {
    /// Marks every open ticket of `tenant` for SLA re-evaluation after a policy or
    /// calendar change, in batches of `sweep_batch` (each one bounded store write), so
    /// the next sweep recomputes their due times and `next_check` under the new rules.
    /// Marking is idempotent and safe from several instances at once; a change whose
    /// request was cut off is completed by saving it again.
    pub(super) async fn mark_sla_stale(&self, tenant: TenantId) -> Result<()> {
        let batch = self.inner.config.sweep_batch.max(1);
        let now = self.now();
        let mut after = None;
        loop {
            after = self
                .inner
                .store
                .mark_sla_stale(tenant, now, after, batch)
                .await?;
            if after.is_none() {
                return Ok(());
            }
        }
    }
}
