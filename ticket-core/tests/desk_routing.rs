//! HelpDesk behaviour: rules over combined changes, assignments seen by later rules, the
//! persisted round-robin rotation, idempotent distribution, and what demoting or
//! deleting an agent does to their tickets, over MemoryStore.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test set-up may unwrap

mod common;

use common::{account, world, World};
use ticket_core::account::{Availability, Role};
use ticket_core::desk::{AssignInput, RuleInput, TeamInput, UserPatch};
use ticket_core::event::EventKind;
use ticket_core::id::{TeamId, TicketId};
use ticket_core::notify::Recipient;
use ticket_core::routing::AssignStrategy;
use ticket_core::rules::{Action, Condition, Trigger};
use ticket_core::text::Tag;
use ticket_core::ticket::Ticket;
use ticket_core::Actor;

async fn rule(
    w: &World,
    name: &str,
    position: i32,
    triggers: Vec<Trigger>,
    condition: Condition,
    actions: Vec<Action>,
) {
    w.desk
        .create_rule(
            &w.admin,
            RuleInput {
                name: name.into(),
                position,
                enabled: true,
                triggers,
                condition,
                actions,
            },
        )
        .await
        .unwrap();
}

/// The rule "Assign", first of all: every new ticket to the least-loaded agent online.
async fn routing_rule(w: &World) {
    rule(
        w,
        "Assign",
        0,
        vec![Trigger::TicketCreated],
        Condition::Always,
        vec![Action::Assign {
            strategy: AssignStrategy::LeastLoaded,
        }],
    )
    .await;
}

fn tag(name: &str) -> Action {
    Action::AddTags {
        tags: vec![Tag::parse(name).unwrap()],
    }
}

fn has(t: &Ticket, name: &str) -> bool {
    t.tags.contains(&Tag::parse(name).unwrap())
}

/// The world's agent goes offline: routing finds nobody to pick.
async fn agent_offline(w: &World) {
    w.desk
        .set_availability(&w.agent, w.agent.user_id().unwrap(), Availability::Offline)
        .await
        .unwrap();
}

async fn reload(w: &World, id: TicketId) -> Ticket {
    w.desk.get_ticket(&w.admin, id).await.unwrap()
}

async fn fired(w: &World, id: TicketId, name: &str) -> usize {
    let history = w.desk.history(&w.admin, id).await.unwrap();
    history
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::RuleFired { name: n, .. } if n == name))
        .count()
}

#[tokio::test]
async fn a_transition_with_a_comment_runs_comment_and_update_rules_once_each() {
    let w = world().await;
    rule(
        &w,
        "On comment",
        0,
        vec![Trigger::CommentAdded],
        Condition::Always,
        vec![tag("commented")],
    )
    .await;
    rule(
        &w,
        "On update",
        1,
        vec![Trigger::TicketUpdated],
        Condition::Always,
        vec![tag("updated")],
    )
    .await;
    rule(
        &w,
        "On both",
        2,
        vec![Trigger::TicketUpdated, Trigger::CommentAdded],
        Condition::Always,
        vec![tag("both")],
    )
    .await;
    let t = w.ticket(&w.customer, "Combined").await;
    let done = w
        .desk
        .transition(&w.agent, t.id, "in_progress", Some("On it.".into()))
        .await
        .unwrap();
    assert!(
        has(&done, "commented") && has(&done, "updated") && has(&done, "both"),
        "{:?}",
        done.tags
    );
    assert_eq!(fired(&w, t.id, "On both").await, 1, "once per change");
}

#[tokio::test]
async fn a_reply_that_moves_the_status_runs_update_rules() {
    let w = world().await;
    let reopened = Condition::StatusIs {
        statuses: vec![ticket_core::text::Status::known("open")],
    };
    rule(
        &w,
        "On reopen",
        0,
        vec![Trigger::TicketUpdated],
        reopened,
        vec![tag("reopened")],
    )
    .await;
    let t = w.ticket(&w.customer, "Waiting").await;
    w.desk
        .transition(&w.agent, t.id, "pending", None)
        .await
        .unwrap();
    w.desk
        .add_comment(&w.customer, t.id, "Here you go.", false)
        .await
        .unwrap();
    let after = reload(&w, t.id).await;
    assert_eq!(after.status.as_str(), "open", "the reply reopened it");
    assert!(
        has(&after, "reopened"),
        "update rules ran on the reply's move"
    );
    assert_eq!(fired(&w, t.id, "On reopen").await, 1);
}

