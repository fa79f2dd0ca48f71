//! The store conformance suite: every behaviour the store traits promise, checked against
//! any store. Every adapter runs it; a team with its own storage runs it too.
//!
//! Each behaviour is one public async function in [`cases`] taking a fresh store. There
//! are three ways to run them:
//!
//! - [`store_conformance!`](crate::store_conformance) in an integration test expands to
//!   one test per behaviour (so one failure never hides the rest), each on its own
//!   two-worker multi-thread Tokio runtime with a fresh store from your factory:
//!
//!   ```ignore
//!   // tests/conformance.rs
//!   use std::sync::Arc;
//!   use ticket_core::ports::{EventBus, Store};
//!
//!   async fn store() -> Arc<dyn Store> {
//!       Arc::new(my_store::connect_fresh().await)
//!   }
//!   async fn bus() -> Arc<dyn EventBus> {
//!       Arc::new(my_store::connect_fresh().await)
//!   }
//!
//!   ticket_core::store_conformance!(store);
//!   ticket_core::event_bus_conformance!(bus);
//!   ```
//!
//!   The tests are named `store_conformance::<group>::<behaviour>` (and
//!   `event_bus_conformance::bus::<behaviour>`), so `cargo test store_conformance::outbox`
//!   runs one group. Your crate needs no direct Tokio dependency.
//! - [`run_all`] runs every case in turn, catching panics, and returns a [`Report`]: for
//!   binaries and examples that cannot use `#[test]`.
//! - [`store_cases`] / [`bus_cases`] list the cases by name for custom harnesses.
//!
//! Cases use their own random tenants, so a store shared between cases still passes the
//! tenant-scoped ones; the cases of the cross-tenant methods
//! ([`TicketStore::sla_due`](crate::ports::TicketStore::sla_due), the claims of the
//! sweep's work and [`Outbox::claim`](crate::ports::Outbox::claim)) need the fresh, empty
//! store the factory promises.
//!
//! [`CountingStore`] wraps any store and counts the calls made to it, per method: the
//! store round trips of a use case, for tests that keep them bounded; [`create_cost`]
//! holds one authenticated create to the cached configuration reads and one save, with
//! the AI on too (one FAQ read, one matcher call, no search).
//!
//! [`desk_setup`] builds the desk, tenant, super-admin and customer those measuring
//! tests start from.
//!
//! [`fixtures`] holds the builders the cases use; they are public for adapter authors'
//! own tests. [`bench`] holds what the store benchmarks share (a generated ticket corpus,
//! a creation load through the desk).

// Test support: a failed expectation panics with the reason, which is the point.
#![allow(clippy::expect_used)]

pub mod bench;
pub mod cases;
mod counting;
mod create_cost;
mod desk_setup;
pub mod fixtures;
mod report;

pub use counting::CountingStore;
pub use create_cost::create_cost;
pub use desk_setup::{account, desk_setup, DeskSetup, PASSWORD};
pub use report::{CaseResult, Report};

#[doc(hidden)]
pub use futures;
#[doc(hidden)]
pub use tokio;
/// `uuid`, re-exported: [`Outbox`](crate::ports::Outbox) names `uuid::Uuid` in its
/// signatures, so a store proven with this kit can implement it without a `uuid`
/// dependency of its own (and always with the version `ticket-core` uses).
pub use uuid;

use crate::ports::{EventBus, Store};
use futures::future::BoxFuture;
use futures::FutureExt as _;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

/// How long one case may run before it fails (a store that deadlocks or loops must not
/// hang the suite).
pub const CASE_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `case` with the [`CASE_TIMEOUT`], panicking when it runs out.
async fn timed(name: &str, case: impl Future<Output = ()>) {
    if tokio::time::timeout(CASE_TIMEOUT, case).await.is_err() {
        panic!("{name} did not finish within {CASE_TIMEOUT:?}");
    }
}

/// One store behaviour: checks a fresh store and panics on a failure.
pub type StoreCase = fn(Arc<dyn Store>) -> BoxFuture<'static, ()>;

/// One event-bus behaviour: checks a fresh bus and panics on a failure.
pub type BusCase = fn(Arc<dyn EventBus>) -> BoxFuture<'static, ()>;

/// Every store case, as `("group::behaviour", case)`, in suite order.
#[must_use]
pub fn store_cases() -> &'static [(&'static str, StoreCase)] {
    static CASES: &[(&str, StoreCase)] = crate::__store_cases!(__case_table(StoreCase, Store));
    CASES
}

/// Every event-bus case, as `("bus::behaviour", case)`.
#[must_use]
pub fn bus_cases() -> &'static [(&'static str, BusCase)] {
    static CASES: &[(&str, BusCase)] = crate::__bus_cases!(__case_table(BusCase, EventBus));
    CASES
}

