//! Building one ticket change: the ticket before and after, the events that describe the
//! difference, and the comments, notifications and deliveries that go with it. The one
//! place where edits become history.

use super::picks::Reservation;
use super::sla_config::TenantConfig;
use crate::event::{AuthorKind, EventKind, TicketEvent};
use crate::id::{CommentId, EventId, NotificationId, UserId};
use crate::notify::{Channel, Notification, NotificationKind, OutboxEntry};
use crate::ports::{CapacityCheck, TicketChange};
use crate::text::CommentBody;
use crate::ticket::{Comment, Ticket, Visibility};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// A ticket change in the making.
pub(crate) struct Draft {
    /// The ticket as stored (`None` while creating).
    expected_version: Option<u64>,
    /// The state the recorded events describe so far.
    recorded: Ticket,
    /// The assignee as stored (`None` while creating).
    stored_assignee: Option<UserId>,
    /// The ticket being changed.
    pub ticket: Ticket,
    pub now: DateTime<Utc>,
    pub comments: Vec<Comment>,
    pub events: Vec<TicketEvent>,
    pub notifications: Vec<Notification>,
    pub outbox: Vec<OutboxEntry>,
    /// Agents picked for this change, held until it is stored (or dropped).
    pub reservations: Vec<Reservation>,
    /// Why the assignee changed, given to the next recorded `Assigned` event.
    pub assign_reason: Option<String>,
    /// The capacity routing holds its pick to, checked by the store in the save.
    pub capacity: Option<CapacityCheck>,
    /// Whether a full agent fails the change (the queue processor tries another agent)
    /// instead of storing it without the pick (a create must not be lost).
    pub strict_capacity: bool,
    /// The tenant's rules and SLA configuration when the caller read them already (the
    /// sweep reads them once per tenant); `None` reads them from the store.
    pub config: Option<Arc<TenantConfig>>,
}

impl Draft {
    /// A change to a stored ticket.
    pub fn update(ticket: Ticket, now: DateTime<Utc>) -> Self {
        Self {
            expected_version: Some(ticket.version),
            recorded: ticket.clone(),
            stored_assignee: ticket.assignee,
            ticket,
            now,
            comments: Vec::new(),
            events: Vec::new(),
            notifications: Vec::new(),
            outbox: Vec::new(),
            reservations: Vec::new(),
            assign_reason: None,
            capacity: None,
            strict_capacity: false,
            config: None,
        }
    }

    /// A new ticket: records its `Created` event.
    pub fn create(ticket: Ticket, actor: Option<UserId>, now: DateTime<Utc>) -> Self {
        let mut d = Self::update(ticket, now);
        d.expected_version = None;
        d.stored_assignee = None;
        let kind = EventKind::Created {
            status: d.ticket.status.clone(),
            priority: d.ticket.priority,
            category: d.ticket.category.clone(),
        };
        d.event(actor, kind);
        d
    }

    /// Appends an event.
    pub fn event(&mut self, actor: Option<UserId>, kind: EventKind) {
        self.events.push(TicketEvent {
            id: EventId::new(),
            tenant: self.ticket.tenant,
            ticket_id: self.ticket.id,
            actor,
            at: self.now,
            requester: self.ticket.requester,
            kind,
        });
    }

    /// Records, as done by `actor`, every difference between the last recorded state and
    /// the ticket now.
    pub fn record(&mut self, actor: Option<UserId>) {
        for mut kind in diff(&self.recorded, &self.ticket) {
            if let EventKind::Assigned { reason, .. } = &mut kind {
                *reason = self.assign_reason.take();
            }
            self.event(actor, kind);
        }
        self.recorded = self.ticket.clone();
    }

    /// Adds a comment and its event.
    pub fn comment(
        &mut self,
        author: Option<UserId>,
        kind: AuthorKind,
        visibility: Visibility,
        body: CommentBody,
    ) -> CommentId {
        let id = CommentId::new();
        self.comments.push(Comment {
            id,
            tenant: self.ticket.tenant,
            ticket_id: self.ticket.id,
            author,
            visibility,
            body,
            created_at: self.now,
        });
        self.event(
            author,
            EventKind::Commented {
                comment_id: id,
                visibility,
                author: kind,
            },
        );
        id
    }

    /// An in-app notification to `user`, unless `user` is the one acting.
    pub fn notify_user(
        &mut self,
        user: UserId,
        actor: Option<UserId>,
        kind: NotificationKind,
        message: String,
    ) {
        if Some(user) == actor
            || self
                .notifications
                .iter()
                .any(|n| n.user_id == user && n.kind == kind)
        {
            return;
        }
        self.notifications.push(Notification {
            id: NotificationId::new(),
            tenant: self.ticket.tenant,
            user_id: user,
            ticket_id: Some(self.ticket.id),
            kind,
            message,
            created_at: self.now,
            read_at: None,
        });
    }

