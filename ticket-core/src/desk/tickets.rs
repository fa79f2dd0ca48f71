//! Ticket use cases: create, read, list, update, transition, assign, claim, comment,
//! history, SLA status, distribute, notify, delete, statistics.

use super::change::Draft;
use super::{forbidden, HelpDesk};
use crate::account::{Actor, User};
use crate::error::{Conflict, Error, Result, Validator};
use crate::event::{visible_to_requester, AuthorKind, EventKind, SlaTarget, TicketEvent};
use crate::id::{TeamId, TicketId, UserId};
use crate::notify::{Channel, NotificationKind, Recipient};
use crate::ports::FaqMatch;
use crate::query::{check_limit, Page, Stats, StatsQuery, TicketQuery};
use crate::rbac::Permission;
use crate::routing::choose_assignee;
use crate::rules::{run_rules, Effect, RuleContext, Trigger};
use crate::sla::{evaluate, select_policy, BusinessCalendar, SlaStatus};
use crate::text::{
    clean_text, Category, CommentBody, CustomFields, Description, Status, Tags, Title,
};
use crate::ticket::{
    Classification, Comment, NewTicket, Priority, Ticket, TicketInput, TicketPatch, Visibility,
};
use crate::workflow::StatusCategory;

/// Who a ticket goes to; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AssignInput {
    /// The agent.
    pub assignee: Option<Option<UserId>>,
    /// The team.
    pub team: Option<Option<TeamId>>,
}

/// What raising a ticket would decide ([`HelpDesk::preview_ticket`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TicketPreview {
    /// The category: the requester's, else the classifier's, else the default.
    pub category: Category,
    /// The priority: the requester's, else the classifier's, else the default.
    pub priority: Priority,
    /// The requester's tags and the suggested ones that fit.
    pub tags: Tags,
    /// What the classifier made of it (none without a classifier, or on its error or
    /// timeout).
    pub classification: Option<Classification>,
    /// The FAQ answer it would get, if one scores high enough.
    pub faq: Option<FaqMatch>,
}

/// The most ids one batch read or distribution takes.
const MAX_BATCH: usize = 100;

impl HelpDesk {
    // ----- reading -------------------------------------------------------------------

    /// Whether `actor` may see `ticket`: staff with `TicketReadAll`, or its requester.
    fn can_see(&self, actor: &Actor, ticket: &Ticket) -> bool {
        ticket.tenant == actor.tenant()
            && (self.allows(actor, Permission::TicketReadAll)
                || (actor.is(ticket.requester) && self.allows(actor, Permission::TicketOwn)))
    }

    /// The ticket, if `actor` may see it; `NotFound` otherwise (existence is not leaked).
    async fn visible_ticket(&self, actor: &Actor, id: TicketId) -> Result<Ticket> {
        let t = self.inner.store.get_ticket(actor.tenant(), id).await?;
        if self.can_see(actor, &t) {
            Ok(t)
        } else {
            Err(Error::not_found("ticket"))
        }
    }

    /// One ticket.
    ///
    /// # Errors
    /// [`Error::NotFound`] when absent or not visible to the actor.
    pub async fn get_ticket(&self, actor: &Actor, id: TicketId) -> Result<Ticket> {
        self.visible_ticket(actor, id).await
    }

    /// Several tickets (at most 100 ids), in the order asked, skipping those absent or not
    /// visible to the actor.
    ///
    /// # Errors
    /// [`Error::Invalid`] for more than 100 ids.
    pub async fn get_tickets(&self, actor: &Actor, ids: &[TicketId]) -> Result<Vec<Ticket>> {
        if ids.len() > MAX_BATCH {
            return Err(Error::invalid("ids", format!("at most {MAX_BATCH} ids")));
        }
        let found = self.inner.store.get_tickets(actor.tenant(), ids).await?;
        Ok(found
            .into_iter()
            .filter(|t| self.can_see(actor, t))
            .collect())
    }

