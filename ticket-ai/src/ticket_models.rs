//! [`TicketModels`]: the category model and the priority model a
//! [`LexicalClassifier`](crate::LexicalClassifier) uses, swapped together, and what
//! they share when they classify a text.
//!
//! Both read the text's n-grams. Trained on the same texts with the same options (the
//! day-one pair, every retrained pair), they extract them once, and they keep the same
//! n-grams with the same IDF (the priority model adding the wording rules' hits): then
//! the priority model's vector of a text is the category model's with its columns
//! renamed (`shared_columns`), and each n-gram is looked up once, in one table that
//! holds both models' weights (`shared_slots`). In a server those lookups miss
//! the CPU caches (the next ticket comes after the store's and the runtime's work has
//! pushed the models out of them) and are most of a classification's cost:
//! `benches/classify.rs` (`classify_ticket_cold_cache`).

use crate::data::{read_rows, SHIPPED_TICKETS};
use crate::error::AiError;
use crate::features::{extra_hash, RawFeatures, Sparse, Words};
use crate::model::{ModelOptions, Prediction, TextModel};
use crate::priority::rule_names;
use crate::shared_slots::SharedSlots;

/// The two models in use, swapped together.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketModels {
    category: TextModel,
    priority: TextModel,
    /// Both models' weights of each kept n-gram, when the two models read the
    /// same n-grams ([`shared_columns`]).
    shared: Option<SharedSlots>,
}

impl TicketModels {
    /// The pair of a category model and a priority model.
    #[must_use]
    pub fn new(category: TextModel, priority: TextModel) -> Self {
        let shared = shared_columns(&category, &priority)
            .and_then(|columns| SharedSlots::new(&category, &priority, &columns));
        Self {
            category,
            priority,
            shared,
        }
    }

    /// The category model.
    #[must_use]
    pub fn category(&self) -> &TextModel {
        &self.category
    }

    /// The priority model (trained with the wording rules as features).
    #[must_use]
    pub fn priority(&self) -> &TextModel {
        &self.priority
    }

    /// Whether a classification looks each n-gram up once for both models (see the
    /// module docs).
    #[must_use]
    pub fn shares_columns(&self) -> bool {
        self.shared.is_some()
    }

    /// The category and the priority predictions of a text cut into `words`, whose
    /// wording rules' hits are named `rule_hits`: one feature extraction when both models
    /// read the same n-grams, one lookup per n-gram when they share their columns.
    pub(crate) fn predict(&self, words: &Words, rule_hits: &[&str]) -> (Prediction, Prediction) {
        let (category_model, priority_model) = (&self.category, &self.priority);
        let rule_hits = if priority_model.uses_rules() {
            rule_hits
        } else {
            &[]
        };
        if let Some(shared) = &self.shared {
            // The same n-grams: both models' logits in one pass over the slots, then the
            // priority model's named features (the rules' hits). The logits hold the
            // n-grams, so what the models read beside them is the named features alone.
            let (word_hashes, char_hashes) = category_model.spec().hashes(words);
            let mut category = category_model.linear().bias().to_vec();
            let mut priority = priority_model.linear().bias().to_vec();
            shared.add_logits([&word_hashes, &char_hashes], &mut category, &mut priority);
            let category = category_model.predict_logits(category, &RawFeatures::default());
            let rules = RawFeatures::default().with_extra(rule_hits);
            let mut named = Sparse::new();
            priority_model.vocabulary().push_named(&rules, &mut named);
            priority_model.linear().add_logits(&named, &mut priority);
            return (category, priority_model.predict_logits(priority, &rules));
        }
        let features = category_model.spec().extract_words(words, &[]);
        let vector = category_model.vocabulary().vectorize(&features);
        let category = category_model.predict_vector(&vector, &features);
        if priority_model.spec() != category_model.spec() {
            let features = priority_model.spec().extract_words(words, rule_hits);
            return (category, priority_model.predict_features(&features));
        }
        let features = features.with_extra(rule_hits);
        (category, priority_model.predict_features(&features))
    }

    /// Trains both models on `(text, category, priority)` rows.
    ///
    /// # Errors
    /// [`AiError::Training`] when either label has fewer than two values.
    pub fn train(
        rows: &[(String, String, String)],
        options: &ModelOptions,
    ) -> Result<Self, AiError> {
        let texts: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
        let cats: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
        let pris: Vec<String> = rows.iter().map(|r| r.2.clone()).collect();
        let category = TextModel::train(&texts, &cats, options)?;
        let priority = TextModel::train(&texts, &pris, &options.priority_recipe())?;
        Ok(Self::new(category, priority))
    }

