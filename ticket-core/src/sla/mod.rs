//! Service levels: business calendars, SLA policies, and the SLA state of a ticket as a
//! pure function of (policy, calendar, workflow, the ticket's event history, now), so it
//! can be recomputed whenever a policy or calendar changes.

mod calendar;
mod defaults;
mod evaluate;
mod policy;
mod reevaluation;

pub use calendar::{BusinessCalendar, WeekHours, WorkInterval};
pub use defaults::{default_calendar, default_sla_policies, DEFAULT_CALENDAR_NAME};
pub use evaluate::{evaluate, SlaReplay, SlaStatus, TargetState, TargetStatus};
pub use policy::{select_policy, SlaCondition, SlaPolicy, SlaTargets};
pub use reevaluation::SlaReevaluation;
