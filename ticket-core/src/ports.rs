//! The ports: the traits adapters implement. All are `#[async_trait]`, object-safe and
//! `Send + Sync`, consumed as `Arc<dyn …>`. Every method documents the error variant an
//! adapter MUST return, so the conformance kit can hold every store to the same contract.
//!
//! Tenancy: every method takes the tenant and never reads across tenants, except the
//! background methods [`TicketStore::sla_due`], [`TicketStore::claim_sla_due`],
//! [`TicketStore::claim_sla_reevaluation`] and [`Outbox::claim`], which serve every
//! tenant of a host and return the tenant with each item.

use crate::account::{OneTimeToken, TokenPurpose, TokenUse, User};
#[allow(unused_imports)] // `Error` is named by the `# Errors` doc links
use crate::error::{Error, Result};
use crate::event::TicketEvent;
use crate::id::{
    CalendarId, DeliveryId, FaqId, NotificationId, RuleId, SlaPolicyId, TeamId, TenantId, TicketId,
    TokenId, UserId,
};
use crate::notify::{
    error_text, AttemptResult, DeliveryAttempt, DeliveryStatus, Notification, OutboxEntry,
};
use crate::query::{CommentQuery, Page, Stats, StatsQuery, TicketQuery, UserQuery};
use crate::routing::AgentLoad;
use crate::rules::Rule;
use crate::sla::{BusinessCalendar, SlaPolicy, SlaReevaluation};
use crate::team::{Faq, Team};
use crate::text::Email;
use crate::ticket::{Comment, Ticket, TicketSla};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use uuid::Uuid;

mod ai;
mod endpoints;
mod shifts;
mod volume;
pub use ai::{Classifier, FaqMatch, FaqMatcher, RetrainReport, TrainingExample};
pub use endpoints::EndpointStore;
pub use shifts::{ShiftStore, MAX_SHIFTS_LISTED};
pub use volume::{HandleTime, HourlyCount, VolumeQuery, VolumeStore};

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
}

/// User accounts.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user.
    ///
    /// # Errors
    /// [`Error::Conflict`] (`Unique { field }` with `email`, `username` or `id`) when the
    /// value is taken in the tenant (nothing is written); [`Error::Store`].
    async fn create_user(&self, user: &User) -> Result<()>;

    /// Replaces a user (`user.version` = `expected_version + 1`).
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] (`Version`) on a stale version;
    /// [`Error::Conflict`] (`Unique`) when the new e-mail or username is taken;
    /// [`Error::Store`].
    async fn update_user(&self, user: &User, expected_version: u64) -> Result<()>;

    /// One user (deleted ones included).
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn get_user(&self, tenant: TenantId, id: UserId) -> Result<User>;

    /// The user whose normalised e-mail or username equals `login` (trimmed,
    /// case-insensitive), if any.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn find_user_by_login(&self, tenant: TenantId, login: &str) -> Result<Option<User>>;

    /// A page of users, ordered by id (creation order).
    ///
    /// # Errors
    /// [`Error::Invalid`] (`cursor`); [`Error::Store`].
    async fn list_users(&self, tenant: TenantId, query: &UserQuery) -> Result<Page<User>>;

    /// The load of every non-deleted user with an agent profile (of `team` when given):
    /// working tickets assigned (what counts against capacity:
    /// [`is_working`](crate::workforce::is_working), status category New or Open; a
    /// Pending ticket's clock is paused) and the latest `assigned_at` among their tickets.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn agent_loads(&self, tenant: TenantId, team: Option<TeamId>) -> Result<Vec<AgentLoad>>;

    /// The round-robin rotation of `team` (of tickets without a team when `None`): when
    /// each agent was last picked there, in any order. Agents never picked are absent.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn rotation(
        &self,
        tenant: TenantId,
        team: Option<TeamId>,
    ) -> Result<Vec<(UserId, DateTime<Utc>)>>;

    /// Records that `user` was picked in the rotation of `team` at `at`, or, when the
    /// rotation's latest pick is not before `at`, one microsecond after it (picks of one
    /// rotation are strictly ordered even within one instant). Returns the instant
    /// recorded.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn record_pick(
        &self,
        tenant: TenantId,
        team: Option<TeamId>,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<DateTime<Utc>>;
}

/// Teams.
#[async_trait]
pub trait TeamStore: Send + Sync {
    /// Creates a team.
    ///
    /// # Errors
    /// [`Error::Conflict`] (`Unique { field: "name" }`) when the name is taken
    /// (case-insensitively); [`Error::Store`].
    async fn create_team(&self, team: &Team) -> Result<()>;

