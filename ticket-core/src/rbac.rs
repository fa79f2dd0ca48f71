//! Role-based access control as data: [`Permission`]s and the role → permissions
//! [`Policy`]. Every `HelpDesk` use case checks it; the HTTP layer never re-implements it.

use crate::account::{Actor, Role};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One thing an actor may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Raise a ticket.
    TicketCreate,
    /// Read, comment on and transition tickets one requested.
    TicketOwn,
    /// Read every ticket of the tenant.
    TicketReadAll,
    /// Change a ticket's fields (title, priority, category, tags, custom fields).
    TicketUpdate,
    /// Assign a ticket to a team or an agent.
    TicketAssign,
    /// Take an unassigned ticket.
    TicketClaim,
    /// Reply publicly on any ticket and move tickets through the workflow.
    TicketWork,
    /// Write and read internal notes.
    TicketInternal,
    /// Distribute tickets to a team.
    TicketDistribute,
    /// Notify a team, user or third party about a ticket.
    TicketNotify,
    /// Delete a ticket.
    TicketDelete,
    /// Read the desk's statistics.
    StatsRead,
    /// List and read user accounts.
    UsersRead,
    /// Create, change and delete customers and agents.
    UsersManage,
    /// Create, change and delete admins and super-admins.
    AdminsManage,
    /// Manage teams.
    TeamsManage,
    /// Manage SLA policies and business calendars.
    SlaManage,
    /// Manage automation rules.
    RulesManage,
    /// Manage FAQ entries.
    FaqManage,
    /// See and retry outbound deliveries.
    DeliveriesManage,
    /// Retrain the classifier from the desk's tickets.
    AiManage,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 21] = [
        Self::TicketCreate,
        Self::TicketOwn,
        Self::TicketReadAll,
        Self::TicketUpdate,
        Self::TicketAssign,
        Self::TicketClaim,
        Self::TicketWork,
        Self::TicketInternal,
        Self::TicketDistribute,
        Self::TicketNotify,
        Self::TicketDelete,
        Self::StatsRead,
        Self::UsersRead,
        Self::UsersManage,
        Self::AdminsManage,
        Self::TeamsManage,
        Self::SlaManage,
        Self::RulesManage,
        Self::FaqManage,
        Self::DeliveriesManage,
        Self::AiManage,
    ];
}

/// Which role holds which permissions. The default is below; an embedder may build its
/// own with [`Policy::grant`] and [`Policy::revoke`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    grants: BTreeMap<Role, BTreeSet<Permission>>,
}

impl Policy {
    /// A policy that grants nothing.
    #[must_use]
    pub fn empty() -> Self {
        Self {
            grants: BTreeMap::new(),
        }
    }

    /// Grants `perms` to `role`.
    #[must_use]
    pub fn grant(mut self, role: Role, perms: &[Permission]) -> Self {
        self.grants
            .entry(role)
            .or_default()
            .extend(perms.iter().copied());
        self
    }

    /// Revokes `perms` from `role`.
    #[must_use]
    pub fn revoke(mut self, role: Role, perms: &[Permission]) -> Self {
        if let Some(set) = self.grants.get_mut(&role) {
            for p in perms {
                set.remove(p);
            }
        }
        self
    }

    /// Whether `role` holds `perm`.
    #[must_use]
    pub fn allows(&self, role: Role, perm: Permission) -> bool {
        self.grants.get(&role).is_some_and(|s| s.contains(&perm))
    }

    /// Checks that `actor` holds `perm` (the system holds every permission).
    ///
    /// # Errors
    /// [`Error::Forbidden`] naming the missing permission.
    pub fn require(&self, actor: &Actor, perm: Permission) -> Result<()> {
        match actor.role() {
            None => Ok(()),
            Some(role) if self.allows(role, perm) => Ok(()),
            Some(role) => Err(Error::Forbidden(format!(
                "{} may not {perm:?}",
                role.as_str()
            ))),
        }
    }
}

impl Default for Policy {
    /// Customers raise and follow their own tickets. Agents work every ticket, see
    /// statistics and users. Admins also delete tickets and manage customers, agents,
    /// teams, SLA, rules, FAQ, deliveries and the classifier. Super-admins also manage admins.
    fn default() -> Self {
        use Permission as P;
        let customer = [P::TicketCreate, P::TicketOwn];
        let agent = [
            P::TicketReadAll,
            P::TicketUpdate,
            P::TicketAssign,
            P::TicketClaim,
            P::TicketWork,
            P::TicketInternal,
            P::TicketDistribute,
            P::TicketNotify,
            P::StatsRead,
            P::UsersRead,
        ];
        let admin = [
            P::TicketDelete,
            P::UsersManage,
            P::TeamsManage,
            P::SlaManage,
            P::RulesManage,
            P::FaqManage,
            P::DeliveriesManage,
            P::AiManage,
        ];
        Self::empty()
            .grant(Role::Customer, &customer)
            .grant(Role::Agent, &customer)
            .grant(Role::Agent, &agent)
            .grant(Role::Admin, &customer)
            .grant(Role::Admin, &agent)
            .grant(Role::Admin, &admin)
            .grant(Role::SuperAdmin, &Permission::ALL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{TenantId, UserId};

    #[test]
    fn default_policy_is_monotonic_in_role() {
        let p = Policy::default();
        for perm in Permission::ALL {
            let held: Vec<bool> = Role::ALL.iter().map(|r| p.allows(*r, perm)).collect();
            assert!(held.windows(2).all(|w| !w[0] || w[1]), "{perm:?}: {held:?}");
            assert!(held[3], "super-admin holds {perm:?}");
        }
        assert!(!p.allows(Role::Admin, Permission::AdminsManage));
        assert!(!p.allows(Role::Customer, Permission::TicketReadAll));
    }

    #[test]
    fn require_checks_actor() {
        let p = Policy::default();
        let t = TenantId::DEFAULT;
        assert!(p
            .require(&Actor::system(t), Permission::AdminsManage)
            .is_ok());
        let cust = Actor::user(t, UserId::new(), Role::Customer);
        assert!(matches!(
            p.require(&cust, Permission::TicketDelete),
            Err(Error::Forbidden(_))
        ));
        let p = p.revoke(Role::Customer, &[Permission::TicketCreate]);
        assert!(p.require(&cust, Permission::TicketCreate).is_err());
    }
}
