//! Ticket events (history entries and realtime messages) on the wire.

use super::{to_dto, PriorityDto, SlaTargetDto, StatusCategoryDto};
use crate::problem::Problem;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ticket_core::event::TicketEvent;
use utoipa::ToSchema;
use uuid::Uuid;

/// Whether a comment is visible to the requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = Visibility)]
pub enum VisibilityDto {
    /// A reply the requester sees.
    Public,
    /// A note only staff see.
    Internal,
}

/// Who wrote a comment, relative to the ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AuthorKind)]
pub enum AuthorKindDto {
    /// The requester.
    Requester,
    /// An agent or admin.
    Staff,
    /// The system.
    System,
}

/// What happened (the `type` field names the variant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[schema(as = EventKind)]
pub enum EventKindDto {
    /// The ticket was raised.
    Created {
        /// Initial status.
        status: String,
        /// Initial priority.
        priority: PriorityDto,
        /// Initial category.
        category: String,
    },
    /// Title, description or custom fields changed.
    FieldsChanged {
        /// Which fields.
        fields: Vec<String>,
    },
    /// The status changed.
    StatusChanged {
        /// Before.
        from: String,
        /// After.
        to: String,
        /// The category after.
        category: StatusCategoryDto,
    },
    /// The priority changed.
    PriorityChanged {
        /// Before.
        from: PriorityDto,
        /// After.
        to: PriorityDto,
    },
    /// The category changed.
    CategoryChanged {
        /// Before.
        from: String,
        /// After.
        to: String,
    },
    /// Tags were added or removed.
    TagsChanged {
        /// Added.
        added: Vec<String>,
        /// Removed.
        removed: Vec<String>,
    },
    /// The assignee changed.
    Assigned {
        /// Before.
        from: Option<Uuid>,
        /// After.
        to: Option<Uuid>,
        /// Why, when a routing strategy chose.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The owning team changed.
    TeamChanged {
        /// Before.
        from: Option<Uuid>,
        /// After.
        to: Option<Uuid>,
    },
    /// A comment was added.
    Commented {
        /// The comment.
        comment_id: Uuid,
        /// Public or internal.
        visibility: VisibilityDto,
        /// Who wrote it.
        author: AuthorKindDto,
    },
    /// An SLA target entered its warning window.
    SlaWarning {
        /// The target.
        target: SlaTargetDto,
        /// Which cycle.
        cycle: u32,
    },
    /// An SLA target was breached.
    SlaBreached {
        /// The target.
        target: SlaTargetDto,
        /// Which cycle.
        cycle: u32,
    },
    /// A rule escalated the ticket.
    Escalated {
        /// The rule.
        rule_id: Option<Uuid>,
        /// Why.
        reason: String,
    },
    /// The ticket was distributed to a team.
    Distributed {
        /// The team.
        team_id: Uuid,
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
        rule_id: Uuid,
        /// Its name then.
        name: String,
    },
    /// A FAQ answer was proposed.
    FaqSuggested {
        /// The FAQ entry.
        faq_id: Uuid,
        /// Match score, 0.0–1.0.
        score: f32,
    },
    /// The requester confirmed the FAQ answer solved their problem (a deflection).
    FaqConfirmed {
        /// The FAQ entry.
        faq_id: Uuid,
    },
    /// The requester said the FAQ answer did not help (the ticket reopened).
    FaqRejected {
        /// The FAQ entry.
        faq_id: Uuid,
    },
    /// The ticket was deleted (its history remains).
    Deleted,
}

/// One entry of a ticket's history; the realtime feeds send the same document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = TicketEvent)]
pub struct EventDto {
    /// Its id (time-ordered).
    pub id: Uuid,
    /// The ticket.
    pub ticket_id: Uuid,
    /// Who did it; `null` for the system.
    pub actor_id: Option<Uuid>,
    /// When.
    pub at: DateTime<Utc>,
    /// The requester of the ticket.
    pub requester_id: Uuid,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKindDto,
}

impl EventDto {
    /// Converts a core event.
    ///
    /// # Errors
    /// A 500 problem if the mirror of the event kinds is out of date (a bug).
    pub fn from_core(e: &TicketEvent) -> Result<Self, Problem> {
        Ok(Self {
            id: e.id.as_uuid(),
            ticket_id: e.ticket_id.as_uuid(),
            actor_id: e.actor.map(|u| u.as_uuid()),
            at: e.at,
            requester_id: e.requester.as_uuid(),
            kind: to_dto(&e.kind)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ticket_core::event::{AuthorKind, EventKind, SlaTarget};
    use ticket_core::id::{CommentId, EventId, FaqId, RuleId, TeamId, TenantId, TicketId, UserId};
    use ticket_core::text::{Category, Status, Tag};
    use ticket_core::ticket::{Priority, Visibility};
    use ticket_core::workflow::StatusCategory;

    #[test]
    fn every_event_kind_round_trips() {
        let kinds = vec![
            EventKind::Created {
                status: Status::known("new"),
                priority: Priority::High,
                category: Category::known("billing"),
            },
            EventKind::FieldsChanged {
                fields: vec!["title".into()],
            },
            EventKind::StatusChanged {
                from: Status::known("new"),
                to: Status::known("open"),
                category: StatusCategory::Open,
            },
            EventKind::PriorityChanged {
                from: Priority::Low,
                to: Priority::Critical,
            },
            EventKind::CategoryChanged {
                from: Category::known("general"),
                to: Category::known("billing"),
            },
            EventKind::TagsChanged {
                added: vec![Tag::parse("vpn").unwrap()],
                removed: vec![],
            },
            EventKind::Assigned {
                from: None,
                to: Some(UserId::new()),
                reason: Some("assigned to ann: skills billing; load 1/10".into()),
            },
            EventKind::TeamChanged {
                from: Some(TeamId::new()),
                to: None,
            },
            EventKind::Commented {
                comment_id: CommentId::new(),
                visibility: Visibility::Internal,
                author: AuthorKind::Staff,
            },
            EventKind::SlaWarning {
                target: SlaTarget::FirstResponse,
                cycle: 0,
            },
            EventKind::SlaBreached {
                target: SlaTarget::NextResponse,
                cycle: 2,
            },
            EventKind::Escalated {
                rule_id: Some(RuleId::new()),
                reason: "late".into(),
            },
            EventKind::Distributed {
                team_id: TeamId::new(),
            },
            EventKind::Notified {
                channel: "team".into(),
            },
            EventKind::RuleFired {
                rule_id: RuleId::new(),
                name: "r".into(),
            },
            EventKind::FaqSuggested {
                faq_id: FaqId::new(),
                score: 0.75,
            },
            EventKind::FaqConfirmed {
                faq_id: FaqId::new(),
            },
            EventKind::FaqRejected {
                faq_id: FaqId::new(),
            },
            EventKind::Deleted,
        ];
        for kind in kinds {
            let e = TicketEvent {
                id: EventId::new(),
                tenant: TenantId::DEFAULT,
                ticket_id: TicketId::new(),
                actor: None,
                at: chrono::DateTime::UNIX_EPOCH,
                requester: UserId::new(),
                kind: kind.clone(),
            };
            let dto = EventDto::from_core(&e).unwrap();
            let json = serde_json::to_value(&dto).unwrap();
            assert_eq!(json["type"], kind.name());
            let back: EventKind =
                serde_json::from_value(serde_json::to_value(&dto.kind).unwrap()).unwrap();
            assert_eq!(back, kind);
        }
    }
}
