//! Erlang C (M/M/N queueing) and the square-root staffing rule.
//!
//! With arrivals `λ` per hour and a mean handle time `h` hours, the offered load is
//! `A = λ·h` erlangs. With `N > A` agents:
//!
//! - Erlang B by the stable recursion `B(0) = 1`, `B(k) = A·B(k−1) / (k + A·B(k−1))`;
//! - the probability of waiting (Erlang C) `C(N, A) = N·B(N) / (N − A·(1 − B(N)))`;
//! - the service level (share answered within `T`) `SL = 1 − C(N, A)·e^(−(N−A)·T/h)`;
//! - the mean wait `W = C(N, A)·h / (N − A)`.
//!
//! With `N ≤ A` the queue grows without bound: `C = 1`, `SL = 0`.
//!
//! The **square-root staffing rule** (Halfin & Whitt 1981), for e-mail-like work where
//! loads are large and answers may wait: `N = ⌈A + β·√A⌉`, with `β` the smallest value
//! for which the Halfin–Whitt approximation of the service level,
//! `1 − α(β)·e^(−β·√A·T/h)` with `α(β) = [1 + β·Φ(β)/φ(β)]⁻¹`, meets the target
//! (`Φ`, `φ` the standard normal distribution and density). It needs no sum over `N`
//! terms, and agrees with Erlang C within an agent or two at loads of a few erlangs up.
//!
//! Plain `f64` arithmetic written here: the formulas are short and auditable, and a
//! numerics crate would bring far more than they need.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// The largest offered load staffed, in erlangs (a hundred thousand agents busy at
/// once): it bounds the work of one staffing.
pub const MAX_LOAD: f64 = 100_000.0;

/// A service-level target: `share` of the work answered within `within_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ServiceTarget {
    /// The share to answer in time, in (0, 1), e.g. 0.8.
    pub share: f64,
    /// The answer-time target in seconds (e.g. the SLA first-response target).
    pub within_secs: f64,
}

impl ServiceTarget {
    /// A checked target.
    ///
    /// # Errors
    /// [`Error::Invalid`] (`target`) unless 0 < share < 1; (`within_secs`) unless it is
    /// finite and not negative.
    pub fn new(share: f64, within_secs: f64) -> Result<Self> {
        if !(share > 0.0 && share < 1.0) {
            return Err(Error::invalid(
                "target",
                "must be between 0 and 1 (exclusive)",
            ));
        }
        if !(within_secs.is_finite() && within_secs >= 0.0) {
            return Err(Error::invalid("within_secs", "must be a number of seconds"));
        }
        Ok(Self { share, within_secs })
    }
}

/// The offered load in erlangs of `arrivals_per_hour` with a mean handle time of
/// `handle_secs`.
#[must_use]
pub fn offered_load(arrivals_per_hour: f64, handle_secs: f64) -> f64 {
    arrivals_per_hour * handle_secs / 3600.0
}

/// Erlang B: the blocking probability of `agents` servers under `load` erlangs.
#[must_use]
pub fn erlang_b(agents: u32, load: f64) -> f64 {
    (1..=agents).fold(1.0, |b, k| load * b / (f64::from(k) + load * b))
}

/// Erlang C: the probability that work waits, with `agents` under `load` erlangs (1 when
/// `agents ≤ load`).
#[must_use]
pub fn erlang_c(agents: u32, load: f64) -> f64 {
    let n = f64::from(agents);
    if load <= 0.0 {
        return 0.0;
    }
    if n <= load {
        return 1.0;
    }
    let b = erlang_b(agents, load);
    n * b / (n - load * (1.0 - b))
}

/// The share of work answered within `within_secs` (0 when `agents ≤ load`).
#[must_use]
pub fn service_level(agents: u32, load: f64, handle_secs: f64, within_secs: f64) -> f64 {
    let n = f64::from(agents);
    if load <= 0.0 {
        return 1.0;
    }
    if n <= load {
        return 0.0;
    }
    1.0 - erlang_c(agents, load) * (-(n - load) * within_secs / handle_secs).exp()
}

