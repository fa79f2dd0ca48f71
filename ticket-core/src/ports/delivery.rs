//! The delivery ports: in-app notifications, the outbox, the event bus and the
//! notifier that sends what the outbox holds.

#[allow(unused_imports)] // `Error` is named by the `# Errors` doc links
use crate::error::{Error, Result};
use crate::event::TicketEvent;
use crate::id::{DeliveryId, NotificationId, TenantId, UserId};
use crate::notify::{
    error_text, AttemptResult, DeliveryAttempt, DeliveryStatus, Notification, OutboxEntry,
};
use crate::query::Page;
use crate::text::Email;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use uuid::Uuid;

/// In-app notifications.
#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// Stores notifications not tied to a ticket change.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn add_notifications(&self, notifications: &[Notification]) -> Result<()>;

    /// A user's notifications, newest first (by id), optionally only unread ones.
    ///
    /// # Errors
    /// [`Error::Invalid`] (`cursor`); [`Error::Store`].
    async fn list_notifications(
        &self,
        tenant: TenantId,
        user: UserId,
        unread_only: bool,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Notification>>;

    /// Marks one of the user's notifications read (idempotent: reading it again keeps the
    /// first time).
    ///
    /// # Errors
    /// [`Error::NotFound`] when it is not the user's; [`Error::Store`].
    async fn mark_read(
        &self,
        tenant: TenantId,
        user: UserId,
        id: NotificationId,
        now: DateTime<Utc>,
    ) -> Result<()>;

    /// Marks every unread notification of the user read; returns how many.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn mark_all_read(
        &self,
        tenant: TenantId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<u64>;

    /// How many unread notifications the user has.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn unread_count(&self, tenant: TenantId, user: UserId) -> Result<u64>;
}

/// The outbox of outbound deliveries.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Enqueues entries not tied to a ticket change (account e-mails).
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn enqueue(&self, entries: &[OutboxEntry]) -> Result<()>;

    /// Claims up to `limit` entries of any tenant that are `Pending` with
    /// `next_attempt_at <= now`, or `InFlight` with `lease_until <= now` (a worker died):
    /// each becomes `InFlight` with `lease_until = now + lease` and a fresh `claim`, and
    /// `attempts` + 1. Concurrent claimers never get the same entry.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>>;

    /// Marks a claimed entry delivered at `now` and stores `log` as its delivery log
    /// (the relay passes the whole log: the claim makes it the only writer). Ignored
    /// (returns `false`) when `claim` no longer holds it.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn complete(
        &self,
        id: DeliveryId,
        claim: Uuid,
        now: DateTime<Utc>,
        log: &[DeliveryAttempt],
    ) -> Result<bool>;

    /// Records a failed attempt of a claimed entry: back to `Pending` at `retry_at`, or
    /// `Dead` when `retry_at` is `None`; `error` becomes its `last_error` and `log` its
    /// delivery log. Ignored (returns `false`) when `claim` no longer holds it.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn fail(
        &self,
        id: DeliveryId,
        claim: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        log: &[DeliveryAttempt],
    ) -> Result<bool>;

    /// Blanks the bodies of entries of any tenant delivered before `before` (they may
    /// hold one-time tokens): the payload becomes `null` and an e-mail's subject and body
    /// become empty; status, times, attempts and the delivery log stay. Returns how many
    /// entries were blanked (an entry is blanked once).
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn purge_delivered(&self, before: DateTime<Utc>) -> Result<u64>;

    /// Forgets a deleted person in the tenant's outbox: every e-mail entry to `address`
    /// gets `placeholder` as its address, an empty subject and body and a `null` payload;
    /// those not yet delivered (pending or dead) become `Dead` with the last error
    /// "recipient deleted" so they are never sent (an entry in flight keeps its state).
    /// Returns how many entries were changed.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn forget_recipient(
        &self,
        tenant: TenantId,
        address: &Email,
        placeholder: &Email,
    ) -> Result<u64>;

    /// One delivery.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn get_delivery(&self, tenant: TenantId, id: DeliveryId) -> Result<OutboxEntry>;

    /// The tenant's deliveries, newest first (by id), optionally of one status.
    ///
    /// # Errors
    /// [`Error::Invalid`] (`cursor`); [`Error::Store`].
    async fn list_deliveries(
        &self,
        tenant: TenantId,
        status: Option<DeliveryStatus>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<OutboxEntry>>;

    /// Puts a `Dead` entry back to `Pending` at `now` with its attempts reset.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] (`State`) when it is not dead;
    /// [`Error::Store`].
    async fn retry_delivery(
        &self,
        tenant: TenantId,
        id: DeliveryId,
        now: DateTime<Utc>,
    ) -> Result<OutboxEntry>;
}

/// A stream of ticket events.
pub type EventStream = BoxStream<'static, TicketEvent>;

/// Publish/subscribe of ticket events for realtime feeds, across server instances where
/// the adapter supports it. Delivery is best-effort: history is the durable record.
#[async_trait]
pub trait EventBus: Send + Sync {
    /// Publishes events (after they were stored).
    ///
    /// # Errors
    /// [`Error::Store`] when the bus is unreachable; the `HelpDesk` logs and goes on.
    async fn publish(&self, events: &[TicketEvent]) -> Result<()>;

    /// Subscribes to every event published from now on (all tenants; filter per
    /// subscriber). A slow subscriber may miss events rather than block publishers.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn subscribe(&self) -> Result<EventStream>;

    /// Names where this bus delivers: two handles with the same id reach the same
    /// subscribers. A store whose [`TicketStore::event_channel`](crate::ports::TicketStore::event_channel)
    /// is this id publishes the events it saves here itself. `None` (the default): no
    /// store does.
    fn channel_id(&self) -> Option<String> {
        None
    }
}

/// Delivers one outbox entry (webhook call, e-mail).
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Delivers `entry` once. The `HelpDesk` retries with backoff on error.
    ///
    /// # Errors
    /// [`Error::Notify`] with the cause.
    async fn deliver(&self, entry: &OutboxEntry) -> Result<()>;

    /// Attempts `entry` once and says how it ended and what the other side answered
    /// (status, response snippet, `Retry-After`, a permanent failure). The relay calls
    /// this; the default maps [`Notifier::deliver`]: `Ok` is delivered, an error is
    /// retried later.
    async fn attempt(&self, entry: &OutboxEntry) -> AttemptResult {
        match self.deliver(entry).await {
            Ok(()) => AttemptResult::delivered(None),
            Err(e) => AttemptResult::retry(error_text(&e)),
        }
    }
}
