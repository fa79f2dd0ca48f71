//! [`HelpDesk`]: the application service. One method per use case; each takes the acting
//! [`Actor`], checks the RBAC [`Policy`], validates, and calls the ports. Writes that
//! belong together go to the store in one atomic [`TicketChange`].

mod accounts;
mod actors;
mod admin;
mod ai;
mod assignment;
mod background;
mod change;
mod comments;
mod config_admin;
mod create;
mod deflection;
mod deliveries;
mod distribution;
mod endpoints;
mod finalize;
mod forecasts;
mod notes;
mod picks;
mod presence;
mod queries;
mod queue;
mod rebalance;
mod relay;
mod shifts;
mod sla_config;
mod update;
mod workload;

pub use accounts::{RegisterInput, Session, UserPatch};
pub use admin::{FaqInput, TeamInput, TeamPatch};
pub use ai::labels_trusted;
pub use assignment::AssignInput;
pub use background::SweepReport;
pub use config_admin::{CalendarInput, RuleInput, SlaPolicyInput};
pub use create::TicketPreview;
pub use deflection::awaiting_verdict;
pub use deliveries::MAX_REPLAY;
pub use endpoints::ENDPOINT_DISABLED;
pub use forecasts::{
    ForecastInput, HandleTimeSource, StaffingPlan, StaffingRequest, VolumeForecast,
    DEFAULT_HISTORY_WEEKS, MAX_FORECAST_DAYS, MAX_HISTORY_WEEKS,
};
pub use notes::{SimilarNotesReport, SIMILAR_QUEUE};
pub use presence::{Activity, Presence, MAX_PER_TICKET, MAX_TICKETS, PRESENCE_TTL};
pub use queue::{QueueReport, QUEUE_PAGE};
pub use rebalance::{RebalanceReport, REBALANCE_PER_AGENT};
pub use relay::RelayReport;
pub use shifts::{AdherenceReport, AdherenceScope, ScheduleInput, ShiftAction, SHIFT_END_GRACE};
pub use workload::{team_workloads, AgentWorkload, TeamWorkload, Workload};

use crate::account::{Actor, HashCost, PasswordHasher};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::net::AddressPolicy;
use crate::notify::{RelayConfig, RetryPolicy};
use crate::ports::{Classifier, EventBus, FaqMatcher, Notifier, Store, TicketChange};
use crate::rbac::{Permission, Policy};
use crate::workflow::Workflow;
use chrono::Duration;
use std::sync::Arc;

/// How long one-time tokens live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenTtl {
    /// E-mail verification links.
    pub verify_email: Duration,
    /// Password reset links.
    pub reset_password: Duration,
    /// Refresh tokens of a login session (each rotation starts a new one).
    pub refresh: Duration,
}

impl Default for TokenTtl {
    fn default() -> Self {
        Self {
            verify_email: Duration::hours(48),
            reset_password: Duration::hours(1),
            refresh: Duration::days(30),
        }
    }
}

