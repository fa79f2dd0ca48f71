//! The AI routes: retraining the classifier from the desk's own tickets (admins), and
//! the requester's verdict on a FAQ answer posted to their ticket (confirm: resolved, a
//! deflection; reject: reopened for an agent). Suggestions themselves come with
//! `POST /tickets/classify` and with every new ticket.

use crate::dto::tickets::TicketDto;
use crate::extract::{ApiPath, Auth};
use crate::problem::Problem;
use crate::state::AppState;
use crate::tickets::TicketPath;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use ticket_core::id::TicketId;
use ticket_core::ports::RetrainReport;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The AI routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(retrain))
        .routes(routes!(confirm_faq))
        .routes(routes!(reject_faq))
}

/// What a retraining did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = RetrainReport)]
pub struct RetrainReportDto {
    /// The desk's tickets learnt from (solved, closed, or corrected by staff).
    pub examples: usize,
    /// Rows the new model was trained on (the desk's plus the shipped sample).
    pub rows: usize,
    /// The model now in use.
    pub model: String,
    /// The categories the new model knows.
    pub categories: Vec<String>,
}

impl From<RetrainReport> for RetrainReportDto {
    fn from(r: RetrainReport) -> Self {
        Self {
            examples: r.examples,
            rows: r.rows,
            model: r.model,
            categories: r.categories,
        }
    }
}

/// Retrains the classifier from the desk's own tickets whose labels an agent set,
/// corrected or confirmed, and swaps the model in use atomically (admins).
#[utoipa::path(post, path = "/ai/retrain", tag = "ai", security(("bearer" = [])),
    responses((status = 200, description = "The new model is in use", body = RetrainReportDto)))]
async fn retrain(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<RetrainReportDto>, Problem> {
    let report = state.desk().retrain_classifier(&auth.actor).await?;
    Ok(Json(report.into()))
}

/// The requester confirms the FAQ answer posted to their ticket solved it: the ticket
/// resolves (a deflection).
#[utoipa::path(post, path = "/tickets/{id}/faq/confirm", tag = "ai", security(("bearer" = [])),
    params(TicketPath),
    responses((status = 200, description = "Resolved", body = TicketDto)))]
async fn confirm_faq(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TicketPath>,
) -> Result<Json<TicketDto>, Problem> {
    let t = state
        .desk()
        .confirm_faq(&auth.actor, TicketId::from_uuid(p.id))
        .await?;
    Ok(Json(t.into()))
}

/// The requester says the FAQ answer did not help: the ticket reopens for an agent.
#[utoipa::path(post, path = "/tickets/{id}/faq/reject", tag = "ai", security(("bearer" = [])),
    params(TicketPath),
    responses((status = 200, description = "Reopened", body = TicketDto)))]
async fn reject_faq(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TicketPath>,
) -> Result<Json<TicketDto>, Problem> {
    let t = state
        .desk()
        .reject_faq(&auth.actor, TicketId::from_uuid(p.id))
        .await?;
    Ok(Json(t.into()))
}
