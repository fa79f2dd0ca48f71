//! The wire types of the API: serde + [`utoipa::ToSchema`], converted from and to the
//! core types. They never carry password hashes, token hashes or webhook secrets.
//!
//! Simple resources (users, tickets, teams…) are converted field by field. The large
//! tagged trees of the configuration (rules, SLA policies, calendars, events) are mirrored
//! with the same wire shape as their core types and converted through `serde_json`; the
//! unit tests of each module prove the mirrors round-trip.

pub mod config;
pub mod deliveries;
pub mod events;
pub mod misc;
pub mod rules;
pub mod tickets;
pub mod users;

use crate::problem::Problem;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use ticket_core::ticket::Priority;
use ticket_core::workflow::StatusCategory;
use utoipa::ToSchema;

/// Converts a core value to its mirror (same wire shape). A failure is a bug of the
/// mirror: logged, and a 500.
pub(crate) fn to_dto<A: Serialize, B: DeserializeOwned>(a: &A) -> Result<B, Problem> {
    serde_json::to_value(a)
        .and_then(serde_json::from_value)
        .map_err(|e| {
            tracing::error!(error = %e, "a DTO mirror does not match its core type");
            Problem::internal()
        })
}

/// Converts a request body to its core input type: values the core types refuse while
/// deserialising (a bad tag, an unknown time zone…) are 422 `invalid_input`.
pub(crate) fn to_core<A: Serialize, B: DeserializeOwned>(a: &A) -> Result<B, Problem> {
    let value = serde_json::to_value(a).map_err(|_| Problem::internal())?;
    serde_json::from_value(value).map_err(|e| Problem::invalid("body", e.to_string()))
}

/// For `PATCH` fields where `null` clears and absence leaves as is:
/// `#[serde(default, deserialize_with = "double_option")]`.
pub(crate) fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Integer fields that also take integral floats (`276.0`): JSON Schema counts those as
/// integers, so a client (or a schema-driven tester) may send them.
/// `#[serde(deserialize_with = "crate::dto::lenient::int")]` (or `opt_int`).
pub(crate) mod lenient {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer};

    fn whole(n: &serde_json::Number) -> Option<i128> {
        if let Some(i) = n.as_i64() {
            return Some(i.into());
        }
        if let Some(u) = n.as_u64() {
            return Some(u.into());
        }
        let f = n.as_f64()?;
        (f.fract() == 0.0 && f.abs() < 1e19).then_some(f as i128)
    }

    fn convert<T: TryFrom<i128>, E: serde::de::Error>(n: &serde_json::Number) -> Result<T, E> {
        whole(n)
            .and_then(|i| T::try_from(i).ok())
            .ok_or_else(|| E::custom(format!("{n} is not a whole number in range")))
    }

    /// A whole number of type `T`.
    pub(crate) fn int<'de, D, T>(d: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: TryFrom<i128>,
    {
        convert(&serde_json::Number::deserialize(d)?)
    }

    /// An optional whole number of type `T`.
    pub(crate) fn opt_int<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: TryFrom<i128>,
    {
        Option::<serde_json::Number>::deserialize(d)?
            .map(|n| convert::<T, D::Error>(&n))
            .transpose()
            .map_err(D::Error::custom)
    }

    #[cfg(test)]
    mod tests {
        #[derive(serde::Deserialize)]
        struct S {
            #[serde(deserialize_with = "super::int")]
            a: u16,
            #[serde(default, deserialize_with = "super::opt_int")]
            b: Option<i32>,
        }

        #[test]
        fn integral_floats_are_integers() {
            let s: S = serde_json::from_str(r#"{"a": 276.0, "b": -3}"#).unwrap();
            assert_eq!((s.a, s.b), (276, Some(-3)));
            let s: S = serde_json::from_str(r#"{"a": 1}"#).unwrap();
            assert_eq!(s.b, None);
            assert!(serde_json::from_str::<S>(r#"{"a": 1.5}"#).is_err());
            assert!(serde_json::from_str::<S>(r#"{"a": 70000}"#).is_err());
            assert!(serde_json::from_str::<S>(r#"{"a": -1}"#).is_err());
            assert!(serde_json::from_str::<S>(r#"{"a": "1"}"#).is_err());
        }
    }
}

/// How urgent a ticket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = Priority)]
pub enum PriorityDto {
    /// Whenever there is time.
    Low,
    /// The default.
    Medium,
    /// Soon.
    High,
    /// Now.
    Critical,
}

impl From<Priority> for PriorityDto {
    fn from(p: Priority) -> Self {
        match p {
            Priority::Low => Self::Low,
            Priority::Medium => Self::Medium,
            Priority::High => Self::High,
            Priority::Critical => Self::Critical,
        }
    }
}

impl From<PriorityDto> for Priority {
    fn from(p: PriorityDto) -> Self {
        match p {
            PriorityDto::Low => Self::Low,
            PriorityDto::Medium => Self::Medium,
            PriorityDto::High => Self::High,
            PriorityDto::Critical => Self::Critical,
        }
    }
}

/// The fixed category of a workflow status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = StatusCategory)]
pub enum StatusCategoryDto {
    /// Not looked at yet.
    New,
    /// Being worked on.
    Open,
    /// Waiting on someone else.
    Pending,
    /// Answered; may be reopened.
    Solved,
    /// Finished for good.
    Closed,
}

impl From<StatusCategory> for StatusCategoryDto {
    fn from(c: StatusCategory) -> Self {
        match c {
            StatusCategory::New => Self::New,
            StatusCategory::Open => Self::Open,
            StatusCategory::Pending => Self::Pending,
            StatusCategory::Solved => Self::Solved,
            StatusCategory::Closed => Self::Closed,
        }
    }
}

impl From<StatusCategoryDto> for StatusCategory {
    fn from(c: StatusCategoryDto) -> Self {
        match c {
            StatusCategoryDto::New => Self::New,
            StatusCategoryDto::Open => Self::Open,
            StatusCategoryDto::Pending => Self::Pending,
            StatusCategoryDto::Solved => Self::Solved,
            StatusCategoryDto::Closed => Self::Closed,
        }
    }
}

/// Which SLA target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = SlaTarget)]
pub enum SlaTargetDto {
    /// The first public staff reply.
    FirstResponse,
    /// A staff reply after each public requester reply.
    NextResponse,
    /// Reaching a solved status.
    Resolution,
}