    /// A page of tickets; customers only ever see their own.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::Invalid`] for a bad limit or cursor.
    pub async fn list_tickets(
        &self,
        actor: &Actor,
        mut query: TicketQuery,
    ) -> Result<Page<Ticket>> {
        query.limit = check_limit(Some(query.limit))?;
        if !self.allows(actor, Permission::TicketReadAll) {
            self.require(actor, Permission::TicketOwn)?;
            query.requester = actor.user_id();
        }
        if let Some(text) = &query.text {
            query.text = Some(clean_text("q", text, 0, 500, true)?).filter(|s| !s.is_empty());
        }
        self.inner.store.list_tickets(actor.tenant(), &query).await
    }

    /// The comments of a ticket, oldest first; internal notes only for staff allowed
    /// to read them.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the ticket is absent or not visible.
    pub async fn list_comments(&self, actor: &Actor, id: TicketId) -> Result<Vec<Comment>> {
        let t = self.visible_ticket(actor, id).await?;
        let internal = self.allows(actor, Permission::TicketInternal);
        self.inner
            .store
            .list_comments(t.tenant, t.id, internal)
            .await
    }

    /// The history of a ticket, oldest first. Requesters without staff rights see only
    /// the events meant for them ([`visible_to_requester`]). Staff may read the history of
    /// a deleted ticket.
    ///
    /// # Errors
    /// [`Error::NotFound`].
    pub async fn history(&self, actor: &Actor, id: TicketId) -> Result<Vec<TicketEvent>> {
        let staff = self.allows(actor, Permission::TicketReadAll);
        match self.visible_ticket(actor, id).await {
            Ok(_) => {}
            Err(Error::NotFound { .. }) if staff => {}
            Err(e) => return Err(e),
        }
        let events = self.inner.store.ticket_events(actor.tenant(), id).await?;
        if events.is_empty() {
            return Err(Error::not_found("ticket"));
        }
        let internal = self.allows(actor, Permission::TicketInternal);
        Ok(events
            .into_iter()
            .filter(|e| internal || visible_to_requester(&e.kind))
            .collect())
    }

    /// The SLA state of a ticket now (`None` when no policy applies).
    ///
    /// # Errors
    /// [`Error::NotFound`].
    pub async fn sla_status(&self, actor: &Actor, id: TicketId) -> Result<Option<SlaStatus>> {
        let t = self.visible_ticket(actor, id).await?;
        let history = self.inner.store.ticket_events(t.tenant, t.id).await?;
        self.evaluate_sla(&t, &history, self.now()).await
    }

    /// Desk statistics.
    ///
    /// # Errors
    /// [`Error::Forbidden`] without `StatsRead`; [`Error::Invalid`] for an empty window.
    pub async fn stats(&self, actor: &Actor, query: StatsQuery) -> Result<Stats> {
        self.require(actor, Permission::StatsRead)?;
        if let (Some(from), Some(to)) = (query.from, query.to) {
            if from >= to {
                return Err(Error::invalid("to", "must be after from"));
            }
        }
        self.inner.store.stats(actor.tenant(), &query).await
    }

    // ----- creating ------------------------------------------------------------------

    /// Raises a ticket for the acting user: validate → classify (bounded by the
    /// configured timeout; on error or timeout the ticket is stored with defaults) → FAQ
    /// answer → rules (routing) → SLA deadlines → one atomic save → publish.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::Invalid`] listing every bad field.
    pub async fn create_ticket(&self, actor: &Actor, input: TicketInput) -> Result<Ticket> {
        let now = self.now();
        let (draft, ticket) = self.draft_ticket(actor, input, now).await?;
        let mut d = Draft::create(ticket, actor.user_id(), now);
        if let Some(m) = self.match_faq(actor, &draft).await {
            self.answer_from_faq(&mut d, &m);
        }
        self.finalize(d, actor, &[(Trigger::TicketCreated, None)])
            .await
    }

    /// What raising `input` would decide — category, priority and tags after
    /// classification, and the FAQ answer it would get — without raising it or writing
    /// anything (a dry run for forms that suggest before submitting).
    ///
    /// # Errors
    /// [`Error::Forbidden`] without `TicketCreate`; [`Error::Invalid`] listing every bad
    /// field, as [`HelpDesk::create_ticket`].
    pub async fn preview_ticket(&self, actor: &Actor, input: TicketInput) -> Result<TicketPreview> {
        let (draft, ticket) = self.draft_ticket(actor, input, self.now()).await?;
        Ok(TicketPreview {
            category: ticket.category,
            priority: ticket.priority,
            tags: ticket.tags,
            classification: ticket.classification,
            faq: self.match_faq(actor, &draft).await,
        })
    }

