//! Bulk loading for the load benchmark (`benches/load.rs`); not part of the API.
//!
//! The rows are built by the same code as [`TicketStore::save`](ticket_core::ports::TicketStore::save)
//! (documents, columns and search words); only the statement differs: many tickets and
//! their events per `INSERT … SELECT FROM unnest(…)` instead of one change per statement.

use crate::connect::PostgresStore;
use crate::group_rows::GroupRows;
use ticket_core::event::TicketEvent;
use ticket_core::ticket::Ticket;
use ticket_core::Result;

impl PostgresStore {
    /// Inserts `tickets` and `events` (the history of those tickets) in one statement.
    /// Returns how many tickets were inserted.
    ///
    /// # Errors
    /// As [`TicketStore::save`](ticket_core::ports::TicketStore::save) for a new ticket.
    pub async fn bulk_insert(&self, tickets: &[Ticket], events: &[TicketEvent]) -> Result<u64> {
        GroupRows::tickets_and_events(tickets, events)?
            .insert(self)
            .await
    }
}
