//! Newtype identifiers. Every id is a UUIDv7 (time-ordered, index-friendly), so ids sort
//! by creation time and make good primary keys in every store.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered (UUIDv7) id.
            #[must_use]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID (as read back from a store).
            #[must_use]
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            #[must_use]
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }
    };
}

id_type!(
    /// A tenant: one company's desk. Every aggregate and every store query carries one.
    TenantId
);
id_type!(
    /// A ticket.
    TicketId
);
id_type!(
    /// A user account (customer, agent or administrator).
    UserId
);
id_type!(
    /// A team of agents.
    TeamId
);
id_type!(
    /// A comment (public reply or internal note) on a ticket.
    CommentId
);
id_type!(
    /// One entry of a ticket's history.
    EventId
);
id_type!(
    /// An in-app notification.
    NotificationId
);
id_type!(
    /// One outbound delivery in the outbox (webhook call, e-mail).
    DeliveryId
);
id_type!(
    /// A webhook endpoint whose health the relay keeps.
    EndpointId
);
id_type!(
    /// An SLA policy.
    SlaPolicyId
);
id_type!(
    /// A business calendar.
    CalendarId
);
id_type!(
    /// An automation rule (trigger).
    RuleId
);
id_type!(
    /// A one-time token (e-mail verification, password reset, refresh token).
    TokenId
);
id_type!(
    /// A FAQ entry.
    FaqId
);
id_type!(
    /// One worked shift of an agent (its actual start, end and breaks).
    ShiftId
);

impl TenantId {
    /// The tenant that single-tenant hosts use without ever naming it.
    pub const DEFAULT: TenantId = TenantId(Uuid::from_u128(1));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_time_ordered_and_round_trip() {
        let a = TicketId::new();
        let b = TicketId::new();
        assert!(a < b);
        let parsed: TicketId = a.to_string().parse().unwrap();
        assert_eq!(parsed, a);
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, format!("\"{a}\""));
    }
}
