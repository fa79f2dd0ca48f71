//! Assignment strategies: pure functions from a ticket and the agents' loads to an
//! assignee.

use crate::account::Availability;
use crate::id::{TeamId, UserId};
use crate::text::{Tag, Tags};
use crate::ticket::Ticket;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::cmp::Ordering;

/// How to pick an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignStrategy {
    /// The eligible agent assigned longest ago (never-assigned first), so work rotates.
    /// The `HelpDesk` fills [`AgentLoad::last_assigned_at`] from the store's rotation of
    /// the team (when each agent was last picked), not from the tickets they hold.
    RoundRobin,
    /// The eligible agent with the lowest open tickets ÷ capacity.
    LeastLoaded,
    /// The eligible agent whose skills share the most tags with the ticket, tie-broken by
    /// load; when nobody shares a tag, least loaded.
    SkillsMatch,
}

/// What routing knows of one agent, computed by the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentLoad {
    /// The agent.
    pub user_id: UserId,
    /// Availability.
    pub availability: Availability,
    /// The most open tickets they should hold.
    pub capacity: u32,
    /// Working tickets assigned to them now: those that count against capacity
    /// ([`crate::workforce::is_working`]: New or Open, their SLA clock running).
    pub open_tickets: u32,
    /// Their skills.
    pub skills: Tags,
    /// Their teams.
    pub teams: Vec<TeamId>,
    /// When they last got a ticket.
    pub last_assigned_at: Option<DateTime<Utc>>,
}

impl AgentLoad {
    /// Online, with spare capacity, and in the ticket's team when it has one.
    #[must_use]
    pub fn is_eligible_for(&self, ticket: &Ticket) -> bool {
        self.takes_work() && self.serves_team_of(ticket)
    }

    /// Online with spare capacity (reads only the agent's inline fields).
    #[must_use]
    pub fn takes_work(&self) -> bool {
        self.availability == Availability::Online && self.open_tickets < self.capacity
    }

    /// In the ticket's team, or the ticket has none.
    fn serves_team_of(&self, ticket: &Ticket) -> bool {
        match ticket.team {
            Some(team) => self.teams.contains(&team),
            None => true,
        }
    }

    /// Compares the loads (open tickets ÷ capacity) of two agents exactly, by
    /// cross-multiplication; `Less` when `self` is less loaded. A capacity of zero counts
    /// as fully loaded.
    #[must_use]
    pub fn cmp_load(&self, other: &Self) -> Ordering {
        if self.capacity == 0 || other.capacity == 0 {
            return (self.capacity == 0).cmp(&(other.capacity == 0));
        }
        let mine = u64::from(self.open_tickets) * u64::from(other.capacity);
        let theirs = u64::from(other.open_tickets) * u64::from(self.capacity);
        mine.cmp(&theirs)
    }
}

/// Picks the assignee for `ticket` among `agents` with `strategy`; `None` when nobody is
/// eligible (online, spare capacity, in the ticket's team when it has one). Ties break
/// deterministically (finally by user id), whatever the order of `agents`.
///
/// One pass over `agents`, no allocation. An agent who could not beat the best so far
/// even at best (all their skills matching) is passed over without reading their teams or
/// skills, so most agents cost one comparison of inline fields; counting shared skills
/// stops as soon as the agent cannot match as many as the best so far.
#[must_use]
pub fn choose_assignee(
    strategy: AssignStrategy,
    ticket: &Ticket,
    agents: &[AgentLoad],
) -> Option<UserId> {
    let needs = needed_skills(ticket);
    let mut best: Option<Candidate<'_>> = None;
    for agent in agents.iter().filter(|agent| agent.takes_work()) {
        let beats_best =
            |c: &Candidate<'_>| best.as_ref().is_none_or(|b| c.cmp_for(strategy, b).is_lt());
        if !beats_best(&Candidate::at_best(strategy, &needs, agent)) {
            continue;
        }
        let need = best.as_ref().map_or(0, |b| b.shared);
        let Some(candidate) = Candidate::new(strategy, &needs, agent, need) else {
            continue;
        };
        // Last: the team check reads the agent's team list, off the agent itself.
        if beats_best(&candidate) && agent.serves_team_of(ticket) {
            best = Some(candidate);
        }
    }
    best.map(|b| b.agent.user_id)
}

