//! `ticket-ai faq-eval`: rank FAQ entries for paraphrased queries and score top-1, top-3
//! and MRR.

use crate::data::{read_file, Row};
use crate::error::AiError;
use crate::faq::{Bm25Config, Bm25Index};
use crate::metrics::{ece, Outcome};
use serde_json::{json, Value};
use std::path::PathBuf;

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
