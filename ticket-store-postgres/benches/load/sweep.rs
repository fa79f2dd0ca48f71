//! Step 3's SLA sweeps: `HelpDesk::sweep_sla` over the million open tickets, several
//! times, each sweep finding about `cfg.due` tickets due.
//!
//! The first sweep runs at the instant the seed was made for (its `cfg.due` tickets are
//! due then). The seed spreads every other ticket's next check over the following week
//! (about 100 a minute at 1,000,000 tickets, from a minute after it), so each further
//! sweep runs a minute after the one before and meets the tickets that fell due in that
//! minute: old tickets whose
//! history is read and whose warnings and breaches are recorded. On a kept schema the
//! sweeps start a minute after the earliest next check, so every run sweeps new tickets.

use crate::measure::{timed, Samples};
use chrono::{DateTime, Duration, Utc};
use ticket_core::desk::SweepReport;
use ticket_core::HelpDesk;
use ticket_store_postgres::{sqlx, PostgresStore};

/// The sweeps' figures.
pub struct Sweeps {
    /// One report and time per sweep, in order.
    pub runs: Vec<(SweepReport, std::time::Duration)>,
    /// Their times.
    pub times: Samples,
}

/// `n` sweeps, the first at `seeded` (the seed's instant) or, on a kept schema, a minute
/// after the earliest next check; each next one a minute later.
pub async fn sweeps(
    desk: &HelpDesk,
    store: &PostgresStore,
    seeded: Option<DateTime<Utc>>,
    n: usize,
) -> Sweeps {
    let first = match seeded {
        Some(now) => now,
        None => {
            let earliest: Option<DateTime<Utc>> = sqlx::query_scalar(&format!(
                "SELECT min(sla_next_check) FROM \"{}\".tickets",
                store.schema()
            ))
            .fetch_one(store.pool())
            .await
            .unwrap();
            earliest.unwrap_or_else(Utc::now) + Duration::minutes(1)
        }
    };
    let mut out = Sweeps {
        runs: Vec::new(),
        times: Samples::default(),
    };
    for i in 0..n {
        let minutes = i64::try_from(i).unwrap();
        // After the seeded sweep, the first minute's window: the seed's next checks
        // start a minute after its instant.
        let at = match (seeded, i) {
            (Some(_), 1..) => first + Duration::minutes(minutes + 1),
            _ => first + Duration::minutes(minutes),
        };
        let (report, time) = timed(desk.sweep_sla(at)).await;
        let report = report.unwrap();
        println!(
            "  sweep {i} at {}: {:>6.1} ms, {} checked ({} warnings, {} breaches, {} conflicts)",
            at.format("%H:%M:%S"),
            time.as_secs_f64() * 1000.0,
            report.checked,
            report.warnings,
            report.breaches,
            report.conflicts
        );
        out.runs.push((report, time));
        out.times.push(time);
    }
    out
}
