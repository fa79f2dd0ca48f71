//! HelpDesk behaviour: the ticket life cycle over MemoryStore.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test set-up may unwrap

mod common;

use chrono::Duration;
use common::{world, world_with};
use std::sync::Arc;
use ticket_core::desk::{AssignInput, FaqInput, RuleInput, SlaPolicyInput, TeamInput};
use ticket_core::error::Conflict;
use ticket_core::event::EventKind;
use ticket_core::ports::{Classifier, FaqMatch, FaqMatcher, TicketStore};
use ticket_core::query::{StatsQuery, TicketQuery};
use ticket_core::routing::AssignStrategy;
use ticket_core::rules::{Action, Condition, Trigger};
use ticket_core::sla::{SlaCondition, SlaTargets};
use ticket_core::team::Faq;
use ticket_core::text::{Category, Tag};
use ticket_core::ticket::{Classification, NewTicket, Priority, Scored, TicketInput, TicketPatch};
use ticket_core::Error;

mockall::mock! {
    pub Classify {}
    #[async_trait::async_trait]
    impl Classifier for Classify {
        async fn classify(&self, draft: &NewTicket) -> ticket_core::Result<Classification>;
    }
}

/// A classifier that never answers in time.
struct Slow;

#[async_trait::async_trait]
impl Classifier for Slow {
    async fn classify(&self, _: &NewTicket) -> ticket_core::Result<Classification> {
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        Ok(Classification::default())
    }
}

fn input(title: &str) -> TicketInput {
    TicketInput {
        title: title.into(),
        description: "details".into(),
        ..TicketInput::default()
    }
}

#[tokio::test]
async fn classification_sets_category_priority_and_tags() {
    let mut mock = MockClassify::new();
    mock.expect_classify().times(1).returning(|_| {
        Ok(Classification {
            category: Some(Scored {
                value: Category::known(Category::BILLING),
                confidence: 0.9,
            }),
            priority: Some(Scored {
                value: Priority::High,
                confidence: 0.8,
            }),
            tags: vec![Tag::parse("refund").unwrap()],
            model: "mock".into(),
            ..Classification::default()
        })
    });
    let w = world_with(|b| b.classifier(Arc::new(mock))).await;
    let t = w
        .desk
        .create_ticket(&w.customer, input("Charged twice"))
        .await
        .unwrap();
    assert_eq!(t.category.as_str(), "billing");
    assert_eq!(t.priority, Priority::High);
    assert!(t.tags.contains(&Tag::parse("refund").unwrap()));
    assert_eq!(t.classification.unwrap().model, "mock");
}

/// Answers with the entry whose question shares a word with the title.
struct WordMatcher;

#[async_trait::async_trait]
impl FaqMatcher for WordMatcher {
    async fn best_match(
        &self,
        draft: &NewTicket,
        faqs: &[Faq],
    ) -> ticket_core::Result<Option<FaqMatch>> {
        let title = draft.title.as_str().to_lowercase();
        Ok(faqs
            .iter()
            .find(|f| {
                f.question
                    .to_lowercase()
                    .split_whitespace()
                    .any(|w| title.contains(w))
            })
            .map(|f| FaqMatch {
                faq: f.clone(),
                score: 0.9,
            }))
    }
}

