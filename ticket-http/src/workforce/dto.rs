//! The workforce on the wire: schedules, shift records, adherence, workload, queue and
//! rebalance reports.

use crate::dto::rules::AssignStrategyDto;
use crate::dto::users::AvailabilityDto;
use crate::problem::Problem;
use chrono::{DateTime, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};
use ticket_core::desk::{AdherenceReport, QueueReport, RebalanceReport, ScheduleInput, Workload};
use ticket_core::error::{Error, Validator};
use ticket_core::routing::AssignStrategy;
use ticket_core::workforce::{
    IntervalAdherence, IntervalStaff, MoveReason, OneOffShift, PlannedBreak, ShiftRecord,
    ShiftSchedule, Span, TimeOff, WeeklyShift,
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

/// A break taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = BreakRecord)]
pub struct BreakDto {
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Ended; absent while on it.
    pub ended_at: Option<DateTime<Utc>>,
}

/// A shift worked (or being worked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = ShiftRecord)]
pub struct ShiftDto {
    /// Its id.
    pub id: Uuid,
    /// The agent.
    pub user_id: Uuid,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Ended; absent while on it.
    pub ended_at: Option<DateTime<Utc>>,
    /// Breaks taken, oldest first.
    pub breaks: Vec<BreakDto>,
    /// Whether the desk ended it when the scheduled shift was over.
    pub ended_automatically: bool,
    /// The availability it gives the agent.
    pub availability: AvailabilityDto,
    /// Version.
    pub version: u64,
}

impl From<ShiftRecord> for ShiftDto {
    fn from(r: ShiftRecord) -> Self {
        Self {
            id: r.id.as_uuid(),
            user_id: r.user.as_uuid(),
            availability: r.availability().into(),
            started_at: r.started_at,
            ended_at: r.ended_at,
            breaks: r
                .breaks
                .into_iter()
                .map(|b| BreakDto {
                    started_at: b.started_at,
                    ended_at: b.ended_at,
                })
                .collect(),
            ended_automatically: r.ended_automatically,
            version: r.version,
        }
    }
}

/// Shift records.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShiftList {
    /// Oldest first (at most 1,000).
    pub items: Vec<ShiftDto>,
}

/// Scheduled and actual time of one 15-minute interval, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = IntervalAdherence)]
pub struct IntervalAdherenceDto {
    /// The interval's start.
    pub start: DateTime<Utc>,
    /// Scheduled to work.
    pub scheduled_secs: u32,
    /// Actually working.
    pub actual_secs: u32,
    /// Both.
    pub adherent_secs: u32,
}

/// Adherence over a range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = Adherence)]
pub struct AdherenceDto {
    /// Per 15-minute interval.
    pub intervals: Vec<IntervalAdherenceDto>,
    /// Seconds scheduled.
    pub scheduled_secs: u64,
    /// Seconds worked.
    pub actual_secs: u64,
    /// Seconds both scheduled and worked.
    pub adherent_secs: u64,
    /// Adherent ÷ scheduled; absent when nothing was scheduled.
    pub adherence: Option<f64>,
}

impl From<AdherenceReport> for AdherenceDto {
    fn from(r: AdherenceReport) -> Self {
        Self {
            intervals: r
                .intervals
                .into_iter()
                .map(|i: IntervalAdherence| IntervalAdherenceDto {
                    start: i.start,
                    scheduled_secs: i.scheduled_secs,
                    actual_secs: i.actual_secs,
                    adherent_secs: i.adherent_secs,
                })
                .collect(),
            scheduled_secs: r.scheduled_secs,
            actual_secs: r.actual_secs,
            adherent_secs: r.adherent_secs,
            adherence: r.adherence,
        }
    }
}

/// Agents scheduled in one 15-minute interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = IntervalStaff)]
pub struct IntervalStaffDto {
    /// The interval's start.
    pub start: DateTime<Utc>,
    /// Agents on shift and not on a planned break, as full-interval equivalents.
    pub agents: f64,
}

impl From<IntervalStaff> for IntervalStaffDto {
    fn from(s: IntervalStaff) -> Self {
        Self {
            start: s.start,
            agents: s.agents,
        }
    }
}

/// Agents scheduled per interval.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScheduledStaffList {
    /// One entry per 15-minute interval of the range.
    pub items: Vec<IntervalStaffDto>,
}