    /// The shipped sample as `(text, category, priority)` rows.
    ///
    /// # Errors
    /// [`AiError::Csv`] if the embedded file were malformed (a test guards it).
    pub fn shipped_rows() -> Result<Vec<(String, String, String)>, AiError> {
        let text = ["title", "description"];
        let cats = read_rows(SHIPPED_TICKETS.as_bytes(), &text, "category")?;
        let pris = read_rows(SHIPPED_TICKETS.as_bytes(), &text, "priority")?;
        Ok(cats
            .into_iter()
            .zip(pris)
            .map(|(c, p)| (c.text, c.label, p.label))
            .collect())
    }

    /// The day-one models: trained on the shipped sample (no download, no key). With
    /// the default options they are trained once per process and cloned after.
    ///
    /// # Errors
    /// As [`TicketModels::train`].
    pub fn day_one(options: &ModelOptions) -> Result<Self, AiError> {
        static DEFAULT: std::sync::OnceLock<TicketModels> = std::sync::OnceLock::new();
        if *options != ModelOptions::default() {
            return Self::train(&Self::shipped_rows()?, options);
        }
        if let Some(m) = DEFAULT.get() {
            return Ok(m.clone());
        }
        let trained = Self::train(&Self::shipped_rows()?, options)?;
        Ok(DEFAULT.get_or_init(|| trained).clone())
    }
}

/// The priority model's column of each of the category model's columns, when the two
/// read the same n-grams with the same IDF: the same feature spec, every category
/// n-gram kept by the priority model with an equal IDF, and no other n-gram kept by it
/// (beside the named features of the wording rules).
fn shared_columns(category: &TextModel, priority: &TextModel) -> Option<Vec<u32>> {
    if category.spec() != priority.spec() {
        return None;
    }
    let (c, p) = (category.vocabulary(), priority.vocabulary());
    let named: std::collections::HashSet<u64> = rule_names().map(extra_hash).collect();
    let p_ngrams = p.entries().filter(|(h, _, _)| !named.contains(h)).count();
    if p_ngrams != c.len() || c.entries().any(|(h, _, _)| named.contains(&h)) {
        return None;
    }
    let mut columns = vec![0u32; c.len()];
    for (hash, col, idf) in c.entries() {
        let (p_col, p_idf) = p.get(hash)?;
        if p_idf.to_bits() != idf.to_bits() {
            return None;
        }
        *columns.get_mut(col as usize)? = p_col;
    }
    Some(columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::{LexicalClassifier, LexicalConfig};
    use ticket_core::text::Tags;
    use ticket_core::ticket::Scored;

    /// The day-one pair shares its n-gram lookups, and a classification through the
    /// shared slots is the one each model makes alone (the same labels, tags, skills and
    /// abstentions; the confidences within float rounding, the sums being made in
    /// another order); a priority model that reads other n-grams is not shared.
    #[test]
    fn shared_columns_classify_as_the_models_do_alone() {
        /// Gives `b` the confidence of `a` once they are seen to differ by float
        /// rounding only.
        fn align<T>(text: &str, a: Option<&Scored<T>>, b: Option<&mut Scored<T>>) {
            if let (Some(a), Some(b)) = (a, b) {
                let (x, y) = (a.confidence, b.confidence);
                assert!((x - y).abs() < 1e-5, "{text:?}: {x} vs {y}");
                b.confidence = x;
            }
        }
        let config = LexicalConfig::default();
        let shared = TicketModels::day_one(&config.options).expect("day-one models");
        assert!(shared.shares_columns());
        let alone = TicketModels {
            shared: None,
            ..shared.clone()
        };
        let (with, without) = (
            LexicalClassifier::new(shared.clone(), config.clone()),
            LexicalClassifier::new(alone, config.clone()),
        );
        let tags = Tags::empty();
        let rows = TicketModels::shipped_rows().expect("shipped rows");
        let texts = rows.iter().step_by(7).map(|r| r.0.as_str()).chain([
            "Outage: production is down and we are losing money, urgent!",
            "",
            "zzzz qqqq",
        ]);
        for text in texts {
            let (a, mut b) = (
                with.classify_text(text, "", &tags),
                without.classify_text(text, "", &tags),
            );
            align(text, a.category.as_ref(), b.category.as_mut());
            align(text, a.priority.as_ref(), b.priority.as_mut());
            assert_eq!(a, b, "{text:?}");
        }
        let other = ModelOptions {
            min_df: 1,
            ..ModelOptions::default()
        };
        let rows: Vec<_> = rows.into_iter().take(120).collect();
        let priority = TextModel::train(
            &rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
            &rows.iter().map(|r| r.2.clone()).collect::<Vec<_>>(),
            &other.priority_recipe(),
        )
        .expect("priority model");
        assert!(!TicketModels::new(shared.category().clone(), priority).shares_columns());
    }
}
