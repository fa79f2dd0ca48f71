//! Small builders of valid domain values, used by the conformance cases and reusable by
//! adapter authors in their own tests.
//!
//! Every instant a fixture makes is truncated to whole microseconds (what PostgreSQL
//! keeps), so a store that round-trips microseconds passes exact equality. Records are
//! plain structs with public fields: start from a fixture and change what matters with
//! struct update syntax (`Ticket { priority: Priority::High, ..fixtures::ticket(t, r) }`).

use crate::account::{
    AgentProfile, Availability, OneTimeToken, PasswordHash, Role, TokenPurpose, TokenSecret, User,
};
use crate::event::{EventKind, TicketEvent};
use crate::id::{
    CalendarId, CommentId, EventId, FaqId, NotificationId, RuleId, SlaPolicyId, TeamId, TenantId,
    TicketId, TokenId, UserId,
};
use crate::notify::{Channel, Notification, NotificationKind, OutboxEntry};
use crate::ports::TicketChange;
use crate::rules::{Action, Condition, Rule, Trigger};
use crate::sla::{BusinessCalendar, SlaCondition, SlaPolicy, SlaTargets, WeekHours, WorkInterval};
use crate::team::{Faq, Team};
use crate::text::{
    Category, CommentBody, CustomFields, Description, DisplayName, Email, Name, Status, Tag, Tags,
    Title, Username,
};
use crate::ticket::{Classification, Comment, Priority, Scored, Ticket, TicketSla, Visibility};
use crate::workflow::StatusCategory;
use chrono::{DateTime, Duration, NaiveDate, SubsecRound as _, TimeZone as _, Utc};
use std::collections::{BTreeMap, BTreeSet};

// Fixtures are test support: a value that does not parse is a bug in the fixture itself,
// so they panic with the reason rather than return errors.
mod parse {
    use super::*;

    pub(super) fn title(s: &str) -> Title {
        Title::parse(s).expect("fixture title")
    }
    pub(super) fn description(s: &str) -> Description {
        Description::parse(s).expect("fixture description")
    }
    pub(super) fn body(s: &str) -> CommentBody {
        CommentBody::parse(s).expect("fixture comment body")
    }
    pub(super) fn name(s: &str) -> Name {
        Name::parse(s).expect("fixture name")
    }
    pub(super) fn display_name(s: &str) -> DisplayName {
        DisplayName::parse(s).expect("fixture display name")
    }
    pub(super) fn email(s: &str) -> Email {
        Email::parse(s).expect("fixture e-mail")
    }
    pub(super) fn username(s: &str) -> Username {
        Username::parse_login(s).expect("fixture username")
    }
    pub(super) fn tag(s: &str) -> Tag {
        Tag::parse(s).expect("fixture tag")
    }
    pub(super) fn tags(list: &[&str]) -> Tags {
        Tags::parse(list).expect("fixture tags")
    }
    pub(super) fn category(s: &str) -> Category {
        Category::parse(s).expect("fixture category")
    }
    pub(super) fn custom_fields(map: BTreeMap<String, serde_json::Value>) -> CustomFields {
        CustomFields::parse(map).expect("fixture custom fields")
    }
}

/// A title. Panics when `s` is not a valid title.
#[must_use]
pub fn title(s: &str) -> Title {
    parse::title(s)
}

/// A description. Panics when `s` is not a valid description.
#[must_use]
pub fn description(s: &str) -> Description {
    parse::description(s)
}

/// A display name or entity name. Panics when `s` is not valid.
#[must_use]
pub fn name(s: &str) -> Name {
    parse::name(s)
}

/// An e-mail address. Panics when `s` is not valid.
#[must_use]
pub fn email(s: &str) -> Email {
    parse::email(s)
}

/// A username. Panics when `s` is not valid.
#[must_use]
pub fn username(s: &str) -> Username {
    parse::username(s)
}

/// A tag. Panics when `s` is not valid.
#[must_use]
pub fn tag(s: &str) -> Tag {
    parse::tag(s)
}

/// A tag set. Panics when a tag is not valid.
#[must_use]
pub fn tags(list: &[&str]) -> Tags {
    parse::tags(list)
}

/// A category. Panics when `s` is not valid.
#[must_use]
pub fn category(s: &str) -> Category {
    parse::category(s)
}

/// Truncates an instant to whole microseconds, the precision every store keeps.
#[must_use]
pub fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

/// The current time (of the system clock), truncated to microseconds.
#[must_use]
pub fn now() -> DateTime<Utc> {
    micros(DateTime::<Utc>::from(std::time::SystemTime::now()))
}

