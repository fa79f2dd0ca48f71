//! Nothing on the write path scans a collection: the commands a `HelpDesk` create and
//! an update send, seen through the driver's command monitoring, touch documents only
//! by an exact `_id` (the one filter FerretDB 1.x's SQLite backend pushes down to an
//! index: `{_id: <string>}` alone for updates, deletes, counts and find-and-modify;
//! finds first drop their dotted keys). The bus (`ticket_bus`, a collection bounded by
//! `BUS_RETENTION`, read by range) is not part of a write.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};
use ticket_core::account::HashCost;
use ticket_core::testkit::{desk_setup, DeskSetup};
use ticket_core::ticket::TicketInput;
use ticket_core::{HelpDesk, HelpDeskConfig};
use ticket_store_mongo::mongodb::bson::{Bson, Document};
use ticket_store_mongo::mongodb::event::command::CommandEvent;
use ticket_store_mongo::mongodb::event::EventHandler;
use ticket_store_mongo::mongodb::options::ClientOptions;
use ticket_store_mongo::mongodb::Client;
use ticket_store_mongo::MongoStore;

/// One command as sent: its name, collection and the filter of each of its statements.
#[derive(Debug, Clone)]
struct Sent {
    name: String,
    collection: String,
    filters: Vec<Document>,
}

/// The filters a command carries, where each kind of command keeps them.
fn filters_of(name: &str, command: &Document) -> Vec<Document> {
    let statements = |list: &str, key: &str| -> Vec<Document> {
        command
            .get_array(list)
            .map(|a| {
                a.iter()
                    .filter_map(Bson::as_document)
                    .filter_map(|s| s.get_document(key).ok().cloned())
                    .collect()
            })
            .unwrap_or_default()
    };
    match name {
        "find" => command
            .get_document("filter")
            .ok()
            .cloned()
            .into_iter()
            .collect(),
        "findAndModify" | "count" | "distinct" => command
            .get_document("query")
            .ok()
            .cloned()
            .into_iter()
            .collect(),
        "update" => statements("updates", "q"),
        "delete" => statements("deletes", "q"),
        "aggregate" => command
            .get_array("pipeline")
            .ok()
            .and_then(|p| p.first())
            .and_then(Bson::as_document)
            .and_then(|s| s.get_document("$match").ok().cloned())
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether FerretDB's SQLite backend reads `filter` by `_id` (a find drops its dotted
/// keys first; the other commands need exactly `{_id: <string>}`).
fn by_id(command: &str, filter: &Document) -> bool {
    let kept: Vec<(&String, &Bson)> = filter
        .iter()
        .filter(|(k, _)| !(command == "find" && k.contains('.')))
        .collect();
    matches!(kept.as_slice(), [(k, Bson::String(_))] if k.as_str() == "_id")
}

/// A migrated store on a fresh database whose client records every command sent.
async fn watched_store() -> (MongoStore, Arc<Mutex<Vec<Sent>>>) {
    let url = common::url().unwrap();
    let mut options = ClientOptions::parse(&url).await.unwrap();
    let sent = Arc::new(Mutex::new(Vec::new()));
    let log = sent.clone();
    options.command_event_handler = Some(EventHandler::callback(move |e: CommandEvent| {
        if let CommandEvent::Started(e) = e {
            let collection = e
                .command
                .get_str(&e.command_name)
                .unwrap_or_default()
                .to_string();
            let filters = filters_of(&e.command_name, &e.command);
            log.lock().unwrap().push(Sent {
                name: e.command_name,
                collection,
                filters,
            });
        }
    }));
    let client = Client::with_options(options).unwrap();
    (common::fresh_in(client).await, sent)
}

/// The commands of the ticket path that do not read by `_id`.
fn scans(sent: &[Sent]) -> Vec<String> {
    sent.iter()
        .filter(|s| s.collection.starts_with("ticket_") && s.collection != "ticket_bus")
        .flat_map(|s| {
            s.filters
                .iter()
                .filter(|f| !by_id(&s.name, f))
                .map(move |f| format!("{} {} {f}", s.name, s.collection))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_and_an_update_touch_documents_by_id_only() {
    if !common::should_run() {
        return;
    }
    let (store, sent) = watched_store().await;
    let store = Arc::new(store);
    let DeskSetup {
        desk,
        admin,
        customer,
        ..
    } = desk_setup(
        HelpDesk::builder(store.clone())
            .event_bus(store.clone())
            .config(HelpDeskConfig {
                hash_cost: HashCost::TESTING,
                ..HelpDeskConfig::default()
            }),
    )
    .await;
    desk.install_default_sla(&admin).await.unwrap();
    let input = || TicketInput {
        title: "The printer is on fire".into(),
        description: "Since this morning".into(),
        ..TicketInput::default()
    };
    // A first create warms the configuration caches.
    desk.create_ticket(&customer, input()).await.unwrap();

    sent.lock().unwrap().clear();
    let ticket = desk.create_ticket(&customer, input()).await.unwrap();
    let create: Vec<Sent> = std::mem::take(&mut *sent.lock().unwrap());
    desk.transition(&admin, ticket.id, "open", None)
        .await
        .unwrap();
    let update: Vec<Sent> = std::mem::take(&mut *sent.lock().unwrap());

    for (what, commands) in [("create", &create), ("update", &update)] {
        for s in commands.iter() {
            println!("{what}: {} {} {:?}", s.name, s.collection, s.filters);
        }
        assert!(
            commands.iter().any(|s| s.name == "insert"),
            "the {what} was seen"
        );
        assert_eq!(scans(commands), Vec::<String>::new(), "the {what} scans");
    }
    common::drop_database(&store).await;
}

#[test]
fn only_an_exact_id_counts_as_a_lookup() {
    use ticket_store_mongo::mongodb::bson::doc;
    assert!(by_id("update", &doc! { "_id": "a" }));
    assert!(by_id("find", &doc! { "_id": "a", "pending.v": 3 }));
    assert!(!by_id("update", &doc! { "_id": "a", "pending.v": 3 }));
    assert!(!by_id("find", &doc! { "_id": "a", "tenant": "t" }));
    assert!(!by_id("find", &doc! { "_id": { "$in": ["a"] } }));
    assert!(!by_id("find", &doc! {}));
}
