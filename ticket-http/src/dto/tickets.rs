//! Tickets, comments and SLA states on the wire.

use super::misc::FaqDto;
use super::{PriorityDto, SlaTargetDto, StatusCategoryDto};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ticket_core::desk::TicketPreview;
use ticket_core::ticket::{Classification, Comment, Ticket, TicketSla, Visibility};
use utoipa::ToSchema;
use uuid::Uuid;

/// A category chosen by the classifier, with its confidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScoredCategory {
    /// The category.
    pub value: String,
    /// Confidence, 0.0–1.0.
    pub confidence: f32,
}

/// A priority chosen by the classifier, with its confidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScoredPriority {
    /// The priority.
    pub value: PriorityDto,
    /// Confidence, 0.0–1.0.
    pub confidence: f32,
}

/// What the classifier made of a ticket when it was raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = Classification)]
pub struct ClassificationDto {
    /// Category, if the classifier chose one.
    pub category: Option<ScoredCategory>,
    /// Priority, if the classifier chose one.
    pub priority: Option<ScoredPriority>,
    /// Suggested tags.
    pub tags: Vec<String>,
    /// Skills an agent needs for it (skills-match routing counts them).
    pub skills: Vec<String>,
    /// Fields (`category`, `priority`) the classifier was too unsure of to set: the
    /// requester's choice or the default stands there.
    pub abstained: Vec<String>,
    /// Which classifier.
    pub model: String,
}

impl From<&Classification> for ClassificationDto {
    fn from(c: &Classification) -> Self {
        Self {
            category: c.category.as_ref().map(|s| ScoredCategory {
                value: s.value.to_string(),
                confidence: s.confidence,
            }),
            priority: c.priority.as_ref().map(|s| ScoredPriority {
                value: s.value.into(),
                confidence: s.confidence,
            }),
            tags: c.tags.iter().map(ToString::to_string).collect(),
            skills: c.skills.iter().map(ToString::to_string).collect(),
            abstained: c.abstained.clone(),
            model: c.model.clone(),
        }
    }
}

/// A FAQ entry proposed for a ticket, with its match score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FaqSuggestionDto {
    /// The entry.
    pub faq: FaqDto,
    /// Match score, 0.0–1.0.
    pub score: f32,
}

/// What raising a ticket would decide, without raising it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = TicketPreview)]
pub struct TicketPreviewDto {
    /// The category: the requester's, else the classifier's, else `general`.
    pub category: String,
    /// The priority: the requester's, else the classifier's, else `medium`.
    pub priority: PriorityDto,
    /// The requester's tags and the suggested ones that fit (normalised, sorted).
    pub tags: Vec<String>,
    /// What the classifier made of it (null when the desk has no classifier, or it
    /// failed or timed out).
    pub classification: Option<ClassificationDto>,
    /// The FAQ answer the ticket would get, if one scores high enough.
    pub faq: Option<FaqSuggestionDto>,
}

impl From<TicketPreview> for TicketPreviewDto {
    fn from(p: TicketPreview) -> Self {
        Self {
            category: p.category.to_string(),
            priority: p.priority.into(),
            tags: p.tags.iter().map(ToString::to_string).collect(),
            classification: p.classification.as_ref().map(ClassificationDto::from),
            faq: p.faq.map(|m| FaqSuggestionDto {
                faq: m.faq.into(),
                score: m.score,
            }),
        }
    }
}

/// The SLA snapshot of a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = TicketSla)]
pub struct TicketSlaDto {
    /// The policy that applies.
    pub policy_id: Uuid,
    /// When the first response is due (while running).
    pub first_response_due: Option<DateTime<Utc>>,
    /// When the next response is due (while running).
    pub next_response_due: Option<DateTime<Utc>>,
    /// When resolution is due (while running).
    pub resolution_due: Option<DateTime<Utc>>,
    /// The next instant a warning or breach happens.
    pub next_check: Option<DateTime<Utc>>,
    /// Some target is in its warning window.
    pub at_risk: bool,
    /// Some target was breached.
    pub breached: bool,
}

impl From<&TicketSla> for TicketSlaDto {
    fn from(s: &TicketSla) -> Self {
        Self {
            policy_id: s.policy_id.as_uuid(),
            first_response_due: s.first_response_due,
            next_response_due: s.next_response_due,
            resolution_due: s.resolution_due,
            next_check: s.next_check,
            at_risk: s.at_risk,
            breached: s.breached,
        }
    }
}

