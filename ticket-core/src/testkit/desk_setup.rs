//! One set-up for the tests that measure a use case through `HelpDesk` (the store calls
//! of a create, of the 200th write, of a sweep; the commands a store sends): a desk over
//! the store under test, a new tenant, its super-admin and one customer.

use crate::account::Role;
use crate::desk::{HelpDeskBuilder, RegisterInput};
use crate::{Actor, HelpDesk, TenantId};

/// A desk with one tenant, its super-admin (`root`) and one customer (`carl`).
#[derive(Debug, Clone)]
pub struct DeskSetup {
    /// The desk.
    pub desk: HelpDesk,
    /// The tenant of both accounts.
    pub tenant: TenantId,
    /// The super-admin, as the desk resolves them.
    pub admin: Actor,
    /// The customer.
    pub customer: Actor,
}

/// The password of every test account [`account`] registers.
pub const PASSWORD: &str = "correct horse battery staple";

/// The registration of a test account: `name` is its username and display name,
/// `name@example.com` its address, and the password [`PASSWORD`].
#[must_use]
pub fn account(name: &str) -> RegisterInput {
    RegisterInput {
        email: format!("{name}@example.com"),
        username: name.to_string(),
        name: name.to_string(),
        password: PASSWORD.to_string(),
    }
}

/// Builds the desk from `builder` (the store, and whatever clock, matcher, bus and
/// configuration the test needs) and creates a new tenant's super-admin and a customer
/// through it. Panics when any step fails.
pub async fn desk_setup(builder: HelpDeskBuilder) -> DeskSetup {
    let desk = builder.build().expect("desk");
    let tenant = TenantId::new();
    let root = desk
        .ensure_super_admin(tenant, account("root"))
        .await
        .expect("super-admin")
        .expect("the tenant had none");
    let admin = Actor::user(tenant, root.id, Role::SuperAdmin);
    let carl = desk
        .create_user(&admin, account("carl"), Role::Customer)
        .await
        .expect("customer");
    let customer = Actor::user(tenant, carl.id, Role::Customer);
    DeskSetup {
        desk,
        tenant,
        admin,
        customer,
    }
}
