//! SLA policies and business calendars on the wire (mirrors of the core types).

use super::PriorityDto;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Which tickets a policy covers: every non-empty list must match one of its values; an
/// empty condition covers every ticket.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(default)]
#[schema(as = SlaCondition)]
pub struct SlaConditionDto {
    /// Any of these priorities.
    pub priorities: Vec<PriorityDto>,
    /// Any of these categories.
    pub categories: Vec<String>,
    /// Any of these teams.
    pub teams: Vec<Uuid>,
    /// Any of these tags.
    pub tags: Vec<String>,
}

/// Targets in business minutes (1–525,600); `null` means no target of that kind. At
/// least one is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(default)]
#[schema(as = SlaTargets)]
pub struct SlaTargetsDto {
    /// First public staff reply.
    #[serde(deserialize_with = "crate::dto::lenient::opt_int")]
    #[schema(minimum = 1, maximum = 525600)]
    pub first_response_minutes: Option<u32>,
    /// Staff reply after each public requester reply.
    #[serde(deserialize_with = "crate::dto::lenient::opt_int")]
    #[schema(minimum = 1, maximum = 525600)]
    pub next_response_minutes: Option<u32>,
    /// Reaching a solved status.
    #[serde(deserialize_with = "crate::dto::lenient::opt_int")]
    #[schema(minimum = 1, maximum = 525600)]
    pub resolution_minutes: Option<u32>,
}

fn yes() -> bool {
    true
}

fn eighty() -> u8 {
    80
}

/// An SLA policy as a client sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicyBody {
    /// Name (1–100 characters).
    pub name: String,
    /// Policies are tried by ascending position; the first match applies.
    #[serde(default, deserialize_with = "crate::dto::lenient::int")]
    pub position: i32,
    /// Whether it applies (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Which tickets it covers (default: all).
    #[serde(default)]
    pub condition: SlaConditionDto,
    /// The targets.
    pub targets: SlaTargetsDto,
    /// The business calendar; `null`: around the clock.
    #[serde(default)]
    pub calendar_id: Option<Uuid>,
    /// Warning threshold, percent of each target (1–99, default 80).
    #[serde(default = "eighty", deserialize_with = "crate::dto::lenient::int")]
    #[schema(minimum = 1, maximum = 99)]
    pub warn_at_percent: u8,
}

/// An SLA policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = SlaPolicy)]
pub struct SlaPolicyDto {
    /// Its id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Position.
    pub position: i32,
    /// Whether it applies.
    pub enabled: bool,
    /// Which tickets it covers.
    pub condition: SlaConditionDto,
    /// The targets.
    pub targets: SlaTargetsDto,
    /// The business calendar; `null`: around the clock.
    pub calendar_id: Option<Uuid>,
    /// Warning threshold, percent.
    pub warn_at_percent: u8,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// One working interval of a day, in local minutes after midnight: `[start, end)` with
/// `0 <= start < end <= 1440`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WorkInterval)]
pub struct WorkIntervalDto {
    /// Start.
    #[serde(deserialize_with = "crate::dto::lenient::int")]
    #[schema(maximum = 1440)]
    pub start_minute: u16,
    /// End (exclusive).
    #[serde(deserialize_with = "crate::dto::lenient::int")]
    #[schema(maximum = 1440)]
    pub end_minute: u16,
}

/// Working intervals per weekday.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(default)]
#[schema(as = WeekHours)]
pub struct WeekHoursDto {
    /// Monday.
    pub mon: Vec<WorkIntervalDto>,
    /// Tuesday.
    pub tue: Vec<WorkIntervalDto>,
    /// Wednesday.
    pub wed: Vec<WorkIntervalDto>,
    /// Thursday.
    pub thu: Vec<WorkIntervalDto>,
    /// Friday.
    pub fri: Vec<WorkIntervalDto>,
    /// Saturday.
    pub sat: Vec<WorkIntervalDto>,
    /// Sunday.
    pub sun: Vec<WorkIntervalDto>,
}

/// A business calendar as a client sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarBody {
    /// Name (1–100 characters).
    pub name: String,
    /// IANA time zone (`Europe/Berlin`).
    pub timezone: String,
    /// Working hours (some day must have some).
    pub week: WeekHoursDto,
    /// Local dates without working time (at most 1000).
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
}

/// A business calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Calendar)]
pub struct CalendarDto {
    /// Its id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// IANA time zone.
    pub timezone: String,
    /// Working hours.
    pub week: WeekHoursDto,
    /// Local dates without working time.
    pub holidays: Vec<NaiveDate>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}
