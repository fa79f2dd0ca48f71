//! The ticket port: a ticket change stored atomically, queries, stats, the SLA sweep
//! and its claims.

#[allow(unused_imports)] // `Error` is named by the `# Errors` doc links
use crate::error::{Error, Result};
use crate::event::TicketEvent;
use crate::id::{TenantId, TicketId, UserId};
use crate::notify::{Notification, OutboxEntry};
use crate::query::{CommentQuery, Page, Stats, StatsQuery, TicketQuery};
use crate::sla::SlaReevaluation;
use crate::ticket::{Comment, Ticket, TicketSla};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Everything one ticket change writes, stored atomically by [`TicketStore::save`]:
/// the ticket, its new comments, its events, its in-app notifications and its outbox
/// entries. A notification is never sent for a change that was not stored, and never
/// lost for one that was.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketChange {
    /// The ticket as it is after the change (its `version` is the new version).
    pub ticket: Ticket,
    /// `None` for a new ticket; otherwise the version the change was made against
    /// (`ticket.version` must be `expected_version + 1`).
    pub expected_version: Option<u64>,
    /// New comments.
    pub comments: Vec<Comment>,
    /// New history entries, oldest first.
    pub events: Vec<TicketEvent>,
    /// New in-app notifications.
    pub notifications: Vec<Notification>,
    /// New outbound deliveries.
    pub outbox: Vec<OutboxEntry>,
    /// When routing picked the assignee: the capacity the store holds the agent to.
    /// `None` for every other change (a manual assignment may exceed capacity).
    pub capacity: Option<CapacityCheck>,
    /// Whether the store publishes `events` on its own event bus, in the transaction
    /// that stores them (so that subscribers see them exactly when they are committed).
    /// `HelpDesk` sets it only when the store names an event channel
    /// ([`TicketStore::event_channel`]) and the desk's bus is that channel; then it does
    /// not publish them again. A store naming no channel never sees it set.
    pub publish_events: bool,
}

/// A routed assignment's capacity check, made by [`TicketStore::save`] atomically with
/// the write: the change is stored only if `agent` holds fewer than `capacity` working
/// tickets ([`is_working`](crate::workforce::is_working): status category New or Open)
/// other than the ticket saved. Saves checking the same agent are serialised (a row lock
/// on the agent, a write transaction, a mutex), so two instances never both take the
/// agent's last slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapacityCheck {
    /// The agent assigned.
    pub agent: UserId,
    /// The most working tickets they may hold, this one included.
    pub capacity: u32,
}

/// Tickets, their comments and their history.
#[async_trait]
pub trait TicketStore: Send + Sync {
    /// Stores a change atomically: all of it or nothing.
    ///
    /// # Errors
    /// - [`Error::Conflict`] (`Version`) when `expected_version` is `Some(v)` and the
    ///   stored ticket's version is not `v` (nothing is written);
    /// - [`Error::Conflict`] (`Unique { field: "id" }`) when creating a ticket whose id
    ///   exists;
    /// - [`Error::NotFound`] when updating a ticket that does not exist in the tenant;
    /// - [`Error::Conflict`] (`Capacity`) when `capacity` is set and the agent is full
    ///   (nothing is written);
    /// - [`Error::Store`] on infrastructure failure.
    async fn save(&self, change: &TicketChange) -> Result<()>;

    /// One ticket.
    ///
    /// # Errors
    /// [`Error::NotFound`] when absent from the tenant; [`Error::Store`].
    async fn get_ticket(&self, tenant: TenantId, id: TicketId) -> Result<Ticket>;

    /// Several tickets, in the order of `ids`; ids absent from the tenant are skipped,
    /// duplicates are returned once.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn get_tickets(&self, tenant: TenantId, ids: &[TicketId]) -> Result<Vec<Ticket>>;

    /// A page of tickets matching `query` (see [`TicketQuery::matches`] for the filter
    /// semantics and [`crate::query::TicketCursor`] for keyset pagination): at most
    /// `query.limit` items, and a next cursor exactly when more may follow. A page walk
    /// never repeats or skips a ticket that existed when the walk started.
    ///
    /// # Errors
    /// [`Error::Invalid`] (`cursor`) for a malformed cursor; [`Error::Store`].
    async fn list_tickets(&self, tenant: TenantId, query: &TicketQuery) -> Result<Page<Ticket>>;

    /// Deletes a ticket and its comments; keeps its history and appends `event` (a
    /// `Deleted` event) and `outbox` in the same transaction.
    ///
    /// # Errors
    /// [`Error::NotFound`] when absent; [`Error::Store`].
    async fn delete_ticket(
        &self,
        tenant: TenantId,
        id: TicketId,
        event: &TicketEvent,
        outbox: &[OutboxEntry],
    ) -> Result<()>;

    /// A page of the comments of a ticket, oldest first by
    /// [`CommentCursor::key`](crate::query::CommentCursor::key) (creation time to the
    /// microsecond, then id): at most `query.limit` comments after `query.after`, internal
    /// notes only with `query.include_internal`, and a `next_cursor`
    /// ([`CommentCursor::encode`](crate::query::CommentCursor::encode) of the last item)
    /// when more follow ([`CommentCursor::page`](crate::query::CommentCursor::page) builds
    /// it from `limit + 1` rows). Only the page is read, never the whole thread.
    ///
    /// # Errors
    /// [`Error::Store`] (an unknown ticket has no comments).
    async fn list_comments(
        &self,
        tenant: TenantId,
        ticket: TicketId,
        query: &CommentQuery,
    ) -> Result<Page<Comment>>;

