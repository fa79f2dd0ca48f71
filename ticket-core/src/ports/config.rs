//! The configuration ports: rules, SLA policies, business calendars, FAQs.

#[allow(unused_imports)] // `Error` is named by the `# Errors` doc links
use crate::error::{Error, Result};
use crate::id::{CalendarId, FaqId, RuleId, SlaPolicyId, TenantId};
use crate::rules::Rule;
use crate::sla::{BusinessCalendar, SlaPolicy};
use crate::team::Faq;
use async_trait::async_trait;

/// Desk configuration: SLA policies, business calendars and rules. Saves are upserts.
#[async_trait]
pub trait ConfigStore: Send + Sync {
    /// Creates or replaces an SLA policy.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn save_sla_policy(&self, policy: &SlaPolicy) -> Result<()>;
    /// One SLA policy.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn get_sla_policy(&self, tenant: TenantId, id: SlaPolicyId) -> Result<SlaPolicy>;
    /// Every SLA policy of the tenant, by (position, id).
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn list_sla_policies(&self, tenant: TenantId) -> Result<Vec<SlaPolicy>>;
    /// Deletes an SLA policy.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn delete_sla_policy(&self, tenant: TenantId, id: SlaPolicyId) -> Result<()>;

    /// Creates or replaces a business calendar.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn save_calendar(&self, calendar: &BusinessCalendar) -> Result<()>;
    /// One calendar.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn get_calendar(&self, tenant: TenantId, id: CalendarId) -> Result<BusinessCalendar>;
    /// Every calendar of the tenant, by name.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn list_calendars(&self, tenant: TenantId) -> Result<Vec<BusinessCalendar>>;
    /// Deletes a calendar.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn delete_calendar(&self, tenant: TenantId, id: CalendarId) -> Result<()>;

    /// Creates or replaces a rule.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn save_rule(&self, rule: &Rule) -> Result<()>;
    /// One rule.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn get_rule(&self, tenant: TenantId, id: RuleId) -> Result<Rule>;
    /// Every rule of the tenant, by (position, id).
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn list_rules(&self, tenant: TenantId) -> Result<Vec<Rule>>;
    /// Deletes a rule.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn delete_rule(&self, tenant: TenantId, id: RuleId) -> Result<()>;
}

/// FAQ entries.
#[async_trait]
pub trait FaqStore: Send + Sync {
    /// Creates or replaces an entry.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn save_faq(&self, faq: &Faq) -> Result<()>;
    /// One entry.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn get_faq(&self, tenant: TenantId, id: FaqId) -> Result<Faq>;
    /// Every entry of the tenant, by id.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn list_faqs(&self, tenant: TenantId) -> Result<Vec<Faq>>;
    /// Deletes an entry.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn delete_faq(&self, tenant: TenantId, id: FaqId) -> Result<()>;
}
