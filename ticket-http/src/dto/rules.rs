//! Automation rules on the wire (mirrors of `ticket_core::rules`).

use super::tickets::TicketDto;
use super::{PriorityDto, SlaTargetDto, StatusCategoryDto};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// When a rule is considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = Trigger)]
pub enum TriggerDto {
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

/// How to pick an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AssignStrategy)]
pub enum AssignStrategyDto {
    /// The eligible agent assigned longest ago.
    RoundRobin,
    /// The eligible agent with the lowest open tickets ÷ capacity.
    LeastLoaded,
    /// The eligible agent whose skills share the most tags with the ticket.
    SkillsMatch,
}

/// Who a notification goes to (`type` names the variant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(tag = "type", rename_all = "snake_case")]
#[schema(as = Recipient)]
pub enum RecipientDto {
    /// A user, in-app.
    User {
        /// The user.
        user_id: Uuid,
    },
    /// Every member of a team in-app, plus the team's webhook.
    Team {
        /// The team.
        team_id: Uuid,
    },
    /// A third party's endpoint.
    Webhook {
        /// An http or https URL.
        url: String,
    },
    /// An e-mail address.
    Email {
        /// The address.
        address: String,
    },
}

/// A condition over a ticket (`type` names the variant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(tag = "type", rename_all = "snake_case")]
#[schema(as = Condition)]
pub enum ConditionDto {
    /// Always true.
    Always {},
    /// Every condition holds.
    All {
        /// The conditions.
        #[schema(no_recursion)]
        all: Vec<ConditionDto>,
    },
    /// Some condition holds.
    Any {
        /// The conditions.
        #[schema(no_recursion)]
        any: Vec<ConditionDto>,
    },
    /// The condition does not hold.
    Not {
        /// The condition.
        #[schema(no_recursion)]
        not: Box<ConditionDto>,
    },
    /// Priority is one of these.
    PriorityIs {
        /// Priorities.
        priorities: Vec<PriorityDto>,
    },
    /// Priority is at least this.
    PriorityAtLeast {
        /// Priority.
        priority: PriorityDto,
    },
    /// Category is one of these.
    CategoryIs {
        /// Categories.
        categories: Vec<String>,
    },
    /// Status is one of these.
    StatusIs {
        /// Statuses.
        statuses: Vec<String>,
    },
    /// Status category is one of these.
    StatusCategoryIs {
        /// Categories.
        categories: Vec<StatusCategoryDto>,
    },
    /// The ticket has this tag.
    HasTag {
        /// Tag.
        tag: String,
    },
    /// The ticket has one of these tags.
    HasAnyTag {
        /// Tags.
        tags: Vec<String>,
    },
    /// Title or description contains one of these phrases (case-insensitive).
    TextContains {
        /// Phrases.
        phrases: Vec<String>,
    },
    /// The owning team is this one (`null`: no team).
    TeamIs {
        /// Team.
        team: Option<Uuid>,
    },
    /// Nobody is assigned.
    Unassigned {},
    /// The assignee is this user.
    AssigneeIs {
        /// User.
        user: Uuid,
    },
    /// The requester is this user.
    RequesterIs {
        /// User.
        user: Uuid,
    },
    /// The requester's e-mail domain is this one.
    RequesterEmailDomain {
        /// Domain.
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
        /// Value (any JSON value).
        value: serde_json::Value,
    },
    /// The SLA event that triggered the rule is about this target.
    SlaTargetIs {
        /// Target.
        target: SlaTargetDto,
    },
}

/// What a rule does (`type` names the variant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(tag = "type", rename_all = "snake_case")]
#[schema(as = Action)]
pub enum ActionDto {
    /// Hand the ticket to a team.
    SetTeam {
        /// Team.
        team_id: Uuid,
    },
    /// Set the priority.
    SetPriority {
        /// Priority.
        priority: PriorityDto,
    },
    /// Set the category.
    SetCategory {
        /// Category.
        category: String,
    },
    /// Move to a status (only along a transition the workflow has).
    SetStatus {
        /// Status.
        status: String,
    },
    /// Add tags.
    AddTags {
        /// Tags.
        tags: Vec<String>,
    },
    /// Remove tags.
    RemoveTags {
        /// Tags.
        tags: Vec<String>,
    },
    /// Assign by strategy.
    Assign {
        /// Strategy.
        strategy: AssignStrategyDto,
    },
    /// Assign to a given agent.
    AssignTo {
        /// Agent.
        user_id: Uuid,
    },
    /// Send a notification.
    Notify {
        /// To whom.
        recipient: RecipientDto,
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
        /// Why.
        reason: String,
        /// The team to escalate to.
        team_id: Option<Uuid>,
    },
}

fn yes() -> bool {
    true
}

/// A rule as a client sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    /// Name (1–100 characters).
    pub name: String,
    /// Rules run by ascending position.
    #[serde(default, deserialize_with = "crate::dto::lenient::int")]
    pub position: i32,
    /// Whether it fires (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// When it is considered (at least one).
    #[schema(min_items = 1)]
    pub triggers: Vec<TriggerDto>,
    /// When it fires.
    #[serde(deserialize_with = "strict::condition")]
    pub condition: ConditionDto,
    /// What it does, in order (1–50).
    #[schema(min_items = 1, max_items = 50)]
    #[serde(deserialize_with = "strict::actions")]
    pub actions: Vec<ActionDto>,
}

/// Tagged enums in request bodies: serde accepts a variant's index (`"type": 0`) for an
/// internally tagged enum; the API only takes the names it documents.
mod strict {
    use super::{ActionDto, ConditionDto};
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    fn named(v: &Value) -> Option<&str> {
        v.get("type").and_then(Value::as_str)
    }

