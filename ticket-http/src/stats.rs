//! `/stats`: desk statistics (staff).

use crate::dto::misc::StatsDto;
use crate::extract::{ApiQuery, Auth};
use crate::problem::Problem;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use ticket_core::id::TeamId;
use ticket_core::query::StatsQuery;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// The statistics routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stats))
}

/// The window and scope of statistics.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// Tickets created at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Tickets created before (RFC 3339); must be after `from`.
    pub to: Option<DateTime<Utc>>,
    /// Only this team's tickets.
    pub team_id: Option<Uuid>,
}

/// Totals, open work, breakdowns by status, priority and category, tickets per day, SLA
/// outcomes and agent load over the tickets created in the window.
#[utoipa::path(get, path = "/stats", tag = "stats", security(("bearer" = [])),
    params(StatsParams), responses((status = 200, description = "Statistics", body = StatsDto)))]
async fn stats(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(p): ApiQuery<StatsParams>,
) -> Result<Json<StatsDto>, Problem> {
    let query = StatsQuery {
        from: p.from,
        to: p.to,
        team: p.team_id.map(TeamId::from_uuid),
    };
    Ok(Json(state.desk().stats(&auth.actor, query).await?.into()))
}
