//! `ConfigStore` and `FaqStore` for `PostgresStore`: upserts within a tenant (an id held
//! by another tenant is a uniqueness conflict, never an overwrite), lists in the order
//! the ports document. Rules, SLA policies, calendars and FAQ entries are read through
//! the configuration cache (`cache`); their writes notify the other instances as they
//! commit.

use crate::cache::Cached;
use crate::connect::PostgresStore;
use crate::errors::{db, doc};
use crate::rows;
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use ticket_core::id::{CalendarId, FaqId, RuleId, SlaPolicyId, TenantId};
use ticket_core::ports::{ConfigStore, FaqStore};
use ticket_core::rules::Rule;
use ticket_core::sla::{BusinessCalendar, SlaPolicy};
use ticket_core::team::Faq;
use ticket_core::{Error, Result};
use uuid::Uuid;

/// One kind of configuration record: its table, its sort column and what it is called.
#[derive(Clone, Copy)]
enum Kind {
    SlaPolicy,
    Calendar,
    Rule,
    Faq,
}

impl Kind {
    /// The entity name of `NotFound` and the field of `Invalid`.
    fn entity(self) -> &'static str {
        match self {
            Self::SlaPolicy => "sla_policy",
            Self::Calendar => "calendar",
            Self::Rule => "rule",
            Self::Faq => "faq",
        }
    }

    /// The table, the extra sort column it stores, and the list order.
    fn layout(self, store: &PostgresStore) -> (&str, Option<&'static str>, &'static str) {
        let t = store.tables();
        match self {
            Self::SlaPolicy => (&t.sla_policies, Some("position"), "position, id"),
            Self::Calendar => (&t.calendars, Some("name_key"), "name_key COLLATE \"C\", id"),
            Self::Rule => (&t.rules, Some("position"), "position, id"),
            Self::Faq => (&t.faqs, None, "id"),
        }
    }
}

/// `write` (a data-modifying statement returning one row per record written, with
/// parameters below `$first`) as a statement returning how many it wrote, which also
/// notifies the other instances (`$first` the channel, `$first + 1` the tenant) when it
/// commits.
fn notifying(write: &str, first: usize) -> String {
    let (channel, tenant) = (first, first + 1);
    format!(
        "WITH w AS ({write}), n AS (SELECT pg_notify(${channel}, ${tenant})) \
         SELECT (SELECT count(*) FROM w) FROM n"
    )
}

/// The value of a record's sort column.
enum SortKey {
    Position(i32),
    Name(String),
    None,
}

impl PostgresStore {
    async fn upsert<T: Serialize>(
        &self,
        kind: Kind,
        id: Uuid,
        tenant: TenantId,
        key: SortKey,
        record: &T,
    ) -> Result<()> {
        let d = doc(kind.entity(), record)?;
        let (table, column, _) = kind.layout(self);
        let (columns, values, set) = match column {
            Some(c) => (
                format!("id, tenant, {c}, doc"),
                "$1, $2, $3, $4",
                format!("{c} = EXCLUDED.{c}, doc = EXCLUDED.doc"),
            ),
            None => (
                "id, tenant, doc".to_string(),
                "$1, $2, $4",
                "doc = EXCLUDED.doc".to_string(),
            ),
        };
        // The update only happens within the tenant: a row of another tenant under the
        // same id is left alone and reported as a conflict.
        let write = format!(
            "INSERT INTO {table} AS r ({columns}) VALUES ({values}) \
             ON CONFLICT (id) DO UPDATE SET {set} WHERE r.tenant = EXCLUDED.tenant \
             RETURNING 1"
        );
        let sql = notifying(&write, 5);
        let q = sqlx::query_scalar::<_, i64>(&sql)
            .bind(id)
            .bind(tenant.as_uuid());
        let q = match key {
            SortKey::Position(p) => q.bind(p),
            SortKey::Name(n) => q.bind(n),
            SortKey::None => q.bind(None::<i32>),
        };
        let written = self.with_notice(tenant, q.bind(d)).await?;
        if written == 1 {
            Ok(())
        } else {
            Err(Error::unique("id"))
        }
    }

