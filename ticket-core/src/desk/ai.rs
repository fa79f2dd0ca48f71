//! The desk's side of its AI: retraining the classifier from the desk's own tickets, and
//! the helpful internal note a new ticket gets for the agent (seed 004).

use super::change::Draft;
use super::HelpDesk;
use crate::account::Actor;
use crate::error::{Error, Result};
use crate::event::{AuthorKind, EventKind, TicketEvent};
use crate::id::UserId;
use crate::ports::{FaqMatch, RetrainReport, TrainingExample};
use crate::query::TicketQuery;
use crate::rbac::Permission;
use crate::routing::{explain_assignment, AgentLoad, AssignStrategy};
use crate::text::CommentBody;
use crate::ticket::{NewTicket, Ticket, Visibility};
use crate::workflow::StatusCategory;

/// Tickets read per store round trip while collecting training examples.
const PAGE: u32 = 100;

/// Whether `ticket`'s labels are the desk's word, not the classifier's guess: it was
/// worked to a solved or closed status, or its category or priority was changed by
/// someone other than the requester (a correction in its history).
#[must_use]
pub fn labels_trusted(ticket: &Ticket, history: &[TicketEvent]) -> bool {
    if matches!(
        ticket.status_category,
        StatusCategory::Solved | StatusCategory::Closed
    ) {
        return true;
    }
    history.iter().any(|e| {
        matches!(
            e.kind,
            EventKind::CategoryChanged { .. } | EventKind::PriorityChanged { .. }
        ) && e.actor.is_some_and(|a| a != ticket.requester)
    })
}

/// Whether the ticket's labels differ from what the classifier proposed (or it had no
/// classification): only then can an open ticket hold a correction worth reading its
/// history for.
fn differs_from_classification(t: &Ticket) -> bool {
    let Some(c) = &t.classification else {
        return true;
    };
    c.category.as_ref().is_none_or(|s| s.value != t.category)
        || c.priority.as_ref().is_none_or(|s| s.value != t.priority)
}

impl HelpDesk {
    /// The explanation of a strategy's choice for the history (the agent named by
    /// username when readable, else by id).
    pub(super) async fn assignment_reason(
        &self,
        strategy: AssignStrategy,
        d: &Draft,
        loads: &[AgentLoad],
        user: UserId,
    ) -> Option<String> {
        let load = loads.iter().find(|l| l.user_id == user)?;
        let name = match self.inner.store.get_user(d.ticket.tenant, user).await {
            Ok(u) => u.username.as_str().to_string(),
            Err(_) => user.to_string(),
        };
        Some(explain_assignment(strategy, &d.ticket, load, &name))
    }

    /// Retrains the classifier from the tenant's tickets whose labels an agent set,
    /// corrected or confirmed ([`labels_trusted`]), read in pages of 100, keeping at most
    /// [`HelpDeskConfig::retrain_max_examples`](super::HelpDeskConfig::retrain_max_examples)
    /// (the newest); the classifier swaps its model atomically.
    ///
    /// # Errors
    /// [`Error::Forbidden`] without `AiManage`; [`Error::Invalid`] (`classifier`) when
    /// the desk has no classifier; [`Error::Classify`] when training fails (the old
    /// model stays); [`Error::Store`].
    pub async fn retrain_classifier(&self, actor: &Actor) -> Result<RetrainReport> {
        self.require(actor, Permission::AiManage)?;
        let classifier = self
            .inner
            .classifier
            .as_ref()
            .ok_or_else(|| Error::invalid("classifier", "this desk has no classifier"))?;
        let examples = self.training_examples(actor).await?;
        classifier.retrain(examples).await
    }

    /// The tenant's trusted tickets as training examples, newest first, bounded.
    async fn training_examples(&self, actor: &Actor) -> Result<Vec<TrainingExample>> {
        let store = &self.inner.store;
        let max = self.inner.config.retrain_max_examples;
        let mut out = Vec::new();
        let mut query = TicketQuery {
            limit: PAGE,
            ..TicketQuery::default()
        };
        loop {
            let page = store.list_tickets(actor.tenant(), &query).await?;
            for t in page.items {
                if out.len() >= max {
                    return Ok(out);
                }
                let trusted = if differs_from_classification(&t)
                    && !matches!(
                        t.status_category,
                        StatusCategory::Solved | StatusCategory::Closed
                    ) {
                    let history = store.ticket_events(t.tenant, t.id).await?;
                    labels_trusted(&t, &history)
                } else {
                    labels_trusted(&t, &[])
                };
                if trusted {
                    out.push(TrainingExample {
                        ticket_id: t.id,
                        text: format!("{}\n{}", t.title.as_str(), t.description.as_str()),
                        category: t.category,
                        priority: t.priority,
                    });
                }
            }
            match page.next_cursor {
                Some(c) => query.cursor = Some(c),
                None => return Ok(out),
            }
        }
    }

