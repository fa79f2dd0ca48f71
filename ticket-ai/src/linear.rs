//! Multinomial logistic regression over sparse vectors, trained in Rust by stochastic
//! gradient descent with L2 regularisation (Bottou's learning-rate schedule and the
//! scaled-weights trick, so each step costs only the example's non-zero columns).

use crate::features::Sparse;
use crate::nb::NbScaling;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

/// How a [`Linear`] model is trained.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    /// Passes over the training set.
    pub epochs: usize,
    /// L2 strength (per example).
    pub l2: f32,
    /// Initial learning rate.
    pub learning_rate: f32,
    /// Seed of the shuffling, so training is reproducible.
    pub seed: u64,
    /// Whether each example's loss is weighted by the inverse of its class's frequency,
    /// so rare classes (a critical priority) weigh as much as common ones: what a
    /// macro-averaged score asks for. Files written before it existed read as `false`.
    #[serde(default)]
    pub balanced: bool,
    /// Naive Bayes column scales ([`NbScaling`]), folded into the weights after
    /// training; none leaves the columns as they are. Files written before it existed
    /// read as none.
    #[serde(default)]
    pub nb: Option<NbScaling>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            epochs: 30,
            l2: 1e-5,
            learning_rate: 0.5,
            seed: 7,
            balanced: true,
            nb: None,
        }
    }
}

/// Weights of a linear softmax model: `classes` scores per column, row-major by column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Linear {
    classes: usize,
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl Linear {
    /// Trains on `xs` (vectors over `columns` columns) with labels `ys` (< `classes`).
    #[must_use]
    pub fn train(
        xs: &[Sparse],
        ys: &[usize],
        columns: usize,
        classes: usize,
        opts: &TrainOptions,
    ) -> Self {
        let mut weights = vec![0.0f32; columns * classes];
        let mut bias = vec![0.0f32; classes];
        let mut scale = 1.0f32;
        let mut order: Vec<usize> = (0..xs.len().min(ys.len())).collect();
        let mut rng = StdRng::seed_from_u64(opts.seed);
        let mut logits = vec![0.0f32; classes];
        let mut t = 0.0f32;
        let weight_of = class_weights(ys, classes, opts.balanced);
        // Each weight's input scale: naive Bayes scales, or 1 (one row shared by all columns,
        // so that a model without them needs no second weights-sized table).
        let scales = opts.nb.map(|nb| nb.scales(xs, ys, columns, classes));
        let ones = vec![1.0f32; classes];
        let scales_of = |col: usize| {
            scales
                .as_deref()
                .map_or(&ones[..], |s| &s[col * classes..][..classes])
        };
        for _ in 0..opts.epochs {
            order.shuffle(&mut rng);
            for &i in &order {
                let (x, y) = (&xs[i], ys[i]);
                let lr = opts.learning_rate / (1.0 + opts.learning_rate * opts.l2 * t);
                t += 1.0;
                logits.copy_from_slice(&bias);
                for (col, v) in x {
                    let row = &weights[*col as usize * classes..][..classes];
                    let s = scales_of(*col as usize);
                    for ((l, w), s) in logits.iter_mut().zip(row).zip(s) {
                        *l += scale * w * v * s;
                    }
                }
                softmax(&mut logits);
                if let Some(p) = logits.get_mut(y) {
                    *p -= 1.0;
                }
                let cw = weight_of.get(y).copied().unwrap_or(1.0);
                logits.iter_mut().for_each(|g| *g *= cw);
                scale *= 1.0 - lr * opts.l2;
                let step = lr / scale;
                for (col, v) in x {
                    let row = &mut weights[*col as usize * classes..][..classes];
                    let s = scales_of(*col as usize);
                    for ((w, g), s) in row.iter_mut().zip(&logits).zip(s) {
                        *w -= step * g * v * s;
                    }
                }
                for (b, g) in bias.iter_mut().zip(&logits) {
                    *b -= lr * g;
                }
                if scale < 1e-6 {
                    weights.iter_mut().for_each(|w| *w *= scale);
                    scale = 1.0;
                }
            }
        }
        weights.iter_mut().for_each(|w| *w *= scale);
        if let Some(scales) = &scales {
            // Fold the input scales into the weights: predictions read raw inputs.
            weights.iter_mut().zip(scales).for_each(|(w, s)| *w *= s);
        }
        Self {
            classes,
            weights,
            bias,
        }
    }

    /// How many classes.
    #[must_use]
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The one model whose logits are `second`'s logits of the `views`' logits laid end
    /// to end (the first view's classes, then the second's…): every stage is linear, so
    /// a stack of them is one weight table. The views share the column space and have
    /// as many classes each as `second` has; `second` reads `views.len() × classes`
    /// columns.
    #[must_use]
    pub fn compose(second: &Self, views: &[&Self]) -> Self {
        let classes = second.classes;
        let columns = views
            .iter()
            .map(|v| v.weights.len() / v.classes.max(1))
            .max()
            .unwrap_or(0);
        let mut weights = vec![0.0f32; columns * classes];
        let mut bias = second.bias.clone();
        for (v, view) in views.iter().enumerate() {
            for j in 0..view.classes {
                // The second stage's weights of the view's class `j`, one per output class.
                let Some(a) = second.weights.get((v * view.classes + j) * classes..) else {
                    continue;
                };
                let a = &a[..classes.min(a.len())];
                for (b, a) in bias.iter_mut().zip(a) {
                    *b += a * view.bias[j];
                }
                for (col, row) in view.weights.chunks_exact(view.classes).enumerate() {
                    let w = row[j];
                    if w != 0.0 {
                        for (out, a) in weights[col * classes..][..classes].iter_mut().zip(a) {
                            *out += a * w;
                        }
                    }
                }
            }
        }
        Self {
            classes,
            weights,
            bias,
        }
    }

    /// The raw scores (logits) of `x`; columns beyond the model are ignored.
    #[must_use]
    pub fn logits(&self, x: &Sparse) -> Vec<f32> {
        let mut out = self.bias.clone();
        self.add_logits(x, &mut out);
        out
    }

    /// Adds `x`'s weighted columns to `out` (logits without the bias), in `x`'s order.
    pub(crate) fn add_logits(&self, x: &Sparse, out: &mut [f32]) {
        for (col, v) in x {
            if let Some(row) = self.row(*col as usize) {
                for (l, w) in out.iter_mut().zip(row) {
                    *l += w * v;
                }
            }
        }
    }

    /// The weights of column `col`, one per class; `None` beyond the model.
    pub(crate) fn row(&self, col: usize) -> Option<&[f32]> {
        self.weights
            .get(col * self.classes..(col + 1) * self.classes)
    }

    /// The bias, one per class.
    pub(crate) fn bias(&self) -> &[f32] {
        &self.bias
    }
}

