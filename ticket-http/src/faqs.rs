//! `/faqs`: FAQ entries that answer new tickets (anyone signed in reads; admins write).

use crate::dto::misc::FaqDto;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::page::{paginate, Page, PageParams};
use crate::problem::Problem;
use crate::sla::IdPath;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use ticket_core::desk::FaqInput;
use ticket_core::id::FaqId;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The FAQ routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_faqs, create_faq))
        .routes(routes!(replace_faq, delete_faq))
}

/// A FAQ entry as a client sends it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaqBody {
    /// The question (1–1,000 characters).
    pub question: String,
    /// The answer (1–20,000 characters).
    pub answer: String,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl From<FaqBody> for FaqInput {
    fn from(b: FaqBody) -> Self {
        Self {
            question: b.question,
            answer: b.answer,
            tags: b.tags,
        }
    }
}

/// FAQ entries.
#[utoipa::path(get, path = "/faqs", tag = "faqs", security(("bearer" = [])),
    params(PageParams), responses((status = 200, description = "A page of entries", body = Page<FaqDto>)))]
async fn list_faqs(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<Page<FaqDto>>, Problem> {
    let faqs = state.desk().list_faqs(&auth.actor).await?;
    Ok(Json(paginate(
        faqs,
        &page,
        |f| f.id.as_uuid(),
        FaqDto::from,
    )?))
}

/// Creates a FAQ entry.
#[utoipa::path(post, path = "/faqs", tag = "faqs", security(("bearer" = [])),
    request_body = FaqBody, responses((status = 201, description = "Created", body = FaqDto)))]
async fn create_faq(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<FaqBody>,
) -> Result<(StatusCode, Json<FaqDto>), Problem> {
    let faq = state.desk().create_faq(&auth.actor, body.into()).await?;
    Ok((StatusCode::CREATED, Json(faq.into())))
}

/// Replaces a FAQ entry.
#[utoipa::path(put, path = "/faqs/{id}", tag = "faqs", security(("bearer" = [])),
    params(IdPath), request_body = FaqBody,
    responses((status = 200, description = "Replaced", body = FaqDto)))]
async fn replace_faq(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<IdPath>,
    ApiJson(body): ApiJson<FaqBody>,
) -> Result<Json<FaqDto>, Problem> {
    let faq = state
        .desk()
        .update_faq(&auth.actor, FaqId::from_uuid(p.id), body.into())
        .await?;
    Ok(Json(faq.into()))
}

/// Deletes a FAQ entry.
#[utoipa::path(delete, path = "/faqs/{id}", tag = "faqs", security(("bearer" = [])),
    params(IdPath), responses((status = 204, description = "Deleted")))]
async fn delete_faq(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<IdPath>,
) -> Result<StatusCode, Problem> {
    state
        .desk()
        .delete_faq(&auth.actor, FaqId::from_uuid(p.id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
