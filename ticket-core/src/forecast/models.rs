//! The forecasting models, each a pure function from an hourly history to the next
//! `horizon` hours:
//!
//! - **seasonal naive** (the baseline): each hour repeats the same hour of the last week,
//!   `ŷ(n+h) = y(n+h−168·k)` with the smallest `k ≥ 1` that lands in the history;
//! - **hour of week** (a regression on hour-of-week with a level): the mean of each of
//!   the 168 hours of the week over the last (up to) eight weeks, leaving out exceptional
//!   days (a whole UTC day whose total is under half or over twice the median of the
//!   same weekday in the window: holidays, outages), each hour pooled half-and-half
//!   with its day's total times the hour's share of the day in days of its kind
//!   (weekdays or weekend: less noise than eight samples alone), scaled by a level
//!   `L = Σ y / Σ profile` over the last four weeks' ordinary days, so growth carries on;
//!   `ŷ(n+h) = L · profile(hour_of_week(n+h))`;
//! - **Holt–Winters** (additive, damped trend, season 168 hours, which holds the daily
//!   and the weekly pattern at once):
//!   `ℓ(t) = α(y(t) − s(t−m)) + (1−α)(ℓ(t−1) + φ b(t−1))`,
//!   `b(t) = β(ℓ(t) − ℓ(t−1)) + (1−β) φ b(t−1)`,
//!   `s(t) = γ(y(t) − ℓ(t)) + (1−γ) s(t−m)`,
//!   `ŷ(n+h) = ℓ(n) + (φ + … + φ^h) b(n) + s(n+h−m)`; initialised from the first two
//!   weeks, its (α, β, γ) picked from a small grid by the error over the last week of
//!   the history it is given (never by the data it is scored on).
//!
//! Forecasts are clamped at zero. The math is a few dozen lines of `f64`, written here
//! rather than pulled from a statistics crate: tiny, auditable, and free of I/O.

use super::series::{hour_of_week, HourlySeries, DAY, WEEK};
use serde::{Deserialize, Serialize};

/// Weeks the hour-of-week profile averages (at most).
pub const PROFILE_WEEKS: usize = 8;
/// Weeks the hour-of-week level is measured over (at most).
pub const LEVEL_WEEKS: usize = 8;
/// A weekday's median total under this is too small to call a day exceptional.
const MIN_DAY_TOTAL: f64 = 10.0;
/// The damping of the Holt–Winters trend.
const PHI: f64 = 0.98;
const ALPHAS: [f64; 4] = [0.01, 0.03, 0.1, 0.3];
const BETAS: [f64; 2] = [0.0, 0.005];
const GAMMAS: [f64; 3] = [0.05, 0.15, 0.3];

/// A forecasting model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Each hour repeats the same hour of the last week (the baseline).
    SeasonalNaive,
    /// The mean of each hour of the week over recent ordinary days, times a level.
    HourOfWeek,
    /// Additive Holt–Winters with a damped trend and a 168-hour season.
    HoltWinters,
}

impl ModelKind {
    /// Every model, simplest first (a tie in a backtest goes to the simpler one).
    pub const ALL: [ModelKind; 3] = [Self::SeasonalNaive, Self::HourOfWeek, Self::HoltWinters];

    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SeasonalNaive => "seasonal_naive",
            Self::HourOfWeek => "hour_of_week",
            Self::HoltWinters => "holt_winters",
        }
    }

    /// The fewest hours of history the model needs.
    #[must_use]
    pub fn min_history(self) -> usize {
        match self {
            Self::SeasonalNaive | Self::HourOfWeek => WEEK,
            // two weeks to initialise, one to choose its parameters on
            Self::HoltWinters => 3 * WEEK,
        }
    }

    /// The next `horizon` hours after `history`. Callers check
    /// [`min_history`](Self::min_history); a shorter history gives zeros.
    #[must_use]
    pub fn forecast(self, history: &HourlySeries, horizon: usize) -> Vec<f64> {
        if history.len() < self.min_history() {
            return vec![0.0; horizon];
        }
        match self {
            Self::SeasonalNaive => seasonal_naive(history.values(), horizon),
            Self::HourOfWeek => hour_of_week_profile(history, horizon),
            Self::HoltWinters => holt_winters(history.values(), horizon),
        }
    }
}

fn seasonal_naive(y: &[f64], horizon: usize) -> Vec<f64> {
    let n = y.len();
    (0..horizon).map(|h| y[n - WEEK + h % WEEK]).collect()
}

/// Which hours of `history` lie in exceptional days (see the module docs), judged over
/// the whole UTC days inside `window` (a range of indices).
fn exceptional_hours(history: &HourlySeries, window: std::ops::Range<usize>) -> Vec<bool> {
    let y = history.values();
    let first_hour = history.start().timestamp().div_euclid(3600);
    let day_of = |i: usize| (first_hour + i as i64).div_euclid(DAY as i64);
    // (day, total, hours seen) of each day touching the window
    let mut days: Vec<(i64, f64, usize)> = Vec::new();
    for i in window.clone() {
        let d = day_of(i);
        match days.last_mut() {
            Some((day, total, hours)) if *day == d => {
                *total += y[i];
                *hours += 1;
            }
            _ => days.push((d, y[i], 1)),
        }
    }
    let weekday = |d: i64| (d + 3).rem_euclid(7) as usize;
    let mut medians = [None; 7];
    for (w, median) in medians.iter_mut().enumerate() {
        let mut totals: Vec<f64> = days
            .iter()
            .filter(|(d, _, hours)| *hours == DAY && weekday(*d) == w)
            .map(|(_, t, _)| *t)
            .collect();
        totals.sort_by(f64::total_cmp);
        *median = totals.get(totals.len() / 2).copied();
    }
    let exceptional_days: Vec<i64> = days
        .iter()
        .filter(|(d, total, hours)| {
            *hours == DAY
                && medians[weekday(*d)]
                    .is_some_and(|m| m >= MIN_DAY_TOTAL && (*total < 0.5 * m || *total > 2.0 * m))
        })
        .map(|(d, _, _)| *d)
        .collect();
    (0..y.len())
        .map(|i| window.contains(&i) && exceptional_days.contains(&day_of(i)))
        .collect()
}

