//! [`TextModel`]: vocabulary + linear softmax + temperature, for one label (category,
//! priority, an intent). Trained from labelled text, calibrated on out-of-fold
//! predictions, saved to and loaded from a JSON file.

use crate::error::AiError;
use crate::features::{FeatureSpec, MinDf, RawFeatures, Sparse, Vocabulary, Words};
use crate::linear::{softmax, Linear, TrainOptions};
use crate::nb::NbScaling;
use crate::priority;
use crate::stack;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How a [`TextModel`] is built.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelOptions {
    /// Which n-grams.
    pub spec: FeatureSpec,
    /// An n-gram is a column when seen in at least this many training texts.
    pub min_df: u32,
    /// A word n-gram is instead a column when seen in at least this many (`None`:
    /// `min_df`). A word seen once can be a strong cue ("refund", "invoice"), while
    /// character n-grams are many and dense, and the rare ones mostly noise: on the shared
    /// tickets 1 for words and 3 for the rest score higher than 2 for all (README).
    /// Options written before it existed read as `None`.
    #[serde(default)]
    pub word_min_df: Option<u32>,
    /// At most this many columns (the most frequent).
    pub max_features: usize,
    /// The optimiser.
    pub train: TrainOptions,
    /// Folds of the out-of-fold predictions the temperature is fitted on (< 2: none).
    pub calibration_folds: usize,
    /// Whether the priority wording rules ([`crate::priority`]) join the features.
    pub rule_features: bool,
    /// When ≥ 2: the word and the character n-grams are learnt by two models, weighed
    /// by a second stage trained on their logits out of this many folds, and folded into
    /// one ([`crate::views`]); not with `rule_features`, whose second stage weighs the
    /// rules. 0 (or 1): one model over both. Options written before it existed read as 0.
    #[serde(default)]
    pub view_folds: usize,
}

impl Default for ModelOptions {
    fn default() -> Self {
        Self {
            spec: FeatureSpec::default(),
            min_df: 3,
            word_min_df: Some(1),
            max_features: 200_000,
            train: TrainOptions {
                nb: Some(NbScaling::default()),
                ..TrainOptions::default()
            },
            calibration_folds: 3,
            rule_features: false,
            view_folds: 10,
        }
    }
}

impl ModelOptions {
    /// The vocabulary these options learn from `docs` (their feature spec, `min_df`,
    /// `word_min_df` and `max_features`).
    pub(crate) fn vocabulary<'a>(
        &self,
        docs: impl IntoIterator<Item = &'a RawFeatures>,
    ) -> Vocabulary {
        let min_df = MinDf {
            words: self.word_min_df.unwrap_or(self.min_df),
            others: self.min_df,
        };
        Vocabulary::fit(self.spec, docs, min_df, self.max_features)
    }

    /// The priority model's recipe from these options: the wording rules join the
    /// features, and no naive Bayes scales (on the shared tickets they cost priority 0.01
    /// of macro-F1 while they gain category about as much; README).
    #[must_use]
    pub fn priority_recipe(&self) -> Self {
        Self {
            rule_features: true,
            view_folds: 0,
            train: TrainOptions {
                nb: None,
                ..self.train
            },
            ..*self
        }
    }
}

/// A prediction: every label with its calibrated probability, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// (label, probability), most probable first.
    pub ranked: Vec<(String, f32)>,
}

impl Prediction {
    /// The most probable label and its probability.
    #[must_use]
    pub fn best(&self) -> Option<(&str, f32)> {
        self.ranked.first().map(|(l, p)| (l.as_str(), *p))
    }
}

/// A trained text classifier for one label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextModel {
    /// The labels, in column order of the linear model.
    labels: Vec<String>,
    vocabulary: Vocabulary,
    linear: Linear,
    /// Logits are divided by this before the softmax (calibration).
    temperature: f32,
    rule_features: bool,
    /// Rows it was trained on.
    rows: usize,
    /// The second stage, with the wording rules ([`crate::stack`]): calibrated logits
    /// and rule hits in, logits out. Files written before it existed read as none.
    #[serde(default)]
    stack: Option<Linear>,
}

