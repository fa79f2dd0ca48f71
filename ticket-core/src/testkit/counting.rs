//! `CountingStore`: a store that counts the calls made to the store it wraps, per
//! method, so a test can show how many store round trips a use case makes (a create,
//! the 200th write of a long ticket) against any store, in memory or on a database.

use crate::account::{OneTimeToken, TokenPurpose, TokenUse, User};
use crate::error::Result;
use crate::event::TicketEvent;
use crate::id::{
    CalendarId, DeliveryId, EndpointId, FaqId, NotificationId, RuleId, SlaPolicyId, TeamId,
    TenantId, TicketId, TokenId, UserId,
};
use crate::notify::{DeliveryAttempt, DeliveryStatus, Notification, OutboxEntry, WebhookEndpoint};
use crate::ports::{
    ConfigStore, EndpointStore, FaqStore, HandleTime, HourlyCount, NotificationStore, Outbox,
    ShiftStore, Store, TeamStore, TicketChange, TicketStore, TokenStore, UserStore, VolumeQuery,
    VolumeStore,
};
use crate::query::{CommentQuery, Page, Stats, StatsQuery, TicketQuery, UserQuery};
use crate::routing::AgentLoad;
use crate::rules::Rule;
use crate::sla::{BusinessCalendar, SlaPolicy, SlaReevaluation};
use crate::team::{Faq, Team};
use crate::text::Email;
use crate::ticket::{Comment, Ticket, TicketSla};
use crate::workforce::{ShiftRecord, ShiftSchedule, Span};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use uuid::Uuid;

/// Wraps a store and counts every call to it by method name (calls that failed too).
#[derive(Clone)]
pub struct CountingStore {
    inner: Arc<dyn Store>,
    calls: Arc<Mutex<BTreeMap<&'static str, u64>>>,
}

impl std::fmt::Debug for CountingStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountingStore")
            .field("calls", &self.calls())
            .finish_non_exhaustive()
    }
}

impl CountingStore {
    /// Counts the calls made to `inner`.
    #[must_use]
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            calls: Arc::default(),
        }
    }

    fn count(&self, method: &'static str) {
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        *calls.entry(method).or_default() += 1;
    }

    /// The calls so far, by method name.
    #[must_use]
    pub fn calls(&self) -> BTreeMap<&'static str, u64> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The calls so far to `method`.
    #[must_use]
    pub fn count_of(&self, method: &str) -> u64 {
        self.calls().get(method).copied().unwrap_or(0)
    }

    /// The calls so far, all methods together: the store round trips made.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.calls().values().sum()
    }

    /// Forgets the calls so far.
    pub fn reset(&self) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

#[async_trait]
impl TicketStore for CountingStore {
    async fn save(&self, change: &TicketChange) -> Result<()> {
        self.count("save");
        self.inner.save(change).await
    }

    async fn get_ticket(&self, tenant: TenantId, id: TicketId) -> Result<Ticket> {
        self.count("get_ticket");
        self.inner.get_ticket(tenant, id).await
    }

    async fn get_tickets(&self, tenant: TenantId, ids: &[TicketId]) -> Result<Vec<Ticket>> {
        self.count("get_tickets");
        self.inner.get_tickets(tenant, ids).await
    }

    async fn list_tickets(&self, tenant: TenantId, query: &TicketQuery) -> Result<Page<Ticket>> {
        self.count("list_tickets");
        self.inner.list_tickets(tenant, query).await
    }

    async fn delete_ticket(
        &self,
        tenant: TenantId,
        id: TicketId,
        event: &TicketEvent,
        outbox: &[OutboxEntry],
    ) -> Result<()> {
        self.count("delete_ticket");
        self.inner.delete_ticket(tenant, id, event, outbox).await
    }

    async fn list_comments(
        &self,
        tenant: TenantId,
        ticket: TicketId,
        query: &CommentQuery,
    ) -> Result<Page<Comment>> {
        self.count("list_comments");
        self.inner.list_comments(tenant, ticket, query).await
    }

