//! RFC 9457 `application/problem+json` errors: THE one place where
//! [`ticket_core::Error`] and request rejections become status codes and stable `code`s.
//!
//! | core error | status | `code` |
//! |---|---|---|
//! | `NotFound` | 404 | `not_found` |
//! | `Conflict(Version)` | 409 | `version_conflict` |
//! | `Conflict(Unique)` | 409 | `already_exists` |
//! | `Conflict(State)` | 409 | `conflict` |
//! | `Forbidden` | 403 | `forbidden` |
//! | `Unauthenticated` | 401 | `unauthenticated` |
//! | `Invalid` | 422 | `invalid_input` (with `errors`) |
//! | `InvalidTransition` | 409 | `invalid_transition` |
//! | `Store` | 503 | `store_unavailable` |
//! | `Notify` / `Classify` | 502 | `notify_failed` / `classify_failed` |
//!
//! Malformed JSON, query strings and path segments are 400 `bad_request`; a body that is
//! not JSON is 415 `unsupported_media_type`; an unknown route 404 `not_found`; a wrong
//! method 405 `method_not_allowed`; a body over the limit 413 `payload_too_large`; too
//! many requests 429 `rate_limited` (with `Retry-After`); a request over the time limit
//! 503 `timeout`.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use ticket_core::error::{Conflict, Error as CoreError, FieldError};
use utoipa::ToSchema;

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One refused input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldProblem {
    /// The field's wire name (`title`, `tags[3]`, `targets.resolution_minutes`…).
    pub field: String,
    /// Why it was refused.
    pub message: String,
}

impl From<FieldError> for FieldProblem {
    fn from(e: FieldError) -> Self {
        Self {
            field: e.field,
            message: e.message,
        }
    }
}

/// The body of every error response (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemBody {
    /// A URI naming the kind of problem: `urn:problem:ticket:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem (the HTTP reason phrase).
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, for humans.
    pub detail: String,
    /// A stable machine-readable code (`not_found`, `version_conflict`, `invalid_input`…).
    pub code: String,
    /// For invalid input: one entry per refused field (otherwise empty).
    pub errors: Vec<FieldProblem>,
}

/// An error response. Build one from a [`ticket_core::Error`] (`?` converts) or with the
/// constructors below.
#[derive(Debug, Clone)]
pub struct Problem {
    status: StatusCode,
    code: Cow<'static, str>,
    detail: String,
    errors: Vec<FieldProblem>,
    retry_after: Option<u64>,
}