#[tokio::test]
async fn preview_tells_what_raising_would_decide_and_writes_nothing() {
    let mut mock = MockClassify::new();
    mock.expect_classify().times(1).returning(|_| {
        Ok(Classification {
            category: Some(Scored {
                value: Category::known(Category::BILLING),
                confidence: 0.9,
            }),
            tags: vec![Tag::parse("refund").unwrap()],
            model: "mock".into(),
            ..Classification::default()
        })
    });
    let w = world_with(|b| {
        b.classifier(Arc::new(mock))
            .faq_matcher(Arc::new(WordMatcher))
    })
    .await;
    let faq = w
        .desk
        .create_faq(
            &w.admin,
            FaqInput {
                question: "Invoice copies".into(),
                answer: "Billing > Invoices > Download.".into(),
                tags: Vec::new(),
            },
        )
        .await
        .unwrap();
    let p = w
        .desk
        .preview_ticket(
            &w.customer,
            TicketInput {
                priority: Some(Priority::Critical),
                tags: vec!["Urgent".into()],
                ..input("Where is my invoice?")
            },
        )
        .await
        .unwrap();
    assert_eq!(p.category.as_str(), "billing");
    assert_eq!(p.priority, Priority::Critical);
    let tags: Vec<_> = p.tags.iter().map(|t| t.as_str().to_string()).collect();
    assert_eq!(tags, ["refund", "urgent"]);
    assert_eq!(p.classification.unwrap().model, "mock");
    assert_eq!(p.faq.unwrap().faq.id, faq.id);
    let all = w
        .desk
        .list_tickets(&w.admin, TicketQuery::default())
        .await
        .unwrap();
    assert!(all.items.is_empty(), "a preview raises nothing");
    assert!(matches!(
        w.desk.preview_ticket(&w.customer, input("")).await,
        Err(Error::Invalid(_))
    ));
}

#[tokio::test]
async fn requester_choices_win_over_the_classifier() {
    let mut mock = MockClassify::new();
    mock.expect_classify().returning(|_| {
        Ok(Classification {
            priority: Some(Scored {
                value: Priority::Low,
                confidence: 0.99,
            }),
            ..Classification::default()
        })
    });
    let w = world_with(|b| b.classifier(Arc::new(mock))).await;
    let t = w
        .desk
        .create_ticket(
            &w.customer,
            TicketInput {
                priority: Some(Priority::Critical),
                category: Some("account".into()),
                ..input("x")
            },
        )
        .await
        .unwrap();
    assert_eq!(t.priority, Priority::Critical);
    assert_eq!(t.category.as_str(), "account");
}

#[tokio::test]
async fn a_classifier_error_still_stores_the_ticket_with_defaults() {
    let mut mock = MockClassify::new();
    mock.expect_classify()
        .times(1)
        .returning(|_| Err(Error::Classify("model offline".into())));
    let w = world_with(|b| b.classifier(Arc::new(mock))).await;
    let t = w
        .desk
        .create_ticket(&w.customer, input("Printer broken"))
        .await
        .unwrap();
    assert_eq!(t.category.as_str(), "general");
    assert_eq!(t.priority, Priority::Medium);
    assert!(t.classification.is_none());
    assert_eq!(w.store.get_ticket(w.tenant, t.id).await.unwrap(), t);
}

#[tokio::test(start_paused = true)]
async fn a_classifier_timeout_still_stores_the_ticket() {
    let w = world_with(|b| b.classifier(Arc::new(Slow))).await;
    let t = w
        .desk
        .create_ticket(&w.customer, input("Slow day"))
        .await
        .unwrap();
    assert!(t.classification.is_none());
    assert_eq!(w.store.get_ticket(w.tenant, t.id).await.unwrap().id, t.id);
}

#[tokio::test]
async fn invalid_input_lists_every_field_and_stores_nothing() {
    let w = world().await;
    let err = w
        .desk
        .create_ticket(
            &w.customer,
            TicketInput {
                title: "".into(),
                description: "nul\0".into(),
                tags: vec!["ok".into(), "bad tag!".into()],
                ..TicketInput::default()
            },
        )
        .await
        .unwrap_err();
    let Error::Invalid(fields) = err else {
        panic!("{err:?}")
    };
    let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(names, ["title", "description", "tags[1]"]);
    let page = w
        .desk
        .list_tickets(&w.admin, TicketQuery::default())
        .await
        .unwrap();
    assert!(page.items.is_empty());
}