    /// Replaces a team (`team.version` = `expected_version + 1`).
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] (`Version` or `Unique`); [`Error::Store`].
    async fn update_team(&self, team: &Team, expected_version: u64) -> Result<()>;

    /// One team.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn get_team(&self, tenant: TenantId, id: TeamId) -> Result<Team>;

    /// Every team of the tenant, by name.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn list_teams(&self, tenant: TenantId) -> Result<Vec<Team>>;

    /// Deletes a team.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn delete_team(&self, tenant: TenantId, id: TeamId) -> Result<()>;
}

/// Desk configuration: SLA policies, business calendars and rules. Saves are upserts.
#[async_trait]
pub trait ConfigStore: Send + Sync {
    /// Creates or replaces an SLA policy.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn save_sla_policy(&self, policy: &SlaPolicy) -> Result<()>;
    /// One SLA policy.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn get_sla_policy(&self, tenant: TenantId, id: SlaPolicyId) -> Result<SlaPolicy>;
    /// Every SLA policy of the tenant, by (position, id).
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn list_sla_policies(&self, tenant: TenantId) -> Result<Vec<SlaPolicy>>;
    /// Deletes an SLA policy.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn delete_sla_policy(&self, tenant: TenantId, id: SlaPolicyId) -> Result<()>;

    /// Creates or replaces a business calendar.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn save_calendar(&self, calendar: &BusinessCalendar) -> Result<()>;
    /// One calendar.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn get_calendar(&self, tenant: TenantId, id: CalendarId) -> Result<BusinessCalendar>;
    /// Every calendar of the tenant, by name.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn list_calendars(&self, tenant: TenantId) -> Result<Vec<BusinessCalendar>>;
    /// Deletes a calendar.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn delete_calendar(&self, tenant: TenantId, id: CalendarId) -> Result<()>;

    /// Creates or replaces a rule.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn save_rule(&self, rule: &Rule) -> Result<()>;
    /// One rule.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn get_rule(&self, tenant: TenantId, id: RuleId) -> Result<Rule>;
    /// Every rule of the tenant, by (position, id).
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn list_rules(&self, tenant: TenantId) -> Result<Vec<Rule>>;
    /// Deletes a rule.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn delete_rule(&self, tenant: TenantId, id: RuleId) -> Result<()>;
}

/// FAQ entries.
#[async_trait]
pub trait FaqStore: Send + Sync {
    /// Creates or replaces an entry.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn save_faq(&self, faq: &Faq) -> Result<()>;
    /// One entry.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn get_faq(&self, tenant: TenantId, id: FaqId) -> Result<Faq>;
    /// Every entry of the tenant, by id.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn list_faqs(&self, tenant: TenantId) -> Result<Vec<Faq>>;
    /// Deletes an entry.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Store`].
    async fn delete_faq(&self, tenant: TenantId, id: FaqId) -> Result<()>;
}

/// One-time tokens, stored hashed.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Stores a token.
    ///
    /// # Errors
    /// [`Error::Conflict`] (`Unique { field: "hash" }`) when the hash exists;
    /// [`Error::Store`].
    async fn create_token(&self, token: &OneTimeToken) -> Result<()>;

    /// Presents a token: atomically marks an unused, unexpired token with this purpose
    /// and hash as used at `now` and returns it; two concurrent calls never both get
    /// `Consumed`.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn consume_token(
        &self,
        tenant: TenantId,
        purpose: TokenPurpose,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenUse>;

    /// Marks every unused token of a refresh family used (revoked); returns how many.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn revoke_family(
        &self,
        tenant: TenantId,
        family: TokenId,
        now: DateTime<Utc>,
    ) -> Result<u64>;

    /// Marks every unused token of a user (of `purpose`, or all) used; returns how many.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn revoke_user_tokens(
        &self,
        tenant: TenantId,
        user: UserId,
        purpose: Option<TokenPurpose>,
        now: DateTime<Utc>,
    ) -> Result<u64>;

    /// Deletes up to `limit` tokens of any tenant that expired at or before `now`, used
    /// or not (an expired token is refused anyway, so nothing it proves is lost); returns
    /// how many. Tokens not yet expired stay, spent ones included: a spent refresh token
    /// must still be recognised as a replay until it expires. Hosts call it on a timer
    /// until it returns less than `limit`.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn purge_expired_tokens(&self, now: DateTime<Utc>, limit: u32) -> Result<u64>;
}

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

/// Every store trait in one value, so an adapter is one `Arc<dyn Store>`.
pub trait Store:
    TicketStore
    + UserStore
    + TeamStore
    + ConfigStore
    + FaqStore
    + TokenStore
    + NotificationStore
    + Outbox
    + VolumeStore
    + ShiftStore
    + EndpointStore
{
}

impl<T> Store for T where
    T: TicketStore
        + UserStore
        + TeamStore
        + ConfigStore
        + FaqStore
        + TokenStore
        + NotificationStore
        + Outbox
        + VolumeStore
        + ShiftStore
        + EndpointStore
{
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
