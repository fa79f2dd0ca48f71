//! Statuses and transitions as data. A [`Workflow`] names its statuses, puts each in a
//! fixed [`StatusCategory`] and says what the SLA clock does there; transitions list who
//! may move a ticket from one status to another.

use crate::account::Role;
use crate::error::{Error, Result};
use crate::text::Status;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The fixed category of a status: what it means, whatever an embedder calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusCategory {
    /// Not looked at yet.
    New,
    /// Being worked on.
    Open,
    /// Waiting on someone else (the customer, a supplier).
    Pending,
    /// Answered; the customer may still reopen.
    Solved,
    /// Finished for good.
    Closed,
}

impl StatusCategory {
    /// Whether tickets in this category count as open work (New, Open, Pending).
    #[must_use]
    pub fn is_open(self) -> bool {
        matches!(self, Self::New | Self::Open | Self::Pending)
    }

    /// Every category, in order.
    pub const ALL: [StatusCategory; 5] = [
        Self::New,
        Self::Open,
        Self::Pending,
        Self::Solved,
        Self::Closed,
    ];
}

/// What the SLA clock does while a ticket is in a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaClock {
    /// Business time counts.
    Run,
    /// Business time does not count; it resumes when the ticket leaves the status.
    Pause,
    /// The resolution target is met; the clock stops (a reopen starts it again).
    Stop,
}

/// One status of a workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusDef {
    /// Its wire name.
    pub name: Status,
    /// What it means.
    pub category: StatusCategory,
    /// What the SLA clock does in it.
    pub sla_clock: SlaClock,
}

/// An allowed move between two statuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// From this status.
    pub from: Status,
    /// To this status.
    pub to: Status,
    /// The roles that may make it (the system actor always may).
    pub roles: BTreeSet<Role>,
}

/// Statuses, transitions and automatic moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workflow {
    statuses: Vec<StatusDef>,
    initial: Status,
    transitions: Vec<Transition>,
    /// Automatic moves when the requester replies publicly (e.g. pending → open).
    pub on_customer_reply: BTreeMap<Status, Status>,
    /// Automatic moves when staff reply publicly (e.g. new → open).
    pub on_agent_reply: BTreeMap<Status, Status>,
}

impl Workflow {
    /// Builds a workflow, checking that names are unique, the initial status exists and
    /// every transition and automatic move names known statuses.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the first inconsistency.
    pub fn new(
        statuses: Vec<StatusDef>,
        initial: Status,
        transitions: Vec<Transition>,
        on_customer_reply: BTreeMap<Status, Status>,
        on_agent_reply: BTreeMap<Status, Status>,
    ) -> Result<Self> {
        let names: BTreeSet<&Status> = statuses.iter().map(|s| &s.name).collect();
        if names.len() != statuses.len() {
            return Err(Error::invalid("statuses", "status names must be unique"));
        }
        if !names.contains(&initial) {
            return Err(Error::invalid("initial", "must be one of the statuses"));
        }
        let known = |s: &Status| names.contains(s);
        for t in &transitions {
            if !known(&t.from) || !known(&t.to) {
                return Err(Error::invalid(
                    "transitions",
                    format!("{} -> {} names an unknown status", t.from, t.to),
                ));
            }
        }
        for (a, b) in on_customer_reply.iter().chain(on_agent_reply.iter()) {
            if !known(a) || !known(b) {
                return Err(Error::invalid(
                    "automatic",
                    format!("{a} -> {b} names an unknown status"),
                ));
            }
        }
        Ok(Self {
            statuses,
            initial,
            transitions,
            on_customer_reply,
            on_agent_reply,
        })
    }