    /// The history of a ticket, oldest first (by time, then id); kept after deletion.
    ///
    /// # Errors
    /// [`Error::Store`] (an unknown ticket has an empty history).
    async fn ticket_events(&self, tenant: TenantId, ticket: TicketId) -> Result<Vec<TicketEvent>>;

    /// A page of the history of a ticket, in the order of [`TicketStore::ticket_events`]:
    /// at most `limit` events (0 means the default, and no page exceeds the maximum of
    /// [`crate::query`]) after `cursor` ([`crate::query::EventCursor`]), with a next
    /// cursor exactly when more may follow. A walk never repeats or skips an event.
    ///
    /// # Errors
    /// [`Error::Invalid`] (`cursor`) for a malformed cursor; [`Error::Store`].
    async fn ticket_events_page(
        &self,
        tenant: TenantId,
        ticket: TicketId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<TicketEvent>>;

    /// Statistics over the tenant's tickets created in the window (and of the team),
    /// computed by the store's own aggregation, never by loading every ticket.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn stats(&self, tenant: TenantId, query: &StatsQuery) -> Result<Stats>;

    /// Up to `limit` tickets of any tenant whose SLA snapshot has a `next_check` at or
    /// before `now`, or that [`TicketStore::mark_sla_stale`] marked at or before `now`,
    /// earliest first (then by id: tickets due at the same instant are all returned, up
    /// to `limit`). A cross-tenant read, like the claims of background work.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn sla_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<(TenantId, TicketId)>>;

    /// Claims up to `limit` of the tickets [`TicketStore::sla_due`] would return at `now`
    /// (same order) for one sweeper: each claimed ticket is not due again before
    /// `now + lease` unless a save, [`TicketStore::save_sla`] or
    /// [`TicketStore::mark_sla_stale`] writes its due time first. Concurrent claimers
    /// (instances on one database) never get the same ticket within a lease, so N
    /// sweepers split the due tickets instead of each handling all of them; a sweeper
    /// that dies leaves its tickets to the next claim after the lease.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn claim_sla_due(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<(TenantId, TicketId)>>;

    /// Replaces the SLA snapshot of the ticket whose stored version is `version`, leaving
    /// its version, `updated_at` and everything else as they are (the sweep's bookkeeping
    /// must not make a client's expected version stale), and clears a mark of
    /// [`TicketStore::mark_sla_stale`]. Returns `false`, writing nothing, when the ticket
    /// is gone or its version is not `version` (a newer change wrote its own snapshot).
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn save_sla(
        &self,
        tenant: TenantId,
        id: TicketId,
        version: u64,
        sla: Option<&TicketSla>,
    ) -> Result<bool>;

    /// Marks up to `limit` open tickets of the tenant (status category New, Open or
    /// Pending) whose id follows `after` (all when `None`), in id order, for an SLA
    /// re-evaluation: [`TicketStore::sla_due`] returns them from `now` on (earlier if
    /// their snapshot's `next_check` is earlier) until a save or [`TicketStore::save_sla`]
    /// writes their snapshot. Tickets without a snapshot are marked too (a policy may
    /// cover them now). Returns the last ticket of the batch when it held `limit`
    /// tickets (pass it as `after` to go on), `None` when no open ticket follows: a
    /// policy or calendar change walks the tenant's open tickets in bounded batches, and
    /// walking again from the start is harmless.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn mark_sla_stale(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
        after: Option<TicketId>,
        limit: u32,
    ) -> Result<Option<TicketId>>;

    /// Records that the open tickets of `tenant` need an SLA re-evaluation because a
    /// policy or calendar changed at `now`: one small write, whatever the number of
    /// tickets. A pending request of the tenant is replaced: its walk starts over from
    /// the first ticket and its claim ends (the holder's next
    /// [`TicketStore::advance_sla_reevaluation`] returns `false`).
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn request_sla_reevaluation(&self, tenant: TenantId, now: DateTime<Utc>) -> Result<()>;

    /// Claims one pending re-evaluation of any tenant (the earliest request first) that
    /// no claim holds at `now` (never claimed, released, or its lease ended): it gets a
    /// fresh [`SlaReevaluation::claim`] held until `now + lease`. Concurrent claimers
    /// never hold the same request. `None` when nothing is pending.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn claim_sla_reevaluation(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<SlaReevaluation>>;

    /// Records the progress of a claimed re-evaluation: with `Some(after)`, the walk goes
    /// on after that ticket and the claim holds until `held_until` (a past instant
    /// releases it for any claimer); with `None` the walk is done and the request is
    /// removed. Returns `false`, writing nothing, when `job.claim` no longer holds the
    /// request (a newer request replaced it, or another claimer took it over).
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn advance_sla_reevaluation(
        &self,
        job: &SlaReevaluation,
        after: Option<TicketId>,
        held_until: DateTime<Utc>,
    ) -> Result<bool>;

    /// Checks the store is reachable (for readiness probes).
    ///
    /// # Errors
    /// [`Error::Store`] when it is not.
    async fn ping(&self) -> Result<()>;

    /// The event channel ([`EventBus::channel_id`](crate::ports::EventBus::channel_id))
    /// on which `save` can publish a change's events itself, in the transaction that
    /// stores them, when the change asks for it ([`TicketChange::publish_events`]).
    /// `None` (the default): it cannot, and `HelpDesk` publishes after each save.
    fn event_channel(&self) -> Option<String> {
        None
    }
}
