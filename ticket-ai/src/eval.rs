//! The evaluations behind the `ticket-ai` binary: `eval` (train on one CSV, score on
//! another, or stratified k-fold cross-validation on one) and `faq-eval` (rank FAQ
//! entries for paraphrased queries). Both return a JSON object the binary prints.

use crate::data::{read_file, Row};
use crate::error::AiError;
use crate::faq::{Bm25Config, Bm25Index};
use crate::metrics::{ece, Outcome, Report};
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

/// Out-of-scope detection at one abstention threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OosPoint {
    /// Calibrated probability under which the model abstains.
    pub threshold: f32,
    /// Share of out-of-scope rows abstained on.
    pub oos_recall: f64,
    /// Share of in-scope rows answered and right.
    pub in_scope_accuracy: f64,
    /// In-scope rows the accuracy was measured on.
    pub in_scope_rows: usize,
}

impl OosPoint {
    /// The lower end of the Wilson score interval of the in-scope accuracy at z-score
    /// `z` (`z` = 0: the accuracy itself): how low the accuracy on unseen rows may be,
    /// given how few rows measured it.
    #[must_use]
    pub fn in_scope_lower_bound(&self, z: f64) -> f64 {
        let n = self.in_scope_rows as f64;
        if n == 0.0 || z <= 0.0 {
            return self.in_scope_accuracy;
        }
        let p = self.in_scope_accuracy;
        let z2 = z * z;
        let centre = p + z2 / (2.0 * n);
        let spread = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
        (centre - spread) / (1.0 + z2 / n)
    }
}

/// Out-of-scope detection of `outcomes` if the model abstained under `threshold`.
#[must_use]
pub fn oos_at(outcomes: &[Outcome], oos: &str, threshold: f32) -> OosPoint {
    let (mut oos_n, mut oos_caught, mut in_n, mut in_right) = (0usize, 0usize, 0usize, 0usize);
    for o in outcomes {
        let abstained = o.in_scope < threshold || o.predicted == oos;
        if o.truth == oos {
            oos_n += 1;
            oos_caught += usize::from(abstained);
        } else {
            in_n += 1;
            in_right += usize::from(!abstained && o.truth == o.predicted);
        }
    }
    OosPoint {
        threshold,
        oos_recall: oos_caught as f64 / oos_n.max(1) as f64,
        in_scope_accuracy: in_right as f64 / in_n.max(1) as f64,
        in_scope_rows: in_n,
    }
}

/// The abstention threshold (0.01 to 0.99 by 0.01) with the highest out-of-scope recall
/// on `outcomes` among those whose in-scope accuracy keeps `min_in_scope_accuracy` with
/// the margin `z` asks for ([`OosPoint::in_scope_lower_bound`]); when none does, the one
/// with the highest recall + accuracy.
#[must_use]
pub fn choose_oos_threshold(
    outcomes: &[Outcome],
    oos: &str,
    min_in_scope_accuracy: f64,
    z: f64,
) -> OosPoint {
    let points: Vec<OosPoint> = (1..100)
        .map(|i| oos_at(outcomes, oos, i as f32 / 100.0))
        .collect();
    let keeping = points
        .iter()
        .filter(|p| p.in_scope_lower_bound(z) >= min_in_scope_accuracy)
        .max_by(|a, b| a.oos_recall.total_cmp(&b.oos_recall));
    let balanced = points.iter().max_by(|a, b| {
        (a.oos_recall + a.in_scope_accuracy).total_cmp(&(b.oos_recall + b.in_scope_accuracy))
    });
    keeping.or(balanced).copied().unwrap_or(OosPoint {
        threshold: 0.5,
        oos_recall: 0.0,
        in_scope_accuracy: 0.0,
        in_scope_rows: 0,
    })
}

