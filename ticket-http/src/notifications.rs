//! `/notifications`: the caller's in-app notifications.

use crate::dto::misc::{CountDto, NotificationDto};
use crate::extract::{ApiPath, ApiQuery, Auth};
use crate::page::Page;
use crate::problem::Problem;
use crate::sla::IdPath;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use ticket_core::id::NotificationId;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The notification routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(unread_count))
        .routes(routes!(mark_read))
        .routes(routes!(mark_all_read))
}

/// Filters of `GET /notifications`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationFilters {
    /// Only unread notifications.
    pub unread: Option<bool>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/notifications", tag = "notifications", security(("bearer" = [])),
    params(NotificationFilters),
    responses((status = 200, description = "A page of notifications", body = Page<NotificationDto>)))]
async fn list_notifications(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(f): ApiQuery<NotificationFilters>,
) -> Result<Json<Page<NotificationDto>>, Problem> {
    let page = state
        .desk()
        .list_notifications(
            &auth.actor,
            f.unread.unwrap_or(false),
            f.limit,
            f.cursor.as_deref().filter(|c| !c.is_empty()),
        )
        .await?;
    let items = page
        .items
        .into_iter()
        .map(NotificationDto::from_core)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// How many unread notifications the caller has.
#[utoipa::path(get, path = "/notifications/unread-count", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, description = "The count", body = CountDto)))]
async fn unread_count(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<CountDto>, Problem> {
    let count = state.desk().unread_notifications(&auth.actor).await?;
    Ok(Json(CountDto { count }))
}

/// Marks one notification read.
#[utoipa::path(post, path = "/notifications/{id}/read", tag = "notifications", security(("bearer" = [])),
    params(IdPath), responses((status = 204, description = "Read")))]
async fn mark_read(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<IdPath>,
) -> Result<StatusCode, Problem> {
    state
        .desk()
        .mark_notification_read(&auth.actor, NotificationId::from_uuid(p.id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Marks every notification read; answers how many were unread.
#[utoipa::path(post, path = "/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, description = "How many were marked", body = CountDto)))]
async fn mark_all_read(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<CountDto>, Problem> {
    let count = state
        .desk()
        .mark_all_notifications_read(&auth.actor)
        .await?;
    Ok(Json(CountDto { count }))
}
