//! `ticket-store-sqlite`: the SQLite store of the ticketing engine (the standalone
//! server's embedded default).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
