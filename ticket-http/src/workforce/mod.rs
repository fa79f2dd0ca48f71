//! The workforce routes: shifts and breaks (`/users/{id}/shift/…`, `/users/{id}/break/…`),
//! schedules (`/users/{id}/schedule`), shift history (`/users/{id}/shifts`, `/shifts`),
//! adherence (`/users/{id}/adherence`, `/teams/{id}/adherence`), agents scheduled per
//! interval (`/workload/scheduled`), workload per agent and team (`/workload`), queue
//! processing (`/queue/process`) and rebalancing (`/workload/rebalance`). The desk
//! checks every permission: an agent works their own shifts; managing others' shifts and
//! schedules needs `UsersManage`; reading them `UsersRead`; adherence and workload
//! `StatsRead`; processing the queue and rebalancing `TicketAssign`.

pub(crate) mod job;
pub mod report_dto;
pub mod schedule_dto;

use crate::dto::rules::AssignStrategyDto;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::problem::Problem;
use crate::state::AppState;
use crate::teams::TeamPath;
use crate::users::UserPath;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use report_dto::{
    AdherenceDto, QueueReportDto, RebalanceDto, ScheduledStaffList, ShiftDto, ShiftList,
    WorkloadDto,
};
use schedule_dto::{span, ScheduleBody, ScheduleDto};
use serde::Deserialize;
use ticket_core::desk::{AdherenceScope, ShiftAction};
use ticket_core::id::{TeamId, UserId};
use ticket_core::routing::AssignStrategy;
use ticket_core::Error;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// The workforce routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_shift))
        .routes(routes!(end_shift))
        .routes(routes!(start_break))
        .routes(routes!(end_break))
        .routes(routes!(get_schedule, put_schedule))
        .routes(routes!(user_shifts))
        .routes(routes!(all_shifts))
        .routes(routes!(user_adherence))
        .routes(routes!(team_adherence))
        .routes(routes!(scheduled_staff))
        .routes(routes!(workload))
        .routes(routes!(process_queue))
        .routes(routes!(rebalance))
}

/// A time range.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// Start (RFC 3339).
    pub from: DateTime<Utc>,
    /// End (RFC 3339), after `from`, at most 62 days later.
    pub to: DateTime<Utc>,
}

/// A time range and an optional team.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StaffQuery {
    /// Start (RFC 3339).
    pub from: DateTime<Utc>,
    /// End (RFC 3339), after `from`, at most 62 days later.
    pub to: DateTime<Utc>,
    /// Only this team's agents.
    pub team: Option<Uuid>,
}

/// An optional team.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TeamQuery {
    /// Only this team's agents.
    pub team: Option<Uuid>,
}

/// How the queue picks agents.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// The strategy (default `skills_match`: shared skills first, then least loaded).
    #[param(inline)]
    pub strategy: Option<AssignStrategyDto>,
}

/// Whether to only plan.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RebalanceQuery {
    /// `true`: return the moves without making them.
    pub dry_run: Option<bool>,
}

async fn shift_event(
    state: &AppState,
    auth: &Auth,
    id: Uuid,
    action: ShiftAction,
) -> Result<Json<ShiftDto>, Problem> {
    let record = state
        .desk()
        .shift_event(&auth.actor, UserId::from_uuid(id), action)
        .await?;
    Ok(Json(record.into()))
}

/// Starts a shift: the agent goes online (themself, or a manager).
#[utoipa::path(post, path = "/users/{id}/shift/start", tag = "workforce", security(("bearer" = [])),
    params(UserPath), responses((status = 200, description = "The shift", body = ShiftDto)))]
async fn start_shift(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<UserPath>,
) -> Result<Json<ShiftDto>, Problem> {
    shift_event(&state, &auth, p.id, ShiftAction::StartShift).await
}

