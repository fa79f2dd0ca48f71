//! # ticket-core
//!
//! The heart of the ticketing engine: the pure domain (tickets, workflow, accounts, RBAC,
//! SLA, rules, routing, the workforce (shifts, queue, rebalance), events, notifications,
//! volume forecasts and staffing), the [ports] adapters implement, the
//! [`HelpDesk`] application service, the reference [`memory::MemoryStore`] and, behind
//! the `testkit` feature, the store conformance suite (`store_conformance!`).
//!
//! No I/O lives here: no sockets, no files, no database. CI checks that no I/O crate
//! enters this crate's dependency tree.
//!
//! ## Embedding
//!
//! ```
//! use std::sync::Arc;
//! use ticket_core::desk::RegisterInput;
//! use ticket_core::memory::MemoryStore;
//! use ticket_core::ticket::TicketInput;
//! use ticket_core::{HelpDesk, HelpDeskConfig, TenantId};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> ticket_core::Result<()> {
//! let store = Arc::new(MemoryStore::new());
//! # let config = HelpDeskConfig { hash_cost: ticket_core::account::HashCost::TESTING, ..Default::default() };
//! let desk = HelpDesk::builder(store.clone()).event_bus(store).config(config).build()?;
//! let tenant = TenantId::DEFAULT;
//! let user = desk
//!     .register(tenant, RegisterInput {
//!         email: "ann@example.com".into(),
//!         username: "ann".into(),
//!         name: "Ann".into(),
//!         password: "correct horse battery".into(),
//!     })
//!     .await?;
//! let ann = desk.actor(tenant, user.id).await?;
//! let ticket = desk
//!     .create_ticket(&ann, TicketInput { title: "The VPN drops every hour".into(), ..Default::default() })
//!     .await?;
//! assert_eq!(ticket.status.as_str(), "new");
//! assert_eq!(desk.history(&ann, ticket.id).await?.len(), 1);
//! # Ok(())
//! # }
//! ```
//!
//! ## Your own store
//!
//! Implement [`ports::TicketStore`], [`ports::UserStore`], [`ports::TeamStore`],
//! [`ports::ConfigStore`], [`ports::FaqStore`], [`ports::TokenStore`],
//! [`ports::NotificationStore`], [`ports::Outbox`], [`ports::VolumeStore`],
//! [`ports::ShiftStore`] and [`ports::EndpointStore`] (together: [`ports::Store`]) and
//! prove them with `ticket_core::store_conformance!(your_factory)` in a test file, with
//! the `testkit` feature on. The `custom_store` example of the `ticket-examples` package
//! is a complete store of one's own run through the kit.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod account;
pub mod clock;
pub mod config_cache;
pub mod desk;
pub mod error;
pub mod event;
pub mod forecast;
pub mod id;
pub mod memory;
pub mod net;
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
pub mod views;
pub mod workflow;
pub mod workforce;

pub use account::{Actor, Role};
pub use desk::{HelpDesk, HelpDeskConfig};
pub use error::{Error, Result};
pub use id::TenantId;