#[tokio::test]
async fn a_version_conflict_surfaces_and_writes_nothing() {
    let w = world().await;
    let t = w.ticket(&w.customer, "Conflicting edits").await;
    let first = w
        .desk
        .update_ticket(
            &w.agent,
            t.id,
            TicketPatch {
                priority: Some(Priority::High),
                ..TicketPatch::default()
            },
            Some(t.version),
        )
        .await
        .unwrap();
    assert_eq!(first.version, t.version + 1);
    let history_before = w.desk.history(&w.admin, t.id).await.unwrap();
    let err = w
        .desk
        .update_ticket(
            &w.admin,
            t.id,
            TicketPatch {
                priority: Some(Priority::Low),
                ..TicketPatch::default()
            },
            Some(t.version),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Conflict(Conflict::Version { .. })),
        "{err:?}"
    );
    let stored = w.desk.get_ticket(&w.admin, t.id).await.unwrap();
    assert_eq!(stored.priority, Priority::High);
    assert_eq!(stored.version, first.version);
    assert_eq!(
        w.desk.history(&w.admin, t.id).await.unwrap(),
        history_before
    );
}

#[tokio::test]
async fn customers_see_only_their_own_tickets_and_no_internal_notes() {
    let w = world().await;
    let mine = w.ticket(&w.customer, "Mine").await;
    let theirs = w.ticket(&w.other_customer, "Theirs").await;
    let page = w
        .desk
        .list_tickets(&w.customer, TicketQuery::default())
        .await
        .unwrap();
    assert_eq!(
        page.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        [mine.id]
    );
    assert!(matches!(
        w.desk.get_ticket(&w.customer, theirs.id).await,
        Err(Error::NotFound { .. })
    ));
    let both = w
        .desk
        .get_tickets(&w.customer, &[mine.id, theirs.id])
        .await
        .unwrap();
    assert_eq!(both.len(), 1);
    w.desk
        .add_comment(&w.agent, mine.id, "internal only", true)
        .await
        .unwrap();
    w.desk
        .add_comment(&w.agent, mine.id, "Hello Carl", false)
        .await
        .unwrap();
    let seen = w
        .desk
        .list_comments(&w.customer, mine.id, None, None)
        .await
        .unwrap()
        .items;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body.as_str(), "Hello Carl");
    assert_eq!(
        w.desk
            .list_comments(&w.agent, mine.id, None, None)
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    let history = w.desk.history(&w.customer, mine.id).await.unwrap();
    assert!(history.iter().all(|e| !matches!(
        e.kind,
        EventKind::Commented {
            visibility: ticket_core::ticket::Visibility::Internal,
            ..
        }
    )));
    assert!(w
        .desk
        .add_comment(&w.customer, mine.id, "sneaky", true)
        .await
        .is_err());
    assert!(matches!(
        w.desk
            .add_comment(&w.customer, theirs.id, "hi", false)
            .await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn first_reply_stamps_first_response_and_workflow_moves_follow_replies() {
    let w = world().await;
    let t = w.ticket(&w.customer, "Replies").await;
    assert_eq!(t.status.as_str(), "new");
    w.clock.advance(Duration::minutes(5));
    w.desk
        .add_comment(&w.agent, t.id, "Looking into it", false)
        .await
        .unwrap();
    let t = w.desk.get_ticket(&w.agent, t.id).await.unwrap();
    assert_eq!(
        t.status.as_str(),
        "open",
        "a staff reply opens a new ticket"
    );
    assert_eq!(
        t.first_response_at,
        Some(common::start() + Duration::minutes(5))
    );
    w.desk
        .transition(&w.agent, t.id, "pending", Some("Which browser?".into()))
        .await
        .unwrap();
    w.desk
        .add_comment(&w.customer, t.id, "Firefox", false)
        .await
        .unwrap();
    let t = w.desk.get_ticket(&w.agent, t.id).await.unwrap();
    assert_eq!(
        t.status.as_str(),
        "open",
        "a customer reply reopens a pending ticket"
    );
    // Customers may resolve and reopen their own tickets, not close them.
    w.desk
        .transition(&w.customer, t.id, "resolved", None)
        .await
        .unwrap();
    let err = w
        .desk
        .transition(&w.customer, t.id, "closed", None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidTransition { .. }));
    let t = w
        .desk
        .transition(&w.customer, t.id, "open", None)
        .await
        .unwrap();
    assert!(t.resolved_at.is_some());
    w.desk
        .transition(&w.agent, t.id, "resolved", None)
        .await
        .unwrap();
    w.desk
        .transition(&w.agent, t.id, "closed", None)
        .await
        .unwrap();
    assert!(matches!(
        w.desk.transition(&w.agent, t.id, "open", None).await,
        Err(Error::InvalidTransition { .. })
    ));
    let t = w
        .desk
        .transition(&w.admin, t.id, "open", None)
        .await
        .unwrap();
    assert_eq!(t.status.as_str(), "open");
    assert!(matches!(
        w.desk
            .transition(&w.admin, t.id, "no_such_status", None)
            .await,
        Err(Error::Invalid(_))
    ));
}

#[tokio::test]
async fn claim_assign_and_distribute() {
    let w = world().await;
    let t = w.ticket(&w.customer, "Claim me").await;
    let claimed = w.desk.claim(&w.agent, t.id).await.unwrap();
    assert_eq!(claimed.assignee, w.agent.user_id());
    assert!(claimed.assigned_at.is_some());
    let err = w.desk.claim(&w.admin, t.id).await.unwrap_err();
    assert!(matches!(err, Error::Conflict(Conflict::State { .. })));
    // Assigning to a customer is refused.
    let err = w
        .desk
        .assign(
            &w.admin,
            t.id,
            AssignInput {
                assignee: Some(w.customer.user_id()),
                team: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)));
    let team = w
        .desk
        .create_team(
            &w.admin,
            TeamInput {
                name: "Network".into(),
                webhook_url: Some("https://hooks.example.com/net".into()),
                ..TeamInput::default()
            },
        )
        .await
        .unwrap();
    let t2 = w.ticket(&w.customer, "Second").await;
    let moved = w
        .desk
        .distribute(&w.agent, &[t.id, t2.id], team.id)
        .await
        .unwrap();
    assert!(moved.iter().all(|t| t.team == Some(team.id)));
    let history = w.desk.history(&w.admin, t2.id).await.unwrap();
    assert!(history
        .iter()
        .any(|e| matches!(e.kind, EventKind::Distributed { team_id } if team_id == team.id)));
    // The team's webhook got one delivery per ticket, through the outbox.
    let deliveries = w
        .desk
        .list_deliveries(&w.admin, None, None, None)
        .await
        .unwrap();
    let distributed = deliveries
        .items
        .iter()
        .filter(|d| d.kind == ticket_core::notify::NotificationKind::Distributed);
    assert_eq!(distributed.count(), 2);
    // Unknown ids make the whole distribution fail before anything changes.
    let t3 = w.ticket(&w.customer, "Third").await;
    let err = w
        .desk
        .distribute(
            &w.agent,
            &[t3.id, ticket_core::id::TicketId::new()],
            team.id,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }));
    assert_eq!(w.desk.get_ticket(&w.admin, t3.id).await.unwrap().team, None);
}