/// Ends the shift (and a break going on): the agent goes offline.
#[utoipa::path(post, path = "/users/{id}/shift/end", tag = "workforce", security(("bearer" = [])),
    params(UserPath), responses((status = 200, description = "The shift", body = ShiftDto)))]
async fn end_shift(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<UserPath>,
) -> Result<Json<ShiftDto>, Problem> {
    shift_event(&state, &auth, p.id, ShiftAction::EndShift).await
}

/// Starts a break: the agent is away (keeps their tickets, takes no new ones).
#[utoipa::path(post, path = "/users/{id}/break/start", tag = "workforce", security(("bearer" = [])),
    params(UserPath), responses((status = 200, description = "The shift", body = ShiftDto)))]
async fn start_break(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<UserPath>,
) -> Result<Json<ShiftDto>, Problem> {
    shift_event(&state, &auth, p.id, ShiftAction::StartBreak).await
}

/// Ends the break: the agent is online again.
#[utoipa::path(post, path = "/users/{id}/break/end", tag = "workforce", security(("bearer" = [])),
    params(UserPath), responses((status = 200, description = "The shift", body = ShiftDto)))]
async fn end_break(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<UserPath>,
) -> Result<Json<ShiftDto>, Problem> {
    shift_event(&state, &auth, p.id, ShiftAction::EndBreak).await
}

/// An agent's schedule (themself, or `UsersRead`); 404 when they have none.
#[utoipa::path(get, path = "/users/{id}/schedule", tag = "workforce", security(("bearer" = [])),
    params(UserPath), responses((status = 200, description = "The schedule", body = ScheduleDto)))]
async fn get_schedule(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<UserPath>,
) -> Result<Json<ScheduleDto>, Problem> {
    let schedule = state
        .desk()
        .shift_schedule(&auth.actor, UserId::from_uuid(p.id))
        .await?
        .ok_or_else(|| Error::not_found("schedule"))?;
    Ok(Json(schedule.into()))
}

/// Replaces an agent's schedule (`UsersManage`); send the `version` read (none for a
/// first schedule): a stale one is a 409.
#[utoipa::path(put, path = "/users/{id}/schedule", tag = "workforce", security(("bearer" = [])),
    params(UserPath), request_body = ScheduleBody,
    responses((status = 200, description = "The schedule", body = ScheduleDto)))]
async fn put_schedule(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<UserPath>,
    ApiJson(body): ApiJson<ScheduleBody>,
) -> Result<Json<ScheduleDto>, Problem> {
    let (input, version) = body.into_input()?;
    let schedule = state
        .desk()
        .set_shift_schedule(&auth.actor, UserId::from_uuid(p.id), input, version)
        .await?;
    Ok(Json(schedule.into()))
}

/// The shifts an agent worked over a range, e.g. one day (themself, or `UsersRead`).
#[utoipa::path(get, path = "/users/{id}/shifts", tag = "workforce", security(("bearer" = [])),
    params(UserPath, RangeQuery),
    responses((status = 200, description = "Shift records", body = ShiftList)))]
async fn user_shifts(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<UserPath>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Json<ShiftList>, Problem> {
    let range = span(q.from, q.to)?;
    let items = state
        .desk()
        .shift_history(&auth.actor, Some(UserId::from_uuid(p.id)), range)
        .await?;
    Ok(Json(ShiftList {
        items: items.into_iter().map(ShiftDto::from).collect(),
    }))
}

/// Every agent's shifts over a range (`UsersRead`).
#[utoipa::path(get, path = "/shifts", tag = "workforce", security(("bearer" = [])),
    params(RangeQuery), responses((status = 200, description = "Shift records", body = ShiftList)))]
