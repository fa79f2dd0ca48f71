//! The store calls of one authenticated create through `HelpDesk`, logged through a
//! [`CountingStore`]: with the default SLA policies and no routing rule, the create reads
//! configuration from the store's cache (no database round trip) and writes in one
//! transaction; nothing reads the requester or the agents. With the default rules, a
//! desk where no agent is online reads no loads either (it remembered finding none);
//! once an agent is online, the routing rule reads the agents' loads and the rotation
//! (at once) and records the pick. With the AI on (a FAQ matcher, FAQ entries, helpful
//! notes, solved tickets to find) the create adds one `list_faqs` (also cached by the
//! SQL stores) and one matcher call, and no search: the similar solved tickets are
//! looked up after it commits ([`HelpDesk::add_similar_notes`]). Each SQL store runs it
//! on itself.

use super::{account, desk_setup, CountingStore, DeskSetup};
use crate::account::{Availability, HashCost, Role};
use crate::desk::FaqInput;
use crate::ports::{FaqMatch, FaqMatcher, Store};
use crate::team::Faq;
use crate::ticket::{NewTicket, TicketInput, Visibility};
use crate::{Actor, HelpDesk, HelpDeskConfig, TenantId};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Scores each entry sharing a word with the title by the share of its question's words
/// found there (0.3 to 0.4: listed in the helpful note, never posted as the answer),
/// counting its calls.
#[derive(Default)]
struct SharedWords {
    calls: AtomicU64,
}

#[async_trait]
impl FaqMatcher for SharedWords {
    async fn best_match(&self, draft: &NewTicket, faqs: &[Faq]) -> crate::Result<Option<FaqMatch>> {
        Ok(self.top_matches(draft, faqs, 1).await?.into_iter().next())
    }

    async fn top_matches(
        &self,
        draft: &NewTicket,
        faqs: &[Faq],
        k: usize,
    ) -> crate::Result<Vec<FaqMatch>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let title = draft.title.as_str().to_lowercase();
        let mut found: Vec<FaqMatch> = faqs
            .iter()
            .filter_map(|f| {
                let words: Vec<String> = f
                    .question
                    .split_whitespace()
                    .map(str::to_lowercase)
                    .collect();
                let shared = words.iter().filter(|w| title.contains(w.as_str())).count();
                (shared > 0).then(|| FaqMatch {
                    faq: f.clone(),
                    score: 0.3 + 0.1 * shared as f32 / words.len() as f32,
                })
            })
            .collect();
        found.sort_by(|a, b| b.score.total_cmp(&a.score));
        found.truncate(k);
        Ok(found)
    }
}

/// One create by an authenticated customer (the actor as the HTTP layer resolves it),
/// after a first one warmed the caches; the store calls it made.
async fn calls_of_one_create(
    desk: &HelpDesk,
    counting: &CountingStore,
    tenant: TenantId,
    customer: &Actor,
) -> BTreeMap<&'static str, u64> {
    let user = customer.user_id().expect("a user");
    let input = || TicketInput {
        title: "The printer is on fire".into(),
        description: "Since this morning".into(),
        ..TicketInput::default()
    };
    let warm = desk.actor(tenant, user).await.expect("actor");
    desk.create_ticket(&warm, input()).await.expect("create");
    counting.reset();
    let actor = desk.actor(tenant, user).await.expect("actor");
    desk.create_ticket(&actor, input()).await.expect("create");
    counting.calls()
}

