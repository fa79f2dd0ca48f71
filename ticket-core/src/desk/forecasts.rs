//! Volume forecasts and staffing: the desk's own history aggregated by the store
//! ([`VolumeStore`](crate::ports::VolumeStore)), then the pure math of
//! [`crate::forecast`]. Both need `StatsRead` (agents and admins): they are statistics
//! about the desk, like [`HelpDesk::stats`].

use super::HelpDesk;
use crate::account::Actor;
use crate::error::{Error, Result};
use crate::forecast::{
    self, floor_hour, Coverage, Forecast, HourlySeries, IntervalStaffing, ServiceTarget,
    StaffingInput, StaffingMethod,
};
use crate::id::TeamId;
use crate::ports::{HandleTime, VolumeQuery};
use crate::rbac::Permission;
use crate::text::Category;
use crate::workforce::{scheduled_agents_per_interval, Span};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Weeks of history read by default.
pub const DEFAULT_HISTORY_WEEKS: u32 = 8;
/// The most weeks of history read (bounds memory: 168 numbers a week).
pub const MAX_HISTORY_WEEKS: u32 = 26;
/// The longest forecast, in days.
pub const MAX_FORECAST_DAYS: u32 = 14;

/// What to forecast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForecastInput {
    /// Days ahead, 1–14.
    pub days: u32,
    /// Only this team's tickets.
    pub team: Option<TeamId>,
    /// Only this category.
    pub category: Option<String>,
    /// Weeks of history to learn from, 3–26 (default 8).
    pub history_weeks: Option<u32>,
}

/// A volume forecast of the desk (or a team or category of it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeForecast {
    /// The team, when scoped to one.
    pub team: Option<TeamId>,
    /// The category, when scoped to one.
    pub category: Option<Category>,
    /// The start of the history used (its first hour with a ticket).
    pub history_from: DateTime<Utc>,
    /// The end of the history (the start of the current hour; the forecast starts here).
    pub history_to: DateTime<Utc>,
    /// The forecast, its model and its backtest.
    pub forecast: Forecast,
}

/// What to staff for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffingRequest {
    /// The forecast to staff.
    pub forecast: ForecastInput,
    /// The share of first responses to give in time, in (0, 1); default 0.8.
    pub target: Option<f64>,
    /// The answer-time target in seconds; default: the strictest first-response target
    /// of the tenant's enabled SLA policies.
    pub within_secs: Option<f64>,
    /// The handle time in seconds; default: the one measured over the history
    /// ([`HandleTime`]).
    pub handle_secs: Option<f64>,
    /// Erlang C (default) or the square-root rule.
    pub method: Option<StaffingMethod>,
}

/// Where the handle time of a staffing came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandleTimeSource {
    /// Measured over the history.
    Measured,
    /// Given by the caller.
    Given,
}

/// Agents required per hour of a forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffingPlan {
    /// The forecast staffed.
    pub forecast: VolumeForecast,
    /// The handle time used, in seconds.
    pub handle_secs: f64,
    /// Where it came from.
    pub handle_source: HandleTimeSource,
    /// The handle time measured over the history (also when another was given).
    pub measured: HandleTime,
    /// The target.
    pub target: ServiceTarget,
    /// The method.
    pub method: StaffingMethod,
    /// Agents required per hour.
    pub intervals: Vec<IntervalStaffing>,
    /// The required agents against the scheduled ones, per hour (the fewest whole agents
    /// on shift, not on a planned break, in any quarter of the hour; of the team's agents
    /// when the forecast is a team's); `None` when no agent in scope has a shift schedule
    /// (see [`forecast::compare`]).
    pub scheduled: Option<Vec<Coverage>>,
}

impl HelpDesk {
    /// The ticket volume of the next `days` days per hour, from the desk's history, with
    /// the model a rolling-origin backtest chose and its MASE against seasonal naive.
    ///
    /// # Errors
    /// [`Error::Forbidden`] without `StatsRead`; [`Error::Invalid`] for `days` outside
    /// 1–14, `history_weeks` outside 3–26, a malformed category, or (`history`) too little
    /// history since the first ticket in scope.
    pub async fn forecast_volume(
        &self,
        actor: &Actor,
        input: ForecastInput,
    ) -> Result<VolumeForecast> {
        self.require(actor, Permission::StatsRead)?;
        let (query, horizon) = self.volume_query(&input)?;
        self.forecast_scope(actor, query, horizon).await
    }

