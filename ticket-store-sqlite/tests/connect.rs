//! Opening databases: the URL forms, creating the folder, clear errors (never a panic) for
//! a corrupt file, a directory or an impossible path, migrations that run only when asked
//! (twice is harmless, a changed or unknown migration is refused) and data that survives
//! closing and reopening.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::error::Error as _;
use std::path::Path;
use ticket_core::error::Error;
use ticket_core::ports::{TicketStore, UserStore};
use ticket_core::testkit::fixtures;
use ticket_store_sqlite::{ConnectError, MigrateError, SqliteStore};

/// The [`ConnectError`] inside a failed `connect`.
#[track_caller]
fn connect_error(result: ticket_core::Result<SqliteStore>) -> String {
    match result {
        Err(Error::Store(source)) => {
            let e = source
                .downcast_ref::<ConnectError>()
                .expect("a ConnectError inside Error::Store");
            assert!(e.source().is_some(), "the driver's cause is attached");
            e.to_string()
        }
        Err(other) => panic!("expected Error::Store, got {other:?}"),
        Ok(_) => panic!("expected Error::Store, got a store"),
    }
}

/// The [`MigrateError`] inside a failed `migrate`.
#[track_caller]
fn migrate_error(result: ticket_core::Result<()>) -> MigrateError {
    match result {
        Err(Error::Store(source)) => source
            .downcast_ref::<MigrateError>()
            .cloned()
            .expect("a MigrateError inside Error::Store"),
        other => panic!("expected Error::Store, got {other:?}"),
    }
}

fn utf8(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// Deterministic bytes that are not a database.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

#[tokio::test]
async fn every_url_form_opens_and_creates_missing_folders() {
    let dir = tempfile::tempdir().unwrap();
    let forms = [
        format!("sqlite://{}", utf8(&dir.path().join("a/b/url.db"))),
        format!("sqlite:{}", utf8(&dir.path().join("c/short.db"))),
        utf8(&dir.path().join("d/e/plain.db")).to_string(),
    ];
    for target in forms {
        let store = SqliteStore::connect(&target).await.expect(&target);
        store.migrate().await.expect("migrate");
        store.ping().await.expect("ping");
        store.close().await;
    }
    for file in ["a/b/url.db", "c/short.db", "d/e/plain.db"] {
        assert!(dir.path().join(file).is_file(), "{file} was created");
    }
}

#[tokio::test]
async fn a_file_that_is_not_a_database_fails_at_connect_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("noise.db");
    let bytes = noise(16 * 1024);
    std::fs::write(&path, &bytes).unwrap();
    let message = connect_error(SqliteStore::connect(utf8(&path)).await);
    assert!(message.contains("noise.db"), "names the file: {message}");
    assert!(message.contains("not a database"), "says why: {message}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the file is left as it was"
    );
}

#[tokio::test]
async fn a_truncated_database_fails_at_connect() {
    use sqlx::{ConnectOptions as _, Connection as _};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.db");
    // A database written by one plain connection in rollback-journal mode, so the file
    // alone holds all of it when the connection closes (the store's pool in WAL mode
    // may still hold connections for a moment after `close`, and leaving WAL needs them
    // gone: that made this test flaky on a busy machine).
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Delete)
        .connect()
        .await
        .unwrap();
    sqlx::query("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .execute(&mut conn)
        .await
        .unwrap();
    for i in 0..64 {
        sqlx::query("INSERT INTO filler (id, body) VALUES (?, ?)")
            .bind(i)
            .bind("x".repeat(200))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn.close().await.unwrap();
    let wal = dir.path().join("desk.db-wal");
    assert!(!wal.exists(), "no WAL: the file holds the whole database");
    // A valid header followed by garbage where the schema should be.
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 4096);
    let tail = noise(bytes.len() - 100);
    bytes[100..].copy_from_slice(&tail);
    std::fs::write(&path, &bytes).unwrap();
    connect_error(SqliteStore::connect(utf8(&path)).await);
}

