//! Schedules on the wire: weekly and one-off shifts, time off, planned breaks.

use crate::dto::rules::AssignStrategyDto;
use crate::problem::Problem;
use chrono::{DateTime, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};
use ticket_core::desk::ScheduleInput;
use ticket_core::error::{Error, Validator};
use ticket_core::routing::AssignStrategy;
use ticket_core::workforce::{
    OneOffShift, PlannedBreak, ShiftSchedule, Span, TimeOff, WeeklyShift,
};
use utoipa::ToSchema;
use uuid::Uuid;

impl From<AssignStrategyDto> for AssignStrategy {
    fn from(s: AssignStrategyDto) -> Self {
        match s {
            AssignStrategyDto::RoundRobin => Self::RoundRobin,
            AssignStrategyDto::LeastLoaded => Self::LeastLoaded,
            AssignStrategyDto::SkillsMatch => Self::SkillsMatch,
        }
    }
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = Weekday)]
#[allow(missing_docs)]
pub enum WeekdayDto {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl From<WeekdayDto> for Weekday {
    fn from(d: WeekdayDto) -> Self {
        match d {
            WeekdayDto::Monday => Self::Mon,
            WeekdayDto::Tuesday => Self::Tue,
            WeekdayDto::Wednesday => Self::Wed,
            WeekdayDto::Thursday => Self::Thu,
            WeekdayDto::Friday => Self::Fri,
            WeekdayDto::Saturday => Self::Sat,
            WeekdayDto::Sunday => Self::Sun,
        }
    }
}

impl From<Weekday> for WeekdayDto {
    fn from(d: Weekday) -> Self {
        match d {
            Weekday::Mon => Self::Monday,
            Weekday::Tue => Self::Tuesday,
            Weekday::Wed => Self::Wednesday,
            Weekday::Thu => Self::Thursday,
            Weekday::Fri => Self::Friday,
            Weekday::Sat => Self::Saturday,
            Weekday::Sun => Self::Sunday,
        }
    }
}

/// A span of time `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Span)]
pub struct SpanDto {
    /// First instant inside.
    pub start: DateTime<Utc>,
    /// First instant after.
    pub end: DateTime<Utc>,
}

impl From<Span> for SpanDto {
    fn from(s: Span) -> Self {
        Self {
            start: s.start,
            end: s.end,
        }
    }
}

impl From<SpanDto> for Span {
    fn from(s: SpanDto) -> Self {
        Span::new(s.start, s.end)
    }
}

/// A break planned within a weekly shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PlannedBreak)]
pub struct PlannedBreakDto {
    /// Local start, `HH:MM` (the next day when before the shift's start).
    #[schema(example = "12:30")]
    pub start: String,
    /// Length in minutes (1–240).
    #[schema(minimum = 1, maximum = 240)]
    pub minutes: u32,
}

/// A shift every week, in the schedule's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WeeklyShift)]
pub struct WeeklyShiftDto {
    /// The day it starts.
    pub weekday: WeekdayDto,
    /// Local start, `HH:MM`.
    #[schema(example = "09:00")]
    pub start: String,
    /// Local end, `HH:MM`; at or before `start` means the next day.
    #[schema(example = "17:00")]
    pub end: String,
    /// Breaks planned within it.
    #[serde(default)]
    pub breaks: Vec<PlannedBreakDto>,
}

/// A shift on given dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OneOffShift)]
pub struct OneOffShiftDto {
    /// Start.
    pub start: DateTime<Utc>,
    /// End (within 24 hours of the start).
    pub end: DateTime<Utc>,
    /// Breaks planned within it.
    #[serde(default)]
    pub breaks: Vec<SpanDto>,
}

/// Time off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TimeOff)]
pub struct TimeOffDto {
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// Why (at most 200 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

/// A schedule as a manager writes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    /// IANA time zone of the weekly shifts, e.g. `Europe/Paris`.
    #[schema(example = "Europe/Paris")]
    pub time_zone: String,
    /// Weekly shifts (at most 50).
    #[serde(default)]
    pub weekly: Vec<WeeklyShiftDto>,
    /// One-off shifts (at most 200).
    #[serde(default)]
    pub one_off: Vec<OneOffShiftDto>,
    /// Time off (at most 200).
    #[serde(default)]
    pub time_off: Vec<TimeOffDto>,
    /// The version read; absent when the agent has no schedule yet.
    #[serde(default)]
    pub version: Option<u64>,
}

/// `HH:MM` (or `HH:MM:SS`).
fn time(v: &mut Validator, field: String, s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
        .unwrap_or_else(|_| {
            v.push(field, "a local time as HH:MM");
            NaiveTime::MIN
        })
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

impl ScheduleBody {
    /// The desk's input, every field checked.
    ///
    /// # Errors
    /// 422 naming each bad field.
    pub fn into_input(self) -> Result<(ScheduleInput, Option<u64>), Problem> {
        let mut v = Validator::new();
        let weekly = self
            .weekly
            .iter()
            .enumerate()
            .map(|(i, w)| WeeklyShift {
                weekday: w.weekday.into(),
                start: time(&mut v, format!("weekly[{i}].start"), &w.start),
                end: time(&mut v, format!("weekly[{i}].end"), &w.end),
                breaks: w
                    .breaks
                    .iter()
                    .enumerate()
                    .map(|(j, b)| PlannedBreak {
                        start: time(&mut v, format!("weekly[{i}].breaks[{j}].start"), &b.start),
                        minutes: b.minutes,
                    })
                    .collect(),
            })
            .collect();
        v.finish().map_err(Problem::from)?;
        let input = ScheduleInput {
            time_zone: self.time_zone,
            weekly,
            one_off: self
                .one_off
                .into_iter()
                .map(|o| OneOffShift {
                    start: o.start,
                    end: o.end,
                    breaks: o.breaks.into_iter().map(Span::from).collect(),
                })
                .collect(),
            time_off: self
                .time_off
                .into_iter()
                .map(|t| TimeOff {
                    start: t.start,
                    end: t.end,
                    reason: t.reason,
                })
                .collect(),
        };
        Ok((input, self.version))
    }
}

/// An agent's planned shifts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = ShiftSchedule)]
pub struct ScheduleDto {
    /// The agent.
    pub user_id: Uuid,
    /// IANA time zone of the weekly shifts.
    pub time_zone: String,
    /// Weekly shifts.
    pub weekly: Vec<WeeklyShiftDto>,
    /// One-off shifts.
    pub one_off: Vec<OneOffShiftDto>,
    /// Time off.
    pub time_off: Vec<TimeOffDto>,
    /// Version (send it back to replace the schedule).
    pub version: u64,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<ShiftSchedule> for ScheduleDto {
    fn from(s: ShiftSchedule) -> Self {
        Self {
            user_id: s.user.as_uuid(),
            time_zone: s.time_zone.name().to_string(),
            weekly: s
                .weekly
                .into_iter()
                .map(|w| WeeklyShiftDto {
                    weekday: w.weekday.into(),
                    start: hhmm(w.start),
                    end: hhmm(w.end),
                    breaks: w
                        .breaks
                        .into_iter()
                        .map(|b| PlannedBreakDto {
                            start: hhmm(b.start),
                            minutes: b.minutes,
                        })
                        .collect(),
                })
                .collect(),
            one_off: s
                .one_off
                .into_iter()
                .map(|o| OneOffShiftDto {
                    start: o.start,
                    end: o.end,
                    breaks: o.breaks.into_iter().map(SpanDto::from).collect(),
                })
                .collect(),
            time_off: s
                .time_off
                .into_iter()
                .map(|t| TimeOffDto {
                    start: t.start,
                    end: t.end,
                    reason: t.reason,
                })
                .collect(),
            version: s.version,
            updated_at: s.updated_at,
        }
    }
}

/// `Invalid` on `range` when `to` is not after `from`.
pub(crate) fn span(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Span, Problem> {
    if to <= from {
        return Err(Error::invalid("to", "must be after `from`").into());
    }
    Ok(Span::new(from, to))
}
