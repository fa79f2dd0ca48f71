//! [`EmbeddingClassifier`]: the [`Classifier`] over sentence vectors — a category head and
//! a priority head ([`DenseHead`], the priority one with the wording rules as features and
//! combined with them after, as the lexical model does), skills, abstention under
//! configurable thresholds, and retraining that swaps both heads atomically. Its day-one
//! heads are trained at start-up on the shipped ticket sample, like the lexical model's.

use super::encoder::Embedder;
use super::head::{DenseHead, Embedded, HeadOptions};
use crate::classifier::decide_classification;
pub use crate::classifier::Thresholds;
use crate::data::ticket_text;
use crate::error::AiError;
use crate::features::Words;
use crate::model::Prediction;
use crate::priority::{most_urgent, rule_hits_in};
use crate::ticket_models::TicketModels;
use arc_swap::ArcSwap;
use async_trait::async_trait;
use std::sync::{Arc, OnceLock};
use ticket_core::ports::{Classifier, RetrainReport, TrainingExample};
use ticket_core::text::Tags;
use ticket_core::ticket::{Classification, NewTicket};

/// The model name recorded in each [`Classification`].
pub const MODEL_NAME: &str = "embeddings:all-MiniLM-L6-v2";

/// Thresholds and limits of an [`EmbeddingClassifier`].
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingConfig {
    /// Under this calibrated probability the category is left to the requester or the
    /// default (and `abstained` says so).
    pub category_threshold: f32,
    /// The same for the priority.
    pub priority_threshold: f32,
    /// At most this many skills are proposed.
    pub max_skills: usize,
    /// Whether retraining keeps the shipped sample beside the desk's own tickets.
    pub keep_shipped: bool,
    /// Options of both heads (the priority head adds the wording rules).
    pub head: HeadOptions,
}

impl Default for EmbeddingConfig {
    fn default() -> Self {
        Self {
            category_threshold: 0.5,
            priority_threshold: 0.4,
            max_skills: 6,
            keep_shipped: true,
            head: HeadOptions::default(),
        }
    }
}

/// The two heads in use, swapped together.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketHeads {
    /// Category head.
    pub category: DenseHead,
    /// Priority head (with the wording rules as features).
    pub priority: DenseHead,
}

impl TicketHeads {
    /// Trains both heads on `(text, category, priority)` rows and their `vectors`.
    ///
    /// # Errors
    /// [`AiError::Training`] when either label has fewer than two values.
    pub fn train(
        rows: &[(String, String, String)],
        vectors: &[Vec<f32>],
        options: &HeadOptions,
    ) -> Result<Self, AiError> {
        let embedded: Vec<Embedded<'_>> = rows
            .iter()
            .zip(vectors)
            .map(|(r, v)| Embedded {
                text: &r.0,
                vector: v,
            })
            .collect();
        let cats: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
        let pris: Vec<String> = rows.iter().map(|r| r.2.clone()).collect();
        let category = DenseHead::train(&embedded, &cats, options)?;
        let priority_options = HeadOptions {
            rule_features: true,
            ..*options
        };
        let priority = DenseHead::train(&embedded, &pris, &priority_options)?;
        Ok(Self { category, priority })
    }
}

/// The classifier over sentence vectors. Cheap to clone (clones share the model and the
/// heads, so a retrain through one is seen by all).
#[derive(Debug, Clone)]
pub struct EmbeddingClassifier {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    embedder: Arc<Embedder>,
    /// Swapped whole on retrain; a classification loads it without a lock.
    heads: ArcSwap<TicketHeads>,
    /// The shipped sample's vectors, computed once (retraining reuses them).
    shipped: OnceLock<Arc<Vec<Vec<f32>>>>,
    config: EmbeddingConfig,
}

fn shipped_vectors(
    embedder: &Embedder,
    cell: &OnceLock<Arc<Vec<Vec<f32>>>>,
    rows: &[(String, String, String)],
) -> Result<Arc<Vec<Vec<f32>>>, AiError> {
    if let Some(v) = cell.get() {
        return Ok(Arc::clone(v));
    }
    let texts: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let vectors = Arc::new(embedder.embed_all(&texts)?);
    Ok(Arc::clone(cell.get_or_init(|| vectors)))
}

