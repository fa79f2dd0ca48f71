//! Who and what is in the table: the tenant's people and SLA policy, and the million
//! open tickets (written in creation order, rows built by the store's own code).

use crate::data::{self, People, Rng};
use crate::Config;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgPool;
use std::time::Instant;
use ticket_core::id::{SlaPolicyId, TeamId, TenantId, UserId};
use ticket_core::ports::{ConfigStore, TeamStore, UserStore};
use ticket_core::sla::{SlaCondition, SlaPolicy, SlaTargets};
use ticket_core::testkit::fixtures;
use ticket_core::text::Name;
use ticket_store_postgres::{sqlx, PostgresStore};

/// The tenant's people and its SLA policy (every ticket: first response in an hour,
/// resolution in a day, warnings at 80 %).
pub async fn setup(store: &PostgresStore) -> People {
    let tenant = TenantId::new();
    let mut teams = Vec::new();
    for i in 0..10 {
        let t = fixtures::team(tenant, &format!("Team {i}"));
        store.create_team(&t).await.unwrap();
        teams.push(t.id);
    }
    let mut agents = Vec::new();
    for i in 0..50 {
        let a = fixtures::agent(tenant, &format!("agent{i:03}"), &[teams[i % teams.len()]]);
        store.create_user(&a).await.unwrap();
        agents.push(a.id);
    }
    let mut requesters = Vec::new();
    for i in 0..1_000 {
        let u = fixtures::user(tenant, &format!("customer{i:04}"));
        store.create_user(&u).await.unwrap();
        requesters.push(u.id);
    }
    let policy = SlaPolicy {
        id: SlaPolicyId::new(),
        tenant,
        name: Name::parse("Standard").unwrap(),
        position: 1,
        enabled: true,
        condition: SlaCondition::default(),
        targets: SlaTargets {
            first_response_minutes: Some(60),
            next_response_minutes: Some(240),
            resolution_minutes: Some(1440),
        },
        calendar_id: None,
        warn_at_percent: 80,
        updated_at: Utc::now(),
    };
    store.save_sla_policy(&policy).await.unwrap();
    People {
        tenant,
        requesters,
        agents,
        teams,
        policy: policy.id,
    }
}

/// The people of a kept benchmark schema.
pub async fn existing_people(pool: &PgPool, schema: &str) -> People {
    let uuids = |sql: String| async move {
        sqlx::query_scalar::<_, uuid::Uuid>(&sql)
            .fetch_all(pool)
            .await
            .unwrap()
    };
    let tenant = uuids(format!("SELECT tenant FROM \"{schema}\".users LIMIT 1")).await[0];
    People {
        tenant: TenantId::from_uuid(tenant),
        requesters: uuids(format!(
            "SELECT id FROM \"{schema}\".users WHERE NOT is_agent"
        ))
        .await
        .into_iter()
        .map(UserId::from_uuid)
        .collect(),
        agents: uuids(format!(
            "SELECT id FROM \"{schema}\".users WHERE is_agent ORDER BY id"
        ))
        .await
        .into_iter()
        .map(UserId::from_uuid)
        .collect(),
        teams: uuids(format!("SELECT id FROM \"{schema}\".teams"))
            .await
            .into_iter()
            .map(TeamId::from_uuid)
            .collect(),
        policy: SlaPolicyId::from_uuid(
            uuids(format!("SELECT id FROM \"{schema}\".sla_policies")).await[0],
        ),
    }
}

/// Step 2: tops the table up to `cfg.tickets` open tickets, `cfg.due` of them due at
/// `now`.
pub async fn seed(cfg: &Config, store: &PostgresStore, people: &People, now: DateTime<Utc>) {
    let have: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM \"{}\".tickets",
        store.schema()
    ))
    .fetch_one(store.pool())
    .await
    .unwrap();
    let missing = cfg.tickets.saturating_sub(u64::try_from(have).unwrap_or(0));
    let started = Instant::now();
    let mut rng = Rng::new(42);
    let mut done = 0u64;
    const BATCH: u64 = 5_000;
    // In creation order over the two years before the benchmark's creates (which are
    // newer); the last `due` were created two hours before `now` and are due.
    let due = (cfg.due as u64).min(missing);
    let first = now - chrono::Duration::days(730);
    let step_us = chrono::Duration::days(729).num_microseconds().unwrap_or(0)
        / i64::try_from(missing.max(1)).unwrap_or(1);
    while done < missing {
        let n = BATCH.min(missing - done);
        let (tickets, events): (Vec<_>, Vec<_>) = (done..done + n)
            .map(|i| {
                let is_due = i >= missing - due;
                let created = if is_due {
                    now - chrono::Duration::minutes(120)
                } else {
                    first + chrono::Duration::microseconds(step_us * i as i64)
                };
                data::seed_ticket(&mut rng, people, now, created, is_due)
            })
            .unzip();
        store.bulk_insert(&tickets, &events).await.unwrap();
        done += n;
        if done % 100_000 < BATCH {
            println!(
                "  seeded {done:>9} tickets ({:.0}/s)",
                done as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    let vacuum = Instant::now();
    for table in ["tickets", "events"] {
        sqlx::query(&format!("VACUUM (ANALYZE) \"{}\".{table}", store.schema()))
            .execute(store.pool())
            .await
            .unwrap();
    }
    // The reads are timed on a settled database, not while the bulk load's dirty pages
    // are flushed (a checkpoint then competes with them for the disk).
    if let Err(e) = sqlx::query("CHECKPOINT").execute(store.pool()).await {
        println!("  CHECKPOINT refused ({e}); the first reads may meet its flush");
    }
    println!(
        "  seeded {missing} tickets in {:.0} s, VACUUM ANALYZE and CHECKPOINT in {:.0} s",
        started.elapsed().as_secs_f64(),
        vacuum.elapsed().as_secs_f64()
    );
}
