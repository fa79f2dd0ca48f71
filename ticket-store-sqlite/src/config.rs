//! `ConfigStore` and `FaqStore` for `SqliteStore`: documents upserted within a tenant
//! (an id held by another tenant is refused, never taken over), listed in their order.

use crate::rows::{db, to_doc, CorruptRow};
use crate::SqliteStore;
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::sqlite::SqliteConnection;
use ticket_core::error::{Error, Result};
use ticket_core::id::{CalendarId, FaqId, RuleId, SlaPolicyId, TenantId};
use ticket_core::ports::{ConfigStore, FaqStore};
use ticket_core::rules::Rule;
use ticket_core::sla::{BusinessCalendar, SlaPolicy};
use ticket_core::team::Faq;
use uuid::Uuid;

/// A table of documents: its name, the entity it holds, the column it is listed by (and
/// the order), if any, and whether its lists are cached (read on every ticket change or
/// every create).
struct Table {
    name: &'static str,
    entity: &'static str,
    key: Option<&'static str>,
    order: &'static str,
    cached: bool,
}

const SLA_POLICIES: Table = Table {
    name: "ticket_sla_policies",
    entity: "sla_policy",
    key: Some("position"),
    order: "position, id",
    cached: true,
};
const CALENDARS: Table = Table {
    name: "ticket_calendars",
    entity: "calendar",
    key: Some("name_key"),
    order: "name_key, id",
    cached: true,
};
const RULES: Table = Table {
    name: "ticket_rules",
    entity: "rule",
    key: Some("position"),
    order: "position, id",
    cached: true,
};
const FAQS: Table = Table {
    name: "ticket_faqs",
    entity: "faq",
    key: None,
    order: "id",
    // Read by the FAQ matcher on every create.
    cached: true,
};

/// The value of a table's ordering column.
enum Key {
    Int(i64),
    Text(String),
    None,
}

/// Creates or replaces the document `id` of `tenant` inside a write transaction.
async fn upsert_in(
    conn: &mut SqliteConnection,
    table: &Table,
    id: Uuid,
    tenant: Uuid,
    key: Key,
    doc: String,
) -> Result<()> {
    let sql = match table.key {
        Some(k) => format!(
            "INSERT INTO {t} (id, tenant, {k}, doc) VALUES (?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET {k} = excluded.{k}, doc = excluded.doc
             WHERE {t}.tenant = excluded.tenant",
            t = table.name
        ),
        None => format!(
            "INSERT INTO {t} (id, tenant, doc) VALUES (?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc
             WHERE {t}.tenant = excluded.tenant",
            t = table.name
        ),
    };
    let q = sqlx::query(&sql).bind(id).bind(tenant);
    let q = match key {
        Key::Int(v) => q.bind(v),
        Key::Text(v) => q.bind(v),
        Key::None => q,
    };
    let done = q.bind(doc).execute(&mut *conn).await.map_err(db)?;
    if done.rows_affected() == 0 {
        // The id belongs to another tenant.
        return Err(Error::unique("id"));
    }
    Ok(())
}

/// Deletes the document `id` of `tenant` inside a write transaction.
async fn delete_in(
    conn: &mut SqliteConnection,
    table: &Table,
    id: Uuid,
    tenant: Uuid,
) -> Result<()> {
    let sql = format!("DELETE FROM {} WHERE id = ? AND tenant = ?", table.name);
    let done = sqlx::query(&sql)
        .bind(id)
        .bind(tenant)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(Error::not_found(table.entity));
    }
    Ok(())
}

impl SqliteStore {
    async fn upsert_doc<T: Serialize>(
        &self,
        table: &Table,
        id: Uuid,
        tenant: TenantId,
        key: Key,
        value: &T,
    ) -> Result<()> {
        let doc = to_doc(value)?;
        let mut w = self.write().await?;
        let result = upsert_in(&mut w.tx, table, id, tenant.as_uuid(), key, doc).await;
        let result = w.finish(result).await;
        self.forget(table, tenant);
        result
    }

    /// Forgets the cached documents of `table` for `tenant` after a write of them.
    fn forget(&self, table: &Table, tenant: TenantId) {
        if table.cached {
            self.inner.config.invalidate(table.name, tenant);
        }
    }

