//! The evaluations behind the `ticket-ai` binary: `eval` (train on one CSV, score on
//! another, or stratified k-fold cross-validation on one) and `faq-eval` (rank FAQ
//! entries for paraphrased queries, module `faq`). Both return a JSON object the binary
//! prints; module `oos` measures and chooses the abstention threshold for out-of-scope
//! rows.

mod faq;
mod oos;

pub use faq::{faq_eval, faq_eval_with, FaqEvalArgs, FaqRanker, FaqSet};
use oos::oos_report;
pub use oos::{choose_oos_threshold, oos_at, OosPoint};

use crate::data::{read_file, Row};
use crate::error::AiError;
use crate::metrics::{Outcome, Report};
use crate::model::{stratified_folds, ModelOptions, Prediction, TextModel};
use crate::priority::{combine_with, rule_priority};
use serde_json::{json, Value};
use std::path::PathBuf;

/// What `ticket-ai eval` runs.
#[derive(Debug, Clone)]
pub struct EvalArgs {
    /// Training CSV.
    pub train: PathBuf,
    /// Test CSV; `None` scores by stratified `folds`-fold cross-validation on `train`.
    pub test: Option<PathBuf>,
    /// Text columns.
    pub text: Vec<String>,
    /// Label column.
    pub label: String,
    /// Folds of the cross-validation.
    pub folds: usize,
    /// Seed of the cross-validation's shuffle (42 in the published figures): another
    /// seed deals other folds, to see how much a figure owes to one split.
    pub fold_seed: u64,
    /// Abstention threshold on the calibrated probability.
    pub threshold: f32,
    /// Whether the priority wording rules join the model (on by default for a label
    /// named `priority`).
    pub rules: bool,
    /// A label meaning "out of scope" (CLINC150's `oos`): its rows are left out of
    /// training (unless `train_oos`), and an abstention on them counts as right.
    pub oos_label: Option<String>,
    /// Whether the out-of-scope rows of the training file are learnt as one more class
    /// (predicting it is then an abstention too).
    pub train_oos: bool,
    /// With `oos_label` and `test`: a validation CSV on which the abstention threshold is
    /// chosen (see [`choose_oos_threshold`]) before the test set is scored at it, so the
    /// test set never picks it.
    pub val: Option<PathBuf>,
    /// The in-scope accuracy the threshold chosen on `val` must keep.
    pub min_in_scope_accuracy: f64,
    /// How sure the choice on `val` must be that the accuracy is kept on unseen rows:
    /// the lower Wilson bound of the validation in-scope accuracy at this z-score must
    /// reach `min_in_scope_accuracy` (1.645: one-sided 95 %; 0: the validation accuracy
    /// itself, which a test set misses about half the time).
    pub in_scope_z: f64,
    /// Where to write the misclassified scored rows as CSV (`truth,predicted,confidence,
    /// text`), to read what the model gets wrong; `None`: not written.
    pub errors: Option<PathBuf>,
    /// Model options.
    pub options: ModelOptions,
}

/// A model `eval` trains and scores: the lexical [`TextModel`] by default; the feature
/// `embeddings` adds heads over sentence vectors and zero-shot label matching.
pub trait Learner {
    /// What training produces.
    type Model;
    /// Called once with the texts of the run's training rows and of its scored rows
    /// (the same under cross-validation) before any training, e.g. to compute their
    /// vectors in batches.
    ///
    /// # Errors
    /// [`AiError`] when preparing fails.
    fn prepare(&mut self, training: &[&str], scored: &[&str]) -> Result<(), AiError> {
        let _ = (training, scored);
        Ok(())
    }
    /// Trains on `texts` labelled `labels` (out-of-scope rows already left out).
    ///
    /// # Errors
    /// [`AiError::Training`] on an unusable training set.
    fn train(
        &self,
        texts: &[String],
        labels: &[String],
        options: &ModelOptions,
    ) -> Result<Self::Model, AiError>;
    /// Calibrated probabilities of every label for `text`, best first.
    fn predict(&self, model: &Self::Model, text: &str) -> Prediction;
    /// The model's calibration temperature (reported).
    fn temperature(&self, model: &Self::Model) -> f32;
    /// Whether the model's probabilities already weigh the priority wording rules (then
    /// no rule overrides them, see [`TextModel::weighs_rules`]).
    fn weighs_rules(&self, model: &Self::Model) -> bool {
        let _ = model;
        false
    }
    /// The score out-of-scope abstention compares with the threshold (see
    /// [`oos_at`]): by default the best label's probability.
    fn in_scope(&self, model: &Self::Model, text: &str, prediction: &Prediction) -> f32 {
        let _ = (model, text);
        prediction.best().map_or(0.0, |(_, p)| p)
    }
}

/// The lexical [`TextModel`] as a [`Learner`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Lexical;

impl Learner for Lexical {
    type Model = TextModel;
    fn train(
        &self,
        texts: &[String],
        labels: &[String],
        options: &ModelOptions,
    ) -> Result<TextModel, AiError> {
        TextModel::train(texts, labels, options)
    }
    fn predict(&self, model: &TextModel, text: &str) -> Prediction {
        model.predict(text)
    }
    fn temperature(&self, model: &TextModel) -> f32 {
        model.temperature()
    }
    fn weighs_rules(&self, model: &TextModel) -> bool {
        model.weighs_rules()
    }
}

