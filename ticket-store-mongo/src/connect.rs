//! The store value: the client, the database, and the collections it uses.

use crate::bus::BusState;
use crate::errors::db;
use mongodb::bson::{doc, Document};
use mongodb::{Client, Collection, Database};
use std::fmt;
use std::sync::Arc;
use ticket_core::error::Result;

/// The database [`MongoStore::connect`] uses when its URL names none.
pub const DEFAULT_DATABASE: &str = "ticket";

/// The MongoDB store: every store trait of `ticket-core` and its
/// [`EventBus`](ticket_core::ports::EventBus).
///
/// Cheap to clone: clones share the client and the event bus's poller.
#[derive(Clone)]
pub struct MongoStore {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) client: Client,
    pub(crate) db: Database,
    pub(crate) bus: BusState,
    /// When this store last looked for changes left pending (see `change.rs`).
    pub(crate) last_recovery: std::sync::Mutex<Option<std::time::Instant>>,
    /// The cached configuration lists (see `config_cache.rs`).
    pub(crate) config: crate::config_cache::ConfigCache,
}

/// The collections, by name (all prefixed `ticket_`).
pub(crate) mod names {
    pub const TICKETS: &str = "ticket_tickets";
    pub const COMMENTS: &str = "ticket_comments";
    pub const EVENTS: &str = "ticket_events";
    pub const USERS: &str = "ticket_users";
    pub const ROTATIONS: &str = "ticket_rotations";
    pub const TEAMS: &str = "ticket_teams";
    pub const SLA_POLICIES: &str = "ticket_sla_policies";
    pub const CALENDARS: &str = "ticket_calendars";
    pub const RULES: &str = "ticket_rules";
    pub const FAQS: &str = "ticket_faqs";
    pub const TOKENS: &str = "ticket_tokens";
    pub const NOTIFICATIONS: &str = "ticket_notifications";
    pub const OUTBOX: &str = "ticket_outbox";
    pub const BUS: &str = "ticket_bus";
    pub const SCHEMA: &str = "ticket_schema";
    pub const SLOTS: &str = "ticket_slots";
    pub const REEVALUATIONS: &str = "ticket_sla_reevaluations";
    pub const SCHEDULES: &str = "ticket_shift_schedules";
    pub const SHIFTS: &str = "ticket_shifts";
    pub const ENDPOINTS: &str = "ticket_webhook_endpoints";
}

impl MongoStore {
    /// A store on database `database` of the host's client (no pool sizes chosen here).
    /// Runs nothing: call [`MongoStore::migrate`] to create the indexes.
    #[must_use]
    pub fn new(client: Client, database: &str) -> Self {
        let db = client.database(database);
        Self {
            inner: Arc::new(Inner {
                client,
                db,
                bus: BusState::default(),
                last_recovery: std::sync::Mutex::new(None),
                config: crate::config_cache::ConfigCache::default(),
            }),
        }
    }

    /// Opens a client for `url` (`mongodb://…` or `mongodb+srv://…`) and a store on the
    /// URL's default database ([`DEFAULT_DATABASE`] when it names none). Connecting is
    /// lazy in the driver, so this also pings the server: a URL nobody answers fails here.
    ///
    /// # Errors
    /// [`Error::Store`](ticket_core::Error::Store) when the URL does not parse or the
    /// server does not answer.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = mongodb::options::ClientOptions::parse(url)
            .await
            .map_err(db)?;
        let database = options
            .default_database
            .clone()
            .unwrap_or_else(|| DEFAULT_DATABASE.to_string());
        let client = Client::with_options(options).map_err(db)?;
        let store = Self::new(client, &database);
        store.ping_server().await?;
        Ok(store)
    }

    /// The client the store runs on.
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The database the store's collections live in.
    #[must_use]
    pub fn database(&self) -> &Database {
        &self.inner.db
    }

    /// One of the store's collections, as raw documents.
    pub(crate) fn coll(&self, name: &str) -> Collection<Document> {
        self.inner.db.collection(name)
    }

    /// `ping` on the store's database.
    pub(crate) async fn ping_server(&self) -> Result<()> {
        self.inner
            .db
            .run_command(doc! { "ping": 1 })
            .await
            .map_err(db)?;
        Ok(())
    }
}

impl fmt::Debug for MongoStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MongoStore")
            .field("database", &self.inner.db.name())
            .finish_non_exhaustive()
    }
}
