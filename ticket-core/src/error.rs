//! The one error type of `ticket-core`. Adapters map their driver errors into it with the
//! source attached; the HTTP layer maps it to status codes in one place.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A boxed error source carried by the infrastructure variants.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Result alias used across the crate and its ports.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why one input field was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field's wire name (`title`, `tags[3]`, `password`…).
    pub field: String,
    /// A human-readable reason.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// What kind of conflict a write ran into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Conflict {
    /// The record changed since it was read: the expected version is stale.
    Version {
        /// The version the writer expected.
        expected: u64,
    },
    /// A unique value (e-mail, username, team name, id…) is taken.
    Unique {
        /// Which value (`email`, `username`, `name`, `id`).
        field: String,
    },
    /// The state does not allow it (a claimed ticket claimed again…).
    State {
        /// Why.
        reason: String,
    },
    /// A routed assignment would take the agent past their capacity (checked by the
    /// store in the save, see [`crate::ports::CapacityCheck`]).
    Capacity {
        /// The agent.
        agent: crate::id::UserId,
    },
}

/// The errors of every use case and every port.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The entity does not exist (or is not visible to the caller's tenant).
    #[error("{entity} not found")]
    NotFound {
        /// Which kind of entity (`ticket`, `user`…).
        entity: &'static str,
    },
    /// A version, uniqueness or state conflict; nothing was written.
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// The actor lacks the permission.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Bad or missing credentials, or an unknown, spent or expired token.
    #[error("unauthenticated")]
    Unauthenticated,
    /// Invalid input, with one reason per field.
    #[error("invalid input: {}", display_fields(.0))]
    Invalid(Vec<FieldError>),
    /// The workflow does not allow this status change for this actor.
    #[error("invalid transition from {from} to {to}")]
    InvalidTransition {
        /// The current status.
        from: String,
        /// The requested status.
        to: String,
    },
    /// A store failed (I/O, driver, corrupt data).
    #[error("store failure")]
    Store(#[source] BoxError),
    /// A notifier failed to deliver.
    #[error("notification delivery failed")]
    Notify(#[source] BoxError),
    /// The classifier failed.
    #[error("classification failed")]
    Classify(#[source] BoxError),
}

fn display_fields(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// `Invalid` with a single field reason.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    /// `NotFound` for an entity kind.
    #[must_use]
    pub fn not_found(entity: &'static str) -> Self {
        Self::NotFound { entity }
    }

    /// `Conflict(Version)`.
    #[must_use]
    pub fn version_conflict(expected: u64) -> Self {
        Self::Conflict(Conflict::Version { expected })
    }

    /// `Conflict(Unique)` for a field.
    pub fn unique(field: impl Into<String>) -> Self {
        Self::Conflict(Conflict::Unique {
            field: field.into(),
        })
    }

    /// `Store` wrapping any driver error.
    pub fn store(source: impl Into<BoxError>) -> Self {
        Self::Store(source.into())
    }

    /// A stable machine-readable code for this error (`not_found`, `version_conflict`…).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not_found",
            Self::Conflict(Conflict::Version { .. }) => "version_conflict",
            Self::Conflict(Conflict::Unique { .. }) => "already_exists",
            Self::Conflict(Conflict::State { .. }) => "conflict",
            Self::Conflict(Conflict::Capacity { .. }) => "agent_at_capacity",
            Self::Forbidden(_) => "forbidden",
            Self::Unauthenticated => "unauthenticated",
            Self::Invalid(_) => "invalid_input",
            Self::InvalidTransition { .. } => "invalid_transition",
            Self::Store(_) => "store_unavailable",
            Self::Notify(_) => "notify_failed",
            Self::Classify(_) => "classify_failed",
        }
    }
}

/// Collects field errors while validating several fields, so a caller sees all of them at
/// once.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    /// An empty collector.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the error of `result` (if any) and returns its value.
    pub fn check<T>(&mut self, result: Result<T>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(Error::Invalid(mut fields)) => {
                self.errors.append(&mut fields);
                None
            }
            Err(other) => {
                self.errors
                    .push(FieldError::new("input", other.to_string()));
                None
            }
        }
    }

    /// Records one field error.
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// `Ok(())` when nothing was recorded, `Err(Invalid)` otherwise.
    ///
    /// # Errors
    /// [`Error::Invalid`] with every recorded field.
    pub fn finish(self) -> Result<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.errors))
        }
    }
}