    /// The default workflow: New, Open, InProgress, Pending (pauses SLA), Resolved (stops
    /// it) and Closed. Customers may resolve or reopen their own tickets; only admins
    /// reopen a closed ticket; a customer reply to a pending ticket moves it back to open;
    /// a first staff reply moves a new ticket to open.
    #[must_use]
    pub fn default_workflow() -> Self {
        use Role::{Admin, Agent, Customer, SuperAdmin};
        let def = |name: &'static str, category, sla_clock| StatusDef {
            name: Status::known(name),
            category,
            sla_clock,
        };
        let statuses = vec![
            def("new", StatusCategory::New, SlaClock::Run),
            def("open", StatusCategory::Open, SlaClock::Run),
            def("in_progress", StatusCategory::Open, SlaClock::Run),
            def("pending", StatusCategory::Pending, SlaClock::Pause),
            def("resolved", StatusCategory::Solved, SlaClock::Stop),
            def("closed", StatusCategory::Closed, SlaClock::Stop),
        ];
        let staff: BTreeSet<Role> = [Agent, Admin, SuperAdmin].into();
        let everyone: BTreeSet<Role> = [Customer, Agent, Admin, SuperAdmin].into();
        let admins: BTreeSet<Role> = [Admin, SuperAdmin].into();
        let t = |from: &'static str, to: &'static str, roles: &BTreeSet<Role>| Transition {
            from: Status::known(from),
            to: Status::known(to),
            roles: roles.clone(),
        };
        let mut transitions = Vec::new();
        for (from, to) in [
            ("new", "open"),
            ("new", "in_progress"),
            ("new", "pending"),
            ("open", "in_progress"),
            ("open", "pending"),
            ("in_progress", "open"),
            ("in_progress", "pending"),
            ("pending", "open"),
            ("pending", "in_progress"),
            ("resolved", "closed"),
        ] {
            transitions.push(t(from, to, &staff));
        }
        for from in ["new", "open", "in_progress", "pending"] {
            transitions.push(t(from, "resolved", &everyone));
        }
        transitions.push(t("resolved", "open", &everyone));
        transitions.push(t("closed", "open", &admins));
        let on_customer_reply = [(Status::known("pending"), Status::known("open"))].into();
        let on_agent_reply = [(Status::known("new"), Status::known("open"))].into();
        Self {
            statuses,
            initial: Status::known("new"),
            transitions,
            on_customer_reply,
            on_agent_reply,
        }
    }

    /// The status a new ticket starts in.
    #[must_use]
    pub fn initial(&self) -> &StatusDef {
        self.status(&self.initial).unwrap_or(&self.statuses[0])
    }

    /// Every status.
    #[must_use]
    pub fn statuses(&self) -> &[StatusDef] {
        &self.statuses
    }

    /// Every transition.
    #[must_use]
    pub fn transitions(&self) -> &[Transition] {
        &self.transitions
    }

    /// The definition of `name`, if the workflow has it.
    #[must_use]
    pub fn status(&self, name: &Status) -> Option<&StatusDef> {
        self.statuses.iter().find(|s| &s.name == name)
    }

    /// The definition of `name`.
    ///
    /// # Errors
    /// [`Error::Invalid`] on `status` when the workflow has no such status.
    pub fn require(&self, name: &Status) -> Result<&StatusDef> {
        self.status(name)
            .ok_or_else(|| Error::invalid("status", format!("unknown status '{name}'")))
    }

    /// Checks that `role` (`None` = the system) may move a ticket from `from` to `to`.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an unknown target status; [`Error::InvalidTransition`] when
    /// no transition allows it (including `from == to`).
    pub fn check(&self, from: &Status, to: &Status, role: Option<Role>) -> Result<&StatusDef> {
        let target = self.require(to)?;
        let allowed = self
            .transitions
            .iter()
            .any(|t| &t.from == from && &t.to == to && role.is_none_or(|r| t.roles.contains(&r)));
        if allowed {
            Ok(target)
        } else {
            Err(Error::InvalidTransition {
                from: from.to_string(),
                to: to.to_string(),
            })
        }
    }

    /// The category of `name` ([`StatusCategory::Open`] for a name the workflow no longer
    /// has, so old data never breaks reads).
    #[must_use]
    pub fn category_of(&self, name: &Status) -> StatusCategory {
        self.status(name)
            .map_or(StatusCategory::Open, |s| s.category)
    }

    /// What the SLA clock does in `name`.
    #[must_use]
    pub fn clock_of(&self, name: &Status) -> SlaClock {
        self.status(name).map_or(SlaClock::Run, |s| s.sla_clock)
    }

    /// The statuses of a category.
    pub fn in_category(&self, category: StatusCategory) -> impl Iterator<Item = &StatusDef> {
        self.statuses.iter().filter(move |s| s.category == category)
    }
}

