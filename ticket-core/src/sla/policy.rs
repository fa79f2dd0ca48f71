//! SLA policies: which tickets they cover and their targets.

use crate::id::{CalendarId, SlaPolicyId, TeamId, TenantId};
use crate::text::{Category, Name, Tag};
use crate::ticket::{Priority, Ticket};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Which tickets a policy covers: every non-empty list must match (any of its values);
/// an empty condition covers every ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SlaCondition {
    /// Any of these priorities.
    pub priorities: Vec<Priority>,
    /// Any of these categories.
    pub categories: Vec<Category>,
    /// Any of these teams.
    pub teams: Vec<TeamId>,
    /// Any of these tags.
    pub tags: Vec<Tag>,
}

impl SlaCondition {
    /// Whether the ticket is covered.
    #[must_use]
    pub fn matches(&self, ticket: &Ticket) -> bool {
        (self.priorities.is_empty() || self.priorities.contains(&ticket.priority))
            && (self.categories.is_empty() || self.categories.contains(&ticket.category))
            && (self.teams.is_empty() || ticket.team.is_some_and(|t| self.teams.contains(&t)))
            && (self.tags.is_empty() || self.tags.iter().any(|t| ticket.tags.contains(t)))
    }
}

/// Targets in business minutes; `None` means no target of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SlaTargets {
    /// First public staff reply.
    pub first_response_minutes: Option<u32>,
    /// Staff reply after each public requester reply.
    pub next_response_minutes: Option<u32>,
    /// Reaching a solved status.
    pub resolution_minutes: Option<u32>,
}

/// An SLA policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    /// Its id.
    pub id: SlaPolicyId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its name.
    pub name: Name,
    /// Policies are tried by ascending position (then id); the first match applies.
    pub position: i32,
    /// Disabled policies never match.
    pub enabled: bool,
    /// Which tickets it covers.
    pub condition: SlaCondition,
    /// The targets.
    pub targets: SlaTargets,
    /// The business calendar; `None` means around the clock.
    pub calendar_id: Option<CalendarId>,
    /// A target is at risk (warning) once this percentage of it has elapsed (1–99).
    pub warn_at_percent: u8,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// The policy that applies to `ticket`: the first enabled match by (position, id).
#[must_use]
pub fn select_policy<'a>(policies: &'a [SlaPolicy], ticket: &Ticket) -> Option<&'a SlaPolicy> {
    policies
        .iter()
        .filter(|p| p.enabled && p.condition.matches(ticket))
        .min_by_key(|p| (p.position, p.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{CustomFields, Description, Status, Tags, Title};
    use crate::workflow::StatusCategory;

    fn ticket(
        priority: Priority,
        category: &'static str,
        team: Option<TeamId>,
        tags: &[&str],
    ) -> Ticket {
        let at = DateTime::UNIX_EPOCH;
        Ticket {
            id: crate::id::TicketId::new(),
            tenant: TenantId::DEFAULT,
            title: Title::parse("printer on fire").unwrap(),
            description: Description::parse("").unwrap(),
            status: Status::known("new"),
            status_category: StatusCategory::New,
            priority,
            category: Category::known(category),
            tags: Tags::parse(tags).unwrap(),
            custom_fields: CustomFields::default(),
            requester: crate::id::UserId::new(),
            assignee: None,
            team,
            classification: None,
            sla: None,
            version: 1,
            created_at: at,
            updated_at: at,
            assigned_at: None,
            first_response_at: None,
            resolved_at: None,
            closed_at: None,
        }
    }

    fn policy(position: i32, condition: SlaCondition) -> SlaPolicy {
        SlaPolicy {
            id: SlaPolicyId::new(),
            tenant: TenantId::DEFAULT,
            name: Name::parse("p").unwrap(),
            position,
            enabled: true,
            condition,
            targets: SlaTargets::default(),
            calendar_id: None,
            warn_at_percent: 80,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    fn tag(t: &str) -> Tag {
        Tag::parse(t).unwrap()
    }

    #[test]
    fn an_empty_condition_covers_every_ticket() {
        let t = ticket(Priority::Low, "general", None, &[]);
        assert!(SlaCondition::default().matches(&t));
    }

    #[test]
    fn every_non_empty_list_must_match_any_of_its_values() {
        let team = TeamId::new();
        let c = SlaCondition {
            priorities: vec![Priority::High, Priority::Critical],
            categories: vec![Category::known("billing")],
            teams: vec![team],
            tags: vec![tag("vip"), tag("outage")],
        };
        assert!(c.matches(&ticket(
            Priority::High,
            "billing",
            Some(team),
            &["outage", "other"]
        )));
        assert!(
            !c.matches(&ticket(Priority::Low, "billing", Some(team), &["vip"])),
            "priority"
        );
        assert!(
            !c.matches(&ticket(Priority::High, "technical", Some(team), &["vip"])),
            "category"
        );
        assert!(
            !c.matches(&ticket(Priority::High, "billing", None, &["vip"])),
            "no team"
        );
        assert!(
            !c.matches(&ticket(
                Priority::High,
                "billing",
                Some(TeamId::new()),
                &["vip"]
            )),
            "other team"
        );
        assert!(
            !c.matches(&ticket(Priority::High, "billing", Some(team), &["other"])),
            "tags"
        );
    }

    #[test]
    fn select_policy_takes_the_first_enabled_match_by_position_then_id() {
        let critical = SlaCondition {
            priorities: vec![Priority::Critical],
            ..SlaCondition::default()
        };
        let mut disabled = policy(0, SlaCondition::default());
        disabled.enabled = false;
        let first_catch_all = policy(5, SlaCondition::default());
        let second_catch_all = policy(5, SlaCondition::default());
        let urgent = policy(1, critical);
        let policies = [
            second_catch_all.clone(),
            disabled,
            urgent.clone(),
            first_catch_all.clone(),
        ];
        let (low, crit) = (
            ticket(Priority::Low, "general", None, &[]),
            ticket(Priority::Critical, "general", None, &[]),
        );
        assert_eq!(
            select_policy(&policies, &crit).map(|p| p.id),
            Some(urgent.id)
        );
        let expected = first_catch_all.id.min(second_catch_all.id);
        assert_eq!(select_policy(&policies, &low).map(|p| p.id), Some(expected));
        assert!(select_policy(&policies[1..3], &low).is_none());
    }
}
