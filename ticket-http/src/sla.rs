//! `/sla/policies` and `/sla/calendars`: service levels (staff read, admins write).

use crate::dto::config::{CalendarBody, CalendarDto, SlaPolicyBody, SlaPolicyDto};
use crate::dto::{to_core, to_dto};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::page::{paginate, Page, PageParams};
use crate::problem::Problem;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use ticket_core::desk::{CalendarInput, SlaPolicyInput};
use ticket_core::id::{CalendarId, SlaPolicyId};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// The SLA routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_policies, create_policy))
        .routes(routes!(get_policy, replace_policy, delete_policy))
        .routes(routes!(list_calendars, create_calendar))
        .routes(routes!(get_calendar, replace_calendar, delete_calendar))
}

/// An id in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    /// The id.
    pub id: Uuid,
}

fn policies(items: Vec<ticket_core::sla::SlaPolicy>) -> Result<Vec<SlaPolicyDto>, Problem> {
    items.iter().map(to_dto).collect()
}

/// SLA policies in the order they are tried (staff).
#[utoipa::path(get, path = "/sla/policies", tag = "sla", security(("bearer" = [])),
    params(PageParams), responses((status = 200, description = "A page of policies", body = Page<SlaPolicyDto>)))]
async fn list_policies(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<Page<SlaPolicyDto>>, Problem> {
    let items = policies(state.desk().list_sla_policies(&auth.actor).await?)?;
    Ok(Json(paginate(items, &page, |p| p.id, |p| p)?))
}

/// Creates an SLA policy.
#[utoipa::path(post, path = "/sla/policies", tag = "sla", security(("bearer" = [])),
    request_body = SlaPolicyBody, responses((status = 201, description = "Created", body = SlaPolicyDto)))]
async fn create_policy(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<SlaPolicyBody>,
) -> Result<(StatusCode, Json<SlaPolicyDto>), Problem> {
    let input: SlaPolicyInput = to_core(&body)?;
    let p = state.desk().create_sla_policy(&auth.actor, input).await?;
    Ok((StatusCode::CREATED, Json(to_dto(&p)?)))
}

/// One SLA policy (staff).
#[utoipa::path(get, path = "/sla/policies/{id}", tag = "sla", security(("bearer" = [])),
    params(IdPath), responses((status = 200, description = "The policy", body = SlaPolicyDto)))]
async fn get_policy(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<IdPath>,
) -> Result<Json<SlaPolicyDto>, Problem> {
    let policy = state
        .desk()
        .get_sla_policy(&auth.actor, SlaPolicyId::from_uuid(p.id))
        .await?;
    Ok(Json(to_dto(&policy)?))
}

/// Replaces an SLA policy.
#[utoipa::path(put, path = "/sla/policies/{id}", tag = "sla", security(("bearer" = [])),
    params(IdPath), request_body = SlaPolicyBody,
    responses((status = 200, description = "Replaced", body = SlaPolicyDto)))]
async fn replace_policy(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<IdPath>,
    ApiJson(body): ApiJson<SlaPolicyBody>,
) -> Result<Json<SlaPolicyDto>, Problem> {
    let input: SlaPolicyInput = to_core(&body)?;
    let policy = state
        .desk()
        .update_sla_policy(&auth.actor, SlaPolicyId::from_uuid(p.id), input)
        .await?;
    Ok(Json(to_dto(&policy)?))
}

/// Deletes an SLA policy.
#[utoipa::path(delete, path = "/sla/policies/{id}", tag = "sla", security(("bearer" = [])),
    params(IdPath), responses((status = 204, description = "Deleted")))]
async fn delete_policy(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<IdPath>,
) -> Result<StatusCode, Problem> {
    state
        .desk()
        .delete_sla_policy(&auth.actor, SlaPolicyId::from_uuid(p.id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Business calendars, by name (staff).
#[utoipa::path(get, path = "/sla/calendars", tag = "sla", security(("bearer" = [])),
    params(PageParams), responses((status = 200, description = "A page of calendars", body = Page<CalendarDto>)))]
async fn list_calendars(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<Page<CalendarDto>>, Problem> {
    let items = state
        .desk()
        .list_calendars(&auth.actor)
        .await?
        .iter()
        .map(to_dto)
        .collect::<Result<Vec<CalendarDto>, _>>()?;
    Ok(Json(paginate(items, &page, |c| c.id, |c| c)?))
}

/// Creates a business calendar.
#[utoipa::path(post, path = "/sla/calendars", tag = "sla", security(("bearer" = [])),
    request_body = CalendarBody, responses((status = 201, description = "Created", body = CalendarDto)))]
async fn create_calendar(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<CalendarBody>,
) -> Result<(StatusCode, Json<CalendarDto>), Problem> {
    let input: CalendarInput = to_core(&body)?;
    let c = state.desk().create_calendar(&auth.actor, input).await?;
    Ok((StatusCode::CREATED, Json(to_dto(&c)?)))
}

/// One business calendar (staff).
#[utoipa::path(get, path = "/sla/calendars/{id}", tag = "sla", security(("bearer" = [])),
    params(IdPath), responses((status = 200, description = "The calendar", body = CalendarDto)))]
async fn get_calendar(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<IdPath>,
) -> Result<Json<CalendarDto>, Problem> {
    let c = state
        .desk()
        .get_calendar(&auth.actor, CalendarId::from_uuid(p.id))
        .await?;
    Ok(Json(to_dto(&c)?))
}

/// Replaces a business calendar.
#[utoipa::path(put, path = "/sla/calendars/{id}", tag = "sla", security(("bearer" = [])),
    params(IdPath), request_body = CalendarBody,
    responses((status = 200, description = "Replaced", body = CalendarDto)))]
async fn replace_calendar(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<IdPath>,
    ApiJson(body): ApiJson<CalendarBody>,
) -> Result<Json<CalendarDto>, Problem> {
    let input: CalendarInput = to_core(&body)?;
    let c = state
        .desk()
        .update_calendar(&auth.actor, CalendarId::from_uuid(p.id), input)
        .await?;
    Ok(Json(to_dto(&c)?))
}

/// Deletes a business calendar (policies naming it fall back to around the clock).
#[utoipa::path(delete, path = "/sla/calendars/{id}", tag = "sla", security(("bearer" = [])),
    params(IdPath), responses((status = 204, description = "Deleted")))]
async fn delete_calendar(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<IdPath>,
) -> Result<StatusCode, Problem> {
    state
        .desk()
        .delete_calendar(&auth.actor, CalendarId::from_uuid(p.id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
