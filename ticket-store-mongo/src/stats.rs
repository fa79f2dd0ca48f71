//! `TicketStore::stats` by aggregation pipelines: one `$match` of the window and team,
//! then a `$group` per breakdown (with one accumulator each, which every server computes
//! right), the pipelines run concurrently. Only the groups travel, never the tickets.

use crate::connect::names::TICKETS;
use crate::docs::{all, get_count, get_opt_int, id, instant, micros_ceil};
use crate::errors::db;
use crate::MongoStore;
use mongodb::bson::{doc, Bson, Document};
use std::cmp::Reverse;
use std::collections::BTreeMap;
use ticket_core::error::Result;
use ticket_core::id::{TenantId, UserId};
use ticket_core::query::{days_spanned, AgentLoadStat, Stats, StatsQuery};
use ticket_core::ticket::Priority;

/// The `$match` of the tickets in scope.
fn scope(tenant: TenantId, q: &StatsQuery) -> Document {
    let mut m = doc! { "tenant": id(tenant.as_uuid()) };
    let mut created = Document::new();
    if let Some(from) = q.from {
        created.insert("$gte", micros_ceil(from));
    }
    if let Some(to) = q.to {
        created.insert("$lt", micros_ceil(to));
    }
    if !created.is_empty() {
        m.insert("created", created);
    }
    if let Some(team) = q.team {
        m.insert("team", id(team.as_uuid()));
    }
    m
}

/// Runs `[$match scope, …stages]`.
async fn run(store: &MongoStore, scope: &Document, stages: Vec<Document>) -> Result<Vec<Document>> {
    let mut pipeline = vec![doc! { "$match": scope.clone() }];
    pipeline.extend(stages);
    all(store.coll(TICKETS).aggregate(pipeline).await.map_err(db)?).await
}

/// Counts per value of `field`.
async fn count_by(store: &MongoStore, scope: &Document, field: &str) -> Result<Vec<(Bson, u64)>> {
    let groups = run(
        store,
        scope,
        vec![doc! { "$group": { "_id": format!("${field}"), "n": { "$sum": 1 } } }],
    )
    .await?;
    groups
        .iter()
        .map(|g| {
            Ok((
                g.get("_id").cloned().unwrap_or(Bson::Null),
                get_count(g, "n")?,
            ))
        })
        .collect()
}

/// The creation instant of the first (`order` 1) or last (-1) ticket in scope: an index
/// walk of one document (`$min`/`$max` accumulators are not everywhere: FerretDB 1.x
/// has only `$sum` and `$count`).
async fn edge(
    store: &MongoStore,
    scope: &Document,
    order: i32,
) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    let d = store
        .coll(TICKETS)
        .find_one(scope.clone())
        .sort(doc! { "created": order, "_id": order })
        .projection(doc! { "created": 1 })
        .await
        .map_err(db)?;
    d.as_ref()
        .map(|d| get_opt_int(d, "created"))
        .transpose()
        .map(Option::flatten)?
        .map(instant)
        .transpose()
}

/// The sum of `field` over the tickets in scope (one accumulator per `$group`: FerretDB
/// 1.x feeds every accumulator of a group the same, already consumed, iterator).
async fn sum_of(store: &MongoStore, scope: &Document, field: &str) -> Result<u64> {
    let groups = run(
        store,
        scope,
        vec![doc! { "$group": { "_id": Bson::Null, "n": { "$sum": format!("${field}") } } }],
    )
    .await?;
    groups.first().map_or(Ok(0), |g| get_count(g, "n"))
}

/// The string of a group key.
fn key_str(b: &Bson) -> String {
    b.as_str().unwrap_or_default().to_string()
}

/// Statistics of `tenant`'s tickets in the query's window and team.
pub(crate) async fn stats(store: &MongoStore, tenant: TenantId, q: &StatsQuery) -> Result<Stats> {
    let scope = scope(tenant, q);
    let sla = run(
        store,
        &scope,
        vec![
            doc! { "$match": { "sla_has": true } },
            doc! { "$group": {
                "_id": { "cat": "$cat", "breached": "$sla_breached", "risk": "$sla_at_risk" },
                "n": { "$sum": 1 },
            } },
        ],
    );
    let load = run(
        store,
        &scope,
        vec![
            doc! { "$match": { "open": true, "assignee": { "$ne": Bson::Null } } },
            doc! { "$group": { "_id": "$assignee", "n": { "$sum": 1 } } },
        ],
    );
    let (by_open, faq_s, faq_c, faq_r, first, last, by_status, by_priority, by_category, sla, load) =
        futures::try_join!(
            count_by(store, &scope, "open"),
            sum_of(store, &scope, "faq_s"),
            sum_of(store, &scope, "faq_c"),
            sum_of(store, &scope, "faq_r"),
            edge(store, &scope, 1),
            edge(store, &scope, -1),
            count_by(store, &scope, "status"),
            count_by(store, &scope, "priority"),
            count_by(store, &scope, "category"),
            sla,
            load,
        )?;
    let mut stats = Stats::default();
    for (open, n) in &by_open {
        stats.total += n;
        if open.as_bool() == Some(true) {
            stats.open += n;
        }
    }
    if stats.total == 0 {
        return Ok(stats);
    }
    stats.deflection.suggested = faq_s;
    stats.deflection.confirmed = faq_c;
    stats.deflection.rejected = faq_r;
    if let (Some(first), Some(last)) = (q.from.or(first), q.to.or(last)) {
        if stats.total > 0 {
            stats.average_per_day = stats.total as f64 / days_spanned(first, last) as f64;
        }
    }
    stats.by_status = by_status
        .iter()
        .map(|(k, n)| (key_str(k), *n))
        .collect::<BTreeMap<_, _>>();
    stats.by_category = by_category.iter().map(|(k, n)| (key_str(k), *n)).collect();
    for (k, n) in &by_priority {
        let rank = match k {
            Bson::Int32(r) => u8::try_from(*r).ok(),
            Bson::Int64(r) => u8::try_from(*r).ok(),
            _ => None,
        };
        if let Some(p) = rank.and_then(Priority::from_rank) {
            *stats.by_priority.entry(p.as_str().to_string()).or_default() += n;
        }
    }
    for g in &sla {
        let key = g.get_document("_id").cloned().unwrap_or_default();
        let n = get_count(g, "n")?;
        let cat = key.get_str("cat").unwrap_or_default();
        let open = matches!(cat, "new" | "open" | "pending");
        let solved = matches!(cat, "solved" | "closed");
        if key.get_bool("breached").unwrap_or(false) {
            stats.sla.breached += n;
        } else if solved {
            stats.sla.met += n;
        } else if open && key.get_bool("risk").unwrap_or(false) {
            stats.sla.at_risk += n;
        }
    }
    let mut agent_load: Vec<AgentLoadStat> = load
        .iter()
        .filter_map(|g| {
            let user = g.get_str("_id").ok()?;
            let user = uuid::Uuid::parse_str(user).ok()?;
            Some(AgentLoadStat {
                user_id: UserId::from_uuid(user),
                open: get_count(g, "n").ok()?,
            })
        })
        .collect();
    agent_load.sort_by_key(|a| (Reverse(a.open), a.user_id));
    stats.agent_load = agent_load;
    Ok(stats)
}