    async fn get_doc<T: DeserializeOwned>(
        &self,
        table: &Table,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<T> {
        self.doc_by_id(table.name, table.entity, tenant, id).await
    }

    async fn list_docs<T: DeserializeOwned>(
        &self,
        table: &Table,
        tenant: TenantId,
    ) -> Result<Vec<T>> {
        let docs = self.list_texts(table, tenant).await?;
        docs.iter()
            .map(|doc| {
                serde_json::from_str(doc).map_err(|e| {
                    Error::store(CorruptRow(format!("{} does not parse: {e}", table.entity)))
                })
            })
            .collect()
    }

    /// The documents of the tenant in `table`, in order: from the cache when the table
    /// is cached and the entry fresh, else read (and cached unless a write came in).
    async fn list_texts(&self, table: &Table, tenant: TenantId) -> Result<Vec<String>> {
        let cache = &self.inner.config;
        if table.cached {
            if let Some(docs) = cache.get(table.name, tenant) {
                return Ok(docs);
            }
        }
        let generation = cache.generation();
        let sql = format!(
            "SELECT doc FROM {} WHERE tenant = ? ORDER BY {}",
            table.name, table.order
        );
        let docs: Vec<String> = sqlx::query_scalar(&sql)
            .bind(tenant.as_uuid())
            .fetch_all(self.pool())
            .await
            .map_err(db)?;
        if table.cached {
            cache.put(table.name, tenant, generation, docs.clone());
        }
        Ok(docs)
    }

    async fn delete_doc(&self, table: &Table, tenant: TenantId, id: Uuid) -> Result<()> {
        let mut w = self.write().await?;
        let result = delete_in(&mut w.tx, table, id, tenant.as_uuid()).await;
        let result = w.finish(result).await;
        self.forget(table, tenant);
        result
    }
}

#[async_trait]
impl ConfigStore for SqliteStore {
    async fn save_sla_policy(&self, policy: &SlaPolicy) -> Result<()> {
        let key = Key::Int(i64::from(policy.position));
        self.upsert_doc(
            &SLA_POLICIES,
            policy.id.as_uuid(),
            policy.tenant,
            key,
            policy,
        )
        .await
    }

    async fn get_sla_policy(&self, tenant: TenantId, id: SlaPolicyId) -> Result<SlaPolicy> {
        self.get_doc(&SLA_POLICIES, tenant, id.as_uuid()).await
    }

    async fn list_sla_policies(&self, tenant: TenantId) -> Result<Vec<SlaPolicy>> {
        self.list_docs(&SLA_POLICIES, tenant).await
    }

    async fn delete_sla_policy(&self, tenant: TenantId, id: SlaPolicyId) -> Result<()> {
        self.delete_doc(&SLA_POLICIES, tenant, id.as_uuid()).await
    }

    async fn save_calendar(&self, calendar: &BusinessCalendar) -> Result<()> {
        let key = Key::Text(calendar.name.as_str().to_lowercase());
        self.upsert_doc(
            &CALENDARS,
            calendar.id.as_uuid(),
            calendar.tenant,
            key,
            calendar,
        )
        .await
    }

    async fn get_calendar(&self, tenant: TenantId, id: CalendarId) -> Result<BusinessCalendar> {
        // Read with every change under a policy: from the cached list of the tenant.
        let calendars: Vec<BusinessCalendar> = self.list_docs(&CALENDARS, tenant).await?;
        calendars
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| Error::not_found(CALENDARS.entity))
    }

    async fn list_calendars(&self, tenant: TenantId) -> Result<Vec<BusinessCalendar>> {
        self.list_docs(&CALENDARS, tenant).await
    }

    async fn delete_calendar(&self, tenant: TenantId, id: CalendarId) -> Result<()> {
        self.delete_doc(&CALENDARS, tenant, id.as_uuid()).await
    }

    async fn save_rule(&self, rule: &Rule) -> Result<()> {
        let key = Key::Int(i64::from(rule.position));
        self.upsert_doc(&RULES, rule.id.as_uuid(), rule.tenant, key, rule)
            .await
    }

    async fn get_rule(&self, tenant: TenantId, id: RuleId) -> Result<Rule> {
        self.get_doc(&RULES, tenant, id.as_uuid()).await
    }

    async fn list_rules(&self, tenant: TenantId) -> Result<Vec<Rule>> {
        self.list_docs(&RULES, tenant).await
    }

    async fn delete_rule(&self, tenant: TenantId, id: RuleId) -> Result<()> {
        self.delete_doc(&RULES, tenant, id.as_uuid()).await
    }
}

#[async_trait]
impl FaqStore for SqliteStore {
    async fn save_faq(&self, faq: &Faq) -> Result<()> {
        self.upsert_doc(&FAQS, faq.id.as_uuid(), faq.tenant, Key::None, faq)
            .await
    }

    async fn get_faq(&self, tenant: TenantId, id: FaqId) -> Result<Faq> {
        self.get_doc(&FAQS, tenant, id.as_uuid()).await
    }

    async fn list_faqs(&self, tenant: TenantId) -> Result<Vec<Faq>> {
        self.list_docs(&FAQS, tenant).await
    }

    async fn delete_faq(&self, tenant: TenantId, id: FaqId) -> Result<()> {
        self.delete_doc(&FAQS, tenant, id.as_uuid()).await
    }
}
