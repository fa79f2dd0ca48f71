//! `/tickets`: raise, read, search, change, move through the workflow, assign, claim,
//! distribute, notify and delete tickets; their history and SLA state.

use crate::dto::events::EventDto;
use crate::dto::tickets::{SlaStatusDto, TicketDto, TicketSlaResponse};
use crate::dto::{double_option, to_dto, PriorityDto};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::page::{paginate, Page, PageParams};
use crate::problem::Problem;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ticket_core::desk::AssignInput;
use ticket_core::error::Validator;
use ticket_core::id::{TeamId, TicketId, UserId};
use ticket_core::notify::Recipient;
use ticket_core::query::{AssigneeFilter, TicketQuery, TicketSort};
use ticket_core::text::{Category, Email, Status, Tag};
use ticket_core::ticket::{Priority, TicketInput, TicketPatch};
use ticket_core::workflow::StatusCategory;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// The ticket routes (comments live in [`crate::comments`]).
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_ticket, list_tickets))
        .routes(routes!(get_batch))
        .routes(routes!(distribute))
        .routes(routes!(get_ticket, update_ticket, delete_ticket))
        .routes(routes!(transition))
        .routes(routes!(assign))
        .routes(routes!(claim))
        .routes(routes!(history))
        .routes(routes!(sla))
        .routes(routes!(notify))
}

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

fn split(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|s| !s.is_empty())
}

impl TicketFilters {
    fn into_query(self, me: UserId) -> Result<TicketQuery, Problem> {
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

/// Raises a ticket for the caller.
#[utoipa::path(post, path = "/tickets", tag = "tickets", security(("bearer" = [])),
    request_body = TicketCreate, responses((status = 201, description = "Raised", body = TicketDto)))]
async fn create_ticket(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<TicketCreate>,
) -> Result<(StatusCode, Json<TicketDto>), Problem> {
    let input = TicketInput {
        title: body.title,
        description: body.description,
        category: body.category,
        priority: body.priority.map(Priority::from),
        tags: body.tags,
        custom_fields: body.custom_fields,
    };
    let t = state.desk().create_ticket(&auth.actor, input).await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

/// Searches tickets (customers see only their own).
#[utoipa::path(get, path = "/tickets", tag = "tickets", security(("bearer" = [])),
    params(TicketFilters), responses((status = 200, description = "A page of tickets", body = Page<TicketDto>)))]
async fn list_tickets(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(filters): ApiQuery<TicketFilters>,
) -> Result<Json<Page<TicketDto>>, Problem> {
    let query = filters.into_query(auth.user_id)?;
    let page = state.desk().list_tickets(&auth.actor, query).await?;
    Ok(Json(Page::from_core(page, TicketDto::from)))
}

/// Reads several tickets at once, in the order asked; those absent or not visible to
/// the caller are left out.
#[utoipa::path(get, path = "/tickets/batch", tag = "tickets", security(("bearer" = [])),
    params(BatchParams), responses((status = 200, description = "The tickets", body = TicketList)))]
async fn get_batch(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(params): ApiQuery<BatchParams>,
) -> Result<Json<TicketList>, Problem> {
    let mut ids = Vec::new();
    for (i, raw) in split(&params.ids).enumerate() {
        let id = raw
            .parse::<TicketId>()
            .map_err(|_| Problem::invalid(format!("ids[{i}]"), "is not a ticket id"))?;
        ids.push(id);
    }
    let tickets = state.desk().get_tickets(&auth.actor, &ids).await?;
    Ok(Json(TicketList {
        items: tickets.into_iter().map(TicketDto::from).collect(),
    }))
}

/// One ticket.
#[utoipa::path(get, path = "/tickets/{id}", tag = "tickets", security(("bearer" = [])),
    params(TicketPath), responses((status = 200, description = "The ticket", body = TicketDto)))]
async fn get_ticket(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TicketPath>,
) -> Result<Json<TicketDto>, Problem> {
    let t = state
        .desk()
        .get_ticket(&auth.actor, TicketId::from_uuid(p.id))
        .await?;
    Ok(Json(t.into()))
}

/// Changes a ticket's fields.
#[utoipa::path(patch, path = "/tickets/{id}", tag = "tickets", security(("bearer" = [])),
    params(TicketPath), request_body = TicketPatchBody,
    responses((status = 200, description = "Changed", body = TicketDto)))]
async fn update_ticket(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TicketPath>,
    ApiJson(body): ApiJson<TicketPatchBody>,
) -> Result<Json<TicketDto>, Problem> {
    let patch = TicketPatch {
        title: body.title,
        description: body.description,
        priority: body.priority.map(Priority::from),
        category: body.category,
        tags: body.tags,
        custom_fields: body.custom_fields,
    };
    let t = state
        .desk()
        .update_ticket(&auth.actor, TicketId::from_uuid(p.id), patch, body.version)
        .await?;
    Ok(Json(t.into()))
}

/// Deletes a ticket (its history stays for audit).
#[utoipa::path(delete, path = "/tickets/{id}", tag = "tickets", security(("bearer" = [])),
    params(TicketPath), responses((status = 204, description = "Deleted")))]