impl Problem {
    /// A problem with a status, a code and a detail.
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// 400 `bad_request`: a malformed request (JSON, query string, path).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", detail)
    }

    /// 422 `invalid_input` for one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let message = message.into();
        let field = field.into();
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            format!("{field}: {message}"),
        )
        .with_errors(vec![FieldProblem { field, message }])
    }

    /// 401 `unauthenticated`.
    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
    }

    /// 404 `not_found`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// 429 `rate_limited` with `Retry-After: secs`.
    #[must_use]
    pub fn rate_limited(secs: u64) -> Self {
        let mut p = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many requests: retry after {secs} s"),
        );
        p.retry_after = Some(secs.max(1));
        p
    }

    /// 500 `internal`: a bug; the detail never tells more.
    #[must_use]
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an unexpected error occurred",
        )
    }

    /// The generic problem of a bare status code (used for responses produced below the
    /// handlers: unknown routes, wrong methods, limits, timeouts).
    #[must_use]
    pub fn from_status(status: StatusCode) -> Self {
        let (code, detail) = match status {
            StatusCode::NOT_FOUND => ("not_found", "no such route"),
            StatusCode::METHOD_NOT_ALLOWED => {
                ("method_not_allowed", "this route does not take that method")
            }
            StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the request body is too large"),
            StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => {
                ("timeout", "the request took too long")
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported_media_type",
                "send the body as application/json",
            ),
            StatusCode::NOT_ACCEPTABLE => (
                "not_acceptable",
                "this route answers text/event-stream: send Accept: text/event-stream",
            ),
            StatusCode::UNAUTHORIZED => ("unauthenticated", "authentication is required"),
            StatusCode::FORBIDDEN => ("forbidden", "not allowed"),
            StatusCode::TOO_MANY_REQUESTS => ("rate_limited", "too many requests"),
            s if s.is_server_error() => ("internal", "an unexpected error occurred"),
            _ => ("bad_request", "the request is malformed"),
        };
        Self::new(status, code, detail)
    }

    /// Adds field errors.
    #[must_use]
    pub fn with_errors(mut self, errors: Vec<FieldProblem>) -> Self {
        self.errors = errors;
        self
    }

    /// The status code.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    #[must_use]
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The body document.
    #[must_use]
    pub fn body(&self) -> ProblemBody {
        ProblemBody {
            kind: format!("urn:problem:ticket:{}", self.code),
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_string(),
            errors: self.errors.clone(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut res = (self.status, body).into_response();
        let headers = res.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<CoreError> for Problem {
    fn from(e: CoreError) -> Self {
        let code = e.code();
        match e {
            CoreError::NotFound { entity } => {
                Self::new(StatusCode::NOT_FOUND, code, format!("{entity} not found"))
            }
            CoreError::Conflict(Conflict::Version { expected }) => Self::new(
                StatusCode::CONFLICT,
                code,
                format!("the resource changed since version {expected}: read it again"),
            ),
            CoreError::Conflict(Conflict::Unique { field }) => Self::new(
                StatusCode::CONFLICT,
                code,
                format!("{field} is already taken"),
            )
            .with_errors(vec![FieldProblem {
                field,
                message: "is already taken".into(),
            }]),
            CoreError::Conflict(Conflict::State { reason }) => {
                Self::new(StatusCode::CONFLICT, code, reason)
            }
            CoreError::Conflict(Conflict::Capacity { agent }) => Self::new(
                StatusCode::CONFLICT,
                code,
                format!("agent {agent} is at capacity"),
            ),
            CoreError::Forbidden(why) => Self::new(StatusCode::FORBIDDEN, code, why),
            CoreError::Unauthenticated => Self::unauthenticated("authentication failed"),
            CoreError::Invalid(fields) => {
                let detail = fields
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ");
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
                    .with_errors(fields.into_iter().map(FieldProblem::from).collect())
            }
            CoreError::InvalidTransition { from, to } => Self::new(
                StatusCode::CONFLICT,
                code,
                format!("the workflow does not allow {from} → {to} for you"),
            ),
            e @ CoreError::Store(_) => {
                tracing::error!(error = %chain(&e), "store failure");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    code,
                    "the store is unavailable: try again later",
                )
            }
            e @ (CoreError::Notify(_) | CoreError::Classify(_)) => {
                tracing::error!(error = %chain(&e), "upstream failure");
                Self::new(StatusCode::BAD_GATEWAY, code, e.to_string())
            }
            e => {
                tracing::error!(error = %chain(&e), "unexpected error");
                Self::internal()
            }
        }
    }
}

/// An error and its sources on one line (for logs).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

impl From<JsonRejection> for Problem {
    fn from(r: JsonRejection) -> Self {
        match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Self::from_status(StatusCode::PAYLOAD_TOO_LARGE),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                Self::from_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
            }
            _ => Self::bad_request(r.body_text()),
        }
    }
}

impl From<QueryRejection> for Problem {
    fn from(r: QueryRejection) -> Self {
        Self::bad_request(r.body_text())
    }
}

impl From<PathRejection> for Problem {
    fn from(r: PathRejection) -> Self {
        Self::bad_request(r.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_map_to_status_and_code() {
        let cases: Vec<(CoreError, u16, &str)> = vec![
            (CoreError::not_found("ticket"), 404, "not_found"),
            (CoreError::version_conflict(3), 409, "version_conflict"),
            (CoreError::unique("email"), 409, "already_exists"),
            (
                CoreError::Conflict(Conflict::State { reason: "x".into() }),
                409,
                "conflict",
            ),
            (CoreError::Forbidden("no".into()), 403, "forbidden"),
            (CoreError::Unauthenticated, 401, "unauthenticated"),
            (CoreError::invalid("title", "empty"), 422, "invalid_input"),
            (
                CoreError::InvalidTransition {
                    from: "new".into(),
                    to: "closed".into(),
                },
                409,
                "invalid_transition",
            ),
            (CoreError::store("disk on fire"), 503, "store_unavailable"),
            (CoreError::Notify("smtp".into()), 502, "notify_failed"),
            (CoreError::Classify("llm".into()), 502, "classify_failed"),
        ];
        for (err, status, code) in cases {
            let p = Problem::from(err);
            assert_eq!(p.status().as_u16(), status, "{code}");
            assert_eq!(p.code(), code);
            assert_eq!(p.body().kind, format!("urn:problem:ticket:{code}"));
        }
        let p = Problem::from(CoreError::store("secret connection string"));
        assert!(!p.body().detail.contains("secret"));
    }

    #[test]
    fn invalid_input_lists_fields() {
        let p = Problem::from(CoreError::Invalid(vec![
            FieldError::new("title", "must not be empty"),
            FieldError::new("tags[1]", "bad"),
        ]));
        let body = p.body();
        assert_eq!(body.errors.len(), 2);
        assert_eq!(body.errors[1].field, "tags[1]");
    }
}