impl EmbeddingClassifier {
    /// A classifier with day-one heads trained on the shipped sample (embeds its 480
    /// tickets: a few seconds in release).
    ///
    /// # Errors
    /// [`AiError::Model`] when embedding fails; [`AiError::Training`].
    pub fn day_one(embedder: Arc<Embedder>, config: EmbeddingConfig) -> Result<Self, AiError> {
        let rows = TicketModels::shipped_rows()?;
        let shipped = OnceLock::new();
        let vectors = shipped_vectors(&embedder, &shipped, &rows)?;
        let heads = TicketHeads::train(&rows, &vectors, &config.head)?;
        Ok(Self {
            shared: Arc::new(Shared {
                embedder,
                heads: ArcSwap::from_pointee(heads),
                shipped,
                config,
            }),
        })
    }

    /// The heads in use now.
    #[must_use]
    pub fn heads(&self) -> Arc<TicketHeads> {
        self.shared.heads.load_full()
    }

    /// Puts `heads` in use; classifications already running finish with the old ones.
    pub fn swap(&self, heads: TicketHeads) {
        self.shared.heads.store(Arc::new(heads));
    }

    /// The sentence model.
    #[must_use]
    pub fn embedder(&self) -> &Arc<Embedder> {
        &self.shared.embedder
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &EmbeddingConfig {
        &self.shared.config
    }

    /// Classifies a ticket's wording and tags (synchronous and CPU-bound: a forward pass
    /// of the sentence model).
    ///
    /// # Errors
    /// [`AiError::Model`] when the forward pass fails.
    pub fn classify_text(
        &self,
        title: &str,
        description: &str,
        tags: &Tags,
    ) -> Result<Classification, AiError> {
        let text = ticket_text(title, description);
        let vector = self.shared.embedder.embed(&text)?;
        let heads = self.heads();
        let config = &self.shared.config;
        Ok(classification(
            &heads.category.predict(&text, &vector),
            &heads.priority.predict(&text, &vector),
            &text,
            tags,
            &Thresholds {
                category: config.category_threshold,
                priority: config.priority_threshold,
                max_skills: config.max_skills,
            },
            MODEL_NAME,
        ))
    }

    /// Trains new heads from the desk's `examples` (plus the shipped sample when
    /// configured) and swaps them in. CPU-bound: call it off the async workers.
    ///
    /// # Errors
    /// [`AiError::Training`] or [`AiError::Model`]; the old heads stay in use.
    pub fn retrain_blocking(&self, examples: &[TrainingExample]) -> Result<RetrainReport, AiError> {
        let shared = &self.shared;
        let (mut rows, mut vectors) = if shared.config.keep_shipped {
            let rows = TicketModels::shipped_rows()?;
            let vectors = shipped_vectors(&shared.embedder, &shared.shipped, &rows)?;
            (rows, vectors.as_ref().clone())
        } else {
            (Vec::new(), Vec::new())
        };
        let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
        vectors.extend(shared.embedder.embed_all(&texts)?);
        rows.extend(examples.iter().map(|e| {
            (
                e.text.clone(),
                e.category.as_str().to_string(),
                e.priority.as_str().to_string(),
            )
        }));
        let heads = TicketHeads::train(&rows, &vectors, &shared.config.head)?;
        let report = RetrainReport {
            examples: examples.len(),
            rows: rows.len(),
            model: MODEL_NAME.to_string(),
            categories: heads.category.labels().to_vec(),
        };
        self.swap(heads);
        Ok(report)
    }
}

/// A [`Classification`] from a category and a priority prediction of `text`: the same
/// decisions as [`crate::LexicalClassifier`] ([`decide_classification`]), for any
/// model's predictions.
#[must_use]
pub fn classification(
    category_guess: &Prediction,
    priority_guess: &Prediction,
    text: &str,
    tags: &Tags,
    thresholds: &Thresholds,
    model: &str,
) -> Classification {
    let words = Words::new(text);
    let rule = most_urgent(&rule_hits_in(&words));
    decide_classification(
        category_guess,
        priority_guess,
        rule,
        &words,
        tags,
        thresholds,
        model,
    )
}

#[async_trait]
impl Classifier for EmbeddingClassifier {
    async fn classify(&self, draft: &NewTicket) -> ticket_core::Result<Classification> {
        // A forward pass takes milliseconds of CPU: keep it off the async workers.
        let this = self.clone();
        let (title, description, tags) = (
            draft.title.as_str().to_string(),
            draft.description.as_str().to_string(),
            draft.tags.clone(),
        );
        tokio::task::spawn_blocking(move || this.classify_text(&title, &description, &tags))
            .await
            .map_err(|e| ticket_core::Error::Classify(Box::new(e)))?
            .map_err(Into::into)
    }

    async fn retrain(&self, examples: Vec<TrainingExample>) -> ticket_core::Result<RetrainReport> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.retrain_blocking(&examples))
            .await
            .map_err(|e| ticket_core::Error::Classify(Box::new(e)))?
            .map_err(Into::into)
    }
}
