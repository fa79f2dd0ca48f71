//! Deleting an account.
//!
//! **Deleting an account** erases the person, not the organisation's records: the user
//! row stays (so tickets, comments and history keep a valid author) but its e-mail,
//! username and name are replaced by placeholders, its password hash and agent profile
//! are removed, every token is revoked, its open assigned tickets are unassigned, and the
//! outbox forgets the address: e-mails to it lose their subject and body, show the
//! placeholder address in the delivery list, and those not yet sent never will be.
//! Tickets the person raised and what they wrote stay with the organisation.

use super::super::HelpDesk;
use crate::account::Actor;
use crate::error::{Error, Result};
use crate::id::{TenantId, UserId};
use crate::query::{AssigneeFilter, TicketQuery};
use crate::text::{DisplayName, Email, Username};

impl HelpDesk {
    /// Deletes an account (see the module docs for what is erased and what is kept):
    /// oneself, or with `UsersManage` (`AdminsManage` for admins).
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`].
    pub async fn delete_account(&self, actor: &Actor, id: UserId) -> Result<()> {
        let mut user = self.inner.store.get_user(actor.tenant(), id).await?;
        if user.is_deleted() {
            return Err(Error::not_found("user"));
        }
        if !actor.is(id) {
            self.require_manage(actor, user.role)?;
        }
        let now = self.now();
        let short = user.id.as_uuid().simple().to_string();
        let address = user.email.clone();
        user.email = Email::parse(format!("deleted-{short}@deleted.invalid"))?;
        user.username = Username::parse(format!("deleted-{short}"))?;
        user.name = DisplayName::parse("Deleted user")?;
        user.password_hash = None;
        user.agent = None;
        user.email_verified_at = None;
        user.deleted_at = Some(now);
        self.save_user(&mut user).await?;
        self.inner
            .store
            .revoke_user_tokens(user.tenant, user.id, None, now)
            .await?;
        self.inner
            .store
            .forget_recipient(user.tenant, &address, &user.email)
            .await?;
        self.unassign_all(actor.tenant(), id).await
    }

    /// Unassigns every open ticket of a deleted agent, as the system.
    pub(in crate::desk) async fn unassign_all(&self, tenant: TenantId, id: UserId) -> Result<()> {
        let system = Actor::system(tenant);
        loop {
            let query = TicketQuery {
                assignee: Some(AssigneeFilter::User(id)),
                limit: 100,
                ..TicketQuery::default()
            };
            let page = self.inner.store.list_tickets(tenant, &query).await?;
            if page.items.is_empty() {
                return Ok(());
            }
            for t in page.items {
                let input = crate::desk::AssignInput {
                    assignee: Some(None),
                    team: None,
                };
                match self.assign(&system, t.id, input).await {
                    Ok(_) | Err(Error::Conflict(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
}
