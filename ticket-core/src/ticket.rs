//! Tickets, their drafts, priorities, comments and classification results.

use crate::error::{Result, Validator};
use crate::id::{CommentId, SlaPolicyId, TeamId, TenantId, TicketId, UserId};
use crate::text::{Category, CommentBody, CustomFields, Description, Status, Tag, Tags, Title};
use crate::workflow::StatusCategory;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How urgent a ticket is, ordered low to critical.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Whenever there is time.
    Low,
    /// The default.
    #[default]
    Medium,
    /// Soon.
    High,
    /// Now: an outage, a breach, money lost.
    Critical,
}

impl Priority {
    /// Every priority, low to critical.
    pub const ALL: [Priority; 4] = [Self::Low, Self::Medium, Self::High, Self::Critical];

    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// 0 (low) to 3 (critical), for stores that sort by priority.
    #[must_use]
    pub fn rank(self) -> u8 {
        self as u8
    }

    /// The inverse of [`Priority::rank`].
    #[must_use]
    pub fn from_rank(rank: u8) -> Option<Self> {
        Self::ALL.get(usize::from(rank)).copied()
    }

    /// One step more urgent (critical stays critical).
    #[must_use]
    pub fn raised(self) -> Self {
        Self::from_rank(self.rank() + 1).unwrap_or(Self::Critical)
    }
}

impl std::str::FromStr for Priority {
    type Err = crate::error::Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                crate::error::Error::invalid("priority", "must be low, medium, high or critical")
            })
    }
}

/// A value with the classifier's confidence in it (0.0–1.0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored<T> {
    /// The value.
    pub value: T,
    /// Confidence, 0.0–1.0.
    pub confidence: f32,
}

/// What a classifier made of a ticket draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Classification {
    /// The category it chose, if any.
    pub category: Option<Scored<Category>>,
    /// The priority it chose, if any.
    pub priority: Option<Scored<Priority>>,
    /// Tags it suggests.
    pub tags: Vec<Tag>,
    /// Skills an agent needs for the ticket (from its category, tags and wording); the
    /// skills-match routing strategy counts them with the ticket's tags.
    #[serde(default)]
    pub skills: Vec<Tag>,
    /// The fields (`category`, `priority`) the classifier declined to set because its
    /// confidence was under its threshold: the ticket keeps the requester's choice or the
    /// default there.
    #[serde(default)]
    pub abstained: Vec<String>,
    /// Which classifier (for audits), e.g. `lexical`, `llm:gpt-4o`.
    pub model: String,
}

/// The SLA snapshot kept on a ticket so stores can index and aggregate it; the full
/// state is a replay of the history by `sla::evaluate`, kept in `replay` so a change
/// replays only its own events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSla {
    /// The policy that applies.
    pub policy_id: SlaPolicyId,
    /// When the first response is due (while running).
    pub first_response_due: Option<DateTime<Utc>>,
    /// When the next response is due (while running).
    pub next_response_due: Option<DateTime<Utc>>,
    /// When resolution is due (while running).
    pub resolution_due: Option<DateTime<Utc>>,
    /// The next instant at which a warning or breach happens: what the sweep looks for.
    pub next_check: Option<DateTime<Utc>>,
    /// Some target is in its warning window.
    pub at_risk: bool,
    /// Some target was breached.
    pub breached: bool,
    /// The ticket's history replayed under the policy (internal bookkeeping, not part
    /// of the API): the next change goes on from it instead of reading the whole
    /// history. `None` replays the history again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<crate::sla::SlaReplay>,
}

/// A ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// Its id.
    pub id: TicketId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Title.
    pub title: Title,
    /// Description.
    pub description: Description,
    /// Workflow status.
    pub status: Status,
    /// The category of `status` (denormalised so stores can filter and count open work).
    pub status_category: StatusCategory,
    /// Priority.
    pub priority: Priority,
    /// Category.
    pub category: Category,
    /// Tags.
    pub tags: Tags,
    /// Custom fields.
    pub custom_fields: CustomFields,
    /// Who raised it.
    pub requester: UserId,
    /// The agent working it.
    pub assignee: Option<UserId>,
    /// The team owning it.
    pub team: Option<TeamId>,
    /// What the classifier said at creation.
    pub classification: Option<Classification>,
    /// SLA snapshot, when a policy applies.
    pub sla: Option<TicketSla>,
    /// Optimistic-concurrency version: 1 at creation, +1 per stored change.
    pub version: u64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// When the current assignee got it.
    pub assigned_at: Option<DateTime<Utc>>,
    /// The first public staff reply.
    pub first_response_at: Option<DateTime<Utc>>,
    /// When it last entered a solved status.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When it last entered a closed status.
    pub closed_at: Option<DateTime<Utc>>,
}

