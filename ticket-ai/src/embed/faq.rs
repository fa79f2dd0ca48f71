//! [`EmbeddingMatcher`]: the [`FaqMatcher`] over sentence vectors. An entry's score is the
//! cosine of the ticket with the entry's question, blended with its cosine with question
//! and answer together; the calibrated score is a softmax over the entries' cosines
//! divided by a temperature, with a "no answer" candidate of fixed cosine beside them (as
//! the BM25 matcher does), so a weak best match among few entries does not reach 1.0.
//! The entries' vectors are computed once per FAQ set (ids and edit times) and cached:
//! a ticket costs one forward pass and a dot product per entry.

use super::encoder::{dot, Embedder};
use crate::error::AiError;
use crate::faq::faq_set_key;
use crate::linear::softmax;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use ticket_core::ports::{FaqMatch, FaqMatcher};
use ticket_core::team::Faq;
use ticket_core::ticket::NewTicket;

/// How cosines become a calibrated score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmbeddingFaqConfig {
    /// Weight of the question's cosine; the question-and-answer cosine gets the rest.
    pub question_weight: f32,
    /// Cosines are divided by this before the softmax.
    pub temperature: f32,
    /// The cosine of the "no answer" candidate.
    pub null_cosine: f32,
}

impl Default for EmbeddingFaqConfig {
    fn default() -> Self {
        Self {
            question_weight: 0.7,
            temperature: 0.05,
            null_cosine: 0.45,
        }
    }
}

/// The vectors of one FAQ set.
#[derive(Debug, Clone)]
pub struct FaqVectors {
    questions: Vec<Vec<f32>>,
    both: Vec<Vec<f32>>,
    config: EmbeddingFaqConfig,
}

impl FaqVectors {
    /// Embeds `(question, answer)` pairs.
    ///
    /// # Errors
    /// [`AiError::Model`] when the forward pass fails.
    pub fn new<'a>(
        embedder: &Embedder,
        entries: impl IntoIterator<Item = (&'a str, &'a str)>,
        config: EmbeddingFaqConfig,
    ) -> Result<Self, AiError> {
        let (questions, both): (Vec<&str>, Vec<String>) = entries
            .into_iter()
            .map(|(q, a)| (q, format!("{q}\n{a}")))
            .unzip();
        Ok(Self {
            questions: embedder.embed_all(&questions)?,
            both: embedder.embed_all(&both)?,
            config,
        })
    }

    /// How many entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.questions.len()
    }

    /// Whether it has no entry.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.questions.is_empty()
    }

    /// The blended cosine of every entry with a query vector.
    #[must_use]
    pub fn cosines(&self, query: &[f32]) -> Vec<f32> {
        let w = self.config.question_weight.clamp(0.0, 1.0);
        self.questions
            .iter()
            .zip(&self.both)
            .map(|(q, b)| w * dot(q, query) + (1.0 - w) * dot(b, query))
            .collect()
    }

    /// Up to `k` (entry index, calibrated score), best first.
    #[must_use]
    pub fn top(&self, query: &[f32], k: usize) -> Vec<(usize, f32)> {
        let t = self.config.temperature.max(1e-4);
        let mut p: Vec<f32> = self
            .cosines(query)
            .into_iter()
            .chain(std::iter::once(self.config.null_cosine))
            .map(|c| c / t)
            .collect();
        softmax(&mut p);
        p.pop();
        let mut ranked: Vec<(usize, f32)> = p.into_iter().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(k);
        ranked
    }
}

/// FAQ sets (tenants) whose vectors are kept.
const CACHED_SETS: usize = 64;

/// The FAQ matcher over sentence vectors (see the module docs). Cheap to clone: clones
/// share the model and the cache.
#[derive(Debug, Clone)]
pub struct EmbeddingMatcher {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    embedder: Arc<Embedder>,
    config: EmbeddingFaqConfig,
    threshold: f32,
    cache: Mutex<HashMap<u64, Arc<FaqVectors>>>,
}

impl EmbeddingMatcher {
    /// A matcher proposing entries whose calibrated score reaches `threshold`.
    #[must_use]
    pub fn new(embedder: Arc<Embedder>, config: EmbeddingFaqConfig, threshold: f32) -> Self {
        Self {
            shared: Arc::new(Shared {
                embedder,
                config,
                threshold,
                cache: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The vectors of `faqs`, computed once per set of entries and edit times.
    ///
    /// # Errors
    /// [`AiError::Model`] when the forward pass fails.
    pub fn vectors(&self, faqs: &[Faq]) -> Result<Arc<FaqVectors>, AiError> {
        let key = faq_set_key(faqs);
        let lock = || match self.shared.cache.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(found) = lock().get(&key) {
            return Ok(Arc::clone(found));
        }
        // Embedded outside the lock: other sets stay servable meanwhile.
        let vectors = Arc::new(FaqVectors::new(
            &self.shared.embedder,
            faqs.iter()
                .map(|f| (f.question.as_str(), f.answer.as_str())),
            self.shared.config,
        )?);
        let mut cache = lock();
        if cache.len() >= CACHED_SETS {
            cache.clear();
        }
        cache.insert(key, Arc::clone(&vectors));
        Ok(vectors)
    }

    /// How many FAQ sets are cached now.
    #[must_use]
    pub fn cached_sets(&self) -> usize {
        match self.shared.cache.lock() {
            Ok(c) => c.len(),
            Err(poisoned) => poisoned.into_inner().len(),
        }
    }

    /// Up to `k` matches for `text`, best first (CPU-bound: a forward pass).
    ///
    /// # Errors
    /// [`AiError::Model`] when the forward pass fails.
    pub fn rank(&self, text: &str, faqs: &[Faq], k: usize) -> Result<Vec<FaqMatch>, AiError> {
        if faqs.is_empty() || k == 0 {
            return Ok(Vec::new());
        }
        let vectors = self.vectors(faqs)?;
        let query = self.shared.embedder.embed(text)?;
        Ok(vectors
            .top(&query, k)
            .into_iter()
            .filter_map(|(i, score)| {
                faqs.get(i).map(|faq| FaqMatch {
                    faq: faq.clone(),
                    score,
                })
            })
            .collect())
    }

    async fn rank_async(
        &self,
        draft: &NewTicket,
        faqs: &[Faq],
        k: usize,
    ) -> ticket_core::Result<Vec<FaqMatch>> {
        let this = self.clone();
        let text = crate::data::ticket_text(draft.title.as_str(), draft.description.as_str());
        let faqs = faqs.to_vec();
        tokio::task::spawn_blocking(move || this.rank(&text, &faqs, k))
            .await
            .map_err(|e| ticket_core::Error::Classify(Box::new(e)))?
            .map_err(Into::into)
    }
}

#[async_trait]
impl FaqMatcher for EmbeddingMatcher {
    async fn best_match(
        &self,
        draft: &NewTicket,
        faqs: &[Faq],
    ) -> ticket_core::Result<Option<FaqMatch>> {
        Ok(self
            .rank_async(draft, faqs, 1)
            .await?
            .into_iter()
            .find(|m| m.score >= self.shared.threshold))
    }

    async fn top_matches(
        &self,
        draft: &NewTicket,
        faqs: &[Faq],
        k: usize,
    ) -> ticket_core::Result<Vec<FaqMatch>> {
        self.rank_async(draft, faqs, k).await
    }
}