/// A fixed instant in the past (2001-02-03 04:05:06.123456 UTC) for cases that need
/// time they fully control.
#[must_use]
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2001, 2, 3, 4, 5, 6)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
        + Duration::microseconds(123_456)
}

/// A fresh, random tenant: cases use their own so a store shared between cases still
/// passes every tenant-scoped case.
#[must_use]
pub fn tenant() -> TenantId {
    TenantId::new()
}

/// The status name the fixtures use for a status category (the default workflow's:
/// `new`, `open`, `pending`, `resolved`, `closed`).
#[must_use]
pub fn status_name(category: StatusCategory) -> Status {
    Status::known(match category {
        StatusCategory::New => "new",
        StatusCategory::Open => "open",
        StatusCategory::Pending => "pending",
        StatusCategory::Solved => "resolved",
        StatusCategory::Closed => "closed",
    })
}

/// A customer `handle` (`handle@example.com`, username `handle`), created now.
/// `handle` must be a valid username (3–40 characters of `a-z`, `0-9`, `_`, `-`).
#[must_use]
pub fn user(tenant: TenantId, handle: &str) -> User {
    let now = now();
    User {
        id: UserId::new(),
        tenant,
        email: email(&format!("{handle}@example.com")),
        username: username(handle),
        name: parse::display_name(&format!("User {handle}")),
        role: Role::Customer,
        password_hash: Some(PasswordHash::from_phc(format!(
            "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$fixture-{handle}"
        ))),
        email_verified_at: None,
        agent: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
        version: 1,
        saved_views: Vec::new(),
    }
}

/// An online agent `handle` with a profile (capacity 10) in `teams`.
#[must_use]
pub fn agent(tenant: TenantId, handle: &str, teams: &[TeamId]) -> User {
    User {
        role: Role::Agent,
        agent: Some(AgentProfile {
            skills: tags(&["billing", "vpn"]),
            teams: teams.to_vec(),
            availability: Availability::Online,
            capacity: 10,
        }),
        ..user(tenant, handle)
    }
}

/// A new, unassigned, medium-priority `general` ticket of `requester`, created now.
#[must_use]
pub fn ticket(tenant: TenantId, requester: UserId) -> Ticket {
    ticket_at(tenant, requester, now())
}

/// Like [`ticket`], created (and last updated) at `at`.
#[must_use]
pub fn ticket_at(tenant: TenantId, requester: UserId, at: DateTime<Utc>) -> Ticket {
    Ticket {
        id: TicketId::new(),
        tenant,
        title: title("Printer on fire"),
        description: description("The office printer is on fire."),
        status: status_name(StatusCategory::New),
        status_category: StatusCategory::New,
        priority: Priority::Medium,
        category: Category::default(),
        tags: Tags::empty(),
        custom_fields: CustomFields::default(),
        requester,
        assignee: None,
        team: None,
        classification: None,
        sla: None,
        version: 1,
        created_at: micros(at),
        updated_at: micros(at),
        assigned_at: None,
        first_response_at: None,
        resolved_at: None,
        closed_at: None,
    }
}

/// Sets a ticket's status to the fixture status of `category` (see [`status_name`]).
#[must_use]
pub fn with_status(ticket: Ticket, category: StatusCategory) -> Ticket {
    Ticket {
        status: status_name(category),
        status_category: category,
        ..ticket
    }
}

/// An SLA snapshot under a fresh policy id, checking again at `next_check`.
#[must_use]
pub fn sla(next_check: Option<DateTime<Utc>>, at_risk: bool, breached: bool) -> TicketSla {
    TicketSla {
        policy_id: SlaPolicyId::new(),
        first_response_due: next_check,
        next_response_due: None,
        resolution_due: next_check.map(|at| at + Duration::hours(8)),
        next_check,
        at_risk,
        breached,
        replay: None,
    }
}

