//! Ticket events: one stream that is the audit history, the realtime feed and the trigger
//! of notifications.

use crate::id::{CommentId, EventId, FaqId, RuleId, TeamId, TenantId, TicketId, UserId};
use crate::text::{Category, Status, Tag};
use crate::ticket::{Priority, Visibility};
use crate::workflow::StatusCategory;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Which SLA target an SLA event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaTarget {
    /// The first public staff reply.
    FirstResponse,
    /// A staff reply after each public requester reply.
    NextResponse,
    /// Reaching a solved status.
    Resolution,
}

impl SlaTarget {
    /// Every target.
    pub const ALL: [SlaTarget; 3] = [Self::FirstResponse, Self::NextResponse, Self::Resolution];
}

/// Who wrote a comment, relative to the ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    /// The ticket's requester.
    Requester,
    /// An agent or admin.
    Staff,
    /// The system (rules, FAQ answers).
    System,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// The ticket was raised.
    Created {
        /// Initial status.
        status: Status,
        /// Initial priority.
        priority: Priority,
        /// Initial category.
        category: Category,
    },
    /// Title, description or custom fields changed.
    FieldsChanged {
        /// Which fields (`title`, `description`, `custom_fields`).
        fields: Vec<String>,
    },
    /// The status changed.
    StatusChanged {
        /// Before.
        from: Status,
        /// After.
        to: Status,
        /// The category after.
        category: StatusCategory,
    },
    /// The priority changed.
    PriorityChanged {
        /// Before.
        from: Priority,
        /// After.
        to: Priority,
    },
    /// The category changed.
    CategoryChanged {
        /// Before.
        from: Category,
        /// After.
        to: Category,
    },
    /// Tags were added or removed.
    TagsChanged {
        /// Added.
        added: Vec<Tag>,
        /// Removed.
        removed: Vec<Tag>,
    },
    /// The assignee changed.
    Assigned {
        /// Before.
        from: Option<UserId>,
        /// After.
        to: Option<UserId>,
        /// Why, when a routing strategy chose (`assigned to ann: skills billing,
        /// refunds; load 3/10`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The owning team changed.
    TeamChanged {
        /// Before.
        from: Option<TeamId>,
        /// After.
        to: Option<TeamId>,
    },
    /// A comment was added.
    Commented {
        /// The comment.
        comment_id: CommentId,
        /// Public or internal.
        visibility: Visibility,
        /// Who wrote it.
        author: AuthorKind,
    },
    /// An SLA target entered its warning window.
    SlaWarning {
        /// The target.
        target: SlaTarget,
        /// Which cycle of the target (next response restarts per requester reply).
        cycle: u32,
    },
    /// An SLA target was breached.
    SlaBreached {
        /// The target.
        target: SlaTarget,
        /// Which cycle of the target.
        cycle: u32,
    },
    /// A rule escalated the ticket.
    Escalated {
        /// The rule.
        rule_id: Option<RuleId>,
        /// Why.
        reason: String,
    },
    /// The ticket was distributed to a team.
    Distributed {
        /// The team.
        team_id: TeamId,
    },
    /// Someone was notified about the ticket.
    Notified {
        /// `user`, `team`, `webhook` or `email`.
        channel: String,
    },
    /// An automation rule fired and its actions changed something (a rule whose
    /// actions changed nothing is not recorded).
    RuleFired {
        /// The rule.
        rule_id: RuleId,
        /// Its name then.
        name: String,
    },
    /// A FAQ answer was proposed.
    FaqSuggested {
        /// The FAQ entry.
        faq_id: FaqId,
        /// Match score, 0.0–1.0.
        score: f32,
    },
    /// The requester said the proposed FAQ answer solved their problem (a deflection).
    FaqConfirmed {
        /// The FAQ entry.
        faq_id: FaqId,
    },
    /// The requester said the proposed FAQ answer did not help (the ticket reopens).
    FaqRejected {
        /// The FAQ entry.
        faq_id: FaqId,
    },
    /// The ticket was deleted (the history remains for audit).
    Deleted,
}

impl EventKind {
    /// The snake_case name of the variant (`created`, `status_changed`…).
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Created { .. } => "created",
            Self::FieldsChanged { .. } => "fields_changed",
            Self::StatusChanged { .. } => "status_changed",
            Self::PriorityChanged { .. } => "priority_changed",
            Self::CategoryChanged { .. } => "category_changed",
            Self::TagsChanged { .. } => "tags_changed",
            Self::Assigned { .. } => "assigned",
            Self::TeamChanged { .. } => "team_changed",
            Self::Commented { .. } => "commented",
            Self::SlaWarning { .. } => "sla_warning",
            Self::SlaBreached { .. } => "sla_breached",
            Self::Escalated { .. } => "escalated",
            Self::Distributed { .. } => "distributed",
            Self::Notified { .. } => "notified",
            Self::RuleFired { .. } => "rule_fired",
            Self::FaqSuggested { .. } => "faq_suggested",
            Self::FaqConfirmed { .. } => "faq_confirmed",
            Self::FaqRejected { .. } => "faq_rejected",
            Self::Deleted => "deleted",
        }
    }
}

/// Whether a requester (a customer) may see an event of their own ticket: everything but
/// internal notes, rule firings, escalations, SLA bookkeeping and notifications sent
/// elsewhere. The one rule for history reads and realtime feeds alike.
#[must_use]
pub fn visible_to_requester(kind: &EventKind) -> bool {
    match kind {
        EventKind::Commented { visibility, .. } => *visibility == Visibility::Public,
        EventKind::RuleFired { .. }
        | EventKind::Escalated { .. }
        | EventKind::SlaWarning { .. }
        | EventKind::SlaBreached { .. }
        | EventKind::Notified { .. }
        | EventKind::Distributed { .. }
        | EventKind::TeamChanged { .. } => false,
        _ => true,
    }
}

/// One entry of a ticket's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketEvent {
    /// Its id (time-ordered).
    pub id: EventId,
    /// Its tenant.
    pub tenant: TenantId,
    /// The ticket.
    pub ticket_id: TicketId,
    /// Who did it; `None` for the system.
    pub actor: Option<UserId>,
    /// When.
    pub at: DateTime<Utc>,
    /// The requester of the ticket (so subscribers can filter what a customer may see).
    pub requester: UserId,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}
