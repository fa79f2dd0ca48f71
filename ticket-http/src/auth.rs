//! `/auth/*`: registration, login, token refresh and logout, e-mail verification and
//! password reset. Rate limited per client, and login, refresh, registration and
//! forgotten password per account too ([`crate::middleware::rate_limit`]).

use crate::dto::users::UserDto;
use crate::extract::ApiJson;
use crate::middleware::rate_limit;
use crate::problem::Problem;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use ticket_core::account::TokenSecret;
use ticket_core::desk::{RegisterInput, Session};
use ticket_core::text::Secret;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The auth routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(verify_email))
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
}

/// A new customer account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    /// E-mail address.
    pub email: String,
    /// Login name: 3–40 characters of a-z, 0-9, `_` and `-`.
    pub username: String,
    /// Display name (1–100 characters).
    pub name: String,
    /// Password: 10–128 characters, at least 5 different, not containing the username or
    /// the e-mail's local part.
    #[schema(value_type = String, format = Password)]
    pub password: Secret,
}

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// E-mail address or username.
    pub login: String,
    /// Password.
    #[schema(value_type = String, format = Password)]
    pub password: Secret,
}

/// A refresh token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    /// The refresh token of the session (single use: each refresh returns a new one).
    #[schema(value_type = String)]
    pub refresh_token: Secret,
}

/// A one-time token sent by e-mail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    /// The token.
    #[schema(value_type = String)]
    pub token: Secret,
}

/// An e-mail address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotPasswordBody {
    /// The account's e-mail address.
    pub email: String,
}

/// A password reset.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordBody {
    /// The reset token sent by e-mail.
    #[schema(value_type = String)]
    pub token: Secret,
    /// The new password.
    #[schema(value_type = String, format = Password)]
    pub password: Secret,
}

/// A login session.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// A short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Exchanges for a new access token at `/auth/refresh` (single use, rotating).
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the access token lives.
    pub expires_in: u64,
    /// Who logged in.
    pub user: UserDto,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("user", &self.user.id)
            .finish_non_exhaustive()
    }
}

fn session(state: &AppState, s: Session) -> Result<Json<TokenResponse>, Problem> {
    let access_token = state.jwt().issue(state.tenant(), s.user.id)?;
    Ok(Json(TokenResponse {
        access_token,
        refresh_token: s.refresh_token.expose().to_string(),
        token_type: "Bearer".into(),
        expires_in: state.jwt().ttl_secs(),
        user: s.user.into(),
    }))
}

/// Registers a customer account; a verification token is e-mailed to it.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterBody,
    responses((status = 201, description = "Registered", body = UserDto)))]
async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<(StatusCode, Json<UserDto>), Problem> {
    rate_limit::account(&state, "email", &body.email)?;
    let input = RegisterInput {
        email: body.email,
        username: body.username,
        name: body.name,
        password: body.password.expose().to_string(),
    };
    let user = state.desk().register(state.tenant(), input).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// Logs in with an e-mail address or username and a password.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, description = "A new session", body = TokenResponse)))]
async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Json<TokenResponse>, Problem> {
    rate_limit::account(&state, "login", &body.login)?;
    let s = state
        .desk()
        .login(state.tenant(), &body.login, body.password.expose())
        .await?;
    session(&state, s)
}

/// Exchanges a refresh token for a new access token and a new refresh token. Presenting
/// a spent refresh token again revokes every token of its session.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshBody,
    responses((status = 200, description = "The rotated session", body = TokenResponse)))]
async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> Result<Json<TokenResponse>, Problem> {
    // The account is known only once the token is spent; its hash stands for it.
    let presented = TokenSecret::from_client(body.refresh_token.expose()).hash();
    rate_limit::account(&state, "token", &presented)?;
    let s = state
        .desk()
        .refresh_session(state.tenant(), body.refresh_token.expose())
        .await?;
    session(&state, s)
}

/// Ends a session: its refresh tokens are revoked (unknown tokens are ignored).
#[utoipa::path(post, path = "/auth/logout", tag = "auth", request_body = RefreshBody,
    responses((status = 204, description = "Logged out")))]
async fn logout(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> Result<StatusCode, Problem> {
    state
        .desk()
        .logout(state.tenant(), body.refresh_token.expose())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Verifies an e-mail address with the token e-mailed to it.
#[utoipa::path(post, path = "/auth/verify-email", tag = "auth", request_body = TokenBody,
    responses((status = 200, description = "Verified", body = UserDto)))]
async fn verify_email(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<Json<UserDto>, Problem> {
    let user = state
        .desk()
        .verify_email(state.tenant(), body.token.expose())
        .await?;
    Ok(Json(user.into()))
}

/// Starts a password reset: a token is e-mailed when an account has this address. The
/// answer is the same whether or not it has.
#[utoipa::path(post, path = "/auth/forgot-password", tag = "auth", request_body = ForgotPasswordBody,
    responses((status = 202, description = "Accepted")))]
async fn forgot_password(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ForgotPasswordBody>,
) -> Result<StatusCode, Problem> {
    rate_limit::account(&state, "email", &body.email)?;
    state
        .desk()
        .request_password_reset(state.tenant(), &body.email)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// Sets a new password with a reset token; every session of the account ends.
#[utoipa::path(post, path = "/auth/reset-password", tag = "auth", request_body = ResetPasswordBody,
    responses((status = 204, description = "Password changed")))]
async fn reset_password(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ResetPasswordBody>,
) -> Result<StatusCode, Problem> {
    state
        .desk()
        .reset_password(state.tenant(), body.token.expose(), body.password.expose())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
