//! The ports: the traits adapters implement. All are `#[async_trait]`, object-safe and
//! `Send + Sync`, consumed as `Arc<dyn …>`. Every method documents the error variant an
//! adapter MUST return, so the conformance kit can hold every store to the same contract.
//!
//! Tenancy: every method takes the tenant and never reads across tenants, except the
//! background methods [`TicketStore::sla_due`], [`TicketStore::claim_sla_due`],
//! [`TicketStore::claim_sla_reevaluation`] and [`Outbox::claim`], which serve every
//! tenant of a host and return the tenant with each item.

mod accounts;
mod ai;
mod config;
mod delivery;
mod endpoints;
mod shifts;
mod tickets;
mod volume;
pub use accounts::{TeamStore, TokenStore, UserStore};
pub use ai::{Classifier, FaqMatch, FaqMatcher, RetrainReport, TrainingExample};
pub use config::{ConfigStore, FaqStore};
pub use delivery::{EventBus, EventStream, NotificationStore, Notifier, Outbox};
pub use endpoints::EndpointStore;
pub use shifts::{ShiftStore, MAX_SHIFTS_LISTED};
pub use tickets::{CapacityCheck, TicketChange, TicketStore};
pub use volume::{HandleTime, HourlyCount, VolumeQuery, VolumeStore};

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
