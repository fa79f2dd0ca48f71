//! A store of one's own, proven with the conformance kit.
//!
//! `AuditedStore<S>` is the kind of store a team writes around the one it runs: a
//! decorator that implements every store trait (and the event bus) by delegating to an
//! inner store, and counts the writes that succeed, per method, for an audit trail or
//! metrics. A decorator can break a store in subtle ways (a forgotten method, a swapped
//! argument, an error turned into success), so before it goes anywhere near production it
//! runs through `ticket_core::testkit::run_all`, every behaviour the ports promise, here
//! wrapping the in-memory reference store.
//!
//! In a test file the same proof is one line, `ticket_core::store_conformance!(factory);`;
//! `run_all` is for places without `#[test]`, like this example.
//!
//! Run it with `cargo run -p ticket-examples --example custom_store`; it exits non-zero
//! when any behaviour fails.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use ticket_core::account::{OneTimeToken, TokenPurpose, TokenUse, User};
use ticket_core::event::TicketEvent;
use ticket_core::id::{
    CalendarId, DeliveryId, EndpointId, FaqId, NotificationId, RuleId, SlaPolicyId, TeamId,
    TenantId, TicketId, TokenId, UserId,
};
use ticket_core::memory::MemoryStore;
use ticket_core::notify::{
    DeliveryAttempt, DeliveryStatus, Notification, OutboxEntry, WebhookEndpoint,
};
use ticket_core::ports::{
    ConfigStore, EndpointStore, EventBus, EventStream, FaqStore, HandleTime, HourlyCount,
    NotificationStore, Outbox, ShiftStore, Store, TeamStore, TicketChange, TicketStore, TokenStore,
    UserStore, VolumeQuery, VolumeStore,
};
use ticket_core::query::{CommentQuery, Page, Stats, StatsQuery, TicketQuery, UserQuery};
use ticket_core::routing::AgentLoad;
use ticket_core::rules::Rule;
use ticket_core::sla::{BusinessCalendar, SlaPolicy, SlaReevaluation};
use ticket_core::team::{Faq, Team};
use ticket_core::testkit::{self, uuid::Uuid};
use ticket_core::text::Email;
use ticket_core::ticket::{Comment, Ticket, TicketSla};
use ticket_core::workforce::{ShiftRecord, ShiftSchedule, Span};
use ticket_core::Result;

/// Successful writes per store method, shared by every store that reports to it.
#[derive(Debug, Default)]
struct Audit {
    writes: Mutex<BTreeMap<&'static str, u64>>,
}

impl Audit {
    /// Counts one successful `method` call.
    fn record(&self, method: &'static str) {
        let mut writes = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
        *writes.entry(method).or_default() += 1;
    }

    /// The counts so far.
    fn snapshot(&self) -> BTreeMap<&'static str, u64> {
        self.writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Any store, with its successful writes counted.
struct AuditedStore<S> {
    inner: S,
    audit: Arc<Audit>,
}

impl<S> AuditedStore<S> {
    fn new(inner: S, audit: Arc<Audit>) -> Self {
        Self { inner, audit }
    }

    /// Passes `result` through, counting `method` when it succeeded.
    fn counted<T>(&self, method: &'static str, result: Result<T>) -> Result<T> {
        self.counted_if(method, result, |_| true)
    }

