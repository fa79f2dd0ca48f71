//! `/tickets/{id}/presence`: which staff are viewing or replying to a ticket right now,
//! so a client can warn an agent that a colleague is on it. A client `PUT`s its
//! activity while the ticket is open (each announcement lasts 30 s; the console repeats
//! it every 15 s and when the agent starts or stops typing) and `DELETE`s it when it
//! leaves. Staff only; presence lives in the memory of the server instance.

use crate::extract::{ApiJson, ApiPath, Auth};
use crate::problem::Problem;
use crate::state::AppState;
use crate::tickets::TicketPath;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ticket_core::desk::{Activity, Presence};
use ticket_core::id::TicketId;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// The presence routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_presence, announce, leave))
}

/// What someone is doing on a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = Activity)]
pub enum ActivityDto {
    /// Has the ticket open.
    Viewing,
    /// Is writing a reply or note.
    Replying,
}

impl From<ActivityDto> for Activity {
    fn from(a: ActivityDto) -> Self {
        match a {
            ActivityDto::Viewing => Self::Viewing,
            ActivityDto::Replying => Self::Replying,
        }
    }
}

impl From<Activity> for ActivityDto {
    fn from(a: Activity) -> Self {
        match a {
            Activity::Viewing => Self::Viewing,
            Activity::Replying => Self::Replying,
        }
    }
}

/// An announcement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceBody {
    /// What the caller is doing.
    pub activity: ActivityDto,
}

/// One person on a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Presence)]
pub struct PresenceDto {
    /// Who.
    pub user_id: Uuid,
    /// Doing what.
    pub activity: ActivityDto,
    /// Since when they have been on the ticket.
    pub since: DateTime<Utc>,
    /// When the announcement lapses unless repeated.
    pub expires_at: DateTime<Utc>,
}

impl From<Presence> for PresenceDto {
    fn from(p: Presence) -> Self {
        Self {
            user_id: p.user.as_uuid(),
            activity: p.activity.into(),
            since: p.since,
            expires_at: p.expires_at,
        }
    }
}

/// Who is on a ticket, earliest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PresenceList {
    /// The people (the caller included when they announced themselves).
    pub items: Vec<PresenceDto>,
}

fn list(items: Vec<Presence>) -> Json<PresenceList> {
    Json(PresenceList {
        items: items.into_iter().map(PresenceDto::from).collect(),
    })
}

/// Who is viewing or replying to a ticket now (staff).
#[utoipa::path(get, path = "/tickets/{id}/presence", tag = "tickets", security(("bearer" = [])),
    params(TicketPath),
    responses((status = 200, description = "Who is on the ticket", body = PresenceList)))]
async fn list_presence(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TicketPath>,
) -> Result<Json<PresenceList>, Problem> {
    let items = state
        .desk()
        .ticket_presence(&auth.actor, TicketId::from_uuid(p.id))
        .await?;
    Ok(list(items))
}

/// Announces that the caller is viewing or replying to a ticket for the next 30 s, and
/// answers who is on it now (staff).
#[utoipa::path(put, path = "/tickets/{id}/presence", tag = "tickets", security(("bearer" = [])),
    params(TicketPath), request_body = PresenceBody,
    responses((status = 200, description = "Who is on the ticket", body = PresenceList)))]
async fn announce(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TicketPath>,
    ApiJson(body): ApiJson<PresenceBody>,
) -> Result<Json<PresenceList>, Problem> {
    let items = state
        .desk()
        .announce_presence(&auth.actor, TicketId::from_uuid(p.id), body.activity.into())
        .await?;
    Ok(list(items))
}

/// Takes the caller off a ticket (staff).
#[utoipa::path(delete, path = "/tickets/{id}/presence", tag = "tickets", security(("bearer" = [])),
    params(TicketPath), responses((status = 204, description = "Gone")))]
async fn leave(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TicketPath>,
) -> Result<StatusCode, Problem> {
    state
        .desk()
        .leave_presence(&auth.actor, TicketId::from_uuid(p.id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
