//! Deliveries beyond the list: one delivery with its attempt log, replaying the dead
//! letters since an instant, purging delivered bodies, and the webhook address check.

use super::HelpDesk;
use crate::account::Actor;
use crate::error::{Error, Result};
use crate::id::DeliveryId;
use crate::notify::{DeliveryStatus, OutboxEntry};
use crate::rbac::Permission;
use chrono::{DateTime, Utc};

/// The most dead letters one replay puts back (ask again for more).
pub const MAX_REPLAY: u64 = 10_000;

impl HelpDesk {
    /// One delivery with its attempt log.
    ///
    /// # Errors
    /// [`Error::Forbidden`] without `DeliveriesManage`; [`Error::NotFound`].
    pub async fn get_delivery(&self, actor: &Actor, id: DeliveryId) -> Result<OutboxEntry> {
        self.require(actor, Permission::DeliveriesManage)?;
        self.inner.store.get_delivery(actor.tenant(), id).await
    }

    /// Puts every dead delivery of the tenant created at or after `since` back in the
    /// queue with fresh attempts (at most [`MAX_REPLAY`] per call); returns how many.
    ///
    /// # Errors
    /// [`Error::Forbidden`] without `DeliveriesManage`; [`Error::Store`].
    pub async fn replay_dead_since(&self, actor: &Actor, since: DateTime<Utc>) -> Result<u64> {
        self.require(actor, Permission::DeliveriesManage)?;
        let store = &self.inner.store;
        let tenant = actor.tenant();
        let mut replayed = 0;
        let mut cursor: Option<String> = None;
        loop {
            let page = store
                .list_deliveries(tenant, Some(DeliveryStatus::Dead), 100, cursor.as_deref())
                .await?;
            // Newest first (ids are time-ordered): past `since`, nothing older qualifies.
            let mut older = false;
            for entry in &page.items {
                if entry.created_at < since {
                    older = true;
                    continue;
                }
                match store.retry_delivery(tenant, entry.id, self.now()).await {
                    Ok(_) => replayed += 1,
                    // Replayed or deleted meanwhile by someone else.
                    Err(Error::Conflict(_) | Error::NotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
                if replayed >= MAX_REPLAY {
                    return Ok(replayed);
                }
            }
            match page.next_cursor {
                Some(next) if !older => cursor = Some(next),
                _ => return Ok(replayed),
            }
        }
    }

    /// Blanks the bodies of deliveries (every tenant) delivered longer ago than the
    /// relay's retention: they may hold one-time tokens. A host calls this on a timer;
    /// returns how many were blanked.
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn purge_delivered(&self) -> Result<u64> {
        let before = self.now() - self.inner.config.relay.retention;
        self.inner.store.purge_delivered(before).await
    }

    /// Checks a webhook URL given as input: its form, and when its host is written as an
    /// IP address (in any spelling), that the address may be reached.
    pub(in crate::desk) fn check_webhook(&self, field: &str, url: &str) -> Result<String> {
        let url = crate::team::check_webhook_url(field, url)?;
        let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = if authority.starts_with('[') {
            authority.split_inclusive(']').next().unwrap_or(authority)
        } else {
            authority.split(':').next().unwrap_or(authority)
        };
        self.inner
            .config
            .webhook_addresses
            .check_host(field, host)?;
        Ok(url)
    }
}