/// The mean wait in seconds (infinite when `agents ≤ load`).
#[must_use]
pub fn average_wait_secs(agents: u32, load: f64, handle_secs: f64) -> f64 {
    let n = f64::from(agents);
    if load <= 0.0 {
        return 0.0;
    }
    if n <= load {
        return f64::INFINITY;
    }
    erlang_c(agents, load) * handle_secs / (n - load)
}

fn check(load: f64, handle_secs: f64) -> Result<()> {
    if !(load.is_finite() && load >= 0.0) {
        return Err(Error::invalid(
            "load",
            "must be a finite, non-negative number",
        ));
    }
    if !(handle_secs.is_finite() && handle_secs > 0.0) {
        return Err(Error::invalid(
            "handle_secs",
            "must be a positive number of seconds",
        ));
    }
    if load > MAX_LOAD {
        return Err(Error::invalid(
            "load",
            format!("is beyond {MAX_LOAD} erlangs: check the handle time"),
        ));
    }
    Ok(())
}

/// The fewest agents whose Erlang C service level meets `target` under `load` (0 for no
/// load).
///
/// # Errors
/// [`Error::Invalid`] for a negative, infinite or absurd load or a non-positive handle
/// time.
pub fn erlang_c_agents(load: f64, handle_secs: f64, target: ServiceTarget) -> Result<u32> {
    check(load, handle_secs)?;
    if load == 0.0 {
        return Ok(0);
    }
    // From the first stable staffing up, carrying Erlang B along (one step per agent,
    // so the search is linear in the answer); the load cap keeps it in u32 and fast.
    let mut agents = load.floor() as u32 + 1;
    let mut b = erlang_b(agents, load);
    loop {
        let n = f64::from(agents);
        let waits = n * b / (n - load * (1.0 - b));
        let level = 1.0 - waits * (-(n - load) * target.within_secs / handle_secs).exp();
        if level >= target.share {
            return Ok(agents);
        }
        agents += 1;
        b = load * b / (f64::from(agents) + load * b);
    }
}

/// The standard normal density.
fn phi(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// The standard normal distribution function, by the error function of Abramowitz &
/// Stegun 7.1.26 (absolute error under 1.5·10⁻⁷).
fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-z * z).exp();
    0.5 * (1.0 + if x < 0.0 { -erf } else { erf })
}

/// The Halfin–Whitt approximation of the probability of waiting at safety factor `beta`.
#[must_use]
pub fn halfin_whitt_wait(beta: f64) -> f64 {
    if beta <= 0.0 {
        return 1.0;
    }
    1.0 / (1.0 + beta * normal_cdf(beta) / phi(beta))
}

/// The square-root staffing safety factor `β` for `target` under `load` (see the module
/// docs), found by bisection to 10⁻⁶.
#[must_use]
pub fn square_root_beta(load: f64, handle_secs: f64, target: ServiceTarget) -> f64 {
    let late = |beta: f64| {
        halfin_whitt_wait(beta) * (-beta * load.sqrt() * target.within_secs / handle_secs).exp()
    };
    let allowed = 1.0 - target.share;
    let (mut low, mut high) = (0.0_f64, 10.0_f64);
    if late(low) <= allowed {
        return 0.0;
    }
    while high - low > 1e-6 {
        let mid = 0.5 * (low + high);
        if late(mid) <= allowed {
            high = mid;
        } else {
            low = mid;
        }
    }
    high
}

/// The square-root staffing rule `⌈A + β·√A⌉` (0 for no load).
///
/// # Errors
/// As [`erlang_c_agents`].
pub fn square_root_agents(load: f64, handle_secs: f64, target: ServiceTarget) -> Result<u32> {
    check(load, handle_secs)?;
    if load == 0.0 {
        return Ok(0);
    }
    let beta = square_root_beta(load, handle_secs, target);
    // at least one agent more than the load, as Erlang C needs for a stable queue
    let agents = (load + beta * load.sqrt()).ceil().max(load.floor() + 1.0);
    Ok(agents as u32)
}