async fn delete_ticket(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TicketPath>,
) -> Result<StatusCode, Problem> {
    state
        .desk()
        .delete_ticket(&auth.actor, TicketId::from_uuid(p.id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Moves a ticket through the workflow, optionally with a public comment.
#[utoipa::path(post, path = "/tickets/{id}/transition", tag = "tickets", security(("bearer" = [])),
    params(TicketPath), request_body = TransitionBody,
    responses((status = 200, description = "Moved", body = TicketDto)))]
async fn transition(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TicketPath>,
    ApiJson(body): ApiJson<TransitionBody>,
) -> Result<Json<TicketDto>, Problem> {
    let t = state
        .desk()
        .transition(
            &auth.actor,
            TicketId::from_uuid(p.id),
            &body.status,
            body.comment.filter(|c| !c.trim().is_empty()),
        )
        .await?;
    Ok(Json(t.into()))
}

/// Assigns a ticket to an agent and/or a team (`null` unassigns).
#[utoipa::path(post, path = "/tickets/{id}/assign", tag = "tickets", security(("bearer" = [])),
    params(TicketPath), request_body = AssignBody,
    responses((status = 200, description = "Assigned", body = TicketDto)))]
async fn assign(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TicketPath>,
    ApiJson(body): ApiJson<AssignBody>,
) -> Result<Json<TicketDto>, Problem> {
    let input = AssignInput {
        assignee: body.assignee_id.map(|o| o.map(UserId::from_uuid)),
        team: body.team_id.map(|o| o.map(TeamId::from_uuid)),
    };
    let t = state
        .desk()
        .assign(&auth.actor, TicketId::from_uuid(p.id), input)
        .await?;
    Ok(Json(t.into()))
}

/// The caller takes an unassigned ticket (409 when someone holds it).
#[utoipa::path(post, path = "/tickets/{id}/claim", tag = "tickets", security(("bearer" = [])),
    params(TicketPath), responses((status = 200, description = "Claimed", body = TicketDto)))]
async fn claim(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TicketPath>,
) -> Result<Json<TicketDto>, Problem> {
    let t = state
        .desk()
        .claim(&auth.actor, TicketId::from_uuid(p.id))
        .await?;
    Ok(Json(t.into()))
}

/// The history of a ticket, oldest first (customers see the events meant for them).
#[utoipa::path(get, path = "/tickets/{id}/history", tag = "tickets", security(("bearer" = [])),
    params(TicketPath, PageParams),
    responses((status = 200, description = "A page of events", body = Page<EventDto>)))]
async fn history(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TicketPath>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<Page<EventDto>>, Problem> {
    let events = state
        .desk()
        .history(&auth.actor, TicketId::from_uuid(p.id))
        .await?;
    let dtos = events
        .iter()
        .map(EventDto::from_core)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(paginate(dtos, &page, |e| e.id, |e| e)?))
}

/// The SLA state of a ticket now.
#[utoipa::path(get, path = "/tickets/{id}/sla", tag = "tickets", security(("bearer" = [])),
    params(TicketPath), responses((status = 200, description = "The SLA state", body = TicketSlaResponse)))]
async fn sla(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TicketPath>,
) -> Result<Json<TicketSlaResponse>, Problem> {
    let status = state
        .desk()
        .sla_status(&auth.actor, TicketId::from_uuid(p.id))
        .await?;
    let sla: Option<SlaStatusDto> = status.as_ref().map(to_dto).transpose()?;
    Ok(Json(TicketSlaResponse {
        ticket_id: p.id,
        sla,
    }))
}

/// Hands tickets to a team: each gets the team, and the team is notified (members
/// in-app, the team's webhook).
#[utoipa::path(post, path = "/tickets/distribute", tag = "tickets", security(("bearer" = [])),
    request_body = DistributeBody,
    responses((status = 200, description = "The distributed tickets", body = TicketList)))]
async fn distribute(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<DistributeBody>,
) -> Result<Json<TicketList>, Problem> {
    let ids: Vec<TicketId> = body
        .ticket_ids
        .into_iter()
        .map(TicketId::from_uuid)
        .collect();
    let tickets = state
        .desk()
        .distribute(&auth.actor, &ids, TeamId::from_uuid(body.team_id))
        .await?;
    Ok(Json(TicketList {
        items: tickets.into_iter().map(TicketDto::from).collect(),
    }))
}

/// Notifies a team, a user, a third-party webhook or an e-mail address about a ticket
/// (delivered through the outbox).
#[utoipa::path(post, path = "/tickets/{id}/notify", tag = "tickets", security(("bearer" = [])),
    params(TicketPath), request_body = NotifyBody,
    responses((status = 202, description = "Queued")))]
async fn notify(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TicketPath>,
    ApiJson(body): ApiJson<NotifyBody>,
) -> Result<StatusCode, Problem> {
    let given = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    let (webhook_url, email) = (given(body.webhook_url), given(body.email));
    let mut recipients = Vec::new();
    if let Some(team_id) = body.team_id {
        recipients.push(Recipient::Team {
            team_id: TeamId::from_uuid(team_id),
        });
    }
    if let Some(user_id) = body.user_id {
        recipients.push(Recipient::User {
            user_id: UserId::from_uuid(user_id),
        });
    }
    if let Some(url) = webhook_url {
        recipients.push(Recipient::Webhook { url });
    }
    if let Some(email) = email {
        let address = Email::parse(&email)
            .map_err(|_| Problem::invalid("email", "is not an e-mail address"))?;
        recipients.push(Recipient::Email { address });
    }
    let [recipient] = <[Recipient; 1]>::try_from(recipients).map_err(|_| {
        Problem::invalid(
            "recipient",
            "give exactly one of team_id, user_id, webhook_url and email",
        )
    })?;
    state
        .desk()
        .notify(
            &auth.actor,
            TicketId::from_uuid(p.id),
            recipient,
            &body.message,
        )
        .await?;
    Ok(StatusCode::ACCEPTED)
}