#[tokio::test]
async fn a_directory_fails_at_connect() {
    let dir = tempfile::tempdir().unwrap();
    let message = connect_error(SqliteStore::connect(utf8(dir.path())).await);
    assert!(
        message.contains(utf8(dir.path())),
        "names the path: {message}"
    );
}

#[tokio::test]
async fn a_path_below_a_file_fails_at_connect() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain.txt");
    std::fs::write(&file, b"not a folder").unwrap();
    connect_error(SqliteStore::connect(utf8(&file.join("sub/desk.db"))).await);
}

#[tokio::test]
async fn connect_does_not_migrate_and_migrate_twice_is_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::connect(utf8(&dir.path().join("desk.db")))
        .await
        .unwrap();
    let tables = |store: &SqliteStore| {
        let pool = store.pool().clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    assert!(tables(&store).await.is_empty(), "connect creates no table");
    store.migrate().await.expect("first migrate");
    let after_first = tables(&store).await;
    assert!(after_first.contains(&"ticket_schema_migrations".to_string()));
    assert!(after_first.contains(&"ticket_tickets".to_string()));
    assert!(
        after_first.iter().all(|t| t.starts_with("ticket_")),
        "every table in the store's namespace (no _sqlx_migrations): {after_first:?}"
    );

    let tenant = fixtures::tenant();
    let ann = fixtures::user(tenant, "ann");
    store.create_user(&ann).await.unwrap();
    store.migrate().await.expect("second migrate");
    assert_eq!(tables(&store).await, after_first);
    assert_eq!(store.get_user(tenant, ann.id).await.unwrap(), ann);
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket_schema_migrations")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(applied, 8, "every migration, once");
}

#[tokio::test]
async fn a_changed_migration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::connect(utf8(&dir.path().join("desk.db")))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    sqlx::query("UPDATE ticket_schema_migrations SET checksum = 'edited' WHERE version = 1")
        .execute(store.pool())
        .await
        .unwrap();
    let e = migrate_error(store.migrate().await);
    assert!(
        matches!(e, MigrateError::Changed { version: 1, .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_database_of_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::connect(utf8(&dir.path().join("desk.db")))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    sqlx::query(
        "INSERT INTO ticket_schema_migrations (version, name, checksum, applied_at)
         VALUES (99, 'future', 'x', 0)",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let e = migrate_error(store.migrate().await);
    assert_eq!(e, MigrateError::Unknown { version: 99 });
}

#[tokio::test]
async fn a_host_pool_and_its_own_tables_live_beside_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let options =
        SqliteStore::connect_options(utf8(&dir.path().join("shared.db"))).expect("options");
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(3)
        .connect_with(options)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        .execute(&pool)
        .await
        .unwrap();
    let store = SqliteStore::new(pool.clone());
    store
        .migrate()
        .await
        .expect("migrate beside the host's tables");
    store.ping().await.unwrap();
    let host_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(host_rows, 0, "the host's own `users` table is untouched");
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn data_survives_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.db");
    let tenant = fixtures::tenant();
    let ann = fixtures::user(tenant, "ann");
    let ticket = fixtures::full_ticket(
        tenant,
        ann.id,
        ticket_core::id::UserId::new(),
        ticket_core::id::TeamId::new(),
    );
    {
        let store = SqliteStore::connect(utf8(&path)).await.unwrap();
        store.migrate().await.unwrap();
        store.create_user(&ann).await.unwrap();
        store.save(&fixtures::create(ticket.clone())).await.unwrap();
        store.close().await;
    }
    let store = SqliteStore::connect(utf8(&path)).await.unwrap();
    store
        .migrate()
        .await
        .expect("migrate an up-to-date database");
    assert_eq!(store.get_user(tenant, ann.id).await.unwrap(), ann);
    assert_eq!(store.get_ticket(tenant, ticket.id).await.unwrap(), ticket);
    assert_eq!(
        store.ticket_events(tenant, ticket.id).await.unwrap().len(),
        1
    );
}