/// A ticket with every field set (tags, custom fields, classification, SLA snapshot and
/// every timestamp, with odd microseconds): the round-trip fixture.
#[must_use]
pub fn full_ticket(tenant: TenantId, requester: UserId, assignee: UserId, team: TeamId) -> Ticket {
    let base = now() - Duration::hours(3) + Duration::microseconds(1);
    let mut fields = BTreeMap::new();
    fields.insert("order_id".to_string(), serde_json::json!(4242));
    fields.insert("vip".to_string(), serde_json::json!(true));
    fields.insert("region".to_string(), serde_json::json!("eu-west"));
    fields.insert(
        "meta".to_string(),
        serde_json::json!({"ids": [1, 2, 3], "note": "ünïcödé", "nested": {"ok": null}}),
    );
    Ticket {
        title: title("VPN drops every hour – urgent"),
        description: description("Since Monday the VPN drops.\nLine two\twith a tab."),
        status: status_name(StatusCategory::Solved),
        status_category: StatusCategory::Solved,
        priority: Priority::High,
        category: category("technical"),
        tags: tags(&["vpn", "network", "urgent"]),
        custom_fields: parse::custom_fields(fields),
        assignee: Some(assignee),
        team: Some(team),
        classification: Some(Classification {
            category: Some(Scored {
                value: category("technical"),
                confidence: 0.75,
            }),
            priority: Some(Scored {
                value: Priority::High,
                confidence: 0.5,
            }),
            tags: vec![tag("vpn")],
            skills: vec![tag("networking")],
            abstained: vec![],
            model: "keywords".to_string(),
        }),
        sla: Some(TicketSla {
            policy_id: SlaPolicyId::new(),
            first_response_due: Some(base + Duration::minutes(30)),
            next_response_due: Some(base + Duration::minutes(90)),
            resolution_due: Some(base + Duration::hours(8)),
            next_check: Some(base + Duration::hours(6)),
            at_risk: true,
            breached: false,
            replay: None,
        }),
        version: 1,
        created_at: base,
        updated_at: base + Duration::microseconds(2_500_001),
        assigned_at: Some(base + Duration::minutes(5)),
        first_response_at: Some(base + Duration::minutes(20) + Duration::microseconds(7)),
        resolved_at: Some(base + Duration::hours(2)),
        closed_at: None,
        ..ticket(tenant, requester)
    }
}

/// A history entry of `ticket` at `at`.
#[must_use]
pub fn event(ticket: &Ticket, kind: EventKind, at: DateTime<Utc>) -> TicketEvent {
    TicketEvent {
        id: EventId::new(),
        tenant: ticket.tenant,
        ticket_id: ticket.id,
        actor: Some(ticket.requester),
        at: micros(at),
        requester: ticket.requester,
        kind,
    }
}

/// The `Created` event of `ticket`, at its creation.
#[must_use]
pub fn created_event(ticket: &Ticket) -> TicketEvent {
    let kind = EventKind::Created {
        status: ticket.status.clone(),
        priority: ticket.priority,
        category: ticket.category.clone(),
    };
    event(ticket, kind, ticket.created_at)
}

/// The change that creates `ticket`, with its `Created` event.
#[must_use]
pub fn create(ticket: Ticket) -> TicketChange {
    TicketChange {
        events: vec![created_event(&ticket)],
        ticket,
        expected_version: None,
        comments: Vec::new(),
        notifications: Vec::new(),
        outbox: Vec::new(),
        capacity: None,
        publish_events: false,
    }
}

/// A change to `stored` (the ticket as read from the store): the next version, made
/// against the stored one, with nothing else yet. Change `ticket` fields and add comments,
/// events, notifications or outbox entries as the case needs.
#[must_use]
pub fn update(stored: &Ticket) -> TicketChange {
    TicketChange {
        ticket: Ticket {
            version: stored.version + 1,
            ..stored.clone()
        },
        expected_version: Some(stored.version),
        comments: Vec::new(),
        events: Vec::new(),
        notifications: Vec::new(),
        outbox: Vec::new(),
        capacity: None,
        publish_events: false,
    }
}

/// A comment on `ticket` by its requester.
#[must_use]
pub fn comment(ticket: &Ticket, visibility: Visibility, body: &str, at: DateTime<Utc>) -> Comment {
    Comment {
        id: CommentId::new(),
        tenant: ticket.tenant,
        ticket_id: ticket.id,
        author: Some(ticket.requester),
        visibility,
        body: parse::body(body),
        created_at: micros(at),
    }
}

/// An unread in-app notification for `user`.
#[must_use]
pub fn notification(tenant: TenantId, user: UserId, at: DateTime<Utc>) -> Notification {
    Notification {
        id: NotificationId::new(),
        tenant,
        user_id: user,
        ticket_id: None,
        kind: NotificationKind::TicketUpdated,
        message: "A ticket you follow changed".to_string(),
        created_at: micros(at),
        read_at: None,
    }
}

