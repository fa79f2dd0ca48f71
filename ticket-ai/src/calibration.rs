//! Calibration by temperature scaling on out-of-fold predictions, for any model: the
//! rows are dealt into stratified folds, each fold is predicted by a model trained on the
//! others, and the temperature that makes those held-out logits most likely is fitted
//! ([`fit_temperature`]). A model calibrated on its own training rows would be
//! over-confident; this is what every trained model of the crate uses.

use crate::metrics::fit_temperature;
use crate::model::stratified_folds;

/// The temperature fitted on out-of-fold logits of `ys.len()` rows (labels `ys`) over
/// `folds` stratified folds dealt with `seed`. `fit` trains a model on the rows whose
/// indices it is given; `logits` scores one row (by index) with such a model. 1.0 with
/// fewer than two folds or fewer than two rows per fold.
pub fn out_of_fold_temperature<M>(
    ys: &[usize],
    folds: usize,
    seed: u64,
    fit: impl FnMut(&[usize]) -> M,
    logits: impl FnMut(&M, usize) -> Vec<f32>,
) -> f32 {
    match out_of_fold_logits(ys, folds, seed, fit, logits) {
        Some(held_out) => fit_temperature(&held_out, ys),
        None => 1.0,
    }
}

/// The logits of every row (in row order) predicted by a model trained on the other
/// folds, as [`out_of_fold_temperature`] deals them; `None` with fewer than two folds
/// or fewer than two rows per fold.
pub fn out_of_fold_logits<M>(
    ys: &[usize],
    folds: usize,
    seed: u64,
    mut fit: impl FnMut(&[usize]) -> M,
    mut logits: impl FnMut(&M, usize) -> Vec<f32>,
) -> Option<Vec<Vec<f32>>> {
    if folds < 2 || ys.len() < 2 * folds {
        return None;
    }
    let fold_of = stratified_folds(ys, folds, seed);
    let mut held_out = vec![Vec::new(); ys.len()];
    for f in 0..folds {
        let train: Vec<usize> = (0..ys.len()).filter(|i| fold_of[*i] != f).collect();
        let model = fit(&train);
        for i in (0..ys.len()).filter(|i| fold_of[*i] == f) {
            held_out[i] = logits(&model, i);
        }
    }
    Some(held_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A "model" that is always right and twice too sure: the fitted temperature cools
    /// it (> 1); every row is scored exactly once, by a model that did not see it.
    #[test]
    fn each_row_is_scored_once_by_a_model_that_never_saw_it() {
        let ys: Vec<usize> = (0..30).map(|i| i % 3).collect();
        let mut scored = vec![0usize; ys.len()];
        let t = out_of_fold_temperature(
            &ys,
            3,
            1,
            |train: &[usize]| train.to_vec(),
            |seen: &Vec<usize>, i| {
                assert!(!seen.contains(&i), "row {i} was in its own training fold");
                scored[i] += 1;
                let mut l = vec![0.0; 3];
                // Right 2 times in 3 but with logits worth near-certainty.
                l[if i % 3 == 0 { (ys[i] + 1) % 3 } else { ys[i] }] = 20.0;
                l
            },
        );
        assert!(scored.iter().all(|n| *n == 1), "{scored:?}");
        assert!(t > 1.0, "{t}");
    }

    #[test]
    fn too_few_rows_or_folds_leave_the_logits_alone() {
        let never = |_: &[usize]| unreachable!("no model is trained");
        let t = out_of_fold_temperature(&[0, 1, 0], 2, 1, never, |_: &(), _| Vec::new());
        assert!((t - 1.0).abs() < f32::EPSILON);
        let t = out_of_fold_temperature(&[0, 1, 0, 1], 1, 1, never, |_: &(), _| Vec::new());
        assert!((t - 1.0).abs() < f32::EPSILON);
    }
}
