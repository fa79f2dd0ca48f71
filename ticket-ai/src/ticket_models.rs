//! [`TicketModels`]: the category model and the priority model a
//! [`LexicalClassifier`](crate::LexicalClassifier) uses, swapped together, and what
//! they share when they classify a text.
//!
//! Both read the text's n-grams. Trained on the same texts with the same options (the
//! day-one pair, every retrained pair), they extract them once, and they keep the same
//! n-grams with the same IDF (the priority model adding the wording rules' hits): then
//! the priority model's vector of a text is the category model's with its columns
//! renamed (`shared_columns`), and each n-gram is looked up in one vocabulary, not
//! two. In a server those lookups miss the CPU caches (the next ticket comes after the
//! store's and the runtime's work has pushed the models out of them) and are most of a
//! classification's cost: `benches/classify.rs` (`classify_ticket_cold_cache`).

use crate::data::{read_rows, SHIPPED_TICKETS};
use crate::error::AiError;
use crate::features::{extra_hash, Sparse, Words};
use crate::model::{ModelOptions, Prediction, TextModel};
use crate::priority::rule_names;

/// The two models in use, swapped together.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketModels {
    category: TextModel,
    priority: TextModel,
    /// Both models' weights of each category column, when the two models read the
    /// same n-grams ([`shared_columns`]).
    shared: Option<SharedRows>,
}

/// Both models' weights of each of the category model's columns side by side (the
/// category's classes, then the priority's at the priority model's column of the same
/// n-gram): a found n-gram then costs one more memory access for both models, not three
/// (the category's row, the column map, the priority's row), and those accesses are what
/// a classification pays with cold caches.
#[derive(Debug, Clone, PartialEq)]
struct SharedRows {
    /// The category model's classes (the first weights of a row).
    category: usize,
    /// Weights per row.
    width: usize,
    /// One row per category column.
    rows: Vec<f32>,
}

impl SharedRows {
    /// The rows of `category` and `priority`, where `columns` maps each category column
    /// to the priority model's.
    fn new(category: &TextModel, priority: &TextModel, columns: &[u32]) -> Self {
        let (c, p) = (category.linear(), priority.linear());
        let (cc, pc) = (c.classes(), p.classes());
        let mut rows = Vec::with_capacity(columns.len() * (cc + pc));
        for (col, p_col) in columns.iter().enumerate() {
            // A column beyond a model adds nothing to its logits: zeros do the same.
            match c.row(col) {
                Some(r) => rows.extend_from_slice(r),
                None => rows.extend(std::iter::repeat_n(0.0, cc)),
            }
            match p.row(*p_col as usize) {
                Some(r) => rows.extend_from_slice(r),
                None => rows.extend(std::iter::repeat_n(0.0, pc)),
            }
        }
        Self {
            category: cc,
            width: cc + pc,
            rows,
        }
    }

    /// Adds `x`'s weighted columns to the category's and the priority's logits, in
    /// `x`'s order (so each sum is the one [`crate::linear::Linear::logits`] makes).
    fn add_logits(&self, x: &Sparse, category: &mut [f32], priority: &mut [f32]) {
        for (col, v) in x {
            let start = *col as usize * self.width;
            if let Some(row) = self.rows.get(start..start + self.width) {
                let (c, p) = row.split_at(self.category);
                for (l, w) in category.iter_mut().zip(c) {
                    *l += w * v;
                }
                for (l, w) in priority.iter_mut().zip(p) {
                    *l += w * v;
                }
            }
        }
    }
}

impl TicketModels {
    /// The pair of a category model and a priority model.
    #[must_use]
    pub fn new(category: TextModel, priority: TextModel) -> Self {
        let shared = shared_columns(&category, &priority)
            .map(|columns| SharedRows::new(&category, &priority, &columns));
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
        let features = category_model.spec().extract_words(words, &[]);
        let vector = category_model.vocabulary().vectorize(&features);
        if let Some(shared) = &self.shared {
            // The same n-grams: both models' logits in one pass over the rows, then the
            // priority model's named features (the rules' hits).
            let mut category = category_model.linear().bias().to_vec();
            let mut priority = priority_model.linear().bias().to_vec();
            shared.add_logits(&vector, &mut category, &mut priority);
            let category = category_model.predict_logits(category, &features);
            let features = features.with_extra(rule_hits);
            let mut named = Sparse::new();
            priority_model
                .vocabulary()
                .push_named(&features, &mut named);
            priority_model.linear().add_logits(&named, &mut priority);
            return (category, priority_model.predict_logits(priority, &features));
        }
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

    /// The day-one pair shares its n-gram lookups, and a classification through the
    /// shared columns is the one each model makes alone, to the bit; a priority model
    /// that reads other n-grams is not shared.
    #[test]
    fn shared_columns_classify_as_the_models_do_alone() {
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
            assert_eq!(
                with.classify_text(text, "", &tags),
                without.classify_text(text, "", &tags),
                "{text:?}"
            );
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
