//! The second stage of a model trained with the priority wording rules: a small
//! logistic regression that reads the first stage's calibrated logits and one column per
//! rule that fired, and learns from out-of-fold predictions how much each rule is worth
//! beside the text (stacking). In the first stage the rules are a few columns among
//! thousands of n-grams that already fit the training rows, so their weights learn
//! little; on held-out logits they are judged where the text alone is wrong.
//!
//! The same optimiser, over the logits of two views of the text alone ([`train_on`]),
//! weighs the category model's word and character n-gram models ([`crate::views`]).
//!
//! Its L2 strength is chosen among [`L2_CHOICES`] by 5-fold cross-validation on its own
//! training rows (the out-of-fold rows of the caller's training set), so the choice is
//! nested inside whatever split scores the model and never sees a scored row.

use crate::features::{extra_hash, RawFeatures, Sparse};
use crate::linear::{softmax, Linear, TrainOptions};
use crate::model::stratified_folds;
use crate::priority::{RULES, SCALE};
use std::sync::OnceLock;

/// The L2 strengths the second stage chooses from.
pub const L2_CHOICES: [f32; 5] = [1e-3, 3e-3, 1e-2, 3e-2, 1e-1];

/// Folds of the choice of the L2 strength.
const FOLDS: usize = 5;

/// The hashes of the wording rules' names (as [`RawFeatures::named`] holds them), in
/// [`RULES`] order, then [`SCALE`].
fn rule_hashes() -> &'static [u64] {
    static HASHES: OnceLock<Vec<u64>> = OnceLock::new();
    HASHES.get_or_init(|| {
        RULES
            .iter()
            .chain([&SCALE])
            .map(|r| extra_hash(r.name))
            .collect()
    })
}

/// Columns of the second stage for `classes` classes.
#[must_use]
pub fn columns(classes: usize) -> usize {
    classes + rule_hashes().len()
}

/// The second stage's input: the first stage's calibrated `logits`, then a 1 in the
/// column of each wording rule among `raw`'s named features.
#[must_use]
pub fn input(logits: &[f32], raw: &RawFeatures) -> Sparse {
    let mut x = dense(logits);
    for (h, _) in &raw.named {
        if let Some(k) = rule_hashes().iter().position(|r| r == h) {
            x.push(((logits.len() + k) as u32, 1.0));
        }
    }
    x
}

/// The optimiser of the second stage at L2 strength `l2` (the first stage's seed and
/// class balance; a smaller step, since its inputs are logits, not unit vectors; no naive
/// Bayes scales, which are for sparse n-gram columns).
fn options(base: &TrainOptions, l2: f32) -> TrainOptions {
    TrainOptions {
        l2,
        learning_rate: 0.1,
        epochs: 50,
        nb: None,
        ..*base
    }
}

/// The held-out negative log-likelihood of the second stage at L2 strength `l2`, by
/// [`FOLDS`]-fold cross-validation on `xs`, `ys`.
fn held_out_loss(
    xs: &[Sparse],
    ys: &[usize],
    columns: usize,
    classes: usize,
    opts: &TrainOptions,
) -> f64 {
    let fold_of = stratified_folds(ys, FOLDS, opts.seed);
    let mut loss = 0.0f64;
    for f in 0..FOLDS {
        let train: Vec<usize> = (0..ys.len()).filter(|i| fold_of[*i] != f).collect();
        let txs: Vec<Sparse> = train.iter().map(|i| xs[*i].clone()).collect();
        let tys: Vec<usize> = train.iter().map(|i| ys[*i]).collect();
        let model = Linear::train(&txs, &tys, columns, classes, opts);
        for i in (0..ys.len()).filter(|i| fold_of[*i] == f) {
            let mut p = model.logits(&xs[i]);
            softmax(&mut p);
            let right = p.get(ys[i]).copied().unwrap_or(0.0).max(1e-7);
            loss -= f64::from(right).ln();
        }
    }
    loss
}

/// Trains the second stage on `xs` (from [`input`] over out-of-fold logits) labelled
/// `ys`, at the L2 strength of [`L2_CHOICES`] with the least held-out loss.
#[must_use]
pub fn train(xs: &[Sparse], ys: &[usize], classes: usize, base: &TrainOptions) -> Linear {
    train_on(xs, ys, columns(classes), classes, base)
}

/// A second stage over any `columns` inputs (out-of-fold logits, see [`dense`]),
/// trained as [`train`] trains the wording rules' one.
#[must_use]
pub fn train_on(
    xs: &[Sparse],
    ys: &[usize],
    columns: usize,
    classes: usize,
    base: &TrainOptions,
) -> Linear {
    let mut best = (f64::INFINITY, L2_CHOICES[0]);
    if ys.len() >= 2 * FOLDS {
        for l2 in L2_CHOICES {
            let loss = held_out_loss(xs, ys, columns, classes, &options(base, l2));
            if loss < best.0 {
                best = (loss, l2);
            }
        }
    }
    Linear::train(xs, ys, columns, classes, &options(base, best.1))
}

/// `values` as a sparse vector with every column present.
#[must_use]
pub fn dense(values: &[f32]) -> Sparse {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (i as u32, *v))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::FeatureSpec;

    #[test]
    fn input_puts_each_rule_that_fired_after_the_logits() {
        let raw = FeatureSpec::default().extract("x", &["rule:outage", "rule:minor", "other"]);
        let x = input(&[0.5, -1.0], &raw);
        assert_eq!(&x[..2], &[(0, 0.5), (1, -1.0)]);
        let outage = RULES
            .iter()
            .position(|r| r.name == "rule:outage")
            .unwrap_or(99);
        let minor = RULES
            .iter()
            .position(|r| r.name == "rule:minor")
            .unwrap_or(99);
        let mut rules: Vec<u32> = x[2..].iter().map(|(c, _)| *c).collect();
        rules.sort_unstable();
        assert_eq!(rules, [2 + outage as u32, 2 + minor as u32]);
        assert_eq!(columns(2), 2 + RULES.len() + 1);
    }

    /// A rule that always means class 1 is learnt from held-out rows even where the
    /// logits say class 0.
    #[test]
    fn learns_what_a_rule_is_worth_beside_the_logits() {
        let raw_rule = FeatureSpec::default().extract("x", &["rule:breach"]);
        let raw_none = FeatureSpec::default().extract("x", &[]);
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for i in 0..60 {
            let fired = i % 3 == 0;
            let logits = [1.0, -1.0];
            xs.push(input(&logits, if fired { &raw_rule } else { &raw_none }));
            ys.push(usize::from(fired));
        }
        let model = train(&xs, &ys, 2, &TrainOptions::default());
        let mut p = model.logits(&input(&[1.0, -1.0], &raw_rule));
        softmax(&mut p);
        assert!(p[1] > 0.8, "{p:?}");
        let mut q = model.logits(&input(&[1.0, -1.0], &raw_none));
        softmax(&mut q);
        assert!(q[0] > 0.8, "{q:?}");
    }
}
