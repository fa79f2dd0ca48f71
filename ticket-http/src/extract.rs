//! Extractors whose rejections are problem documents, and the bearer-token [`Auth`]
//! extractor.

use crate::problem::Problem;
use crate::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use ticket_core::id::UserId;
use ticket_core::Actor;

/// A JSON body; malformed JSON is a 400 problem, a missing `Content-Type` a 415.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(v) = axum::Json::<T>::from_request(req, state).await?;
        Ok(Self(v))
    }
}

/// A query string; a malformed one is a 400 problem.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(v) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(v))
    }
}

/// Path parameters; a malformed one (not a UUID…) is a 400 problem.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(v) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Self(v))
    }
}

/// The authenticated caller: a verified access token whose user still exists, with the
/// role as stored now (so role changes and deletions take effect at once). Anonymous or
/// bad tokens are 401 problems.
#[derive(Debug, Clone, Copy)]
pub struct Auth {
    /// The actor to pass to the `HelpDesk`.
    pub actor: Actor,
    /// The user.
    pub user_id: UserId,
    /// When the access token expires (Unix seconds).
    pub expires_at: u64,
}

impl Auth {
    /// Authenticates a raw access token.
    ///
    /// # Errors
    /// A 401 problem for a bad, expired or foreign token or a deleted user.
    pub async fn from_token(state: &AppState, token: &str) -> Result<Self, Problem> {
        let (tenant, user_id, expires_at) = state.jwt().verify(token)?;
        if tenant != state.tenant() {
            return Err(Problem::unauthenticated(
                "the access token is invalid or expired",
            ));
        }
        let actor = state.desk().actor(tenant, user_id).await?;
        Ok(Self {
            actor,
            user_id,
            expires_at,
        })
    }
}

/// The bearer token of the `Authorization` header, if any.
pub(crate) fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or_else(|| {
            Problem::unauthenticated("send an access token: Authorization: Bearer <token>")
        })?;
        Self::from_token(state, token).await
    }
}
