//! The seeded corpus (the same generated tickets in every store:
//! `ticket_core::testkit::bench::generated_tickets`) and the deep page's cursor.

use std::sync::Arc;
use ticket_core::id::TenantId;
use ticket_core::ports::Store;
use ticket_core::query::{TicketCursor, TicketSort};
use ticket_core::testkit::bench;
use ticket_core::ticket::Ticket;
use ticket_store_mongo::MongoStore;

/// The cursor of a page that starts after the middle ticket of `tickets` in the
/// newest-first order (the deep page).
pub fn middle_cursor(tickets: &[Ticket]) -> Option<String> {
    let mut order: Vec<&Ticket> = tickets.iter().collect();
    order.sort_by_key(|t| std::cmp::Reverse((t.created_at, t.id)));
    order
        .get(order.len() / 2)
        .map(|t| TicketCursor::after(t, TicketSort::CreatedDesc).encode())
}

/// How a store is seeded.
pub enum Seeder {
    /// `TicketStore::save` of each ticket's create change.
    Saves,
    /// `MongoStore::import_tickets`.
    Import(MongoStore),
}

impl Seeder {
    /// Stores `tickets` of `tenant` (into an empty tenant); says how.
    pub async fn seed(
        &self,
        store: &Arc<dyn Store>,
        tenant: TenantId,
        tickets: Vec<Ticket>,
    ) -> &'static str {
        match self {
            Seeder::Saves => {
                bench::save_all(store, tickets, 16).await;
                "saves from 16 tasks"
            }
            Seeder::Import(mongo) => {
                let target = tickets.len() as u64;
                let stored = mongo.import_tickets(tenant, &tickets).await.unwrap();
                assert_eq!(stored, target, "a fresh database imports every ticket");
                "import_tickets"
            }
        }
    }
}