fn scored<L: Learner>(
    learner: &L,
    model: &L::Model,
    rows: &[Row],
    args: &EvalArgs,
) -> Vec<Outcome> {
    rows.iter()
        .map(|r| {
            let p = learner.predict(model, &r.text);
            let (predicted, confidence, mut abstained) = if args.rules {
                let rule = if learner.weighs_rules(model) {
                    None
                } else {
                    rule_priority(&r.text)
                };
                combine_with(&p, rule, args.threshold)
            } else {
                let (l, c) = p.best().unwrap_or(("", 0.0));
                (l.to_string(), c, c < args.threshold)
            };
            let mut in_scope = confidence;
            if args.oos_label.is_some() && !args.rules {
                in_scope = learner.in_scope(model, &r.text, &p);
                abstained = in_scope < args.threshold;
            }
            Outcome {
                truth: r.label.clone(),
                predicted,
                confidence,
                abstained,
                in_scope,
            }
        })
        .collect()
}

fn train<L: Learner>(learner: &L, rows: &[Row], args: &EvalArgs) -> Result<L::Model, AiError> {
    let (texts, labels): (Vec<String>, Vec<String>) = rows
        .iter()
        .filter(|r| args.train_oos || Some(&r.label) != args.oos_label.as_ref())
        .map(|r| (r.text.clone(), r.label.clone()))
        .unzip();
    let opts = ModelOptions {
        rule_features: args.rules,
        ..args.options
    };
    learner.train(&texts, &labels, &opts)
}

/// Runs `eval` with the lexical model.
///
/// # Errors
/// [`AiError`] on unreadable files or an unusable training set.
pub fn eval(args: &EvalArgs) -> Result<Value, AiError> {
    eval_with(args, &mut Lexical)
}

/// Runs `eval` with any [`Learner`].
///
/// # Errors
/// [`AiError`] on unreadable files, an unusable training set, or a failing learner.
pub fn eval_with<L: Learner>(args: &EvalArgs, learner: &mut L) -> Result<Value, AiError> {
    let text: Vec<&str> = args.text.iter().map(String::as_str).collect();
    let rows = read_file(&args.train, &text, &args.label)?;
    let test_rows = match &args.test {
        Some(test) => Some(read_file(test, &text, &args.label)?),
        None => None,
    };
    let started = std::time::Instant::now();
    let val_rows = match (&args.val, &test_rows) {
        (Some(val), Some(_)) => Some(read_file(val, &text, &args.label)?),
        _ => None,
    };
    let training: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
    let scored_texts: Vec<&str> = match &test_rows {
        Some(t) => t
            .iter()
            .chain(val_rows.iter().flatten())
            .map(|r| r.text.as_str())
            .collect(),
        None => training.clone(),
    };
    learner.prepare(&training, &scored_texts)?;
    let learner = &*learner;
    let mut texts: Vec<&str> = Vec::new();
    let (outcomes, temperature, method, threshold) = match &test_rows {
        Some(test_rows) => {
            let model = train(learner, &rows, args)?;
            let mut method = "train/test".to_string();
            let mut threshold = args.threshold;
            if let (Some(val_rows), Some(oos)) = (&val_rows, &args.oos_label) {
                let chosen = choose_oos_threshold(
                    &scored(learner, &model, val_rows, args),
                    oos,
                    args.min_in_scope_accuracy,
                    args.in_scope_z,
                );
                threshold = chosen.threshold;
                method = format!(
                    "train/test, abstention threshold {threshold:.2} chosen on the validation set (oos recall {:.4}, in-scope accuracy {:.4} there, lower bound {:.4} at z {})",
                    chosen.oos_recall,
                    chosen.in_scope_accuracy,
                    chosen.in_scope_lower_bound(args.in_scope_z),
                    args.in_scope_z
                );
            }
            let at = EvalArgs {
                threshold,
                ..args.clone()
            };
            texts.extend(test_rows.iter().map(|r| r.text.as_str()));
            (
                scored(learner, &model, test_rows, &at),
                vec![learner.temperature(&model)],
                method,
                threshold,
            )
        }
        None => {
            let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
            let folds = stratified_folds(&labels, args.folds.max(2), args.fold_seed);
            let mut all = Vec::with_capacity(rows.len());
            let mut temps = Vec::new();
            for f in 0..args.folds.max(2) {
                let mut test = Vec::new();
                let mut train_rows = Vec::new();
                for (i, r) in rows.iter().enumerate() {
                    if folds[i] == f {
                        texts.push(&r.text);
                        test.push(r.clone());
                    } else {
                        train_rows.push(r.clone());
                    }
                }
                let model = train(learner, &train_rows, args)?;
                temps.push(learner.temperature(&model));
                all.extend(scored(learner, &model, &test, args));
            }
            (
                all,
                temps,
                format!("stratified {}-fold cross-validation", args.folds.max(2)),
                args.threshold,
            )
        }
    };
    if let Some(path) = &args.errors {
        write_errors(path, &outcomes, &texts)?;
    }
    let mut out = serde_json::to_value(Report::of(&outcomes))?;
    if let Some(oos) = &args.oos_label {
        out["oos"] = oos_report(&outcomes, oos, threshold);
    }
    out["method"] = json!(method);
    out["label"] = json!(args.label);
    out["threshold"] = json!(threshold);
    out["rules"] = json!(args.rules);
    out["temperatures"] = json!(temperature);
    out["seconds"] = json!(started.elapsed().as_secs_f64());
    Ok(out)
}

/// Writes the misclassified `outcomes` (scored rows `texts`, in the same order) to
/// `path` as CSV.
fn write_errors(
    path: &std::path::Path,
    outcomes: &[Outcome],
    texts: &[&str],
) -> Result<(), AiError> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(["truth", "predicted", "confidence", "text"])?;
    for (o, text) in outcomes.iter().zip(texts) {
        if o.truth != o.predicted {
            let confidence = format!("{:.3}", o.confidence);
            w.write_record([o.truth.as_str(), &o.predicted, &confidence, text])?;
        }
    }
    w.flush()?;
    Ok(())
}