fn hour_of_week_profile(history: &HourlySeries, horizon: usize) -> Vec<f64> {
    let y = history.values();
    let n = y.len();
    let weeks = (n / WEEK).min(PROFILE_WEEKS);
    let window = n - weeks * WEEK..n;
    let skip = exceptional_hours(history, window.clone());
    let how = |i: usize| hour_of_week(history.hour(i));
    let (mut sum, mut count) = ([0.0; WEEK], [0usize; WEEK]);
    let (mut all_sum, mut all_count) = ([0.0; WEEK], [0usize; WEEK]);
    for i in window {
        let k = how(i);
        all_sum[k] += y[i];
        all_count[k] += 1;
        if !skip[i] {
            sum[k] += y[i];
            count[k] += 1;
        }
    }
    let profile: Vec<f64> = (0..WEEK)
        .map(|k| match (count[k], all_count[k]) {
            (0, 0) => 0.0,
            (0, c) => all_sum[k] / c as f64,
            (c, _) => sum[k] / c as f64,
        })
        .collect();
    let profile = pool_daily_shape(&profile);
    let level_window = n - weeks.min(LEVEL_WEEKS) * WEEK..n;
    let (mut actual, mut expected) = (0.0, 0.0);
    for i in level_window.filter(|i| !skip[*i]) {
        actual += y[i];
        expected += profile[how(i)];
    }
    let level = if expected > 0.0 {
        actual / expected
    } else {
        1.0
    };
    (0..horizon)
        .map(|h| (level * profile[how(n + h)]).max(0.0))
        .collect()
}

/// Halves the noise of a 168-hour profile: each hour becomes the mean of itself and of
/// its day's total times the share of that hour in the days of its kind (Monday to
/// Friday, or the weekend), pooled over those days.
fn pool_daily_shape(raw: &[f64]) -> Vec<f64> {
    let total = |d: usize| raw[d * DAY..(d + 1) * DAY].iter().sum::<f64>();
    let kind = |d: usize| if d < 5 { 0..5 } else { 5..7 };
    (0..WEEK)
        .map(|k| {
            let (d, h) = (k / DAY, k % DAY);
            let days = kind(d);
            let at_hour: f64 = days.clone().map(|e| raw[e * DAY + h]).sum();
            let all: f64 = days.map(total).sum();
            let fitted = if all > 0.0 {
                total(d) * at_hour / all
            } else {
                0.0
            };
            0.5 * (raw[k] + fitted)
        })
        .collect()
}

/// The state of a fitted Holt–Winters model.
struct HoltWinters {
    level: f64,
    trend: f64,
    season: [f64; WEEK],
}

impl HoltWinters {
    /// Fits (α, β, γ) over `y` (at least two weeks).
    fn fit(y: &[f64], alpha: f64, beta: f64, gamma: f64) -> Self {
        let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
        let (first, second) = (mean(&y[..WEEK]), mean(&y[WEEK..2 * WEEK]));
        let mut m = Self {
            level: first,
            trend: (second - first) / WEEK as f64,
            season: [0.0; WEEK],
        };
        for (s, v) in m.season.iter_mut().zip(&y[..WEEK]) {
            *s = v - first;
        }
        for (t, &v) in y.iter().enumerate().skip(WEEK) {
            let s = m.season[t % WEEK];
            let previous = m.level;
            m.level = alpha * (v - s) + (1.0 - alpha) * (m.level + PHI * m.trend);
            m.trend = beta * (m.level - previous) + (1.0 - beta) * PHI * m.trend;
            m.season[t % WEEK] = gamma * (v - m.level) + (1.0 - gamma) * s;
        }
        m
    }

    /// The `horizon` hours after the `n` fitted ones.
    fn forecast(&self, n: usize, horizon: usize) -> Vec<f64> {
        let mut damping = 0.0;
        let mut factor = 1.0;
        (0..horizon)
            .map(|h| {
                factor *= PHI;
                damping += factor;
                (self.level + damping * self.trend + self.season[(n + h) % WEEK]).max(0.0)
            })
            .collect()
    }
}

fn holt_winters(y: &[f64], horizon: usize) -> Vec<f64> {
    let n = y.len();
    let (train, check) = y.split_at(n - WEEK);
    let mut best = (f64::INFINITY, (ALPHAS[0], BETAS[0], GAMMAS[0]));
    for &a in &ALPHAS {
        for &b in &BETAS {
            for &g in &GAMMAS {
                let predicted = HoltWinters::fit(train, a, b, g).forecast(train.len(), WEEK);
                let error: f64 = predicted
                    .iter()
                    .zip(check)
                    .map(|(p, v)| (p - v).abs())
                    .sum();
                if error < best.0 {
                    best = (error, (a, b, g));
                }
            }
        }
    }
    let (a, b, g) = best.1;
    HoltWinters::fit(y, a, b, g).forecast(n, horizon)
}
