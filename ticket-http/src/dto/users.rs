//! Users, roles and agent profiles on the wire.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ticket_core::account::{AgentProfile, Availability, Role, User};
use utoipa::ToSchema;
use uuid::Uuid;

/// What a user is to the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = Role)]
pub enum RoleDto {
    /// Raises and follows their own tickets.
    Customer,
    /// Works tickets.
    Agent,
    /// Manages the desk.
    Admin,
    /// Manages admins too.
    #[serde(rename = "superadmin")]
    Superadmin,
}

impl From<Role> for RoleDto {
    fn from(r: Role) -> Self {
        match r {
            Role::Customer => Self::Customer,
            Role::Agent => Self::Agent,
            Role::Admin => Self::Admin,
            Role::SuperAdmin => Self::Superadmin,
        }
    }
}

impl From<RoleDto> for Role {
    fn from(r: RoleDto) -> Self {
        match r {
            RoleDto::Customer => Self::Customer,
            RoleDto::Agent => Self::Agent,
            RoleDto::Admin => Self::Admin,
            RoleDto::Superadmin => Self::SuperAdmin,
        }
    }
}

/// Whether an agent takes new work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = Availability)]
pub enum AvailabilityDto {
    /// Takes assignments.
    Online,
    /// Keeps their tickets, takes no new ones.
    Away,
    /// Not working.
    Offline,
}

impl From<Availability> for AvailabilityDto {
    fn from(a: Availability) -> Self {
        match a {
            Availability::Online => Self::Online,
            Availability::Away => Self::Away,
            Availability::Offline => Self::Offline,
        }
    }
}

impl From<AvailabilityDto> for Availability {
    fn from(a: AvailabilityDto) -> Self {
        match a {
            AvailabilityDto::Online => Self::Online,
            AvailabilityDto::Away => Self::Away,
            AvailabilityDto::Offline => Self::Offline,
        }
    }
}

/// The working profile of a staff member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = AgentProfile)]
pub struct AgentProfileDto {
    /// Skills matched against ticket tags by skills-based routing.
    pub skills: Vec<String>,
    /// The teams of the agent.
    pub team_ids: Vec<Uuid>,
    /// Whether the agent takes new work.
    pub availability: AvailabilityDto,
    /// The most open tickets the agent should hold.
    pub capacity: u32,
}

impl From<&AgentProfile> for AgentProfileDto {
    fn from(p: &AgentProfile) -> Self {
        Self {
            skills: p.skills.iter().map(|t| t.to_string()).collect(),
            team_ids: p.teams.iter().map(|t| t.as_uuid()).collect(),
            availability: p.availability.into(),
            capacity: p.capacity,
        }
    }
}

/// A user account (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = User)]
pub struct UserDto {
    /// Its id.
    pub id: Uuid,
    /// E-mail address (normalised).
    pub email: String,
    /// Login name (normalised).
    pub username: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: RoleDto,
    /// When the e-mail address was verified.
    pub email_verified_at: Option<DateTime<Utc>>,
    /// The working profile (staff only).
    pub agent: Option<AgentProfileDto>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// When the account was deleted (its personal data replaced).
    pub deleted_at: Option<DateTime<Utc>>,
    /// Version, advanced by every change.
    pub version: u64,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        Self {
            id: u.id.as_uuid(),
            email: u.email.to_string(),
            username: u.username.to_string(),
            name: u.name.to_string(),
            role: u.role.into(),
            email_verified_at: u.email_verified_at,
            agent: u.agent.as_ref().map(AgentProfileDto::from),
            created_at: u.created_at,
            updated_at: u.updated_at,
            deleted_at: u.deleted_at,
            version: u.version,
        }
    }
}
