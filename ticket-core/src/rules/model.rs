//! The data of a rule.

use crate::error::Result;
use crate::event::SlaTarget;
use crate::id::{RuleId, TeamId, TenantId, UserId};
use crate::notify::Recipient;
use crate::routing::AssignStrategy;
use crate::text::{Category, Name, Status, Tag};
use crate::ticket::Priority;
use crate::workflow::StatusCategory;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// When a rule is considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A ticket was raised.
    TicketCreated,
    /// A ticket's fields, status or assignment changed.
    TicketUpdated,
    /// A comment was added.
    CommentAdded,
    /// An SLA target entered its warning window.
    SlaWarning,
    /// An SLA target was breached.
    SlaBreached,
}

/// A condition over a ticket (and the change that triggered the rule).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Condition {
    /// Always true.
    Always,
    /// Every condition holds.
    All {
        /// The conditions.
        all: Vec<Condition>,
    },
    /// Some condition holds.
    Any {
        /// The conditions.
        any: Vec<Condition>,
    },
    /// The condition does not hold.
    Not {
        /// The condition.
        not: Box<Condition>,
    },
    /// Priority is one of these.
    PriorityIs {
        /// Priorities.
        priorities: Vec<Priority>,
    },
    /// Priority is at least this.
    PriorityAtLeast {
        /// Priority.
        priority: Priority,
    },
    /// Category is one of these.
    CategoryIs {
        /// Categories.
        categories: Vec<Category>,
    },
    /// Status is one of these.
    StatusIs {
        /// Statuses.
        statuses: Vec<Status>,
    },
    /// Status category is one of these.
    StatusCategoryIs {
        /// Categories.
        categories: Vec<StatusCategory>,
    },
    /// The ticket has this tag.
    HasTag {
        /// Tag.
        tag: Tag,
    },
    /// The ticket has one of these tags.
    HasAnyTag {
        /// Tags.
        tags: Vec<Tag>,
    },
    /// Title or description contains one of these phrases (case-insensitive).
    TextContains {
        /// Phrases.
        phrases: Vec<String>,
    },
    /// The owning team is this one (`None`: no team).
    TeamIs {
        /// Team.
        team: Option<TeamId>,
    },
    /// Nobody is assigned.
    Unassigned,
    /// The assignee is this user.
    AssigneeIs {
        /// User.
        user: UserId,
    },
    /// The requester is this user.
    RequesterIs {
        /// User.
        user: UserId,
    },
    /// The requester's e-mail domain is this one (case-insensitive).
    RequesterEmailDomain {
        /// Domain (`example.com`).
        domain: String,
    },
    /// The classifier's category confidence is below this (or there is none).
    ConfidenceBelow {
        /// 0.0–1.0.
        threshold: f32,
    },
    /// A custom field equals this JSON value.
    CustomFieldEquals {
        /// Key.
        key: String,
        /// Value.
        value: serde_json::Value,
    },
    /// The SLA event that triggered the rule is about this target.
    SlaTargetIs {
        /// Target.
        target: SlaTarget,
    },
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Action {
    /// Hand the ticket to a team.
    SetTeam {
        /// Team.
        team_id: TeamId,
    },
    /// Set the priority.
    SetPriority {
        /// Priority.
        priority: Priority,
    },
    /// Set the category.
    SetCategory {
        /// Category.
        category: Category,
    },
    /// Move to a status (only along a transition the workflow has).
    SetStatus {
        /// Status.
        status: Status,
    },
    /// Add tags.
    AddTags {
        /// Tags.
        tags: Vec<Tag>,
    },
    /// Remove tags.
    RemoveTags {
        /// Tags.
        tags: Vec<Tag>,
    },
    /// Assign by strategy among eligible agents (of the ticket's team when it has one).
    Assign {
        /// Strategy.
        strategy: AssignStrategy,
    },
    /// Assign to a given agent.
    AssignTo {
        /// Agent.
        user_id: UserId,
    },
    /// Send a notification.
    Notify {
        /// To whom.
        recipient: Recipient,
        /// The message.
        message: String,
    },
    /// Add an internal note.
    AddInternalNote {
        /// The note.
        body: String,
    },
    /// Escalate: raise the priority one step, optionally hand to a team, and record why.
    Escalate {
        /// Why (recorded in the history).
        reason: String,
        /// The team to escalate to.
        team_id: Option<TeamId>,
    },
}

/// An automation rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Its id.
    pub id: RuleId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its name.
    pub name: Name,
    /// Rules run by ascending position (then id).
    pub position: i32,
    /// Disabled rules never fire.
    pub enabled: bool,
    /// When it is considered.
    pub triggers: Vec<Trigger>,
    /// When it fires.
    pub condition: Condition,
    /// What it does, in order.
    pub actions: Vec<Action>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl Rule {
    /// Checks the rule: at least one trigger and one action, at most 50 actions, a
    /// condition at most 8 levels deep with at most 100 nodes, valid webhook URLs,
    /// non-empty messages and notes (at most 5,000 characters), confidence thresholds in
    /// 0–1.
    ///
    /// # Errors
    /// [`crate::Error::Invalid`] naming the bad part (`actions[2].message`…).
    pub fn validate(&self) -> Result<()> {
        todo!("rules helper")
    }
}