impl Default for Workflow {
    fn default() -> Self {
        Self::default_workflow()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Role::{Admin, Agent, Customer, SuperAdmin};

    fn s(x: &'static str) -> Status {
        Status::known(x)
    }

    #[test]
    fn default_workflow_transition_table() {
        let w = Workflow::default_workflow();
        let names = [
            "new",
            "open",
            "in_progress",
            "pending",
            "resolved",
            "closed",
        ];
        // (from, to, customer, agent, admin)
        let allowed: &[(&str, &str, bool, bool, bool)] = &[
            ("new", "open", false, true, true),
            ("new", "in_progress", false, true, true),
            ("new", "pending", false, true, true),
            ("new", "resolved", true, true, true),
            ("open", "in_progress", false, true, true),
            ("open", "pending", false, true, true),
            ("open", "resolved", true, true, true),
            ("in_progress", "open", false, true, true),
            ("in_progress", "pending", false, true, true),
            ("in_progress", "resolved", true, true, true),
            ("pending", "open", false, true, true),
            ("pending", "in_progress", false, true, true),
            ("pending", "resolved", true, true, true),
            ("resolved", "open", true, true, true),
            ("resolved", "closed", false, true, true),
            ("closed", "open", false, false, true),
        ];
        for from in names {
            for to in names {
                let expect = allowed.iter().find(|(f, t, ..)| *f == from && *t == to);
                for (i, role) in [Customer, Agent, Admin, SuperAdmin].into_iter().enumerate() {
                    let want = expect.is_some_and(|e| [e.2, e.3, e.4, e.4][i]);
                    let got = w.check(&s(from), &s(to), Some(role)).is_ok();
                    assert_eq!(got, want, "{from} -> {to} as {role:?}");
                }
                assert_eq!(
                    w.check(&s(from), &s(to), None).is_ok(),
                    expect.is_some(),
                    "system {from} -> {to}"
                );
            }
        }
    }

    #[test]
    fn unknown_status_is_invalid_not_a_transition_error() {
        let w = Workflow::default_workflow();
        assert!(matches!(
            w.check(&s("new"), &s("nope"), None),
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            w.check(&s("new"), &s("closed"), None),
            Err(Error::InvalidTransition { .. })
        ));
    }

    #[test]
    fn custom_workflow_with_waiting_for_parts() {
        let mut statuses = Workflow::default_workflow().statuses().to_vec();
        statuses.push(StatusDef {
            name: s("waiting_for_parts"),
            category: StatusCategory::Pending,
            sla_clock: SlaClock::Pause,
        });
        let roles: BTreeSet<Role> = [Agent].into();
        let w = Workflow::new(
            statuses,
            s("new"),
            vec![Transition {
                from: s("open"),
                to: s("waiting_for_parts"),
                roles,
            }],
            BTreeMap::new(),
            BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(
            w.category_of(&s("waiting_for_parts")),
            StatusCategory::Pending
        );
        assert!(w
            .check(&s("open"), &s("waiting_for_parts"), Some(Agent))
            .is_ok());
        assert!(w
            .check(&s("open"), &s("waiting_for_parts"), Some(Customer))
            .is_err());
        assert!(Workflow::new(vec![], s("new"), vec![], BTreeMap::new(), BTreeMap::new()).is_err());
    }
}
