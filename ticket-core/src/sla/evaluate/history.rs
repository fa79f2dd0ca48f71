//! Replays a ticket's history into the cycles of each target.

use super::cycle::{Cycle, CycleKey};
use crate::event::{AuthorKind, EventKind, SlaTarget, TicketEvent};
use crate::sla::{BusinessCalendar, SlaTargets};
use crate::ticket::Visibility;
use crate::workflow::{SlaClock, Workflow};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

/// The cycles of every target, built event by event.
pub(super) struct Replay<'a> {
    calendar: &'a BusinessCalendar,
    workflow: &'a Workflow,
    targets: SlaTargets,
    /// The clock of the current status (`Pause` before the ticket exists).
    clock: SlaClock,
    created: bool,
    pub(super) first_response: Option<Cycle>,
    /// Every next-response cycle, oldest first.
    pub(super) next_responses: Vec<Cycle>,
    pub(super) resolution: Option<Cycle>,
    pub(super) warned: BTreeSet<CycleKey>,
    pub(super) breached: BTreeSet<CycleKey>,
}

impl<'a> Replay<'a> {
    /// Nothing replayed yet.
    pub(super) fn new(
        calendar: &'a BusinessCalendar,
        workflow: &'a Workflow,
        targets: SlaTargets,
    ) -> Self {
        Self {
            calendar,
            workflow,
            targets,
            clock: SlaClock::Pause,
            created: false,
            first_response: None,
            next_responses: Vec::new(),
            resolution: None,
            warned: BTreeSet::new(),
            breached: BTreeSet::new(),
        }
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
                self.warned.insert((*target, *cycle));
            }
            EventKind::SlaBreached { target, cycle } => {
                self.breached.insert((*target, *cycle));
            }
            _ => {}
        }
    }

    /// The ticket was raised at `at` in a status with `clock`: first response and
    /// resolution start (only the first `Created` counts).
    fn created(&mut self, at: DateTime<Utc>, clock: SlaClock) {
        if self.created {
            return;
        }
        self.created = true;
        self.clock = SlaClock::Pause;
        let start = |target, minutes| Cycle::start(target, 0, minutes, at, false);
        self.first_response = self
            .targets
            .first_response_minutes
            .map(|m| start(SlaTarget::FirstResponse, m));
        self.resolution = self
            .targets
            .resolution_minutes
            .map(|m| start(SlaTarget::Resolution, m));
        self.clock_changed(at, clock);
    }

    /// The ticket entered a status whose clock is `clock` at `at`.
    fn clock_changed(&mut self, at: DateTime<Utc>, clock: SlaClock) {
        let previous = std::mem::replace(&mut self.clock, clock);
        if !self.created || previous == clock {
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
        if let Some(resolution) = self.resolution.as_mut().filter(|c| c.is_open()) {
            resolution.meet(at, calendar);
        }
    }

    /// Leaving a stopping status: resolution counts again from where it stopped.
    fn reopened(&mut self, at: DateTime<Utc>, running: bool) {
        if let Some(resolution) = self.resolution.as_mut().filter(|c| c.is_met()) {
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
            .first_response
            .iter()
            .chain(self.next_responses.last())
            .any(Cycle::is_open);
        if !self.created || awaiting || self.clock == SlaClock::Stop {
            return;
        }
        let number = u32::try_from(self.next_responses.len() + 1).unwrap_or(u32::MAX);
        let running = self.clock == SlaClock::Run;
        self.next_responses.push(Cycle::start(
            SlaTarget::NextResponse,
            number,
            minutes,
            at,
            running,
        ));
    }

    /// The open first-response and next-response cycles.
    fn open_response_cycles(&mut self) -> impl Iterator<Item = &mut Cycle> {
        self.first_response
            .iter_mut()
            .chain(self.next_responses.last_mut())
            .filter(|c| c.is_open())
    }

    /// Every open cycle.
    fn open_cycles(&mut self) -> impl Iterator<Item = &mut Cycle> {
        self.first_response
            .iter_mut()
            .chain(self.next_responses.last_mut())
            .chain(self.resolution.iter_mut())
            .filter(|c| c.is_open())
    }
}
