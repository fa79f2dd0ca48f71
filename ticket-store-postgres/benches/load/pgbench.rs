//! The yardstick: `pgbench` running a one-row `INSERT` of the same shape as a ticket
//! row (same columns, same indexes, same storage parameters: the table is `LIKE tickets
//! INCLUDING ALL` with the `tickets` table's options) at the same concurrency, one statement per
//! transaction.
//!
//! Beside it, for context, pgbench running what the store's create statement does with
//! that row: the same insert, its events inserted into a table `LIKE events INCLUDING
//! ALL`, and the events notified on a channel, in one statement. What PostgreSQL alone
//! does for a create: the part of the gap to the one-row insert that no client can
//! close without writing less.

use std::path::{Path, PathBuf};
use std::process::Command;
use ticket_core::event::TicketEvent;
use ticket_core::query::search_words;
use ticket_core::ticket::Ticket;

/// The scratch table, in the bench schema.
pub const TABLE: &str = "pgbench_tickets";
/// The scratch events table of the whole statement, in the bench schema.
pub const EVENTS: &str = "pgbench_events";

/// SQL text literal.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Stands for `:` in the document literal: pgbench reads `:name` in a script as a
/// variable, JSON has `":null"` and times have `10:20`; the server puts them back.
const COLON: char = '¤';

/// One script: insert a row shaped like `t` (a fresh id, timestamps of now); with
/// `events`, in the store's statement: the events inserted and notified beside it.
fn script(schema: &str, t: &Ticket, events: Option<&[TicketEvent]>) -> String {
    let doc = serde_json::to_string(t)
        .expect("a ticket serialises")
        .replace(':', &COLON.to_string());
    let mut words = search_words(t.title.as_str());
    words.extend(search_words(t.description.as_str()));
    let tags: Vec<String> = t.tags.iter().map(|g| g.as_str().to_string()).collect();
    let insert = format!(
        "INSERT INTO \"{schema}\".{TABLE} (id, tenant, status, status_category, priority, \
         category, tags, requester, assignee, team, created_at, updated_at, assigned_at, \
         has_sla, sla_next_check, sla_at_risk, sla_breached, version, search, doc) VALUES \
         (gen_random_uuid(), {tenant}, 'new', 'new', :p, {category}, {tags}::text[], \
         {requester}, NULL, NULL, now(), now(), NULL, true, now() + interval '1 hour', \
         false, false, 1, to_tsvector('simple', {words}), replace({doc}, '{COLON}', ':')::jsonb)",
        tenant = lit(&t.tenant.to_string()),
        category = lit(t.category.as_str()),
        tags = lit(&format!("{{{}}}", tags.join(","))),
        requester = lit(&t.requester.to_string()),
        words = lit(&words.join(" ")),
        doc = lit(&doc),
    );
    let statement = match events {
        None => insert,
        Some(events) => {
            let docs: Vec<String> = events
                .iter()
                .map(|e| {
                    let json = serde_json::to_string(e).expect("an event serialises");
                    format!(
                        "(replace({}, '{COLON}', ':'))",
                        lit(&json.replace(':', &COLON.to_string()))
                    )
                })
                .collect();
            format!(
                "WITH ticket AS ({insert} RETURNING id), \
                 e AS (SELECT doc FROM (VALUES {docs}) AS v(doc)), \
                 events_in AS (INSERT INTO \"{schema}\".{EVENTS} (id, tenant, ticket_id, at, doc) \
                   SELECT gen_random_uuid(), {tenant}, (SELECT id FROM ticket), now(), doc::jsonb \
                   FROM e WHERE EXISTS (SELECT 1 FROM ticket)), \
                 notified AS (SELECT count(pg_notify({channel}, doc)) AS sent FROM e \
                   WHERE EXISTS (SELECT 1 FROM ticket)) \
                 SELECT count(*) FROM ticket WHERE (SELECT sent FROM notified) >= 0",
                docs = docs.join(", "),
                tenant = lit(&t.tenant.to_string()),
                channel = lit(&format!("{schema}_pgbench")),
            )
        }
    };
    format!("\\set p random(0, 3)\n{statement};\n")
}

/// Writes one script per sample ticket into `dir`; returns their paths.
pub fn write_scripts(dir: &Path, schema: &str, samples: &[Ticket]) -> Vec<PathBuf> {
    samples
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let path = dir.join(format!("insert_{i}.sql"));
            std::fs::write(&path, script(schema, t, None)).expect("write a pgbench script");
            path
        })
        .collect()
}

/// Writes the script of the store's whole statement for `sample` (its row and
/// `events`) into `dir`; returns its path.
pub fn write_statement_script(
    dir: &Path,
    schema: &str,
    sample: &Ticket,
    events: &[TicketEvent],
) -> PathBuf {
    let path = dir.join("statement.sql");
    std::fs::write(&path, script(schema, sample, Some(events))).expect("write a pgbench script");
    path
}

/// What one pgbench run measured.
pub struct Run {
    pub tps: f64,
    pub latency_ms: f64,
}

/// `"N tps (average M ms)"`, or `"failed"`.
pub fn summary(run: Option<&Run>) -> String {
    run.map_or("failed".to_string(), |r| {
        format!("{:.0} tps (average {:.2} ms)", r.tps, r.latency_ms)
    })
}

/// Runs pgbench with `clients` clients for `secs` seconds over `scripts` (equal
/// weights; use one with prepared statements), prepared statements; `None` (with the reason printed) when it fails.
pub fn run(url: &str, scripts: &[PathBuf], clients: usize, secs: u64) -> Option<Run> {
    let mut cmd = Command::new("pgbench");
    // The store's pool speaks plain TCP (`sqlx` is built without TLS), so pgbench must
    // too: libpq's default `sslmode=prefer` would put TLS on the yardstick alone and
    // flatter the ratio (measured: pgbench 30–50 % slower with TLS at 16 and 64 clients).
    cmd.env("PGSSLMODE", "disable")
        .args(["-n", "-M", "prepared"])
        .args(["-c", &clients.to_string(), "-j", &clients.to_string()])
        .args(["-T", &secs.to_string()]);
    for s in scripts {
        cmd.arg("-f").arg(s);
    }
    cmd.arg(url);
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) => {
            eprintln!("pgbench could not run: {e}");
            return None;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let value = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<f64>().ok())
    };
    match (value("tps = "), value("latency average = ")) {
        (Some(tps), Some(latency_ms)) if out.status.success() => Some(Run { tps, latency_ms }),
        _ => {
            eprintln!(
                "pgbench failed: {}\n{}",
                String::from_utf8_lossy(&out.stderr),
                text
            );
            None
        }
    }
}
