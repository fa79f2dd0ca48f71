//! The round trips one authenticated create costs on the wire, counted by a loopback
//! proxy between the store's pool and PostgreSQL: every `Sync` and simple `Query` the
//! client sends is answered by one `ReadyForQuery`, so their count is the round trips.
//! `sqlx` 0.8 checks each connection given back to its pool with a round trip of its
//! own; a create runs on a connection the store keeps out of the pool (`kept.rs`), so
//! it is one round trip in all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use ticket_core::account::HashCost;
use ticket_core::testkit::desk_setup;
use ticket_core::ticket::TicketInput;
use ticket_core::{HelpDesk, HelpDeskConfig};
use ticket_store_postgres::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How long the test lets the driver's background work (a connection given back to the
/// pool) reach the wire before it reads the count.
const SETTLE: Duration = Duration::from_millis(300);

/// Counts the messages a PostgreSQL client sends that ask for a `ReadyForQuery`.
#[derive(Default)]
struct Frontend {
    /// Bytes of the message being read: its header, then its body.
    pending: Vec<u8>,
    /// Whether the start-up message (untyped) has been read.
    started: bool,
}

/// `SSLRequest` and `GSSENCRequest`: untyped like the start-up message, and followed by
/// it.
const NEGOTIATIONS: [u32; 2] = [80_877_103, 80_877_104];

impl Frontend {
    /// Reads `bytes` (the next ones the client sent); returns how many round trips they
    /// asked for.
    fn read(&mut self, bytes: &[u8]) -> usize {
        let mut asked = 0;
        for &b in bytes {
            self.pending.push(b);
            let header = if self.started { 5 } else { 4 };
            if self.pending.len() < header {
                continue;
            }
            let len_at = usize::from(self.started);
            let len = u32::from_be_bytes(self.pending[len_at..len_at + 4].try_into().unwrap());
            let total = len as usize + len_at;
            if self.pending.len() < total {
                continue;
            }
            if self.started {
                asked += usize::from(matches!(self.pending[0], b'S' | b'Q'));
            } else {
                let code = u32::from_be_bytes(self.pending[4..8].try_into().unwrap());
                self.started = !NEGOTIATIONS.contains(&code);
            }
            self.pending.clear();
        }
        asked
    }
}

/// Relays one client to `server`, adding the round trips it asks for to `count`.
async fn relay(client: TcpStream, server: (String, u16), count: Arc<AtomicUsize>) {
    let Ok(upstream) = TcpStream::connect(server).await else {
        return;
    };
    let (mut client_rx, mut client_tx) = client.into_split();
    let (mut server_rx, mut server_tx) = upstream.into_split();
    let to_client = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_rx, &mut client_tx).await;
    });
    let mut frontend = Frontend::default();
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = client_rx.read(&mut buf).await {
        if n == 0 {
            break;
        }
        count.fetch_add(frontend.read(&buf[..n]), Ordering::SeqCst);
        if server_tx.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    to_client.abort();
}

/// A loopback proxy to the test database; returns its port.
async fn proxy(server: (String, u16), count: Arc<AtomicUsize>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(relay(client, server.clone(), count.clone()));
        }
    });
    port
}

#[test]
fn the_counter_reads_split_messages() {
    let mut f = Frontend::default();
    // SSLRequest, start-up (user=x), then Bind (4 body bytes), Execute, Sync, Query.
    let mut wire = vec![0, 0, 0, 8, 4, 210, 22, 47];
    wire.extend([0, 0, 0, 15, 0, 3, 0, 0, b'u', b's', b'e', b'r', 0, b'x', 0]);
    wire.extend([
        b'B', 0, 0, 0, 8, 1, 2, 3, 4, b'E', 0, 0, 0, 4, b'S', 0, 0, 0, 4,
    ]);
    wire.extend([b'Q', 0, 0, 0, 6, b';', 0]);
    let asked: usize = wire.chunks(3).map(|c| f.read(c)).sum();
    assert_eq!(asked, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authenticated_create_is_one_round_trip_on_the_wire() {
    if !common::should_run() {
        return;
    }
    let options: PgConnectOptions = common::url().unwrap().parse().unwrap();
    let server = (options.get_host().to_string(), options.get_port());
    let count = Arc::new(AtomicUsize::new(0));
    let port = proxy(server, count.clone()).await;
    let pool = PgPoolOptions::new()
        .max_connections(common::POOL_SIZE)
        .test_before_acquire(false)
        .connect_with(options.host("127.0.0.1").port(port))
        .await
        .unwrap();
    let store = common::fresh_in(pool.clone()).await;
    let setup = desk_setup(
        HelpDesk::builder(Arc::new(store.clone()))
            .event_bus(Arc::new(store.clone()))
            .config(HelpDeskConfig {
                hash_cost: HashCost::TESTING,
                ..HelpDeskConfig::default()
            }),
    )
    .await;
    setup.desk.install_default_sla(&setup.admin).await.unwrap();
    // The policies' notification empties the configuration cache when it arrives.
    tokio::time::sleep(SETTLE).await;
    let input = TicketInput {
        title: "The printer is on fire".into(),
        description: "Since this morning".into(),
        ..TicketInput::default()
    };
    // Create 0 warms the configuration cache and takes the insert connection.
    for n in 0..=3 {
        count.store(0, Ordering::SeqCst);
        setup
            .desk
            .create_ticket(&setup.customer, input.clone())
            .await
            .unwrap();
        tokio::time::sleep(SETTLE).await;
        let round_trips = count.load(Ordering::SeqCst);
        println!("create {n}: {round_trips} round trip(s) on the wire");
        if n > 0 {
            assert_eq!(round_trips, 1, "create {n}");
        }
    }
    let schema = store.schema().to_string();
    drop(setup);
    drop(store);
    common::drop_schema(&pool, &schema).await;
}