/// Runs every store case in turn against a fresh store from `factory`, catching panics,
/// and reports pass or fail per case (a case running past [`CASE_TIMEOUT`] fails). Needs
/// a Tokio runtime with timers enabled (`#[tokio::main]` has them; some cases spawn
/// tasks); a multi-thread one exercises the concurrency cases best.
pub async fn run_all<F, Fut>(factory: F) -> Report
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let mut report = Report::default();
    for (name, case) in store_cases() {
        let store = factory().await;
        report.record(
            name,
            AssertUnwindSafe(timed(name, case(store)))
                .catch_unwind()
                .await,
        );
    }
    report
}

/// Like [`run_all`], for the event-bus cases.
pub async fn run_all_event_bus<F, Fut>(factory: F) -> Report
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn EventBus>>,
{
    let mut report = Report::default();
    for (name, case) in bus_cases() {
        let bus = factory().await;
        report.record(
            name,
            AssertUnwindSafe(timed(name, case(bus)))
                .catch_unwind()
                .await,
        );
    }
    report
}

/// Runs one case on a new two-worker multi-thread runtime (what
/// `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]` does), with a fresh
/// value from `factory`. Used by the test macros; panics when the case fails.
#[doc(hidden)]
pub fn run_case<T, F, Fut, C, CFut>(factory: F, case: C)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = T>,
    C: FnOnce(T) -> CFut,
    CFut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime for the conformance case");
    runtime.block_on(async move { timed("the case", case(factory().await)).await });
}

/// Expands to one test per store behaviour, each with a fresh store from `factory` (a
/// path to an `async fn() -> Arc<dyn Store>`). See the [`testkit`](crate::testkit) docs.
///
/// With `when = guard` (a path to a `fn() -> bool`), each test first calls the guard and
/// returns at once when it says `false`: for stores that need a server, the guard prints
/// why the tests skipped (and panics where skipping is not allowed, e.g. under CI).
///
/// The tests live in a module `store_conformance` of the calling module (next to a
/// private fn `__store_conformance_factory`), so invoke it once per module.
#[macro_export]
macro_rules! store_conformance {
    ($factory:path $(,)?) => {
        $crate::store_conformance!($factory, when = $crate::testkit::always);
    };
    ($factory:path, when = $guard:path $(,)?) => {
        #[doc(hidden)]
        async fn __store_conformance_factory() -> ::std::sync::Arc<dyn $crate::ports::Store> {
            $factory().await
        }
        #[doc(hidden)]
        fn __store_conformance_guard() -> bool {
            $guard()
        }
        $crate::__store_cases!(__case_tests(
            store_conformance,
            __store_conformance_factory,
            __store_conformance_guard
        ));
    };
}

/// Expands to one test per event-bus behaviour, each with a fresh bus from `factory` (a
/// path to an `async fn() -> Arc<dyn EventBus>`): publish/subscribe delivers in order, and
/// every subscriber receives every event. Events published before subscribing need not
/// be delivered.
///
/// The tests live in a module `event_bus_conformance` of the calling module (next to a
/// private fn `__event_bus_conformance_factory`).
#[macro_export]
macro_rules! event_bus_conformance {
    ($factory:path $(,)?) => {
        $crate::event_bus_conformance!($factory, when = $crate::testkit::always);
    };
    ($factory:path, when = $guard:path $(,)?) => {
        #[doc(hidden)]
        async fn __event_bus_conformance_factory() -> ::std::sync::Arc<dyn $crate::ports::EventBus>
        {
            $factory().await
        }
        #[doc(hidden)]
        fn __event_bus_conformance_guard() -> bool {
            $guard()
        }
        $crate::__bus_cases!(__case_tests(
            event_bus_conformance,
            __event_bus_conformance_factory,
            __event_bus_conformance_guard
        ));
    };
}

/// The default guard of the conformance macros: always run.
#[must_use]
pub fn always() -> bool {
    true
}

/// Builds the `(name, case)` table from the case list.
#[doc(hidden)]
#[macro_export]
macro_rules! __case_table {
    (($case_ty:ident, $port:ident) $($group:ident { $($case:ident),* $(,)? })*) => {
        &[$($((
            concat!(stringify!($group), "::", stringify!($case)),
            (|port: ::std::sync::Arc<dyn $crate::ports::$port>| -> $crate::testkit::futures::future::BoxFuture<'static, ()> {
                ::std::boxed::Box::pin($crate::testkit::cases::$group::$case(port))
            }) as $crate::testkit::$case_ty,
        ),)*)*]
    };
}

/// Builds one test per case from the case list.
#[doc(hidden)]
#[macro_export]
macro_rules! __case_tests {
    (($module:ident, $factory:ident, $guard:ident) $($group:ident { $($case:ident),* $(,)? })*) => {
        mod $module {
            $(
                mod $group {
                    $(
                        #[test]
                        fn $case() {
                            if !super::super::$guard() {
                                return;
                            }
                            $crate::testkit::run_case(super::super::$factory, $crate::testkit::cases::$group::$case);
                        }
                    )*
                }
            )*
        }
    };
}
