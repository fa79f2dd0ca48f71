//! `ConfigStore` and `FaqStore` for `MemoryStore`: upserts within a tenant.

use super::{get_in, remove_in, upsert, MemoryStore};
use crate::error::{Error, Result};
use crate::id::{CalendarId, FaqId, RuleId, SlaPolicyId, TenantId};
use crate::ports::{ConfigStore, FaqStore};
use crate::rules::Rule;
use crate::sla::{BusinessCalendar, SlaPolicy};
use crate::team::Faq;
use async_trait::async_trait;
use std::collections::BTreeMap;

/// The records of `tenant` in `map`, in the order of `key`.
fn list_by<K: Ord, V: Clone + super::Tenanted, O: Ord>(
    map: &BTreeMap<K, V>,
    tenant: TenantId,
    key: impl Fn(&V) -> O,
) -> Vec<V> {
    let mut out: Vec<V> = map
        .values()
        .filter(|v| v.tenant() == tenant)
        .cloned()
        .collect();
    out.sort_by_key(key);
    out
}

#[async_trait]
impl ConfigStore for MemoryStore {
    async fn save_sla_policy(&self, policy: &SlaPolicy) -> Result<()> {
        upsert(&mut self.state().sla_policies, policy.id, policy.clone())
    }

    async fn get_sla_policy(&self, tenant: TenantId, id: SlaPolicyId) -> Result<SlaPolicy> {
        get_in(&self.state().sla_policies, tenant, &id)
            .cloned()
            .ok_or_else(|| Error::not_found("sla_policy"))
    }

    async fn list_sla_policies(&self, tenant: TenantId) -> Result<Vec<SlaPolicy>> {
        Ok(list_by(&self.state().sla_policies, tenant, |p| {
            (p.position, p.id)
        }))
    }

    async fn delete_sla_policy(&self, tenant: TenantId, id: SlaPolicyId) -> Result<()> {
        remove_in(&mut self.state().sla_policies, tenant, &id, "sla_policy").map(drop)
    }

    async fn save_calendar(&self, calendar: &BusinessCalendar) -> Result<()> {
        upsert(&mut self.state().calendars, calendar.id, calendar.clone())
    }

    async fn get_calendar(&self, tenant: TenantId, id: CalendarId) -> Result<BusinessCalendar> {
        get_in(&self.state().calendars, tenant, &id)
            .cloned()
            .ok_or_else(|| Error::not_found("calendar"))
    }

    async fn list_calendars(&self, tenant: TenantId) -> Result<Vec<BusinessCalendar>> {
        Ok(list_by(&self.state().calendars, tenant, |c| {
            (c.name.as_str().to_lowercase(), c.id)
        }))
    }

    async fn delete_calendar(&self, tenant: TenantId, id: CalendarId) -> Result<()> {
        remove_in(&mut self.state().calendars, tenant, &id, "calendar").map(drop)
    }

    async fn save_rule(&self, rule: &Rule) -> Result<()> {
        upsert(&mut self.state().rules, rule.id, rule.clone())
    }

    async fn get_rule(&self, tenant: TenantId, id: RuleId) -> Result<Rule> {
        get_in(&self.state().rules, tenant, &id)
            .cloned()
            .ok_or_else(|| Error::not_found("rule"))
    }

    async fn list_rules(&self, tenant: TenantId) -> Result<Vec<Rule>> {
        Ok(list_by(&self.state().rules, tenant, |r| (r.position, r.id)))
    }

    async fn delete_rule(&self, tenant: TenantId, id: RuleId) -> Result<()> {
        remove_in(&mut self.state().rules, tenant, &id, "rule").map(drop)
    }
}

#[async_trait]
impl FaqStore for MemoryStore {
    async fn save_faq(&self, faq: &Faq) -> Result<()> {
        upsert(&mut self.state().faqs, faq.id, faq.clone())
    }

    async fn get_faq(&self, tenant: TenantId, id: FaqId) -> Result<Faq> {
        get_in(&self.state().faqs, tenant, &id)
            .cloned()
            .ok_or_else(|| Error::not_found("faq"))
    }

    async fn list_faqs(&self, tenant: TenantId) -> Result<Vec<Faq>> {
        Ok(list_by(&self.state().faqs, tenant, |f| f.id))
    }

    async fn delete_faq(&self, tenant: TenantId, id: FaqId) -> Result<()> {
        remove_in(&mut self.state().faqs, tenant, &id, "faq").map(drop)
    }
}
