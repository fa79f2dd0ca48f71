//! Model choice by rolling-origin backtest, scored by MASE.
//!
//! **MASE** (mean absolute scaled error, Hyndman & Koehler 2006) of a forecast
//! `ŷ(n+1…n+H)` made from the history `y(1…n)`:
//! `MASE = (1/H Σ |y(n+h) − ŷ(n+h)|) / (1/(n−m) Σ_{t>m} |y(t) − y(t−m)|)` with the
//! season `m = 168`: the forecast's error in units of the in-sample error of the seasonal
//! naive forecast. Under 1 beats that baseline; 0.85 beats it by 15 %. The scale is
//! floored at 0.01 tickets per hour, so an all-quiet history still scores finitely.
//!
//! **Rolling origin**: the history is cut at up to [`MAX_FOLDS`] origins a week apart,
//! the last one `horizon` hours before its end; each model forecasts the `horizon` hours
//! after each origin from the hours before it only, and its score is the mean MASE over
//! the folds. Every origin leaves at least [`MIN_TRAIN`] hours of training; a model that
//! needs more history than the earliest origin has takes no part.

use super::models::ModelKind;
use super::series::{after_hours, HourlySeries, WEEK};
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The most backtest folds.
pub const MAX_FOLDS: usize = 4;
/// The fewest hours of training before a backtest origin (two weeks).
pub const MIN_TRAIN: usize = 2 * WEEK;
/// The longest forecast horizon: 14 days.
pub const MAX_HORIZON: usize = 14 * 24;
/// The floor of the MASE scale, in tickets per hour.
const MIN_SCALE: f64 = 0.01;

/// One model's backtest score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelScore {
    /// The model.
    pub model: ModelKind,
    /// Mean MASE over the folds.
    pub mase: f64,
    /// Mean absolute error over the folds, in tickets per hour.
    pub mae: f64,
}

/// The result of a rolling-origin backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    /// How many origins.
    pub folds: usize,
    /// Hours forecast after each origin.
    pub horizon_hours: usize,
    /// The score of every model that took part, in [`ModelKind::ALL`] order (the
    /// seasonal naive baseline always does).
    pub scores: Vec<ModelScore>,
}

impl Backtest {
    /// The best-scoring model (the simplest among equals).
    #[must_use]
    pub fn best(&self) -> ModelScore {
        let mut best = self.scores[0];
        for s in &self.scores[1..] {
            if s.mase < best.mase {
                best = *s;
            }
        }
        best
    }

    /// The score of `model`, when it took part.
    #[must_use]
    pub fn score(&self, model: ModelKind) -> Option<ModelScore> {
        self.scores.iter().find(|s| s.model == model).copied()
    }
}

/// The mean absolute error of the seasonal naive forecast within `train`, floored.
#[must_use]
pub fn mase_scale(train: &[f64]) -> f64 {
    if train.len() <= WEEK {
        return MIN_SCALE;
    }
    let total: f64 = (WEEK..train.len())
        .map(|t| (train[t] - train[t - WEEK]).abs())
        .sum();
    (total / (train.len() - WEEK) as f64).max(MIN_SCALE)
}

/// The mean absolute error of `predicted` against `actual`.
#[must_use]
pub fn mae(predicted: &[f64], actual: &[f64]) -> f64 {
    let n = predicted.len().min(actual.len());
    if n == 0 {
        return 0.0;
    }
    predicted
        .iter()
        .zip(actual)
        .map(|(p, a)| (p - a).abs())
        .sum::<f64>()
        / n as f64
}

/// The hours of history a backtest of `horizon` hours needs.
#[must_use]
pub fn min_history(horizon: usize) -> usize {
    MIN_TRAIN + horizon
}

fn check_horizon(horizon: usize) -> Result<()> {
    if horizon == 0 || horizon > MAX_HORIZON {
        return Err(Error::invalid(
            "horizon",
            format!("must be 1 to {MAX_HORIZON} hours"),
        ));
    }
    Ok(())
}

/// Backtests every model on `series` with origins `horizon` hours before its end and
/// up to `max_folds − 1` weeks earlier (see the module docs).
///
/// # Errors
/// [`Error::Invalid`] (`horizon`) outside 1…[`MAX_HORIZON`] or `max_folds` 0; (`history`)
/// when the series is shorter than [`min_history`].
pub fn rolling_origin(series: &HourlySeries, horizon: usize, max_folds: usize) -> Result<Backtest> {
    check_horizon(horizon)?;
    if max_folds == 0 {
        return Err(Error::invalid("folds", "must be at least 1"));
    }
    let y = series.values();
    let n = y.len();
    if n < min_history(horizon) {
        return Err(Error::invalid(
            "history",
            format!(
                "a forecast of {horizon} hours needs {} hours of history from the first ticket; there are {n}",
                min_history(horizon)
            ),
        ));
    }
    let origins: Vec<usize> = (0..max_folds)
        .map_while(|k| (n - horizon).checked_sub(k * WEEK))
        .filter(|o| *o >= MIN_TRAIN)
        .collect();
    let earliest = origins.iter().copied().min().unwrap_or(n - horizon);
    let scores = ModelKind::ALL
        .iter()
        .filter(|m| m.min_history() <= earliest)
        .map(|&model| {
            let (mut mase, mut abs) = (0.0, 0.0);
            for &o in &origins {
                let train = series.head(o);
                let predicted = model.forecast(&train, horizon);
                let error = mae(&predicted, &y[o..o + horizon]);
                abs += error;
                mase += error / mase_scale(train.values());
            }
            let folds = origins.len() as f64;
            ModelScore {
                model,
                mase: mase / folds,
                mae: abs / folds,
            }
        })
        .collect();
    Ok(Backtest {
        folds: origins.len(),
        horizon_hours: horizon,
        scores,
    })
}

/// A volume forecast: the model the backtest chose, its forecast and the backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// The chosen model.
    pub model: ModelKind,
    /// The start of the first forecast hour (the end of the history).
    pub start: DateTime<Utc>,
    /// Tickets expected per hour from `start`.
    pub values: Vec<f64>,
    /// The chosen model's backtest MASE (vs seasonal naive).
    pub mase: f64,
    /// The seasonal naive baseline's backtest MASE on the same folds.
    pub baseline_mase: f64,
    /// The whole backtest.
    pub backtest: Backtest,
}

impl Forecast {
    /// The start of each forecast hour with its expected tickets.
    pub fn points(&self) -> impl Iterator<Item = (DateTime<Utc>, f64)> + '_ {
        self.values
            .iter()
            .enumerate()
            .map(|(h, v)| (after_hours(self.start, h), *v))
    }
}

/// Forecasts the `horizon` hours after `history` with the model a rolling-origin
/// backtest of that horizon scores best.
///
/// # Errors
/// As [`rolling_origin`].
pub fn forecast(history: &HourlySeries, horizon: usize) -> Result<Forecast> {
    let backtest = rolling_origin(history, horizon, MAX_FOLDS)?;
    let best = backtest.best();
    let baseline_mase = backtest
        .score(ModelKind::SeasonalNaive)
        .map_or(best.mase, |s| s.mase);
    Ok(Forecast {
        model: best.model,
        start: history.end(),
        values: best.model.forecast(history, horizon),
        mase: best.mase,
        baseline_mase,
        backtest,
    })
}