/// One agent's workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = AgentWorkload)]
pub struct AgentWorkloadDto {
    /// The agent.
    pub user_id: Uuid,
    /// Availability.
    pub availability: AvailabilityDto,
    /// The most working tickets they should hold.
    pub capacity: u32,
    /// Working tickets (New or Open) they hold.
    pub working_tickets: u32,
    /// Their teams.
    pub team_ids: Vec<Uuid>,
}

/// One team's workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = TeamWorkload)]
pub struct TeamWorkloadDto {
    /// The team.
    pub team_id: Uuid,
    /// Its agents.
    pub agents: u32,
    /// Of them online.
    pub online: u32,
    /// Working tickets its agents hold.
    pub working_tickets: u64,
    /// Capacity of its online agents.
    pub online_capacity: u64,
    /// Free slots of its online agents.
    pub free_slots: u64,
}

/// Workload per agent and per team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Workload)]
pub struct WorkloadDto {
    /// Every agent.
    pub agents: Vec<AgentWorkloadDto>,
    /// Every team with agents.
    pub teams: Vec<TeamWorkloadDto>,
}

impl From<Workload> for WorkloadDto {
    fn from(w: Workload) -> Self {
        Self {
            agents: w
                .agents
                .into_iter()
                .map(|a| AgentWorkloadDto {
                    user_id: a.user_id.as_uuid(),
                    availability: a.availability.into(),
                    capacity: a.capacity,
                    working_tickets: a.open_tickets,
                    team_ids: a.teams.iter().map(|t| t.as_uuid()).collect(),
                })
                .collect(),
            teams: w
                .teams
                .into_iter()
                .map(|t| TeamWorkloadDto {
                    team_id: t.team_id.as_uuid(),
                    agents: t.agents,
                    online: t.online,
                    working_tickets: t.working_tickets,
                    online_capacity: t.online_capacity,
                    free_slots: t.free_slots,
                })
                .collect(),
        }
    }
}

/// What a queue run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = QueueReport)]
pub struct QueueReportDto {
    /// Tickets assigned.
    pub assigned: u32,
    /// Unassigned tickets looked at.
    pub examined: u32,
    /// Assignments lost to another writer (skipped or retried).
    pub conflicts: u32,
}

impl From<QueueReport> for QueueReportDto {
    fn from(r: QueueReport) -> Self {
        Self {
            assigned: r.assigned,
            examined: r.examined,
            conflicts: r.conflicts,
        }
    }
}

/// Why a ticket moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = MoveReason)]
pub enum MoveReasonDto {
    /// Its agent ended their shift.
    ShiftEnded,
    /// Its agent is offline.
    Offline,
    /// Its agent was over capacity.
    OverCapacity,
}

impl From<MoveReason> for MoveReasonDto {
    fn from(r: MoveReason) -> Self {
        match r {
            MoveReason::ShiftEnded => Self::ShiftEnded,
            MoveReason::Offline => Self::Offline,
            MoveReason::OverCapacity => Self::OverCapacity,
        }
    }
}

/// One move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = RebalanceMove)]
pub struct MoveDto {
    /// The ticket.
    pub ticket_id: Uuid,
    /// Its agent before.
    pub from: Uuid,
    /// Its agent after.
    pub to: Uuid,
    /// Why.
    pub reason: MoveReasonDto,
}

/// What a rebalance planned and did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = RebalanceReport)]
pub struct RebalanceDto {
    /// Whether nothing was saved.
    pub dry_run: bool,
    /// The moves, most urgent ticket first.
    pub moves: Vec<MoveDto>,
    /// Moves saved.
    pub applied: u32,
    /// Moves not saved (the ticket or agent changed meanwhile).
    pub skipped: u32,
}

impl From<RebalanceReport> for RebalanceDto {
    fn from(r: RebalanceReport) -> Self {
        Self {
            dry_run: r.dry_run,
            moves: r
                .moves
                .into_iter()
                .map(|m| MoveDto {
                    ticket_id: m.ticket.as_uuid(),
                    from: m.from.as_uuid(),
                    to: m.to.as_uuid(),
                    reason: m.reason.into(),
                })
                .collect(),
            applied: r.applied,
            skipped: r.skipped,
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