#[tokio::test]
async fn a_later_rule_sees_the_assignment_of_an_earlier_one() {
    let w = world().await;
    routing_rule(&w).await;
    rule(
        &w,
        "Alert if unassigned",
        1,
        vec![Trigger::TicketCreated],
        Condition::Unassigned,
        vec![tag("nobody")],
    )
    .await;
    let t = w.ticket(&w.customer, "Routed").await;
    assert_eq!(t.assignee, w.agent.user_id());
    assert!(!has(&t, "nobody"), "the alert saw the assignment");
    // With nobody online, the alert fires.
    agent_offline(&w).await;
    let t = w.ticket(&w.customer, "Nobody there").await;
    assert_eq!(t.assignee, None);
    assert!(has(&t, "nobody"));
}

#[tokio::test]
async fn a_rule_whose_actions_change_nothing_is_not_recorded() {
    let w = world().await;
    routing_rule(&w).await;
    rule(
        &w,
        "Tag twice",
        1,
        vec![Trigger::TicketCreated],
        Condition::Always,
        vec![tag("seen")],
    )
    .await;
    // Routed to the agent online, tagged: both rules changed the ticket.
    let t = w.ticket(&w.customer, "Routed").await;
    assert_eq!(t.assignee, w.agent.user_id());
    assert_eq!(fired(&w, t.id, "Assign").await, 1);
    assert_eq!(fired(&w, t.id, "Tag twice").await, 1);
    // Nobody to pick: the routing rule matches, changes nothing, and leaves no trace.
    agent_offline(&w).await;
    let t = w.ticket(&w.customer, "Nobody there").await;
    assert_eq!(t.assignee, None);
    assert_eq!(fired(&w, t.id, "Assign").await, 0);
    assert_eq!(fired(&w, t.id, "Tag twice").await, 1);
    // An update that fires the tag rule again on a ticket that has the tag: nothing.
    rule(
        &w,
        "Tag on update",
        2,
        vec![Trigger::TicketUpdated],
        Condition::Always,
        vec![tag("seen")],
    )
    .await;
    let t = w
        .desk
        .update_ticket(
            &w.admin,
            t.id,
            ticket_core::ticket::TicketPatch {
                priority: Some(ticket_core::ticket::Priority::High),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(fired(&w, t.id, "Tag on update").await, 0);
    let kinds: Vec<&str> = w
        .desk
        .history(&w.admin, t.id)
        .await
        .unwrap()
        .iter()
        .map(|e| e.kind.name())
        .collect();
    assert_eq!(
        kinds,
        ["created", "rule_fired", "tags_changed", "priority_changed"],
        "only what changed is recorded"
    );
}

async fn online_agent(w: &World, name: &str, teams: Vec<TeamId>) -> Actor {
    let u = w
        .desk
        .create_user(&w.superadmin, account(name), Role::Agent)
        .await
        .unwrap();
    let a = Actor::user(w.tenant, u.id, Role::Agent);
    w.make_agent_online(
        &a,
        UserPatch {
            team_ids: Some(teams),
            ..UserPatch::default()
        },
    )
    .await;
    a
}

#[tokio::test]
async fn round_robin_rotation_is_kept_whatever_happens_to_the_tickets() {
    let w = world().await;
    agent_offline(&w).await;
    let a = online_agent(&w, "rr_a", vec![]).await;
    let b = online_agent(&w, "rr_b", vec![]).await;
    rule(
        &w,
        "Rotate",
        0,
        vec![Trigger::TicketCreated],
        Condition::Always,
        vec![Action::Assign {
            strategy: AssignStrategy::RoundRobin,
        }],
    )
    .await;
    let first = w.ticket(&w.customer, "One").await;
    let first_agent = first.assignee.unwrap();
    // The agent's ticket is taken away again: they hold nothing, but had their turn.
    w.desk
        .assign(
            &w.admin,
            first.id,
            AssignInput {
                assignee: Some(None),
                team: None,
            },
        )
        .await
        .unwrap();
    let second = w.ticket(&w.customer, "Two").await.assignee.unwrap();
    assert_ne!(second, first_agent, "the rotation moved on");
    let third = w.ticket(&w.customer, "Three").await.assignee.unwrap();
    assert_eq!(third, first_agent);
    let both = [a.user_id().unwrap(), b.user_id().unwrap()];
    assert!(both.contains(&second) && both.contains(&third));
}

#[tokio::test]
async fn distributing_again_completes_without_duplicating() {
    let w = world().await;
    let team = w
        .desk
        .create_team(
            &w.admin,
            TeamInput {
                name: "Field".into(),
                ..TeamInput::default()
            },
        )
        .await
        .unwrap();
    let member = online_agent(&w, "field_agent", vec![team.id]).await;
    let t1 = w.ticket(&w.customer, "First").await;
    let t2 = w.ticket(&w.customer, "Second").await;
    // A first call that got as far as the first ticket.
    w.desk
        .distribute(&w.admin, &[t1.id], team.id)
        .await
        .unwrap();
    let unread = w.desk.unread_notifications(&member).await.unwrap();
    // The retry with every id.
    let out = w
        .desk
        .distribute(&w.admin, &[t1.id, t2.id], team.id)
        .await
        .unwrap();
    assert!(out.iter().all(|t| t.team == Some(team.id)));
    let distributed = |h: Vec<ticket_core::event::TicketEvent>| {
        h.iter()
            .filter(|e| matches!(e.kind, EventKind::Distributed { .. }))
            .count()
    };
    assert_eq!(
        distributed(w.desk.history(&w.admin, t1.id).await.unwrap()),
        1
    );
    assert_eq!(
        distributed(w.desk.history(&w.admin, t2.id).await.unwrap()),
        1
    );
    assert_eq!(
        w.desk.unread_notifications(&member).await.unwrap(),
        unread + 1,
        "only the second ticket notifies"
    );
}

#[tokio::test]
async fn demoting_an_agent_unassigns_open_tickets_only_and_stops_team_notifications() {
    let w = world().await;
    let team = w
        .desk
        .create_team(
            &w.admin,
            TeamInput {
                name: "Desk".into(),
                ..TeamInput::default()
            },
        )
        .await
        .unwrap();
    let agent = online_agent(&w, "demoted", vec![team.id]).await;
    let id = agent.user_id().unwrap();
    let assign = AssignInput {
        assignee: Some(Some(id)),
        team: None,
    };
    let open = w.ticket(&w.customer, "Open one").await;
    let solved = w.ticket(&w.customer, "Solved one").await;
    w.desk.assign(&w.admin, open.id, assign).await.unwrap();
    w.desk.assign(&w.admin, solved.id, assign).await.unwrap();
    w.desk
        .transition(&w.admin, solved.id, "resolved", None)
        .await
        .unwrap();
    w.desk
        .update_user(
            &w.superadmin,
            id,
            UserPatch {
                role: Some(Role::Customer),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        reload(&w, open.id).await.assignee,
        None,
        "open work goes back"
    );
    assert_eq!(
        reload(&w, solved.id).await.assignee,
        Some(id),
        "the record stays"
    );
    let before = w.desk.unread_notifications(&agent).await.unwrap();
    let t = w.ticket(&w.customer, "For the team").await;
    w.desk
        .notify(
            &w.admin,
            t.id,
            Recipient::Team { team_id: team.id },
            "Heads up",
        )
        .await
        .unwrap();
    assert_eq!(
        w.desk.unread_notifications(&agent).await.unwrap(),
        before,
        "no staff notifications"
    );
}

#[tokio::test]
async fn deleting_an_agent_again_completes_an_interrupted_unassignment() {
    let w = world().await;
    let agent = online_agent(&w, "leaving", vec![]).await;
    let id = agent.user_id().unwrap();
    let assign = AssignInput {
        assignee: Some(Some(id)),
        team: None,
    };
    let mut open = Vec::new();
    for i in 0..3 {
        let t = w.ticket(&w.customer, &format!("Open {i}")).await;
        w.desk.assign(&w.admin, t.id, assign).await.unwrap();
        open.push(t.id);
    }
    let solved = w.ticket(&w.customer, "Done").await;
    w.desk.assign(&w.admin, solved.id, assign).await.unwrap();
    w.desk
        .transition(&w.admin, solved.id, "resolved", None)
        .await
        .unwrap();
    w.desk.delete_account(&w.admin, id).await.unwrap();
    for t in &open {
        assert_eq!(reload(&w, *t).await.assignee, None);
    }
    assert_eq!(
        reload(&w, solved.id).await.assignee,
        Some(id),
        "solved work keeps its record"
    );

    // An interruption: the account is deleted but a ticket is still theirs (as after a
    // timeout between the two steps). Deleting again completes it.
    let stuck = w.ticket(&w.customer, "Stuck").await;
    let mut change = ticket_core::ports::TicketStore::get_ticket(&*w.store, w.tenant, stuck.id)
        .await
        .unwrap();
    change.assignee = Some(id);
    change.version += 1;
    ticket_core::ports::TicketStore::save(
        &*w.store,
        &ticket_core::ports::TicketChange {
            ticket: change,
            expected_version: Some(stuck.version),
            comments: vec![],
            events: vec![],
            notifications: vec![],
            outbox: vec![],
            capacity: None,
            publish_events: false,
        },
    )
    .await
    .unwrap();
    w.desk.delete_account(&w.admin, id).await.unwrap();
    assert_eq!(reload(&w, stuck.id).await.assignee, None);
    assert!(
        matches!(
            w.desk.delete_account(&w.admin, id).await,
            Err(ticket_core::Error::NotFound { .. })
        ),
        "nothing left to do: gone"
    );
}