/// The configuration of a [`HelpDesk`]. Every field has a sensible default.
#[derive(Debug, Clone)]
pub struct HelpDeskConfig {
    /// Statuses and transitions.
    pub workflow: Workflow,
    /// Role → permissions.
    pub policy: Policy,
    /// How long classification may take before the ticket is stored with defaults.
    pub classify_timeout: std::time::Duration,
    /// Outbox retries and dead-lettering.
    pub retry: RetryPolicy,
    /// How the outbox relay works (concurrency, attempt deadline, body retention).
    pub relay: RelayConfig,
    /// Which addresses webhooks may reach; checked on input for URLs written as IP
    /// addresses (names are checked by the notifier after resolution).
    pub webhook_addresses: AddressPolicy,
    /// Token mails (verification, password reset) an account may be sent per purpose in
    /// any hour; further requests are accepted and send nothing.
    pub token_mails_per_hour: u32,
    /// The public address of the desk's web pages, e.g. `https://help.example.com`:
    /// e-mailed links are `{public_url}/verify-email?token=…` and
    /// `{public_url}/reset-password?token=…`. Without one, mails carry the bare token.
    pub public_url: Option<String>,
    /// One-time token lifetimes.
    pub token_ttl: TokenTtl,
    /// argon2id cost.
    pub hash_cost: HashCost,
    /// How many password hashes or verifications run at once, each on a thread of its
    /// own off the async workers (at least 1; default: the machine's parallelism).
    /// Further logins wait for a slot without holding a worker.
    pub hash_concurrency: usize,
    /// A FAQ answer is posted when its score reaches this (0.0–1.0).
    pub faq_min_score: f32,
    /// Whether a ticket answered by a FAQ entry is resolved at once (the requester can
    /// reopen it).
    pub faq_auto_resolve: bool,
    /// Whether a ticket answered by a FAQ entry waits in a pending status for the
    /// requester to confirm the answer helped (it resolves) or reject it (it reopens);
    /// takes precedence over `faq_auto_resolve`.
    pub faq_deflect: bool,
    /// Whether a new ticket gets an internal note for the agent listing the best FAQ
    /// candidates (when any clears `helpful_min_score`; written with the ticket) and the
    /// most similar solved tickets (when any shares words; looked up after the create
    /// commits, by whoever drains [`HelpDesk::add_similar_notes`]).
    pub helpful_notes: bool,
    /// A FAQ entry is listed in the helpful note when its score reaches this (0.0–1.0;
    /// usually under `faq_min_score`: the agent judges).
    pub helpful_min_score: f32,
    /// At most this many of the newest trusted tickets are read to retrain the
    /// classifier (bounds memory and time).
    pub retrain_max_examples: usize,
    /// Whether a new account is sent a link to verify its e-mail address (its welcome
    /// mail follows the verification); off, it is welcomed at once.
    pub email_verification: bool,
    /// Whether anyone may register as a customer.
    pub open_registration: bool,
    /// Whether an account must have verified its e-mail address before it raises a
    /// ticket; rules on the requester's e-mail domain then match verified addresses only
    /// (an unverified address proves nothing about who holds it).
    pub require_verified_email: bool,
    /// Tickets the SLA sweep handles per store round trip.
    pub sweep_batch: u32,
    /// Tickets of one batch the SLA sweep works on at once (each is its own versioned
    /// save, so they are independent); 1 sweeps one after another. The queue processor
    /// ([`HelpDesk::run_queue`]) saves as many assignments at once.
    pub sweep_concurrency: usize,
    /// How long the SLA sweep holds the tickets it claimed
    /// ([`TicketStore::claim_sla_due`](crate::ports::TicketStore::claim_sla_due)): other
    /// instances skip them meanwhile, and take them over after it should this one die
    /// half-way. Longer than one sweep batch takes.
    pub sweep_lease: Duration,
    /// How long the desk remembers who an authenticated user id acts as (role, deleted
    /// or not) before asking the store again; also how long it trusts having found no
    /// agent online in a tenant (its creates then read no agent loads for routing).
    /// Changes made through this desk apply at once; changes made by another instance
    /// on the same store within this time. Zero asks the store every time.
    pub actor_ttl: Duration,
}

impl Default for HelpDeskConfig {
    fn default() -> Self {
        Self {
            workflow: Workflow::default_workflow(),
            policy: Policy::default(),
            classify_timeout: std::time::Duration::from_secs(5),
            retry: RetryPolicy::default(),
            relay: RelayConfig::default(),
            webhook_addresses: AddressPolicy::default(),
            public_url: None,
            token_mails_per_hour: 5,
            token_ttl: TokenTtl::default(),
            hash_cost: HashCost::default(),
            hash_concurrency: std::thread::available_parallelism().map_or(1, usize::from),
            faq_min_score: 0.6,
            faq_auto_resolve: false,
            faq_deflect: false,
            helpful_notes: false,
            helpful_min_score: 0.3,
            retrain_max_examples: 20_000,
            email_verification: true,
            open_registration: true,
            require_verified_email: false,
            sweep_batch: 200,
            sweep_concurrency: 8,
            sweep_lease: Duration::minutes(2),
            actor_ttl: Duration::seconds(2),
        }
    }
}

/// The help desk: every use case of the engine, over the ports.
///
/// Cheap to clone (everything inside is shared).
#[derive(Clone)]
pub struct HelpDesk {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    bus: Option<Arc<dyn EventBus>>,
    /// Whether the store publishes the events it saves on `bus` itself
    /// ([`crate::ports::TicketStore::event_channel`]).
    store_publishes: bool,
    classifier: Option<Arc<dyn Classifier>>,
    faq: Option<Arc<dyn FaqMatcher>>,
    notifier: Option<Arc<dyn Notifier>>,
    clock: Arc<dyn Clock>,
    hasher: accounts::HashWorkers,
    actors: actors::ActorCache,
    presence: presence::PresenceBoard,
    picks: picks::Picks,
    /// Wakes the queue processor (an agent became available).
    queue_wake: tokio::sync::Notify,
    mail_limit: accounts::mail_limit::MailLimiter,
    /// New tickets awaiting their similar-solved lookup.
    similar: notes::SimilarQueue,
    config: HelpDeskConfig,
}