/// Out-of-scope detection by abstention: the recall of the `oos` rows (abstained) and the
/// accuracy on in-scope rows (right and answered) at the run's threshold and over a
/// sweep of thresholds (reported on the scored rows: choose one on a validation set, not
/// here), and the in-scope accuracy without abstention.
fn oos_report(outcomes: &[Outcome], oos: &str, threshold: f32) -> Value {
    let at = |t: f32| {
        let p = oos_at(outcomes, oos, t);
        json!({
            "threshold": p.threshold,
            "oos_recall": p.oos_recall,
            "in_scope_accuracy": p.in_scope_accuracy,
        })
    };
    let sweep: Vec<Value> = (1..20).map(|i| at(i as f32 * 0.05)).collect();
    let in_scope: Vec<&Outcome> = outcomes.iter().filter(|o| o.truth != oos).collect();
    let right = in_scope.iter().filter(|o| o.truth == o.predicted).count();
    json!({
        "at_threshold": at(threshold),
        "sweep": sweep,
        // The classifier's accuracy on the in-scope rows, answering every one.
        "in_scope_accuracy_without_abstention": right as f64 / in_scope.len().max(1) as f64,
    })
}

/// What `ticket-ai faq-eval` runs.
#[derive(Debug, Clone)]
pub struct FaqEvalArgs {
    /// The FAQ CSV.
    pub faq: PathBuf,
    /// The queries CSV.
    pub queries: PathBuf,
    /// FAQ id column (in both files).
    pub id: String,
    /// FAQ question column.
    pub question: String,
    /// FAQ answer column.
    pub answer: String,
    /// Query text column.
    pub text: String,
    /// BM25 settings.
    pub config: Bm25Config,
}

/// A ranking of FAQ entries `faq-eval` scores: BM25 by default; the feature `embeddings`
/// adds cosines over sentence vectors.
pub trait FaqRanker {
    /// How many entries.
    fn entries(&self) -> usize;
    /// Up to `k` (entry index, calibrated score), best first.
    fn top(&self, query: &str, k: usize) -> Vec<(usize, f32)>;
    /// The raw score of every entry (what the calibration temperature divides).
    fn raw_scores(&self, query: &str) -> Vec<f32>;
}

impl FaqRanker for Bm25Index {
    fn entries(&self) -> usize {
        self.len()
    }
    fn top(&self, query: &str, k: usize) -> Vec<(usize, f32)> {
        Bm25Index::top(self, query, k)
    }
    fn raw_scores(&self, query: &str) -> Vec<f32> {
        self.scores(query)
    }
}

/// The FAQ entries and queries of a `faq-eval` run, as read from its files.
#[derive(Debug, Clone)]
pub struct FaqSet {
    /// Entry questions, labelled with their id.
    pub questions: Vec<Row>,
    /// Entry answers, in the same order.
    pub answers: Vec<Row>,
    /// Queries, labelled with the id of the entry that answers them.
    pub queries: Vec<Row>,
}

impl FaqSet {
    /// Reads the files named by `args`.
    ///
    /// # Errors
    /// [`AiError`] on unreadable files.
    pub fn read(args: &FaqEvalArgs) -> Result<Self, AiError> {
        Ok(Self {
            questions: read_file(&args.faq, &[&args.question], &args.id)?,
            answers: read_file(&args.faq, &[&args.answer], &args.id)?,
            queries: read_file(&args.queries, &[&args.text], &args.id)?,
        })
    }
}

/// Runs `faq-eval` with BM25: top-1, top-3, MRR, and the calibration of the top score
/// (the temperature fitted on these queries and the ECE at the configured one).
///
/// # Errors
/// [`AiError`] on unreadable files.
pub fn faq_eval(args: &FaqEvalArgs) -> Result<Value, AiError> {
    let set = FaqSet::read(args)?;
    let index = Bm25Index::new(
        set.questions
            .iter()
            .zip(&set.answers)
            .map(|(q, a)| (q.text.as_str(), a.text.as_str())),
        args.config,
    );
    Ok(faq_eval_with(&set, &index))
}

