//! Out-of-scope detection by abstention: the recall of out-of-scope rows and the in-scope
//! accuracy at a threshold, and the rule that chooses the threshold on a validation set.

use crate::metrics::Outcome;
use serde_json::{json, Value};

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
pub(super) fn oos_report(outcomes: &[Outcome], oos: &str, threshold: f32) -> Value {
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
