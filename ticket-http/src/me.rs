//! `/me`: the caller's own account.

use crate::dto::users::UserDto;
use crate::extract::{ApiJson, Auth};
use crate::middleware::rate_limit;
use crate::problem::Problem;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use ticket_core::text::Secret;
use ticket_core::views::{parse_views, SavedView};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The `/me` routes but [`limited_routes`].
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_me, update_me, delete_me))
        .routes(routes!(get_views, put_views))
}

/// The `/me` routes that check a password or send e-mail: rate limited per client (by
/// the router) and per account (here).
pub(crate) fn limited_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(change_password))
        .routes(routes!(resend_verification))
}

/// Changes to one's own account; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct MePatch {
    /// Display name.
    pub name: Option<String>,
    /// Login name.
    pub username: Option<String>,
}

/// One saved ticket view: a name and the ticket-list query string it stands for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedViewDto {
    /// 1-60 characters, one line, unique per user (case-insensitive).
    #[schema(min_length = 1, max_length = 60)]
    pub name: String,
    /// The `GET /tickets` query string, e.g. `assignee=me&status_category=new,open`
    /// (at most 1000 characters).
    #[schema(max_length = 1000)]
    pub query: String,
}

/// The caller's saved views, in the caller's order (at most 20).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedViews {
    /// The views.
    #[schema(max_items = 20)]
    pub views: Vec<SavedViewDto>,
}

impl From<Vec<SavedView>> for SavedViews {
    fn from(views: Vec<SavedView>) -> Self {
        Self {
            views: views
                .iter()
                .map(|v| SavedViewDto {
                    name: v.name().to_string(),
                    query: v.query().to_string(),
                })
                .collect(),
        }
    }
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password now.
    #[schema(value_type = String, format = Password)]
    pub current_password: Secret,
    /// The new password.
    #[schema(value_type = String, format = Password)]
    pub new_password: Secret,
}

/// The caller's account.
#[utoipa::path(get, path = "/me", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "The caller", body = UserDto)))]
async fn get_me(State(state): State<AppState>, auth: Auth) -> Result<Json<UserDto>, Problem> {
    Ok(Json(state.desk().current_user(&auth.actor).await?.into()))
}

/// Changes the caller's name or username.
#[utoipa::path(patch, path = "/me", tag = "me", security(("bearer" = [])), request_body = MePatch,
    responses((status = 200, description = "Changed", body = UserDto)))]
async fn update_me(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<MePatch>,
) -> Result<Json<UserDto>, Problem> {
    let user = state
        .desk()
        .update_me(&auth.actor, body.name.as_deref(), body.username.as_deref())
        .await?;
    Ok(Json(user.into()))
}

/// Deletes the caller's account (personal data erased; tickets stay with the desk).
#[utoipa::path(delete, path = "/me", tag = "me", security(("bearer" = [])),
    responses((status = 204, description = "Deleted")))]
async fn delete_me(State(state): State<AppState>, auth: Auth) -> Result<StatusCode, Problem> {
    state
        .desk()
        .delete_account(&auth.actor, auth.user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's saved ticket views (kept with the account: the same on every device).
#[utoipa::path(get, path = "/me/views", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "The views", body = SavedViews)))]
async fn get_views(State(state): State<AppState>, auth: Auth) -> Result<Json<SavedViews>, Problem> {
    Ok(Json(state.desk().saved_views(&auth.actor).await?.into()))
}

/// Replaces the caller's saved ticket views with these (an empty list clears them).
#[utoipa::path(put, path = "/me/views", tag = "me", security(("bearer" = [])),
    request_body = SavedViews,
    responses((status = 200, description = "The views now", body = SavedViews)))]
async fn put_views(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<SavedViews>,
) -> Result<Json<SavedViews>, Problem> {
    let views = parse_views(body.views.iter().map(|v| (&v.name, &v.query)))?;
    Ok(Json(
        state
            .desk()
            .set_saved_views(&auth.actor, views)
            .await?
            .into(),
    ))
}

/// Changes the caller's password (the current one is checked); every session ends.
#[utoipa::path(put, path = "/me/password", tag = "me", security(("bearer" = [])),
    request_body = PasswordChange, responses((status = 204, description = "Changed")))]
async fn change_password(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<StatusCode, Problem> {
    rate_limit::account(&state, "user", &auth.user_id.to_string())?;
    state
        .desk()
        .change_password(
            &auth.actor,
            body.current_password.expose(),
            body.new_password.expose(),
        )
        .await
        .map_err(|e| match e {
            // A wrong current password is bad input, not a lost session.
            ticket_core::Error::Unauthenticated => {
                Problem::invalid("current_password", "is not the current password")
            }
            e => e.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

/// E-mails the caller a new verification token.
#[utoipa::path(post, path = "/me/email-verification", tag = "me", security(("bearer" = [])),
    responses((status = 202, description = "Sent")))]
async fn resend_verification(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<StatusCode, Problem> {
    rate_limit::account(&state, "user", &auth.user_id.to_string())?;
    state.desk().request_email_verification(&auth.actor).await?;
    Ok(StatusCode::ACCEPTED)
}
