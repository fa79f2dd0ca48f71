//! `/teams`: teams of agents. Membership lives on the agents' profiles in the core:
//! a team's `member_ids` are the users whose profile lists it, and setting them updates
//! those users' `team_ids` through `HelpDesk::update_user` (so the same permissions
//! apply).

use crate::dto::double_option;
use crate::dto::misc::TeamDto;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::page::{paginate, Page, PageParams};
use crate::problem::Problem;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use ticket_core::desk::{TeamInput, TeamPatch, UserPatch};
use ticket_core::id::{TeamId, UserId};
use ticket_core::query::UserQuery;
use ticket_core::team::Team;
use ticket_core::text::Secret;
use ticket_core::Actor;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// The team routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams, create_team))
        .routes(routes!(get_team, update_team, delete_team))
}

/// A team id in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TeamPath {
    /// The team.
    pub id: Uuid,
}

/// A new team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamCreate {
    /// Name (1–100 characters, unique case-insensitively).
    pub name: String,
    /// What the team does (at most 2,000 characters).
    #[serde(default)]
    pub description: String,
    /// The team's own system (http or https URL; empty: none).
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// Signs the webhook calls (HMAC-SHA256); write-only.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub webhook_secret: Option<Secret>,
    /// Staff members of the team.
    #[serde(default)]
    pub member_ids: Vec<Uuid>,
}

/// Changes to a team: an absent field stays as it is, `null` clears the webhook URL or
/// secret.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct TeamPatchBody {
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Webhook URL (`null` or empty removes it).
    #[serde(deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub webhook_url: Option<Option<String>>,
    /// Webhook secret (`null` removes it); write-only.
    #[serde(deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Password)]
    pub webhook_secret: Option<Option<Secret>>,
    /// Replaces the members.
    pub member_ids: Option<Vec<Uuid>>,
}

