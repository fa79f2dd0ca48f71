//! Routed saves held to the agent's capacity
//! ([`CapacityCheck`](ticket_core::ports::CapacityCheck)): the agent's slot
//! (`capacity:<tenant>:<agent>`, see `slots.rs`) is held from the count of their working
//! tickets (the ticket document's `working` field: status category New or Open) to the
//! commit, so two saves checking one agent, from any instances, never both take their
//! last place. A save that cannot get the slot within [`CAPACITY_WAIT`] (other routed
//! saves keep it busy, or a writer died holding it less than 30 seconds ago) is refused
//! as `Conflict::Capacity`, like a full agent: routing then tries another agent.

use crate::connect::names::TICKETS;
use crate::docs::id;
use crate::errors::db;
use crate::MongoStore;
use mongodb::bson::doc;
use std::time::Duration;
use ticket_core::error::{Conflict, Error, Result};
use ticket_core::ports::{CapacityCheck, TicketChange};

/// How long a routed save waits for the agent's capacity slot.
const CAPACITY_WAIT: Duration = Duration::from_secs(5);

/// The pause between two attempts at the slot.
const PAUSE: Duration = Duration::from_millis(10);

impl MongoStore {
    /// `MongoStore::commit_change` of a routed save: stored only if the agent holds
    /// fewer than `check.capacity` working tickets other than this one.
    pub(crate) async fn commit_within_capacity(
        &self,
        change: &TicketChange,
        check: CapacityCheck,
    ) -> Result<i64> {
        let t = &change.ticket;
        let full = || Error::Conflict(Conflict::Capacity { agent: check.agent });
        let slot = format!(
            "capacity:{}:{}",
            id(t.tenant.as_uuid()),
            id(check.agent.as_uuid())
        );
        let started = std::time::Instant::now();
        while !self.take_slot(&slot).await? {
            if started.elapsed() > CAPACITY_WAIT {
                return Err(full());
            }
            tokio::time::sleep(PAUSE).await;
        }
        let result = async {
            let held = self
                .coll(TICKETS)
                .count_documents(doc! {
                    "tenant": id(t.tenant.as_uuid()),
                    "assignee": id(check.agent.as_uuid()),
                    "working": 1,
                    "_id": { "$ne": id(t.id.as_uuid()) },
                })
                .await
                .map_err(db)?;
            if held >= u64::from(check.capacity) {
                return Err(full());
            }
            self.commit_unchecked(change).await
        }
        .await;
        self.release_slot(&slot).await?;
        result
    }
}