    /// Passes `result` through, counting `method` when it succeeded and `wrote` says the
    /// outcome changed something (an acknowledgement that was ignored wrote nothing).
    fn counted_if<T>(
        &self,
        method: &'static str,
        result: Result<T>,
        wrote: impl FnOnce(&T) -> bool,
    ) -> Result<T> {
        if result.as_ref().is_ok_and(wrote) {
            self.audit.record(method);
        }
        result
    }
}

#[async_trait]
impl<S: Store> TicketStore for AuditedStore<S> {
    async fn save(&self, change: &TicketChange) -> Result<()> {
        self.counted("save", self.inner.save(change).await)
    }
    async fn get_ticket(&self, tenant: TenantId, id: TicketId) -> Result<Ticket> {
        self.inner.get_ticket(tenant, id).await
    }
    async fn get_tickets(&self, tenant: TenantId, ids: &[TicketId]) -> Result<Vec<Ticket>> {
        self.inner.get_tickets(tenant, ids).await
    }
    async fn list_tickets(&self, tenant: TenantId, query: &TicketQuery) -> Result<Page<Ticket>> {
        self.inner.list_tickets(tenant, query).await
    }
    async fn delete_ticket(
        &self,
        tenant: TenantId,
        id: TicketId,
        event: &TicketEvent,
        outbox: &[OutboxEntry],
    ) -> Result<()> {
        let result = self.inner.delete_ticket(tenant, id, event, outbox).await;
        self.counted("delete_ticket", result)
    }
    async fn list_comments(
        &self,
        tenant: TenantId,
        ticket: TicketId,
        query: &CommentQuery,
    ) -> Result<Page<Comment>> {
        self.inner.list_comments(tenant, ticket, query).await
    }
    async fn ticket_events(&self, tenant: TenantId, ticket: TicketId) -> Result<Vec<TicketEvent>> {
        self.inner.ticket_events(tenant, ticket).await
    }
    async fn ticket_events_page(
        &self,
        tenant: TenantId,
        ticket: TicketId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<TicketEvent>> {
        self.inner
            .ticket_events_page(tenant, ticket, limit, cursor)
            .await
    }
    async fn stats(&self, tenant: TenantId, query: &StatsQuery) -> Result<Stats> {
        self.inner.stats(tenant, query).await
    }
    async fn sla_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<(TenantId, TicketId)>> {
        self.inner.sla_due(now, limit).await
    }
    async fn claim_sla_due(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<(TenantId, TicketId)>> {
        let claimed = self.inner.claim_sla_due(now, lease, limit).await;
        self.counted_if("claim_sla_due", claimed, |c| !c.is_empty())
    }
    async fn save_sla(
        &self,
        tenant: TenantId,
        id: TicketId,
        version: u64,
        sla: Option<&TicketSla>,
    ) -> Result<bool> {
        let saved = self.inner.save_sla(tenant, id, version, sla).await;
        self.counted_if("save_sla", saved, |written| *written)
    }
    async fn mark_sla_stale(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
        after: Option<TicketId>,
        limit: u32,
    ) -> Result<Option<TicketId>> {
        self.counted(
            "mark_sla_stale",
            self.inner.mark_sla_stale(tenant, now, after, limit).await,
        )
    }
    async fn request_sla_reevaluation(&self, tenant: TenantId, now: DateTime<Utc>) -> Result<()> {
        let requested = self.inner.request_sla_reevaluation(tenant, now).await;
        self.counted("request_sla_reevaluation", requested)
    }
    async fn claim_sla_reevaluation(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<SlaReevaluation>> {
        let claimed = self.inner.claim_sla_reevaluation(now, lease).await;
        self.counted_if("claim_sla_reevaluation", claimed, Option::is_some)
    }
    async fn advance_sla_reevaluation(
        &self,
        job: &SlaReevaluation,
        after: Option<TicketId>,
        held_until: DateTime<Utc>,
    ) -> Result<bool> {
        let advanced = self
            .inner
            .advance_sla_reevaluation(job, after, held_until)
            .await;
        self.counted_if("advance_sla_reevaluation", advanced, |written| *written)
    }
    async fn ping(&self) -> Result<()> {
        self.inner.ping().await
    }
}

#[async_trait]
impl<S: Store> UserStore for AuditedStore<S> {
    async fn create_user(&self, user: &User) -> Result<()> {
        self.counted("create_user", self.inner.create_user(user).await)
    }
    async fn update_user(&self, user: &User, expected_version: u64) -> Result<()> {
        let result = self.inner.update_user(user, expected_version).await;
        self.counted("update_user", result)
    }
    async fn get_user(&self, tenant: TenantId, id: UserId) -> Result<User> {
        self.inner.get_user(tenant, id).await
    }
    async fn find_user_by_login(&self, tenant: TenantId, login: &str) -> Result<Option<User>> {
        self.inner.find_user_by_login(tenant, login).await
    }
    async fn list_users(&self, tenant: TenantId, query: &UserQuery) -> Result<Page<User>> {
        self.inner.list_users(tenant, query).await
    }
    async fn agent_loads(&self, tenant: TenantId, team: Option<TeamId>) -> Result<Vec<AgentLoad>> {
        self.inner.agent_loads(tenant, team).await
    }
    async fn rotation(
        &self,
        tenant: TenantId,
        team: Option<TeamId>,
    ) -> Result<Vec<(UserId, DateTime<Utc>)>> {
        self.inner.rotation(tenant, team).await
    }
    async fn record_pick(
        &self,
        tenant: TenantId,
        team: Option<TeamId>,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<DateTime<Utc>> {
        self.counted(
            "record_pick",
            self.inner.record_pick(tenant, team, user, at).await,
        )
    }
}

#[async_trait]
impl<S: Store> TeamStore for AuditedStore<S> {
    async fn create_team(&self, team: &Team) -> Result<()> {
        self.counted("create_team", self.inner.create_team(team).await)
    }
    async fn update_team(&self, team: &Team, expected_version: u64) -> Result<()> {
        let result = self.inner.update_team(team, expected_version).await;
        self.counted("update_team", result)
    }
    async fn get_team(&self, tenant: TenantId, id: TeamId) -> Result<Team> {
        self.inner.get_team(tenant, id).await
    }
    async fn list_teams(&self, tenant: TenantId) -> Result<Vec<Team>> {
        self.inner.list_teams(tenant).await
    }
    async fn delete_team(&self, tenant: TenantId, id: TeamId) -> Result<()> {
        self.counted("delete_team", self.inner.delete_team(tenant, id).await)
    }
}

#[async_trait]
impl<S: Store> ConfigStore for AuditedStore<S> {
    async fn save_sla_policy(&self, policy: &SlaPolicy) -> Result<()> {
        self.counted("save_sla_policy", self.inner.save_sla_policy(policy).await)
    }
    async fn get_sla_policy(&self, tenant: TenantId, id: SlaPolicyId) -> Result<SlaPolicy> {
        self.inner.get_sla_policy(tenant, id).await
    }
    async fn list_sla_policies(&self, tenant: TenantId) -> Result<Vec<SlaPolicy>> {
        self.inner.list_sla_policies(tenant).await
    }
    async fn delete_sla_policy(&self, tenant: TenantId, id: SlaPolicyId) -> Result<()> {
        let result = self.inner.delete_sla_policy(tenant, id).await;
        self.counted("delete_sla_policy", result)
    }
    async fn save_calendar(&self, calendar: &BusinessCalendar) -> Result<()> {
        self.counted("save_calendar", self.inner.save_calendar(calendar).await)
    }
    async fn get_calendar(&self, tenant: TenantId, id: CalendarId) -> Result<BusinessCalendar> {
        self.inner.get_calendar(tenant, id).await
    }
    async fn list_calendars(&self, tenant: TenantId) -> Result<Vec<BusinessCalendar>> {
        self.inner.list_calendars(tenant).await
    }
    async fn delete_calendar(&self, tenant: TenantId, id: CalendarId) -> Result<()> {
        let result = self.inner.delete_calendar(tenant, id).await;
        self.counted("delete_calendar", result)
    }
    async fn save_rule(&self, rule: &Rule) -> Result<()> {
        self.counted("save_rule", self.inner.save_rule(rule).await)
    }
    async fn get_rule(&self, tenant: TenantId, id: RuleId) -> Result<Rule> {
        self.inner.get_rule(tenant, id).await
    }
    async fn list_rules(&self, tenant: TenantId) -> Result<Vec<Rule>> {
        self.inner.list_rules(tenant).await
    }
    async fn delete_rule(&self, tenant: TenantId, id: RuleId) -> Result<()> {
        self.counted("delete_rule", self.inner.delete_rule(tenant, id).await)
    }
}

#[async_trait]
impl<S: Store> FaqStore for AuditedStore<S> {
    async fn save_faq(&self, faq: &Faq) -> Result<()> {
        self.counted("save_faq", self.inner.save_faq(faq).await)
    }
    async fn get_faq(&self, tenant: TenantId, id: FaqId) -> Result<Faq> {
        self.inner.get_faq(tenant, id).await
    }
    async fn list_faqs(&self, tenant: TenantId) -> Result<Vec<Faq>> {
        self.inner.list_faqs(tenant).await
    }
    async fn delete_faq(&self, tenant: TenantId, id: FaqId) -> Result<()> {
        self.counted("delete_faq", self.inner.delete_faq(tenant, id).await)
    }
}

#[async_trait]
impl<S: Store> TokenStore for AuditedStore<S> {
    async fn create_token(&self, token: &OneTimeToken) -> Result<()> {
        self.counted("create_token", self.inner.create_token(token).await)
    }
    async fn consume_token(
        &self,
        tenant: TenantId,
        purpose: TokenPurpose,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenUse> {
        let result = self.inner.consume_token(tenant, purpose, hash, now).await;
        self.counted_if("consume_token", result, |used| {
            matches!(used, TokenUse::Consumed(_))
        })
    }
    async fn revoke_family(
        &self,
        tenant: TenantId,
        family: TokenId,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let result = self.inner.revoke_family(tenant, family, now).await;
        self.counted("revoke_family", result)
    }
    async fn revoke_user_tokens(
        &self,
        tenant: TenantId,
        user: UserId,
        purpose: Option<TokenPurpose>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let result = self
            .inner
            .revoke_user_tokens(tenant, user, purpose, now)
            .await;
        self.counted("revoke_user_tokens", result)
    }
    async fn purge_expired_tokens(&self, now: DateTime<Utc>, limit: u32) -> Result<u64> {
        let result = self.inner.purge_expired_tokens(now, limit).await;
        self.counted("purge_expired_tokens", result)
    }
}

#[async_trait]
impl<S: Store> NotificationStore for AuditedStore<S> {
    async fn add_notifications(&self, notifications: &[Notification]) -> Result<()> {
        let result = self.inner.add_notifications(notifications).await;
        self.counted("add_notifications", result)
    }
    async fn list_notifications(
        &self,
        tenant: TenantId,
        user: UserId,
        unread_only: bool,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Notification>> {
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
        let result = self.inner.mark_read(tenant, user, id, now).await;
        self.counted("mark_read", result)
    }
    async fn mark_all_read(
        &self,
        tenant: TenantId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let result = self.inner.mark_all_read(tenant, user, now).await;
        self.counted("mark_all_read", result)
    }
    async fn unread_count(&self, tenant: TenantId, user: UserId) -> Result<u64> {
        self.inner.unread_count(tenant, user).await
    }
}

#[async_trait]
impl<S: Store> VolumeStore for AuditedStore<S> {
    async fn hourly_created(
        &self,
        tenant: TenantId,
        query: &VolumeQuery,
    ) -> Result<Vec<HourlyCount>> {
        self.inner.hourly_created(tenant, query).await
    }
    async fn handle_time(&self, tenant: TenantId, query: &VolumeQuery) -> Result<HandleTime> {
        self.inner.handle_time(tenant, query).await
    }
}

#[async_trait]
impl<S: Store> Outbox for AuditedStore<S> {
    async fn enqueue(&self, entries: &[OutboxEntry]) -> Result<()> {
        self.counted("enqueue", self.inner.enqueue(entries).await)
    }
    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>> {
        let result = self.inner.claim(now, lease, limit).await;
        self.counted_if("claim", result, |claimed| !claimed.is_empty())
    }
    async fn complete(
        &self,
        id: DeliveryId,
        claim: Uuid,
        now: DateTime<Utc>,
        log: &[DeliveryAttempt],
    ) -> Result<bool> {
        let result = self.inner.complete(id, claim, now, log).await;
        self.counted_if("complete", result, |held| *held)
    }
    async fn fail(
        &self,
        id: DeliveryId,
        claim: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        log: &[DeliveryAttempt],
    ) -> Result<bool> {
        let result = self.inner.fail(id, claim, error, retry_at, log).await;
        self.counted_if("fail", result, |held| *held)
    }
    async fn get_delivery(&self, tenant: TenantId, id: DeliveryId) -> Result<OutboxEntry> {
        self.inner.get_delivery(tenant, id).await
    }
    async fn list_deliveries(
        &self,
        tenant: TenantId,
        status: Option<DeliveryStatus>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<OutboxEntry>> {
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
        let result = self.inner.retry_delivery(tenant, id, now).await;
        self.counted("retry_delivery", result)
    }
    async fn purge_delivered(&self, before: DateTime<Utc>) -> Result<u64> {
        let result = self.inner.purge_delivered(before).await;
        self.counted_if("purge_delivered", result, |n| *n > 0)
    }
    async fn forget_recipient(
        &self,
        tenant: TenantId,
        address: &Email,
        placeholder: &Email,
    ) -> Result<u64> {
        let result = self
            .inner
            .forget_recipient(tenant, address, placeholder)
            .await;
        self.counted_if("forget_recipient", result, |n| *n > 0)
    }
}

#[async_trait]
impl<S: Store> ShiftStore for AuditedStore<S> {
    async fn save_schedule(&self, schedule: &ShiftSchedule, expected: Option<u64>) -> Result<()> {
        let saved = self.inner.save_schedule(schedule, expected).await;
        self.counted("save_schedule", saved)
    }
    async fn get_schedule(&self, tenant: TenantId, user: UserId) -> Result<Option<ShiftSchedule>> {
        self.inner.get_schedule(tenant, user).await
    }
    async fn list_schedules(
        &self,
        tenant: TenantId,
        users: &[UserId],
    ) -> Result<Vec<ShiftSchedule>> {
        self.inner.list_schedules(tenant, users).await
    }
    async fn save_shift(&self, record: &ShiftRecord, expected: Option<u64>) -> Result<()> {
        let saved = self.inner.save_shift(record, expected).await;
        self.counted("save_shift", saved)
    }
    async fn open_shift(&self, tenant: TenantId, user: UserId) -> Result<Option<ShiftRecord>> {
        self.inner.open_shift(tenant, user).await
    }
    async fn list_shifts(
        &self,
        tenant: TenantId,
        user: Option<UserId>,
        range: Span,
        limit: u32,
    ) -> Result<Vec<ShiftRecord>> {
        self.inner.list_shifts(tenant, user, range, limit).await
    }
    async fn open_shifts(
        &self,
        started_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ShiftRecord>> {
        self.inner.open_shifts(started_before, limit).await
    }
}

#[async_trait]
impl<S: Store> EndpointStore for AuditedStore<S> {
    async fn record_endpoint_attempt(
        &self,
        tenant: TenantId,
        url: &str,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<WebhookEndpoint> {
        let result = self
            .inner
            .record_endpoint_attempt(tenant, url, at, error)
            .await;
        self.counted("record_endpoint_attempt", result)
    }
    async fn disable_endpoint(
        &self,
        tenant: TenantId,
        url: &str,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<bool> {
        let result = self.inner.disable_endpoint(tenant, url, at, reason).await;
        self.counted_if("disable_endpoint", result, |changed| *changed)
    }
    async fn enable_endpoint(&self, tenant: TenantId, id: EndpointId) -> Result<WebhookEndpoint> {
        let result = self.inner.enable_endpoint(tenant, id).await;
        self.counted("enable_endpoint", result)
    }
    async fn find_endpoint(&self, tenant: TenantId, url: &str) -> Result<Option<WebhookEndpoint>> {
        self.inner.find_endpoint(tenant, url).await
    }
    async fn list_endpoints(
        &self,
        tenant: TenantId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<WebhookEndpoint>> {
        self.inner.list_endpoints(tenant, limit, cursor).await
    }
}

#[async_trait]
impl<S: EventBus> EventBus for AuditedStore<S> {
    async fn publish(&self, events: &[TicketEvent]) -> Result<()> {
        self.counted("publish", self.inner.publish(events).await)
    }
    async fn subscribe(&self) -> Result<EventStream> {
        self.inner.subscribe().await
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let audit = Arc::new(Audit::default());
    let fresh = || AuditedStore::new(MemoryStore::new(), audit.clone());

    let mut report = testkit::run_all(|| {
        let store: Arc<dyn Store> = Arc::new(fresh());
        async move { store }
    })
    .await;
    let bus = testkit::run_all_event_bus(|| {
        let bus: Arc<dyn EventBus> = Arc::new(fresh());
        async move { bus }
    })
    .await;
    report.cases.extend(bus.cases);

    report.print();
    let writes = audit.snapshot();
    let total: u64 = writes.values().sum();
    println!(
        "the audit counted {total} successful writes over {} methods",
        writes.len()
    );
    for (method, count) in &writes {
        println!("  {method:<20} {count}");
    }

    if report.is_success() {
        ExitCode::SUCCESS
    } else {
        eprintln!("{} behaviour(s) failed", report.failed());
        ExitCode::FAILURE
    }
}
