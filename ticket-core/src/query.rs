//! Queries, cursor pages and statistics.

mod comments;

pub use comments::{CommentCursor, CommentQuery};

use crate::account::Role;
use crate::error::{Error, Result};
use crate::id::{EventId, TeamId, TicketId, UserId};
use crate::text::{Category, Status, Tag};
use crate::ticket::Priority;
use crate::workflow::StatusCategory;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The default page size.
pub const DEFAULT_LIMIT: u32 = 25;
/// The largest page size.
pub const MAX_LIMIT: u32 = 100;

/// Checks a page size (1–100; `None` → 25).
///
/// # Errors
/// [`Error::Invalid`] on `limit`.
pub fn check_limit(limit: Option<u32>) -> Result<u32> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(l) if (1..=MAX_LIMIT).contains(&l) => Ok(l),
        Some(_) => Err(Error::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// One page of results and the cursor of the next (`None` on the last page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass back to get the next page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Transforms the items, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// The order of a ticket list. Every order ends with the id, so it is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TicketSort {
    /// Newest first: `(created_at, id)` descending.
    #[default]
    CreatedDesc,
    /// Oldest first: `(created_at, id)` ascending.
    CreatedAsc,
    /// Most recently changed first: `(updated_at, id)` descending.
    UpdatedDesc,
    /// Most urgent first: `(priority rank, created_at, id)` descending.
    PriorityDesc,
}

/// The position after the last event of a history page (events are ordered by time, then
/// id). Stores encode it into the opaque cursor string with [`EventCursor::encode`] and
/// read it back with [`EventCursor::decode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventCursor {
    /// `at` of the last event.
    pub at: DateTime<Utc>,
    /// Id of the last event.
    pub id: EventId,
}

impl EventCursor {
    /// The cursor after `e`.
    #[must_use]
    pub fn after(e: &crate::event::TicketEvent) -> Self {
        Self { at: e.at, id: e.id }
    }

    /// The opaque string form.
    #[must_use]
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    /// Parses a cursor.
    ///
    /// # Errors
    /// [`Error::Invalid`] on `cursor` when it is malformed.
    pub fn decode(s: &str) -> Result<Self> {
        let bad = || Error::invalid("cursor", "is not a cursor of this list");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| bad())?;
        serde_json::from_slice(&bytes).map_err(|_| bad())
    }

    /// Whether `e` comes strictly after this cursor: the keyset predicate every store
    /// implements.
    #[must_use]
    pub fn precedes(&self, e: &crate::event::TicketEvent) -> bool {
        (e.at, e.id) > (self.at, self.id)
    }
}

/// The position after the last item of a ticket page. Stores encode it into the opaque
/// cursor string with [`TicketCursor::encode`] and read it back with
/// [`TicketCursor::decode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketCursor {
    /// The sort the cursor belongs to.
    pub sort: TicketSort,
    /// `created_at` (or `updated_at` for [`TicketSort::UpdatedDesc`]) of the last item.
    pub at: DateTime<Utc>,
    /// Priority rank of the last item (0 unless sorted by priority).
    pub rank: u8,
    /// Id of the last item.
    pub id: TicketId,
}

impl TicketCursor {
    /// The cursor after `t` in `sort` order.
    #[must_use]
    pub fn after(t: &crate::ticket::Ticket, sort: TicketSort) -> Self {
        let at = if sort == TicketSort::UpdatedDesc {
            t.updated_at
        } else {
            t.created_at
        };
        let rank = if sort == TicketSort::PriorityDesc {
            t.priority.rank()
        } else {
            0
        };
        Self {
            sort,
            at,
            rank,
            id: t.id,
        }
    }

    /// The opaque string form.
    #[must_use]
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    /// Parses a cursor for `sort`.
    ///
    /// # Errors
    /// [`Error::Invalid`] on `cursor` when it is malformed or belongs to another sort.
    pub fn decode(s: &str, sort: TicketSort) -> Result<Self> {
        let bad = || Error::invalid("cursor", "is not a cursor of this list");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| bad())?;
        let c: Self = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if c.sort == sort {
            Ok(c)
        } else {
            Err(bad())
        }
    }

    /// Whether `t` comes strictly after this cursor in its sort order: the keyset
    /// predicate every store implements.
    #[must_use]
    pub fn precedes(&self, t: &crate::ticket::Ticket) -> bool {
        let other = Self::after(t, self.sort);
        let key = |c: &Self| (c.rank, c.at, c.id);
        match self.sort {
            TicketSort::CreatedAsc => key(&other) > key(self),
            _ => key(&other) < key(self),
        }
    }
}

/// Filter on the assignee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssigneeFilter {
    /// Only unassigned tickets.
    Unassigned,
    /// Only tickets of this agent.
    User(UserId),
}

/// A ticket search. Empty lists and `None` mean "any"; several values in one list match
/// any of them; different fields all have to match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TicketQuery {
    /// Any of these statuses.
    pub statuses: Vec<Status>,
    /// Any of these status categories.
    pub status_categories: Vec<StatusCategory>,
    /// Any of these priorities.
    pub priorities: Vec<Priority>,
    /// Any of these categories.
    pub categories: Vec<Category>,
    /// All of these tags.
    pub tags: Vec<Tag>,
    /// Assignee.
    pub assignee: Option<AssigneeFilter>,
    /// Owning team.
    pub team: Option<TeamId>,
    /// Requester.
    pub requester: Option<UserId>,
    /// Created at or after.
    pub created_after: Option<DateTime<Utc>>,
    /// Created strictly before.
    pub created_before: Option<DateTime<Utc>>,
    /// Full text over title and description: every word must occur (as a whole word,
    /// case-insensitively).
    pub text: Option<String>,
    /// Order.
    pub sort: TicketSort,
    /// Page size (1–100).
    pub limit: u32,
    /// Where the previous page ended.
    pub cursor: Option<String>,
}

