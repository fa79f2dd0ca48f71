//! The server's AI (`ticket-ai`), on by default: the offline lexical classifier (its
//! model kept in `ai_model_file`: loaded at start when valid, else the day-one model is
//! trained from the tickets shipped in the crate and saved there; each retrained model is
//! saved there too), the BM25 FAQ matcher
//! (or, built with the feature `embeddings` and given `TICKET_AI_MODEL_DIR`, the
//! sentence-vector classifier and FAQ matcher),
//! optionally an OpenAI-compatible LLM in front of the local model, and the retraining
//! timer.

use crate::config::ServerConfig;
use std::sync::Arc;
use std::time::Duration;
use ticket_ai::{
    Bm25Config, Bm25Matcher, LexicalClassifier, LexicalConfig, LlmClassifier, LlmConfig,
    ModelOrigin,
};
use ticket_core::ports::{Classifier, FaqMatcher};
use ticket_core::text::Category;
use ticket_core::{Actor, HelpDesk, TenantId};

/// The AI the server runs with.
pub struct Ai {
    /// The classifier (the LLM in front of the local model when configured).
    pub classifier: Arc<dyn Classifier>,
    /// The FAQ matcher.
    pub faq: Arc<dyn FaqMatcher>,
    /// Where the lexical model came from (`None` with the embedding model, or when no
    /// model file is kept).
    pub origin: Option<ModelOrigin>,
}

/// The classifier and FAQ matcher the configuration asks for (`None` when
/// `ai_enabled` is off).
///
/// # Errors
/// A message when the day-one model cannot be trained or the LLM client built.
pub async fn build(config: &ServerConfig) -> Result<Option<Ai>, String> {
    if !config.ai_enabled {
        return Ok(None);
    }
    let ((local, faq), origin) = match embeddings::build(config).await? {
        Some(pair) => (pair, None),
        None => lexical(config).await?,
    };
    let classifier: Arc<dyn Classifier> = match &config.ai_llm_url {
        Some(url) => {
            let llm = LlmConfig {
                base_url: url.clone(),
                model: config.ai_llm_model.clone(),
                api_key: config.ai_llm_key.as_ref().map(|k| k.expose().to_string()),
                timeout: Duration::from_millis(config.ai_llm_timeout_ms),
                categories: Category::defaults().to_vec(),
                only_below: (config.ai_llm_only_below > 0.0).then_some(config.ai_llm_only_below),
            };
            tracing::info!(url = %url, model = %config.ai_llm_model, "LLM classifier, local model as fallback");
            Arc::new(LlmClassifier::new(llm, local).map_err(|e| e.to_string())?)
        }
        None => local,
    };
    Ok(Some(Ai {
        classifier,
        faq,
        origin,
    }))
}

/// The local pair: the classifier and FAQ matcher used without an LLM (or as its
/// fallback).
type Local = (Arc<dyn Classifier>, Arc<dyn FaqMatcher>);

/// The lexical classifier (its model loaded from the model file, or the day-one model
/// trained now) and the BM25 matcher.
async fn lexical(config: &ServerConfig) -> Result<(Local, Option<ModelOrigin>), String> {
    let lexical = LexicalConfig {
        category_threshold: config.ai_category_threshold,
        priority_threshold: config.ai_priority_threshold,
        ..LexicalConfig::default()
    };
    let started = std::time::Instant::now();
    let file = config.ai_model_file();
    let (local, origin) = tokio::task::spawn_blocking(move || match file {
        Some(path) => LexicalClassifier::open(lexical, &path).map(|(c, o)| (c, Some(o))),
        None => LexicalClassifier::day_one(lexical).map(|c| (c, None)),
    })
    .await
    .map_err(|e| format!("training the day-one model: {e}"))?
    .map_err(|e| format!("training the day-one model: {e}"))?;
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        origin = ?origin,
        file = ?local.model_file(),
        "lexical model ready"
    );
    let faq: Arc<dyn FaqMatcher> = Arc::new(Bm25Matcher::new(
        Bm25Config::default(),
        config.ai_faq_min_score,
    ));
    Ok(((Arc::new(local), faq), origin))
}

/// With the feature `embeddings` and `ai_model_dir` set: the sentence-vector classifier
/// (day-one heads trained now on the shipped sample) and FAQ matcher.
#[cfg(feature = "embeddings")]
mod embeddings {
    use super::Local;
    use crate::config::ServerConfig;
    use std::sync::Arc;
    use ticket_ai::embed::{
        Embedder, EmbeddingClassifier, EmbeddingConfig, EmbeddingFaqConfig, EmbeddingMatcher,
    };

    pub async fn build(config: &ServerConfig) -> Result<Option<Local>, String> {
        let Some(dir) = config.ai_model_dir.clone().filter(|d| !d.trim().is_empty()) else {
            return Ok(None);
        };
        let classifier = EmbeddingConfig {
            category_threshold: config.ai_category_threshold,
            priority_threshold: config.ai_priority_threshold,
            ..EmbeddingConfig::default()
        };
        let started = std::time::Instant::now();
        let (local, embedder) = tokio::task::spawn_blocking(move || {
            let embedder = Arc::new(Embedder::load(std::path::Path::new(dir.trim()))?);
            let local = EmbeddingClassifier::day_one(Arc::clone(&embedder), classifier)?;
            Ok::<_, ticket_ai::AiError>((local, embedder))
        })
        .await
        .map_err(|e| format!("loading the embedding model: {e}"))?
        .map_err(|e| format!("loading the embedding model: {e}"))?;
        tracing::info!(
            ms = started.elapsed().as_millis() as u64,
            dir = %embedder.dir().display(),
            "embedding model and day-one heads ready"
        );
        let faq = EmbeddingMatcher::new(
            embedder,
            EmbeddingFaqConfig::default(),
            config.ai_faq_min_score,
        );
        Ok(Some((Arc::new(local), Arc::new(faq))))
    }
}

/// Without the feature `embeddings`: the lexical pair, whatever `ai_model_dir` says (a
/// warning tells the operator).
#[cfg(not(feature = "embeddings"))]
mod embeddings {
    use super::Local;
    use crate::config::ServerConfig;

    pub async fn build(config: &ServerConfig) -> Result<Option<Local>, String> {
        if config.ai_model_dir.is_some() {
            tracing::warn!(
                "TICKET_AI_MODEL_DIR is set but this build lacks the feature `embeddings`: using the lexical model"
            );
        }
        Ok(None)
    }
}

/// Retrains the classifier on a timer while alive (the task stops when dropped).
#[derive(Debug)]
pub struct RetrainTimer(tokio::task::JoinHandle<()>);

impl Drop for RetrainTimer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts the retraining timer when `ai_retrain_interval_secs` is above zero.
#[must_use]
pub fn retrain_timer(config: &ServerConfig, desk: &HelpDesk) -> Option<RetrainTimer> {
    if !config.ai_enabled || config.ai_retrain_interval_secs == 0 {
        return None;
    }
    let every = Duration::from_secs(config.ai_retrain_interval_secs);
    let desk = desk.clone();
    Some(RetrainTimer(tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            tick.tick().await;
            match desk
                .retrain_classifier(&Actor::system(TenantId::DEFAULT))
                .await
            {
                Ok(r) => {
                    tracing::info!(examples = r.examples, rows = r.rows, "classifier retrained")
                }
                Err(e) => tracing::warn!(error = %e, "retraining the classifier failed"),
            }
        }
    })))
}
