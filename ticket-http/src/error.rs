//! Errors of setting the HTTP layer up (request errors are [`crate::Problem`]s).

/// Why the HTTP layer could not be set up or served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is unusable.
    #[error("invalid HTTP configuration: {0}")]
    Config(String),
    /// Serving failed.
    #[error("server I/O error")]
    Io(#[from] std::io::Error),
}
