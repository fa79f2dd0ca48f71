//! Shared set-up of the HelpDesk behaviour tests: a desk over `MemoryStore` with a manual
//! clock and cheap password hashing, and one user of each role.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeZone, Utc};
use std::sync::Arc;
use ticket_core::account::{Availability, HashCost, Role, User};
use ticket_core::clock::ManualClock;
use ticket_core::desk::{HelpDeskBuilder, RegisterInput, UserPatch};
use ticket_core::memory::MemoryStore;
use ticket_core::ticket::{Ticket, TicketInput};
use ticket_core::{Actor, HelpDesk, HelpDeskConfig, TenantId};

pub const PASSWORD: &str = "correct horse battery staple";

pub struct World {
    pub desk: HelpDesk,
    pub store: Arc<MemoryStore>,
    pub clock: Arc<ManualClock>,
    pub tenant: TenantId,
    pub customer: Actor,
    pub other_customer: Actor,
    pub agent: Actor,
    pub admin: Actor,
    pub superadmin: Actor,
}

pub fn start() -> DateTime<Utc> {
    // A Monday, 09:00 UTC.
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

pub fn account(name: &str) -> RegisterInput {
    RegisterInput {
        email: format!("{name}@example.com"),
        username: name.to_string(),
        name: name.to_string(),
        password: PASSWORD.to_string(),
    }
}

pub fn config() -> HelpDeskConfig {
    HelpDeskConfig {
        hash_cost: HashCost::TESTING,
        ..HelpDeskConfig::default()
    }
}

pub async fn world() -> World {
    world_with(|b| b).await
}

pub async fn world_with(customise: impl FnOnce(HelpDeskBuilder) -> HelpDeskBuilder) -> World {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(start()));
    let builder = HelpDesk::builder(store.clone())
        .event_bus(store.clone())
        .clock(clock.clone())
        .config(config());
    let desk = customise(builder).build().unwrap();
    let tenant = TenantId::new();
    let root = desk
        .ensure_super_admin(tenant, account("root"))
        .await
        .unwrap()
        .unwrap();
    let superadmin = Actor::user(tenant, root.id, Role::SuperAdmin);
    let mk = |name: &'static str, role: Role| {
        let desk = desk.clone();
        async move {
            let u: User = desk
                .create_user(&superadmin, account(name), role)
                .await
                .unwrap();
            Actor::user(tenant, u.id, role)
        }
    };
    let customer = mk("carl", Role::Customer).await;
    let other_customer = mk("olga", Role::Customer).await;
    let agent = mk("bea", Role::Agent).await;
    let admin = mk("adam", Role::Admin).await;
    desk.set_availability(&agent, agent.user_id().unwrap(), Availability::Online)
        .await
        .unwrap();
    World {
        desk,
        store,
        clock,
        tenant,
        customer,
        other_customer,
        agent,
        admin,
        superadmin,
    }
}

impl World {
    pub async fn ticket(&self, by: &Actor, title: &str) -> Ticket {
        self.desk
            .create_ticket(
                by,
                TicketInput {
                    title: title.into(),
                    description: format!("About {title}"),
                    ..TicketInput::default()
                },
            )
            .await
            .unwrap()
    }

    pub async fn make_agent_online(&self, actor: &Actor, patch: UserPatch) {
        let id = actor.user_id().unwrap();
        self.desk
            .update_user(&self.superadmin, id, patch)
            .await
            .unwrap();
        self.desk
            .set_availability(&self.superadmin, id, Availability::Online)
            .await
            .unwrap();
    }
}
