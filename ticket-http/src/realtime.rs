//! Realtime feeds of ticket events: `GET /events` (WebSocket) and `GET /events/sse`
//! (server-sent events). The access token comes in `Authorization: Bearer` or, for
//! clients that cannot set headers (browsers' `WebSocket`, `EventSource`), in
//! `?access_token=`.
//!
//! Each feed subscribes to the event bus once and sends each event as the same JSON
//! document as a `/tickets/{id}/history` item, only those the subscriber may see: same
//! tenant; staff (`TicketReadAll`) see every ticket, others only tickets they requested;
//! internal notes and staff bookkeeping only with `TicketInternal`
//! ([`ticket_core::event::visible_to_requester`] is the rule). The account is read
//! again every [`crate::RealtimeConfig::revalidate`], so a role change or deletion takes
//! effect; the feed ends when the access token expires, and when the server shuts down.
//! A slow subscriber misses events rather than hold anyone up.
//!
//! Memory stays bounded whatever clients do: feeds open at once are capped overall
//! ([`crate::RealtimeConfig::max_feeds`]) and per user
//! ([`crate::RealtimeConfig::max_feeds_per_user`]), beyond which the answer is 429
//! `too_many_feeds`; a WebSocket message or frame from a client larger than
//! [`crate::RealtimeConfig::max_message_bytes`] (64 KiB) ends the connection.

use crate::dto::events::EventDto;
use crate::extract::{bearer, ApiQuery, Auth};
use crate::problem::Problem;
use crate::state::AppState;
use crate::ServerClosing;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt as _, StreamExt as _};
use serde::Deserialize;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use ticket_core::account::Role;
use ticket_core::event::{visible_to_requester, TicketEvent};
use ticket_core::id::{TenantId, UserId};
use ticket_core::ports::EventStream;
use ticket_core::rbac::Permission;
use tokio::sync::{mpsc, watch};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The realtime routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(websocket))
        .routes(routes!(sse))
}

/// Events buffered per feed before a slow subscriber starts missing some.
const BUFFER: usize = 256;

/// WebSocket close code when the access token expired or the account is gone.
const CLOSE_POLICY: u16 = 1008;
/// WebSocket close code when the server shuts down.
const CLOSE_GOING_AWAY: u16 = 1001;

/// The token of clients that cannot send headers.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// The access token, when it cannot be sent in `Authorization`.
    pub access_token: Option<String>,
}

/// The feeds open at once, overall and per user, within the configured caps.
#[derive(Debug)]
pub(crate) struct FeedSlots {
    max: usize,
    per_user: usize,
    open: Mutex<(usize, HashMap<UserId, usize>)>,
}

impl FeedSlots {
    /// Slots for `config`.
    pub(crate) fn new(config: &crate::RealtimeConfig) -> Result<Self, crate::Error> {
        if config.max_feeds == 0 || config.max_feeds_per_user == 0 || config.max_message_bytes == 0
        {
            return Err(crate::Error::Config(
                "realtime limits (feeds, feeds per user, message bytes) must be above zero".into(),
            ));
        }
        Ok(Self {
            max: config.max_feeds,
            per_user: config.max_feeds_per_user,
            open: Mutex::new((0, HashMap::new())),
        })
    }

    /// Takes a slot for `user`, or says why not.
    fn take(state: &AppState, user: UserId) -> Result<FeedSlot, Problem> {
        let slots = state.feeds();
        let mut open = slots.open.lock().unwrap_or_else(PoisonError::into_inner);
        let (total, users) = &mut *open;
        let mine = users.get(&user).copied().unwrap_or(0);
        let refuse =
            |detail: &str| Problem::new(StatusCode::TOO_MANY_REQUESTS, "too_many_feeds", detail);
        if mine >= slots.per_user {
            return Err(refuse(
                "you have as many realtime feeds open as allowed: close one",
            ));
        }
        if *total >= slots.max {
            return Err(refuse(
                "this server has as many realtime feeds open as it takes",
            ));
        }
        *total += 1;
        users.insert(user, mine + 1);
        drop(open);
        state.metrics().realtime(1);
        Ok(FeedSlot {
            state: state.clone(),
            user,
        })
    }

    fn release(&self, user: UserId) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let (total, users) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(n) = users.get_mut(&user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                users.remove(&user);
            }
        }
    }
}

/// An open feed's slot (and its count in the open-feed gauge), given back when dropped.
struct FeedSlot {
    state: AppState,
    user: UserId,
}

impl Drop for FeedSlot {
    fn drop(&mut self) {
        self.state.feeds().release(self.user);
        self.state.metrics().realtime(-1);
    }
}