impl Ticket {
    /// Whether the ticket is open work (New, Open or Pending category).
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.status_category.is_open()
    }
}

/// The raw input of a new ticket, as a client sends it (every field unvalidated).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TicketInput {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Category; chosen by the classifier when absent.
    pub category: Option<String>,
    /// Priority; chosen by the classifier when absent.
    pub priority: Option<Priority>,
    /// Tags.
    pub tags: Vec<String>,
    /// Custom fields.
    pub custom_fields: BTreeMap<String, serde_json::Value>,
}

/// A validated new ticket: what a classifier sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTicket {
    /// Title.
    pub title: Title,
    /// Description.
    pub description: Description,
    /// Category, if the requester chose one.
    pub category: Option<Category>,
    /// Priority, if the requester chose one.
    pub priority: Option<Priority>,
    /// Tags.
    pub tags: Tags,
    /// Custom fields.
    pub custom_fields: CustomFields,
}

impl NewTicket {
    /// Validates every field at once.
    ///
    /// # Errors
    /// [`crate::Error::Invalid`] listing every bad field.
    pub fn parse(input: TicketInput) -> Result<Self> {
        let mut v = Validator::new();
        let title = v.check(Title::parse(&input.title));
        let description = v.check(Description::parse(&input.description));
        let category = input
            .category
            .as_deref()
            .map(|c| v.check(Category::parse(c)));
        let tags = v.check(Tags::parse(&input.tags));
        let custom_fields = v.check(CustomFields::parse(input.custom_fields));
        v.finish()?;
        // All `Some` once `finish` passed.
        match (title, description, tags, custom_fields) {
            (Some(title), Some(description), Some(tags), Some(custom_fields)) => Ok(Self {
                title,
                description,
                category: category.flatten(),
                priority: input.priority,
                tags,
                custom_fields,
            }),
            _ => Err(crate::error::Error::invalid("ticket", "invalid input")),
        }
    }
}

/// A change to a ticket's fields; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TicketPatch {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New priority.
    pub priority: Option<Priority>,
    /// New category.
    pub category: Option<String>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    /// Replaces the custom fields.
    pub custom_fields: Option<BTreeMap<String, serde_json::Value>>,
}

/// Whether a comment is visible to the requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// A reply the requester sees.
    Public,
    /// A note only staff see.
    Internal,
}

/// A comment on a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Its id.
    pub id: CommentId,
    /// Its tenant.
    pub tenant: TenantId,
    /// The ticket.
    pub ticket_id: TicketId,
    /// The author; `None` for the system (rules, FAQ answers).
    pub author: Option<UserId>,
    /// Public reply or internal note.
    pub visibility: Visibility,
    /// The text.
    pub body: CommentBody,
    /// Written.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ticket_reports_every_bad_field() {
        let err = NewTicket::parse(TicketInput {
            title: String::new(),
            description: "ok".into(),
            category: Some("bad category!".into()),
            tags: vec!["fine".into(), "x".repeat(41)],
            ..TicketInput::default()
        })
        .unwrap_err();
        let crate::Error::Invalid(fields) = err else {
            panic!()
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["title", "category", "tags[1]"]);
    }

    #[test]
    fn priority_order_and_wire_names() {
        assert!(Priority::Critical > Priority::Low);
        assert_eq!(Priority::High.raised(), Priority::Critical);
        assert_eq!(Priority::Critical.raised(), Priority::Critical);
        assert_eq!("HIGH".parse::<Priority>().unwrap(), Priority::High);
        assert_eq!(serde_json::to_string(&Priority::Low).unwrap(), "\"low\"");
    }
}