impl TextModel {
    /// Trains on `texts` labelled `labels`.
    ///
    /// # Errors
    /// [`AiError::Training`] when there are no rows, the lengths differ, or fewer than
    /// two labels.
    pub fn train(
        texts: &[String],
        labels: &[String],
        opts: &ModelOptions,
    ) -> Result<Self, AiError> {
        if texts.is_empty() || texts.len() != labels.len() {
            return Err(AiError::Training(format!(
                "{} texts for {} labels",
                texts.len(),
                labels.len()
            )));
        }
        let (names, ys) = label_indices(labels)?;
        let raw: Vec<_> = texts
            .iter()
            .map(|t| extract(&opts.spec, t, opts.rule_features))
            .collect();
        let classes = names.len();
        let fitted = (opts.view_folds >= 2 && !opts.rule_features)
            .then(|| crate::views::train(&raw, &ys, classes, opts))
            .flatten()
            .unwrap_or_else(|| crate::regression::train(&raw, &ys, classes, opts));
        Ok(Self {
            labels: names,
            vocabulary: fitted.vocabulary,
            linear: fitted.linear,
            temperature: fitted.temperature,
            rule_features: opts.rule_features,
            rows: texts.len(),
            stack: fitted.stack,
        })
    }

    /// The labels it knows, sorted.
    #[must_use]
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Rows it was trained on.
    #[must_use]
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The calibration temperature.
    #[must_use]
    pub fn temperature(&self) -> f32 {
        self.temperature
    }

    /// The n-grams it reads.
    #[must_use]
    pub fn spec(&self) -> FeatureSpec {
        self.vocabulary.spec
    }

    /// Whether the priority wording rules are among its features.
    #[must_use]
    pub fn uses_rules(&self) -> bool {
        self.rule_features
    }

    /// The columns it reads.
    pub(crate) fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// Whether a second stage learnt how much each wording rule is worth beside the text
    /// ([`crate::stack`]): its probabilities then already weigh the rules, and no rule
    /// should override them ([`crate::priority::combine_with`] is given none).
    #[must_use]
    pub fn weighs_rules(&self) -> bool {
        self.stack.is_some()
    }

    /// Calibrated probabilities of every label for `text`, best first.
    #[must_use]
    pub fn predict(&self, text: &str) -> Prediction {
        let raw = extract(&self.vocabulary.spec, text, self.rule_features);
        self.predict_features(&raw)
    }

    /// [`TextModel::predict`] from features already extracted with [`TextModel::spec`]
    /// (and the rule hits when [`TextModel::uses_rules`]), so several models can share
    /// one extraction.
    #[must_use]
    pub fn predict_features(&self, raw: &RawFeatures) -> Prediction {
        self.predict_vector(&self.vocabulary.vectorize(raw), raw)
    }

    /// [`TextModel::predict_features`] from the vector of `raw` over this model's
    /// vocabulary (see [`crate::ticket_models`]: the priority model's vector can be had
    /// from the category model's).
    pub(crate) fn predict_vector(&self, x: &Sparse, raw: &RawFeatures) -> Prediction {
        self.predict_logits(self.linear.logits(x), raw)
    }

    /// The linear model (the first stage when there is a second).
    pub(crate) fn linear(&self) -> &Linear {
        &self.linear
    }

    /// The prediction from the linear model's logits `p` of `raw`'s vector (computed
    /// elsewhere, see [`crate::ticket_models`]).
    pub(crate) fn predict_logits(&self, mut p: Vec<f32>, raw: &RawFeatures) -> Prediction {
        p.iter_mut().for_each(|l| *l /= self.temperature);
        if let Some(stack) = &self.stack {
            p = stack.logits(&stack::input(&p, raw));
        }
        softmax(&mut p);
        let mut ranked: Vec<(String, f32)> = self.labels.iter().cloned().zip(p).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        Prediction { ranked }
    }

    /// Writes the model as JSON.
    ///
    /// # Errors
    /// [`AiError::Io`] or [`AiError::Format`].
    pub fn save(&self, path: &Path) -> Result<(), AiError> {
        let file = std::fs::File::create(path)?;
        serde_json::to_writer(std::io::BufWriter::new(file), self)?;
        Ok(())
    }

    /// Reads a model written by [`TextModel::save`].
    ///
    /// # Errors
    /// [`AiError::Io`] or [`AiError::Format`] (also when its parts disagree).
    pub fn load(path: &Path) -> Result<Self, AiError> {
        let file = std::fs::File::open(path)?;
        let m: Self = serde_json::from_reader(std::io::BufReader::new(file))?;
        m.checked()
    }

    /// A deserialised model made ready for use: its parts checked against each other
    /// and its lookup table rebuilt.
    ///
    /// # Errors
    /// [`AiError::ModelFile`] when the labels and the weights disagree or the
    /// temperature is not a positive number.
    pub(crate) fn checked(mut self) -> Result<Self, AiError> {
        if self.labels.len() != self.linear.classes()
            || self
                .stack
                .as_ref()
                .is_some_and(|s| s.classes() != self.labels.len())
            || self.temperature.is_nan()
            || self.temperature <= 0.0
        {
            return Err(AiError::ModelFile("labels and weights disagree".into()));
        }
        self.vocabulary.build_index();
        Ok(self)
    }
}

