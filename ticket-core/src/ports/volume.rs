//! [`VolumeStore`]: the history the volume forecasts and staffing read, aggregated by
//! the store (`GROUP BY`), never by loading tickets.

#[allow(unused_imports)] // `Error` is named by the `# Errors` doc links
use crate::error::{Error, Result};
use crate::id::{TeamId, TenantId};
use crate::text::Category;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The tickets a volume aggregation covers: those of the tenant created in
/// `[from, to)`, of `team` and `category` when given. Deleted tickets are not counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeQuery {
    /// Created at or after.
    pub from: DateTime<Utc>,
    /// Created before.
    pub to: DateTime<Utc>,
    /// Only this team's tickets.
    pub team: Option<TeamId>,
    /// Only this category.
    pub category: Option<Category>,
}

/// Tickets created in one UTC hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourlyCount {
    /// The start of the hour.
    pub hour: DateTime<Utc>,
    /// How many tickets were created in it (never 0: empty hours are left out).
    pub tickets: u64,
}

/// The measured handle time: the mean time from a ticket's (latest) assignment to its
/// first agent reply, over the tickets in scope that were assigned and then answered
/// (`first_response_at ≥ assigned_at`). It is the time an agent who holds a ticket takes
/// to answer it, so it includes the time the ticket waited in that agent's own backlog:
/// an upper bound of the work itself.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HandleTime {
    /// How many tickets were measured.
    pub tickets: u64,
    /// Their mean, in seconds (`None` when none were measured).
    pub mean_secs: Option<f64>,
}

/// Aggregates of ticket volume and handle time for forecasts and staffing.
#[async_trait]
pub trait VolumeStore: Send + Sync {
    /// The tickets in scope per UTC hour of creation, by hour, hours without tickets
    /// left out. At most one row per hour of the range.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn hourly_created(
        &self,
        tenant: TenantId,
        query: &VolumeQuery,
    ) -> Result<Vec<HourlyCount>>;

    /// The [`HandleTime`] of the tickets in scope.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn handle_time(&self, tenant: TenantId, query: &VolumeQuery) -> Result<HandleTime>;
}
