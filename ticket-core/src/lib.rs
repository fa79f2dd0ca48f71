//! # ticket-core
//!
//! The heart of the ticketing engine: the pure domain (tickets, workflow, accounts, RBAC,
//! SLA, rules, routing, events, notifications), the ports adapters implement, the
//! [`HelpDesk`](desk::HelpDesk) application service, the reference [`MemoryStore`]
//! (memory::MemoryStore) and, behind the `testkit` feature, the store conformance suite.
//!
//! No I/O lives here: no sockets, no files, no database.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod account;
pub mod clock;
pub mod desk;
pub mod error;
pub mod event;
pub mod id;
pub mod memory;
pub mod notify;
pub mod ports;
pub mod query;
pub mod rbac;
pub mod routing;
pub mod rules;
pub mod sla;
pub mod team;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod text;
pub mod ticket;
pub mod workflow;

pub use account::{Actor, Role};
pub use desk::{HelpDesk, HelpDeskConfig};
pub use error::{Error, Result};
pub use id::TenantId;
