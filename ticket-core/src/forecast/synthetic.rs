//! A synthetic hourly ticket series with a daily and a weekly pattern, mild growth,
//! Poisson noise and a holiday: the series the forecast tests, the `forecast_error`
//! example and benchmarks score the models on. Seeded, so a figure can be reproduced.

use super::series::{HourlySeries, DAY, WEEK};
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

/// The expected tickets in hour `i` of week-day `day` (0 = Monday) at `growth`.
fn rate(hour: usize, day: usize, growth: f64) -> f64 {
    // office hours peak at 11:00 and 15:00, a dip at lunch, a quiet night
    let office = match hour {
        0..=6 => 0.6,
        7 => 2.0,
        8 => 5.0,
        9..=11 => 9.0 + (hour - 9) as f64,
        12 => 7.0,
        13..=15 => 9.0 + (hour - 13) as f64,
        16 => 8.0,
        17 => 5.0,
        18..=20 => 3.0,
        _ => 1.2,
    };
    // Monday is busiest; the weekend is quiet
    let weekday = [1.25, 1.1, 1.0, 0.95, 0.85, 0.35, 0.25][day];
    office * weekday * growth
}

/// A Poisson sample of mean `mean` (Knuth's method; a normal approximation above 30).
fn poisson(rng: &mut StdRng, mean: f64) -> u64 {
    if mean > 30.0 {
        let (u1, u2): (f64, f64) = (rng.gen::<f64>().max(f64::MIN_POSITIVE), rng.gen());
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        return (mean + z * mean.sqrt()).round().max(0.0) as u64;
    }
    let limit = (-mean).exp();
    let (mut k, mut p) = (0, 1.0);
    loop {
        p *= rng.gen::<f64>();
        if p <= limit {
            return k;
        }
        k += 1;
    }
}

/// `weeks` weeks of hourly tickets from Monday 2026-01-05 00:00 UTC, growing 0.5 % a
/// week, with a holiday (a tenth of the usual volume) on the Wednesday of week
/// `holiday_week` when given.
#[must_use]
pub fn series(seed: u64, weeks: usize, holiday_week: Option<usize>) -> HourlySeries {
    let mut rng = StdRng::seed_from_u64(seed);
    // Monday 2026-01-05 00:00 UTC
    let start = DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_458);
    let counts = (0..weeks * WEEK).map(|i| {
        let (week, day, hour) = (i / WEEK, (i % WEEK) / DAY, i % DAY);
        let mut mean = rate(hour, day, 1.005_f64.powi(week as i32));
        if holiday_week == Some(week) && day == 2 {
            mean *= 0.1;
        }
        (start + Duration::hours(i as i64), poisson(&mut rng, mean))
    });
    let counts: Vec<_> = counts.collect();
    HourlySeries::from_counts(
        start,
        start + Duration::hours((weeks * WEEK) as i64),
        counts,
    )
}
