//! The helpful note's second half: solved tickets like a new one, looked up AFTER the
//! create commits, so that no full-text search sits on the create's path (on a
//! million-ticket store two searches cost more than the rest of a create).
//!
//! A create with helpful notes on queues its ticket in memory (bounded by
//! [`SIMILAR_QUEUE`]: when the host falls behind, new tickets go without the lookup rather
//! than the memory growing); the host drains the queue with
//! [`HelpDesk::add_similar_notes`] (`ticket-http`'s background jobs do, as jobs arrive).
//! Each ticket with similar solved tickets gets one internal note, written as the system
//! in a change of its own (retried on a version conflict). The queue lives in the
//! instance that raised the ticket: a crash loses the lookups still queued, never a
//! ticket.

use super::ai::NOTE_HEADING;
use super::change::Draft;
use super::HelpDesk;
use crate::account::Actor;
use crate::error::{Error, Result};
use crate::event::AuthorKind;
use crate::id::{TenantId, TicketId};
use crate::query::TicketQuery;
use crate::text::CommentBody;
use crate::ticket::{Ticket, Visibility};
use crate::workflow::StatusCategory;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{mpsc, Mutex};

/// How many new tickets may wait for their similar-solved lookup.
pub const SIMILAR_QUEUE: usize = 1024;

/// Attempts at writing a note when other writers keep changing the ticket.
const NOTE_ATTEMPTS: usize = 3;

/// A new ticket awaiting its similar-solved lookup.
#[derive(Debug)]
struct Job {
    tenant: TenantId,
    ticket: TicketId,
    title: String,
}

/// The queue of new tickets awaiting their lookup.
pub(super) struct SimilarQueue {
    tx: mpsc::Sender<Job>,
    rx: Mutex<mpsc::Receiver<Job>>,
    dropped: AtomicU64,
}

impl SimilarQueue {
    pub(super) fn new() -> Self {
        let (tx, rx) = mpsc::channel(SIMILAR_QUEUE);
        Self {
            tx,
            rx: Mutex::new(rx),
            dropped: AtomicU64::new(0),
        }
    }
}

/// What one [`HelpDesk::add_similar_notes`] round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimilarNotesReport {
    /// New tickets looked up.
    pub looked_up: u64,
    /// Notes written (tickets with similar solved ones).
    pub noted: u64,
    /// Lookups or writes that failed (the ticket keeps no note).
    pub failed: u64,
    /// New tickets that went without the lookup since the last round because the queue
    /// was full.
    pub dropped: u64,
}

impl HelpDesk {
    /// Queues `ticket` for its similar-solved lookup when helpful notes are on; never
    /// waits (a full queue drops the lookup).
    pub(super) fn queue_similar_lookup(&self, ticket: &Ticket) {
        if !self.inner.config.helpful_notes {
            return;
        }
        let job = Job {
            tenant: ticket.tenant,
            ticket: ticket.id,
            title: ticket.title.as_str().to_string(),
        };
        if self.inner.similar.tx.try_send(job).is_err() {
            self.inner.similar.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Waits until new tickets await their similar-solved lookup, then looks up to `max`
    /// of them up and notes, on each that has any, up to three solved or closed tickets
    /// sharing its title's most telling words (an internal note written by the system).
    /// One caller drains at a time; others wait their turn. A host runs it in a loop
    /// (cancelling it while it waits loses nothing).
    ///
    /// # Errors
    /// None today: a failed lookup or write is counted in the report (the note is never
    /// worth more than the ticket).
    pub async fn add_similar_notes(&self, max: usize) -> Result<SimilarNotesReport> {
        let mut jobs = Vec::new();
        {
            let mut rx = self.inner.similar.rx.lock().await;
            if let Some(job) = rx.recv().await {
                jobs.push(job);
            }
            while jobs.len() < max.max(1) {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
        }
        let mut report = SimilarNotesReport {
            dropped: self.inner.similar.dropped.swap(0, Ordering::Relaxed),
            ..SimilarNotesReport::default()
        };
        for job in jobs {
            report.looked_up += 1;
            match self.similar_note(&job).await {
                Ok(true) => report.noted += 1,
                Ok(false) => {}
                Err(_) => report.failed += 1,
            }
        }
        Ok(report)
    }

    /// Looks up `job`'s similar solved tickets and, when there are any, notes them on
    /// it; `false` when there were none (or the ticket is gone).
    async fn similar_note(&self, job: &Job) -> Result<bool> {
        let mut similar = self.similar_solved(job.tenant, &job.title).await;
        // A ticket solved before its lookup ran is not like itself.
        similar.retain(|t| t.id != job.ticket);
        if similar.is_empty() {
            return Ok(false);
        }
        let mut text = String::from(NOTE_HEADING);
        text.push_str("\nSimilar solved tickets:\n");
        for t in &similar {
            text.push_str(&format!(
                "- {} (/api/v1/tickets/{}, category {}, priority {})\n",
                t.title.as_str(),
                t.id,
                t.category.as_str(),
                t.priority.as_str()
            ));
        }
        let body = CommentBody::parse(text.trim_end())?;
        let system = Actor::system(job.tenant);
        let mut last = None;
        for _ in 0..NOTE_ATTEMPTS {
            let ticket = match self.inner.store.get_ticket(job.tenant, job.ticket).await {
                Ok(t) => t,
                Err(Error::NotFound { .. }) => return Ok(false),
                Err(e) => return Err(e),
            };
            let mut d = Draft::update(ticket, self.now());
            d.comment(None, AuthorKind::System, Visibility::Internal, body.clone());
            match self.finalize(d, &system, &[], &[]).await {
                Ok(_) => return Ok(true),
                Err(e @ Error::Conflict(_)) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::store("the note was not written")))
    }

    /// Up to three solved or closed tickets containing the title's two longest words
    /// (then its longest alone); none when the searches fail.
    async fn similar_solved(&self, tenant: TenantId, title: &str) -> Vec<Ticket> {
        let mut words: Vec<String> = title
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 4)
            .map(str::to_lowercase)
            .collect();
        words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        words.dedup();
        let mut attempts = Vec::new();
        if words.len() >= 2 {
            attempts.push(format!("{} {}", words[0], words[1]));
        }
        if let Some(w) = words.first() {
            attempts.push(w.clone());
        }
        for text in attempts {
            let q = TicketQuery {
                status_categories: vec![StatusCategory::Solved, StatusCategory::Closed],
                text: Some(text),
                limit: 3,
                ..TicketQuery::default()
            };
            if let Ok(page) = self.inner.store.list_tickets(tenant, &q).await {
                if !page.items.is_empty() {
                    return page.items;
                }
            }
        }
        Vec::new()
    }
}