impl std::fmt::Debug for HelpDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HelpDesk")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// Builds a [`HelpDesk`]: a store is required, every other port is optional.
pub struct HelpDeskBuilder {
    store: Arc<dyn Store>,
    bus: Option<Arc<dyn EventBus>>,
    classifier: Option<Arc<dyn Classifier>>,
    faq: Option<Arc<dyn FaqMatcher>>,
    notifier: Option<Arc<dyn Notifier>>,
    clock: Arc<dyn Clock>,
    config: HelpDeskConfig,
}

impl HelpDeskBuilder {
    /// Publishes stored events here for realtime subscribers.
    #[must_use]
    pub fn event_bus(mut self, bus: Arc<dyn EventBus>) -> Self {
        self.bus = Some(bus);
        self
    }

    /// Classifies new tickets (bounded by `classify_timeout`).
    #[must_use]
    pub fn classifier(mut self, classifier: Arc<dyn Classifier>) -> Self {
        self.classifier = Some(classifier);
        self
    }

    /// Proposes FAQ answers to new tickets.
    #[must_use]
    pub fn faq_matcher(mut self, matcher: Arc<dyn FaqMatcher>) -> Self {
        self.faq = Some(matcher);
        self
    }

    /// Delivers the outbox (without one, deliveries wait in the outbox).
    #[must_use]
    pub fn notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// The clock (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The configuration (default: [`HelpDeskConfig::default`]).
    #[must_use]
    pub fn config(mut self, config: HelpDeskConfig) -> Self {
        self.config = config;
        self
    }

    /// Builds the desk.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the hashing cost is refused by argon2.
    pub fn build(self) -> Result<HelpDesk> {
        let hasher = PasswordHasher::new(self.config.hash_cost)?;
        let store_publishes = match (&self.bus, self.store.event_channel()) {
            (Some(bus), Some(channel)) => bus.channel_id().as_deref() == Some(channel.as_str()),
            _ => false,
        };
        Ok(HelpDesk {
            inner: Arc::new(Inner {
                store: self.store,
                bus: self.bus,
                store_publishes,
                classifier: self.classifier,
                faq: self.faq,
                notifier: self.notifier,
                clock: self.clock,
                hasher: accounts::HashWorkers::new(hasher, self.config.hash_concurrency),
                actors: actors::ActorCache::new(self.config.actor_ttl),
                presence: presence::PresenceBoard::default(),
                picks: picks::Picks::new(self.config.actor_ttl),
                queue_wake: tokio::sync::Notify::new(),
                mail_limit: accounts::mail_limit::MailLimiter::default(),
                similar: notes::SimilarQueue::new(),
                config: self.config,
            }),
        })
    }
}

impl HelpDesk {
    /// Starts building a desk over `store`.
    pub fn builder(store: Arc<dyn Store>) -> HelpDeskBuilder {
        HelpDeskBuilder {
            store,
            bus: None,
            classifier: None,
            faq: None,
            notifier: None,
            clock: Arc::new(SystemClock),
            config: HelpDeskConfig::default(),
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &HelpDeskConfig {
        &self.inner.config
    }

    /// The store (for readiness checks and host-specific queries).
    #[must_use]
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The event bus, if any.
    #[must_use]
    pub fn event_bus(&self) -> Option<&Arc<dyn EventBus>> {
        self.inner.bus.as_ref()
    }

    /// Now, from the clock port.
    #[must_use]
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock.now()
    }

    fn require(&self, actor: &Actor, perm: Permission) -> Result<()> {
        self.inner.config.policy.require(actor, perm)
    }

    fn allows(&self, actor: &Actor, perm: Permission) -> bool {
        self.require(actor, perm).is_ok()
    }

    /// Stores a change atomically, then publishes its events (best-effort: the history
    /// is the durable record).
    async fn commit(&self, change: TicketChange) -> Result<crate::ticket::Ticket> {
        let change = self.publishing(change);
        self.inner.store.save(&change).await?;
        self.publish_saved(&change).await;
        Ok(change.ticket)
    }

    /// `change`, asking the store to publish its events in the save's transaction when
    /// the store can publish on the desk's bus.
    fn publishing(&self, mut change: TicketChange) -> TicketChange {
        change.publish_events = self.inner.store_publishes;
        change
    }

    /// Publishes the events of a saved change, unless its save already did.
    async fn publish_saved(&self, change: &TicketChange) {
        if !change.publish_events {
            self.publish(&change.events).await;
        }
    }

    async fn publish(&self, events: &[crate::event::TicketEvent]) {
        if let (Some(bus), false) = (&self.inner.bus, events.is_empty()) {
            // A bus outage must not fail a stored change; subscribers can re-read history.
            let _ = bus.publish(events).await;
        }
    }
}

/// `Forbidden` for a user acting outside what they may see or do.
fn forbidden(what: &str) -> Error {
    Error::Forbidden(what.to_string())
}
