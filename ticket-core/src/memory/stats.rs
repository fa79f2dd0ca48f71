//! The aggregation behind `TicketStore::stats` for `MemoryStore`: one pass over the
//! tickets in scope, the way a database would `GROUP BY`.

use crate::event::EventKind;
use crate::id::UserId;
use crate::query::{days_spanned, AgentLoadStat, DeflectionStats, Stats, StatsQuery};
use crate::ticket::Ticket;
use crate::workflow::StatusCategory;
use chrono::{DateTime, Utc};
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// Statistics over `tickets` (already filtered to the query's tenant, window and team).
pub(super) fn compute<'a>(tickets: impl Iterator<Item = &'a Ticket>, query: &StatsQuery) -> Stats {
    let mut stats = Stats::default();
    let mut first: Option<DateTime<Utc>> = None;
    let mut last: Option<DateTime<Utc>> = None;
    let mut load: BTreeMap<UserId, u64> = BTreeMap::new();
    for t in tickets {
        stats.total += 1;
        let open = t.is_open();
        if open {
            stats.open += 1;
            if let Some(assignee) = t.assignee {
                *load.entry(assignee).or_default() += 1;
            }
        }
        *stats
            .by_status
            .entry(t.status.as_str().to_string())
            .or_default() += 1;
        *stats
            .by_priority
            .entry(t.priority.as_str().to_string())
            .or_default() += 1;
        *stats
            .by_category
            .entry(t.category.as_str().to_string())
            .or_default() += 1;
        if let Some(sla) = &t.sla {
            let solved = matches!(
                t.status_category,
                StatusCategory::Solved | StatusCategory::Closed
            );
            if sla.breached {
                stats.sla.breached += 1;
            } else if solved {
                stats.sla.met += 1;
            } else if open && sla.at_risk {
                stats.sla.at_risk += 1;
            }
        }
        first = Some(first.map_or(t.created_at, |f| f.min(t.created_at)));
        last = Some(last.map_or(t.created_at, |l| l.max(t.created_at)));
    }
    if let (Some(first), Some(last)) = (query.from.or(first), query.to.or(last)) {
        if stats.total > 0 {
            stats.average_per_day = stats.total as f64 / days_spanned(first, last) as f64;
        }
    }
    let mut agent_load: Vec<AgentLoadStat> = load
        .into_iter()
        .map(|(user_id, open)| AgentLoadStat { user_id, open })
        .collect();
    agent_load.sort_by_key(|a| (Reverse(a.open), a.user_id));
    stats.agent_load = agent_load;
    stats
}

/// FAQ deflection counts over the events of the tickets in scope.
pub(super) fn deflection<'a>(kinds: impl Iterator<Item = &'a EventKind>) -> DeflectionStats {
    let mut d = DeflectionStats::default();
    for kind in kinds {
        match kind {
            EventKind::FaqSuggested { .. } => d.suggested += 1,
            EventKind::FaqConfirmed { .. } => d.confirmed += 1,
            EventKind::FaqRejected { .. } => d.rejected += 1,
            _ => {}
        }
    }
    d
}
