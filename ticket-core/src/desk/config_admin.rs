//! Desk configuration use cases: SLA policies, business calendars and automation rules
//! (with a dry-run preview).

use super::HelpDesk;
use crate::account::Actor;
use crate::error::{Error, Result};
use crate::id::{CalendarId, RuleId, SlaPolicyId, TicketId};
use crate::rbac::Permission;
use crate::rules::{preview, Action, Condition, Rule, RuleContext, RulePreview, Trigger};
use crate::sla::{BusinessCalendar, SlaCondition, SlaPolicy, SlaTargets, WeekHours};
use crate::text::Name;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// An SLA policy as a client sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicyInput {
    /// Name.
    pub name: String,
    /// Policies are tried by ascending position.
    #[serde(default)]
    pub position: i32,
    /// Whether it applies.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Which tickets it covers.
    #[serde(default)]
    pub condition: SlaCondition,
    /// Targets in business minutes.
    pub targets: SlaTargets,
    /// Business calendar (`None`: around the clock).
    #[serde(default)]
    pub calendar_id: Option<CalendarId>,
    /// Warning threshold, percent of each target (1–99; default 80).
    #[serde(default = "eighty")]
    pub warn_at_percent: u8,
}

fn yes() -> bool {
    true
}

fn eighty() -> u8 {
    80
}

/// A business calendar as a client sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarInput {
    /// Name.
    pub name: String,
    /// IANA time zone (`Europe/Berlin`).
    pub timezone: String,
    /// Working hours.
    pub week: WeekHours,
    /// Local dates without working time.
    #[serde(default)]
    pub holidays: BTreeSet<NaiveDate>,
}

/// A rule as a client sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleInput {
    /// Name.
    pub name: String,
    /// Rules run by ascending position.
    #[serde(default)]
    pub position: i32,
    /// Whether it fires.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// When it is considered.
    pub triggers: Vec<Trigger>,
    /// When it fires.
    pub condition: Condition,
    /// What it does.
    pub actions: Vec<Action>,
}

/// The longest SLA target: one year of business minutes.
const MAX_TARGET_MINUTES: u32 = 525_600;

impl HelpDesk {
    // ----- SLA policies ------------------------------------------------------------------

    /// Creates an SLA policy. Every change to SLA policies or calendars records (in one
    /// small store write, whatever the number of tickets) that the tenant's open tickets
    /// need a re-evaluation; the next SLA sweep of any instance claims it, marks them in
    /// bounded batches and re-evaluates them under the new rules: a ticket no policy covered gets one, a
    /// tightened target warns and breaches on time, a re-enabled policy applies again.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::Invalid`]; [`Error::NotFound`] for the calendar.
    pub async fn create_sla_policy(
        &self,
        actor: &Actor,
        input: SlaPolicyInput,
    ) -> Result<SlaPolicy> {
        self.save_sla_policy(actor, SlaPolicyId::new(), input).await
    }

    /// Replaces an SLA policy.
    ///
    /// # Errors
    /// As [`HelpDesk::create_sla_policy`], and [`Error::NotFound`] for the policy.
    pub async fn update_sla_policy(
        &self,
        actor: &Actor,
        id: SlaPolicyId,
        input: SlaPolicyInput,
    ) -> Result<SlaPolicy> {
        self.require(actor, Permission::SlaManage)?;
        self.inner.store.get_sla_policy(actor.tenant(), id).await?;
        self.save_sla_policy(actor, id, input).await
    }

    async fn save_sla_policy(
        &self,
        actor: &Actor,
        id: SlaPolicyId,
        input: SlaPolicyInput,
    ) -> Result<SlaPolicy> {
        self.require(actor, Permission::SlaManage)?;
        let t = input.targets;
        let targets = [
            ("targets.first_response_minutes", t.first_response_minutes),
            ("targets.next_response_minutes", t.next_response_minutes),
            ("targets.resolution_minutes", t.resolution_minutes),
        ];
        if targets.iter().all(|(_, m)| m.is_none()) {
            return Err(Error::invalid("targets", "set at least one target"));
        }
        for (field, minutes) in targets {
            if minutes.is_some_and(|m| m == 0 || m > MAX_TARGET_MINUTES) {
                return Err(Error::invalid(
                    field,
                    format!("must be 1 to {MAX_TARGET_MINUTES} minutes"),
                ));
            }
        }
        if !(1..=99).contains(&input.warn_at_percent) {
            return Err(Error::invalid("warn_at_percent", "must be 1 to 99"));
        }
        if let Some(c) = input.calendar_id {
            self.inner.store.get_calendar(actor.tenant(), c).await?;
        }
        let policy = SlaPolicy {
            id,
            tenant: actor.tenant(),
            name: Name::parse(&input.name)?,
            position: input.position,
            enabled: input.enabled,
            condition: input.condition,
            targets: input.targets,
            calendar_id: input.calendar_id,
            warn_at_percent: input.warn_at_percent,
            updated_at: self.now(),
        };
        self.inner.store.save_sla_policy(&policy).await?;
        self.request_sla_reevaluation(actor.tenant()).await?;
        Ok(policy)
    }

