//! `VolumeStore` for `MongoStore`: aggregation pipelines over fields the ticket document
//! carries for them (see `ticket_doc.rs::derived_fields`), because FerretDB's `$group` has
//! only `$sum`/`$count` and few expression operators: `hour` (the UTC hour of creation)
//! is grouped on, and `handled` / `handle_us` (assigned then answered, and the
//! microseconds between) are summed. Nothing is loaded per ticket; one accumulator per
//! `$group`, as everywhere in this store.

use crate::connect::names::TICKETS;
use crate::docs::{all, get_count, get_int, id, micros_ceil};
use crate::errors::{corrupt, db};
use crate::MongoStore;
use async_trait::async_trait;
use chrono::DateTime;
use mongodb::bson::{doc, Bson, Document};
use ticket_core::error::Result;
use ticket_core::id::TenantId;
use ticket_core::ports::{HandleTime, HourlyCount, VolumeQuery, VolumeStore};

/// The `$match` of the tickets in scope (deleted tickets have no document).
fn scope(tenant: TenantId, query: &VolumeQuery) -> Document {
    // Stored instants are whole microseconds: `c ≥ from` is `c ≥ ceil(from)`, and
    // `c < to` is `c < ceil(to)`.
    let mut m = doc! {
        "tenant": id(tenant.as_uuid()),
        "created": { "$gte": micros_ceil(query.from), "$lt": micros_ceil(query.to) },
    };
    if let Some(team) = query.team {
        m.insert("team", id(team.as_uuid()));
    }
    if let Some(category) = &query.category {
        m.insert("category", category.as_str());
    }
    m
}

impl MongoStore {
    /// The one row of a `$group` on `null` summing `sum` over `filter` (0 when none).
    async fn sum_of(&self, filter: Document, sum: Bson) -> Result<i64> {
        let rows = all(self
            .coll(TICKETS)
            .aggregate(vec![
                doc! { "$match": filter },
                doc! { "$group": { "_id": Bson::Null, "n": { "$sum": sum } } },
            ])
            .await
            .map_err(db)?)
        .await?;
        rows.first().map_or(Ok(0), |d| get_int(d, "n"))
    }
}

#[async_trait]
impl VolumeStore for MongoStore {
    async fn hourly_created(
        &self,
        tenant: TenantId,
        query: &VolumeQuery,
    ) -> Result<Vec<HourlyCount>> {
        let rows = all(self
            .coll(TICKETS)
            .aggregate(vec![
                doc! { "$match": scope(tenant, query) },
                doc! { "$group": { "_id": "$hour", "n": { "$sum": 1 } } },
            ])
            .await
            .map_err(db)?)
        .await?;
        let mut counts = rows
            .iter()
            .map(|d| {
                let hour = get_int(d, "_id")?;
                let hour = DateTime::from_timestamp(hour.saturating_mul(3600), 0)
                    .ok_or_else(|| corrupt(format!("hour {hour} out of range")))?;
                Ok(HourlyCount {
                    hour,
                    tickets: get_count(d, "n")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        counts.sort_by_key(|c| c.hour);
        Ok(counts)
    }

    async fn handle_time(&self, tenant: TenantId, query: &VolumeQuery) -> Result<HandleTime> {
        let mut measured = scope(tenant, query);
        measured.insert("handled", 1);
        let (n, total) = futures::try_join!(
            self.sum_of(measured.clone(), Bson::Int32(1)),
            self.sum_of(measured, Bson::String("$handle_us".into())),
        )?;
        let tickets = u64::try_from(n).unwrap_or(0);
        #[allow(clippy::cast_precision_loss)] // sums of microseconds far below 2^53 s
        let mean_secs = (tickets > 0).then(|| total as f64 / n as f64 / 1e6);
        Ok(HandleTime { tickets, mean_secs })
    }
}