async fn all_shifts(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Json<ShiftList>, Problem> {
    let range = span(q.from, q.to)?;
    let items = state.desk().shift_history(&auth.actor, None, range).await?;
    Ok(Json(ShiftList {
        items: items.into_iter().map(ShiftDto::from).collect(),
    }))
}

/// An agent's adherence per 15-minute interval: scheduled against worked (themself, or
/// `StatsRead`).
#[utoipa::path(get, path = "/users/{id}/adherence", tag = "workforce", security(("bearer" = [])),
    params(UserPath, RangeQuery),
    responses((status = 200, description = "Adherence", body = AdherenceDto)))]
async fn user_adherence(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<UserPath>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Json<AdherenceDto>, Problem> {
    let range = span(q.from, q.to)?;
    let scope = AdherenceScope::Agent(UserId::from_uuid(p.id));
    let report = state.desk().adherence(&auth.actor, scope, range).await?;
    Ok(Json(report.into()))
}

/// A team's adherence per 15-minute interval, its agents summed (`StatsRead`).
#[utoipa::path(get, path = "/teams/{id}/adherence", tag = "workforce", security(("bearer" = [])),
    params(TeamPath, RangeQuery),
    responses((status = 200, description = "Adherence", body = AdherenceDto)))]
async fn team_adherence(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TeamPath>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Json<AdherenceDto>, Problem> {
    let range = span(q.from, q.to)?;
    let scope = AdherenceScope::Team(TeamId::from_uuid(p.id));
    let report = state.desk().adherence(&auth.actor, scope, range).await?;
    Ok(Json(report.into()))
}

/// Agents scheduled per 15-minute interval (on shift, not on a planned break), of a
/// team when given (`StatsRead`): the supply staffing needs are compared with.
#[utoipa::path(get, path = "/workload/scheduled", tag = "workforce", security(("bearer" = [])),
    params(StaffQuery),
    responses((status = 200, description = "Agents scheduled per interval", body = ScheduledStaffList)))]
async fn scheduled_staff(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<StaffQuery>,
) -> Result<Json<ScheduledStaffList>, Problem> {
    let range = span(q.from, q.to)?;
    let items = state
        .desk()
        .scheduled_staff(&auth.actor, q.team.map(TeamId::from_uuid), range)
        .await?;
    Ok(Json(ScheduledStaffList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Workload per agent and per team: working tickets against capacity (`StatsRead`).
#[utoipa::path(get, path = "/workload", tag = "workforce", security(("bearer" = [])),
    params(TeamQuery), responses((status = 200, description = "Workload", body = WorkloadDto)))]
async fn workload(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<TeamQuery>,
) -> Result<Json<WorkloadDto>, Problem> {
    let w = state
        .desk()
        .workload(&auth.actor, q.team.map(TeamId::from_uuid))
        .await?;
    Ok(Json(w.into()))
}

/// Assigns the unassigned queue now, most urgent first, until agents are at capacity
/// (`TicketAssign`). The server also runs it on a timer and when an agent becomes
/// available.
#[utoipa::path(post, path = "/queue/process", tag = "workforce", security(("bearer" = [])),
    params(QueueQuery),
    responses((status = 200, description = "What the run did", body = QueueReportDto)))]
async fn process_queue(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> Result<Json<QueueReportDto>, Problem> {
    let strategy = q.strategy.map_or(AssignStrategy::SkillsMatch, Into::into);
    let report = state.desk().process_queue(&auth.actor, strategy).await?;
    Ok(Json(report.into()))
}

/// Moves open tickets from agents offline, off shift or over capacity to available
/// agents with room, respecting skills; `dry_run=true` only shows the moves
/// (`TicketAssign`).
#[utoipa::path(post, path = "/workload/rebalance", tag = "workforce", security(("bearer" = [])),
    params(RebalanceQuery),
    responses((status = 200, description = "The moves", body = RebalanceDto)))]
async fn rebalance(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<RebalanceQuery>,
) -> Result<Json<RebalanceDto>, Problem> {
    let report = state
        .desk()
        .rebalance(&auth.actor, q.dry_run.unwrap_or(false))
        .await?;
    Ok(Json(report.into()))
}
