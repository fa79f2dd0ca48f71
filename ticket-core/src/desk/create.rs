//! Raising a ticket, and previewing what raising it would decide (classification, FAQ answer).

use super::change::Draft;
use super::{forbidden, HelpDesk};
use crate::account::Actor;
use crate::error::Result;
use crate::event::{AuthorKind, EventKind};
use crate::id::{TicketId, UserId};
use crate::ports::FaqMatch;
use crate::rbac::Permission;
use crate::rules::Trigger;
use crate::text::{Category, CommentBody, Tags};
use crate::ticket::{Classification, NewTicket, Priority, Ticket, TicketInput, Visibility};

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

impl HelpDesk {
    /// Raises a ticket for the acting user: validate → classify (bounded by the
    /// configured timeout; on error or timeout the ticket is stored with defaults) → FAQ
    /// answer and the helpful note's FAQ entries (one matcher call) → rules (routing) →
    /// SLA deadlines → one atomic save → publish. With helpful notes on, the ticket is
    /// then queued for its similar-solved lookup, done off this path
    /// ([`HelpDesk::add_similar_notes`]).
    ///
    /// # Errors
    /// [`Error::Forbidden`](crate::Error::Forbidden) (also for an unverified e-mail address when
    /// `require_verified_email` is set); [`Error::Invalid`](crate::Error::Invalid) listing every bad field.
    pub async fn create_ticket(&self, actor: &Actor, input: TicketInput) -> Result<Ticket> {
        let now = self.now();
        let (draft, ticket) = self.draft_ticket(actor, input, now).await?;
        self.require_verified_email(actor).await?;
        let mut d = Draft::create(ticket, actor.user_id(), now);
        let faq = self.faq_findings(actor, &draft).await;
        if let Some(m) = &faq.answer {
            self.answer_from_faq(&mut d, m);
            self.mail_faq_answer(&mut d, m).await;
        }
        self.helpful_note(&mut d, &faq.candidates);
        let ticket = self
            .finalize(d, actor, &[Trigger::TicketCreated], &[])
            .await?;
        self.queue_similar_lookup(&ticket);
        Ok(ticket)
    }

    /// What raising `input` would decide — category, priority and tags after
    /// classification, and the FAQ answer it would get — without raising it or writing
    /// anything (a dry run for forms that suggest before submitting).
    ///
    /// # Errors
    /// [`Error::Forbidden`](crate::Error::Forbidden) without `TicketCreate`; [`Error::Invalid`](crate::Error::Invalid) listing every bad
    /// field, as [`HelpDesk::create_ticket`].
    pub async fn preview_ticket(&self, actor: &Actor, input: TicketInput) -> Result<TicketPreview> {
        let (draft, ticket) = self.draft_ticket(actor, input, self.now()).await?;
        Ok(TicketPreview {
            category: ticket.category,
            priority: ticket.priority,
            tags: ticket.tags,
            classification: ticket.classification,
            faq: self.faq_findings(actor, &draft).await.answer,
        })
    }

    /// The start of raising and of previewing: checks `actor` may raise tickets,
    /// validates `input`, classifies it, and builds the ticket it becomes at `now`.
    pub(super) async fn draft_ticket(
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
    pub(super) async fn classify(&self, draft: &NewTicket) -> Option<Classification> {
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

    pub(super) fn new_ticket(
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

    pub(super) fn answer_from_faq(&self, d: &mut Draft, m: &FaqMatch) {
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
        self.after_faq_answer(d);
    }
}
