//! `/tickets`: raise, read, search, change, move through the workflow, assign, claim,
//! distribute, notify and delete tickets; their history and SLA state.

use crate::dto::events::EventDto;
use crate::dto::tickets::{SlaStatusDto, TicketDto, TicketPreviewDto, TicketSlaResponse};
use crate::dto::to_dto;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::page::{Page, PageParams};
use crate::problem::Problem;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use ticket_core::desk::AssignInput;
use ticket_core::id::{TeamId, TicketId, UserId};
use ticket_core::notify::Recipient;
use ticket_core::query::check_limit;
use ticket_core::text::Email;
use ticket_core::ticket::{Priority, TicketPatch};
mod params;

pub use params::*;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The ticket routes (comments live in [`crate::comments`]).
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_ticket, list_tickets))
        .routes(routes!(get_batch))
        .routes(routes!(classify))
        .routes(routes!(distribute))
        .routes(routes!(get_ticket, update_ticket, delete_ticket))
        .routes(routes!(transition))
        .routes(routes!(assign))
        .routes(routes!(claim))
        .routes(routes!(history))
        .routes(routes!(sla))
        .routes(routes!(notify))
}

/// Raises a ticket for the caller.
#[utoipa::path(post, path = "/tickets", tag = "tickets", security(("bearer" = [])),
    request_body = TicketCreate, responses((status = 201, description = "Raised", body = TicketDto)))]
async fn create_ticket(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<TicketCreate>,
) -> Result<(StatusCode, Json<TicketDto>), Problem> {
    let t = state.desk().create_ticket(&auth.actor, body.into()).await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

/// What raising this ticket would decide — category, priority and tags after
/// classification, and the FAQ answer it would get — without raising it.
#[utoipa::path(post, path = "/tickets/classify", tag = "tickets", security(("bearer" = [])),
    request_body = TicketCreate,
    responses((status = 200, description = "The decisions", body = TicketPreviewDto)))]
async fn classify(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<TicketCreate>,
) -> Result<Json<TicketPreviewDto>, Problem> {
    let preview = state
        .desk()
        .preview_ticket(&auth.actor, body.into())
        .await?;
    Ok(Json(preview.into()))
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

/// A page of the history of a ticket, oldest first (customers see the events meant for
/// them), read from the store a page at a time.
#[utoipa::path(get, path = "/tickets/{id}/history", tag = "tickets", security(("bearer" = [])),
    params(TicketPath, PageParams),
    responses((status = 200, description = "A page of events", body = Page<EventDto>)))]
async fn history(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(p): ApiPath<TicketPath>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<Page<EventDto>>, Problem> {
    let limit = check_limit(page.limit)?;
    let events = state
        .desk()
        .history_page(
            &auth.actor,
            TicketId::from_uuid(p.id),
            limit,
            page.cursor.as_deref(),
        )
        .await?;
    let items = events
        .items
        .iter()
        .map(EventDto::from_core)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(Page {
        items,
        next_cursor: events.next_cursor,
    }))
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
