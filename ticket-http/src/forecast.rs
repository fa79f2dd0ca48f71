//! `/workload/forecast` and `/workload/staffing`: ticket volume forecasts per hour and
//! the agents they need (agents and admins: the `StatsRead` permission, checked by the
//! desk).

use crate::extract::{ApiQuery, Auth};
use crate::problem::Problem;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ticket_core::desk::{
    ForecastInput, HandleTimeSource, StaffingPlan, StaffingRequest, VolumeForecast,
};
use ticket_core::forecast::{ModelKind, StaffingMethod};
use ticket_core::id::TeamId;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// The forecast routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(forecast))
        .routes(routes!(staffing))
}

/// What to forecast.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForecastParams {
    /// Days ahead, 1–14 (default 7).
    #[param(minimum = 1, maximum = 14)]
    pub days: Option<u32>,
    /// Only this team's tickets.
    pub team_id: Option<Uuid>,
    /// Only this category.
    pub category: Option<String>,
    /// Weeks of history to learn from, 3–26 (default 8).
    #[param(minimum = 3, maximum = 26)]
    pub history_weeks: Option<u32>,
}

impl ForecastParams {
    fn input(&self) -> ForecastInput {
        ForecastInput {
            days: self.days.unwrap_or(7),
            team: self.team_id.map(TeamId::from_uuid),
            category: self.category.clone(),
            history_weeks: self.history_weeks,
        }
    }
}

/// How the agents needed are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = StaffingMethod)]
pub enum StaffingMethodDto {
    /// Erlang C: the fewest agents whose service level meets the target.
    ErlangC,
    /// The square-root staffing rule `⌈A + β·√A⌉`, for e-mail-like work.
    SquareRoot,
}

impl From<StaffingMethodDto> for StaffingMethod {
    fn from(m: StaffingMethodDto) -> Self {
        match m {
            StaffingMethodDto::ErlangC => Self::ErlangC,
            StaffingMethodDto::SquareRoot => Self::SquareRoot,
        }
    }
}

impl From<StaffingMethod> for StaffingMethodDto {
    fn from(m: StaffingMethod) -> Self {
        match m {
            StaffingMethod::ErlangC => Self::ErlangC,
            StaffingMethod::SquareRoot => Self::SquareRoot,
        }
    }
}

/// What to staff for: a forecast and a service-level target.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StaffingParams {
    /// Days ahead, 1–14 (default 7).
    #[param(minimum = 1, maximum = 14)]
    pub days: Option<u32>,
    /// Only this team's tickets.
    pub team_id: Option<Uuid>,
    /// Only this category.
    pub category: Option<String>,
    /// Weeks of history to learn from, 3–26 (default 8).
    #[param(minimum = 3, maximum = 26)]
    pub history_weeks: Option<u32>,
    /// The share of first responses to give in time, between 0 and 1 (default 0.8).
    pub target: Option<f64>,
    /// The answer-time target in seconds (default: the strictest first-response target
    /// of the enabled SLA policies).
    pub within_secs: Option<f64>,
    /// The handle time in seconds (default: measured, from assignment to first reply).
    pub handle_secs: Option<f64>,
    /// Erlang C (default) or the square-root rule.
    #[param(inline)]
    pub method: Option<StaffingMethodDto>,
}

/// One forecast hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ForecastPointDto {
    /// The start of the hour (UTC).
    pub hour: DateTime<Utc>,
    /// Tickets expected.
    pub tickets: f64,
}

/// A model's rolling-origin backtest score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ModelScoreDto {
    /// `seasonal_naive`, `hour_of_week` or `holt_winters`.
    pub model: String,
    /// Mean absolute scaled error against seasonal naive (under 1 beats it).
    pub mase: f64,
    /// Mean absolute error, tickets per hour.
    pub mae: f64,
}

/// An hourly ticket volume forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = VolumeForecast)]
pub struct ForecastDto {
    /// The team, when scoped to one.
    pub team_id: Option<Uuid>,
    /// The category, when scoped to one.
    pub category: Option<String>,
    /// The first hour of history used (the first with a ticket in scope).
    pub history_from: DateTime<Utc>,
    /// The end of the history: the first forecast hour.
    pub history_to: DateTime<Utc>,
    /// The model the backtest chose: `seasonal_naive`, `hour_of_week` or `holt_winters`.
    pub model: String,
    /// The chosen model's backtest MASE against seasonal naive.
    pub mase: f64,
    /// The seasonal naive baseline's backtest MASE on the same folds.
    pub baseline_mase: f64,
    /// Backtest origins (one week apart).
    pub folds: u32,
    /// Every model that took part in the backtest.
    pub scores: Vec<ModelScoreDto>,
    /// Tickets expected per hour.
    pub points: Vec<ForecastPointDto>,
}

fn model_name(m: ModelKind) -> String {
    m.as_str().to_string()
}