    /// The FAQ answers for a new ticket, from one read of the tenant's FAQ entries (the
    /// SQL stores serve it from their configuration cache) and ONE matcher call serving
    /// both the deflection and the helpful note: with helpful notes on, the matcher's
    /// top three (the best of them answers the ticket when it reaches `faq_min_score`,
    /// those reaching `helpful_min_score` go in the note); else its best match. Failures
    /// and timeouts of the matcher find nothing (an answer is never worth losing a
    /// ticket).
    pub(super) async fn faq_findings(&self, actor: &Actor, draft: &NewTicket) -> FaqFindings {
        let none = FaqFindings::default();
        let Some(matcher) = self.inner.faq.as_ref() else {
            return none;
        };
        let Ok(faqs) = self.inner.store.list_faqs(actor.tenant()).await else {
            return none;
        };
        if faqs.is_empty() {
            return none;
        }
        let config = &self.inner.config;
        let timeout = config.classify_timeout;
        if !config.helpful_notes {
            let best = match tokio::time::timeout(timeout, matcher.best_match(draft, &faqs)).await {
                Ok(Ok(Some(m))) if m.score >= config.faq_min_score => Some(m),
                _ => None,
            };
            return FaqFindings {
                answer: best,
                candidates: Vec::new(),
            };
        }
        let Ok(Ok(found)) =
            tokio::time::timeout(timeout, matcher.top_matches(draft, &faqs, 3)).await
        else {
            return none;
        };
        let answer = found
            .first()
            .filter(|m| m.score >= config.faq_min_score)
            .cloned();
        let candidates = found
            .into_iter()
            .filter(|m| m.score >= config.helpful_min_score)
            .collect();
        FaqFindings { answer, candidates }
    }

    /// Adds the helpful note's FAQ part to a new ticket when configured: an internal
    /// note listing the FAQ entries that score at least `helpful_min_score`. Solved
    /// tickets like it are looked up after the create commits
    /// ([`HelpDesk::add_similar_notes`]), off the create's path.
    pub(super) fn helpful_note(&self, d: &mut Draft, candidates: &[FaqMatch]) {
        if !self.inner.config.helpful_notes || candidates.is_empty() {
            return;
        }
        let mut text = String::from(NOTE_HEADING);
        text.push_str("\nFAQ entries that may answer it:\n");
        for m in candidates {
            text.push_str(&format!(
                "- {} (faq {}, score {:.2})\n",
                m.faq.question, m.faq.id, m.score
            ));
        }
        if let Ok(body) = CommentBody::parse(text.trim_end()) {
            d.comment(None, AuthorKind::System, Visibility::Internal, body);
        }
    }
}

/// The first line of every helpful note.
pub(super) const NOTE_HEADING: &str = "Helpful notes (AI, staff only)\n";

/// What the FAQ matcher found for a new ticket ([`HelpDesk::faq_findings`]).
#[derive(Debug, Default)]
pub(super) struct FaqFindings {
    /// The answer posted to the ticket (deflection), if one scores high enough.
    pub answer: Option<FaqMatch>,
    /// The entries listed in the agent's helpful note.
    pub candidates: Vec<FaqMatch>,
}

#[cfg(all(test, feature = "testkit"))]
mod tests {
    use super::*;
    use crate::id::{EventId, TenantId, UserId};
    use crate::testkit::fixtures;
    use crate::text::Category;
    use crate::ticket::Priority;

    fn ev(t: &Ticket, actor: UserId, kind: EventKind) -> TicketEvent {
        TicketEvent {
            id: EventId::new(),
            tenant: TenantId::DEFAULT,
            ticket_id: t.id,
            actor: Some(actor),
            at: chrono::DateTime::UNIX_EPOCH,
            requester: t.requester,
            kind,
        }
    }

    #[test]
    fn solved_tickets_and_staff_corrections_are_trusted() {
        let t = fixtures::ticket(TenantId::DEFAULT, UserId::new());
        assert!(!labels_trusted(&t, &[]));
        let solved = fixtures::with_status(t.clone(), StatusCategory::Solved);
        assert!(labels_trusted(&solved, &[]));
        let fix = EventKind::CategoryChanged {
            from: Category::known("general"),
            to: Category::known("billing"),
        };
        assert!(labels_trusted(&t, &[ev(&t, UserId::new(), fix.clone())]));
        // The requester's own change is not a correction.
        assert!(!labels_trusted(&t, &[ev(&t, t.requester, fix)]));
        let raise = EventKind::PriorityChanged {
            from: Priority::Low,
            to: Priority::High,
        };
        assert!(labels_trusted(&t, &[ev(&t, UserId::new(), raise)]));
    }
}