impl Default for TicketQuery {
    fn default() -> Self {
        Self {
            statuses: Vec::new(),
            status_categories: Vec::new(),
            priorities: Vec::new(),
            categories: Vec::new(),
            tags: Vec::new(),
            assignee: None,
            team: None,
            requester: None,
            created_after: None,
            created_before: None,
            text: None,
            sort: TicketSort::default(),
            limit: DEFAULT_LIMIT,
            cursor: None,
        }
    }
}

/// Splits text into the lower-case words full-text search matches on: runs of letters
/// and digits. Stores that tokenise in their own engine must agree with this on ASCII.
#[must_use]
pub fn search_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

impl TicketQuery {
    /// Whether `t` passes every filter (not the cursor): the reference semantics that
    /// `MemoryStore` uses and every store must agree with.
    #[must_use]
    pub fn matches(&self, t: &crate::ticket::Ticket) -> bool {
        let any = |list: &[_], v| list.is_empty() || list.contains(v);
        any(&self.statuses, &t.status)
            && (self.status_categories.is_empty()
                || self.status_categories.contains(&t.status_category))
            && (self.priorities.is_empty() || self.priorities.contains(&t.priority))
            && (self.categories.is_empty() || self.categories.contains(&t.category))
            && self.tags.iter().all(|tag| t.tags.contains(tag))
            && match self.assignee {
                None => true,
                Some(AssigneeFilter::Unassigned) => t.assignee.is_none(),
                Some(AssigneeFilter::User(u)) => t.assignee == Some(u),
            }
            && self.team.is_none_or(|team| t.team == Some(team))
            && self.requester.is_none_or(|r| t.requester == r)
            && self.created_after.is_none_or(|a| t.created_at >= a)
            && self.created_before.is_none_or(|b| t.created_at < b)
            && self.text.as_deref().is_none_or(|q| {
                let words = search_words(q);
                let hay: std::collections::HashSet<String> = search_words(t.title.as_str())
                    .into_iter()
                    .chain(search_words(t.description.as_str()))
                    .collect();
                words.iter().all(|w| hay.contains(w))
            })
    }
}

/// A user search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct UserQuery {
    /// Only this role.
    pub role: Option<Role>,
    /// Only members of this team.
    pub team: Option<TeamId>,
    /// Case-insensitive substring of name, e-mail or username.
    pub text: Option<String>,
    /// Include deleted (pseudonymised) accounts.
    pub include_deleted: bool,
    /// `Some(true)`: only agents taking work (availability online); `Some(false)`: only
    /// staff who do not (away, offline); `None`: anyone.
    pub available: Option<bool>,
    /// Page size (1–100; 0 means the default).
    pub limit: u32,
    /// Where the previous page ended (opaque).
    pub cursor: Option<String>,
}

/// The window and scope of statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct StatsQuery {
    /// Tickets created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Tickets created strictly before.
    pub to: Option<DateTime<Utc>>,
    /// Only this team's tickets.
    pub team: Option<TeamId>,
}

/// SLA outcome counts over the tickets in scope that have a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SlaStats {
    /// Solved or closed without any breach.
    pub met: u64,
    /// Breached at least once.
    pub breached: u64,
    /// Open, not breached, inside a warning window.
    pub at_risk: u64,
}

/// FAQ deflection over the tickets in scope, counted from their history: answers
/// proposed (`faq_suggested` events), confirmed by the requester as helpful
/// (`faq_confirmed`: a deflected ticket) and rejected (`faq_rejected`: reopened).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DeflectionStats {
    /// FAQ answers proposed.
    pub suggested: u64,
    /// Answers the requester confirmed.
    pub confirmed: u64,
    /// Answers the requester rejected.
    pub rejected: u64,
}

impl DeflectionStats {
    /// Confirmed ÷ proposed (0 when none was proposed).
    #[must_use]
    pub fn deflection_rate(&self) -> f64 {
        ratio(self.confirmed, self.suggested)
    }

    /// Rejected ÷ proposed (0 when none was proposed).
    #[must_use]
    pub fn reopen_rate(&self) -> f64 {
        ratio(self.rejected, self.suggested)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Open tickets held by one agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentLoadStat {
    /// The agent.
    pub user_id: UserId,
    /// Open tickets assigned to them.
    pub open: u64,
}

/// Desk statistics, computed by the store with its own aggregation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Stats {
    /// Tickets in scope.
    pub total: u64,
    /// Of which open work (New, Open or Pending category).
    pub open: u64,
    /// Count per status name.
    pub by_status: BTreeMap<String, u64>,
    /// Count per priority.
    pub by_priority: BTreeMap<String, u64>,
    /// Count per category.
    pub by_category: BTreeMap<String, u64>,
    /// `total` divided by the days spanned: from `from` (or the first ticket's creation)
    /// to `to` (or the last ticket's creation), counting whole days, at least one.
    pub average_per_day: f64,
    /// SLA outcomes.
    pub sla: SlaStats,
    /// Open tickets per assignee, most loaded first.
    pub agent_load: Vec<AgentLoadStat>,
    /// FAQ deflection.
    #[serde(default)]
    pub deflection: DeflectionStats,
}

/// Days spanned by a stats window, the rule behind [`Stats::average_per_day`]: whole
/// days between the two instants plus one, never less than one.
#[must_use]
pub fn days_spanned(first: DateTime<Utc>, last: DateTime<Utc>) -> u64 {
    let days = (last - first).num_days();
    u64::try_from(days).unwrap_or(0) + 1
}
