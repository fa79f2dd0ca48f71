//! CPU time per create, read from Linux's `/proc`: this process's (the desk, the
//! classifier, the driver) and that of the PostgreSQL backends serving one pool (found
//! by the pool's `application_name`). On a machine shared with other work a rate moves
//! with whatever else runs; the CPU a create costs hardly does, so it is the figure to
//! compare setups by (e.g. what classification adds to a create).
//!
//! `/proc/<pid>/stat` counts in clock ticks of `USER_HZ`, which Linux fixes at 100 on
//! every architecture it reports to user space (10 ms: over a 10 s level of thousands of
//! creates, well below a microsecond per create).

use sqlx::postgres::PgPool;
use std::collections::HashMap;

/// Clock ticks per second of `/proc/<pid>/stat`.
const USER_HZ: f64 = 100.0;

/// CPU seconds (user + system) of process `pid` so far; `None` once it has exited.
fn cpu_of(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces): state is the first, then
    // utime and stime are the 12th and 13th.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut f = rest.split_whitespace().skip(11);
    let utime: f64 = f.next()?.parse().ok()?;
    let stime: f64 = f.next()?.parse().ok()?;
    Some((utime + stime) / USER_HZ)
}

/// The CPU used so far by this process and by each backend of one pool.
pub struct Mark {
    ours: f64,
    backends: HashMap<i32, f64>,
}

/// The backends' process ids of the connections named `app`.
async fn backends(pool: &PgPool, app: &str) -> Vec<i32> {
    sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE application_name = $1")
        .bind(app)
        .fetch_all(pool)
        .await
        .unwrap_or_default()
}

/// Where the CPU counters stand now (`pool` only runs the query; `app` names the pool
/// measured).
pub async fn mark(pool: &PgPool, app: &str) -> Mark {
    let pids = backends(pool, app).await;
    Mark {
        ours: cpu_of("self").unwrap_or(0.0),
        backends: pids
            .into_iter()
            .filter_map(|p| Some((p, cpu_of(&p.to_string())?)))
            .collect(),
    }
}

/// CPU spent since `start`, in seconds: (this process, the pool's backends). A backend
/// opened meanwhile counts from zero; one closed meanwhile is lost (pools stay open
/// while measured).
pub async fn since(start: &Mark, pool: &PgPool, app: &str) -> (f64, f64) {
    let end = mark(pool, app).await;
    let pg = end
        .backends
        .iter()
        .map(|(pid, cpu)| cpu - start.backends.get(pid).copied().unwrap_or(0.0))
        .sum();
    (end.ours - start.ours, pg)
}
