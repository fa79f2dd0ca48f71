//! What only the MongoDB side needs: a database of its own per run (and the clean-up of
//! those that interrupted runs left), and the server's plan of a query (`explain`),
//! printed before its latencies.

use ticket_store_mongo::mongodb::bson::Document;
use ticket_store_mongo::mongodb::Client;
use ticket_store_mongo::MongoStore;

/// The prefix of the bench's MongoDB databases (then a UUIDv7: its creation time).
const BENCH_DB: &str = "ticket_bench_";

/// A migrated store on a new database of its own (`ticket_bench_<uuid v7>`), after
/// dropping the stale ones.
pub async fn fresh_store(url: &str) -> MongoStore {
    let mongo = MongoStore::connect(url).await.unwrap();
    drop_stale_bench_databases(mongo.client()).await;
    let mongo = MongoStore::new(
        mongo.client().clone(),
        &format!("{BENCH_DB}{}", uuid::Uuid::now_v7().simple()),
    );
    mongo.migrate().await.unwrap();
    mongo
}

/// Drops the bench databases created more than an hour ago (left by interrupted runs;
/// a run in progress elsewhere is younger).
async fn drop_stale_bench_databases(client: &Client) {
    let hour_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .saturating_sub(3_600_000);
    for name in client.list_database_names().await.unwrap() {
        let created = name
            .strip_prefix(BENCH_DB)
            .and_then(|hex| uuid::Uuid::parse_str(hex).ok())
            .and_then(|u| u.get_timestamp())
            .map(|t| {
                let (secs, nanos) = t.to_unix();
                u128::from(secs) * 1_000 + u128::from(nanos / 1_000_000)
            });
        if created.is_some_and(|ms| ms < hour_ago) {
            println!("dropping {name}, left by an interrupted run");
            client.database(&name).drop().await.unwrap();
        }
    }
}

/// What a MongoDB-protocol server's `explain` says of a plan: FerretDB 1.x reports
/// whether it pushed the filter, sort and limit down to its backend; MongoDB its winning
/// plan's stages.
pub fn plan_summary(explained: &Document) -> String {
    let pushdowns: Vec<String> = ["filterPushdown", "sortPushdown", "limitPushdown"]
        .iter()
        .filter_map(|k| explained.get_bool(k).ok().map(|v| format!("{k} {v}")))
        .collect();
    if !pushdowns.is_empty() {
        return pushdowns.join(", ");
    }
    let mut stages = Vec::new();
    let mut plan = explained
        .get_document("queryPlanner")
        .and_then(|q| q.get_document("winningPlan"))
        .ok();
    while let Some(p) = plan {
        let stage = p.get_str("stage").unwrap_or("?");
        match p.get_str("indexName") {
            Ok(index) => stages.push(format!("{stage}({index})")),
            Err(_) => stages.push(stage.to_string()),
        }
        plan = p.get_document("inputStage").ok();
    }
    if stages.is_empty() {
        "no plan in the answer".into()
    } else {
        stages.join(" <- ")
    }
}
