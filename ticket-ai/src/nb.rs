//! Naive Bayes column scales for the linear model (Wang & Manning, "Baselines and
//! Bigrams", 2012: the NB-weighted logistic regression, "NBSVM"). Each (column, class)
//! pair gets a scale from how unevenly the column's documents fall between the class and
//! the rest; the model is trained on scaled inputs and the scales are folded into its
//! weights afterwards, so a prediction costs exactly what it did. Scaling an input by `s`
//! is the same as widening its weight's L2 prior by `s`: columns that separate a class
//! may grow larger weights, those spread evenly over the classes stay small — what a few
//! hundred training tickets cannot teach the optimiser alone.

use crate::features::Sparse;
use serde::{Deserialize, Serialize};

/// How the scales are computed: `floor + |ln(p / q)|^power`, where `p` is the column's
/// smoothed share of the class's document hits and `q` its share of the other classes'.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NbScaling {
    /// Additive smoothing of the document counts.
    pub alpha: f32,
    /// The scale of a column that says nothing about the class (its ratio is 1).
    pub floor: f32,
    /// Softens (< 1) or sharpens (> 1) the log-ratio.
    pub power: f32,
}

impl Default for NbScaling {
    /// The values of the evaluation in the README: add-one smoothing, a floor of 1 (no
    /// column is switched off) and the square root of the log-ratio.
    fn default() -> Self {
        Self {
            alpha: 1.0,
            floor: 1.0,
            power: 0.5,
        }
    }
}

impl NbScaling {
    /// The scale of every (column, class) pair, row-major by column like the weights:
    /// each document counts once per column it holds (binarised, as in the paper).
    /// Columns at or beyond `columns` and labels at or beyond `classes` are ignored.
    #[must_use]
    pub fn scales(&self, xs: &[Sparse], ys: &[usize], columns: usize, classes: usize) -> Vec<f32> {
        let mut in_class = vec![0.0f32; columns * classes];
        let mut total = vec![0.0f32; columns];
        for (x, y) in xs.iter().zip(ys).filter(|(_, y)| **y < classes) {
            for (col, _) in x.iter().filter(|(col, _)| (*col as usize) < columns) {
                in_class[*col as usize * classes + y] += 1.0;
                total[*col as usize] += 1.0;
            }
        }
        let mut out = vec![self.floor; columns * classes];
        for c in 0..classes {
            let hits = |j: usize| in_class[j * classes + c];
            let p_sum: f32 = (0..columns).map(|j| self.alpha + hits(j)).sum();
            let q_sum: f32 = (0..columns).map(|j| self.alpha + total[j] - hits(j)).sum();
            for j in 0..columns {
                let p = (self.alpha + hits(j)) / p_sum;
                let q = (self.alpha + total[j] - hits(j)) / q_sum;
                out[j * classes + c] = self.floor + (p / q).ln().abs().powf(self.power);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_of_one_class_scales_up_and_an_even_one_sits_at_the_floor() {
        // Column 0 only in class 0; column 1 in every document.
        let xs: Vec<Sparse> = vec![
            vec![(0, 1.0), (1, 1.0)],
            vec![(0, 0.5), (1, 1.0)],
            vec![(1, 1.0)],
            vec![(1, 1.0), (7, 1.0)],
        ];
        let ys = [0, 0, 1, 1];
        let nb = NbScaling::default();
        let s = nb.scales(&xs, &ys, 2, 2);
        assert_eq!(s.len(), 4);
        // (column 0, class 0) and (column 0, class 1): the same evidence, either way.
        assert!(s[0] > 1.5 && s[1] > 1.5, "{s:?}");
        // Column 1: its share is the same in both classes up to the smoothing.
        assert!(s[2] < s[0] && s[3] < s[1], "{s:?}");
        assert!(s.iter().all(|v| *v >= nb.floor));
    }
}
