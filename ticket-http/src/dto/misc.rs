//! Teams, FAQ entries, notifications, deliveries and statistics on the wire.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ticket_core::notify::{Channel, DeliveryStatus, Notification, OutboxEntry};
use ticket_core::query::Stats;
use ticket_core::team::{Faq, Team};
use utoipa::ToSchema;
use uuid::Uuid;

/// A team of agents (its webhook secret is write-only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Team)]
pub struct TeamDto {
    /// Its id.
    pub id: Uuid,
    /// Name (unique, case-insensitively).
    pub name: String,
    /// What the team does.
    pub description: String,
    /// The team's own system, called for tickets distributed or notified to it.
    pub webhook_url: Option<String>,
    /// Whether webhook calls are signed (the secret is never shown).
    pub has_webhook_secret: bool,
    /// The staff members of the team.
    pub member_ids: Vec<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: u64,
}

impl TeamDto {
    /// Converts a core team with its members.
    #[must_use]
    pub fn new(t: Team, member_ids: Vec<Uuid>) -> Self {
        Self {
            id: t.id.as_uuid(),
            name: t.name.to_string(),
            description: t.description,
            webhook_url: t.webhook_url,
            has_webhook_secret: t.webhook_secret.is_some(),
            member_ids,
            created_at: t.created_at,
            updated_at: t.updated_at,
            version: t.version,
        }
    }
}

/// A FAQ entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Faq)]
pub struct FaqDto {
    /// Its id.
    pub id: Uuid,
    /// The question.
    pub question: String,
    /// The answer.
    pub answer: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Faq> for FaqDto {
    fn from(f: Faq) -> Self {
        Self {
            id: f.id.as_uuid(),
            question: f.question,
            answer: f.answer,
            tags: f.tags.iter().map(ToString::to_string).collect(),
            updated_at: f.updated_at,
        }
    }
}

/// Why a notification was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = NotificationKind)]
pub enum NotificationKindDto {
    /// A ticket was raised.
    TicketCreated,
    /// A ticket was assigned to you.
    TicketAssigned,
    /// A ticket changed.
    TicketUpdated,
    /// A comment was added.
    CommentAdded,
    /// An SLA target is about to be breached.
    SlaWarning,
    /// An SLA target was breached.
    SlaBreached,
    /// A ticket was escalated.
    Escalated,
    /// A ticket was distributed to a team.
    Distributed,
    /// A message about a ticket.
    Message,
    /// An e-mail verification link.
    VerifyEmail,
    /// A password reset link.
    PasswordReset,
    /// Welcome to a new account.
    Welcome,
    /// An FAQ answer suggested on a new ticket.
    DeflectionAnswer,
    /// A webhook endpoint was disabled (gone, or failing too long).
    EndpointDisabled,
}

/// An in-app notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Notification)]
pub struct NotificationDto {
    /// Its id.
    pub id: Uuid,
    /// The ticket it is about.
    pub ticket_id: Option<Uuid>,
    /// Why.
    pub kind: NotificationKindDto,
    /// The text.
    pub message: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// When it was read; `null` while unread.
    pub read_at: Option<DateTime<Utc>>,
}

impl NotificationDto {
    /// Converts a core notification.
    ///
    /// # Errors
    /// A 500 problem if the kind mirror is out of date (a bug).
    pub fn from_core(n: Notification) -> Result<Self, crate::Problem> {
        Ok(Self {
            id: n.id.as_uuid(),
            ticket_id: n.ticket_id.map(|t| t.as_uuid()),
            kind: super::to_dto(&n.kind)?,
            message: n.message,
            created_at: n.created_at,
            read_at: n.read_at,
        })
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = DeliveryStatus)]
pub enum DeliveryStatusDto {
    /// Waiting for its next attempt.
    Pending,
    /// Claimed by a relay worker.
    InFlight,
    /// Delivered.
    Delivered,
    /// Gave up; an admin may retry it.
    Dead,
}

impl From<DeliveryStatus> for DeliveryStatusDto {
    fn from(s: DeliveryStatus) -> Self {
        match s {
            DeliveryStatus::Pending => Self::Pending,
            DeliveryStatus::InFlight => Self::InFlight,
            DeliveryStatus::Delivered => Self::Delivered,
            DeliveryStatus::Dead => Self::Dead,
        }
    }
}

impl From<DeliveryStatusDto> for DeliveryStatus {
    fn from(s: DeliveryStatusDto) -> Self {
        match s {
            DeliveryStatusDto::Pending => Self::Pending,
            DeliveryStatusDto::InFlight => Self::InFlight,
            DeliveryStatusDto::Delivered => Self::Delivered,
            DeliveryStatusDto::Dead => Self::Dead,
        }
    }
}

/// How a delivery travels (without secrets or e-mail bodies, which may hold one-time
/// tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[schema(as = DeliveryChannel)]
pub enum ChannelDto {
    /// A signed JSON POST.
    Webhook {
        /// The URL.
        url: String,
        /// Whether the call is signed.
        signed: bool,
    },
    /// An e-mail.
    Email {
        /// To.
        to: String,
        /// Subject.
        subject: String,
    },
}

impl From<&Channel> for ChannelDto {
    fn from(c: &Channel) -> Self {
        match c {
            Channel::Webhook { url, secret } => Self::Webhook {
                url: url.clone(),
                signed: secret.is_some(),
            },
            Channel::Email { to, subject, .. } => Self::Email {
                to: to.to_string(),
                subject: subject.clone(),
            },
        }
    }
}

/// One outbound delivery (webhook call, e-mail) of the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = Delivery)]
pub struct DeliveryDto {
    /// Its id.
    pub id: Uuid,
    /// The ticket it is about.
    pub ticket_id: Option<Uuid>,
    /// Why.
    pub kind: NotificationKindDto,
    /// How.
    pub channel: ChannelDto,
    /// Sent with every attempt so receivers can drop duplicates.
    pub idempotency_key: String,
    /// Where it stands.
    pub status: DeliveryStatusDto,
    /// Attempts made.
    pub attempts: u32,
    /// Attempts allowed before it is dead-lettered.
    pub max_attempts: u32,
    /// When it may next be attempted.
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The latest attempts, oldest first (at most 20).
    pub log: Vec<super::deliveries::DeliveryAttemptDto>,
}

impl DeliveryDto {
    /// Converts a core outbox entry.
    ///
    /// # Errors
    /// A 500 problem if the kind mirror is out of date (a bug).
    pub fn from_core(e: OutboxEntry) -> Result<Self, crate::Problem> {
        Ok(Self {
            id: e.id.as_uuid(),
            ticket_id: e.ticket_id.map(|t| t.as_uuid()),
            kind: super::to_dto(&e.kind)?,
            channel: ChannelDto::from(&e.channel),
            idempotency_key: e.idempotency_key,
            status: e.status.into(),
            attempts: e.attempts,
            max_attempts: e.max_attempts,
            next_attempt_at: e.next_attempt_at,
            last_error: e.last_error,
            created_at: e.created_at,
            delivered_at: e.delivered_at,
            log: e.log.into_iter().map(Into::into).collect(),
        })
    }
}

/// SLA outcome counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SlaStatsDto {
    /// Solved or closed without any breach.
    pub met: u64,
    /// Breached at least once.
    pub breached: u64,
    /// Open, not breached, inside a warning window.
    pub at_risk: u64,
}