/// Scores any [`FaqRanker`] on a [`FaqSet`].
#[must_use]
pub fn faq_eval_with<R: FaqRanker>(set: &FaqSet, index: &R) -> Value {
    let FaqSet {
        questions, queries, ..
    } = set;
    let started = std::time::Instant::now();
    let (mut top1, mut top3, mut rr) = (0usize, 0usize, 0.0f64);
    let mut outcomes = Vec::new();
    let mut logits = Vec::new();
    let mut truth = Vec::new();
    for q in queries {
        let ranked = index.top(&q.text, index.entries());
        let pos = ranked
            .iter()
            .position(|(i, _)| questions.get(*i).is_some_and(|f| f.label == q.label));
        if let Some(p) = pos {
            top1 += usize::from(p == 0);
            top3 += usize::from(p < 3);
            rr += 1.0 / (p as f64 + 1.0);
            let scores = index.raw_scores(&q.text);
            if let Some(t) = questions.iter().position(|f| f.label == q.label) {
                logits.push(scores);
                truth.push(t);
            }
        }
        if let Some((i, s)) = ranked.first() {
            outcomes.push(Outcome {
                truth: q.label.clone(),
                predicted: questions
                    .get(*i)
                    .map(|f| f.label.clone())
                    .unwrap_or_default(),
                confidence: *s,
                abstained: false,
                in_scope: *s,
            });
        }
    }
    let n = queries.len().max(1) as f64;
    json!({
        "queries": queries.len(),
        "faqs": index.entries(),
        "top1": top1 as f64 / n,
        "top3": top3 as f64 / n,
        "mrr": rr / n,
        "ece": ece(&outcomes, 10),
        "fitted_temperature": crate::metrics::fit_temperature(&logits, &truth),
        "seconds": started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(truth: &str, predicted: &str, confidence: f32) -> Outcome {
        Outcome {
            truth: truth.into(),
            predicted: predicted.into(),
            confidence,
            abstained: false,
            in_scope: confidence,
        }
    }

    #[test]
    fn the_oos_threshold_keeps_the_in_scope_accuracy_asked_for() {
        let outcomes = [
            o("a", "a", 0.9),
            o("b", "b", 0.8),
            o("a", "a", 0.45),
            o("b", "a", 0.3),
            o("oos", "a", 0.4),
            o("oos", "b", 0.2),
        ];
        // Abstaining under 0.41 to 0.45 catches both oos rows and keeps 3 of 4 in scope.
        let p = choose_oos_threshold(&outcomes, "oos", 0.75, 0.0);
        assert!((p.oos_recall - 1.0).abs() < 1e-9 && (p.in_scope_accuracy - 0.75).abs() < 1e-9);
        assert!(p.threshold > 0.4 && p.threshold <= 0.45, "{p:?}");
        // An oos row at 0.85 is caught only by dropping right answers: the floor binds.
        let mut more = outcomes.to_vec();
        more.push(o("oos", "b", 0.85));
        let bound = choose_oos_threshold(&more, "oos", 0.75, 0.0);
        assert!((bound.oos_recall - 2.0 / 3.0).abs() < 1e-9, "{bound:?}");
        // A floor nothing reaches falls back to the best recall + accuracy.
        let fallback = choose_oos_threshold(&outcomes, "oos", 0.99, 0.0);
        assert_eq!(fallback, p);
        // Four in-scope rows prove little: asked for a margin, the choice asks more of
        // them than 0.75 and falls back here.
        assert_eq!(
            choose_oos_threshold(&outcomes, "oos", 0.75, 1.645),
            fallback
        );
    }

    #[test]
    fn the_lower_bound_of_the_in_scope_accuracy_narrows_with_more_rows() {
        let point = |rows: usize| OosPoint {
            threshold: 0.5,
            oos_recall: 0.9,
            in_scope_accuracy: 0.94,
            in_scope_rows: rows,
        };
        assert!((point(3000).in_scope_lower_bound(0.0) - 0.94).abs() < 1e-12);
        // Wilson score interval, z = 1.645, p = 0.94, n = 3000: 0.9325.
        let wide = point(300).in_scope_lower_bound(1.645);
        let narrow = point(3000).in_scope_lower_bound(1.645);
        assert!((narrow - 0.9325).abs() < 5e-4, "{narrow}");
        assert!(wide < narrow && narrow < 0.94, "{wide} {narrow}");
        assert!((point(0).in_scope_lower_bound(1.645) - 0.94).abs() < 1e-12);
    }
}
