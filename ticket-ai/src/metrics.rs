//! Quality as numbers: accuracy, per-class precision/recall, macro-F1, expected
//! calibration error, coverage under abstention, and temperature scaling (the one-
//! parameter calibration fitted on held-out predictions).

use serde::Serialize;
use std::collections::BTreeMap;

/// One scored prediction: the true label, the predicted one, its confidence, and whether
/// the model abstained (confidence under its threshold).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The true label.
    pub truth: String,
    /// The predicted label.
    pub predicted: String,
    /// The predicted label's probability.
    pub confidence: f32,
    /// Whether the model declined to answer.
    pub abstained: bool,
    /// The score out-of-scope abstention is decided on (the confidence unless the
    /// model has a better one, see [`crate::eval::Learner::in_scope`]).
    pub in_scope: f32,
}

/// Precision and recall of one class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClassScore {
    /// Of the predictions of this class, the share that were right.
    pub precision: f64,
    /// Of the rows of this class, the share predicted as it.
    pub recall: f64,
    /// Harmonic mean of the two.
    pub f1: f64,
    /// Rows of this class.
    pub support: usize,
}

/// The report of `ticket-ai eval`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Rows scored.
    pub rows: usize,
    /// Share of rows predicted right (every row, abstained or not: the model's guess).
    pub accuracy: f64,
    /// Mean F1 over the classes present in the truth.
    pub macro_f1: f64,
    /// Expected calibration error over 10 equal-width confidence bins.
    pub ece: f64,
    /// Share of rows not abstained.
    pub coverage: f64,
    /// Accuracy over the rows not abstained.
    pub selective_accuracy: f64,
    /// Per-class precision and recall.
    pub per_class: BTreeMap<String, ClassScore>,
}

impl Report {
    /// Scores `outcomes`.
    #[must_use]
    pub fn of(outcomes: &[Outcome]) -> Self {
        let n = outcomes.len().max(1) as f64;
        let right = outcomes.iter().filter(|o| o.truth == o.predicted).count();
        let answered: Vec<&Outcome> = outcomes.iter().filter(|o| !o.abstained).collect();
        let answered_right = answered.iter().filter(|o| o.truth == o.predicted).count();
        let mut per_class = BTreeMap::new();
        let mut labels: Vec<&str> = outcomes.iter().map(|o| o.truth.as_str()).collect();
        labels.sort_unstable();
        labels.dedup();
        for label in labels {
            let tp = outcomes
                .iter()
                .filter(|o| o.truth == label && o.predicted == label)
                .count() as f64;
            let predicted = outcomes.iter().filter(|o| o.predicted == label).count() as f64;
            let support = outcomes.iter().filter(|o| o.truth == label).count();
            let precision = if predicted > 0.0 { tp / predicted } else { 0.0 };
            let recall = tp / support.max(1) as f64;
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            per_class.insert(
                label.to_string(),
                ClassScore {
                    precision,
                    recall,
                    f1,
                    support,
                },
            );
        }
        let macro_f1 = if per_class.is_empty() {
            0.0
        } else {
            per_class.values().map(|c| c.f1).sum::<f64>() / per_class.len() as f64
        };
        Self {
            rows: outcomes.len(),
            accuracy: right as f64 / n,
            macro_f1,
            ece: ece(outcomes, 10),
            coverage: answered.len() as f64 / n,
            selective_accuracy: answered_right as f64 / answered.len().max(1) as f64,
            per_class,
        }
    }
}

/// Expected calibration error: the row-weighted mean gap between confidence and accuracy
/// over `bins` equal-width confidence bins.
#[must_use]
pub fn ece(outcomes: &[Outcome], bins: usize) -> f64 {
    let bins = bins.max(1);
    let mut sum_conf = vec![0.0f64; bins];
    let mut sum_right = vec![0.0f64; bins];
    let mut count = vec![0usize; bins];
    for o in outcomes {
        let c = f64::from(o.confidence.clamp(0.0, 1.0));
        let b = ((c * bins as f64) as usize).min(bins - 1);
        sum_conf[b] += c;
        sum_right[b] += f64::from(u8::from(o.truth == o.predicted));
        count[b] += 1;
    }
    let n = outcomes.len().max(1) as f64;
    (0..bins)
        .filter(|b| count[*b] > 0)
        .map(|b| (sum_conf[b] - sum_right[b]).abs() / n)
        .sum()
}