/// Checks the store calls of one authenticated create on `store` (a fresh, migrated
/// store), printing them under `label`; panics when a create costs more than the
/// configuration reads (cached by the store) and one save.
pub async fn create_cost(store: Arc<dyn Store>, label: &str) {
    let counting = CountingStore::new(store);
    let DeskSetup {
        desk,
        tenant,
        admin,
        customer,
    } = desk_setup(
        HelpDesk::builder(Arc::new(counting.clone())).config(HelpDeskConfig {
            hash_cost: HashCost::TESTING,
            ..HelpDeskConfig::default()
        }),
    )
    .await;
    desk.install_default_sla(&admin).await.expect("default SLA");

    let calls = calls_of_one_create(&desk, &counting, tenant, &customer).await;
    println!("{label} create, default SLA policies, no rules: {calls:?}");
    // list_rules, list_sla_policies and get_calendar are served by the configuration
    // cache; `save` is the one transaction.
    let expected: BTreeMap<&str, u64> = [
        ("get_calendar", 1),
        ("list_rules", 1),
        ("list_sla_policies", 1),
        ("save", 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(calls, expected);

    desk.install_default_rules(&admin)
        .await
        .expect("default rules");
    let calls = calls_of_one_create(&desk, &counting, tenant, &customer).await;
    println!("{label} create, default SLA policies and rules, no agent online: {calls:?}");
    assert_eq!(
        calls, expected,
        "the super-admin is offline: no agent loads are read"
    );

    let bea = desk
        .create_user(&admin, account("bea"), Role::Agent)
        .await
        .expect("agent");
    desk.set_availability(&admin, bea.id, Availability::Online)
        .await
        .expect("online");
    let calls = calls_of_one_create(&desk, &counting, tenant, &customer).await;
    println!("{label} create, default SLA policies and rules, an agent online: {calls:?}");
    let routed: BTreeMap<&str, u64> = expected
        .into_iter()
        .chain([
            ("agent_loads", 1),
            ("get_user", 1),
            ("record_pick", 1),
            ("rotation", 1),
        ])
        .collect();
    // `get_user` is the agent's name for the history (read while the pick is recorded),
    // not the requester.
    assert_eq!(calls, routed, "the loads and the rotation once, one save");

    ai_create_cost(store_of(&counting), label).await;
}

fn store_of(counting: &CountingStore) -> Arc<dyn Store> {
    Arc::new(counting.clone())
}

/// The create with the AI on: FAQ entries, helpful notes, a solved ticket like the new
/// ones. The create reads the FAQ entries once, calls the matcher once and searches
/// nothing; the similar solved ticket is noted after it commits, internal.
async fn ai_create_cost(store: Arc<dyn Store>, label: &str) {
    let counting = CountingStore::new(store);
    let matcher = Arc::new(SharedWords::default());
    let DeskSetup {
        desk,
        tenant,
        admin,
        customer,
    } = desk_setup(
        HelpDesk::builder(Arc::new(counting.clone()))
            .faq_matcher(matcher.clone())
            .config(HelpDeskConfig {
                hash_cost: HashCost::TESTING,
                helpful_notes: true,
                ..HelpDeskConfig::default()
            }),
    )
    .await;
    desk.install_default_sla(&admin).await.expect("default SLA");
    for (question, answer) in [
        ("Printer jams", "Open the tray."),
        ("Password reset", "Use the link."),
        ("Refund delays", "Ten business days."),
    ] {
        let input = FaqInput {
            question: question.into(),
            answer: answer.into(),
            tags: Vec::new(),
        };
        desk.create_faq(&admin, input).await.expect("faq");
    }
    let solved = TicketInput {
        title: "Printer caught fire again".into(),
        description: "Smoke".into(),
        ..TicketInput::default()
    };
    let solved = desk.create_ticket(&customer, solved).await.expect("create");
    desk.transition(&admin, solved.id, "resolved", None)
        .await
        .expect("resolved");
    // The lookups queued so far (the solved ticket's own) are done.
    desk.add_similar_notes(16).await.expect("notes");

    let user = customer.user_id().expect("a user");
    let warm = desk.actor(tenant, user).await.expect("actor");
    let input = || TicketInput {
        title: "The printer is on fire".into(),
        description: "Since this morning".into(),
        ..TicketInput::default()
    };
    desk.create_ticket(&warm, input()).await.expect("create");
    counting.reset();
    let before = matcher.calls.load(Ordering::Relaxed);
    let actor = desk.actor(tenant, user).await.expect("actor");
    let created = desk.create_ticket(&actor, input()).await.expect("create");
    let calls = counting.calls();
    println!("{label} create, AI on (FAQ entries, helpful notes, solved tickets): {calls:?}");
    let expected: BTreeMap<&str, u64> = [
        ("get_calendar", 1),
        ("list_faqs", 1),
        ("list_rules", 1),
        ("list_sla_policies", 1),
        ("save", 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        calls, expected,
        "no search, one FAQ read on the create's path"
    );
    assert_eq!(
        matcher.calls.load(Ordering::Relaxed) - before,
        1,
        "one matcher call serves the answer and the note"
    );

    // After the commit: both new tickets looked up, each noted with the solved one.
    let report = desk.add_similar_notes(16).await.expect("notes");
    assert_eq!((report.looked_up, report.noted, report.failed), (2, 2, 0));
    let staff = desk
        .list_comments(&admin, created.id, None, None)
        .await
        .expect("comments");
    let notes: Vec<&str> = staff
        .items
        .iter()
        .filter(|c| c.visibility == Visibility::Internal)
        .map(|c| c.body.as_str())
        .collect();
    assert_eq!(
        notes.len(),
        2,
        "the FAQ note and the similar note: {notes:?}"
    );
    assert!(notes[0].contains("Printer jams"), "{notes:?}");
    assert!(notes[1].contains("Printer caught fire again"), "{notes:?}");
    let seen = desk
        .list_comments(&customer, created.id, None, None)
        .await
        .expect("comments");
    assert!(seen.items.is_empty(), "the requester sees no note");
}