/// What skills-match looks for in an agent's skills: the ticket's tags plus the skills
/// its classification proposed (beyond [`Tags::MAX`] the tags win). Borrowed when the
/// classification proposed none.
#[must_use]
pub fn needed_skills(ticket: &Ticket) -> Cow<'_, Tags> {
    match ticket.classification.as_ref().map(|c| c.skills.as_slice()) {
        Some(skills) if !skills.is_empty() => Cow::Owned(
            ticket
                .tags
                .with(skills)
                .unwrap_or_else(|_| ticket.tags.clone()),
        ),
        _ => Cow::Borrowed(&ticket.tags),
    }
}

/// Why `agent` was chosen for `ticket`, for the history: "assigned to ann: skills
/// billing, refunds; load 3/10" (skills-match names the shared skills; every strategy
/// gives the load before the assignment).
#[must_use]
pub fn explain_assignment(
    strategy: AssignStrategy,
    ticket: &Ticket,
    agent: &AgentLoad,
    name: &str,
) -> String {
    let load = format!("load {}/{}", agent.open_tickets, agent.capacity);
    match strategy {
        AssignStrategy::SkillsMatch => {
            let needs = needed_skills(ticket);
            let shared: Vec<&str> = needs
                .iter()
                .filter(|t| agent.skills.contains(t))
                .map(Tag::as_str)
                .collect();
            if shared.is_empty() {
                format!("assigned to {name}: no skill matched; {load}")
            } else {
                format!("assigned to {name}: skills {}; {load}", shared.join(", "))
            }
        }
        AssignStrategy::LeastLoaded => format!("assigned to {name}: least loaded; {load}"),
        AssignStrategy::RoundRobin => format!("assigned to {name}: next in rotation; {load}"),
    }
}

/// An eligible agent with what the strategy needs to know of them.
struct Candidate<'a> {
    agent: &'a AgentLoad,
    /// Tags shared with the ticket (only computed for skills-match).
    shared: usize,
}

impl<'a> Candidate<'a> {
    /// `agent` as `strategy` sees them for `ticket`; `None` when they share fewer than
    /// `need` tags with it (only skills-match counts shared tags).
    fn new(
        strategy: AssignStrategy,
        needs: &Tags,
        agent: &'a AgentLoad,
        need: usize,
    ) -> Option<Self> {
        let shared = match strategy {
            AssignStrategy::SkillsMatch => shared_tags(needs, &agent.skills, need)?,
            AssignStrategy::RoundRobin | AssignStrategy::LeastLoaded => 0,
        };
        Some(Self { agent, shared })
    }

    /// `agent` at best: an upper bound on the shared tags from the tag-set signatures,
    /// known without reading the tags; exact for the strategies that ignore skills.
    fn at_best(strategy: AssignStrategy, needs: &Tags, agent: &'a AgentLoad) -> Self {
        let shared = match strategy {
            AssignStrategy::SkillsMatch => needs.overlap_bound(&agent.skills),
            AssignStrategy::RoundRobin | AssignStrategy::LeastLoaded => 0,
        };
        Self { agent, shared }
    }

    /// `Less` when `self` should get the ticket before `other`.
    fn cmp_for(&self, strategy: AssignStrategy, other: &Self) -> Ordering {
        match strategy {
            AssignStrategy::RoundRobin => self.cmp_rotation(other),
            AssignStrategy::LeastLoaded => self.cmp_least_loaded(other),
            AssignStrategy::SkillsMatch => other
                .shared
                .cmp(&self.shared)
                .then_with(|| self.cmp_least_loaded(other)),
        }
    }

    /// Lower load first, then round-robin order.
    fn cmp_least_loaded(&self, other: &Self) -> Ordering {
        self.agent
            .cmp_load(other.agent)
            .then_with(|| self.cmp_rotation(other))
    }

    /// Assigned longest ago first (never assigned before anyone), then by user id.
    fn cmp_rotation(&self, other: &Self) -> Ordering {
        // `None < Some(_)`: an agent never assigned comes first.
        (self.agent.last_assigned_at, self.agent.user_id)
            .cmp(&(other.agent.last_assigned_at, other.agent.user_id))
    }
}

/// How many of the ticket's tags are among the agent's skills; `None` as soon as it is
/// clear that fewer than `need` are (so most agents are turned away after one tag). Both
/// sets hold at most [`Tags::MAX`] tags, and tag equality compares lengths before text.
/// No allocation.
fn shared_tags(ticket: &Tags, skills: &Tags, need: usize) -> Option<usize> {
    if ticket.overlap_bound(skills) < need {
        return None;
    }
    let skills = skills.as_slice();
    let mut shared = 0;
    for (seen, tag) in ticket.iter().enumerate() {
        if shared + (ticket.len() - seen) < need {
            return None;
        }
        shared += usize::from(skills.contains(tag));
    }
    (shared >= need).then_some(shared)
}

#[cfg(test)]
mod tests;
