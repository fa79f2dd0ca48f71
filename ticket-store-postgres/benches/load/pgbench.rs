//! The yardstick: `pgbench` running a one-row `INSERT` of the same shape as a ticket
//! row (same columns, same indexes, same storage parameters: the table is `LIKE tickets
//! INCLUDING ALL` with the `tickets` table's options) at the same concurrency, one statement per
//! transaction.
//!
//! The row's values (the document, the search words, the ids, the tags) reach pgbench as
//! variables (`-D name=value`) that its prepared statement binds at every execution, as
//! the store binds them: PostgreSQL parses the document and computes the search vector
//! for every row. Written into the script as literals instead, they were constants of
//! the statement, and the plan pgbench prepares once folded them: the one-row insert then
//! copied a document parsed once, which no client inserting new rows can do (measured on
//! 2026-12-06: 17 %, 39 % and 15 % more inserts per second at 1, 16 and 64 clients than
//! with bound values, see the README).
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

/// A pgbench script and the values its statement binds (`-D name=value`).
pub struct Script {
    path: PathBuf,
    values: Vec<(&'static str, String)>,
}

/// A PostgreSQL array literal of `items`, each one quoted.
fn array_literal<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let quoted: Vec<String> = items
        .into_iter()
        .map(|s| {
            let escaped = s.as_ref().replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{escaped}\"")
        })
        .collect();
    format!("{{{}}}", quoted.join(","))
}

/// One script: insert a row shaped like `t` (a fresh id, timestamps of now); with
/// `events`, in the store's statement: the events inserted and notified beside it.
fn script(dir: &Path, schema: &str, t: &Ticket, events: Option<&[TicketEvent]>) -> Script {
    let mut words = search_words(t.title.as_str());
    words.extend(search_words(t.description.as_str()));
    let mut values = vec![
        ("tenant", t.tenant.to_string()),
        ("category", t.category.as_str().to_string()),
        ("tags", array_literal(t.tags.iter().map(|g| g.as_str()))),
        ("requester", t.requester.to_string()),
        ("words", words.join(" ")),
        (
            "doc",
            serde_json::to_string(t).expect("a ticket serialises"),
        ),
    ];
    let insert = format!(
        "INSERT INTO \"{schema}\".{TABLE} (id, tenant, status, status_category, priority, \
         category, tags, requester, assignee, team, created_at, updated_at, assigned_at, \
         has_sla, sla_next_check, sla_at_risk, sla_breached, version, search, doc) VALUES \
         (gen_random_uuid(), :tenant::uuid, 'new', 'new', :p, :category, :tags::text[], \
         :requester::uuid, NULL, NULL, now(), now(), NULL, true, now() + interval '1 hour', \
         false, false, 1, to_tsvector('simple', :words), :doc::jsonb)"
    );
    let (name, statement) = match events {
        None => ("insert.sql", insert),
        Some(events) => {
            let docs: Vec<String> = events
                .iter()
                .map(|e| serde_json::to_string(e).expect("an event serialises"))
                .collect();
            values.push(("events", array_literal(&docs)));
            values.push(("channel", format!("{schema}_pgbench")));
            let statement = format!(
                "WITH ticket AS ({insert} RETURNING id), \
                 events_in AS (INSERT INTO \"{schema}\".{EVENTS} (id, tenant, ticket_id, at, doc) \
                   SELECT gen_random_uuid(), :tenant::uuid, (SELECT id FROM ticket), now(), e.doc \
                   FROM unnest(:events::jsonb[]) AS e(doc) WHERE EXISTS (SELECT 1 FROM ticket)), \
                 notified AS (SELECT count(pg_notify(:channel, p)) AS sent \
                   FROM unnest(:events::text[]) AS p WHERE EXISTS (SELECT 1 FROM ticket)) \
                 SELECT count(*) FROM ticket WHERE (SELECT sent FROM notified) >= 0"
            );
            ("statement.sql", statement)
        }
    };
    let path = dir.join(name);
    std::fs::write(&path, format!("\\set p random(0, 3)\n{statement};\n"))
        .expect("write a pgbench script");
    Script { path, values }
}

/// Writes the one-row insert's script for `sample` into `dir`.
pub fn insert_script(dir: &Path, schema: &str, sample: &Ticket) -> Script {
    script(dir, schema, sample, None)
}

/// Writes the script of the store's whole statement for `sample` (its row and
/// `events`) into `dir`.
pub fn statement_script(
    dir: &Path,
    schema: &str,
    sample: &Ticket,
    events: &[TicketEvent],
) -> Script {
    script(dir, schema, sample, Some(events))
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

/// Runs pgbench with `clients` clients for `secs` seconds over `script`, as a prepared
/// statement binding the script's values; `None` (with the reason printed) when it fails.
pub fn run(url: &str, script: &Script, clients: usize, secs: u64) -> Option<Run> {
    let mut cmd = Command::new("pgbench");
    // The store's pool speaks plain TCP (`sqlx` is built without TLS), so pgbench must
    // too: libpq's default `sslmode=prefer` would put TLS on the yardstick alone and
    // flatter the ratio (measured: pgbench 30–50 % slower with TLS at 16 and 64 clients).
    cmd.env("PGSSLMODE", "disable")
        .args(["-n", "-M", "prepared"])
        .args(["-c", &clients.to_string(), "-j", &clients.to_string()])
        .args(["-T", &secs.to_string()]);
    for (name, value) in &script.values {
        cmd.arg("-D").arg(format!("{name}={value}"));
    }
    cmd.arg("-f").arg(&script.path);
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
