//! Webhook endpoints: the relay keeps each endpoint's health (a success stops its
//! failure clock), skips a disabled one (its deliveries are dead-lettered with the
//! reason, to be replayed once it is enabled again), disables one that answered 410 Gone
//! or kept failing longer than [`RelayConfig::disable_after`](crate::notify::RelayConfig),
//! and tells its owner: the members of the teams using it (in-app) and the desk's admins
//! (in-app and by e-mail). Admins list endpoints and enable them again.

use super::HelpDesk;
use crate::account::{Actor, Role};
use crate::error::Result;
use crate::id::{EndpointId, NotificationId, TenantId, UserId};
use crate::notify::{
    AttemptOutcome, Channel, Notification, NotificationKind, OutboxEntry, WebhookEndpoint,
};
use crate::query::{check_limit, Page, UserQuery};
use crate::rbac::Permission;
use std::collections::BTreeSet;

/// The prefix of the `last_error` of a delivery dead-lettered because its endpoint is
/// disabled.
pub const ENDPOINT_DISABLED: &str = "endpoint disabled";

/// How stale an endpoint's `last_success_at` may be before a success writes it again.
pub const SUCCESS_PRECISION: chrono::Duration = chrono::Duration::seconds(60);

/// The most admins one disabled endpoint is mailed to.
const MAX_ADMINS_TOLD: u32 = 100;

