//! `ticket-store-postgres`: the PostgreSQL store of the ticketing engine.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
