//! The request bodies and query parameters of the ticket routes, and the parsing of the
//! list filters into a [`TicketQuery`].

use crate::dto::{double_option, PriorityDto};
use crate::problem::Problem;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ticket_core::error::Validator;
use ticket_core::id::{TeamId, UserId};
use ticket_core::query::{AssigneeFilter, TicketQuery, TicketSort};
use ticket_core::text::{Category, Status, Tag};
use ticket_core::ticket::{Priority, TicketInput};
use ticket_core::workflow::StatusCategory;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::dto::tickets::TicketDto;

/// A new ticket.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketCreate {
    /// Title: 1–200 characters, one line.
    pub title: String,
    /// Description: at most 20,000 characters (may be empty).
    pub description: String,
    /// Category (a-z, 0-9, `_`, `-`); chosen by the classifier when absent.
    #[serde(default)]
    pub category: Option<String>,
    /// Priority; chosen by the classifier when absent.
    #[serde(default)]
    pub priority: Option<PriorityDto>,
    /// Tags (at most 20, normalised to lower case).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Custom fields: up to 50 keys to JSON values.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
}

impl From<TicketCreate> for TicketInput {
    fn from(body: TicketCreate) -> Self {
        Self {
            title: body.title,
            description: body.description,
            category: body.category,
            priority: body.priority.map(Priority::from),
            tags: body.tags,
            custom_fields: body.custom_fields,
        }
    }
}

/// Changes to a ticket's fields; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct TicketPatchBody {
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Priority.
    pub priority: Option<PriorityDto>,
    /// Category.
    pub category: Option<String>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    /// Replaces the custom fields.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<BTreeMap<String, serde_json::Value>>,
    /// The version the change was made against: a stale one is 409 `version_conflict`.
    #[serde(deserialize_with = "crate::dto::lenient::opt_int")]
    pub version: Option<u64>,
}

/// A status change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    /// The new status (`open`, `in_progress`, `pending`, `resolved`, `closed`…).
    pub status: String,
    /// A public comment to add with it (empty: none).
    #[serde(default)]
    pub comment: Option<String>,
}

/// An assignment: an absent field stays as it is, `null` clears it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// The agent.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// The team.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub team_id: Option<Option<Uuid>>,
}

/// Tickets to hand to a team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DistributeBody {
    /// The tickets (1–100).
    #[schema(min_items = 1, max_items = 100)]
    pub ticket_ids: Vec<Uuid>,
    /// The team.
    pub team_id: Uuid,
}

/// A message about a ticket to exactly one recipient.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifyBody {
    /// A team (its members in-app, and its webhook).
    #[serde(default)]
    pub team_id: Option<Uuid>,
    /// A user, in-app.
    #[serde(default)]
    pub user_id: Option<Uuid>,
    /// A third party's http(s) endpoint (empty: not given).
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// An e-mail address (empty: not given).
    #[serde(default)]
    pub email: Option<String>,
    /// The message (1–5,000 characters).
    pub message: String,
}

/// A list of tickets.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketList {
    /// The tickets.
    pub items: Vec<TicketDto>,
}

/// The order of a ticket list.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketSortParam {
    /// Newest first (default).
    #[default]
    CreatedDesc,
    /// Oldest first.
    CreatedAsc,
    /// Most recently changed first.
    UpdatedDesc,
    /// Most urgent first.
    PriorityDesc,
}

/// Filters of `GET /tickets`. List filters take comma-separated values (any of them
/// matches; for `tag`, all of them must).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketFilters {
    /// Statuses, comma-separated (`open,pending`).
    pub status: Option<String>,
    /// Status categories, comma-separated (`new,open,pending` for all open work;
    /// `solved`, `closed`).
    pub status_category: Option<String>,
    /// Priorities, comma-separated (`high,critical`).
    pub priority: Option<String>,
    /// Categories, comma-separated.
    pub category: Option<String>,
    /// Tags, comma-separated: tickets with all of them.
    pub tag: Option<String>,
    /// An agent id, `me`, or `none` for unassigned tickets.
    pub assignee: Option<String>,
    /// The owning team.
    pub team: Option<Uuid>,
    /// The requester.
    pub requester: Option<Uuid>,
    /// Full text over title and description: every word must occur.
    pub q: Option<String>,
    /// Created at or after (RFC 3339).
    pub created_after: Option<DateTime<Utc>>,
    /// Created before (RFC 3339).
    pub created_before: Option<DateTime<Utc>>,
    /// Order.
    #[param(inline)]
    pub sort: Option<TicketSortParam>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Ids for a batch read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchParams {
    /// Ticket ids, comma-separated (at most 100).
    pub ids: String,
}

/// A ticket id in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TicketPath {
    /// The ticket.
    pub id: Uuid,
}

pub(crate) fn split(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|s| !s.is_empty())
}

impl TicketFilters {
    pub(crate) fn into_query(self, me: UserId) -> Result<TicketQuery, Problem> {
        let mut v = Validator::new();
        let mut query = TicketQuery::default();
        for s in split(self.status.as_deref().unwrap_or_default()) {
            if let Some(s) = v.check(Status::parse(s)) {
                query.statuses.push(s);
            }
        }
        for c in split(self.status_category.as_deref().unwrap_or_default()) {
            match StatusCategory::ALL.iter().find(|k| {
                serde_json::to_value(k)
                    .ok()
                    .and_then(|v| v.as_str().map(|s| s == c))
                    == Some(true)
            }) {
                Some(k) => query.status_categories.push(*k),
                None => v.push(
                    "status_category",
                    "must be new, open, pending, solved or closed",
                ),
            }
        }
        for p in split(self.priority.as_deref().unwrap_or_default()) {
            if let Some(p) = v.check(p.parse::<Priority>()) {
                query.priorities.push(p);
            }
        }
        for c in split(self.category.as_deref().unwrap_or_default()) {
            if let Some(c) = v.check(Category::parse(c)) {
                query.categories.push(c);
            }
        }
        for t in split(self.tag.as_deref().unwrap_or_default()) {
            if let Some(t) = v.check(Tag::parse(t)) {
                query.tags.push(t);
            }
        }
        query.assignee = match self.assignee.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("none" | "unassigned") => Some(AssigneeFilter::Unassigned),
            Some("me") => Some(AssigneeFilter::User(me)),
            Some(id) => match id.parse::<UserId>() {
                Ok(u) => Some(AssigneeFilter::User(u)),
                Err(_) => {
                    v.push("assignee", "must be a user id, `me` or `none`");
                    None
                }
            },
        };
        v.finish()?;
        query.team = self.team.map(TeamId::from_uuid);
        query.requester = self.requester.map(UserId::from_uuid);
        query.text = self.q;
        query.created_after = self.created_after;
        query.created_before = self.created_before;
        query.sort = match self.sort.unwrap_or_default() {
            TicketSortParam::CreatedDesc => TicketSort::CreatedDesc,
            TicketSortParam::CreatedAsc => TicketSort::CreatedAsc,
            TicketSortParam::UpdatedDesc => TicketSort::UpdatedDesc,
            TicketSortParam::PriorityDesc => TicketSort::PriorityDesc,
        };
        query.limit = ticket_core::query::check_limit(self.limit)?;
        query.cursor = self.cursor.filter(|c| !c.is_empty());
        Ok(query)
    }
}