    /// An outbound delivery about this ticket.
    pub fn deliver(
        &mut self,
        kind: NotificationKind,
        channel: Channel,
        message: &str,
        max_attempts: u32,
    ) {
        let payload = webhook_payload(&self.ticket, kind, message, self.now);
        self.outbox.push(OutboxEntry::new(
            self.ticket.tenant,
            Some(self.ticket.id),
            kind,
            channel,
            payload,
            max_attempts,
            self.now,
        ));
    }

    /// How many events, comments, notifications and deliveries the change holds so far:
    /// equal before and after a step when the step added none.
    pub fn written(&self) -> [usize; 4] {
        [
            self.events.len(),
            self.comments.len(),
            self.notifications.len(),
            self.outbox.len(),
        ]
    }

    /// The assignee as stored before this change.
    pub fn assignee_before(&self) -> Option<UserId> {
        self.stored_assignee
    }

    /// Whether this draft creates the ticket.
    pub fn is_new(&self) -> bool {
        self.expected_version.is_none()
    }

    /// Whether the change has events after the initial state (something happened).
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// The change to store: version and `updated_at` advance.
    pub fn finish(mut self) -> TicketChange {
        if let Some(v) = self.expected_version {
            self.ticket.version = v + 1;
            self.ticket.updated_at = self.now;
        }
        // Only while the pick is still the assignee (a later rule may have changed it).
        let assignee = self.ticket.assignee;
        let capacity = self.capacity.filter(|c| assignee == Some(c.agent));
        TicketChange {
            ticket: self.ticket,
            expected_version: self.expected_version,
            comments: self.comments,
            events: self.events,
            notifications: self.notifications,
            outbox: self.outbox,
            capacity,
            publish_events: false,
        }
    }
}

/// `change` without its routed pick: the assignee it had before (`before`), no
/// `Assigned` event or assignment notification for the agent, no capacity check. What a
/// change stores when another instance took the agent's last slot first.
pub(crate) fn without_pick(mut change: TicketChange, before: Option<UserId>) -> TicketChange {
    let Some(check) = change.capacity.take() else {
        return change;
    };
    change.ticket.assignee = before;
    if before.is_none() {
        change.ticket.assigned_at = None;
    }
    change.events.retain(
        |e| !matches!(e.kind, EventKind::Assigned { to: Some(to), .. } if to == check.agent),
    );
    change.notifications.retain(|n| {
        !(n.user_id == check.agent && n.kind == crate::notify::NotificationKind::TicketAssigned)
    });
    change
}

/// The JSON body of a webhook about a ticket.
pub(crate) fn webhook_payload(
    ticket: &Ticket,
    kind: NotificationKind,
    message: &str,
    at: DateTime<Utc>,
) -> serde_json::Value {
    serde_json::json!({
        "kind": kind,
        "message": message,
        "sent_at": at,
        "ticket": {
            "id": ticket.id,
            "title": ticket.title,
            "description": ticket.description,
            "status": ticket.status,
            "priority": ticket.priority,
            "category": ticket.category,
            "tags": ticket.tags,
            "team": ticket.team,
            "assignee": ticket.assignee,
            "requester": ticket.requester,
            "created_at": ticket.created_at,
            "updated_at": ticket.updated_at,
        }
    })
}

/// The events that describe going from `a` to `b`.
fn diff(a: &Ticket, b: &Ticket) -> Vec<EventKind> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    if a.title != b.title {
        fields.push("title".to_string());
    }
    if a.description != b.description {
        fields.push("description".to_string());
    }
    if a.custom_fields != b.custom_fields {
        fields.push("custom_fields".to_string());
    }
    if !fields.is_empty() {
        out.push(EventKind::FieldsChanged { fields });
    }
    if a.status != b.status {
        out.push(EventKind::StatusChanged {
            from: a.status.clone(),
            to: b.status.clone(),
            category: b.status_category,
        });
    }
    if a.priority != b.priority {
        out.push(EventKind::PriorityChanged {
            from: a.priority,
            to: b.priority,
        });
    }
    if a.category != b.category {
        out.push(EventKind::CategoryChanged {
            from: a.category.clone(),
            to: b.category.clone(),
        });
    }
    if a.tags != b.tags {
        let added = b
            .tags
            .iter()
            .filter(|t| !a.tags.contains(t))
            .cloned()
            .collect();
        let removed = a
            .tags
            .iter()
            .filter(|t| !b.tags.contains(t))
            .cloned()
            .collect();
        out.push(EventKind::TagsChanged { added, removed });
    }
    if a.team != b.team {
        out.push(EventKind::TeamChanged {
            from: a.team,
            to: b.team,
        });
    }
    if a.assignee != b.assignee {
        out.push(EventKind::Assigned {
            from: a.assignee,
            to: b.assignee,
            reason: None,
        });
    }
    out
}
