//! The AI settings' checks and derived values (`ai_*` keys, `TICKET_AI_*` variables;
//! the fields themselves are documented on [`ServerConfig`]).

use super::{ConfigError, ServerConfig};
use std::path::PathBuf;

impl ServerConfig {
    /// The thresholds are fractions, the LLM timeout above zero.
    pub(super) fn check_ai(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_string()));
        let fractions = [
            self.ai_category_threshold,
            self.ai_priority_threshold,
            self.ai_faq_min_score,
            self.ai_llm_only_below,
        ];
        if fractions.iter().any(|f| !(0.0..=1.0).contains(f)) {
            return bad("the ai thresholds must be numbers from 0 to 1");
        }
        if self.ai_llm_timeout_ms == 0 {
            return bad("ai_llm_timeout_ms must be above zero");
        }
        Ok(())
    }

    /// The file the lexical model is kept in: `ai_model_file`, or `ai-model.json` in
    /// the data directory; `None` when `ai_model_file` is empty (not kept).
    #[must_use]
    pub fn ai_model_file(&self) -> Option<PathBuf> {
        match &self.ai_model_file {
            Some(path) if path.as_os_str().is_empty() => None,
            Some(path) => Some(path.clone()),
            None => Some(self.data_dir.join("ai-model.json")),
        }
    }
}
