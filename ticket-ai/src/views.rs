//! Two views stacked, then folded into one linear model: a model over the word n-grams
//! and a model over the character n-grams are trained apart, a small second stage learns
//! from their out-of-fold logits how much to trust each view for each class (stacking),
//! and since every stage is linear the three are composed into one [`Linear`] over the
//! whole vector ([`Linear::compose`]). A prediction then costs what a single model's
//! does, and the model file holds one weight table as before.
//!
//! One model over both blocks lets the view with more columns (the characters) fit the
//! training rows first, and the other learns what is left; apart, each view fits them
//! alone, and the second stage weighs them on rows neither saw.

use crate::calibration::out_of_fold_logits;
use crate::features::{RawFeatures, Sparse, Vocabulary};
use crate::linear::{Linear, TrainOptions};
use crate::model::ModelOptions;
use crate::regression::Fitted;
use crate::stack;

/// `raw` with only its word block (`words`) or only its character block.
fn view(raw: &RawFeatures, words: bool) -> RawFeatures {
    if words {
        RawFeatures {
            words: raw.words.clone(),
            ..RawFeatures::default()
        }
    } else {
        RawFeatures {
            chars: raw.chars.clone(),
            ..RawFeatures::default()
        }
    }
}

/// The word-view and character-view models over `vocabulary`, trained on `rows` of
/// `raw`.
fn fit_views(
    vocabulary: &Vocabulary,
    raw: &[RawFeatures],
    rows: &[usize],
    ys: &[usize],
    classes: usize,
    opts: &TrainOptions,
) -> [Linear; 2] {
    let ys: Vec<usize> = rows.iter().map(|i| ys[*i]).collect();
    [true, false].map(|words| {
        let xs: Vec<Sparse> = rows
            .iter()
            .map(|i| vocabulary.vectorize(&view(&raw[*i], words)))
            .collect();
        Linear::train(&xs, &ys, vocabulary.len(), classes, opts)
    })
}

/// The vocabulary and the folded model of `raw` labelled `ys`; `None` when there are too
/// few rows for the out-of-fold logits the second stage learns from
/// (`opts.view_folds` folds, at least two rows each).
pub(crate) fn train(
    raw: &[RawFeatures],
    ys: &[usize],
    classes: usize,
    opts: &ModelOptions,
) -> Option<Fitted> {
    let held_out = out_of_fold_logits(
        ys,
        opts.view_folds,
        opts.train.seed,
        |train: &[usize]| {
            let vocabulary = opts.vocabulary(train.iter().map(|i| &raw[*i]));
            let models = fit_views(&vocabulary, raw, train, ys, classes, &opts.train);
            (vocabulary, models)
        },
        |(vocabulary, models): &(Vocabulary, [Linear; 2]), i| {
            let x = vocabulary.vectorize(&raw[i]);
            models.iter().flat_map(|m| m.logits(&x)).collect()
        },
    )?;
    let xs: Vec<Sparse> = held_out.iter().map(|l| stack::dense(l)).collect();
    let second = stack::train_on(&xs, ys, 2 * classes, classes, &opts.train);
    let vocabulary = opts.vocabulary(raw);
    let all: Vec<usize> = (0..raw.len()).collect();
    let [words, chars] = fit_views(&vocabulary, raw, &all, ys, classes, &opts.train);
    Some(Fitted {
        vocabulary,
        linear: Linear::compose(&second, &[&words, &chars]),
        // The second stage learnt on held-out logits: calibrated as it is.
        temperature: 1.0,
        stack: None,
    })
}
