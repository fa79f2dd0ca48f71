//! Shifts and breaks: agents start and end shifts and breaks (or a manager does it for
//! them), managers plan schedules, and everyone with the right reads the history and
//! the adherence. Each shift event sets the agent's availability (on shift = online, on
//! a break = away, off shift = offline); the manual availability switch stays as an
//! override. A shift still open after its scheduled end is ended by
//! [`HelpDesk::end_finished_shifts`] (the server runs it on a timer): the agent goes
//! offline.
//!
//! The shift record is stored first (the store keeps one open shift per agent, so two
//! concurrent starts cannot both win), then the availability; should the second write
//! fail, the next shift event or [`HelpDesk::set_availability`] sets it again.

use super::HelpDesk;
use crate::account::{Actor, Availability, User};
use crate::error::{Conflict, Error, Result};
use crate::id::{TeamId, TenantId, UserId};
use crate::ports::MAX_SHIFTS_LISTED;
use crate::rbac::Permission;
use crate::workforce::schedule::MAX_RANGE_DAYS;
use crate::workforce::{
    adherence, scheduled_agents_per_interval, IntervalAdherence, IntervalStaff, OneOffShift,
    ShiftRecord, ShiftSchedule, Span, TimeOff, WeeklyShift,
};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

/// How long after its scheduled end an open shift is ended automatically.
pub const SHIFT_END_GRACE: Duration = Duration::minutes(15);

/// A schedule as a manager writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleInput {
    /// IANA time zone of the weekly shifts (`Europe/Paris`).
    pub time_zone: String,
    /// Weekly shifts.
    pub weekly: Vec<WeeklyShift>,
    /// One-off shifts.
    pub one_off: Vec<OneOffShift>,
    /// Time off.
    pub time_off: Vec<TimeOff>,
}

/// What one shift event does to a shift record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShiftAction {
    /// Start a shift.
    StartShift,
    /// End the shift.
    EndShift,
    /// Start a break.
    StartBreak,
    /// End the break.
    EndBreak,
}

/// Whose adherence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdherenceScope {
    /// One agent.
    Agent(UserId),
    /// Every agent of a team, summed.
    Team(TeamId),
}

/// The adherence of an agent or a team over a range.
#[derive(Debug, Clone, PartialEq)]
pub struct AdherenceReport {
    /// Per 15-minute interval.
    pub intervals: Vec<IntervalAdherence>,
    /// Seconds scheduled over the range.
    pub scheduled_secs: u64,
    /// Seconds worked over the range.
    pub actual_secs: u64,
    /// Seconds both scheduled and worked.
    pub adherent_secs: u64,
    /// `adherent_secs / scheduled_secs`; `None` when nothing was scheduled.
    pub adherence: Option<f64>,
}

/// `Invalid` (`range`) unless `range` is a non-empty span of at most
/// [`MAX_RANGE_DAYS`].
fn check_range(range: Span) -> Result<()> {
    if range.is_empty() || range.end - range.start > Duration::days(MAX_RANGE_DAYS) {
        return Err(Error::invalid(
            "range",
            format!("`to` after `from`, at most {MAX_RANGE_DAYS} days apart"),
        ));
    }
    Ok(())
}

impl HelpDesk {
    /// The staff member `id` (with an agent profile, not deleted), acted on by themself
    /// or by someone holding `perm`.
    async fn workforce_member(&self, actor: &Actor, id: UserId, perm: Permission) -> Result<User> {
        if !actor.is(id) {
            self.require(actor, perm)?;
        }
        let user = self.inner.store.get_user(actor.tenant(), id).await?;
        if user.is_deleted() || user.agent.is_none() {
            return Err(Error::invalid("user", "only agents work shifts"));
        }
        Ok(user)
    }

    /// Starts or ends a shift or a break of agent `id` (oneself, or anyone with
    /// `UsersManage`), and sets their availability to match.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`]; [`Error::Invalid`] when the user is
    /// not an agent; [`Error::Conflict`] (`State`) when the event does not follow (a
    /// break while off shift, a second start…).
    pub async fn shift_event(
        &self,
        actor: &Actor,
        id: UserId,
        action: ShiftAction,
    ) -> Result<ShiftRecord> {
        let mut user = self
            .workforce_member(actor, id, Permission::UsersManage)
            .await?;
        let now = self.now();
        let store = &self.inner.store;
        let open = store.open_shift(actor.tenant(), id).await?;
        let already = || {
            Error::Conflict(Conflict::State {
                reason: "already on a shift".into(),
            })
        };
        let record = match open {
            None if action == ShiftAction::StartShift => {
                let record = ShiftRecord::start(actor.tenant(), id, now);
                store.save_shift(&record, None).await.map_err(|e| match e {
                    Error::Conflict(Conflict::Unique { .. }) => already(),
                    e => e,
                })?;
                record
            }
            None => {
                return Err(Error::Conflict(Conflict::State {
                    reason: "not on a shift".into(),
                }))
            }
            Some(mut record) => {
                let expected = record.version;
                match action {
                    ShiftAction::StartShift => return Err(already()),
                    ShiftAction::EndShift => record.end(now, false)?,
                    ShiftAction::StartBreak => record.start_break(now)?,
                    ShiftAction::EndBreak => record.end_break(now)?,
                }
                store.save_shift(&record, Some(expected)).await?;
                record
            }
        };
        self.follow_shift(&mut user, &record).await?;
        Ok(record)
    }

