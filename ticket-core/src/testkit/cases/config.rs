//! `ConfigStore` and `FaqStore`: save (upsert), get, list order, delete, `NotFound`.

use super::expect_not_found;
use crate::id::{CalendarId, FaqId, RuleId, SlaPolicyId};
use crate::ports::Store;
use crate::rules::{Action, Condition, Rule};
use crate::sla::{BusinessCalendar, SlaPolicy};
use crate::team::Faq;
use crate::testkit::fixtures;
use chrono::Duration;
use std::sync::Arc;

/// SLA policies: save, get, list by (position, id), upsert, delete, `NotFound`.
pub async fn sla_policies(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let second = fixtures::sla_policy(tenant, "Standard", 2);
    let first_a = fixtures::sla_policy(tenant, "Gold", 1);
    let first_b = SlaPolicy {
        enabled: false,
        calendar_id: Some(CalendarId::new()),
        ..fixtures::sla_policy(tenant, "Silver", 1)
    };
    for p in [&second, &first_b, &first_a] {
        store.save_sla_policy(p).await.expect("save_sla_policy");
    }
    assert_eq!(
        store
            .get_sla_policy(tenant, first_b.id)
            .await
            .expect("get_sla_policy"),
        first_b
    );
    let listed = store
        .list_sla_policies(tenant)
        .await
        .expect("list_sla_policies");
    assert_eq!(
        listed,
        vec![first_a.clone(), first_b.clone(), second.clone()],
        "by position, then id"
    );

    let moved = SlaPolicy {
        position: 0,
        warn_at_percent: 50,
        updated_at: second.updated_at + Duration::seconds(1),
        ..second.clone()
    };
    store
        .save_sla_policy(&moved)
        .await
        .expect("save_sla_policy (upsert)");
    assert_eq!(
        store
            .get_sla_policy(tenant, second.id)
            .await
            .expect("get_sla_policy"),
        moved
    );
    let listed = store
        .list_sla_policies(tenant)
        .await
        .expect("list_sla_policies");
    assert_eq!(listed, vec![moved, first_a.clone(), first_b.clone()]);

    store
        .delete_sla_policy(tenant, first_a.id)
        .await
        .expect("delete_sla_policy");
    expect_not_found(
        store.get_sla_policy(tenant, first_a.id).await,
        "get_sla_policy after delete",
    );
    expect_not_found(
        store.delete_sla_policy(tenant, first_a.id).await,
        "delete_sla_policy twice",
    );
    expect_not_found(
        store.get_sla_policy(tenant, SlaPolicyId::new()).await,
        "get_sla_policy of an unknown id",
    );
    assert_eq!(
        store
            .list_sla_policies(tenant)
            .await
            .expect("list_sla_policies")
            .len(),
        2
    );
}

/// Business calendars: save, get (zone, intervals, holidays), list by name, upsert,
/// delete, `NotFound`.
pub async fn calendars(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let office = fixtures::calendar(tenant, "Office");
    let around = BusinessCalendar {
        timezone: chrono_tz::America::New_York,
        ..fixtures::calendar(tenant, "Around the clock")
    };
    let night = fixtures::calendar(tenant, "Night shift");
    for c in [&office, &night, &around] {
        store.save_calendar(c).await.expect("save_calendar");
    }
    assert_eq!(
        store
            .get_calendar(tenant, office.id)
            .await
            .expect("get_calendar"),
        office
    );
    let listed = store.list_calendars(tenant).await.expect("list_calendars");
    assert_eq!(
        listed,
        vec![around.clone(), night.clone(), office.clone()],
        "by name"
    );

    let mut changed = office.clone();
    changed.holidays.clear();
    changed.week.sat = changed.week.mon.clone();
    store
        .save_calendar(&changed)
        .await
        .expect("save_calendar (upsert)");
    assert_eq!(
        store
            .get_calendar(tenant, office.id)
            .await
            .expect("get_calendar"),
        changed
    );
    assert_eq!(
        store
            .list_calendars(tenant)
            .await
            .expect("list_calendars")
            .len(),
        3
    );

    store
        .delete_calendar(tenant, night.id)
        .await
        .expect("delete_calendar");
    expect_not_found(
        store.get_calendar(tenant, night.id).await,
        "get_calendar after delete",
    );
    expect_not_found(
        store.delete_calendar(tenant, night.id).await,
        "delete_calendar twice",
    );
    expect_not_found(
        store.get_calendar(tenant, CalendarId::new()).await,
        "get_calendar of an unknown id",
    );
    assert_eq!(
        store.list_calendars(tenant).await.expect("list_calendars"),
        vec![around, changed]
    );
}

