//! `/deliveries`: the outbox of webhook calls and e-mails (admins): see them with their
//! attempt log, retry a dead one, replay every dead one since an instant; and
//! `/webhook-endpoints`: the health of each webhook endpoint, and enabling a disabled one
//! again. Bodies (which may hold one-time tokens) are never shown.

use crate::dto::deliveries::{ReplayInput, ReplayResult, WebhookEndpointDto};
use crate::dto::misc::{DeliveryDto, DeliveryStatusDto};
use crate::extract::ApiJson;
use crate::extract::{ApiPath, ApiQuery, Auth};
use crate::page::{Page, PageParams};
use crate::problem::Problem;
use crate::sla::IdPath;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use ticket_core::id::{DeliveryId, EndpointId};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The delivery routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_deliveries))
        .routes(routes!(get_delivery))
        .routes(routes!(retry_delivery))
        .routes(routes!(replay_deliveries))
        .routes(routes!(list_endpoints))
        .routes(routes!(enable_endpoint))
}

/// Filters of `GET /deliveries`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryFilters {
    /// Only deliveries in this state (`dead` for the dead letters).
    #[param(inline)]
    pub status: Option<DeliveryStatusDto>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Outbound deliveries, newest first.
#[utoipa::path(get, path = "/deliveries", tag = "deliveries", security(("bearer" = [])),
    params(DeliveryFilters),
    responses((status = 200, description = "A page of deliveries", body = Page<DeliveryDto>)))]
async fn list_deliveries(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(f): ApiQuery<DeliveryFilters>,
) -> Result<Json<Page<DeliveryDto>>, Problem> {
    let page = state
        .desk()
        .list_deliveries(
            &auth.actor,
            f.status.map(Into::into),
            f.limit,
            f.cursor.as_deref().filter(|c| !c.is_empty()),
        )
        .await?;
    let items = page
        .items
        .into_iter()
        .map(DeliveryDto::from_core)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// Puts a dead delivery back in the queue with fresh attempts (409 when it is not dead).
#[utoipa::path(post, path = "/deliveries/{id}/retry", tag = "deliveries", security(("bearer" = [])),
    params(IdPath), responses((status = 200, description = "Queued again", body = DeliveryDto)))]
async fn retry_delivery(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<IdPath>,
) -> Result<Json<DeliveryDto>, Problem> {
    let entry = state
        .desk()
        .retry_delivery(&auth.actor, DeliveryId::from_uuid(p.id))
        .await?;
    Ok(Json(DeliveryDto::from_core(entry)?))
}

/// One delivery with its attempt log.
#[utoipa::path(get, path = "/deliveries/{id}", tag = "deliveries", security(("bearer" = [])),
    params(IdPath), responses((status = 200, description = "The delivery", body = DeliveryDto)))]
async fn get_delivery(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<IdPath>,
) -> Result<Json<DeliveryDto>, Problem> {
    let entry = state
        .desk()
        .get_delivery(&auth.actor, DeliveryId::from_uuid(p.id))
        .await?;
    Ok(Json(DeliveryDto::from_core(entry)?))
}

/// Puts every dead delivery created since an instant back in the queue with fresh
/// attempts (at most 10,000 per call).
#[utoipa::path(post, path = "/deliveries/replay", tag = "deliveries", security(("bearer" = [])),
    request_body = ReplayInput,
    responses((status = 200, description = "How many were queued again", body = ReplayResult)))]
async fn replay_deliveries(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(input): ApiJson<ReplayInput>,
) -> Result<Json<ReplayResult>, Problem> {
    let replayed = state
        .desk()
        .replay_dead_since(&auth.actor, input.since)
        .await?;
    Ok(Json(ReplayResult { replayed }))
}

/// Webhook endpoints the relay has tried, oldest first, with their health: enabled or
/// disabled (and why), failing since, last success, last error.
#[utoipa::path(get, path = "/webhook-endpoints", tag = "deliveries", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, description = "A page of endpoints", body = Page<WebhookEndpointDto>)))]
async fn list_endpoints(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<Page<WebhookEndpointDto>>, Problem> {
    let endpoints = state
        .desk()
        .list_endpoints(
            &auth.actor,
            page.limit,
            page.cursor.as_deref().filter(|c| !c.is_empty()),
        )
        .await?;
    Ok(Json(Page::from_core(endpoints, Into::into)))
}

/// Enables a disabled endpoint again (its failure clock starts afresh); then replay its
/// dead-lettered deliveries with `POST /deliveries/replay` or one by one.
#[utoipa::path(post, path = "/webhook-endpoints/{id}/enable", tag = "deliveries",
    security(("bearer" = [])), params(IdPath),
    responses((status = 200, description = "Enabled", body = WebhookEndpointDto)))]
async fn enable_endpoint(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<IdPath>,
) -> Result<Json<WebhookEndpointDto>, Problem> {
    let endpoint = state
        .desk()
        .enable_endpoint(&auth.actor, EndpointId::from_uuid(p.id))
        .await?;
    Ok(Json(endpoint.into()))
}
