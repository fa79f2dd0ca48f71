//! The timers of a server: the SLA sweep ([`HelpDesk::sweep_sla`]), the outbox relay
//! ([`HelpDesk::relay_outbox`]), the purge of expired one-time and refresh tokens
//! ([`HelpDesk::purge_expired_tokens`]) and the purge of delivered bodies
//! ([`HelpDesk::purge_delivered`]), the queue job (`workforce::job`: ends finished
//! shifts, assigns the queue), and the similar-solved notes of new tickets
//! ([`HelpDesk::add_similar_notes`], as tickets are raised on this instance: the lookup
//! is kept off the create's path). Every instance on one database may run them all: the
//! work is claimed through the store, so instances split it instead of repeating it.
//! The sweep claims batches of due tickets and the re-evaluation a policy change
//! requested (one instance walks it), the relay claims deliveries with leases, the
//! purges take rows the others have not locked (`FOR UPDATE SKIP LOCKED` on PostgreSQL;
//! SQLite has one writer anyway), and the queue holds each pick to the agent's capacity
//! in the save.

use crate::middleware::metrics::Metrics;
use std::time::Duration;
use ticket_core::HelpDesk;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

/// How often the jobs run.
#[derive(Debug, Clone, Copy)]
pub struct BackgroundConfig {
    /// Between SLA sweeps.
    pub sweep_every: Duration,
    /// Between outbox relays.
    pub relay_every: Duration,
    /// Deliveries claimed per relay round.
    pub relay_batch: u32,
    /// Between purges of expired tokens.
    pub purge_every: Duration,
    /// Tokens deleted per store round trip of a purge.
    pub purge_batch: u32,
    /// Between purges of delivered bodies older than the relay's retention.
    pub body_purge_every: Duration,
    /// Between queue runs (besides each time an agent becomes available), see
    /// [`crate::workforce`].
    pub queue_every: Duration,
    /// The tenant whose queue the server processes.
    pub queue_tenant: ticket_core::TenantId,
}

impl Default for BackgroundConfig {
    fn default() -> Self {
        Self {
            sweep_every: Duration::from_secs(30),
            relay_every: Duration::from_secs(1),
            relay_batch: 100,
            purge_every: Duration::from_secs(10 * 60),
            purge_batch: 500,
            body_purge_every: Duration::from_secs(3600),
            queue_every: Duration::from_secs(30),
            queue_tenant: ticket_core::TenantId::DEFAULT,
        }
    }
}

/// Relay rounds run back to back while each claims a full batch.
const MAX_DRAIN_ROUNDS: u32 = 10;

/// The running jobs; [`Background::shutdown`] stops them after their current round.
#[derive(Debug)]
pub struct Background {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Background {
    /// Starts the SLA sweep, the outbox relay and the purges on the current Tokio runtime.
    #[must_use]
    pub fn spawn(desk: HelpDesk, config: BackgroundConfig, metrics: Metrics) -> Self {
        let (stop, rx) = watch::channel(false);
        let sweep = {
            let (desk, metrics) = (desk.clone(), metrics.clone());
            every(config.sweep_every, rx.clone(), move || {
                let (desk, metrics) = (desk.clone(), metrics.clone());
                async move { sweep(&desk, &metrics).await }
            })
        };
        let purge = {
            let (desk, metrics) = (desk.clone(), metrics.clone());
            every(config.purge_every, rx.clone(), move || {
                let (desk, metrics) = (desk.clone(), metrics.clone());
                async move { purge(&desk, &metrics, config.purge_batch).await }
            })
        };
        let relay = {
            let (desk, metrics) = (desk.clone(), metrics.clone());
            every(config.relay_every, rx.clone(), move || {
                let (desk, metrics) = (desk.clone(), metrics.clone());
                async move { relay(&desk, &metrics, config.relay_batch).await }
            })
        };
        let queue = crate::workforce::job::queue_job(
            desk.clone(),
            config.queue_tenant,
            config.queue_every,
            metrics.clone(),
            rx.clone(),
        );
        let notes = similar_notes(desk.clone(), metrics.clone(), rx.clone());
        let purge_bodies = every(config.body_purge_every, rx, move || {
            let (desk, metrics) = (desk.clone(), metrics.clone());
            async move { purge_bodies(&desk, &metrics).await }
        });
        Self {
            stop,
            tasks: vec![
                tokio::spawn(sweep),
                tokio::spawn(relay),
                tokio::spawn(purge),
                tokio::spawn(purge_bodies),
                tokio::spawn(queue),
                tokio::spawn(notes),
            ],
        }
    }