/// A pending webhook delivery due at `at` (5 attempts allowed).
#[must_use]
pub fn outbox_entry(tenant: TenantId, at: DateTime<Utc>) -> OutboxEntry {
    OutboxEntry::new(
        tenant,
        None,
        NotificationKind::TicketCreated,
        Channel::Webhook {
            url: "https://hooks.example.com/desk".to_string(),
            secret: None,
        },
        serde_json::json!({"event": "ticket_created", "n": 1}),
        5,
        micros(at),
    )
}

/// An unused one-time token of `user` with a fresh random hash, created now.
#[must_use]
pub fn token(
    tenant: TenantId,
    user: UserId,
    purpose: TokenPurpose,
    expires_at: DateTime<Utc>,
) -> OneTimeToken {
    OneTimeToken {
        id: TokenId::new(),
        tenant,
        user_id: user,
        purpose,
        hash: TokenSecret::generate().hash(),
        family: None,
        created_at: now(),
        expires_at: micros(expires_at),
        used_at: None,
    }
}

/// A team `name` (version 1, no webhook).
#[must_use]
pub fn team(tenant: TenantId, team_name: &str) -> Team {
    let now = now();
    Team {
        id: TeamId::new(),
        tenant,
        name: name(team_name),
        description: format!("The {team_name} team"),
        webhook_url: None,
        webhook_secret: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

/// A FAQ entry.
#[must_use]
pub fn faq(tenant: TenantId, question: &str) -> Faq {
    Faq {
        id: FaqId::new(),
        tenant,
        question: question.to_string(),
        answer: format!("The answer to: {question}"),
        tags: tags(&["howto"]),
        updated_at: now(),
    }
}

/// An enabled SLA policy at `position` covering high and critical tickets.
#[must_use]
pub fn sla_policy(tenant: TenantId, policy_name: &str, position: i32) -> SlaPolicy {
    SlaPolicy {
        id: SlaPolicyId::new(),
        tenant,
        name: name(policy_name),
        position,
        enabled: true,
        condition: SlaCondition {
            priorities: vec![Priority::High, Priority::Critical],
            ..SlaCondition::default()
        },
        targets: SlaTargets {
            first_response_minutes: Some(60),
            next_response_minutes: Some(240),
            resolution_minutes: Some(1440),
        },
        calendar_id: None,
        warn_at_percent: 80,
        updated_at: now(),
    }
}

/// A Berlin office calendar: weekdays 9–12 and 13–17, one holiday.
#[must_use]
pub fn calendar(tenant: TenantId, calendar_name: &str) -> BusinessCalendar {
    let day = vec![
        WorkInterval {
            start_minute: 9 * 60,
            end_minute: 12 * 60,
        },
        WorkInterval {
            start_minute: 13 * 60,
            end_minute: 17 * 60,
        },
    ];
    let mut holidays = BTreeSet::new();
    holidays.extend(NaiveDate::from_ymd_opt(2025, 12, 25));
    BusinessCalendar {
        id: CalendarId::new(),
        tenant,
        name: name(calendar_name),
        timezone: chrono_tz::Europe::Berlin,
        week: WeekHours {
            mon: day.clone(),
            tue: day.clone(),
            wed: day.clone(),
            thu: day.clone(),
            fri: day,
            sat: Vec::new(),
            sun: Vec::new(),
        },
        holidays,
        updated_at: now(),
    }
}

/// An enabled rule at `position` that adds an internal note to every new ticket.
#[must_use]
pub fn rule(tenant: TenantId, rule_name: &str, position: i32) -> Rule {
    Rule {
        id: RuleId::new(),
        tenant,
        name: name(rule_name),
        position,
        enabled: true,
        triggers: vec![Trigger::TicketCreated],
        condition: Condition::Always,
        actions: vec![Action::AddInternalNote {
            body: format!("{rule_name} saw this ticket"),
        }],
        updated_at: now(),
    }
}

/// Every comment of a ticket, oldest first, read page by page through
/// [`TicketStore::list_comments`](crate::ports::TicketStore::list_comments).
///
/// # Errors
/// The store's.
pub async fn all_comments<S: crate::ports::TicketStore + ?Sized>(
    store: &S,
    tenant: TenantId,
    ticket: TicketId,
    include_internal: bool,
) -> crate::error::Result<Vec<Comment>> {
    let mut query = crate::query::CommentQuery {
        include_internal,
        limit: crate::query::MAX_LIMIT,
        after: None,
    };
    let mut all = Vec::new();
    loop {
        let page = store.list_comments(tenant, ticket, &query).await?;
        all.extend(page.items);
        match page.next_cursor {
            Some(c) => query.after = Some(crate::query::CommentCursor::decode(&c)?),
            None => return Ok(all),
        }
    }
}
