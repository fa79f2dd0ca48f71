//! The people of the bench tenant and the seeded corpus (the same generated tickets in
//! every store: `ticket_core::testkit::bench::generated_tickets`).

use std::sync::Arc;
use ticket_core::account::Role;
use ticket_core::desk::RegisterInput;
use ticket_core::id::{TenantId, UserId};
use ticket_core::ports::Store;
use ticket_core::query::{TicketCursor, TicketSort};
use ticket_core::testkit::bench;
use ticket_core::ticket::Ticket;
use ticket_core::{Actor, HelpDesk};
use ticket_store_mongo::MongoStore;

/// The bench tenant's accounts.
pub struct People {
    pub tenant: TenantId,
    /// 16 customers: the requesters of the corpus and the creators of the creation runs.
    pub customers: Vec<Actor>,
    /// 20 agents: the assignees of the corpus.
    pub agents: Vec<UserId>,
}

impl People {
    /// The customers' user ids.
    pub fn requesters(&self) -> Vec<UserId> {
        self.customers.iter().filter_map(|a| a.user_id()).collect()
    }
}

/// Registers a super admin, 16 customers and 20 agents in one fixed tenant.
pub async fn register_people(desk: &HelpDesk, store: &Arc<dyn Store>) -> People {
    let tenant = TenantId::from_uuid(uuid::Uuid::from_u128(0xbe7c_4000));
    let account = |name: String| RegisterInput {
        email: format!("{name}@example.com"),
        username: name.clone(),
        name,
        password: "correct horse battery staple".into(),
    };
    desk.ensure_super_admin(tenant, account("root".into()))
        .await
        .unwrap();
    let root = store
        .find_user_by_login(tenant, "root")
        .await
        .unwrap()
        .unwrap();
    let admin = Actor::user(tenant, root.id, Role::SuperAdmin);
    let mut customers = Vec::new();
    for i in 0..16 {
        let u = desk
            .create_user(&admin, account(format!("customer-{i}")), Role::Customer)
            .await
            .unwrap();
        customers.push(Actor::user(tenant, u.id, Role::Customer));
    }
    let mut agents = Vec::new();
    for i in 0..20 {
        let u = desk
            .create_user(&admin, account(format!("agent-{i}")), Role::Agent)
            .await
            .unwrap();
        agents.push(u.id);
    }
    People {
        tenant,
        customers,
        agents,
    }
}

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
