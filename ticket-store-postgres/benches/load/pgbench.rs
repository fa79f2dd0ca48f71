//! The yardstick: `pgbench` running a one-row `INSERT` of the same shape as a ticket
//! row (same columns, same indexes, same storage parameters: the table is `LIKE tickets
//! INCLUDING ALL` with the `tickets` table's options) at the same concurrency, one statement per
//! transaction.

use std::path::{Path, PathBuf};
use std::process::Command;
use ticket_core::query::search_words;
use ticket_core::ticket::Ticket;

/// The scratch table, in the bench schema.
pub const TABLE: &str = "pgbench_tickets";

/// SQL text literal.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Stands for `:` in the document literal: pgbench reads `:name` in a script as a
/// variable, JSON has `":null"` and times have `10:20`; the server puts them back.
const COLON: char = '¤';

/// One script: insert a row shaped like `t` (a fresh id, timestamps of now).
fn script(schema: &str, t: &Ticket) -> String {
    let doc = serde_json::to_string(t)
        .expect("a ticket serialises")
        .replace(':', &COLON.to_string());
    let mut words = search_words(t.title.as_str());
    words.extend(search_words(t.description.as_str()));
    let tags: Vec<String> = t.tags.iter().map(|g| g.as_str().to_string()).collect();
    format!(
        "\\set p random(0, 3)\n\
         INSERT INTO \"{schema}\".{TABLE} (id, tenant, status, status_category, priority, \
         category, tags, requester, assignee, team, created_at, updated_at, assigned_at, \
         has_sla, sla_next_check, sla_at_risk, sla_breached, version, search, doc) VALUES \
         (gen_random_uuid(), {tenant}, 'new', 'new', :p, {category}, {tags}::text[], \
         {requester}, NULL, NULL, now(), now(), NULL, true, now() + interval '1 hour', \
         false, false, 1, to_tsvector('simple', {words}), replace({doc}, '{COLON}', ':')::jsonb);\n",
        tenant = lit(&t.tenant.to_string()),
        category = lit(t.category.as_str()),
        tags = lit(&format!("{{{}}}", tags.join(","))),
        requester = lit(&t.requester.to_string()),
        words = lit(&words.join(" ")),
        doc = lit(&doc),
    )
}

/// Writes one script per sample ticket into `dir`; returns their paths.
pub fn write_scripts(dir: &Path, schema: &str, samples: &[Ticket]) -> Vec<PathBuf> {
    samples
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let path = dir.join(format!("insert_{i}.sql"));
            std::fs::write(&path, script(schema, t)).expect("write a pgbench script");
            path
        })
        .collect()
}

/// What one pgbench run measured.
pub struct Run {
    pub tps: f64,
    pub latency_ms: f64,
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
