//! How often an account may be sent a token mail (verification, password reset): at
//! most [`HelpDeskConfig::token_mails_per_hour`](crate::HelpDeskConfig) per account and
//! purpose in any hour. The address of these mails is the account's own, so this limits
//! per address too. Further requests are accepted and send nothing (a reset request
//! must answer the same whether or not it sent a mail). Counted in this process: each
//! instance of a multi-instance deployment allows its own share.

use crate::account::TokenPurpose;
use crate::id::{TenantId, UserId};
use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Accounts tracked at most; past it, accounts with nothing in the window are forgotten
/// first, and if all are recent the new one is refused (memory stays bounded).
const MAX_TRACKED: usize = 100_000;

type Key = (TenantId, UserId, TokenPurpose);

/// Token mails sent per account and purpose in the last hour.
#[derive(Debug, Default)]
pub(in crate::desk) struct MailLimiter {
    sent: Mutex<HashMap<Key, VecDeque<DateTime<Utc>>>>,
}

impl MailLimiter {
    /// Records a mail to `key` at `now` and says yes, unless `per_hour` were already sent
    /// in the hour before `now`.
    pub(in crate::desk) fn allow(&self, key: Key, now: DateTime<Utc>, per_hour: u32) -> bool {
        let since = now - Duration::hours(1);
        let mut sent = self
            .sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if sent.len() >= MAX_TRACKED && !sent.contains_key(&key) {
            sent.retain(|_, times| times.back().is_some_and(|t| *t > since));
            if sent.len() >= MAX_TRACKED {
                return false;
            }
        }
        let times = sent.entry(key).or_default();
        while times.front().is_some_and(|t| *t <= since) {
            times.pop_front();
        }
        if times.len() >= usize::try_from(per_hour).unwrap_or(usize::MAX) {
            return false;
        }
        times.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_n_per_hour_per_account_and_purpose() {
        let l = MailLimiter::default();
        let (t, u) = (TenantId::new(), UserId::new());
        let now = DateTime::<Utc>::UNIX_EPOCH + Duration::days(1);
        let key = (t, u, TokenPurpose::ResetPassword);
        assert!(l.allow(key, now, 2));
        assert!(l.allow(key, now + Duration::minutes(1), 2));
        assert!(!l.allow(key, now + Duration::minutes(2), 2));
        assert!(
            l.allow((t, u, TokenPurpose::VerifyEmail), now, 2),
            "another purpose"
        );
        assert!(
            l.allow((t, UserId::new(), TokenPurpose::ResetPassword), now, 2),
            "another account"
        );
        assert!(
            l.allow(key, now + Duration::minutes(61), 2),
            "an hour later"
        );
    }
}