/// Every member of a team.
async fn members(state: &AppState, actor: &Actor, team: TeamId) -> Result<Vec<UserId>, Problem> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let query = UserQuery {
            team: Some(team),
            limit: 100,
            cursor,
            ..UserQuery::default()
        };
        let page = state.desk().list_users(actor, query).await?;
        out.extend(page.items.iter().map(|u| u.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

async fn dto(state: &AppState, actor: &Actor, team: Team) -> Result<TeamDto, Problem> {
    let ids = members(state, actor, team.id).await?;
    Ok(TeamDto::new(
        team,
        ids.into_iter().map(|u| u.as_uuid()).collect(),
    ))
}

/// Checks that every wanted member exists and is staff, before anything is written.
async fn check_members(state: &AppState, actor: &Actor, ids: &[Uuid]) -> Result<(), Problem> {
    for (i, id) in ids.iter().enumerate() {
        let field = format!("member_ids[{i}]");
        match state.desk().get_user(actor, UserId::from_uuid(*id)).await {
            Ok(u) if !u.is_deleted() && u.role.is_staff() => {}
            Ok(_) | Err(ticket_core::Error::NotFound { .. }) => {
                return Err(Problem::invalid(field, "must be an active agent or admin"))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Makes the team's members exactly `wanted`.
async fn set_members(
    state: &AppState,
    actor: &Actor,
    team: TeamId,
    wanted: &[Uuid],
) -> Result<(), Problem> {
    let wanted: Vec<UserId> = wanted.iter().copied().map(UserId::from_uuid).collect();
    let current = members(state, actor, team).await?;
    let changes = wanted
        .iter()
        .filter(|u| !current.contains(u))
        .map(|u| (*u, true))
        .chain(
            current
                .iter()
                .filter(|u| !wanted.contains(u))
                .map(|u| (*u, false)),
        );
    for (user, join) in changes {
        let u = state.desk().get_user(actor, user).await?;
        let mut teams = u.agent.map(|p| p.teams).unwrap_or_default();
        teams.retain(|t| *t != team);
        if join {
            teams.push(team);
        }
        let patch = UserPatch {
            team_ids: Some(teams),
            ..UserPatch::default()
        };
        state.desk().update_user(actor, user, patch).await?;
    }
    Ok(())
}

/// Lists teams, by name (staff).
#[utoipa::path(get, path = "/teams", tag = "teams", security(("bearer" = [])),
    params(PageParams), responses((status = 200, description = "A page of teams", body = Page<TeamDto>)))]
async fn list_teams(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<Page<TeamDto>>, Problem> {
    let teams = state.desk().list_teams(&auth.actor).await?;
    let page = paginate(teams, &page, |t| t.id.as_uuid(), |t| t)?;
    let mut items = Vec::with_capacity(page.items.len());
    for t in page.items {
        items.push(dto(&state, &auth.actor, t).await?);
    }
    Ok(Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// Creates a team.
#[utoipa::path(post, path = "/teams", tag = "teams", security(("bearer" = [])),
    request_body = TeamCreate, responses((status = 201, description = "Created", body = TeamDto)))]
async fn create_team(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<TeamCreate>,
) -> Result<(StatusCode, Json<TeamDto>), Problem> {
    let input = TeamInput {
        name: body.name,
        description: body.description,
        webhook_url: body.webhook_url.filter(|u| !u.trim().is_empty()),
        webhook_secret: body.webhook_secret.filter(|s| !s.expose().is_empty()),
    };
    if !body.member_ids.is_empty() {
        // Permission first, so a customer learns nothing about user ids.
        state.desk().list_teams(&auth.actor).await?;
        check_members(&state, &auth.actor, &body.member_ids).await?;
    }
    let team = state.desk().create_team(&auth.actor, input).await?;
    set_members(&state, &auth.actor, team.id, &body.member_ids).await?;
    Ok((
        StatusCode::CREATED,
        Json(dto(&state, &auth.actor, team).await?),
    ))
}

/// One team (staff).
#[utoipa::path(get, path = "/teams/{id}", tag = "teams", security(("bearer" = [])),
    params(TeamPath), responses((status = 200, description = "The team", body = TeamDto)))]
async fn get_team(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TeamPath>,
) -> Result<Json<TeamDto>, Problem> {
    let team = state
        .desk()
        .get_team(&auth.actor, TeamId::from_uuid(p.id))
        .await?;
    Ok(Json(dto(&state, &auth.actor, team).await?))
}

/// Changes a team.
#[utoipa::path(patch, path = "/teams/{id}", tag = "teams", security(("bearer" = [])),
    params(TeamPath), request_body = TeamPatchBody,
    responses((status = 200, description = "Changed", body = TeamDto)))]
async fn update_team(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TeamPath>,
    ApiJson(body): ApiJson<TeamPatchBody>,
) -> Result<Json<TeamDto>, Problem> {
    let id = TeamId::from_uuid(p.id);
    if let Some(ids) = &body.member_ids {
        state.desk().get_team(&auth.actor, id).await?;
        check_members(&state, &auth.actor, ids).await?;
    }
    let patch = TeamPatch {
        name: body.name,
        description: body.description,
        webhook_url: body.webhook_url.map(|u| u.filter(|u| !u.trim().is_empty())),
        webhook_secret: body
            .webhook_secret
            .map(|s| s.filter(|s| !s.expose().is_empty())),
    };
    let team = state.desk().update_team(&auth.actor, id, patch).await?;
    if let Some(ids) = &body.member_ids {
        set_members(&state, &auth.actor, id, ids).await?;
    }
    Ok(Json(dto(&state, &auth.actor, team).await?))
}

/// Deletes a team (its members' profiles no longer list it).
#[utoipa::path(delete, path = "/teams/{id}", tag = "teams", security(("bearer" = [])),
    params(TeamPath), responses((status = 204, description = "Deleted")))]
async fn delete_team(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TeamPath>,
) -> Result<StatusCode, Problem> {
    state
        .desk()
        .delete_team(&auth.actor, TeamId::from_uuid(p.id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
