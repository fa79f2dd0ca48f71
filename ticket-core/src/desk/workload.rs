//! Workload: what each agent and each team holds against their capacity, from the
//! store's agent loads.

use super::HelpDesk;
use crate::account::{Actor, Availability};
use crate::error::Result;
use crate::id::TeamId;
use crate::rbac::Permission;
use crate::routing::AgentLoad;
use serde::{Deserialize, Serialize};

/// One agent's workload.
pub type AgentWorkload = AgentLoad;

/// A team's workload: its agents summed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamWorkload {
    /// The team.
    pub team_id: TeamId,
    /// Its agents.
    pub agents: u32,
    /// Of them, online (taking work).
    pub online: u32,
    /// Working tickets its agents hold (each agent counted once per team).
    pub working_tickets: u64,
    /// The capacity of its online agents.
    pub online_capacity: u64,
    /// Free slots of its online agents (capacity minus working tickets, never below 0
    /// per agent).
    pub free_slots: u64,
}

/// The workload of the desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workload {
    /// Every agent, by user id.
    pub agents: Vec<AgentWorkload>,
    /// Every team with agents, by team id.
    pub teams: Vec<TeamWorkload>,
}

/// Sums `agents` per team.
#[must_use]
pub fn team_workloads(agents: &[AgentLoad]) -> Vec<TeamWorkload> {
    let mut teams: std::collections::BTreeMap<TeamId, TeamWorkload> = Default::default();
    for a in agents {
        let online = a.availability == Availability::Online;
        for team in &a.teams {
            let t = teams.entry(*team).or_insert(TeamWorkload {
                team_id: *team,
                agents: 0,
                online: 0,
                working_tickets: 0,
                online_capacity: 0,
                free_slots: 0,
            });
            t.agents += 1;
            t.working_tickets += u64::from(a.open_tickets);
            if online {
                t.online += 1;
                t.online_capacity += u64::from(a.capacity);
                t.free_slots += u64::from(a.capacity.saturating_sub(a.open_tickets));
            }
        }
    }
    teams.into_values().collect()
}

impl HelpDesk {
    /// Every agent's load and every team's sum (needs `StatsRead`), of one team's agents
    /// when `team` is given.
    ///
    /// # Errors
    /// [`Error::Forbidden`](crate::Error::Forbidden); [`Error::Store`](crate::Error::Store).
    pub async fn workload(&self, actor: &Actor, team: Option<TeamId>) -> Result<Workload> {
        self.require(actor, Permission::StatsRead)?;
        let mut agents = self.inner.store.agent_loads(actor.tenant(), team).await?;
        agents.sort_by_key(|a| a.user_id);
        let mut teams = team_workloads(&agents);
        if let Some(team) = team {
            teams.retain(|t| t.team_id == team);
        }
        Ok(Workload { agents, teams })
    }
}