impl HelpDesk {
    /// The tenant's webhook endpoints with their state, oldest first.
    ///
    /// # Errors
    /// [`Error::Forbidden`](crate::Error::Forbidden) without `DeliveriesManage`;
    /// [`Error::Invalid`](crate::Error::Invalid) (`limit`, `cursor`).
    pub async fn list_endpoints(
        &self,
        actor: &Actor,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<WebhookEndpoint>> {
        self.require(actor, Permission::DeliveriesManage)?;
        let limit = check_limit(limit)?;
        self.inner
            .store
            .list_endpoints(actor.tenant(), limit, cursor)
            .await
    }

    /// Enables a disabled endpoint again (its failure clock starts afresh). Its
    /// dead-lettered deliveries stay dead: replay them one by one or all since an
    /// instant.
    ///
    /// # Errors
    /// [`Error::Forbidden`](crate::Error::Forbidden) without `DeliveriesManage`;
    /// [`Error::NotFound`](crate::Error::NotFound).
    pub async fn enable_endpoint(&self, actor: &Actor, id: EndpointId) -> Result<WebhookEndpoint> {
        self.require(actor, Permission::DeliveriesManage)?;
        self.inner.store.enable_endpoint(actor.tenant(), id).await
    }

    /// The state of a webhook entry's endpoint before an attempt (`None` for e-mail, or
    /// an endpoint never tried).
    pub(in crate::desk) async fn endpoint_of(
        &self,
        entry: &OutboxEntry,
    ) -> Result<Option<WebhookEndpoint>> {
        match &entry.channel {
            Channel::Webhook { url, .. } => self.inner.store.find_endpoint(entry.tenant, url).await,
            Channel::Email { .. } => Ok(None),
        }
    }

    /// Why an entry must not be attempted: its endpoint (as [`HelpDesk::endpoint_of`]
    /// read it) is disabled.
    pub(in crate::desk) fn endpoint_refusal(endpoint: Option<&WebhookEndpoint>) -> Option<String> {
        endpoint.filter(|e| !e.is_enabled()).map(|e| {
            format!(
                "{ENDPOINT_DISABLED}: {}",
                e.disabled_reason.as_deref().unwrap_or("by an admin")
            )
        })
    }

    /// Records how an attempt at a webhook entry's endpoint ended (`before`: its state as
    /// read before the attempt). Returns the reason when the endpoint is disabled now
    /// (this failure disabled it — 410 Gone, or failing for too long — or another
    /// worker's did meanwhile): the entry is then dead-lettered rather than retried.
    ///
    /// A success at a healthy endpoint whose last success is under
    /// [`SUCCESS_PRECISION`] old writes nothing, so a busy endpoint does not cost a
    /// write per delivery: `last_success_at` is that precise.
    pub(in crate::desk) async fn record_endpoint(
        &self,
        entry: &OutboxEntry,
        before: Option<&WebhookEndpoint>,
        outcome: AttemptOutcome,
        error: &str,
    ) -> Result<Option<String>> {
        let Channel::Webhook { url, .. } = &entry.channel else {
            return Ok(None);
        };
        let store = &self.inner.store;
        let now = self.now();
        let reason = match outcome {
            AttemptOutcome::Delivered => {
                let fresh = before.is_some_and(|e| {
                    e.failing_since.is_none()
                        && e.last_success_at
                            .is_some_and(|at| now - at < SUCCESS_PRECISION)
                });
                if !fresh {
                    store
                        .record_endpoint_attempt(entry.tenant, url, now, None)
                        .await?;
                }
                return Ok(None);
            }
            AttemptOutcome::Gone => {
                store
                    .record_endpoint_attempt(entry.tenant, url, now, Some(error))
                    .await?;
                "it answered 410 Gone".to_string()
            }
            AttemptOutcome::Retry { .. } | AttemptOutcome::Permanent => {
                let endpoint = store
                    .record_endpoint_attempt(entry.tenant, url, now, Some(error))
                    .await?;
                if !endpoint.is_enabled() {
                    // Disabled meanwhile (by another worker's attempt): dead too.
                    let reason = endpoint.disabled_reason.unwrap_or_default();
                    return Ok(Some(format!("{ENDPOINT_DISABLED}: {reason}")));
                }
                let limit = self.inner.config.relay.disable_after;
                match endpoint.failing_since {
                    Some(since) if endpoint.failing_for(limit, now) => format!(
                        "it failed continuously since {} (last error: {error})",
                        since.format("%Y-%m-%d %H:%M UTC")
                    ),
                    _ => return Ok(None),
                }
            }
        };
        if store
            .disable_endpoint(entry.tenant, url, now, &reason)
            .await?
        {
            self.tell_endpoint_owner(entry.tenant, url, &reason).await?;
        }
        Ok(Some(format!("{ENDPOINT_DISABLED}: {reason}")))
    }

    /// Tells the owner of a disabled endpoint: every member of the teams using it and
    /// every admin in-app, and the admins by e-mail (through the outbox).
    async fn tell_endpoint_owner(&self, tenant: TenantId, url: &str, reason: &str) -> Result<()> {
        let store = &self.inner.store;
        let mut teams = Vec::new();
        let mut people: BTreeSet<UserId> = BTreeSet::new();
        for team in store.list_teams(tenant).await? {
            if team.webhook_url.as_deref() == Some(url) {
                people.extend(
                    store
                        .agent_loads(tenant, Some(team.id))
                        .await?
                        .into_iter()
                        .map(|m| m.user_id),
                );
                teams.push(team.name.to_string());
            }
        }
        let owner = if teams.is_empty() {
            String::new()
        } else {
            format!(" of team {}", teams.join(", "))
        };
        let subject = "A webhook endpoint was disabled".to_string();
        let message = format!(
            "The webhook endpoint{owner} {url} was disabled because {reason}. Its deliveries \
             are dead-lettered until an admin enables it again; then replay them."
        );
        let now = self.now();
        let max_attempts = self.inner.config.retry.max_attempts;
        let mut mails = Vec::new();
        for role in [Role::Admin, Role::SuperAdmin] {
            let query = UserQuery {
                role: Some(role),
                limit: MAX_ADMINS_TOLD,
                ..UserQuery::default()
            };
            for admin in store.list_users(tenant, &query).await?.items {
                if admin.is_deleted() || !people.insert(admin.id) {
                    continue;
                }
                let body = format!("Hello {},\n\n{message}\n", admin.name);
                mails.push(OutboxEntry::new(
                    tenant,
                    None,
                    NotificationKind::EndpointDisabled,
                    Channel::Email {
                        to: admin.email.clone(),
                        subject: subject.clone(),
                        body,
                    },
                    serde_json::json!({ "kind": NotificationKind::EndpointDisabled, "url": url }),
                    max_attempts,
                    now,
                ));
            }
        }
        let notes: Vec<Notification> = people
            .into_iter()
            .map(|user_id| Notification {
                id: NotificationId::new(),
                tenant,
                user_id,
                ticket_id: None,
                kind: NotificationKind::EndpointDisabled,
                message: message.clone(),
                created_at: now,
                read_at: None,
            })
            .collect();
        store.add_notifications(&notes).await?;
        store.enqueue(&mails).await
    }
}
