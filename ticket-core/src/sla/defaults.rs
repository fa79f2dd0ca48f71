//! The SLA policies a new desk starts with.

use crate::id::{CalendarId, SlaPolicyId, TenantId};
use crate::sla::{BusinessCalendar, SlaCondition, SlaPolicy, SlaTargets};
use crate::text::Name;
use crate::ticket::Priority;
use chrono::{DateTime, Utc};

/// The name of the default calendar.
pub const DEFAULT_CALENDAR_NAME: &str = "Around the clock";

/// The calendar the default policies count on: every day, all day, in UTC (editable like
/// any other, e.g. to office hours). A fresh id; `updated_at` at the Unix epoch.
#[must_use]
pub fn default_calendar(tenant: TenantId) -> BusinessCalendar {
    BusinessCalendar {
        id: CalendarId::new(),
        name: Name::known(DEFAULT_CALENDAR_NAME),
        ..BusinessCalendar::always_open(tenant)
    }
}

/// The SLA policies a new desk starts with, one per priority on `calendar`, editable
/// like any other (first response / resolution): critical 1 h / 4 h, high 4 h / 1 day,
/// medium 8 h / 3 days, low 1 day / 5 days; next response as the first response. All
/// enabled, warning at 80 %, with fresh ids and `updated_at` at the Unix epoch.
#[must_use]
pub fn default_sla_policies(tenant: TenantId, calendar: CalendarId) -> Vec<SlaPolicy> {
    const HOUR: u32 = 60;
    const DAY: u32 = 24 * HOUR;
    let policy = |position, name: &'static str, priority, first, resolution| SlaPolicy {
        id: SlaPolicyId::new(),
        tenant,
        name: Name::known(name),
        position,
        enabled: true,
        condition: SlaCondition {
            priorities: vec![priority],
            ..SlaCondition::default()
        },
        targets: SlaTargets {
            first_response_minutes: Some(first),
            next_response_minutes: Some(first),
            resolution_minutes: Some(resolution),
        },
        calendar_id: Some(calendar),
        warn_at_percent: 80,
        updated_at: DateTime::<Utc>::UNIX_EPOCH,
    };
    vec![
        policy(10, "Critical", Priority::Critical, HOUR, 4 * HOUR),
        policy(20, "High", Priority::High, 4 * HOUR, DAY),
        policy(30, "Medium", Priority::Medium, 8 * HOUR, 3 * DAY),
        policy(40, "Low", Priority::Low, DAY, 5 * DAY),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::select_policy;

    #[test]
    fn every_priority_has_one_policy_on_the_calendar() {
        let tenant = TenantId::new();
        let cal = default_calendar(tenant);
        assert_eq!(cal.name.as_str(), DEFAULT_CALENDAR_NAME);
        let policies = default_sla_policies(tenant, cal.id);
        for priority in [
            Priority::Low,
            Priority::Medium,
            Priority::High,
            Priority::Critical,
        ] {
            let mut t = crate::rules::fixtures::ticket();
            t.priority = priority;
            let p = select_policy(&policies, &t).expect("a policy per priority");
            assert_eq!(p.calendar_id, Some(cal.id));
            assert!(p.enabled && p.targets.resolution_minutes.is_some());
        }
        let critical = &policies[0];
        assert_eq!(critical.targets.first_response_minutes, Some(60));
        assert_eq!(critical.targets.resolution_minutes, Some(240));
    }
}
