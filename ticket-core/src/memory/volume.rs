//! [`VolumeStore`] for `MemoryStore`: one pass over the tenant's tickets in scope, the
//! way a database would `GROUP BY`.

use super::MemoryStore;
use crate::error::Result;
use crate::forecast::floor_hour;
use crate::id::TenantId;
use crate::ports::{HandleTime, HourlyCount, VolumeQuery, VolumeStore};
use crate::ticket::Ticket;
use async_trait::async_trait;
use std::collections::BTreeMap;

fn in_scope(tenant: TenantId, query: &VolumeQuery) -> impl Fn(&&Ticket) -> bool + '_ {
    move |t| {
        t.tenant == tenant
            && t.created_at >= query.from
            && t.created_at < query.to
            && query.team.is_none_or(|team| t.team == Some(team))
            && query.category.as_ref().is_none_or(|c| &t.category == c)
    }
}

#[async_trait]
impl VolumeStore for MemoryStore {
    async fn hourly_created(
        &self,
        tenant: TenantId,
        query: &VolumeQuery,
    ) -> Result<Vec<HourlyCount>> {
        let s = self.state();
        let mut hours: BTreeMap<_, u64> = BTreeMap::new();
        for t in s.tickets.values().filter(in_scope(tenant, query)) {
            *hours.entry(floor_hour(t.created_at)).or_default() += 1;
        }
        Ok(hours
            .into_iter()
            .map(|(hour, tickets)| HourlyCount { hour, tickets })
            .collect())
    }

    async fn handle_time(&self, tenant: TenantId, query: &VolumeQuery) -> Result<HandleTime> {
        let s = self.state();
        let (mut tickets, mut total) = (0u64, 0.0);
        for t in s.tickets.values().filter(in_scope(tenant, query)) {
            if let (Some(assigned), Some(answered)) = (t.assigned_at, t.first_response_at) {
                if answered >= assigned {
                    tickets += 1;
                    total +=
                        (answered - assigned).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6;
                }
            }
        }
        Ok(HandleTime {
            tickets,
            mean_secs: (tickets > 0).then(|| total / tickets as f64),
        })
    }
}
