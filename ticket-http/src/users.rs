//! `/users`: accounts, for staff. Reading needs `UsersRead` (agents and above); creating,
//! changing and deleting customers and agents needs `UsersManage` (admins), admins and
//! super-admins `AdminsManage` (super-admins). The desk checks all of it.

use crate::dto::users::{AvailabilityDto, RoleDto, UserDto};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::page::Page;
use crate::problem::Problem;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use ticket_core::account::Role;
use ticket_core::desk::{RegisterInput, UserPatch};
use ticket_core::id::{TeamId, UserId};
use ticket_core::query::UserQuery;
use ticket_core::text::Secret;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// The user routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(set_availability))
}

/// Filters of `GET /users`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilters {
    /// Only this role.
    #[param(inline)]
    pub role: Option<RoleDto>,
    /// Case-insensitive part of the name, e-mail or username.
    pub q: Option<String>,
    /// Only members of this team.
    pub team: Option<Uuid>,
    /// Include deleted (pseudonymised) accounts.
    pub include_deleted: Option<bool>,
    /// `true`: only agents taking work now (online: on shift and not on a break, or set
    /// online); `false`: only staff who are not.
    pub available: Option<bool>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A user id in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserPath {
    /// The user.
    pub id: Uuid,
}

/// A new account of any role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserCreate {
    /// E-mail address.
    pub email: String,
    /// Login name: 3–40 characters of a-z, 0-9, `_` and `-`.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Password (see `/auth/register`).
    #[schema(value_type = String, format = Password)]
    pub password: Secret,
    /// Role: admins and super-admins are created by super-admins only.
    pub role: RoleDto,
}

/// An admin's changes to a user; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct UserPatchBody {
    /// Display name.
    pub name: Option<String>,
    /// Login name.
    pub username: Option<String>,
    /// Role.
    pub role: Option<RoleDto>,
    /// Agent skills (staff only).
    pub skills: Option<Vec<String>>,
    /// Agent capacity: most open tickets (staff only, at most 10,000).
    #[serde(deserialize_with = "crate::dto::lenient::opt_int")]
    #[schema(maximum = 10000)]
    pub capacity: Option<u32>,
    /// Teams (staff only).
    pub team_ids: Option<Vec<Uuid>>,
}

/// An availability change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityBody {
    /// Whether the agent takes new work.
    pub availability: AvailabilityDto,
}

/// Lists users, by creation.
#[utoipa::path(get, path = "/users", tag = "users", security(("bearer" = [])),
    params(UserFilters), responses((status = 200, description = "A page of users", body = Page<UserDto>)))]
async fn list_users(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(f): ApiQuery<UserFilters>,
) -> Result<Json<Page<UserDto>>, Problem> {
    let limit = ticket_core::query::check_limit(f.limit)?;
    let query = UserQuery {
        role: f.role.map(Role::from),
        team: f.team.map(TeamId::from_uuid),
        // Cleaned (and a blank one dropped) by the desk.
        text: f.q,
        include_deleted: f.include_deleted.unwrap_or(false),
        available: f.available,
        limit,
        cursor: f.cursor.filter(|c| !c.is_empty()),
    };
    let page = state.desk().list_users(&auth.actor, query).await?;
    Ok(Json(Page::from_core(page, UserDto::from)))
}

/// Creates an account with any role.
#[utoipa::path(post, path = "/users", tag = "users", security(("bearer" = [])),
    request_body = UserCreate, responses((status = 201, description = "Created", body = UserDto)))]
async fn create_user(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<UserCreate>,
) -> Result<(StatusCode, Json<UserDto>), Problem> {
    let input = RegisterInput {
        email: body.email,
        username: body.username,
        name: body.name,
        password: body.password.expose().to_string(),
    };
    let user = state
        .desk()
        .create_user(&auth.actor, input, body.role.into())
        .await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// One user (oneself, or anyone for staff). Deleted accounts are gone (404).
#[utoipa::path(get, path = "/users/{id}", tag = "users", security(("bearer" = [])),
    params(UserPath), responses((status = 200, description = "The user", body = UserDto)))]
async fn get_user(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<UserPath>,
) -> Result<Json<UserDto>, Problem> {
    let user = state
        .desk()
        .get_user(&auth.actor, UserId::from_uuid(p.id))
        .await?;
    if user.is_deleted() {
        return Err(ticket_core::Error::not_found("user").into());
    }
    Ok(Json(user.into()))
}

/// Changes a user: name, username, role, skills, capacity, teams.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", security(("bearer" = [])),
    params(UserPath), request_body = UserPatchBody,
    responses((status = 200, description = "Changed", body = UserDto)))]
async fn update_user(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<UserPath>,
    ApiJson(body): ApiJson<UserPatchBody>,
) -> Result<Json<UserDto>, Problem> {
    let patch = UserPatch {
        name: body.name,
        username: body.username,
        role: body.role.map(Role::from),
        skills: body.skills,
        capacity: body.capacity,
        team_ids: body
            .team_ids
            .map(|ids| ids.into_iter().map(TeamId::from_uuid).collect()),
    };
    let user = state
        .desk()
        .update_user(&auth.actor, UserId::from_uuid(p.id), patch)
        .await?;
    Ok(Json(user.into()))
}

/// Deletes an account (personal data erased; its tickets stay with the desk).
#[utoipa::path(delete, path = "/users/{id}", tag = "users", security(("bearer" = [])),
    params(UserPath), responses((status = 204, description = "Deleted")))]
async fn delete_user(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<UserPath>,
) -> Result<StatusCode, Problem> {
    state
        .desk()
        .delete_account(&auth.actor, UserId::from_uuid(p.id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets an agent's availability (oneself, or any agent for admins).
#[utoipa::path(put, path = "/users/{id}/availability", tag = "users", security(("bearer" = [])),
    params(UserPath), request_body = AvailabilityBody,
    responses((status = 200, description = "Changed", body = UserDto)))]
async fn set_availability(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<UserPath>,
    ApiJson(body): ApiJson<AvailabilityBody>,
) -> Result<Json<UserDto>, Problem> {
    let user = state
        .desk()
        .set_availability(
            &auth.actor,
            UserId::from_uuid(p.id),
            body.availability.into(),
        )
        .await?;
    Ok(Json(user.into()))
}