    /// Stops the jobs and waits for their current round to finish.
    pub async fn shutdown(self) {
        self.stop.send_replace(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

async fn every<F, Fut>(period: Duration, mut stop: watch::Receiver<bool>, mut job: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut tick = tokio::time::interval(period.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => job().await,
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

async fn sweep(desk: &HelpDesk, metrics: &Metrics) {
    match desk.sweep_sla(desk.now()).await {
        Ok(r) => {
            metrics.add("ticket_sla_sweeps_total", 1);
            metrics.add("ticket_sla_warnings_total", r.warnings);
            metrics.add("ticket_sla_breaches_total", r.breaches);
            metrics.add("ticket_sla_stale_batches_total", r.stale_batches);
            if r.warnings + r.breaches > 0 {
                tracing::info!(
                    checked = r.checked,
                    warnings = r.warnings,
                    breaches = r.breaches,
                    "SLA sweep"
                );
            }
        }
        Err(e) => {
            metrics.add("ticket_background_errors_total", 1);
            tracing::warn!(error = %e, "SLA sweep failed");
        }
    }
}

/// New tickets looked up per round of similar-solved notes.
const NOTES_BATCH: usize = 32;

/// Adds the similar-solved notes of the tickets raised on this instance as they come.
async fn similar_notes(desk: HelpDesk, metrics: Metrics, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            r = desk.add_similar_notes(NOTES_BATCH) => match r {
                Ok(r) => {
                    metrics.add("ticket_similar_notes_total", r.noted);
                    if r.failed + r.dropped > 0 {
                        metrics.add("ticket_background_errors_total", r.failed);
                        tracing::warn!(
                            failed = r.failed,
                            dropped = r.dropped,
                            "similar-solved notes skipped"
                        );
                    }
                }
                Err(e) => {
                    metrics.add("ticket_background_errors_total", 1);
                    tracing::warn!(error = %e, "similar-solved notes failed");
                }
            },
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

async fn purge(desk: &HelpDesk, metrics: &Metrics, batch: u32) {
    match desk.purge_expired_tokens(batch).await {
        Ok(n) => {
            metrics.add("ticket_tokens_purged_total", n);
            if n > 0 {
                tracing::debug!(purged = n, "expired tokens purged");
            }
        }
        Err(e) => {
            metrics.add("ticket_background_errors_total", 1);
            tracing::warn!(error = %e, "token purge failed");
        }
    }
}

async fn relay(desk: &HelpDesk, metrics: &Metrics, batch: u32) {
    for _ in 0..MAX_DRAIN_ROUNDS {
        match desk.relay_outbox(batch).await {
            Ok(r) => {
                metrics.add("ticket_outbox_delivered_total", r.delivered);
                metrics.add("ticket_outbox_retried_total", r.retried);
                metrics.add("ticket_outbox_dead_total", r.dead);
                if r.retried + r.dead > 0 {
                    tracing::warn!(
                        retried = r.retried,
                        dead = r.dead,
                        "outbox deliveries failed"
                    );
                }
                if r.claimed < u64::from(batch) {
                    return;
                }
            }
            Err(e) => {
                metrics.add("ticket_background_errors_total", 1);
                tracing::warn!(error = %e, "outbox relay failed");
                return;
            }
        }
    }
}

async fn purge_bodies(desk: &HelpDesk, metrics: &Metrics) {
    match desk.purge_delivered().await {
        Ok(n) => {
            metrics.add("ticket_outbox_purged_total", n);
            if n > 0 {
                tracing::info!(purged = n, "blanked the bodies of old delivered entries");
            }
        }
        Err(e) => {
            metrics.add("ticket_background_errors_total", 1);
            tracing::warn!(error = %e, "purging delivered bodies failed");
        }
    }
}