    /// The agents needed per hour of a volume forecast to answer `target` of the first
    /// responses within `within_secs`, by Erlang C or the square-root rule, from the
    /// measured (or given) handle time.
    ///
    /// # Errors
    /// As [`HelpDesk::forecast_volume`]; [`Error::Invalid`] for a target outside (0, 1), a
    /// negative answer time, a non-positive handle time, (`within_secs`) when none is
    /// given and no SLA policy has a first-response target, (`handle_secs`) when none is
    /// given and no ticket of the history was assigned and then answered.
    pub async fn staffing(&self, actor: &Actor, request: StaffingRequest) -> Result<StaffingPlan> {
        self.require(actor, Permission::StatsRead)?;
        let (query, horizon) = self.volume_query(&request.forecast)?;
        let within = match request.within_secs {
            Some(secs) => secs,
            None => self.strictest_first_response(actor).await?,
        };
        let target = ServiceTarget::new(request.target.unwrap_or(0.8), within)?;
        if let Some(h) = request.handle_secs {
            if !(h.is_finite() && h > 0.0) {
                return Err(Error::invalid(
                    "handle_secs",
                    "must be a positive number of seconds",
                ));
            }
        }
        let measured = self.inner.store.handle_time(actor.tenant(), &query).await?;
        let (handle_secs, handle_source) = match (request.handle_secs, measured.mean_secs) {
            (Some(h), _) => (h, HandleTimeSource::Given),
            // a reply in the same instant as the assignment would make the load zero
            (None, Some(m)) => (m.max(1.0), HandleTimeSource::Measured),
            (None, None) => {
                return Err(Error::invalid(
                    "handle_secs",
                    "no ticket of the history was assigned and answered: give a handle time",
                ))
            }
        };
        let team = query.team;
        let forecast = self.forecast_scope(actor, query, horizon).await?;
        let method = request.method.unwrap_or_default();
        let input = StaffingInput {
            handle_secs,
            target,
            method,
        };
        let intervals = forecast::required(forecast.forecast.points(), &input)?;
        let scheduled = self
            .scheduled_per_hour(actor.tenant(), team, &intervals)
            .await?;
        Ok(StaffingPlan {
            forecast,
            handle_secs,
            handle_source,
            measured,
            target,
            method,
            intervals,
            scheduled,
        })
    }

    /// The agents scheduled in each hour of `intervals` (of the team's agents when one is
    /// given), compared with the agents required: an hour counts the fewest whole agents
    /// on shift in any of its four 15-minute intervals, so a gap is never hidden by a
    /// quarter that is covered. `None` when no agent in scope has a shift schedule.
    async fn scheduled_per_hour(
        &self,
        tenant: crate::id::TenantId,
        team: Option<TeamId>,
        intervals: &[IntervalStaffing],
    ) -> Result<Option<Vec<Coverage>>> {
        let schedules = self.team_schedules(tenant, team).await?;
        let (Some(first), Some(last)) = (intervals.first(), intervals.last()) else {
            return Ok(None);
        };
        if schedules.is_empty() {
            return Ok(None);
        }
        let span = Span::new(first.start, last.start + Duration::hours(1));
        let quarters = scheduled_agents_per_interval(&schedules, span)?;
        let scheduled: Vec<u32> = intervals
            .iter()
            .map(|hour| {
                let end = hour.start + Duration::hours(1);
                quarters
                    .iter()
                    .filter(|q| q.start >= hour.start && q.start < end)
                    .map(|q| q.agents)
                    .fold(None, |min: Option<f64>, a| {
                        Some(min.map_or(a, |m| m.min(a)))
                    })
                    .map_or(0, |a| {
                        // whole agents only; a tiny float excess is not an agent
                        let whole = (a + 1e-9).floor();
                        if whole >= f64::from(u32::MAX) {
                            u32::MAX
                        } else {
                            whole as u32
                        }
                    })
            })
            .collect();
        forecast::compare(intervals, &scheduled).map(Some)
    }

    /// The forecast of `horizon` hours of the tickets of `query`.
    async fn forecast_scope(
        &self,
        actor: &Actor,
        query: VolumeQuery,
        horizon: usize,
    ) -> Result<VolumeForecast> {
        let counts = self
            .inner
            .store
            .hourly_created(actor.tenant(), &query)
            .await?;
        let series = HourlySeries::from_counts(
            query.from,
            query.to,
            counts.into_iter().map(|c| (c.hour, c.tickets)),
        )
        .from_first_activity();
        let forecast = forecast::forecast(&series, horizon)?;
        Ok(VolumeForecast {
            team: query.team,
            category: query.category,
            history_from: series.start(),
            history_to: query.to,
            forecast,
        })
    }

    /// The store query of a forecast input and its horizon in hours.
    fn volume_query(&self, input: &ForecastInput) -> Result<(VolumeQuery, usize)> {
        if !(1..=MAX_FORECAST_DAYS).contains(&input.days) {
            return Err(Error::invalid(
                "days",
                format!("must be 1 to {MAX_FORECAST_DAYS}"),
            ));
        }
        let weeks = input.history_weeks.unwrap_or(DEFAULT_HISTORY_WEEKS);
        if !(3..=MAX_HISTORY_WEEKS).contains(&weeks) {
            return Err(Error::invalid(
                "history_weeks",
                format!("must be 3 to {MAX_HISTORY_WEEKS}"),
            ));
        }
        let category = input.category.as_deref().map(Category::parse).transpose()?;
        let to = floor_hour(self.now());
        let query = VolumeQuery {
            from: to - Duration::weeks(i64::from(weeks)),
            to,
            team: input.team,
            category,
        };
        Ok((query, input.days as usize * 24))
    }

    /// The smallest first-response target of the tenant's enabled SLA policies, in
    /// seconds.
    async fn strictest_first_response(&self, actor: &Actor) -> Result<f64> {
        let policies = self.inner.store.list_sla_policies(actor.tenant()).await?;
        policies
            .iter()
            .filter(|p| p.enabled)
            .filter_map(|p| p.targets.first_response_minutes)
            .min()
            .map(|m| f64::from(m) * 60.0)
            .ok_or_else(|| {
                Error::invalid(
                    "within_secs",
                    "no SLA policy has a first-response target: give the answer time",
                )
            })
    }
}
