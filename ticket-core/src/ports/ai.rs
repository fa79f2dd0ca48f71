//! The AI ports: a [`Classifier`] that triages new tickets (and may learn from the desk's
//! own labelled tickets), and a [`FaqMatcher`] that proposes FAQ answers.

#[allow(unused_imports)] // `Error` is named by the `# Errors` doc links
use crate::error::{Error, Result};
use crate::id::TicketId;
use crate::team::Faq;
use crate::text::Category;
use crate::ticket::{Classification, NewTicket, Priority};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// One ticket whose labels the desk trusts (an agent set, corrected or confirmed them),
/// for [`Classifier::retrain`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingExample {
    /// The ticket.
    pub ticket_id: TicketId,
    /// Title, a line break, description.
    pub text: String,
    /// Its category.
    pub category: Category,
    /// Its priority.
    pub priority: Priority,
}

/// What a retraining did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetrainReport {
    /// The desk's examples learnt from.
    pub examples: usize,
    /// Rows the new model was trained on (the desk's plus any the classifier ships).
    pub rows: usize,
    /// The model now in use (e.g. `lexical`).
    pub model: String,
    /// The labels the new category model knows.
    pub categories: Vec<String>,
}

/// Classifies a new ticket.
#[async_trait]
pub trait Classifier: Send + Sync {
    /// Category, priority, tags and skills for `draft`, with confidences; fields it is
    /// unsure of are left out and named in [`Classification::abstained`].
    ///
    /// # Errors
    /// [`Error::Classify`] with the cause; the `HelpDesk` falls back to defaults.
    async fn classify(&self, draft: &NewTicket) -> Result<Classification>;

    /// Learns from the desk's own labelled tickets and swaps the model in use atomically
    /// (classifications running meanwhile finish with the old one). The default refuses:
    /// not every classifier learns.
    ///
    /// # Errors
    /// [`Error::Classify`] when the classifier does not learn or training fails (the old
    /// model stays in use).
    async fn retrain(&self, examples: Vec<TrainingExample>) -> Result<RetrainReport> {
        let _ = examples;
        Err(Error::Classify("this classifier does not learn".into()))
    }
}

/// A FAQ answer proposed for a ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct FaqMatch {
    /// The entry.
    pub faq: Faq,
    /// Match score, 0.0–1.0.
    pub score: f32,
}

/// Finds the FAQ entries that answer a ticket.
#[async_trait]
pub trait FaqMatcher: Send + Sync {
    /// The best entry among `faqs` for `draft`, if any clears the matcher's threshold.
    ///
    /// # Errors
    /// [`Error::Classify`] with the cause; the `HelpDesk` ignores the failure.
    async fn best_match(&self, draft: &NewTicket, faqs: &[Faq]) -> Result<Option<FaqMatch>>;

    /// Up to `k` entries among `faqs` for `draft`, best first, whatever their score
    /// (the desk filters by its own threshold), for the agent's helpful note. The
    /// default offers the best match only.
    ///
    /// # Errors
    /// [`Error::Classify`] with the cause; the `HelpDesk` ignores the failure.
    async fn top_matches(
        &self,
        draft: &NewTicket,
        faqs: &[Faq],
        k: usize,
    ) -> Result<Vec<FaqMatch>> {
        if k == 0 {
            return Ok(Vec::new());
        }
        Ok(self.best_match(draft, faqs).await?.into_iter().collect())
    }
}
