//! Replays a ticket's history into the cycles of each target.

use super::cycle::{Cycle, CycleKey};
use crate::event::{AuthorKind, EventKind, SlaTarget, TicketEvent};
use crate::sla::{BusinessCalendar, SlaTargets};
use crate::ticket::Visibility;
use crate::workflow::{SlaClock, Workflow};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What a replay of a ticket's history has built so far: owned data, kept on the
/// ticket (see [`super::SlaReplay`]) so the next change replays only its own events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ReplayState {
    /// The clock of the current status (`None`: `Pause`, before the ticket exists).
    #[serde(default)]
    clock: Option<SlaClock>,
    #[serde(default)]
    created: bool,
    #[serde(default)]
    pub(super) first_response: Option<Cycle>,
    /// Every next-response cycle, oldest first.
    #[serde(default)]
    pub(super) next_responses: Vec<Cycle>,
    #[serde(default)]
    pub(super) resolution: Option<Cycle>,
    #[serde(default)]
    pub(super) warned: BTreeSet<CycleKey>,
    #[serde(default)]
    pub(super) breached: BTreeSet<CycleKey>,
}

/// The cycles of every target, built event by event.
pub(super) struct Replay<'a> {
    calendar: &'a BusinessCalendar,
    workflow: &'a Workflow,
    targets: SlaTargets,
    pub(super) state: ReplayState,
}

impl<'a> Replay<'a> {
    /// Goes on from `state` (`ReplayState::default()`: nothing replayed yet).
    pub(super) fn resume(
        calendar: &'a BusinessCalendar,
        workflow: &'a Workflow,
        targets: SlaTargets,
        state: ReplayState,
    ) -> Self {
        Self {
            calendar,
            workflow,
            targets,
            state,
        }
    }

    /// The clock of the current status.
    fn clock(&self) -> SlaClock {
        self.state.clock.unwrap_or(SlaClock::Pause)
    }

    /// Applies one event.
    pub(super) fn apply(&mut self, event: &TicketEvent) {
        let at = event.at;
        match &event.kind {
            EventKind::Created { status, .. } => self.created(at, self.workflow.clock_of(status)),
            EventKind::StatusChanged { to, .. } => {
                self.clock_changed(at, self.workflow.clock_of(to))
            }
            EventKind::Commented {
                visibility: Visibility::Public,
                author,
                ..
            } => self.replied(at, *author),
            EventKind::SlaWarning { target, cycle } => {
                self.state.warned.insert((*target, *cycle));
            }
            EventKind::SlaBreached { target, cycle } => {
                self.state.breached.insert((*target, *cycle));
            }
            _ => {}
        }
    }

    /// The ticket was raised at `at` in a status with `clock`: first response and
    /// resolution start (only the first `Created` counts).
    fn created(&mut self, at: DateTime<Utc>, clock: SlaClock) {
        if self.state.created {
            return;
        }
        self.state.created = true;
        self.state.clock = Some(SlaClock::Pause);
        let start = |target, minutes| Cycle::start(target, 0, minutes, at, false);
        self.state.first_response = self
            .targets
            .first_response_minutes
            .map(|m| start(SlaTarget::FirstResponse, m));
        self.state.resolution = self
            .targets
            .resolution_minutes
            .map(|m| start(SlaTarget::Resolution, m));
        self.clock_changed(at, clock);
    }

    /// The ticket entered a status whose clock is `clock` at `at`.
    fn clock_changed(&mut self, at: DateTime<Utc>, clock: SlaClock) {
        let previous = self.state.clock.replace(clock).unwrap_or(SlaClock::Pause);
        if !self.state.created || previous == clock {
            return;
        }
        if previous == SlaClock::Stop {
            self.reopened(at, clock == SlaClock::Run);
        }
        let calendar = self.calendar;
        for cycle in self.open_cycles() {
            if clock == SlaClock::Run {
                cycle.resume(at);
            } else {
                cycle.pause(at, calendar);
            }
        }
        if clock == SlaClock::Stop {
            self.stopped(at);
        }
    }

    /// Entering a stopping status: resolution is met, response targets are cancelled.
    fn stopped(&mut self, at: DateTime<Utc>) {
        let calendar = self.calendar;
        for cycle in self.open_response_cycles() {
            cycle.cancel(at, calendar);
        }
        if let Some(resolution) = self.state.resolution.as_mut().filter(|c| c.is_open()) {
            resolution.meet(at, calendar);
        }
    }

    /// Leaving a stopping status: resolution counts again from where it stopped.
    fn reopened(&mut self, at: DateTime<Utc>, running: bool) {
        if let Some(resolution) = self.state.resolution.as_mut().filter(|c| c.is_met()) {
            resolution.reopen(at, running);
        }
    }

    /// A public reply by `author` at `at`.
    fn replied(&mut self, at: DateTime<Utc>, author: AuthorKind) {
        match author {
            AuthorKind::Staff => {
                let calendar = self.calendar;
                for cycle in self.open_response_cycles() {
                    cycle.meet(at, calendar);
                }
            }
            AuthorKind::Requester => self.requester_replied(at),
            AuthorKind::System => {}
        }
    }

    /// Starts a next-response cycle unless a response is already awaited or the ticket
    /// is stopped.
    fn requester_replied(&mut self, at: DateTime<Utc>) {
        let Some(minutes) = self.targets.next_response_minutes else {
            return;
        };
        let awaiting = self
            .state
            .first_response
            .iter()
            .chain(self.state.next_responses.last())
            .any(Cycle::is_open);
        if !self.state.created || awaiting || self.clock() == SlaClock::Stop {
            return;
        }
        let number = u32::try_from(self.state.next_responses.len() + 1).unwrap_or(u32::MAX);
        let running = self.clock() == SlaClock::Run;
        self.state.next_responses.push(Cycle::start(
            SlaTarget::NextResponse,
            number,
            minutes,
            at,
            running,
        ));
    }

    /// The open first-response and next-response cycles.
    fn open_response_cycles(&mut self) -> impl Iterator<Item = &mut Cycle> {
        let s = &mut self.state;
        s.first_response
            .iter_mut()
            .chain(s.next_responses.last_mut())
            .filter(|c| c.is_open())
    }

    /// Every open cycle.
    fn open_cycles(&mut self) -> impl Iterator<Item = &mut Cycle> {
        let s = &mut self.state;
        s.first_response
            .iter_mut()
            .chain(s.next_responses.last_mut())
            .chain(s.resolution.iter_mut())
            .filter(|c| c.is_open())
    }
}
