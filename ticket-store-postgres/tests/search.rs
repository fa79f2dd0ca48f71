//! Full-text search agrees with `MemoryStore`: words cut the same way (e-mail addresses,
//! URLs, decimals, `or`, Unicode case), and the same pages whichever way the store finds
//! the matches (walking the sort's index, or collecting them through the GIN index,
//! within windows of creation time).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ticket_core::id::{TenantId, TicketId};
use ticket_core::memory::MemoryStore;
use ticket_core::ports::Store;
use ticket_core::query::{TicketQuery, TicketSort};
use ticket_core::testkit::fixtures;
use ticket_core::ticket::Ticket;
use ticket_store_postgres::sqlx;

/// Every page of `query`, as ids.
async fn walk(store: &dyn Store, tenant: TenantId, mut query: TicketQuery) -> Vec<TicketId> {
    let mut out = Vec::new();
    loop {
        let page = store.list_tickets(tenant, &query).await.unwrap();
        out.extend(page.items.iter().map(|t| t.id));
        match page.next_cursor {
            Some(c) => query.cursor = Some(c),
            None => return out,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_text_search_cuts_words_as_memory_store_does() {
    if !common::should_run() {
        return;
    }
    let pg = common::fresh().await;
    let memory = MemoryStore::new();
    let tenant = fixtures::tenant();
    let requester = ticket_core::id::UserId::new();
    let texts = [
        (
            "Mail bounces",
            "Write to ann@example.com or support@help.example.org",
        ),
        (
            "Portal down",
            "See https://status.example.com/incidents/42?x=1 for news",
        ),
        (
            "Version 3.14 crashes",
            "Since v2.0.1 the app-server stops; re-install fails",
        ),
        ("ÉCOLE Straße", "Ünïcödé naïve café – ΣΊΣΥΦΟΣ"),
        ("Cats or dogs", "Either is fine"),
        (
            "snake_case and kebab-case",
            "foo_bar baz-qux 10-20 user/path C:\\dir",
        ),
    ];
    for (title, description) in texts {
        let t = Ticket {
            title: fixtures::title(title),
            description: fixtures::description(description),
            ..fixtures::ticket(tenant, requester)
        };
        for store in [&pg as &dyn Store, &memory as &dyn Store] {
            store.save(&fixtures::create(t.clone())).await.unwrap();
        }
    }
    let queries = [
        "example",
        "example.com",
        "ann@example.com",
        "ann",
        "org",
        "https",
        "status",
        "42",
        "incidents/42",
        "3.14",
        "3",
        "14",
        "v2",
        "2.0.1",
        "app-server",
        "server",
        "re",
        "école",
        "ecole",
        "STRASSE",
        "straße",
        "STRAßE",
        "ünïcödé",
        "naïve",
        "CAFÉ",
        "σίσυφος",
        "or",
        "cats or",
        "dogs OR cats",
        "either -fine",
        "\"fine either\"",
        "foo_bar",
        "bar",
        "qux",
        "10",
        "20",
        "dir",
        "c",
        "!!!",
        "",
        "kebab case",
    ];
    // Both ways of answering a text search: collecting the matches through the GIN
    // index (what small tables get), and walking the sort's index (what common words
    // get in large ones); page by page, in every order.
    for (strategy, collect_max) in [("collect", f64::MAX), ("walk", -1.0)] {
        pg.set_text_collect_max(collect_max);
        for q in queries {
            for sort in [TicketSort::CreatedDesc, TicketSort::PriorityDesc] {
                let query = TicketQuery {
                    text: Some(q.to_string()),
                    limit: 2,
                    sort,
                    ..TicketQuery::default()
                };
                let from_pg = walk(&pg, tenant, query.clone()).await;
                let from_memory = walk(&memory, tenant, query).await;
                assert_eq!(from_pg, from_memory, "{strategy}: query {q:?}, {sort:?}");
            }
        }
    }
    common::drop_schema(pg.pool(), pg.schema()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_search_pages_alike_however_the_matches_are_found() {
    if !common::should_run() {
        return;
    }
    let pg = common::fresh().await;
    let memory = MemoryStore::new();
    let tenant = fixtures::tenant();
    let requester = ticket_core::id::UserId::new();
    let base = fixtures::now() - chrono::Duration::days(300);
    for i in 0..240i64 {
        // Created in pairs at the same instant (ties broken by id), unevenly in time.
        let at = base + chrono::Duration::hours((i / 2) * (i / 2) % 97 + i * 20);
        let mut words = vec!["common"];
        if i % 10 == 0 {
            words.push("tenth");
        }
        if i % 60 == 7 {
            words.push("rare");
        }
        let t = Ticket {
            title: fixtures::title(&format!("Ticket {i}")),
            description: fixtures::description(&words.join(" ")),
            priority: ticket_core::ticket::Priority::ALL[(i % 4) as usize],
            ..fixtures::ticket_at(tenant, requester, at)
        };
        for store in [&pg as &dyn Store, &memory as &dyn Store] {
            store.save(&fixtures::create(t.clone())).await.unwrap();
        }
    }
    sqlx::query(&format!("ANALYZE \"{}\".tickets", pg.schema()))
        .execute(pg.pool())
        .await
        .unwrap();
    for (strategy, collect_max) in [("collect", f64::MAX), ("walk", -1.0), ("default", 5_000.0)] {
        pg.set_text_collect_max(collect_max);
        for q in [
            "common",
            "tenth",
            "rare",
            "common tenth",
            "tenth rare",
            "absent",
        ] {
            for sort in [
                TicketSort::CreatedDesc,
                TicketSort::CreatedAsc,
                TicketSort::PriorityDesc,
            ] {
                // Small pages where the matches are few, so that walks stay short.
                let limits: &[u32] = if q.starts_with("common") {
                    &[7, 25]
                } else {
                    &[1, 3]
                };
                for &limit in limits {
                    let query = TicketQuery {
                        text: Some(q.to_string()),
                        limit,
                        sort,
                        ..TicketQuery::default()
                    };
                    let from_pg = walk(&pg, tenant, query.clone()).await;
                    let from_memory = walk(&memory, tenant, query).await;
                    assert_eq!(
                        from_pg, from_memory,
                        "{strategy}: {q:?}, {sort:?}, limit {limit}"
                    );
                }
            }
        }
    }
    common::drop_schema(pg.pool(), pg.schema()).await;
}