fn extract(spec: &FeatureSpec, text: &str, rules: bool) -> RawFeatures {
    let words = Words::new(text);
    if rules {
        let hits = priority::rule_hits_in(&words);
        let names: Vec<&str> = hits.iter().map(|h| h.name).collect();
        spec.extract_words(&words, &names)
    } else {
        spec.extract_words(&words, &[])
    }
}

/// The distinct labels, sorted, and each row's index into them.
///
/// # Errors
/// [`AiError::Training`] with fewer than two distinct labels.
pub(crate) fn label_indices(labels: &[String]) -> Result<(Vec<String>, Vec<usize>), AiError> {
    let mut names: Vec<String> = labels.to_vec();
    names.sort_unstable();
    names.dedup();
    if names.len() < 2 {
        return Err(AiError::Training("at least two labels are needed".into()));
    }
    let ys = labels
        .iter()
        .map(|l| names.binary_search(l).unwrap_or(0))
        .collect();
    Ok((names, ys))
}

/// Fold index (0..k) of each row: rows of each label are shuffled and dealt round-robin,
/// so every fold has each label in proportion.
#[must_use]
pub fn stratified_folds<T: Ord + Clone>(labels: &[T], k: usize, seed: u64) -> Vec<usize> {
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut by_label: std::collections::BTreeMap<T, Vec<usize>> = Default::default();
    for (i, l) in labels.iter().enumerate() {
        by_label.entry(l.clone()).or_default().push(i);
    }
    let mut folds = vec![0; labels.len()];
    let mut next = 0;
    for rows in by_label.values_mut() {
        rows.shuffle(&mut rng);
        for i in rows.iter() {
            folds[*i] = next % k.max(1);
            next += 1;
        }
    }
    folds
}

/// The label chosen for a prediction, or `None` when its probability is under
/// `threshold` (abstention).
#[must_use]
pub fn decide(prediction: &Prediction, threshold: f32) -> Option<(&str, f32)> {
    prediction.best().filter(|(_, p)| *p >= threshold)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<String>, Vec<String>) {
        let rows = [
            ("I was charged twice for my subscription", "billing"),
            ("refund the duplicate payment on my card", "billing"),
            ("invoice shows the wrong amount", "billing"),
            ("my card payment was declined at checkout", "billing"),
            ("the app crashes when I open settings", "technical"),
            ("error 500 when uploading a file", "technical"),
            ("the api returns a timeout error", "technical"),
            ("sync is broken and the page crashes", "technical"),
        ];
        rows.iter()
            .map(|(t, l)| (t.to_string(), l.to_string()))
            .unzip()
    }

    #[test]
    fn trains_predicts_and_round_trips_through_a_file() {
        let (texts, labels) = sample();
        let m = TextModel::train(&texts, &labels, &ModelOptions::default()).expect("train");
        assert_eq!(m.labels(), ["billing", "technical"]);
        let p = m.predict("please refund this payment");
        assert_eq!(p.best().map(|b| b.0), Some("billing"));
        let sum: f32 = p.ranked.iter().map(|r| r.1).sum();
        assert!((sum - 1.0).abs() < 1e-4);
        let dir = std::env::temp_dir().join(format!("ticket-ai-model-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("m.json");
        m.save(&path).expect("save");
        let back = TextModel::load(&path).expect("load");
        assert_eq!(
            back.predict("the app crashes"),
            m.predict("the app crashes")
        );
        std::fs::write(&path, b"{\"labels\": 3}").expect("write");
        assert!(TextModel::load(&path).is_err());
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn refuses_unusable_training_sets() {
        let one = vec!["a".to_string()];
        assert!(TextModel::train(&one, &one, &ModelOptions::default()).is_err());
        assert!(TextModel::train(&[], &[], &ModelOptions::default()).is_err());
        assert!(TextModel::train(&one, &[], &ModelOptions::default()).is_err());
    }

    #[test]
    fn stratified_folds_deal_each_label_evenly() {
        let labels: Vec<&str> = (0..30).map(|i| if i < 20 { "a" } else { "b" }).collect();
        let folds = stratified_folds(&labels, 5, 1);
        for f in 0..5 {
            let a = (0..30)
                .filter(|i| folds[*i] == f && labels[*i] == "a")
                .count();
            let b = (0..30)
                .filter(|i| folds[*i] == f && labels[*i] == "b")
                .count();
            assert_eq!((a, b), (4, 2), "fold {f}");
        }
    }

    #[test]
    fn decide_abstains_under_the_threshold() {
        let p = Prediction {
            ranked: vec![("a".into(), 0.55), ("b".into(), 0.45)],
        };
        assert_eq!(decide(&p, 0.5), Some(("a", 0.55)));
        assert_eq!(decide(&p, 0.6), None);
    }
}