    /// Runs a [`notifying`] statement (binding its notice), then forgets the tenant's cached
    /// records of this store (the others forget them when the notice arrives).
    async fn with_notice<'q>(
        &self,
        tenant: TenantId,
        q: sqlx::query::QueryScalar<'q, sqlx::Postgres, i64, sqlx::postgres::PgArguments>,
    ) -> Result<i64> {
        let written = q
            .bind(self.tables().config_channel.clone())
            .bind(tenant.to_string())
            .fetch_one(self.pool())
            .await
            .map_err(db)?;
        self.cache().invalidate(tenant);
        Ok(written)
    }

    async fn get_record<T: DeserializeOwned>(
        &self,
        kind: Kind,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<T> {
        let (table, _, _) = kind.layout(self);
        self.doc_by_id(table, kind.entity(), tenant, id).await
    }

    async fn list_records<T: DeserializeOwned>(
        &self,
        kind: Kind,
        tenant: TenantId,
    ) -> Result<Vec<T>> {
        let (table, _, order) = kind.layout(self);
        let found = sqlx::query(&format!(
            "SELECT doc FROM {table} WHERE tenant = $1 ORDER BY {order}"
        ))
        .bind(tenant.as_uuid())
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows::docs(&found)
    }

    async fn delete_record(&self, kind: Kind, tenant: TenantId, id: Uuid) -> Result<()> {
        let (table, _, _) = kind.layout(self);
        let write = format!("DELETE FROM {table} WHERE tenant = $1 AND id = $2 RETURNING 1");
        let sql = notifying(&write, 3);
        let q = sqlx::query_scalar::<_, i64>(&sql)
            .bind(tenant.as_uuid())
            .bind(id);
        if self.with_notice(tenant, q).await? == 1 {
            Ok(())
        } else {
            Err(Error::not_found(kind.entity()))
        }
    }

    /// The tenant's records of a cached kind: from the cache when it may be used and
    /// holds them, else read (and cached unless a change came in meanwhile).
    async fn list_cached<T: DeserializeOwned + Cached>(
        &self,
        kind: Kind,
        tenant: TenantId,
    ) -> Result<Vec<T>> {
        if !self.cache_usable().await {
            return self.list_records(kind, tenant).await;
        }
        if let Some(items) = self.cache().get::<T>(tenant) {
            return Ok(items);
        }
        let generation = self.cache().generation();
        let items: Vec<T> = self.list_records(kind, tenant).await?;
        self.cache().put(tenant, generation, items.clone());
        Ok(items)
    }
}

#[async_trait]
impl ConfigStore for PostgresStore {
    async fn save_sla_policy(&self, policy: &SlaPolicy) -> Result<()> {
        let key = SortKey::Position(policy.position);
        self.upsert(
            Kind::SlaPolicy,
            policy.id.as_uuid(),
            policy.tenant,
            key,
            policy,
        )
        .await
    }

    async fn get_sla_policy(&self, tenant: TenantId, id: SlaPolicyId) -> Result<SlaPolicy> {
        self.get_record(Kind::SlaPolicy, tenant, id.as_uuid()).await
    }

    async fn list_sla_policies(&self, tenant: TenantId) -> Result<Vec<SlaPolicy>> {
        self.list_cached(Kind::SlaPolicy, tenant).await
    }

    async fn delete_sla_policy(&self, tenant: TenantId, id: SlaPolicyId) -> Result<()> {
        self.delete_record(Kind::SlaPolicy, tenant, id.as_uuid())
            .await
    }

    async fn save_calendar(&self, calendar: &BusinessCalendar) -> Result<()> {
        let key = SortKey::Name(calendar.name.as_str().to_lowercase());
        self.upsert(
            Kind::Calendar,
            calendar.id.as_uuid(),
            calendar.tenant,
            key,
            calendar,
        )
        .await
    }

    async fn get_calendar(&self, tenant: TenantId, id: CalendarId) -> Result<BusinessCalendar> {
        // Read for the SLA of every ticket change whose policy has a calendar: served from
        // the tenant's cached calendars.
        self.list_cached::<BusinessCalendar>(Kind::Calendar, tenant)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| Error::not_found(Kind::Calendar.entity()))
    }

    async fn list_calendars(&self, tenant: TenantId) -> Result<Vec<BusinessCalendar>> {
        self.list_cached(Kind::Calendar, tenant).await
    }

    async fn delete_calendar(&self, tenant: TenantId, id: CalendarId) -> Result<()> {
        self.delete_record(Kind::Calendar, tenant, id.as_uuid())
            .await
    }

    async fn save_rule(&self, rule: &Rule) -> Result<()> {
        let key = SortKey::Position(rule.position);
        self.upsert(Kind::Rule, rule.id.as_uuid(), rule.tenant, key, rule)
            .await
    }

    async fn get_rule(&self, tenant: TenantId, id: RuleId) -> Result<Rule> {
        self.get_record(Kind::Rule, tenant, id.as_uuid()).await
    }

    async fn list_rules(&self, tenant: TenantId) -> Result<Vec<Rule>> {
        self.list_cached(Kind::Rule, tenant).await
    }

    async fn delete_rule(&self, tenant: TenantId, id: RuleId) -> Result<()> {
        self.delete_record(Kind::Rule, tenant, id.as_uuid()).await
    }
}

#[async_trait]
impl FaqStore for PostgresStore {
    async fn save_faq(&self, faq: &Faq) -> Result<()> {
        self.upsert(Kind::Faq, faq.id.as_uuid(), faq.tenant, SortKey::None, faq)
            .await
    }

    async fn get_faq(&self, tenant: TenantId, id: FaqId) -> Result<Faq> {
        self.get_record(Kind::Faq, tenant, id.as_uuid()).await
    }

    async fn list_faqs(&self, tenant: TenantId) -> Result<Vec<Faq>> {
        // Read by the FAQ matcher on every create: served from the cache.
        self.list_cached(Kind::Faq, tenant).await
    }

    async fn delete_faq(&self, tenant: TenantId, id: FaqId) -> Result<()> {
        self.delete_record(Kind::Faq, tenant, id.as_uuid()).await
    }
}
