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

/// A JSON body; malformed JSON is a 400 problem, a body that is not
/// `application/json` a 415, a body over the limit a 413. Strings holding the NUL
/// character are refused (422) before any handler sees them: no store has to cope with
/// them (PostgreSQL cannot store them at all).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(Problem::from_status(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|r| Problem::from_status(r.status()))?;
        if has_nul_escape(&bytes) {
            return Err(Problem::invalid(
                "body",
                "must not contain the NUL character",
            ));
        }
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(Problem::bad_request("the body must be a JSON object"));
        }
        let axum::Json(v) = axum::Json::<T>::from_bytes(&bytes)?;
        Ok(Self(v))
    }
}

/// Whether the content type is JSON (`application/json`, `application/*+json`).
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Whether raw JSON text holds a `\u0000` escape (a real one: preceded by an odd
/// number of backslashes). A raw NUL byte is not valid JSON and fails parsing anyway.
fn has_nul_escape(raw: &[u8]) -> bool {
    raw.windows(6).enumerate().any(|(i, w)| {
        w[0] == b'\\'
            && w[1] == b'u'
            && w[2..].iter().all(|b| *b == b'0')
            && raw[..i].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 0
    })
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

#[cfg(test)]
mod tests {
    #[test]
    fn nul_escapes_are_found_and_escaped_backslashes_are_not() {
        assert!(super::has_nul_escape(br#"{"a": "x\u0000y"}"#));
        assert!(super::has_nul_escape(br#"{"a": "\\\u0000"}"#));
        assert!(!super::has_nul_escape(br#"{"a": "\\u0000"}"#));
        assert!(!super::has_nul_escape(br#"{"a": "u0000 \u0001"}"#));
    }
}
