//! `/tickets/{id}/comments`: public replies and internal notes.

use crate::dto::tickets::CommentDto;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::page::{Page, PageParams};
use crate::problem::Problem;
use crate::state::AppState;
use crate::tickets::TicketPath;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use ticket_core::id::TicketId;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The comment routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_comments, add_comment))
}

/// A new comment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// The text (1–20,000 characters).
    pub body: String,
    /// An internal note only staff see (default: a public reply).
    #[serde(default)]
    pub internal: bool,
}

/// The comments of a ticket, oldest first (internal notes only for staff).
#[utoipa::path(get, path = "/tickets/{id}/comments", tag = "comments", security(("bearer" = [])),
    params(TicketPath, PageParams),
    responses((status = 200, description = "A page of comments", body = Page<CommentDto>)))]
async fn list_comments(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TicketPath>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<Page<CommentDto>>, Problem> {
    let comments = state
        .desk()
        .list_comments(
            &auth.actor,
            TicketId::from_uuid(p.id),
            page.limit,
            page.cursor.as_deref(),
        )
        .await?;
    Ok(Json(Page::from_core(comments, CommentDto::from)))
}

/// Adds a public reply or an internal note (a requester's reply reopens a pending
/// ticket; the first staff reply stamps the first response).
#[utoipa::path(post, path = "/tickets/{id}/comments", tag = "comments", security(("bearer" = [])),
    params(TicketPath), request_body = CommentBody,
    responses((status = 201, description = "Added", body = CommentDto)))]
async fn add_comment(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TicketPath>,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<(StatusCode, Json<CommentDto>), Problem> {
    let c = state
        .desk()
        .add_comment(
            &auth.actor,
            TicketId::from_uuid(p.id),
            &body.body,
            body.internal,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}