#[tokio::test]
async fn rules_route_new_tickets_to_a_team_and_an_agent() {
    let w = world().await;
    let team = w
        .desk
        .create_team(
            &w.admin,
            TeamInput {
                name: "Billing".into(),
                ..TeamInput::default()
            },
        )
        .await
        .unwrap();
    w.make_agent_online(
        &w.agent,
        ticket_core::desk::UserPatch {
            team_ids: Some(vec![team.id]),
            ..Default::default()
        },
    )
    .await;
    w.desk
        .create_rule(
            &w.admin,
            RuleInput {
                name: "Billing".into(),
                position: 0,
                enabled: true,
                triggers: vec![Trigger::TicketCreated],
                condition: Condition::TextContains {
                    phrases: vec!["invoice".into()],
                },
                actions: vec![
                    Action::SetTeam { team_id: team.id },
                    Action::Assign {
                        strategy: AssignStrategy::LeastLoaded,
                    },
                ],
            },
        )
        .await
        .unwrap();
    let routed = w.ticket(&w.customer, "Wrong invoice").await;
    assert_eq!(routed.team, Some(team.id));
    assert_eq!(routed.assignee, w.agent.user_id());
    let history = w.desk.history(&w.admin, routed.id).await.unwrap();
    let kinds: Vec<_> = history.iter().map(|e| e.kind.name()).collect();
    assert_eq!(kinds[0], "created");
    assert!(
        kinds.contains(&"rule_fired")
            && kinds.contains(&"team_changed")
            && kinds.contains(&"assigned"),
        "{kinds:?}"
    );
    // The agent is told in-app.
    assert_eq!(w.desk.unread_notifications(&w.agent).await.unwrap(), 1);
    let other = w.ticket(&w.customer, "Hello").await;
    assert_eq!(other.team, None);
}

