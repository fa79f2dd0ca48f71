//! [`LexicalClassifier`]: the default [`Classifier`] — a category model and a priority
//! model (wording rules + model), skills, abstention under configurable thresholds, and
//! retraining that swaps both models atomically.

use crate::data::ticket_text;
use crate::error::AiError;
use crate::features::Words;
use crate::model::{decide, ModelOptions, Prediction};
use crate::priority::{combine_with, most_urgent, rule_hits_in};
use crate::skills;
use crate::ticket_models::TicketModels;
use arc_swap::ArcSwap;
use async_trait::async_trait;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use ticket_core::ports::{Classifier, RetrainReport, TrainingExample};
use ticket_core::text::{Category, Tags};
use ticket_core::ticket::{Classification, NewTicket, Priority, Scored};

/// Thresholds and limits of a [`LexicalClassifier`].
#[derive(Debug, Clone, PartialEq)]
pub struct LexicalConfig {
    /// Under this calibrated probability the category is left to the requester or the
    /// default (and `abstained` says so).
    pub category_threshold: f32,
    /// The same for the priority.
    pub priority_threshold: f32,
    /// At most this many skills are proposed.
    pub max_skills: usize,
    /// Whether retraining keeps the shipped sample beside the desk's own tickets (the
    /// desk's tickets alone are often too few, and may lack a category).
    pub keep_shipped: bool,
    /// Model options for both models.
    pub options: ModelOptions,
}

impl LexicalConfig {
    /// The abstention thresholds and skill limit.
    #[must_use]
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            category: self.category_threshold,
            priority: self.priority_threshold,
            max_skills: self.max_skills,
        }
    }
}

/// The abstention thresholds and skill limit of [`decide_classification`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Least calibrated probability of a category.
    pub category: f32,
    /// Least calibrated probability of a priority (the wording rules may still decide).
    pub priority: f32,
    /// Most skills proposed.
    pub max_skills: usize,
}

impl Default for LexicalConfig {
    fn default() -> Self {
        Self {
            category_threshold: 0.5,
            priority_threshold: 0.4,
            max_skills: 6,
            keep_shipped: true,
            options: ModelOptions::default(),
        }
    }
}

/// The default classifier: offline, in-process. Cheap to clone (clones share the
/// models, so a retrain through one is seen by all).
#[derive(Debug, Clone)]
pub struct LexicalClassifier {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    /// Swapped whole on retrain; a classification loads it without a lock.
    models: ArcSwap<TicketModels>,
    config: LexicalConfig,
    /// Where each retrained pair is saved ([`crate::model_file`]), if anywhere.
    model_file: Option<PathBuf>,
    /// Held while a retrained pair is saved and swapped in, so the file always holds
    /// the models in use.
    saving: Mutex<()>,
}

impl LexicalClassifier {
    /// A classifier using `models`.
    #[must_use]
    pub fn new(models: TicketModels, config: LexicalConfig) -> Self {
        Self::with_model_file(models, config, None)
    }

