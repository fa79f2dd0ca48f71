//! Examples and binaries of the ticketing engine.
//!
//! - `examples/`: `embed` (a service embedding `ticket-core` on the in-memory store) and
//!   `custom_store` (a store of one's own, proven with the conformance kit);
//! - `src/bin/ticket-server.rs`: the standalone server (REST + realtime API over SQLite
//!   by default, PostgreSQL by URL), wired by [`app`] (and its AI by [`ai`]) from a
//!   [`config::ServerConfig`];
//! - `src/bin/ticket-load.rs`: a load generator against a running server.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ai;
pub mod app;
pub mod config;
pub mod notifier;
pub mod postgres;
pub mod redact;
pub mod store;