#[tokio::test]
async fn sla_deadlines_are_set_and_the_sweep_records_each_threshold_once() {
    let w = world().await;
    w.desk
        .create_sla_policy(
            &w.admin,
            SlaPolicyInput {
                name: "Fast".into(),
                position: 0,
                enabled: true,
                condition: SlaCondition::default(),
                targets: SlaTargets {
                    first_response_minutes: Some(60),
                    next_response_minutes: None,
                    resolution_minutes: Some(240),
                },
                calendar_id: None,
                warn_at_percent: 50,
            },
        )
        .await
        .unwrap();
    w.desk
        .create_rule(
            &w.admin,
            RuleInput {
                name: "Escalate".into(),
                position: 0,
                enabled: true,
                triggers: vec![Trigger::SlaBreached],
                condition: Condition::Always,
                actions: vec![Action::Escalate {
                    reason: "late".into(),
                    team_id: None,
                }],
            },
        )
        .await
        .unwrap();
    let t = w.ticket(&w.customer, "Slow").await;
    let sla = t.sla.clone().unwrap();
    assert_eq!(
        sla.first_response_due,
        Some(common::start() + Duration::minutes(60))
    );
    assert_eq!(
        sla.resolution_due,
        Some(common::start() + Duration::minutes(240))
    );
    assert_eq!(
        sla.next_check,
        Some(common::start() + Duration::minutes(30))
    );

    let now = common::start() + Duration::minutes(61);
    w.clock.set(now);
    let first = w.desk.sweep_sla(now).await.unwrap();
    assert_eq!(
        (first.warnings, first.breaches),
        (1, 1),
        "first response warned and breached; resolution not yet at 50%"
    );
    let again = w.desk.sweep_sla(now).await.unwrap();
    assert_eq!(
        (again.warnings, again.breaches),
        (0, 0),
        "thresholds are recorded once"
    );
    let t = w.desk.get_ticket(&w.admin, t.id).await.unwrap();
    assert_eq!(
        t.priority,
        Priority::High,
        "the escalation rule raised the priority"
    );
    assert!(t.sla.as_ref().unwrap().breached);
    let history = w.desk.history(&w.admin, t.id).await.unwrap();
    assert_eq!(
        history
            .iter()
            .filter(|e| matches!(e.kind, EventKind::SlaBreached { .. }))
            .count(),
        1
    );
    assert_eq!(
        history
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Escalated { .. }))
            .count(),
        1
    );
    let status = w.desk.sla_status(&w.agent, t.id).await.unwrap().unwrap();
    assert!(status.targets.iter().any(|s| s.breached));
    let stats = w.desk.stats(&w.admin, StatsQuery::default()).await.unwrap();
    assert_eq!(stats.sla.breached, 1);
}

