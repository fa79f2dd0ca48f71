//! When deliveries are retried (the Standard Webhooks schedule) and how the relay
//! works (concurrency, attempt deadline, body retention, when a failing endpoint is
//! disabled).

use chrono::Duration;
use serde::{Deserialize, Serialize};

/// The pauses between attempts of the Standard Webhooks schedule, in seconds: 5 s,
/// 5 min, 30 min, 2 h, 5 h, 10 h, then 14 h and 20 h, so the default ten attempts span
/// about three days.
const SCHEDULE_SECS: [u64; 8] = [5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000];

/// Retries on the Standard Webhooks schedule with jitter, then dead-lettering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Attempts before an entry is dead (the first is immediate).
    pub max_attempts: u32,
    /// Delay after the first failure, in seconds; later ones follow the schedule scaled
    /// by `base / 5` (5 s is the Standard Webhooks pace).
    pub base_delay_secs: u32,
    /// The longest delay, in seconds (also caps a receiver's `Retry-After`).
    pub max_delay_secs: u32,
    /// How long a claim lasts before another worker may take the entry, in seconds.
    pub lease_secs: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            base_delay_secs: 5,
            max_delay_secs: 72_000,
            lease_secs: 60,
        }
    }
}

impl RetryPolicy {
    /// The delay before attempt `attempts + 1` after `attempts` failures: the schedule
    /// step (scaled by `base / 5`; the last step repeats), capped at the maximum, scaled
    /// by `jitter` (expected in 0.8–1.2; clamped to 0.5–1.5).
    #[must_use]
    pub fn delay(&self, attempts: u32, jitter: f64) -> Duration {
        let step = usize::try_from(attempts.saturating_sub(1))
            .unwrap_or(usize::MAX)
            .min(SCHEDULE_SECS.len() - 1);
        let scaled = SCHEDULE_SECS[step].saturating_mul(u64::from(self.base_delay_secs)) / 5;
        let capped = scaled.min(u64::from(self.max_delay_secs)) as f64;
        let millis = (capped * 1000.0 * jitter.clamp(0.5, 1.5)) as i64;
        Duration::milliseconds(millis.max(1))
    }

    /// The delay after `attempts` failures when the receiver asked to wait `after`: the
    /// longer of the two, capped at the maximum.
    #[must_use]
    pub fn delay_honouring(
        &self,
        attempts: u32,
        jitter: f64,
        after: Option<std::time::Duration>,
    ) -> Duration {
        let scheduled = self.delay(attempts, jitter);
        let Some(after) = after else {
            return scheduled;
        };
        let cap = u64::from(self.max_delay_secs.max(1)) * 1000;
        let asked = u64::try_from(after.as_millis())
            .unwrap_or(u64::MAX)
            .min(cap);
        scheduled.max(Duration::milliseconds(
            i64::try_from(asked).unwrap_or(i64::MAX),
        ))
    }

    /// The lease as a duration.
    #[must_use]
    pub fn lease(&self) -> Duration {
        Duration::seconds(i64::from(self.lease_secs))
    }
}

/// How the outbox relay works: concurrency, per-attempt deadline, body retention, and
/// when a failing endpoint is disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayConfig {
    /// Deliveries in progress at once per relay call, so one slow endpoint never holds up
    /// the others (a password-reset mail behind a hanging webhook).
    pub concurrency: usize,
    /// The longest one attempt may take; it is also cut short before the claim's lease
    /// would lapse, so another instance never takes an entry this one still delivers.
    pub attempt_timeout: std::time::Duration,
    /// How long a delivered entry keeps its body (which may hold a one-time token); after
    /// that [`crate::ports::Outbox::purge_delivered`] blanks it and keeps the metadata.
    pub retention: Duration,
    /// How long a webhook endpoint may fail continuously (no success in between) before
    /// it is disabled and its owner told: its deliveries are then dead-lettered without
    /// an attempt until an admin enables it again.
    pub disable_after: Duration,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            concurrency: 32,
            attempt_timeout: std::time::Duration::from_secs(10),
            retention: Duration::days(7),
            disable_after: Duration::days(5),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_is_the_standard_webhooks_one_over_about_three_days() {
        let p = RetryPolicy::default();
        let steps: Vec<i64> = (1..p.max_attempts)
            .map(|n| p.delay(n, 1.0).num_seconds())
            .collect();
        assert_eq!(
            steps,
            [5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000, 72_000]
        );
        let total: i64 = steps.iter().sum();
        assert!((60 * 3600..80 * 3600).contains(&total), "{total}");
        assert_eq!(p.delay(1, 0.5), Duration::milliseconds(2500));
        assert_eq!(p.delay(1, 9.0), Duration::milliseconds(7500));
    }

    #[test]
    fn the_schedule_scales_caps_and_honours_retry_after() {
        let p = RetryPolicy {
            max_attempts: 5,
            base_delay_secs: 10,
            max_delay_secs: 100,
            lease_secs: 30,
        };
        assert_eq!(p.delay(1, 1.0), Duration::seconds(10));
        assert_eq!(p.delay(2, 1.0), Duration::seconds(100));
        assert_eq!(p.delay(60, 1.0), Duration::seconds(100));
        let wait = |s| Some(std::time::Duration::from_secs(s));
        assert_eq!(p.delay_honouring(1, 1.0, wait(50)), Duration::seconds(50));
        assert_eq!(p.delay_honouring(1, 1.0, wait(1)), Duration::seconds(10));
        assert_eq!(
            p.delay_honouring(1, 1.0, wait(9_999)),
            Duration::seconds(100)
        );
    }
}
