//! Ticket volume forecasts and staffing: pure functions over aggregated history.
//!
//! - [`HourlySeries`]: tickets created per UTC hour (from
//!   [`VolumeStore::hourly_created`](crate::ports::VolumeStore::hourly_created));
//! - [`models`]: the seasonal naive baseline, an hour-of-week regression with a level,
//!   and additive Holt–Winters with a 168-hour season (daily and weekly pattern);
//! - [`backtest`]: the model chosen by rolling-origin backtest, every [`Forecast`]
//!   carrying its MASE against seasonal naive;
//! - [`erlang`]: Erlang C (probability of waiting, service level, agents for a target)
//!   and the square-root staffing rule;
//! - [`staffing`]: agents required per hour from a forecast and a handle time, and
//!   [`compare`] with the agents scheduled.
//!
//! Hours are UTC: a desk in a zone with daylight saving sees its pattern move by an hour
//! twice a year, which the models absorb within a few weeks. Holidays to come are not
//! known to the models; past ones are left out of the hour-of-week profile.

pub mod backtest;
pub mod erlang;
pub mod models;
pub mod series;
pub mod staffing;
pub mod synthetic;
#[cfg(test)]
mod tests;

pub use backtest::{forecast, Backtest, Forecast, ModelScore, MAX_HORIZON};
pub use erlang::ServiceTarget;
pub use models::ModelKind;
pub use series::{floor_hour, hour_of_week, HourlySeries};
pub use staffing::{compare, required, Coverage, IntervalStaffing, StaffingInput, StaffingMethod};