    /// The start of raising and of previewing: checks `actor` may raise tickets,
    /// validates `input`, classifies it, and builds the ticket it becomes at `now`.
    async fn draft_ticket(
        &self,
        actor: &Actor,
        input: TicketInput,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(NewTicket, Ticket)> {
        self.require(actor, Permission::TicketCreate)?;
        let requester = actor
            .user_id()
            .ok_or_else(|| forbidden("the system cannot raise tickets"))?;
        let draft = NewTicket::parse(input)?;
        let classification = self.classify(&draft).await;
        let ticket = self.new_ticket(actor, requester, &draft, classification, now);
        Ok((draft, ticket))
    }

    /// Classifies with the configured timeout; `None` on error, timeout or no classifier.
    async fn classify(&self, draft: &NewTicket) -> Option<Classification> {
        let classifier = self.inner.classifier.as_ref()?;
        match tokio::time::timeout(
            self.inner.config.classify_timeout,
            classifier.classify(draft),
        )
        .await
        {
            Ok(Ok(c)) => Some(c),
            _ => None,
        }
    }

    fn new_ticket(
        &self,
        actor: &Actor,
        requester: UserId,
        draft: &NewTicket,
        classification: Option<Classification>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Ticket {
        let c = classification.as_ref();
        let category = draft
            .category
            .clone()
            .or_else(|| c.and_then(|c| c.category.as_ref().map(|s| s.value.clone())))
            .unwrap_or_default();
        let priority = draft
            .priority
            .or_else(|| c.and_then(|c| c.priority.as_ref().map(|s| s.value)))
            .unwrap_or_default();
        let suggested = c.map(|c| c.tags.as_slice()).unwrap_or_default();
        // Suggested tags beyond the limit are dropped, never the requester's own.
        let tags = draft
            .tags
            .with(suggested)
            .unwrap_or_else(|_| draft.tags.clone());
        let initial = self.inner.config.workflow.initial();
        Ticket {
            id: TicketId::new(),
            tenant: actor.tenant(),
            title: draft.title.clone(),
            description: draft.description.clone(),
            status: initial.name.clone(),
            status_category: initial.category,
            priority,
            category,
            tags,
            custom_fields: draft.custom_fields.clone(),
            requester,
            assignee: None,
            team: None,
            classification,
            sla: None,
            version: 1,
            created_at: now,
            updated_at: now,
            assigned_at: None,
            first_response_at: None,
            resolved_at: None,
            closed_at: None,
        }
    }

    /// The best FAQ answer above the configured score; failures are ignored.
    async fn match_faq(&self, actor: &Actor, draft: &NewTicket) -> Option<FaqMatch> {
        let matcher = self.inner.faq.as_ref()?;
        let faqs = self.inner.store.list_faqs(actor.tenant()).await.ok()?;
        if faqs.is_empty() {
            return None;
        }
        let timeout = self.inner.config.classify_timeout;
        match tokio::time::timeout(timeout, matcher.best_match(draft, &faqs)).await {
            Ok(Ok(Some(m))) if m.score >= self.inner.config.faq_min_score => Some(m),
            _ => None,
        }
    }

    fn answer_from_faq(&self, d: &mut Draft, m: &FaqMatch) {
        let Ok(body) = CommentBody::parse(&m.faq.answer) else {
            return;
        };
        d.event(
            None,
            EventKind::FaqSuggested {
                faq_id: m.faq.id,
                score: m.score,
            },
        );
        d.comment(None, AuthorKind::System, Visibility::Public, body);
        if self.inner.config.faq_auto_resolve {
            let wf = &self.inner.config.workflow;
            let solved = wf
                .in_category(StatusCategory::Solved)
                .find(|s| wf.check(&d.ticket.status, &s.name, None).is_ok());
            if let Some(s) = solved {
                d.ticket.status = s.name.clone();
                d.ticket.status_category = s.category;
                d.record(None);
            }
        }
    }

    // ----- changing ------------------------------------------------------------------

    /// Changes a ticket's fields. With `expected_version`, a stale version is a conflict.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`]; [`Error::Invalid`];
    /// [`Error::Conflict`] (`Version`) when the ticket changed since `expected_version`.
    pub async fn update_ticket(
        &self,
        actor: &Actor,
        id: TicketId,
        patch: TicketPatch,
        expected_version: Option<u64>,
    ) -> Result<Ticket> {
        self.require(actor, Permission::TicketUpdate)?;
        let t = self.visible_ticket(actor, id).await?;
        if let Some(v) = expected_version.filter(|v| *v != t.version) {
            return Err(Error::version_conflict(v));
        }
        let mut d = Draft::update(t, self.now());
        apply_patch(&mut d.ticket, patch)?;
        d.record(actor.user_id());
        if !d.has_events() {
            return Ok(d.ticket);
        }
        self.finalize(d, actor, &[(Trigger::TicketUpdated, None)])
            .await
    }

    /// Moves a ticket through the workflow, optionally with a public comment.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Forbidden`]; [`Error::Invalid`] for an unknown
    /// status; [`Error::InvalidTransition`] when the workflow forbids it for the actor.
    pub async fn transition(
        &self,
        actor: &Actor,
        id: TicketId,
        status: &str,
        comment: Option<String>,
    ) -> Result<Ticket> {
        let t = self.visible_ticket(actor, id).await?;
        if !actor.is(t.requester) {
            self.require(actor, Permission::TicketWork)?;
        }
        let to = Status::parse(status)?;
        let body = comment.map(CommentBody::parse).transpose()?;
        let def = self
            .inner
            .config
            .workflow
            .check(&t.status, &to, actor.role())?
            .clone();
        let mut d = Draft::update(t, self.now());
        d.ticket.status = def.name;
        d.ticket.status_category = def.category;
        d.record(actor.user_id());
        if let Some(body) = body {
            self.write_comment(&mut d, actor, Visibility::Public, body);
        }
        self.finalize(d, actor, &[(Trigger::TicketUpdated, None)])
            .await
    }

    /// Assigns a ticket to an agent and/or a team.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`] for the ticket, agent or team;
    /// [`Error::Invalid`] when the assignee is not staff.
    pub async fn assign(&self, actor: &Actor, id: TicketId, input: AssignInput) -> Result<Ticket> {
        self.require(actor, Permission::TicketAssign)?;
        let t = self.visible_ticket(actor, id).await?;
        if let Some(Some(user)) = input.assignee {
            self.check_assignable(actor, user).await?;
        }
        if let Some(Some(team)) = input.team {
            self.inner.store.get_team(actor.tenant(), team).await?;
        }
        let mut d = Draft::update(t, self.now());
        if let Some(a) = input.assignee {
            d.ticket.assignee = a;
        }
        if let Some(team) = input.team {
            d.ticket.team = team;
        }
        d.record(actor.user_id());
        if !d.has_events() {
            return Ok(d.ticket);
        }
        self.finalize(d, actor, &[(Trigger::TicketUpdated, None)])
            .await
    }

    async fn check_assignable(&self, actor: &Actor, user: UserId) -> Result<()> {
        let u = self.inner.store.get_user(actor.tenant(), user).await?;
        if u.is_deleted() || !u.role.is_staff() {
            return Err(Error::invalid(
                "assignee_id",
                "must be an active agent or admin",
            ));
        }
        Ok(())
    }

    /// The acting agent takes an unassigned ticket.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`]; [`Error::Conflict`] (`State`) when
    /// someone else holds it, (`Version`) when another claim won the race.
    pub async fn claim(&self, actor: &Actor, id: TicketId) -> Result<Ticket> {
        self.require(actor, Permission::TicketClaim)?;
        let me = actor
            .user_id()
            .ok_or_else(|| forbidden("the system cannot claim"))?;
        let t = self.visible_ticket(actor, id).await?;
        match t.assignee {
            Some(a) if a == me => return Ok(t),
            Some(_) => {
                return Err(Error::Conflict(Conflict::State {
                    reason: "the ticket is already assigned".into(),
                }))
            }
            None => {}
        }
        let mut d = Draft::update(t, self.now());
        d.ticket.assignee = Some(me);
        d.record(actor.user_id());
        self.finalize(d, actor, &[(Trigger::TicketUpdated, None)])
            .await
    }

    /// Adds a public reply or an internal note. The first public staff reply stamps the
    /// first response; replies move the ticket along the workflow's automatic moves
    /// (a requester's reply reopens a pending ticket).
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Forbidden`]; [`Error::Invalid`] for the body.
    pub async fn add_comment(
        &self,
        actor: &Actor,
        id: TicketId,
        body: &str,
        internal: bool,
    ) -> Result<Comment> {
        let t = self.visible_ticket(actor, id).await?;
        if internal {
            self.require(actor, Permission::TicketInternal)?;
        } else if !actor.is(t.requester) {
            self.require(actor, Permission::TicketWork)?;
        }
        let body = CommentBody::parse(body)?;
        let visibility = if internal {
            Visibility::Internal
        } else {
            Visibility::Public
        };
        let mut d = Draft::update(t, self.now());
        let kind = self.write_comment(&mut d, actor, visibility, body);
        if visibility == Visibility::Public {
            self.auto_move(&mut d, kind);
        }
        let comment = d.comments.last().cloned();
        self.finalize(d, actor, &[(Trigger::CommentAdded, None)])
            .await?;
        comment.ok_or_else(|| Error::store("comment was not recorded"))
    }

    /// Writes a comment as `actor`; returns who wrote it relative to the ticket.
    fn write_comment(
        &self,
        d: &mut Draft,
        actor: &Actor,
        visibility: Visibility,
        body: CommentBody,
    ) -> AuthorKind {
        let kind = if actor.is(d.ticket.requester) {
            AuthorKind::Requester
        } else if actor.is_system() {
            AuthorKind::System
        } else {
            AuthorKind::Staff
        };
        d.comment(actor.user_id(), kind, visibility, body);
        if kind == AuthorKind::Staff
            && visibility == Visibility::Public
            && d.ticket.first_response_at.is_none()
        {
            d.ticket.first_response_at = Some(d.now);
        }
        kind
    }

    /// The workflow's automatic move on a public reply, recorded as the system's.
    fn auto_move(&self, d: &mut Draft, author: AuthorKind) {
        let wf = &self.inner.config.workflow;
        let moves = match author {
            AuthorKind::Requester => &wf.on_customer_reply,
            AuthorKind::Staff => &wf.on_agent_reply,
            AuthorKind::System => return,
        };
        if let Some(def) = moves.get(&d.ticket.status).and_then(|to| wf.status(to)) {
            d.ticket.status = def.name.clone();
            d.ticket.status_category = def.category;
            d.record(None);
        }
    }

    /// Hands tickets (at most 100) to a team: each gets the team, a `Distributed` event,
    /// and the team is notified (members in-app, the team's webhook when it has one).
    /// All tickets are checked before any is changed.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`] for the team or any ticket;
    /// [`Error::Invalid`] for an empty or too long list.
    pub async fn distribute(
        &self,
        actor: &Actor,
        ids: &[TicketId],
        team_id: TeamId,
    ) -> Result<Vec<Ticket>> {
        self.require(actor, Permission::TicketDistribute)?;
        if ids.is_empty() || ids.len() > MAX_BATCH {
            return Err(Error::invalid(
                "ticket_ids",
                format!("must hold 1 to {MAX_BATCH} ids"),
            ));
        }
        let team = self.inner.store.get_team(actor.tenant(), team_id).await?;
        let tickets = self.get_tickets(actor, ids).await?;
        let mut distinct = ids.to_vec();
        distinct.sort();
        distinct.dedup();
        if tickets.len() != distinct.len() {
            return Err(Error::not_found("ticket"));
        }
        let mut out = Vec::with_capacity(tickets.len());
        for t in tickets {
            let mut d = Draft::update(t, self.now());
            d.ticket.team = Some(team.id);
            d.record(actor.user_id());
            d.event(actor.user_id(), EventKind::Distributed { team_id: team.id });
            let message = format!("Ticket distributed to {}: {}", team.name, d.ticket.title);
            self.route(
                &mut d,
                actor,
                &Recipient::Team { team_id: team.id },
                NotificationKind::Distributed,
                &message,
            )
            .await?;
            out.push(
                self.finalize(d, actor, &[(Trigger::TicketUpdated, None)])
                    .await?,
            );
        }
        Ok(out)
    }

    /// Notifies a user (in-app), a team (members in-app and its webhook), a third-party
    /// webhook or an e-mail address about a ticket. Deliveries go through the outbox.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`]; [`Error::Invalid`] for the message or
    /// recipient.
    pub async fn notify(
        &self,
        actor: &Actor,
        id: TicketId,
        recipient: Recipient,
        message: &str,
    ) -> Result<()> {
        self.require(actor, Permission::TicketNotify)?;
        let message = clean_text("message", message, 1, 5000, false)?;
        let t = self.visible_ticket(actor, id).await?;
        let mut d = Draft::update(t, self.now());
        self.route(
            &mut d,
            actor,
            &recipient,
            NotificationKind::Message,
            &message,
        )
        .await?;
        self.commit(d.finish()).await.map(|_| ())
    }

    /// Deletes a ticket and its comments; its history stays for audit, ending with a
    /// `Deleted` event.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`].
    pub async fn delete_ticket(&self, actor: &Actor, id: TicketId) -> Result<()> {
        self.require(actor, Permission::TicketDelete)?;
        let t = self.visible_ticket(actor, id).await?;
        let mut d = Draft::update(t, self.now());
        d.event(actor.user_id(), EventKind::Deleted);
        let change = d.finish();
        let [event] = change.events.as_slice() else {
            return Err(Error::store("deletion event missing"));
        };
        self.inner
            .store
            .delete_ticket(actor.tenant(), id, event, &change.outbox)
            .await?;
        self.publish(&change.events).await;
        Ok(())
    }

    // ----- the pipeline every change goes through ------------------------------------

    /// Records the actor's changes, runs the rules for each trigger, carries out their
    /// effects, stamps timestamps, adds the default notifications, recomputes the SLA
    /// snapshot, and stores it all in one atomic save.
    pub(super) async fn finalize(
        &self,
        mut d: Draft,
        actor: &Actor,
        triggers: &[(Trigger, Option<SlaTarget>)],
    ) -> Result<Ticket> {
        d.record(actor.user_id());
        for (trigger, sla_target) in triggers {
            self.run_rules(&mut d, *trigger, *sla_target).await?;
        }
        d.record(None);
        stamp(&mut d);
        self.default_notifications(&mut d, actor);
        let history = if d.is_new() {
            Vec::new()
        } else {
            self.inner
                .store
                .ticket_events(d.ticket.tenant, d.ticket.id)
                .await?
        };
        let all: Vec<TicketEvent> = history
            .into_iter()
            .chain(d.events.iter().cloned())
            .collect();
        d.ticket.sla = self
            .evaluate_sla(&d.ticket, &all, d.now)
            .await?
            .map(|s| s.snapshot());
        self.commit(d.finish()).await
    }

    async fn run_rules(
        &self,
        d: &mut Draft,
        trigger: Trigger,
        sla_target: Option<SlaTarget>,
    ) -> Result<()> {
        let tenant = d.ticket.tenant;
        let rules = self.inner.store.list_rules(tenant).await?;
        if rules.is_empty() {
            return Ok(());
        }
        let needed = rules.iter().any(|r| r.condition.needs_requester_email());
        let requester = self.rule_requester(&d.ticket, needed).await;
        let ctx = RuleContext {
            trigger,
            workflow: &self.inner.config.workflow,
            requester_email: requester.as_ref().map(|u| &u.email),
            sla_target,
        };
        let run = run_rules(&rules, &ctx, &mut d.ticket);
        for (rule_id, name) in run.fired {
            d.event(
                None,
                EventKind::RuleFired {
                    rule_id,
                    name: name.to_string(),
                },
            );
        }
        let system = crate::account::Actor::system(tenant);
        for effect in run.effects {
            self.apply_effect(d, &system, effect).await?;
        }
        Ok(())
    }

    /// The requester of `ticket` for rule conditions, read only when `needed` (some
    /// condition looks at their e-mail); unknown when the read fails.
    pub(super) async fn rule_requester(&self, ticket: &Ticket, needed: bool) -> Option<User> {
        if !needed {
            return None;
        }
        self.inner
            .store
            .get_user(ticket.tenant, ticket.requester)
            .await
            .ok()
    }

    async fn apply_effect(&self, d: &mut Draft, system: &Actor, effect: Effect) -> Result<()> {
        match effect {
            Effect::Assign { strategy, .. } => {
                if d.ticket.assignee.is_none() {
                    let loads = self
                        .inner
                        .store
                        .agent_loads(d.ticket.tenant, d.ticket.team)
                        .await?;
                    if let Some(user) = choose_assignee(strategy, &d.ticket, &loads) {
                        d.ticket.assignee = Some(user);
                    }
                }
            }
            Effect::AssignTo { user_id, .. } => {
                if self.check_assignable(system, user_id).await.is_ok() {
                    d.ticket.assignee = Some(user_id);
                }
            }
            Effect::Notify {
                recipient, message, ..
            } => {
                // A rule pointing at a team or user since deleted must not block the change.
                let _ = self
                    .route(d, system, &recipient, NotificationKind::Message, &message)
                    .await;
            }
            Effect::InternalNote { body, .. } => {
                if let Ok(body) = CommentBody::parse(body) {
                    d.comment(None, AuthorKind::System, Visibility::Internal, body);
                }
            }
            Effect::Escalated { rule_id, reason } => {
                d.event(
                    None,
                    EventKind::Escalated {
                        rule_id: Some(rule_id),
                        reason: reason.clone(),
                    },
                );
                if let Some(a) = d.ticket.assignee {
                    d.notify_user(
                        a,
                        None,
                        NotificationKind::Escalated,
                        format!("Escalated: {} ({reason})", d.ticket.title),
                    );
                }
            }
        }
        Ok(())
    }

    /// Sends a notification about the draft's ticket and records it in the history.
    async fn route(
        &self,
        d: &mut Draft,
        actor: &Actor,
        recipient: &Recipient,
        kind: NotificationKind,
        message: &str,
    ) -> Result<()> {
        let tenant = d.ticket.tenant;
        let max = self.inner.config.retry.max_attempts;
        let channel = match recipient {
            Recipient::User { user_id } => {
                let u = self.inner.store.get_user(tenant, *user_id).await?;
                d.notify_user(u.id, None, kind, message.to_string());
                "user"
            }
            Recipient::Team { team_id } => {
                let team = self.inner.store.get_team(tenant, *team_id).await?;
                for member in self.inner.store.agent_loads(tenant, Some(team.id)).await? {
                    d.notify_user(member.user_id, actor.user_id(), kind, message.to_string());
                }
                if let Some(url) = &team.webhook_url {
                    d.deliver(
                        kind,
                        Channel::Webhook {
                            url: url.clone(),
                            secret: team.webhook_secret.clone(),
                        },
                        message,
                        max,
                    );
                }
                "team"
            }
            Recipient::Webhook { url } => {
                let url = crate::team::check_webhook_url("webhook_url", url)?;
                d.deliver(kind, Channel::Webhook { url, secret: None }, message, max);
                "webhook"
            }
            Recipient::Email { address } => {
                let subject = format!("[{}] {}", d.ticket.status, d.ticket.title);
                let body = format!("{message}\n\nTicket {}: {}\n", d.ticket.id, d.ticket.title);
                d.deliver(
                    kind,
                    Channel::Email {
                        to: address.clone(),
                        subject,
                        body,
                    },
                    message,
                    max,
                );
                "email"
            }
        };
        d.event(
            actor.user_id(),
            EventKind::Notified {
                channel: channel.to_string(),
            },
        );
        Ok(())
    }

    /// In-app notifications every change gets: the new assignee, the requester on staff
    /// replies and status changes, the assignee on requester replies and SLA events.
    fn default_notifications(&self, d: &mut Draft, actor: &Actor) {
        let me = actor.user_id();
        let title = d.ticket.title.to_string();
        let (requester, assignee) = (d.ticket.requester, d.ticket.assignee);
        let events: Vec<EventKind> = d.events.iter().map(|e| e.kind.clone()).collect();
        for kind in events {
            match kind {
                EventKind::Assigned { to: Some(u), .. } => {
                    d.notify_user(
                        u,
                        me,
                        NotificationKind::TicketAssigned,
                        format!("Assigned to you: {title}"),
                    );
                }
                EventKind::Commented {
                    visibility: Visibility::Public,
                    author: AuthorKind::Staff | AuthorKind::System,
                    ..
                } => {
                    d.notify_user(
                        requester,
                        me,
                        NotificationKind::CommentAdded,
                        format!("New reply on: {title}"),
                    );
                }
                EventKind::Commented {
                    author: AuthorKind::Requester,
                    ..
                } => {
                    if let Some(a) = assignee {
                        d.notify_user(
                            a,
                            me,
                            NotificationKind::CommentAdded,
                            format!("The requester replied: {title}"),
                        );
                    }
                }
                EventKind::StatusChanged { to, .. } => {
                    d.notify_user(
                        requester,
                        me,
                        NotificationKind::TicketUpdated,
                        format!("{title} is now {to}"),
                    );
                }
                EventKind::SlaWarning { target, .. } | EventKind::SlaBreached { target, .. } => {
                    let (nk, what) = if matches!(kind, EventKind::SlaWarning { .. }) {
                        (NotificationKind::SlaWarning, "at risk")
                    } else {
                        (NotificationKind::SlaBreached, "breached")
                    };
                    if let Some(a) = assignee {
                        d.notify_user(a, None, nk, format!("SLA {target:?} {what}: {title}"));
                    }
                }
                _ => {}
            }
        }
    }

    /// The SLA state of `ticket` at `now` given its full history (`None` without a
    /// policy).
    pub(super) async fn evaluate_sla(
        &self,
        ticket: &Ticket,
        history: &[TicketEvent],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<SlaStatus>> {
        let policies = self.inner.store.list_sla_policies(ticket.tenant).await?;
        let Some(policy) = select_policy(&policies, ticket) else {
            return Ok(None);
        };
        let calendar = match policy.calendar_id {
            Some(id) => match self.inner.store.get_calendar(ticket.tenant, id).await {
                Ok(c) => c,
                Err(Error::NotFound { .. }) => BusinessCalendar::always_open(ticket.tenant),
                Err(e) => return Err(e),
            },
            None => BusinessCalendar::always_open(ticket.tenant),
        };
        Ok(Some(evaluate(
            policy,
            &calendar,
            &self.inner.config.workflow,
            history,
            now,
        )))
    }
}

/// Applies a patch, validating every field at once.
fn apply_patch(t: &mut Ticket, patch: TicketPatch) -> Result<()> {
    let mut v = Validator::new();
    let title = patch.title.map(|s| v.check(Title::parse(s)));
    let description = patch.description.map(|s| v.check(Description::parse(s)));
    let category = patch.category.map(|s| v.check(Category::parse(s)));
    let tags = patch.tags.map(|s| v.check(Tags::parse(&s)));
    let custom = patch.custom_fields.map(|m| v.check(CustomFields::parse(m)));
    v.finish()?;
    if let Some(Some(x)) = title {
        t.title = x;
    }
    if let Some(Some(x)) = description {
        t.description = x;
    }
    if let Some(Some(x)) = category {
        t.category = x;
    }
    if let Some(Some(x)) = tags {
        t.tags = x;
    }
    if let Some(Some(x)) = custom {
        t.custom_fields = x;
    }
    if let Some(p) = patch.priority {
        t.priority = p;
    }
    Ok(())
}

/// Timestamps that follow from a change: when the assignee changed, when the ticket was
/// solved or closed.
fn stamp(d: &mut Draft) {
    let now = d.now;
    for e in &d.events {
        match &e.kind {
            EventKind::Assigned { to: Some(_), .. } => d.ticket.assigned_at = Some(now),
            EventKind::Assigned { to: None, .. } => d.ticket.assigned_at = None,
            EventKind::StatusChanged {
                category: StatusCategory::Solved,
                ..
            } => d.ticket.resolved_at = Some(now),
            EventKind::StatusChanged {
                category: StatusCategory::Closed,
                ..
            } => d.ticket.closed_at = Some(now),
            _ => {}
        }
    }
}
