//! Workforce reports on the wire: shift records, adherence, agents scheduled per
//! interval, workload, queue and rebalance reports.

use crate::dto::users::AvailabilityDto;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ticket_core::desk::{AdherenceReport, QueueReport, RebalanceReport, Workload};
use ticket_core::workforce::{IntervalAdherence, IntervalStaff, MoveReason, ShiftRecord};
use utoipa::ToSchema;
use uuid::Uuid;

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
