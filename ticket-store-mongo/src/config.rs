//! `ConfigStore` and `FaqStore` for `MongoStore`: upserts within a tenant (an id held
//! by another tenant is a uniqueness conflict, never an overwrite across tenants).

use crate::connect::names::{CALENDARS, FAQS, RULES, SLA_POLICIES};
use crate::docs::{all, from_doc, id, to_json, DOC};
use crate::errors::{db, is_duplicate};
use crate::MongoStore;
use async_trait::async_trait;
use mongodb::bson::{doc, Bson};
use serde::de::DeserializeOwned;
use serde::Serialize;
use ticket_core::error::{Error, Result};
use ticket_core::id::{CalendarId, FaqId, RuleId, SlaPolicyId, TenantId};
use ticket_core::ports::{ConfigStore, FaqStore};
use ticket_core::rules::Rule;
use ticket_core::sla::{BusinessCalendar, SlaPolicy};
use ticket_core::team::Faq;
use uuid::Uuid;

impl MongoStore {
    /// Creates or replaces record `key` of `tenant` in `name`, with `order` as its sort
    /// key.
    async fn upsert<T: Serialize>(
        &self,
        name: &'static str,
        tenant: TenantId,
        key: Uuid,
        order: Bson,
        value: &T,
    ) -> Result<()> {
        self.inner.config.invalidate(name, tenant);
        let written = self
            .coll(name)
            .update_one(
                doc! { "_id": id(key), "tenant": id(tenant.as_uuid()) },
                doc! { "$set": { "order": order, DOC: to_json(value)? } },
            )
            .upsert(true)
            .await;
        self.inner.config.invalidate(name, tenant);
        match written {
            Ok(_) => Ok(()),
            // The id exists in another tenant: the upsert's insert hit the `_id`.
            Err(e) if is_duplicate(&e) => Err(Error::unique("id")),
            Err(e) => Err(db(e)),
        }
    }

    /// Record `key` of `tenant` in `name`.
    async fn get_in<T: DeserializeOwned>(
        &self,
        name: &str,
        tenant: TenantId,
        key: Uuid,
        entity: &'static str,
    ) -> Result<T> {
        // By `_id` alone (the lookup every server indexes), the tenant checked here.
        let d = self
            .coll(name)
            .find_one(doc! { "_id": id(key) })
            .await
            .map_err(db)?
            .filter(|d| d.get_str("tenant") == Ok(id(tenant.as_uuid()).as_str()))
            .ok_or_else(|| Error::not_found(entity))?;
        from_doc(&d)
    }

    /// Every record of `tenant` in `name`, by `(order, _id)`.
    /// Served from the configuration cache while fresh (`config_cache.rs`).
    async fn list_in<T: DeserializeOwned>(
        &self,
        name: &'static str,
        tenant: TenantId,
    ) -> Result<Vec<T>> {
        let cache = &self.inner.config;
        let docs = match cache.get(name, tenant) {
            Some(docs) => docs,
            None => {
                let generation = cache.generation();
                let docs = all(self
                    .coll(name)
                    .find(doc! { "tenant": id(tenant.as_uuid()) })
                    .sort(doc! { "order": 1, "_id": 1 })
                    .await
                    .map_err(db)?)
                .await?;
                cache.put(name, tenant, generation, docs.clone());
                docs
            }
        };
        docs.iter().map(from_doc).collect()
    }

    /// Deletes record `key` of `tenant` in `name`.
    async fn delete_in(
        &self,
        name: &'static str,
        tenant: TenantId,
        key: Uuid,
        entity: &'static str,
    ) -> Result<()> {
        self.inner.config.invalidate(name, tenant);
        let gone = self
            .coll(name)
            .delete_one(doc! { "_id": id(key), "tenant": id(tenant.as_uuid()) })
            .await
            .map_err(db);
        self.inner.config.invalidate(name, tenant);
        if gone?.deleted_count == 0 {
            return Err(Error::not_found(entity));
        }
        Ok(())
    }
}

/// A position as a sort key.
fn position(p: impl Into<i64>) -> Bson {
    Bson::Int64(p.into())
}

#[async_trait]
impl ConfigStore for MongoStore {
    async fn save_sla_policy(&self, policy: &SlaPolicy) -> Result<()> {
        let order = position(policy.position);
        self.upsert(
            SLA_POLICIES,
            policy.tenant,
            policy.id.as_uuid(),
            order,
            policy,
        )
        .await
    }

    async fn get_sla_policy(&self, tenant: TenantId, id: SlaPolicyId) -> Result<SlaPolicy> {
        self.get_in(SLA_POLICIES, tenant, id.as_uuid(), "sla_policy")
            .await
    }

    async fn list_sla_policies(&self, tenant: TenantId) -> Result<Vec<SlaPolicy>> {
        self.list_in(SLA_POLICIES, tenant).await
    }

    async fn delete_sla_policy(&self, tenant: TenantId, id: SlaPolicyId) -> Result<()> {
        self.delete_in(SLA_POLICIES, tenant, id.as_uuid(), "sla_policy")
            .await
    }

    async fn save_calendar(&self, calendar: &BusinessCalendar) -> Result<()> {
        let order = Bson::String(calendar.name.as_str().to_lowercase());
        self.upsert(
            CALENDARS,
            calendar.tenant,
            calendar.id.as_uuid(),
            order,
            calendar,
        )
        .await
    }

    async fn get_calendar(&self, tenant: TenantId, id: CalendarId) -> Result<BusinessCalendar> {
        self.get_in(CALENDARS, tenant, id.as_uuid(), "calendar")
            .await
    }

    async fn list_calendars(&self, tenant: TenantId) -> Result<Vec<BusinessCalendar>> {
        self.list_in(CALENDARS, tenant).await
    }

    async fn delete_calendar(&self, tenant: TenantId, id: CalendarId) -> Result<()> {
        self.delete_in(CALENDARS, tenant, id.as_uuid(), "calendar")
            .await
    }

    async fn save_rule(&self, rule: &Rule) -> Result<()> {
        let order = position(rule.position);
        self.upsert(RULES, rule.tenant, rule.id.as_uuid(), order, rule)
            .await
    }

    async fn get_rule(&self, tenant: TenantId, id: RuleId) -> Result<Rule> {
        self.get_in(RULES, tenant, id.as_uuid(), "rule").await
    }

    async fn list_rules(&self, tenant: TenantId) -> Result<Vec<Rule>> {
        self.list_in(RULES, tenant).await
    }

    async fn delete_rule(&self, tenant: TenantId, id: RuleId) -> Result<()> {
        self.delete_in(RULES, tenant, id.as_uuid(), "rule").await
    }
}

#[async_trait]
impl FaqStore for MongoStore {
    async fn save_faq(&self, faq: &Faq) -> Result<()> {
        self.upsert(FAQS, faq.tenant, faq.id.as_uuid(), Bson::Null, faq)
            .await
    }

    async fn get_faq(&self, tenant: TenantId, id: FaqId) -> Result<Faq> {
        self.get_in(FAQS, tenant, id.as_uuid(), "faq").await
    }

    async fn list_faqs(&self, tenant: TenantId) -> Result<Vec<Faq>> {
        self.list_in(FAQS, tenant).await
    }

    async fn delete_faq(&self, tenant: TenantId, id: FaqId) -> Result<()> {
        self.delete_in(FAQS, tenant, id.as_uuid(), "faq").await
    }
}