/// A ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = Ticket)]
pub struct TicketDto {
    /// Its id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Workflow status (`new`, `open`, `in_progress`, `pending`, `resolved`, `closed`
    /// with the default workflow).
    pub status: String,
    /// The category of the status.
    pub status_category: StatusCategoryDto,
    /// Priority.
    pub priority: PriorityDto,
    /// Category (`billing`, `technical`, `account`, `general`, or the desk's own).
    pub category: String,
    /// Tags (normalised, sorted).
    pub tags: Vec<String>,
    /// Custom fields.
    #[schema(value_type = Object)]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
    /// Who raised it.
    pub requester_id: Uuid,
    /// The agent working it.
    pub assignee_id: Option<Uuid>,
    /// The team owning it.
    pub team_id: Option<Uuid>,
    /// What the classifier said when it was raised.
    pub classification: Option<ClassificationDto>,
    /// SLA snapshot, when a policy applies.
    pub sla: Option<TicketSlaDto>,
    /// Version, advanced by every change (send it back with `PATCH`).
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

impl From<Ticket> for TicketDto {
    fn from(t: Ticket) -> Self {
        Self {
            id: t.id.as_uuid(),
            title: t.title.to_string(),
            description: t.description.to_string(),
            status: t.status.to_string(),
            status_category: t.status_category.into(),
            priority: t.priority.into(),
            category: t.category.to_string(),
            tags: t.tags.iter().map(ToString::to_string).collect(),
            custom_fields: t.custom_fields.as_map().clone(),
            requester_id: t.requester.as_uuid(),
            assignee_id: t.assignee.map(|u| u.as_uuid()),
            team_id: t.team.map(|u| u.as_uuid()),
            classification: t.classification.as_ref().map(ClassificationDto::from),
            sla: t.sla.as_ref().map(TicketSlaDto::from),
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
            assigned_at: t.assigned_at,
            first_response_at: t.first_response_at,
            resolved_at: t.resolved_at,
            closed_at: t.closed_at,
        }
    }
}

/// A comment: a public reply or an internal note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Comment)]
pub struct CommentDto {
    /// Its id.
    pub id: Uuid,
    /// The ticket.
    pub ticket_id: Uuid,
    /// The author; `null` for the system (rules, FAQ answers).
    pub author_id: Option<Uuid>,
    /// Whether it is an internal note (staff only).
    pub internal: bool,
    /// The text.
    pub body: String,
    /// Written.
    pub created_at: DateTime<Utc>,
}

impl From<Comment> for CommentDto {
    fn from(c: Comment) -> Self {
        Self {
            id: c.id.as_uuid(),
            ticket_id: c.ticket_id.as_uuid(),
            author_id: c.author.map(|u| u.as_uuid()),
            internal: c.visibility == Visibility::Internal,
            body: c.body.to_string(),
            created_at: c.created_at,
        }
    }
}

/// Where one SLA target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = TargetState)]
pub enum TargetStateDto {
    /// Business time is counting.
    Running,
    /// Business time is not counting.
    Paused,
    /// Achieved.
    Met,
    /// No longer applies.
    Cancelled,
}

/// The state of one SLA target (one cycle of it, for next response).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = TargetStatus)]
pub struct TargetStatusDto {
    /// Which target.
    pub target: SlaTargetDto,
    /// Which cycle.
    pub cycle: u32,
    /// Where it stands.
    pub state: TargetStateDto,
    /// When the cycle started.
    pub started_at: DateTime<Utc>,
    /// The target, in business seconds.
    pub target_secs: i64,
    /// Business seconds elapsed.
    pub elapsed_secs: i64,
    /// When the warning threshold is reached, while running.
    pub warn_at: Option<DateTime<Utc>>,
    /// When it is due, while running.
    pub due_at: Option<DateTime<Utc>>,
    /// When it was met.
    pub met_at: Option<DateTime<Utc>>,
    /// The warning threshold is reached.
    pub warning: bool,
    /// The target is breached (or was met late).
    pub breached: bool,
    /// The warning is recorded in the history.
    pub warning_recorded: bool,
    /// The breach is recorded in the history.
    pub breach_recorded: bool,
}

/// The SLA state of a ticket now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = SlaStatus)]
pub struct SlaStatusDto {
    /// The policy applied.
    pub policy_id: Uuid,
    /// The evaluation instant.
    pub at: DateTime<Utc>,
    /// Each target of the policy (the latest cycle of next response).
    pub targets: Vec<TargetStatusDto>,
    /// Earlier next-response cycles, oldest first.
    pub earlier_cycles: Vec<TargetStatusDto>,
    /// Some cycle of some target breached.
    pub ever_breached: bool,
}

/// The answer of `GET /tickets/{id}/sla`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TicketSlaResponse {
    /// The ticket.
    pub ticket_id: Uuid,
    /// Its SLA state; `null` when no policy applies.
    pub sla: Option<SlaStatusDto>,
}