    /// One SLA policy (any staff member).
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`].
    pub async fn get_sla_policy(&self, actor: &Actor, id: SlaPolicyId) -> Result<SlaPolicy> {
        self.require(actor, Permission::TicketReadAll)?;
        self.inner.store.get_sla_policy(actor.tenant(), id).await
    }

    /// Every SLA policy, in the order they are tried (any staff member).
    ///
    /// # Errors
    /// [`Error::Forbidden`].
    pub async fn list_sla_policies(&self, actor: &Actor) -> Result<Vec<SlaPolicy>> {
        self.require(actor, Permission::TicketReadAll)?;
        self.inner.store.list_sla_policies(actor.tenant()).await
    }

    /// Deletes an SLA policy. The open tickets are re-evaluated by the next SLA sweep, which
    /// moves those it covered to the next matching policy (or none).
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`].
    pub async fn delete_sla_policy(&self, actor: &Actor, id: SlaPolicyId) -> Result<()> {
        self.require(actor, Permission::SlaManage)?;
        self.inner
            .store
            .delete_sla_policy(actor.tenant(), id)
            .await?;
        self.request_sla_reevaluation(actor.tenant()).await
    }

    // ----- calendars ---------------------------------------------------------------------

    /// Creates a business calendar.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::Invalid`] (unknown time zone, bad intervals).
    pub async fn create_calendar(
        &self,
        actor: &Actor,
        input: CalendarInput,
    ) -> Result<BusinessCalendar> {
        self.save_calendar(actor, CalendarId::new(), input).await
    }

    /// Replaces a business calendar.
    ///
    /// # Errors
    /// As [`HelpDesk::create_calendar`], and [`Error::NotFound`].
    pub async fn update_calendar(
        &self,
        actor: &Actor,
        id: CalendarId,
        input: CalendarInput,
    ) -> Result<BusinessCalendar> {
        self.require(actor, Permission::SlaManage)?;
        self.inner.store.get_calendar(actor.tenant(), id).await?;
        self.save_calendar(actor, id, input).await
    }

    async fn save_calendar(
        &self,
        actor: &Actor,
        id: CalendarId,
        input: CalendarInput,
    ) -> Result<BusinessCalendar> {
        self.require(actor, Permission::SlaManage)?;
        let tz: chrono_tz::Tz = input
            .timezone
            .parse()
            .map_err(|_| Error::invalid("timezone", "is not an IANA time zone"))?;
        if input.holidays.len() > 1000 {
            return Err(Error::invalid("holidays", "at most 1000 dates"));
        }
        let calendar = BusinessCalendar::new(
            id,
            actor.tenant(),
            Name::parse(&input.name)?,
            tz,
            input.week,
            input.holidays,
            self.now(),
        )?;
        self.inner.store.save_calendar(&calendar).await?;
        self.request_sla_reevaluation(actor.tenant()).await?;
        Ok(calendar)
    }

    /// One calendar (any staff member).
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`].
    pub async fn get_calendar(&self, actor: &Actor, id: CalendarId) -> Result<BusinessCalendar> {
        self.require(actor, Permission::TicketReadAll)?;
        self.inner.store.get_calendar(actor.tenant(), id).await
    }

    /// Every calendar (any staff member).
    ///
    /// # Errors
    /// [`Error::Forbidden`].
    pub async fn list_calendars(&self, actor: &Actor) -> Result<Vec<BusinessCalendar>> {
        self.require(actor, Permission::TicketReadAll)?;
        self.inner.store.list_calendars(actor.tenant()).await
    }

    /// Deletes a calendar; policies naming it fall back to around the clock (the open
    /// tickets are re-evaluated by the next SLA sweep).
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`].
    pub async fn delete_calendar(&self, actor: &Actor, id: CalendarId) -> Result<()> {
        self.require(actor, Permission::SlaManage)?;
        self.inner.store.delete_calendar(actor.tenant(), id).await?;
        self.request_sla_reevaluation(actor.tenant()).await
    }

    // ----- rules -------------------------------------------------------------------------

    /// Creates a rule.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::Invalid`].
    pub async fn create_rule(&self, actor: &Actor, input: RuleInput) -> Result<Rule> {
        self.save_rule(actor, RuleId::new(), input).await
    }

    /// Replaces a rule.
    ///
    /// # Errors
    /// As [`HelpDesk::create_rule`], and [`Error::NotFound`].
    pub async fn update_rule(&self, actor: &Actor, id: RuleId, input: RuleInput) -> Result<Rule> {
        self.require(actor, Permission::RulesManage)?;
        self.inner.store.get_rule(actor.tenant(), id).await?;
        self.save_rule(actor, id, input).await
    }

    async fn save_rule(&self, actor: &Actor, id: RuleId, input: RuleInput) -> Result<Rule> {
        self.require(actor, Permission::RulesManage)?;
        let rule = Rule {
            id,
            tenant: actor.tenant(),
            name: Name::parse(&input.name)?,
            position: input.position,
            enabled: input.enabled,
            triggers: input.triggers,
            condition: input.condition,
            actions: input.actions,
            updated_at: self.now(),
        };
        rule.validate()?;
        self.inner.store.save_rule(&rule).await?;
        Ok(rule)
    }

    /// Installs the default rules ([`crate::rules::default_rules`]) when the tenant has
    /// no rule yet; returns how many were installed.
    ///
    /// # Errors
    /// [`Error::Forbidden`].
    pub async fn install_default_rules(&self, actor: &Actor) -> Result<usize> {
        self.require(actor, Permission::RulesManage)?;
        if !self
            .inner
            .store
            .list_rules(actor.tenant())
            .await?
            .is_empty()
        {
            return Ok(0);
        }
        let rules = crate::rules::default_rules(actor.tenant());
        for rule in &rules {
            self.inner.store.save_rule(rule).await?;
        }
        Ok(rules.len())
    }

    /// Installs the default SLA policies ([`crate::sla::default_sla_policies`], one per
    /// priority) on the default around-the-clock calendar, idempotently: when the tenant
    /// has no policy, or only some of the defaults (a partial install), the missing
    /// defaults (and the calendar, unless one of its name exists) are saved; once the
    /// tenant has a policy of its own, nothing is. Returns how many policies were
    /// installed; open tickets are re-evaluated by the next SLA sweep.
    ///
    /// # Errors
    /// [`Error::Forbidden`] without `SlaManage`.
    pub async fn install_default_sla(&self, actor: &Actor) -> Result<usize> {
        self.require(actor, Permission::SlaManage)?;
        let tenant = actor.tenant();
        let store = &self.inner.store;
        let existing = store.list_sla_policies(tenant).await?;
        let probe = crate::sla::default_sla_policies(tenant, CalendarId::new());
        let is_default = |name: &Name| probe.iter().any(|d| &d.name == name);
        if existing.iter().any(|p| !is_default(&p.name)) {
            return Ok(0);
        }
        let missing: Vec<&SlaPolicy> = probe
            .iter()
            .filter(|d| !existing.iter().any(|p| p.name == d.name))
            .collect();
        if missing.is_empty() {
            return Ok(0);
        }
        let calendar = match store
            .list_calendars(tenant)
            .await?
            .into_iter()
            .find(|c| c.name.as_str() == crate::sla::DEFAULT_CALENDAR_NAME)
        {
            Some(c) => c,
            None => {
                let c = crate::sla::default_calendar(tenant);
                store.save_calendar(&c).await?;
                c
            }
        };
        for policy in &missing {
            let policy = SlaPolicy {
                calendar_id: Some(calendar.id),
                ..(*policy).clone()
            };
            store.save_sla_policy(&policy).await?;
        }
        self.request_sla_reevaluation(tenant).await?;
        Ok(missing.len())
    }

    /// One rule (any staff member).
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`].
    pub async fn get_rule(&self, actor: &Actor, id: RuleId) -> Result<Rule> {
        self.require(actor, Permission::TicketReadAll)?;
        self.inner.store.get_rule(actor.tenant(), id).await
    }

    /// Every rule, in firing order (any staff member).
    ///
    /// # Errors
    /// [`Error::Forbidden`].
    pub async fn list_rules(&self, actor: &Actor) -> Result<Vec<Rule>> {
        self.require(actor, Permission::TicketReadAll)?;
        self.inner.store.list_rules(actor.tenant()).await
    }

    /// Deletes a rule.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`].
    pub async fn delete_rule(&self, actor: &Actor, id: RuleId) -> Result<()> {
        self.require(actor, Permission::RulesManage)?;
        self.inner.store.delete_rule(actor.tenant(), id).await
    }

    /// Dry-runs a rule against a ticket: whether it would fire, the ticket after, the
    /// effects. Nothing is stored.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`] for the rule or ticket.
    pub async fn preview_rule(
        &self,
        actor: &Actor,
        rule_id: RuleId,
        ticket_id: TicketId,
    ) -> Result<RulePreview> {
        self.require(actor, Permission::RulesManage)?;
        let rule = self.inner.store.get_rule(actor.tenant(), rule_id).await?;
        let ticket = self.get_ticket(actor, ticket_id).await?;
        let requester = self
            .rule_requester(&ticket, rule.condition.needs_requester_email())
            .await;
        let trigger = rule
            .triggers
            .first()
            .copied()
            .unwrap_or(Trigger::TicketUpdated);
        let ctx = RuleContext {
            triggers: &[trigger],
            workflow: &self.inner.config.workflow,
            requester_email: requester.as_ref().map(|u| &u.email),
            sla_targets: &[],
        };
        Ok(preview(&rule, &ctx, &ticket))
    }
}
