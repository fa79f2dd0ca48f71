//! Automation rules as data (Zendesk triggers, RT scrips): when a trigger fires and the
//! condition holds, the actions run. Rules are ordered, each fires at most once per
//! change, and [`preview`] dry-runs one without side effects. Routing and escalation are
//! rules; the defaults ship as rules an admin can read and edit ([`default_rules`]).

mod condition;
mod defaults;
mod engine;
#[cfg(test)]
pub(crate) mod fixtures;
mod model;

pub use defaults::default_rules;
pub use engine::{
    preview, run_rules, Effect, Fired, RuleContext, RulePreview, RuleRun, RuleRunner,
};
pub use model::{Action, Condition, Rule, Trigger};