/// What a subscriber may see, from their role as stored now.
#[derive(Debug, Clone, Copy)]
struct Viewer {
    tenant: TenantId,
    user: UserId,
    all_tickets: bool,
    own_tickets: bool,
    internal: bool,
}

impl Viewer {
    fn new(state: &AppState, tenant: TenantId, user: UserId, role: Option<Role>) -> Self {
        let policy = &state.desk().config().policy;
        let allows = |p| role.is_some_and(|r| policy.allows(r, p));
        Self {
            tenant,
            user,
            all_tickets: allows(Permission::TicketReadAll),
            own_tickets: allows(Permission::TicketOwn),
            internal: allows(Permission::TicketInternal),
        }
    }

    fn sees(&self, e: &TicketEvent) -> bool {
        e.tenant == self.tenant
            && (self.all_tickets || (self.own_tickets && e.requester == self.user))
            && (self.internal || visible_to_requester(&e.kind))
    }
}

/// What a feed task hands to its transport.
enum Item {
    Event(Box<EventDto>),
    End { code: u16, reason: &'static str },
}

/// An authenticated subscription, ready to be served.
struct Feed {
    state: AppState,
    auth: Auth,
    events: EventStream,
    closing: Vec<watch::Receiver<bool>>,
    slot: FeedSlot,
}

impl FromRequestParts<AppState> for Feed {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let ApiQuery(params) = ApiQuery::<FeedParams>::from_request_parts(parts, state).await?;
        let token = bearer(parts)
            .map(str::to_string)
            .or(params.access_token)
            .ok_or_else(|| Problem::unauthenticated("send an access token"))?;
        let auth = Auth::from_token(state, &token).await?;
        let slot = FeedSlots::take(state, auth.user_id)?;
        let bus = state.event_bus().ok_or_else(|| {
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "realtime_unavailable",
                "this server has no event bus",
            )
        })?;
        let events = bus.subscribe().await?;
        let mut closing = vec![state.closing()];
        if let Some(ServerClosing(rx)) = parts.extensions.get::<ServerClosing>().cloned() {
            closing.push(rx);
        }
        Ok(Self {
            state: state.clone(),
            auth,
            events,
            closing,
            slot,
        })
    }
}

/// Resolves when any of the receivers turns `true`.
async fn any_closed(receivers: &mut [watch::Receiver<bool>]) {
    let waits = receivers
        .iter_mut()
        .map(|rx| Box::pin(async move { rx.wait_for(|c| *c).await.map(|_| ()) }));
    let _ = futures::future::select_all(waits).await;
}

fn until_expiry(expires_at: u64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Duration::from_secs(expires_at.saturating_sub(now))
}

impl Feed {
    /// Starts the task that filters the bus into a channel; the channel ends with an
    /// [`Item::End`] (expiry, revocation, shutdown) or when the bus ends.
    fn spawn(self) -> mpsc::Receiver<Item> {
        let (tx, rx) = mpsc::channel(BUFFER);
        let Feed {
            state,
            auth,
            mut events,
            mut closing,
            slot,
        } = self;
        tokio::spawn(async move {
            let _slot = slot;
            let tenant = auth.actor.tenant();
            let mut viewer = Viewer::new(&state, tenant, auth.user_id, auth.actor.role());
            let expiry = tokio::time::sleep(until_expiry(auth.expires_at));
            tokio::pin!(expiry);
            let mut revalidate = tokio::time::interval(state.config().realtime.revalidate);
            revalidate.tick().await;
            let end = loop {
                tokio::select! {
                    event = events.next() => {
                        let Some(event) = event else {
                            break Item::End { code: CLOSE_GOING_AWAY, reason: "the event bus closed" };
                        };
                        if !viewer.sees(&event) {
                            continue;
                        }
                        let Ok(dto) = EventDto::from_core(&event) else { continue };
                        match tx.try_send(Item::Event(Box::new(dto))) {
                            Ok(()) => {}
                            Err(mpsc::error::TrySendError::Full(_)) => {
                                state.metrics().add("ticket_realtime_dropped_total", 1);
                            }
                            Err(mpsc::error::TrySendError::Closed(_)) => return,
                        }
                    }
                    _ = revalidate.tick() => {
                        match state.desk().actor(tenant, auth.user_id).await {
                            Ok(actor) => viewer = Viewer::new(&state, tenant, auth.user_id, actor.role()),
                            Err(ticket_core::Error::Unauthenticated) => {
                                break Item::End { code: CLOSE_POLICY, reason: "the account is gone" };
                            }
                            Err(_) => {} // a store hiccup: keep the last known rights
                        }
                    }
                    () = &mut expiry => break Item::End { code: CLOSE_POLICY, reason: "the access token expired" },
                    () = any_closed(&mut closing) => break Item::End { code: CLOSE_GOING_AWAY, reason: "the server is shutting down" },
                    () = tx.closed() => return,
                }
            };
            let _ = tx.send(end).await;
        });
        rx
    }
}

