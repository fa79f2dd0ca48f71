//! Deleting an account.
//!
//! **Deleting an account** erases the person, not the organisation's records: the user
//! row stays (so tickets, comments and history keep a valid author) but its e-mail,
//! username and name are replaced by placeholders, its password hash and agent profile
//! are removed, every token is revoked, its open assigned tickets are unassigned
//! (solved and closed ones keep the record of who worked them), and the outbox forgets
//! the address: e-mails to it lose their subject and body, show the placeholder address
//! in the delivery list, and those not yet sent never will be. Tickets the person raised
//! and what they wrote stay with the organisation.
//!
//! Unassigning walks the agent's open tickets in pages of [`UNASSIGN_PAGE`], each
//! ticket its own change; when that work is cut off (a timeout, a crash), deleting the
//! account again completes it. Demoting an agent to customer unassigns the same way.

use super::super::HelpDesk;
use crate::account::Actor;
use crate::desk::AssignInput;
use crate::error::{Error, Result};
use crate::id::{TenantId, TicketId, UserId};
use crate::query::{AssigneeFilter, TicketQuery};
use crate::text::{DisplayName, Email, Username};
use crate::workflow::StatusCategory;

impl HelpDesk {
    /// Deletes an account (see the module docs for what is erased and what is kept):
    /// oneself, or with `UsersManage` (`AdminsManage` for admins).
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`].
    pub async fn delete_account(&self, actor: &Actor, id: UserId) -> Result<()> {
        let mut user = self.inner.store.get_user(actor.tenant(), id).await?;
        if user.is_deleted() {
            // A deletion cut off before its tickets were all unassigned is completed by
            // deleting again; otherwise the account is gone.
            self.require_manage(actor, user.role)?;
            return match self.unassign_open(actor.tenant(), id).await? {
                0 => Err(Error::not_found("user")),
                _ => Ok(()),
            };
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
        self.unassign_open(actor.tenant(), id).await.map(drop)
    }

    /// Unassigns every open ticket (status category New, Open or Pending) of `id`, as
    /// the system, a page at a time; returns how many it unassigned. A ticket changed
    /// meanwhile is read again (a few times) rather than skipped.
    pub(in crate::desk) async fn unassign_open(
        &self,
        tenant: TenantId,
        id: UserId,
    ) -> Result<usize> {
        let system = Actor::system(tenant);
        let mut query = TicketQuery {
            assignee: Some(AssigneeFilter::User(id)),
            status_categories: vec![
                StatusCategory::New,
                StatusCategory::Open,
                StatusCategory::Pending,
            ],
            limit: UNASSIGN_PAGE,
            ..TicketQuery::default()
        };
        let mut done = 0;
        loop {
            let page = self.inner.store.list_tickets(tenant, &query).await?;
            for t in page.items {
                if self.unassign_one(&system, t.id, id).await? {
                    done += 1;
                }
            }
            match page.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => return Ok(done),
            }
        }
    }

    /// Unassigns one ticket from `id` (if it still holds it), retrying on conflicts.
    async fn unassign_one(&self, system: &Actor, ticket: TicketId, id: UserId) -> Result<bool> {
        let input = AssignInput {
            assignee: Some(None),
            team: None,
        };
        let mut attempts = 0;
        loop {
            let t = self.inner.store.get_ticket(system.tenant(), ticket).await;
            match t {
                Ok(t) if t.assignee == Some(id) => {}
                Ok(_) | Err(Error::NotFound { .. }) => return Ok(false),
                Err(e) => return Err(e),
            }
            match self.assign(system, ticket, input).await {
                Ok(_) => return Ok(true),
                Err(Error::NotFound { .. }) => return Ok(false),
                Err(Error::Conflict(_)) if attempts < 3 => attempts += 1,
                Err(e) => return Err(e),
            }
        }
    }
}

/// Tickets unassigned per store round trip.
pub(in crate::desk) const UNASSIGN_PAGE: u32 = 100;
