//! `/rules`: automation rules (staff read, admins write) and their dry run.

use crate::dto::rules::{PreviewBody, RuleBody, RuleDto, RulePreviewDto};
use crate::dto::tickets::TicketDto;
use crate::dto::{to_core, to_dto};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::page::{paginate, Page, PageParams};
use crate::problem::Problem;
use crate::sla::IdPath;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use ticket_core::desk::RuleInput;
use ticket_core::id::{RuleId, TicketId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The rule routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(get_rule, replace_rule, delete_rule))
        .routes(routes!(preview_rule))
}

/// Rules in firing order (staff).
#[utoipa::path(get, path = "/rules", tag = "rules", security(("bearer" = [])),
    params(PageParams), responses((status = 200, description = "A page of rules", body = Page<RuleDto>)))]
async fn list_rules(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<Page<RuleDto>>, Problem> {
    let items = state
        .desk()
        .list_rules(&auth.actor)
        .await?
        .iter()
        .map(to_dto)
        .collect::<Result<Vec<RuleDto>, _>>()?;
    Ok(Json(paginate(items, &page, |r| r.id, |r| r)?))
}

/// Creates a rule.
#[utoipa::path(post, path = "/rules", tag = "rules", security(("bearer" = [])),
    request_body = RuleBody, responses((status = 201, description = "Created", body = RuleDto)))]
async fn create_rule(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<RuleBody>,
) -> Result<(StatusCode, Json<RuleDto>), Problem> {
    let input: RuleInput = to_core(&body)?;
    let rule = state.desk().create_rule(&auth.actor, input).await?;
    Ok((StatusCode::CREATED, Json(to_dto(&rule)?)))
}

/// One rule (staff).
#[utoipa::path(get, path = "/rules/{id}", tag = "rules", security(("bearer" = [])),
    params(IdPath), responses((status = 200, description = "The rule", body = RuleDto)))]
async fn get_rule(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<IdPath>,
) -> Result<Json<RuleDto>, Problem> {
    let rule = state
        .desk()
        .get_rule(&auth.actor, RuleId::from_uuid(p.id))
        .await?;
    Ok(Json(to_dto(&rule)?))
}

/// Replaces a rule.
#[utoipa::path(put, path = "/rules/{id}", tag = "rules", security(("bearer" = [])),
    params(IdPath), request_body = RuleBody,
    responses((status = 200, description = "Replaced", body = RuleDto)))]
async fn replace_rule(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<IdPath>,
    ApiJson(body): ApiJson<RuleBody>,
) -> Result<Json<RuleDto>, Problem> {
    let input: RuleInput = to_core(&body)?;
    let rule = state
        .desk()
        .update_rule(&auth.actor, RuleId::from_uuid(p.id), input)
        .await?;
    Ok(Json(to_dto(&rule)?))
}

/// Deletes a rule.
#[utoipa::path(delete, path = "/rules/{id}", tag = "rules", security(("bearer" = [])),
    params(IdPath), responses((status = 204, description = "Deleted")))]
async fn delete_rule(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<IdPath>,
) -> Result<StatusCode, Problem> {
    state
        .desk()
        .delete_rule(&auth.actor, RuleId::from_uuid(p.id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Dry-runs a rule against a ticket: whether it would fire, the ticket after, the side
/// effects. Nothing is stored.
#[utoipa::path(post, path = "/rules/{id}/preview", tag = "rules", security(("bearer" = [])),
    params(IdPath), request_body = PreviewBody,
    responses((status = 200, description = "The dry run", body = RulePreviewDto)))]
async fn preview_rule(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<IdPath>,
    ApiJson(body): ApiJson<PreviewBody>,
) -> Result<Json<RulePreviewDto>, Problem> {
    let preview = state
        .desk()
        .preview_rule(
            &auth.actor,
            RuleId::from_uuid(p.id),
            TicketId::from_uuid(body.ticket_id),
        )
        .await?;
    Ok(Json(RulePreviewDto {
        matched: preview.matched,
        ticket: TicketDto::from(preview.ticket),
        effects: preview
            .effects
            .iter()
            .map(to_dto)
            .collect::<Result<Vec<_>, _>>()?,
    }))
}