/// A WebSocket feed of the ticket events the caller may see: one text message per event,
/// the same JSON document as a `/tickets/{id}/history` item. The token may also be sent
/// as `?access_token=`. The server closes with 1008 when the token expires and 1001 when
/// it shuts down.
#[utoipa::path(get, path = "/events", tag = "realtime", security(("bearer" = [])),
    params(FeedParams),
    responses((status = 101, description = "Switching to the WebSocket protocol")))]
async fn websocket(
    feed: Feed,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let Ok(ws) = ws else {
        return Problem::bad_request("this route speaks WebSocket: send an upgrade request")
            .into_response();
    };
    let config = feed.state.config().realtime;
    let items = feed.spawn();
    ws.max_message_size(config.max_message_bytes)
        .max_frame_size(config.max_message_bytes)
        .on_upgrade(move |socket| serve_socket(socket, items, config))
}

async fn serve_socket(
    socket: WebSocket,
    mut items: mpsc::Receiver<Item>,
    config: crate::RealtimeConfig,
) {
    let (mut tx, mut rx) = socket.split();
    let mut heartbeat = tokio::time::interval(config.heartbeat);
    heartbeat.tick().await;
    loop {
        tokio::select! {
            item = items.recv() => {
                let (code, reason) = match item {
                    Some(Item::Event(e)) => {
                        let Ok(text) = serde_json::to_string(&e) else { continue };
                        let sent = tokio::time::timeout(config.send_timeout, tx.send(Message::Text(text.into()))).await;
                        if !matches!(sent, Ok(Ok(()))) {
                            return; // gone, or too slow to keep
                        }
                        continue;
                    }
                    Some(Item::End { code, reason }) => (code, reason),
                    None => (CLOSE_GOING_AWAY, "the feed ended"),
                };
                let frame = CloseFrame { code, reason: reason.into() };
                let _ = tokio::time::timeout(config.send_timeout, tx.send(Message::Close(Some(frame)))).await;
                return;
            }
            msg = rx.next() => match msg {
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {} // pings are answered by the protocol layer; text is ignored
            },
            _ = heartbeat.tick() => {
                let ping = tokio::time::timeout(config.send_timeout, tx.send(Message::Ping(Vec::new().into()))).await;
                if !matches!(ping, Ok(Ok(()))) {
                    return;
                }
            }
        }
    }
}

/// A server-sent-events feed of the ticket events the caller may see: `event:` is the
/// event type, `id:` its id, `data:` the same JSON document as a
/// `/tickets/{id}/history` item. The token may also be sent as `?access_token=`. The
/// request must accept `text/event-stream` (as `EventSource` does; 406 otherwise, so
/// a client that reads whole bodies never waits on an endless stream). The stream ends
/// when the token expires and when the server shuts down.
#[utoipa::path(get, path = "/events/sse", tag = "realtime", security(("bearer" = [])),
    params(FeedParams),
    responses(
        (status = 200, description = "An endless text/event-stream of ticket events",
            body = String, content_type = "text/event-stream"),
        (status = 406, description = "The request does not accept `text/event-stream` (`not_acceptable`)",
            body = crate::problem::ProblemBody, content_type = "application/problem+json")))]
async fn sse(feed: Feed, headers: axum::http::HeaderMap) -> Response {
    let accepts = headers
        .get_all(axum::http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("text/event-stream"));
    if !accepts {
        return Problem::from_status(StatusCode::NOT_ACCEPTABLE).into_response();
    }
    let heartbeat = feed.state.config().realtime.heartbeat;
    let items = feed.spawn();
    let stream = futures::stream::unfold(items, |mut items| async move {
        match items.recv().await? {
            Item::Event(e) => {
                let event = SseEvent::default()
                    .event(kind_name(&e))
                    .id(e.id.to_string())
                    .json_data(&*e)
                    .unwrap_or_default();
                Some((Ok::<_, Infallible>(event), items))
            }
            Item::End { .. } => None,
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(heartbeat))
        .into_response()
}

fn kind_name(e: &EventDto) -> String {
    serde_json::to_value(&e.kind)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str().map(str::to_string)))
        .unwrap_or_else(|| "event".to_string())
}
