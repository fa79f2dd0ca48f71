//! One regression over both n-gram blocks (and the wording rules' column, for the
//! priority): the model [`crate::TextModel`] trains when it does not learn the blocks as
//! two views ([`crate::views`]). Calibrated by a temperature fitted on out-of-fold
//! logits; with the wording rules, a second stage ([`crate::stack`]) learns from the same
//! logits how much each rule is worth.

use crate::calibration::out_of_fold_logits;
use crate::features::{RawFeatures, Sparse, Vocabulary};
use crate::linear::Linear;
use crate::metrics::fit_temperature;
use crate::model::ModelOptions;
use crate::stack;

/// What training learns besides the labels.
pub(crate) struct Fitted {
    /// The columns.
    pub vocabulary: Vocabulary,
    /// The weights.
    pub linear: Linear,
    /// Logits are divided by it before the softmax.
    pub temperature: f32,
    /// The wording rules' second stage, if any.
    pub stack: Option<Linear>,
}

/// One regression over both n-gram blocks, calibrated on out-of-fold logits, with the
/// wording rules' second stage when `opts.rule_features`.
pub(crate) fn train(
    raw: &[RawFeatures],
    ys: &[usize],
    classes: usize,
    opts: &ModelOptions,
) -> Fitted {
    let held_out = out_of_fold(raw, ys, classes, opts);
    let temperature = held_out.as_ref().map_or(1.0, |l| fit_temperature(l, ys));
    let stack = match &held_out {
        Some(held_out) if opts.rule_features => {
            let xs: Vec<Sparse> = held_out
                .iter()
                .zip(raw)
                .map(|(l, r)| {
                    let calibrated: Vec<f32> = l.iter().map(|v| v / temperature).collect();
                    stack::input(&calibrated, r)
                })
                .collect();
            Some(stack::train(&xs, ys, classes, &opts.train))
        }
        _ => None,
    };
    let vocabulary = opts.vocabulary(raw);
    let xs: Vec<Sparse> = raw.iter().map(|r| vocabulary.vectorize(r)).collect();
    let linear = Linear::train(&xs, ys, vocabulary.len(), classes, &opts.train);
    Fitted {
        vocabulary,
        linear,
        temperature,
        stack,
    }
}

/// Every row's logits predicted by a model trained on the other calibration folds
/// (vocabulary included), in row order; `None` with too few rows or folds.
fn out_of_fold(
    raw: &[RawFeatures],
    ys: &[usize],
    classes: usize,
    opts: &ModelOptions,
) -> Option<Vec<Vec<f32>>> {
    out_of_fold_logits(
        ys,
        opts.calibration_folds,
        opts.train.seed,
        |train: &[usize]| {
            let vocab = opts.vocabulary(train.iter().map(|i| &raw[*i]));
            let xs: Vec<Sparse> = train.iter().map(|i| vocab.vectorize(&raw[*i])).collect();
            let train_ys: Vec<usize> = train.iter().map(|i| ys[*i]).collect();
            let model = Linear::train(&xs, &train_ys, vocab.len(), classes, &opts.train);
            (vocab, model)
        },
        |(vocab, model): &(Vocabulary, Linear), i| model.logits(&vocab.vectorize(&raw[i])),
    )
}