#[tokio::test]
async fn delete_keeps_the_history_for_staff() {
    let w = world().await;
    let t = w.ticket(&w.customer, "Delete me").await;
    assert!(matches!(
        w.desk.delete_ticket(&w.agent, t.id).await,
        Err(Error::Forbidden(_))
    ));
    w.desk.delete_ticket(&w.admin, t.id).await.unwrap();
    assert!(matches!(
        w.desk.get_ticket(&w.admin, t.id).await,
        Err(Error::NotFound { .. })
    ));
    let history = w.desk.history(&w.admin, t.id).await.unwrap();
    assert_eq!(history.last().unwrap().kind, EventKind::Deleted);
    assert!(matches!(
        w.desk.history(&w.customer, t.id).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn notify_a_webhook_and_an_email_through_the_outbox() {
    let w = world().await;
    let t = w.ticket(&w.customer, "Tell someone").await;
    w.desk
        .notify(
            &w.agent,
            t.id,
            ticket_core::notify::Recipient::Webhook {
                url: "https://partner.example.com/hook".into(),
            },
            "FYI",
        )
        .await
        .unwrap();
    let err = w
        .desk
        .notify(
            &w.agent,
            t.id,
            ticket_core::notify::Recipient::Webhook {
                url: "ftp://nope".into(),
            },
            "FYI",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)));
    let deliveries = w
        .desk
        .list_deliveries(&w.admin, None, None, None)
        .await
        .unwrap();
    let webhooks: Vec<_> = deliveries
        .items
        .iter()
        .filter(|d| d.ticket_id == Some(t.id))
        .collect();
    assert_eq!(webhooks.len(), 1);
    assert_eq!(webhooks[0].payload["message"], "FYI");
    assert!(matches!(
        w.desk
            .notify(
                &w.customer,
                t.id,
                ticket_core::notify::Recipient::Webhook {
                    url: "https://x.example".into()
                },
                "hi"
            )
            .await,
        Err(Error::Forbidden(_))
    ));
}

#[tokio::test]
async fn rules_on_the_requester_email_domain_see_the_requester() {
    let w = world().await;
    let mut rules = Vec::new();
    for (name, domain) in [("Ours", "example.com"), ("Theirs", "example.org")] {
        let rule = w
            .desk
            .create_rule(
                &w.admin,
                RuleInput {
                    name: name.into(),
                    position: 0,
                    enabled: true,
                    triggers: vec![Trigger::TicketCreated],
                    condition: Condition::RequesterEmailDomain {
                        domain: domain.into(),
                    },
                    actions: vec![Action::AddTags {
                        tags: vec![Tag::parse(name).unwrap()],
                    }],
                },
            )
            .await
            .unwrap();
        rules.push(rule);
    }
    // Every account of the test world is @example.com.
    let t = w.ticket(&w.customer, "Hello").await;
    let tags: Vec<_> = t.tags.iter().map(|t| t.as_str().to_string()).collect();
    assert_eq!(tags, ["ours"]);
    // The dry run of a rule sees the requester too.
    let matched: Vec<bool> = futures::future::join_all(
        rules
            .iter()
            .map(|r| w.desk.preview_rule(&w.admin, r.id, t.id)),
    )
    .await
    .into_iter()
    .map(|p| p.unwrap().matched)
    .collect();
    assert_eq!(matched, [true, false]);
}

#[tokio::test]
async fn history_pages_read_the_history_a_page_at_a_time() {
    let w = world().await;
    let t = w.ticket(&w.customer, "Chatty").await;
    for i in 0..4 {
        w.clock.set(common::start() + Duration::minutes(i + 1));
        w.desk
            .add_comment(&w.agent, t.id, &format!("Reply {i}"), i % 2 == 1)
            .await
            .unwrap();
    }
    for (actor, limit) in [(&w.admin, 2), (&w.customer, 3)] {
        let whole = w.desk.history(actor, t.id).await.unwrap();
        let mut walked = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = w
                .desk
                .history_page(actor, t.id, limit, cursor.as_deref())
                .await
                .unwrap();
            assert!(page.items.len() <= limit as usize);
            walked.extend(page.items);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(walked, whole);
    }
    assert!(w
        .desk
        .history_page(&w.other_customer, t.id, 10, None)
        .await
        .is_err());
}
