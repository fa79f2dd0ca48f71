//! Test fixtures shared by the rules and routing tests.

use crate::id::{TenantId, TicketId, UserId};
use crate::text::{Category, CustomFields, Description, Status, Tag, Tags, Title};
use crate::ticket::{Priority, Ticket};
use crate::workflow::StatusCategory;
use chrono::{DateTime, Utc};

/// A new, medium-priority, general ticket with no tags, team or assignee.
pub(crate) fn ticket() -> Ticket {
    Ticket {
        id: TicketId::new(),
        tenant: TenantId::DEFAULT,
        title: Title::parse("Printer on fire").unwrap(),
        description: Description::parse("The office printer is smoking.").unwrap(),
        status: Status::known("new"),
        status_category: StatusCategory::New,
        priority: Priority::Medium,
        category: Category::default(),
        tags: Tags::empty(),
        custom_fields: CustomFields::default(),
        requester: UserId::new(),
        assignee: None,
        team: None,
        classification: None,
        sla: None,
        version: 1,
        created_at: DateTime::<Utc>::UNIX_EPOCH,
        updated_at: DateTime::<Utc>::UNIX_EPOCH,
        assigned_at: None,
        first_response_at: None,
        resolved_at: None,
        closed_at: None,
    }
}

/// A valid tag.
pub(crate) fn tag(s: &str) -> Tag {
    Tag::parse(s).unwrap()
}

/// Valid tags.
pub(crate) fn tags(s: &[&str]) -> Tags {
    Tags::parse(s).unwrap()
}