impl From<VolumeForecast> for ForecastDto {
    fn from(v: VolumeForecast) -> Self {
        let f = &v.forecast;
        Self {
            team_id: v.team.map(|t| t.as_uuid()),
            category: v.category.as_ref().map(|c| c.as_str().to_string()),
            history_from: v.history_from,
            history_to: v.history_to,
            model: model_name(f.model),
            mase: f.mase,
            baseline_mase: f.baseline_mase,
            folds: u32::try_from(f.backtest.folds).unwrap_or(u32::MAX),
            scores: f
                .backtest
                .scores
                .iter()
                .map(|s| ModelScoreDto {
                    model: model_name(s.model),
                    mase: s.mase,
                    mae: s.mae,
                })
                .collect(),
            points: f
                .points()
                .map(|(hour, tickets)| ForecastPointDto { hour, tickets })
                .collect(),
        }
    }
}

/// Agents needed in one hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StaffingIntervalDto {
    /// The start of the hour (UTC).
    pub hour: DateTime<Utc>,
    /// Tickets expected.
    pub tickets: f64,
    /// Offered load in erlangs (tickets × handle time ÷ 1 h).
    pub load: f64,
    /// Agents required for the target.
    pub required: u32,
    /// The Erlang C service level with that many agents.
    pub service_level: f64,
    /// Agents scheduled; present when schedules exist.
    pub scheduled: Option<u32>,
    /// `scheduled − required`; present when schedules exist.
    pub gap: Option<i64>,
}

/// Agents required per hour of a forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = Staffing)]
pub struct StaffingDto {
    /// The forecast staffed.
    pub forecast: ForecastDto,
    /// The handle time used, in seconds.
    pub handle_secs: f64,
    /// `measured` (from assignment to first reply over the history) or `given`.
    pub handle_source: String,
    /// Tickets the handle time was measured over.
    pub measured_tickets: u64,
    /// The measured handle time in seconds, when any ticket was measured.
    pub measured_handle_secs: Option<f64>,
    /// The share of first responses to give in time.
    pub target: f64,
    /// The answer-time target in seconds.
    pub within_secs: f64,
    /// The method.
    pub method: StaffingMethodDto,
    /// Agents required per hour; `scheduled` and `gap` filled when schedules exist.
    pub intervals: Vec<StaffingIntervalDto>,
}

impl From<StaffingPlan> for StaffingDto {
    fn from(p: StaffingPlan) -> Self {
        let intervals = p
            .intervals
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let cover = p.scheduled.as_ref().and_then(|s| s.get(i));
                StaffingIntervalDto {
                    hour: r.start,
                    tickets: r.tickets,
                    load: r.load,
                    required: r.required,
                    service_level: r.service_level,
                    scheduled: cover.map(|c| c.scheduled),
                    gap: cover.map(|c| c.gap),
                }
            })
            .collect();
        Self {
            forecast: p.forecast.into(),
            handle_secs: p.handle_secs,
            handle_source: match p.handle_source {
                HandleTimeSource::Measured => "measured",
                HandleTimeSource::Given => "given",
            }
            .to_string(),
            measured_tickets: p.measured.tickets,
            measured_handle_secs: p.measured.mean_secs,
            target: p.target.share,
            within_secs: p.target.within_secs,
            method: p.method.into(),
            intervals,
        }
    }
}

/// The ticket volume per hour for the next 1–14 days, from the desk's own history (of a
/// team or category when given): the model a rolling-origin backtest chose (seasonal
/// naive, hour-of-week profile or Holt–Winters) with its MASE against seasonal naive.
/// Needs at least two weeks of history plus the horizon since the first ticket in scope
/// (`422 invalid_input` on `history` otherwise).
#[utoipa::path(get, path = "/workload/forecast", tag = "workload", security(("bearer" = [])),
    params(ForecastParams), responses((status = 200, description = "Forecast", body = ForecastDto)))]
async fn forecast(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(p): ApiQuery<ForecastParams>,
) -> Result<Json<ForecastDto>, Problem> {
    let forecast = state.desk().forecast_volume(&auth.actor, p.input()).await?;
    Ok(Json(forecast.into()))
}

/// The agents needed per hour of the forecast to give `target` of the first responses
/// within `within_secs`, by Erlang C (or the square-root rule), from the measured handle
/// time (or the one given). `scheduled` and `gap` are filled once shift schedules exist.
#[utoipa::path(get, path = "/workload/staffing", tag = "workload", security(("bearer" = [])),
    params(StaffingParams), responses((status = 200, description = "Staffing", body = StaffingDto)))]
async fn staffing(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(p): ApiQuery<StaffingParams>,
) -> Result<Json<StaffingDto>, Problem> {
    let forecast = ForecastParams {
        days: p.days,
        team_id: p.team_id,
        category: p.category.clone(),
        history_weeks: p.history_weeks,
    }
    .input();
    let request = StaffingRequest {
        forecast,
        target: p.target,
        within_secs: p.within_secs,
        handle_secs: p.handle_secs,
        method: p.method.map(Into::into),
    };
    let plan = state.desk().staffing(&auth.actor, request).await?;
    Ok(Json(plan.into()))
}