/// Per-class example weights: `n / (k · count)` when `balanced` (each class weighs as
/// much in the loss whatever its size), else all 1.
fn class_weights(ys: &[usize], classes: usize, balanced: bool) -> Vec<f32> {
    if !balanced {
        return vec![1.0; classes];
    }
    let mut count = vec![0usize; classes];
    for y in ys {
        if let Some(c) = count.get_mut(*y) {
            *c += 1;
        }
    }
    let present = count.iter().filter(|c| **c > 0).count().max(1) as f32;
    let n = ys.len().max(1) as f32;
    count
        .iter()
        .map(|c| {
            if *c == 0 {
                1.0
            } else {
                n / (present * *c as f32)
            }
        })
        .collect()
}

/// Turns scores into probabilities in place (numerically stable).
pub fn softmax(scores: &mut [f32]) {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        *s = (*s - max).exp();
        sum += *s;
    }
    if sum > 0.0 {
        scores.iter_mut().for_each(|s| *s /= sum);
    }
}

/// The index and value of the largest entry (the first on ties); `(0, 0.0)` when empty.
#[must_use]
pub fn argmax(values: &[f32]) -> (usize, f32) {
    let mut best = (0, 0.0);
    for (i, v) in values.iter().copied().enumerate() {
        if i == 0 || v > best.1 {
            best = (i, v);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The composed model's logits are the second stage's logits of the views' logits,
    /// for any input, and it reads no more columns than the views do.
    #[test]
    fn a_composed_model_predicts_what_the_stack_of_its_views_does() {
        let xs: Vec<Sparse> = (0..40u32)
            .map(|i| vec![(i % 5, 1.0), (5 + i % 3, 0.5), (8 + i % 2, 0.25)])
            .collect();
        let ys: Vec<usize> = (0..40).map(|i| (i % 5) % 3).collect();
        let opts = TrainOptions::default();
        let only = |keep: fn(u32) -> bool| -> Vec<Sparse> {
            xs.iter()
                .map(|x| x.iter().copied().filter(|(c, _)| keep(*c)).collect())
                .collect()
        };
        let first = Linear::train(&only(|c| c < 5), &ys, 10, 3, &opts);
        let second = Linear::train(&only(|c| c >= 5), &ys, 10, 3, &opts);
        let stacked: Vec<Sparse> = xs
            .iter()
            .map(|x| {
                let mut l = first.logits(x);
                l.extend(second.logits(x));
                crate::stack::dense(&l)
            })
            .collect();
        let top = Linear::train(&stacked, &ys, 6, 3, &opts);
        let composed = Linear::compose(&top, &[&first, &second]);
        assert_eq!(composed.weights.len(), 10 * 3);
        for (x, s) in xs.iter().zip(&stacked) {
            let want = top.logits(s);
            let got = composed.logits(x);
            for (w, g) in want.iter().zip(&got) {
                assert!((w - g).abs() < 1e-4, "{want:?} vs {got:?}");
            }
        }
    }

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let mut s = [1.0, 3.0, 2.0, 12.0];
        softmax(&mut s);
        assert!((s.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(s[3] > 0.99 && s[1] > s[2] && s[2] > s[0]);
        assert_eq!(argmax(&[0.1, 0.7, 0.2]), (1, 0.7));
        assert_eq!(argmax(&[]), (0, 0.0));
    }

    #[test]
    fn learns_a_separable_problem_and_generalises() {
        // Class 0 has column 0 or 1, class 1 has column 2 or 3, column 4 is noise.
        let xs: Vec<Sparse> = vec![
            vec![(0, 1.0), (4, 0.5)],
            vec![(1, 1.0)],
            vec![(2, 1.0), (4, 0.5)],
            vec![(3, 1.0)],
        ];
        let ys = [0, 0, 1, 1];
        let m = Linear::train(&xs, &ys, 5, 2, &TrainOptions::default());
        let mut p = m.logits(&vec![(0, 1.0), (1, 1.0)]);
        softmax(&mut p);
        assert!(p[0] > 0.9, "{p:?}");
        let mut q = m.logits(&vec![(3, 1.0), (4, 1.0)]);
        softmax(&mut q);
        assert!(q[1] > 0.8, "{q:?}");
        // Unknown columns are ignored, not a panic.
        assert_eq!(m.logits(&vec![(99, 1.0)]).len(), 2);
    }

    #[test]
    fn naive_bayes_scales_are_trained_on_and_folded_into_the_weights() {
        // Two mirror-image rows: every (column, class) pair gets the same scale,
        // 1 + sqrt(ln 2), so training with the scales must match training without them
        // on inputs multiplied by it, and the model must then read unscaled inputs.
        let xs: Vec<Sparse> = vec![vec![(0, 1.0)], vec![(1, 1.0)]];
        let ys = [0, 1];
        let c = 1.0 + 2f32.ln().sqrt();
        let plain = TrainOptions::default();
        let nb = TrainOptions {
            nb: Some(NbScaling::default()),
            ..plain
        };
        let scaled = Linear::train(&xs, &ys, 2, 2, &nb);
        let pre_scaled: Vec<Sparse> = vec![vec![(0, c)], vec![(1, c)]];
        let reference = Linear::train(&pre_scaled, &ys, 2, 2, &plain);
        for (raw, times_c) in xs.iter().zip(&pre_scaled) {
            let got = scaled.logits(raw);
            let want = reference.logits(times_c);
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-3, "{got:?} vs {want:?}");
            }
        }
        assert_ne!(scaled, Linear::train(&xs, &ys, 2, 2, &plain));
    }

    #[test]
    fn training_is_reproducible_and_regularisation_shrinks_weights() {
        let xs: Vec<Sparse> = vec![vec![(0, 1.0)], vec![(1, 1.0)]];
        let ys = [0, 1];
        let opts = TrainOptions::default();
        assert_eq!(
            Linear::train(&xs, &ys, 2, 2, &opts),
            Linear::train(&xs, &ys, 2, 2, &opts)
        );
        let strong = TrainOptions { l2: 0.1, ..opts };
        // Balanced weights pull a rare class's score up.
        let xs3: Vec<Sparse> = vec![
            vec![(0, 1.0)],
            vec![(0, 1.0)],
            vec![(0, 1.0)],
            vec![(0, 1.0)],
        ];
        let ys3 = [0, 0, 0, 1];
        let plain = TrainOptions {
            balanced: false,
            ..opts
        };
        let mut p_plain = Linear::train(&xs3, &ys3, 1, 2, &plain).logits(&xs3[0]);
        let mut p_bal = Linear::train(&xs3, &ys3, 1, 2, &opts).logits(&xs3[0]);
        softmax(&mut p_plain);
        softmax(&mut p_bal);
        assert!(p_plain[1] < 0.35 && p_bal[1] > 0.4, "{p_plain:?} {p_bal:?}");
        let loose = Linear::train(&xs, &ys, 2, 2, &opts).logits(&xs[0]);
        let tight = Linear::train(&xs, &ys, 2, 2, &strong).logits(&xs[0]);
        assert!(loose[0] - loose[1] > tight[0] - tight[1]);
    }
}
