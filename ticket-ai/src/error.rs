//! The crate's error type.

/// What can go wrong in `ticket-ai`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AiError {
    /// Reading or writing a file.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// A model file or a JSON document that does not parse.
    #[error("format: {0}")]
    Format(#[from] serde_json::Error),
    /// A model file of another format or version, or whose parts disagree.
    #[error("model file: {0}")]
    ModelFile(String),
    /// A CSV file that does not parse or lacks a named column.
    #[error("csv: {0}")]
    Csv(String),
    /// A training set the model cannot learn from.
    #[error("training: {0}")]
    Training(String),
    /// The LLM endpoint failed, timed out or answered outside the schema.
    #[error("llm: {0}")]
    Llm(String),
    /// The embedding model directory is missing or incomplete (feature `embeddings`).
    #[error("model directory: {0}")]
    ModelDir(String),
    /// The embedding model failed to load or to run (feature `embeddings`).
    #[error("embedding model: {0}")]
    Model(String),
}

impl From<csv::Error> for AiError {
    fn from(e: csv::Error) -> Self {
        Self::Csv(e.to_string())
    }
}

impl From<AiError> for ticket_core::Error {
    fn from(e: AiError) -> Self {
        ticket_core::Error::Classify(Box::new(e))
    }
}