    fn condition_ok(v: &Value) -> bool {
        match named(v) {
            Some("all") => v["all"]
                .as_array()
                .is_none_or(|a| a.iter().all(condition_ok)),
            Some("any") => v["any"]
                .as_array()
                .is_none_or(|a| a.iter().all(condition_ok)),
            Some("not") => v.get("not").is_none_or(condition_ok),
            Some(_) => true,
            None => !v.is_object() || v.get("type").is_none(),
        }
    }

    fn action_ok(v: &Value) -> bool {
        match named(v) {
            Some("notify") => v
                .get("recipient")
                .is_none_or(|r| named(r).is_some() || r.get("type").is_none()),
            Some(_) => true,
            None => !v.is_object() || v.get("type").is_none(),
        }
    }

    pub(super) fn condition<'de, D: Deserializer<'de>>(d: D) -> Result<ConditionDto, D::Error> {
        let v = Value::deserialize(d)?;
        if !condition_ok(&v) {
            return Err(D::Error::custom(
                "condition: `type` must be a condition name",
            ));
        }
        serde_json::from_value(v).map_err(D::Error::custom)
    }

    pub(super) fn actions<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ActionDto>, D::Error> {
        let v = Value::deserialize(d)?;
        if !v.as_array().is_none_or(|a| a.iter().all(action_ok)) {
            return Err(D::Error::custom("actions: `type` must be an action name"));
        }
        serde_json::from_value(v).map_err(D::Error::custom)
    }
}

/// An automation rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = Rule)]
pub struct RuleDto {
    /// Its id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Position.
    pub position: i32,
    /// Whether it fires.
    pub enabled: bool,
    /// When it is considered.
    pub triggers: Vec<TriggerDto>,
    /// When it fires.
    pub condition: ConditionDto,
    /// What it does.
    pub actions: Vec<ActionDto>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A side effect a rule asks for (`type` names the variant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[schema(as = Effect)]
pub enum EffectDto {
    /// Assign by strategy.
    Assign {
        /// The rule.
        rule_id: Uuid,
        /// Strategy.
        strategy: AssignStrategyDto,
    },
    /// Assign to a given agent.
    AssignTo {
        /// The rule.
        rule_id: Uuid,
        /// The agent.
        user_id: Uuid,
    },
    /// Notify.
    Notify {
        /// The rule.
        rule_id: Uuid,
        /// To whom.
        recipient: RecipientDto,
        /// Message.
        message: String,
    },
    /// Add an internal note.
    InternalNote {
        /// The rule.
        rule_id: Uuid,
        /// The note.
        body: String,
    },
    /// Record an escalation.
    Escalated {
        /// The rule.
        rule_id: Uuid,
        /// Why.
        reason: String,
    },
}

/// The outcome of a dry run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = RulePreview)]
pub struct RulePreviewDto {
    /// Whether the rule would fire.
    pub matched: bool,
    /// The ticket as it would be after the rule's field changes.
    pub ticket: TicketDto,
    /// The side effects it would ask for.
    pub effects: Vec<EffectDto>,
}

/// The body of `POST /rules/{id}/preview`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewBody {
    /// The ticket to dry-run the rule against.
    pub ticket_id: Uuid,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::to_dto;
    use ticket_core::rules::{default_rules, Rule};
    use ticket_core::TenantId;

    #[test]
    fn request_bodies_refuse_unknown_fields_at_every_level() {
        let ok: Result<ConditionDto, _> =
            serde_json::from_str(r#"{"type": "has_tag", "tag": "x"}"#);
        assert!(ok.is_ok());
        for bad in [
            r#"{"type": "has_tag", "tag": "x", "extra": 1}"#,
            r#"{"type": "always", "extra": 1}"#,
            r#"{"type": "not", "not": {"type": "always", "extra": 1}}"#,
        ] {
            assert!(serde_json::from_str::<ConditionDto>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn variant_indices_are_not_names() {
        let body = |condition: &str, action: &str| {
            format!(
                r#"{{"name": "r", "triggers": ["ticket_created"], "condition": {condition}, "actions": [{action}]}}"#
            )
        };
        let ok = r#"{"type": "add_tags", "tags": ["x"]}"#;
        assert!(serde_json::from_str::<RuleBody>(&body(
            r#"{"type": "not", "not": {"type": "always"}}"#,
            ok
        ))
        .is_ok());
        for (c, a) in [
            (r#"{"type": "not", "not": {"type": 0}}"#, ok),
            (r#"{"type": 1, "all": []}"#, ok),
            (r#"{"type": "any", "any": [{"type": 0}]}"#, ok),
            (r#"{"type": "always"}"#, r#"{"type": 4, "tags": ["x"]}"#),
            (
                r#"{"type": "always"}"#,
                r#"{"type": "notify", "message": "m", "recipient": {"type": 0, "user_id": "01a1fbf9-7468-772e-8177-9984763b2662"}}"#,
            ),
        ] {
            assert!(
                serde_json::from_str::<RuleBody>(&body(c, a)).is_err(),
                "{c} {a}"
            );
        }
    }

    #[test]
    fn default_rules_round_trip_through_the_mirror() {
        for rule in default_rules(TenantId::DEFAULT) {
            let dto: RuleDto = to_dto(&rule).unwrap();
            let mut json = serde_json::to_value(&dto).unwrap();
            json["tenant"] = serde_json::json!(TenantId::DEFAULT);
            let back: Rule = serde_json::from_value(json).unwrap();
            assert_eq!(back, rule);
        }
    }
}
