//! Teams, FAQ entries, in-app notifications and outbound deliveries.

use super::HelpDesk;
use crate::account::Actor;
use crate::error::{Error, Result};
use crate::id::{DeliveryId, FaqId, NotificationId, TeamId};
use crate::notify::{DeliveryStatus, Notification, OutboxEntry};
use crate::query::{check_limit, Page};
use crate::rbac::Permission;
use crate::team::{check_webhook_secret, Faq, Team};
use crate::text::{clean_text, Name, Secret, Tags};
use serde::{Deserialize, Serialize};

/// A new team.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TeamInput {
    /// Name (unique in the tenant).
    pub name: String,
    /// What the team does.
    pub description: String,
    /// The team's own system, called for tickets distributed or notified to it.
    pub webhook_url: Option<String>,
    /// Signs the webhook calls; write-only.
    pub webhook_secret: Option<Secret>,
}

/// Changes to a team; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct TeamPatch {
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Webhook URL.
    pub webhook_url: Option<Option<String>>,
    /// Webhook secret.
    pub webhook_secret: Option<Option<Secret>>,
}

/// A FAQ entry as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FaqInput {
    /// The question.
    pub question: String,
    /// The answer.
    pub answer: String,
    /// Tags.
    pub tags: Vec<String>,
}

impl HelpDesk {
    // ----- teams -------------------------------------------------------------------

    /// Creates a team.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::Invalid`]; [`Error::Conflict`] when the name is
    /// taken.
    pub async fn create_team(&self, actor: &Actor, input: TeamInput) -> Result<Team> {
        self.require(actor, Permission::TeamsManage)?;
        let now = self.now();
        let team = Team {
            id: TeamId::new(),
            tenant: actor.tenant(),
            name: Name::parse(&input.name)?,
            description: clean_text("description", &input.description, 0, 2000, false)?,
            webhook_url: input
                .webhook_url
                .map(|u| self.check_webhook("webhook_url", &u))
                .transpose()?,
            webhook_secret: input
                .webhook_secret
                .map(|s| check_webhook_secret("webhook_secret", s))
                .transpose()?,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.inner.store.create_team(&team).await?;
        Ok(team)
    }

    /// Changes a team.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`]; [`Error::Invalid`];
    /// [`Error::Conflict`].
    pub async fn update_team(&self, actor: &Actor, id: TeamId, patch: TeamPatch) -> Result<Team> {
        self.require(actor, Permission::TeamsManage)?;
        let mut team = self.inner.store.get_team(actor.tenant(), id).await?;
        if let Some(n) = patch.name {
            team.name = Name::parse(n)?;
        }
        if let Some(d) = patch.description {
            team.description = clean_text("description", &d, 0, 2000, false)?;
        }
        if let Some(u) = patch.webhook_url {
            team.webhook_url = u
                .map(|u| self.check_webhook("webhook_url", &u))
                .transpose()?;
        }
        if let Some(s) = patch.webhook_secret {
            team.webhook_secret = s
                .map(|s| check_webhook_secret("webhook_secret", s))
                .transpose()?;
        }
        let expected = team.version;
        team.version += 1;
        team.updated_at = self.now();
        self.inner.store.update_team(&team, expected).await?;
        Ok(team)
    }

    /// One team (any staff member).
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`].
    pub async fn get_team(&self, actor: &Actor, id: TeamId) -> Result<Team> {
        self.require(actor, Permission::UsersRead)?;
        self.inner.store.get_team(actor.tenant(), id).await
    }

    /// Every team (any staff member).
    ///
    /// # Errors
    /// [`Error::Forbidden`].
    pub async fn list_teams(&self, actor: &Actor) -> Result<Vec<Team>> {
        self.require(actor, Permission::UsersRead)?;
        self.inner.store.list_teams(actor.tenant()).await
    }

    /// Deletes a team and removes it from its members' profiles.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`].
    pub async fn delete_team(&self, actor: &Actor, id: TeamId) -> Result<()> {
        self.require(actor, Permission::TeamsManage)?;
        self.inner.store.get_team(actor.tenant(), id).await?;
        for member in self
            .inner
            .store
            .agent_loads(actor.tenant(), Some(id))
            .await?
        {
            let mut user = self
                .inner
                .store
                .get_user(actor.tenant(), member.user_id)
                .await?;
            if let Some(p) = user.agent.as_mut() {
                p.teams.retain(|t| *t != id);
                self.save_user(&mut user).await?;
            }
        }
        self.inner.store.delete_team(actor.tenant(), id).await
    }