/// The temperature `T` (logits ÷ `T`) minimising the negative log-likelihood of the true
/// classes `ys` under `logits`: a grid search in log space, then a finer one around the
/// best. 1.0 when there is nothing to fit.
#[must_use]
pub fn fit_temperature(logits: &[Vec<f32>], ys: &[usize]) -> f32 {
    if logits.is_empty() {
        return 1.0;
    }
    let nll = |t: f32| -> f64 {
        logits
            .iter()
            .zip(ys)
            .map(|(l, y)| {
                let max = l.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let z: f64 = l.iter().map(|v| f64::from((v - max) / t).exp()).sum();
                let ly = f64::from((l.get(*y).copied().unwrap_or(max) - max) / t);
                z.ln() - ly
            })
            .sum()
    };
    let grid = |lo: f32, hi: f32, steps: usize| -> f32 {
        let (llo, lhi) = (lo.ln(), hi.ln());
        (0..=steps)
            .map(|i| (llo + (lhi - llo) * i as f32 / steps as f32).exp())
            .map(|t| (t, nll(t)))
            .fold(
                (1.0, f64::INFINITY),
                |best, (t, v)| if v < best.1 { (t, v) } else { best },
            )
            .0
    };
    let coarse = grid(0.05, 20.0, 60);
    grid(coarse / 1.2, coarse * 1.2, 24)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(truth: &str, predicted: &str, confidence: f32) -> Outcome {
        Outcome {
            truth: truth.into(),
            predicted: predicted.into(),
            confidence,
            abstained: confidence < 0.5,
            in_scope: confidence,
        }
    }

    #[test]
    fn report_counts_precision_recall_f1_and_coverage() {
        let r = Report::of(&[
            o("a", "a", 0.9),
            o("a", "b", 0.6),
            o("b", "b", 0.8),
            o("b", "b", 0.4),
        ]);
        assert_eq!(r.rows, 4);
        assert!((r.accuracy - 0.75).abs() < 1e-9);
        let a = r.per_class["a"];
        assert!((a.precision - 1.0).abs() < 1e-9 && (a.recall - 0.5).abs() < 1e-9);
        let b = r.per_class["b"];
        assert!((b.precision - 2.0 / 3.0).abs() < 1e-9 && (b.recall - 1.0).abs() < 1e-9);
        assert!((r.macro_f1 - (2.0 / 3.0 + 0.8) / 2.0).abs() < 1e-9);
        assert!((r.coverage - 0.75).abs() < 1e-9);
        assert!((r.selective_accuracy - 2.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn ece_is_zero_when_confidence_matches_accuracy_and_large_when_overconfident() {
        let calibrated: Vec<_> = (0..10)
            .map(|i| o("a", if i < 7 { "a" } else { "b" }, 0.7))
            .collect();
        assert!(ece(&calibrated, 10) < 1e-6);
        let overconfident: Vec<_> = (0..10)
            .map(|i| o("a", if i < 5 { "a" } else { "b" }, 0.99))
            .collect();
        assert!((ece(&overconfident, 10) - 0.49).abs() < 1e-3);
    }

    #[test]
    fn temperature_softens_overconfident_logits() {
        // Logit gap 10 but right only 3 times in 4: the fitted temperature is large.
        let logits = vec![vec![10.0, 0.0]; 4];
        let ys = [0, 0, 0, 1];
        let t = fit_temperature(&logits, &ys);
        // p = sigmoid(10 / T) should be near 0.75 → T ≈ 10 / ln 3 ≈ 9.1.
        assert!((t - 9.1).abs() < 0.5, "{t}");
        assert!((fit_temperature(&[], &[]) - 1.0).abs() < f32::EPSILON);
    }
}
