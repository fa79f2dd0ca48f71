//! The read queries measured on every store, by row name.

use ticket_core::id::UserId;
use ticket_core::query::{AssigneeFilter, TicketQuery, TicketSort};
use ticket_core::testkit::bench::vocabulary;
use ticket_core::testkit::fixtures;
use ticket_core::text::Status;
use ticket_core::ticket::Priority;
use ticket_core::workflow::StatusCategory;

/// Lists, filters and full-text searches of the corpus (`agent` assigned some of it),
/// each under its row name; the first, third and fifth are explained on MongoDB.
pub fn read_queries(agent: UserId) -> Vec<(&'static str, TicketQuery)> {
    let words = vocabulary();
    vec![
        ("list: first page (newest, 25)", TicketQuery::default()),
        (
            "list: first page by priority",
            TicketQuery {
                sort: TicketSort::PriorityDesc,
                ..TicketQuery::default()
            },
        ),
        (
            "filter: status + priority + tag",
            TicketQuery {
                statuses: vec![Status::known("open")],
                priorities: vec![Priority::High],
                tags: vec![fixtures::tag("tag-7")],
                ..TicketQuery::default()
            },
        ),
        (
            "filter: one agent's open work",
            TicketQuery {
                assignee: Some(AssigneeFilter::User(agent)),
                status_categories: vec![
                    StatusCategory::New,
                    StatusCategory::Open,
                    StatusCategory::Pending,
                ],
                ..TicketQuery::default()
            },
        ),
        (
            "search: one common word",
            TicketQuery {
                text: Some(words[17].clone()),
                ..TicketQuery::default()
            },
        ),
        (
            "search: two words (AND)",
            TicketQuery {
                text: Some(format!("{} {}", words[17], words[401])),
                ..TicketQuery::default()
            },
        ),
        (
            "search: rare word (~0.1%)",
            TicketQuery {
                text: Some("kangaroo".into()),
                ..TicketQuery::default()
            },
        ),
    ]
}