    // ----- FAQ -----------------------------------------------------------------------

    /// Creates a FAQ entry.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::Invalid`].
    pub async fn create_faq(&self, actor: &Actor, input: FaqInput) -> Result<Faq> {
        self.save_faq(actor, FaqId::new(), input).await
    }

    /// Replaces a FAQ entry.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`]; [`Error::Invalid`].
    pub async fn update_faq(&self, actor: &Actor, id: FaqId, input: FaqInput) -> Result<Faq> {
        self.require(actor, Permission::FaqManage)?;
        self.inner.store.get_faq(actor.tenant(), id).await?;
        self.save_faq(actor, id, input).await
    }

    async fn save_faq(&self, actor: &Actor, id: FaqId, input: FaqInput) -> Result<Faq> {
        self.require(actor, Permission::FaqManage)?;
        let faq = Faq {
            id,
            tenant: actor.tenant(),
            question: clean_text("question", &input.question, 1, 1000, false)?,
            answer: clean_text("answer", &input.answer, 1, 20_000, false)?,
            tags: Tags::parse(&input.tags)?,
            updated_at: self.now(),
        };
        self.inner.store.save_faq(&faq).await?;
        Ok(faq)
    }

    /// Every FAQ entry (anyone signed in may read the FAQ).
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn list_faqs(&self, actor: &Actor) -> Result<Vec<Faq>> {
        self.inner.store.list_faqs(actor.tenant()).await
    }

    /// Deletes a FAQ entry.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`].
    pub async fn delete_faq(&self, actor: &Actor, id: FaqId) -> Result<()> {
        self.require(actor, Permission::FaqManage)?;
        self.inner.store.delete_faq(actor.tenant(), id).await
    }

    // ----- in-app notifications --------------------------------------------------------

    /// The acting user's notifications, newest first.
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] for the system; [`Error::Invalid`].
    pub async fn list_notifications(
        &self,
        actor: &Actor,
        unread_only: bool,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<Notification>> {
        let me = actor.user_id().ok_or(Error::Unauthenticated)?;
        let limit = check_limit(limit)?;
        self.inner
            .store
            .list_notifications(actor.tenant(), me, unread_only, limit, cursor)
            .await
    }

    /// Marks one of the acting user's notifications read.
    ///
    /// # Errors
    /// [`Error::NotFound`] when it is not theirs.
    pub async fn mark_notification_read(&self, actor: &Actor, id: NotificationId) -> Result<()> {
        let me = actor.user_id().ok_or(Error::Unauthenticated)?;
        self.inner
            .store
            .mark_read(actor.tenant(), me, id, self.now())
            .await
    }

    /// Marks all the acting user's notifications read; returns how many were unread.
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] for the system.
    pub async fn mark_all_notifications_read(&self, actor: &Actor) -> Result<u64> {
        let me = actor.user_id().ok_or(Error::Unauthenticated)?;
        self.inner
            .store
            .mark_all_read(actor.tenant(), me, self.now())
            .await
    }

    /// How many unread notifications the acting user has.
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] for the system.
    pub async fn unread_notifications(&self, actor: &Actor) -> Result<u64> {
        let me = actor.user_id().ok_or(Error::Unauthenticated)?;
        self.inner.store.unread_count(actor.tenant(), me).await
    }

    // ----- deliveries ------------------------------------------------------------------

    /// Outbound deliveries, newest first, optionally of one status (dead letters…).
    ///
    /// # Errors
    /// [`Error::Forbidden`] without `DeliveriesManage`; [`Error::Invalid`].
    pub async fn list_deliveries(
        &self,
        actor: &Actor,
        status: Option<DeliveryStatus>,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<OutboxEntry>> {
        self.require(actor, Permission::DeliveriesManage)?;
        let limit = check_limit(limit)?;
        self.inner
            .store
            .list_deliveries(actor.tenant(), status, limit, cursor)
            .await
    }

    /// Puts a dead delivery back in the queue with fresh attempts.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`]; [`Error::Conflict`] when it is not
    /// dead.
    pub async fn retry_delivery(&self, actor: &Actor, id: DeliveryId) -> Result<OutboxEntry> {
        self.require(actor, Permission::DeliveriesManage)?;
        self.inner
            .store
            .retry_delivery(actor.tenant(), id, self.now())
            .await
    }
}