/// Rules: save, get, list by (position, id), upsert, delete, `NotFound`.
pub async fn rules(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let late = fixtures::rule(tenant, "Late", 10);
    let early = fixtures::rule(tenant, "Early", -5);
    let tagged = Rule {
        condition: Condition::HasTag {
            tag: fixtures::tag("vpn"),
        },
        actions: vec![
            Action::AddInternalNote {
                body: "VPN ticket".to_string(),
            },
            Action::AddTags {
                tags: vec![fixtures::tag("network")],
            },
        ],
        ..fixtures::rule(tenant, "Tagged", 10)
    };
    for r in [&tagged, &late, &early] {
        store.save_rule(r).await.expect("save_rule");
    }
    assert_eq!(
        store.get_rule(tenant, tagged.id).await.expect("get_rule"),
        tagged
    );
    assert_eq!(
        store.list_rules(tenant).await.expect("list_rules"),
        vec![early.clone(), late.clone(), tagged.clone()]
    );

    let disabled = Rule {
        enabled: false,
        position: -10,
        ..late.clone()
    };
    store
        .save_rule(&disabled)
        .await
        .expect("save_rule (upsert)");
    assert_eq!(
        store.get_rule(tenant, late.id).await.expect("get_rule"),
        disabled
    );
    assert_eq!(
        store.list_rules(tenant).await.expect("list_rules"),
        vec![disabled, early.clone(), tagged.clone()]
    );

    store
        .delete_rule(tenant, early.id)
        .await
        .expect("delete_rule");
    expect_not_found(
        store.get_rule(tenant, early.id).await,
        "get_rule after delete",
    );
    expect_not_found(
        store.delete_rule(tenant, early.id).await,
        "delete_rule twice",
    );
    expect_not_found(
        store.get_rule(tenant, RuleId::new()).await,
        "get_rule of an unknown id",
    );
    assert_eq!(store.list_rules(tenant).await.expect("list_rules").len(), 2);
}

/// FAQ entries: save, get, list by id, upsert, delete, `NotFound`.
pub async fn faqs(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let reset = fixtures::faq(tenant, "How do I reset my password?");
    let refund = fixtures::faq(tenant, "When do refunds arrive?");
    let vpn = fixtures::faq(tenant, "How do I connect to the VPN?");
    for f in [&vpn, &reset, &refund] {
        store.save_faq(f).await.expect("save_faq");
    }
    assert_eq!(
        store.get_faq(tenant, refund.id).await.expect("get_faq"),
        refund
    );
    assert_eq!(
        store.list_faqs(tenant).await.expect("list_faqs"),
        vec![reset.clone(), refund.clone(), vpn.clone()],
        "by id"
    );

    let edited = Faq {
        answer: "Within 5 business days.".to_string(),
        tags: fixtures::tags(&["billing"]),
        ..refund.clone()
    };
    store.save_faq(&edited).await.expect("save_faq (upsert)");
    assert_eq!(
        store.get_faq(tenant, refund.id).await.expect("get_faq"),
        edited
    );

    store
        .delete_faq(tenant, reset.id)
        .await
        .expect("delete_faq");
    expect_not_found(
        store.get_faq(tenant, reset.id).await,
        "get_faq after delete",
    );
    expect_not_found(store.delete_faq(tenant, reset.id).await, "delete_faq twice");
    expect_not_found(
        store.get_faq(tenant, FaqId::new()).await,
        "get_faq of an unknown id",
    );
    assert_eq!(
        store.list_faqs(tenant).await.expect("list_faqs"),
        vec![edited, vpn]
    );
}
