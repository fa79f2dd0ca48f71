//! Staffing per hour from a forecast, and its comparison with the agents scheduled.

use super::erlang::{self, ServiceTarget};
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How the agents needed are computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffingMethod {
    /// Erlang C: the fewest agents whose service level meets the target.
    #[default]
    ErlangC,
    /// The square-root staffing rule `⌈A + β·√A⌉`, for e-mail-like work.
    SquareRoot,
}

/// What the staffing is computed for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StaffingInput {
    /// The mean handle time, in seconds.
    pub handle_secs: f64,
    /// The service-level target.
    pub target: ServiceTarget,
    /// The method.
    pub method: StaffingMethod,
}

/// The agents one hour needs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IntervalStaffing {
    /// The start of the hour.
    pub start: DateTime<Utc>,
    /// Tickets expected in the hour.
    pub tickets: f64,
    /// The offered load in erlangs (`tickets × handle time / 1 h`).
    pub load: f64,
    /// Agents needed to meet the target.
    pub required: u32,
    /// The Erlang C service level with `required` agents.
    pub service_level: f64,
}

/// The agents needed in each hour of `forecast` (start of the hour, tickets expected).
///
/// # Errors
/// [`Error::Invalid`] for a non-positive handle time or a negative or absurd forecast.
pub fn required(
    forecast: impl IntoIterator<Item = (DateTime<Utc>, f64)>,
    input: &StaffingInput,
) -> Result<Vec<IntervalStaffing>> {
    forecast
        .into_iter()
        .map(|(start, tickets)| {
            let load = erlang::offered_load(tickets, input.handle_secs);
            let required = match input.method {
                StaffingMethod::ErlangC => {
                    erlang::erlang_c_agents(load, input.handle_secs, input.target)?
                }
                StaffingMethod::SquareRoot => {
                    erlang::square_root_agents(load, input.handle_secs, input.target)?
                }
            };
            Ok(IntervalStaffing {
                start,
                tickets,
                load,
                required,
                service_level: erlang::service_level(
                    required,
                    load,
                    input.handle_secs,
                    input.target.within_secs,
                ),
            })
        })
        .collect()
}

/// One hour's staffing against the agents scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// The start of the hour.
    pub start: DateTime<Utc>,
    /// Agents needed.
    pub required: u32,
    /// Agents scheduled.
    pub scheduled: u32,
    /// `scheduled − required`: negative when the hour is short of agents.
    pub gap: i64,
}

/// Compares the agents needed per hour with `scheduled` (one count per hour of
/// `required`, in order: a schedule of 15-minute intervals passes the fewest agents of
/// each hour's four).
///
/// # Errors
/// [`Error::Invalid`] (`scheduled`) when the lengths differ.
pub fn compare(required: &[IntervalStaffing], scheduled: &[u32]) -> Result<Vec<Coverage>> {
    if required.len() != scheduled.len() {
        return Err(Error::invalid(
            "scheduled",
            format!(
                "has {} intervals where the staffing has {}",
                scheduled.len(),
                required.len()
            ),
        ));
    }
    Ok(required
        .iter()
        .zip(scheduled)
        .map(|(r, &s)| Coverage {
            start: r.start,
            required: r.required,
            scheduled: s,
            gap: i64::from(s) - i64::from(r.required),
        })
        .collect())
}