    /// A classifier using `models` that saves every retrained pair to `model_file`
    /// (see [`LexicalClassifier::open`], which also loads it).
    #[must_use]
    pub fn with_model_file(
        models: TicketModels,
        config: LexicalConfig,
        model_file: Option<PathBuf>,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                models: ArcSwap::from_pointee(models),
                config,
                model_file,
                saving: Mutex::new(()),
            }),
        }
    }

    /// The file retrained models are saved to, if any.
    #[must_use]
    pub fn model_file(&self) -> Option<&Path> {
        self.shared.model_file.as_deref()
    }

    /// A classifier with the day-one models.
    ///
    /// # Errors
    /// As [`TicketModels::day_one`].
    pub fn day_one(config: LexicalConfig) -> Result<Self, AiError> {
        Ok(Self::new(TicketModels::day_one(&config.options)?, config))
    }

    /// The models in use now.
    #[must_use]
    pub fn models(&self) -> Arc<TicketModels> {
        self.shared.models.load_full()
    }

    /// Puts `models` in use; classifications already running finish with the old ones.
    pub fn swap(&self, models: TicketModels) {
        self.shared.models.store(Arc::new(models));
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &LexicalConfig {
        &self.shared.config
    }

    /// Classifies a ticket's wording and tags (synchronous; what the port calls). The
    /// text is cut into words once, and the two models share what they can
    /// ([`TicketModels`]).
    #[must_use]
    pub fn classify_text(&self, title: &str, description: &str, tags: &Tags) -> Classification {
        let models = self.models();
        let config = &self.shared.config;
        let words = Words::new(&ticket_text(title, description));
        let hits = rule_hits_in(&words);
        let names: Vec<&str> = hits.iter().map(|h| h.name).collect();
        let (category, priority) = models.predict(&words, &names);
        decide_classification(
            &category,
            &priority,
            if models.priority().weighs_rules() {
                None
            } else {
                most_urgent(&hits)
            },
            &words,
            tags,
            &config.thresholds(),
            "lexical",
        )
    }

    /// Trains new models from the desk's `examples` (plus the shipped sample when
    /// configured), saves them to the model file (when there is one) and swaps them in.
    /// CPU-bound: call it off the async workers. A model file that cannot be written is
    /// logged as a warning: the new models are used all the same.
    ///
    /// # Errors
    /// [`AiError::Training`]; the old models stay in use.
    pub fn retrain_blocking(&self, examples: &[TrainingExample]) -> Result<RetrainReport, AiError> {
        let mut rows = if self.shared.config.keep_shipped {
            TicketModels::shipped_rows()?
        } else {
            Vec::new()
        };
        rows.extend(examples.iter().map(|e| {
            (
                e.text.clone(),
                e.category.as_str().to_string(),
                e.priority.as_str().to_string(),
            )
        }));
        let models = TicketModels::train(&rows, &self.shared.config.options)?;
        let report = RetrainReport {
            examples: examples.len(),
            rows: rows.len(),
            model: "lexical".to_string(),
            categories: models.category().labels().to_vec(),
        };
        let _saving = self
            .shared
            .saving
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(path) = &self.shared.model_file {
            if let Err(e) = crate::model_file::save(&models, path) {
                tracing::warn!(path = %path.display(), error = %e, "cannot save the retrained model");
            }
        }
        self.swap(models);
        Ok(report)
    }
}

#[async_trait]
impl Classifier for LexicalClassifier {
    async fn classify(&self, draft: &NewTicket) -> ticket_core::Result<Classification> {
        Ok(self.classify_text(
            draft.title.as_str(),
            draft.description.as_str(),
            &draft.tags,
        ))
    }

    async fn retrain(&self, examples: Vec<TrainingExample>) -> ticket_core::Result<RetrainReport> {
        // Training takes CPU seconds: keep it off the async workers.
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.retrain_blocking(&examples))
            .await
            .map_err(|e| ticket_core::Error::Classify(Box::new(e)))?
            .map_err(Into::into)
    }
}

/// Turns a category and a priority prediction into a [`Classification`], whatever model
/// made them: abstains under the `thresholds`, combines the priority with the
/// wording rules' verdict `rule` ([`most_urgent`] of the hits in `words`; `None` when
/// the priority model already weighs the rules, [`crate::TextModel::weighs_rules`]), proposes
/// skills from the category, the tags and the words.
#[must_use]
pub fn decide_classification(
    category_guess: &Prediction,
    priority_guess: &Prediction,
    rule: Option<Priority>,
    words: &Words,
    tags: &Tags,
    thresholds: &Thresholds,
    model: &str,
) -> Classification {
    let mut abstained = Vec::new();
    let category = decide(category_guess, thresholds.category).and_then(|(label, p)| {
        Category::parse(label).ok().map(|value| Scored {
            value,
            confidence: p,
        })
    });
    if category.is_none() {
        abstained.push("category".to_string());
    }
    let (label, confidence, unsure) = combine_with(priority_guess, rule, thresholds.priority);
    let priority = label
        .parse::<Priority>()
        .ok()
        .filter(|_| !unsure)
        .map(|value| Scored { value, confidence });
    if priority.is_none() {
        abstained.push("priority".to_string());
    }
    let skill_category = category
        .as_ref()
        .map(|c| c.value.as_str().to_string())
        .or_else(|| category_guess.best().map(|(l, _)| l.to_string()));
    let skills = skills::propose_in(
        skill_category.as_deref(),
        tags,
        words,
        thresholds.max_skills,
    );
    Classification {
        category,
        priority,
        tags: Vec::new(),
        skills,
        abstained,
        model: model.to_string(),
    }
}