/// FAQ deflection: answers proposed, confirmed and rejected by the requesters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeflectionStatsDto {
    /// FAQ answers proposed.
    pub suggested: u64,
    /// Answers the requester confirmed (deflected tickets).
    pub confirmed: u64,
    /// Answers the requester rejected (reopened tickets).
    pub rejected: u64,
    /// Confirmed ÷ proposed (0 when none was proposed).
    pub deflection_rate: f64,
    /// Rejected ÷ proposed (0 when none was proposed).
    pub reopen_rate: f64,
}

/// Open tickets held by one agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AgentLoadDto {
    /// The agent.
    pub user_id: Uuid,
    /// Open tickets assigned to them.
    pub open: u64,
}

/// Desk statistics over the tickets created in the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = Stats)]
pub struct StatsDto {
    /// Tickets in scope.
    pub total: u64,
    /// Of which open work.
    pub open: u64,
    /// Count per status.
    pub by_status: BTreeMap<String, u64>,
    /// Count per priority.
    pub by_priority: BTreeMap<String, u64>,
    /// Count per category.
    pub by_category: BTreeMap<String, u64>,
    /// Tickets per day over the window.
    pub average_per_day: f64,
    /// SLA outcomes.
    pub sla: SlaStatsDto,
    /// Open tickets per assignee, most loaded first.
    pub agent_load: Vec<AgentLoadDto>,
    /// FAQ deflection.
    pub deflection: DeflectionStatsDto,
}

impl From<Stats> for StatsDto {
    fn from(s: Stats) -> Self {
        Self {
            total: s.total,
            open: s.open,
            by_status: s.by_status,
            by_priority: s.by_priority,
            by_category: s.by_category,
            average_per_day: s.average_per_day,
            sla: SlaStatsDto {
                met: s.sla.met,
                breached: s.sla.breached,
                at_risk: s.sla.at_risk,
            },
            agent_load: s
                .agent_load
                .into_iter()
                .map(|a| AgentLoadDto {
                    user_id: a.user_id.as_uuid(),
                    open: a.open,
                })
                .collect(),
            deflection: DeflectionStatsDto {
                suggested: s.deflection.suggested,
                confirmed: s.deflection.confirmed,
                rejected: s.deflection.rejected,
                deflection_rate: s.deflection.deflection_rate(),
                reopen_rate: s.deflection.reopen_rate(),
            },
        }
    }
}

/// How many items an operation touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CountDto {
    /// How many.
    pub count: u64,
}
