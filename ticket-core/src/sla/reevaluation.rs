//! A tenant's pending SLA re-evaluation: after a policy or calendar change, every open
//! ticket of the tenant must be looked at again. The admin request only records it
//! ([`TicketStore::request_sla_reevaluation`](crate::ports::TicketStore::request_sla_reevaluation));
//! background work claims it, walks the open tickets in bounded batches and records how
//! far it got, so a walk cut off is resumed, by any instance, where it stopped.

use crate::id::{TenantId, TicketId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A claimed re-evaluation of one tenant's open tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaReevaluation {
    /// The tenant whose configuration changed.
    pub tenant: TenantId,
    /// When the latest change was recorded.
    pub requested_at: DateTime<Utc>,
    /// The last ticket already marked; the walk goes on after it (`None`: from the
    /// start).
    pub after: Option<TicketId>,
    /// The claim that holds it: progress is recorded only under this claim.
    pub claim: Uuid,
}
