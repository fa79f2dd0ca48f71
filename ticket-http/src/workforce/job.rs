//! The server's queue job: on a timer, and as soon as an agent becomes available on this
//! instance ([`HelpDesk::queue_woken`]), it ends the shifts whose scheduled end has passed
//! ([`HelpDesk::end_finished_shifts`]) and assigns the unassigned queue
//! ([`HelpDesk::run_queue`], skills-match). Safe on several instances at once: the core
//! saves every assignment against the ticket's version and the agent's capacity.

use crate::middleware::metrics::Metrics;
use std::time::Duration;
use ticket_core::id::TenantId;
use ticket_core::routing::AssignStrategy;
use ticket_core::HelpDesk;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

/// Shifts ended per round, at most.
const SHIFT_END_BATCH: u32 = 100;

/// Runs until `stop` turns true.
pub(crate) async fn queue_job(
    desk: HelpDesk,
    tenant: TenantId,
    every: Duration,
    metrics: Metrics,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                match desk.end_finished_shifts(SHIFT_END_BATCH).await {
                    Ok(n) => metrics.add("ticket_shifts_auto_ended_total", u64::from(n)),
                    Err(e) => {
                        metrics.add("ticket_background_errors_total", 1);
                        tracing::warn!(error = %e, "ending finished shifts failed");
                    }
                }
                run(&desk, tenant, &metrics).await;
            }
            () = desk.queue_woken() => run(&desk, tenant, &metrics).await,
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

async fn run(desk: &HelpDesk, tenant: TenantId, metrics: &Metrics) {
    match desk.run_queue(tenant, AssignStrategy::SkillsMatch).await {
        Ok(r) => {
            metrics.add("ticket_queue_assigned_total", u64::from(r.assigned));
            if r.assigned > 0 {
                tracing::info!(
                    assigned = r.assigned,
                    conflicts = r.conflicts,
                    "queue processed"
                );
            }
        }
        Err(e) => {
            metrics.add("ticket_background_errors_total", 1);
            tracing::warn!(error = %e, "queue processing failed");
        }
    }
}