    /// Sets the agent's availability to what `record` gives them; wakes the queue
    /// processor when they take work.
    async fn follow_shift(&self, user: &mut User, record: &ShiftRecord) -> Result<()> {
        let availability = record.availability();
        if let Some(profile) = user.agent.as_mut() {
            if profile.availability != availability {
                profile.availability = availability;
                self.save_user(user).await?;
            }
        }
        if availability == Availability::Online {
            self.wake_queue();
        }
        Ok(())
    }

    /// An agent's schedule (oneself, or anyone with `UsersRead`).
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`]; [`Error::Invalid`] for a non-agent.
    pub async fn shift_schedule(&self, actor: &Actor, id: UserId) -> Result<Option<ShiftSchedule>> {
        self.workforce_member(actor, id, Permission::UsersRead)
            .await?;
        self.inner.store.get_schedule(actor.tenant(), id).await
    }

    /// Replaces an agent's schedule (needs `UsersManage`). `expected_version` is the
    /// version read (`None` when the agent has none yet).
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`]; [`Error::Invalid`] for a bad schedule
    /// or a non-agent; [`Error::Conflict`] (`Version`) when it changed since it was read,
    /// (`Unique`) when one was created meanwhile.
    pub async fn set_shift_schedule(
        &self,
        actor: &Actor,
        id: UserId,
        input: ScheduleInput,
        expected_version: Option<u64>,
    ) -> Result<ShiftSchedule> {
        self.require(actor, Permission::UsersManage)?;
        self.workforce_member(actor, id, Permission::UsersManage)
            .await?;
        let now = self.now();
        let time_zone: Tz =
            input.time_zone.trim().parse().map_err(|_| {
                Error::invalid("time_zone", "an IANA time zone such as Europe/Paris")
            })?;
        let mut schedule = ShiftSchedule::new(actor.tenant(), id, time_zone, now);
        schedule.weekly = input.weekly;
        schedule.one_off = input.one_off;
        schedule.time_off = input.time_off;
        schedule.version = expected_version.map_or(1, |v| v.saturating_add(1));
        schedule.validate()?;
        self.inner
            .store
            .save_schedule(&schedule, expected_version)
            .await?;
        Ok(schedule)
    }

    /// The shifts worked over `range` (those overlapping it), of one agent (oneself, or
    /// anyone with `UsersRead`) or of everyone (`UsersRead`), oldest first, at most
    /// [`MAX_SHIFTS_LISTED`].
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::Invalid`] (`range`) for an empty range or one
    /// longer than [`MAX_RANGE_DAYS`].
    pub async fn shift_history(
        &self,
        actor: &Actor,
        user: Option<UserId>,
        range: Span,
    ) -> Result<Vec<ShiftRecord>> {
        check_range(range)?;
        match user {
            Some(id) => {
                self.workforce_member(actor, id, Permission::UsersRead)
                    .await?;
            }
            None => self.require(actor, Permission::UsersRead)?,
        }
        self.inner
            .store
            .list_shifts(actor.tenant(), user, range, MAX_SHIFTS_LISTED)
            .await
    }

    /// Scheduled against actual per 15-minute interval over `range`, of one agent
    /// (oneself, or `StatsRead`) or of a team (`StatsRead`).
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`]; [`Error::Invalid`] (`range`).
    pub async fn adherence(
        &self,
        actor: &Actor,
        scope: AdherenceScope,
        range: Span,
    ) -> Result<AdherenceReport> {
        check_range(range)?;
        let tenant = actor.tenant();
        let store = &self.inner.store;
        let agents: Vec<UserId> = match scope {
            AdherenceScope::Agent(id) => {
                self.workforce_member(actor, id, Permission::StatsRead)
                    .await?;
                vec![id]
            }
            AdherenceScope::Team(team) => {
                self.require(actor, Permission::StatsRead)?;
                store.get_team(tenant, team).await?;
                store
                    .agent_loads(tenant, Some(team))
                    .await?
                    .into_iter()
                    .map(|l| l.user_id)
                    .collect()
            }
        };
        let schedules = store.list_schedules(tenant, &agents).await?;
        let mut records = Vec::with_capacity(agents.len());
        for id in &agents {
            records.push(
                store
                    .list_shifts(tenant, Some(*id), range, MAX_SHIFTS_LISTED)
                    .await?,
            );
        }
        let pairs: Vec<(Option<&ShiftSchedule>, &[ShiftRecord])> = agents
            .iter()
            .zip(&records)
            .map(|(id, r)| (schedules.iter().find(|s| s.user == *id), r.as_slice()))
            .collect();
        let intervals = adherence(&pairs, range, self.now())?;
        let sum = |f: fn(&IntervalAdherence) -> u32| -> u64 {
            intervals.iter().map(|i| u64::from(f(i))).sum()
        };
        let (scheduled_secs, actual_secs, adherent_secs) = (
            sum(|i| i.scheduled_secs),
            sum(|i| i.actual_secs),
            sum(|i| i.adherent_secs),
        );
        Ok(AdherenceReport {
            intervals,
            scheduled_secs,
            actual_secs,
            adherent_secs,
            adherence: (scheduled_secs > 0).then(|| adherent_secs as f64 / scheduled_secs as f64),
        })
    }

    /// Agents scheduled per 15-minute interval over `range` (of a team's agents when
    /// given), from their schedules (see [`scheduled_agents_per_interval`]); needs
    /// `StatsRead`.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`] for the team; [`Error::Invalid`]
    /// (`range`).
    pub async fn scheduled_staff(
        &self,
        actor: &Actor,
        team: Option<TeamId>,
        range: Span,
    ) -> Result<Vec<IntervalStaff>> {
        self.require(actor, Permission::StatsRead)?;
        check_range(range)?;
        let schedules = self.team_schedules(actor.tenant(), team).await?;
        scheduled_agents_per_interval(&schedules, range)
    }

    /// The shift schedules of a team's agents, or of every agent when `team` is `None`
    /// (callers check the permission).
    ///
    /// # Errors
    /// [`Error::NotFound`] for the team.
    pub(crate) async fn team_schedules(
        &self,
        tenant: TenantId,
        team: Option<TeamId>,
    ) -> Result<Vec<ShiftSchedule>> {
        let store = &self.inner.store;
        let users: Vec<UserId> = match team {
            Some(team) => {
                store.get_team(tenant, team).await?;
                let members: Vec<UserId> = store
                    .agent_loads(tenant, Some(team))
                    .await?
                    .into_iter()
                    .map(|l| l.user_id)
                    .collect();
                if members.is_empty() {
                    return Ok(Vec::new());
                }
                members
            }
            None => Vec::new(),
        };
        store.list_schedules(tenant, &users).await
    }

    /// Ends the open shifts whose scheduled shift ended [`SHIFT_END_GRACE`] ago or more
    /// (across tenants, at most `limit`): each ends at the scheduled end and its agent
    /// goes offline. Agents without a schedule, or scheduled now, keep their shift.
    /// Returns how many were ended. A host calls it on a timer; safe on several
    /// instances (each end is a versioned write; a lost race is skipped).
    ///
    /// # Errors
    /// [`Error::Store`] when the open shifts cannot be read.
    pub async fn end_finished_shifts(&self, limit: u32) -> Result<u32> {
        let now = self.now();
        let store = &self.inner.store;
        let mut ended = 0;
        for mut record in store.open_shifts(now - SHIFT_END_GRACE, limit).await? {
            let Ok(Some(schedule)) = store.get_schedule(record.tenant, record.user).await else {
                continue;
            };
            let Some(end) = scheduled_end(&schedule, &record, now) else {
                continue;
            };
            let expected = record.version;
            if record.end(end, true).is_err()
                || store.save_shift(&record, Some(expected)).await.is_err()
            {
                continue;
            }
            if let Ok(mut user) = store.get_user(record.tenant, record.user).await {
                // The next shift event sets it again should this write lose a race.
                let _ = self.follow_shift(&mut user, &record).await;
            }
            ended += 1;
        }
        Ok(ended)
    }
}

/// When the scheduled shift that `record` works ended, if it ended [`SHIFT_END_GRACE`]
/// before `now` or earlier and no scheduled shift is on now.
fn scheduled_end(
    schedule: &ShiftSchedule,
    record: &ShiftRecord,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let window = Span::new(record.started_at - Duration::hours(12), now);
    let shifts = schedule.shifts_between(window).ok()?;
    if shifts
        .iter()
        .any(|s| Span::new(s.start, s.end).contains(now))
    {
        return None;
    }
    shifts
        .iter()
        .map(|s| s.end)
        .filter(|end| *end > record.started_at && *end + SHIFT_END_GRACE <= now)
        .max()
}