    async fn ticket_events(&self, tenant: TenantId, ticket: TicketId) -> Result<Vec<TicketEvent>> {
        self.count("ticket_events");
        self.inner.ticket_events(tenant, ticket).await
    }

    async fn ticket_events_page(
        &self,
        tenant: TenantId,
        ticket: TicketId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<TicketEvent>> {
        self.count("ticket_events_page");
        self.inner
            .ticket_events_page(tenant, ticket, limit, cursor)
            .await
    }

    async fn stats(&self, tenant: TenantId, query: &StatsQuery) -> Result<Stats> {
        self.count("stats");
        self.inner.stats(tenant, query).await
    }

    async fn sla_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<(TenantId, TicketId)>> {
        self.count("sla_due");
        self.inner.sla_due(now, limit).await
    }

    async fn claim_sla_due(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<(TenantId, TicketId)>> {
        self.count("claim_sla_due");
        self.inner.claim_sla_due(now, lease, limit).await
    }

    async fn save_sla(
        &self,
        tenant: TenantId,
        id: TicketId,
        version: u64,
        sla: Option<&TicketSla>,
    ) -> Result<bool> {
        self.count("save_sla");
        self.inner.save_sla(tenant, id, version, sla).await
    }

    async fn mark_sla_stale(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
        after: Option<TicketId>,
        limit: u32,
    ) -> Result<Option<TicketId>> {
        self.count("mark_sla_stale");
        self.inner.mark_sla_stale(tenant, now, after, limit).await
    }

    async fn request_sla_reevaluation(&self, tenant: TenantId, now: DateTime<Utc>) -> Result<()> {
        self.count("request_sla_reevaluation");
        self.inner.request_sla_reevaluation(tenant, now).await
    }

    async fn claim_sla_reevaluation(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<SlaReevaluation>> {
        self.count("claim_sla_reevaluation");
        self.inner.claim_sla_reevaluation(now, lease).await
    }

    async fn advance_sla_reevaluation(
        &self,
        job: &SlaReevaluation,
        after: Option<TicketId>,
        held_until: DateTime<Utc>,
    ) -> Result<bool> {
        self.count("advance_sla_reevaluation");
        self.inner
            .advance_sla_reevaluation(job, after, held_until)
            .await
    }

    async fn ping(&self) -> Result<()> {
        self.count("ping");
        self.inner.ping().await
    }
}

#[async_trait]
impl UserStore for CountingStore {
    async fn create_user(&self, user: &User) -> Result<()> {
        self.count("create_user");
        self.inner.create_user(user).await
    }

    async fn update_user(&self, user: &User, expected_version: u64) -> Result<()> {
        self.count("update_user");
        self.inner.update_user(user, expected_version).await
    }

    async fn get_user(&self, tenant: TenantId, id: UserId) -> Result<User> {
        self.count("get_user");
        self.inner.get_user(tenant, id).await
    }

    async fn find_user_by_login(&self, tenant: TenantId, login: &str) -> Result<Option<User>> {
        self.count("find_user_by_login");
        self.inner.find_user_by_login(tenant, login).await
    }

    async fn list_users(&self, tenant: TenantId, query: &UserQuery) -> Result<Page<User>> {
        self.count("list_users");
        self.inner.list_users(tenant, query).await
    }

    async fn agent_loads(&self, tenant: TenantId, team: Option<TeamId>) -> Result<Vec<AgentLoad>> {
        self.count("agent_loads");
        self.inner.agent_loads(tenant, team).await
    }

    async fn rotation(
        &self,
        tenant: TenantId,
        team: Option<TeamId>,
    ) -> Result<Vec<(UserId, DateTime<Utc>)>> {
        self.count("rotation");
        self.inner.rotation(tenant, team).await
    }

    async fn record_pick(
        &self,
        tenant: TenantId,
        team: Option<TeamId>,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<DateTime<Utc>> {
        self.count("record_pick");
        self.inner.record_pick(tenant, team, user, at).await
    }
}

#[async_trait]
impl TeamStore for CountingStore {
    async fn create_team(&self, team: &Team) -> Result<()> {
        self.count("create_team");
        self.inner.create_team(team).await
    }

    async fn update_team(&self, team: &Team, expected_version: u64) -> Result<()> {
        self.count("update_team");
        self.inner.update_team(team, expected_version).await
    }

    async fn get_team(&self, tenant: TenantId, id: TeamId) -> Result<Team> {
        self.count("get_team");
        self.inner.get_team(tenant, id).await
    }

    async fn list_teams(&self, tenant: TenantId) -> Result<Vec<Team>> {
        self.count("list_teams");
        self.inner.list_teams(tenant).await
    }

    async fn delete_team(&self, tenant: TenantId, id: TeamId) -> Result<()> {
        self.count("delete_team");
        self.inner.delete_team(tenant, id).await
    }
}

#[async_trait]
impl ConfigStore for CountingStore {
    async fn save_sla_policy(&self, policy: &SlaPolicy) -> Result<()> {
        self.count("save_sla_policy");
        self.inner.save_sla_policy(policy).await
    }

    async fn get_sla_policy(&self, tenant: TenantId, id: SlaPolicyId) -> Result<SlaPolicy> {
        self.count("get_sla_policy");
        self.inner.get_sla_policy(tenant, id).await
    }

    async fn list_sla_policies(&self, tenant: TenantId) -> Result<Vec<SlaPolicy>> {
        self.count("list_sla_policies");
        self.inner.list_sla_policies(tenant).await
    }

    async fn delete_sla_policy(&self, tenant: TenantId, id: SlaPolicyId) -> Result<()> {
        self.count("delete_sla_policy");
        self.inner.delete_sla_policy(tenant, id).await
    }

    async fn save_calendar(&self, calendar: &BusinessCalendar) -> Result<()> {
        self.count("save_calendar");
        self.inner.save_calendar(calendar).await
    }

    async fn get_calendar(&self, tenant: TenantId, id: CalendarId) -> Result<BusinessCalendar> {
        self.count("get_calendar");
        self.inner.get_calendar(tenant, id).await
    }

    async fn list_calendars(&self, tenant: TenantId) -> Result<Vec<BusinessCalendar>> {
        self.count("list_calendars");
        self.inner.list_calendars(tenant).await
    }

    async fn delete_calendar(&self, tenant: TenantId, id: CalendarId) -> Result<()> {
        self.count("delete_calendar");
        self.inner.delete_calendar(tenant, id).await
    }

    async fn save_rule(&self, rule: &Rule) -> Result<()> {
        self.count("save_rule");
        self.inner.save_rule(rule).await
    }

    async fn get_rule(&self, tenant: TenantId, id: RuleId) -> Result<Rule> {
        self.count("get_rule");
        self.inner.get_rule(tenant, id).await
    }

    async fn list_rules(&self, tenant: TenantId) -> Result<Vec<Rule>> {
        self.count("list_rules");
        self.inner.list_rules(tenant).await
    }

    async fn delete_rule(&self, tenant: TenantId, id: RuleId) -> Result<()> {
        self.count("delete_rule");
        self.inner.delete_rule(tenant, id).await
    }
}

#[async_trait]
impl FaqStore for CountingStore {
    async fn save_faq(&self, faq: &Faq) -> Result<()> {
        self.count("save_faq");
        self.inner.save_faq(faq).await
    }

    async fn get_faq(&self, tenant: TenantId, id: FaqId) -> Result<Faq> {
        self.count("get_faq");
        self.inner.get_faq(tenant, id).await
    }

    async fn list_faqs(&self, tenant: TenantId) -> Result<Vec<Faq>> {
        self.count("list_faqs");
        self.inner.list_faqs(tenant).await
    }

    async fn delete_faq(&self, tenant: TenantId, id: FaqId) -> Result<()> {
        self.count("delete_faq");
        self.inner.delete_faq(tenant, id).await
    }
}

#[async_trait]
impl TokenStore for CountingStore {
    async fn create_token(&self, token: &OneTimeToken) -> Result<()> {
        self.count("create_token");
        self.inner.create_token(token).await
    }

    async fn consume_token(
        &self,
        tenant: TenantId,
        purpose: TokenPurpose,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenUse> {
        self.count("consume_token");
        self.inner.consume_token(tenant, purpose, hash, now).await
    }

    async fn revoke_family(
        &self,
        tenant: TenantId,
        family: TokenId,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        self.count("revoke_family");
        self.inner.revoke_family(tenant, family, now).await
    }

    async fn revoke_user_tokens(
        &self,
        tenant: TenantId,
        user: UserId,
        purpose: Option<TokenPurpose>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        self.count("revoke_user_tokens");
        self.inner
            .revoke_user_tokens(tenant, user, purpose, now)
            .await
    }

    async fn purge_expired_tokens(&self, now: DateTime<Utc>, limit: u32) -> Result<u64> {
        self.count("purge_expired_tokens");
        self.inner.purge_expired_tokens(now, limit).await
    }
}

#[async_trait]
impl NotificationStore for CountingStore {
    async fn add_notifications(&self, notifications: &[Notification]) -> Result<()> {
        self.count("add_notifications");
        self.inner.add_notifications(notifications).await
    }

    async fn list_notifications(
        &self,
        tenant: TenantId,
        user: UserId,
        unread_only: bool,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Notification>> {
        self.count("list_notifications");
        self.inner
            .list_notifications(tenant, user, unread_only, limit, cursor)
            .await
    }

    async fn mark_read(
        &self,
        tenant: TenantId,
        user: UserId,
        id: NotificationId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.count("mark_read");
        self.inner.mark_read(tenant, user, id, now).await
    }

    async fn mark_all_read(
        &self,
        tenant: TenantId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        self.count("mark_all_read");
        self.inner.mark_all_read(tenant, user, now).await
    }

    async fn unread_count(&self, tenant: TenantId, user: UserId) -> Result<u64> {
        self.count("unread_count");
        self.inner.unread_count(tenant, user).await
    }
}

#[async_trait]
impl Outbox for CountingStore {
    async fn enqueue(&self, entries: &[OutboxEntry]) -> Result<()> {
        self.count("enqueue");
        self.inner.enqueue(entries).await
    }

    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>> {
        self.count("claim");
        self.inner.claim(now, lease, limit).await
    }

    async fn complete(
        &self,
        id: DeliveryId,
        claim: Uuid,
        now: DateTime<Utc>,
        log: &[DeliveryAttempt],
    ) -> Result<bool> {
        self.count("complete");
        self.inner.complete(id, claim, now, log).await
    }

    async fn fail(
        &self,
        id: DeliveryId,
        claim: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        log: &[DeliveryAttempt],
    ) -> Result<bool> {
        self.count("fail");
        self.inner.fail(id, claim, error, retry_at, log).await
    }

    async fn purge_delivered(&self, before: DateTime<Utc>) -> Result<u64> {
        self.count("purge_delivered");
        self.inner.purge_delivered(before).await
    }

    async fn forget_recipient(
        &self,
        tenant: TenantId,
        address: &Email,
        placeholder: &Email,
    ) -> Result<u64> {
        self.count("forget_recipient");
        self.inner
            .forget_recipient(tenant, address, placeholder)
            .await
    }

    async fn get_delivery(&self, tenant: TenantId, id: DeliveryId) -> Result<OutboxEntry> {
        self.count("get_delivery");
        self.inner.get_delivery(tenant, id).await
    }

    async fn list_deliveries(
        &self,
        tenant: TenantId,
        status: Option<DeliveryStatus>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<OutboxEntry>> {
        self.count("list_deliveries");
        self.inner
            .list_deliveries(tenant, status, limit, cursor)
            .await
    }

    async fn retry_delivery(
        &self,
        tenant: TenantId,
        id: DeliveryId,
        now: DateTime<Utc>,
    ) -> Result<OutboxEntry> {
        self.count("retry_delivery");
        self.inner.retry_delivery(tenant, id, now).await
    }
}

#[async_trait]
impl VolumeStore for CountingStore {
    async fn hourly_created(
        &self,
        tenant: TenantId,
        query: &VolumeQuery,
    ) -> Result<Vec<HourlyCount>> {
        self.count("hourly_created");
        self.inner.hourly_created(tenant, query).await
    }

    async fn handle_time(&self, tenant: TenantId, query: &VolumeQuery) -> Result<HandleTime> {
        self.count("handle_time");
        self.inner.handle_time(tenant, query).await
    }
}

#[async_trait]
impl ShiftStore for CountingStore {
    async fn save_schedule(
        &self,
        schedule: &ShiftSchedule,
        expected_version: Option<u64>,
    ) -> Result<()> {
        self.count("save_schedule");
        self.inner.save_schedule(schedule, expected_version).await
    }

    async fn get_schedule(&self, tenant: TenantId, user: UserId) -> Result<Option<ShiftSchedule>> {
        self.count("get_schedule");
        self.inner.get_schedule(tenant, user).await
    }

    async fn list_schedules(
        &self,
        tenant: TenantId,
        users: &[UserId],
    ) -> Result<Vec<ShiftSchedule>> {
        self.count("list_schedules");
        self.inner.list_schedules(tenant, users).await
    }

    async fn save_shift(&self, record: &ShiftRecord, expected_version: Option<u64>) -> Result<()> {
        self.count("save_shift");
        self.inner.save_shift(record, expected_version).await
    }

    async fn open_shift(&self, tenant: TenantId, user: UserId) -> Result<Option<ShiftRecord>> {
        self.count("open_shift");
        self.inner.open_shift(tenant, user).await
    }

    async fn list_shifts(
        &self,
        tenant: TenantId,
        user: Option<UserId>,
        range: Span,
        limit: u32,
    ) -> Result<Vec<ShiftRecord>> {
        self.count("list_shifts");
        self.inner.list_shifts(tenant, user, range, limit).await
    }

    async fn open_shifts(
        &self,
        started_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ShiftRecord>> {
        self.count("open_shifts");
        self.inner.open_shifts(started_before, limit).await
    }
}

#[async_trait]
impl EndpointStore for CountingStore {
    async fn record_endpoint_attempt(
        &self,
        tenant: TenantId,
        url: &str,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<WebhookEndpoint> {
        self.count("record_endpoint_attempt");
        self.inner
            .record_endpoint_attempt(tenant, url, at, error)
            .await
    }

    async fn disable_endpoint(
        &self,
        tenant: TenantId,
        url: &str,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<bool> {
        self.count("disable_endpoint");
        self.inner.disable_endpoint(tenant, url, at, reason).await
    }

    async fn enable_endpoint(&self, tenant: TenantId, id: EndpointId) -> Result<WebhookEndpoint> {
        self.count("enable_endpoint");
        self.inner.enable_endpoint(tenant, id).await
    }

    async fn find_endpoint(&self, tenant: TenantId, url: &str) -> Result<Option<WebhookEndpoint>> {
        self.count("find_endpoint");
        self.inner.find_endpoint(tenant, url).await
    }

    async fn list_endpoints(
        &self,
        tenant: TenantId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<WebhookEndpoint>> {
        self.count("list_endpoints");
        self.inner.list_endpoints(tenant, limit, cursor).await
    }
}
