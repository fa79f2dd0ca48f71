//! Group inserts: new tickets saved while another insert of the store is under way go
//! to PostgreSQL together, in one statement.
//!
//! A create is one statement, but one statement per ticket pays its fixed costs (a round
//! trip, planning, an executor start, a transaction and its commit record) for every
//! ticket: in the PostgreSQL load bench, PostgreSQL spent ~460 µs of CPU per create at 16
//! clients, and ~180 µs once creates went in groups. So while an insert is in flight,
//! the new tickets saved meanwhile queue up, and when it ends they go as the next group:
//! a lone create is never held back (with nothing in flight it runs at once, alone, as
//! before), and under load the groups grow with the load. Tickets that waited [`STALL`]
//! start a second group beside the one in flight, so that under load two backends
//! insert, and one slow statement does not stop every create.
//!
//! Only new tickets without a capacity check take part: their statement cannot be
//! refused for anything but its own rows. A group is one statement, so it is atomic; when
//! it fails (an id already taken, a document holding NUL, a vanished team), nothing of it
//! is written and each of its tickets is saved again alone, so that each caller gets its
//! own outcome. A caller that stops waiting does not stop its group.

use crate::bus::{notify_and_count, payloads};
use crate::change::{CommentRows, EventRows, TicketRow, TICKET_COLUMNS};
use crate::connect::PostgresStore;
use crate::errors::{db, Doc};
use crate::notify::NotificationRows;
use crate::outbox::OutboxRows;
use crate::rows;
use crate::tables::Tables;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgArguments;
use sqlx::query::QueryScalar;
use sqlx::Postgres;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use ticket_core::event::TicketEvent;
use ticket_core::ports::TicketChange;
use ticket_core::ticket::Ticket;
use ticket_core::{Error, Result};
use tokio::sync::oneshot;
use uuid::Uuid;

/// How many inserts of one store may be in flight at once. A ticket saved while one
/// runs waits for the next group, the larger the better; a second one starts for
/// tickets that waited [`STALL`], so that one PostgreSQL backend running the groups one
/// after another is not the limit under load, and a slow statement (an index cleaning
/// up, a checkpoint) does not hold up every create.
const IN_FLIGHT: usize = 2;
/// How long a queued ticket waits for the insert in flight before it starts another.
/// Measured in the load bench (64 clients, interleaved, three rounds each): 2 ms gave
/// 6,000–6,800 tickets/s with a p99 of 19–23 ms, 20 ms gave 4,700–5,300 with 32–95 ms
/// (the second lane seldom opened); 0 ms (a second lane as soon as one ticket queues)
/// and a third lane gave no more.
const STALL: Duration = Duration::from_millis(2);
/// The most tickets one group carries.
const MAX_GROUP: usize = 128;

/// The group inserts of one store: how many are in flight, and the tickets waiting.
#[derive(Default)]
pub(crate) struct Inserts {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    in_flight: usize,
    queue: Vec<Waiting>,
}

/// A new ticket waiting for the next group: its rows (built by its caller, so that the
/// group's statement does not wait for them), its change (to be saved alone should the
/// group fail) and where to say how it went.
struct Waiting {
    rows: GroupRows,
    change: TicketChange,
    done: oneshot::Sender<Result<()>>,
}

impl Inserts {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// The next group: the oldest queued tickets, [`MAX_GROUP`] at most.
    fn next_group(&mut self) -> Vec<Waiting> {
        let take = self.queue.len().min(MAX_GROUP);
        self.queue.drain(..take).collect()
    }
}

impl PostgresStore {
    /// Saves a new ticket without a capacity check: at once when no insert is in flight,
    /// otherwise in the next group; its events are notified in the statement when the
    /// change asks for it.
    pub(crate) async fn insert_new(&self, change: &TicketChange) -> Result<()> {
        if !self.take_turn_or_queue(None) {
            let (done, outcome) = oneshot::channel();
            let waiting = Waiting {
                rows: GroupRows::of(std::slice::from_ref(change))?,
                change: change.clone(),
                done,
            };
            // The insert in flight may have ended meanwhile: then this one goes at once.
            if !self.take_turn_or_queue(Some(waiting)) {
                return self.wait_for_group(outcome).await;
            }
        }
        let _turn = Turn(self.clone());
        self.save_one(change, change.publish_events).await
    }

    /// Takes the turn when nothing is in flight (counted as in flight then); otherwise
    /// queues `waiting`, if any, for the next group.
    fn take_turn_or_queue(&self, waiting: Option<Waiting>) -> bool {
        let mut state = self.inserts().state();
        if state.in_flight == 0 {
            state.in_flight += 1;
            return true;
        }
        state.queue.extend(waiting);
        false
    }

    /// The outcome of a queued ticket's group, starting a group beside the insert in
    /// flight should it hold the ticket up for [`STALL`].
    async fn wait_for_group(&self, mut outcome: oneshot::Receiver<Result<()>>) -> Result<()> {
        let outcome = match tokio::time::timeout(STALL, &mut outcome).await {
            Ok(outcome) => outcome,
            Err(_) => {
                self.start_stalled();
                outcome.await
            }
        };
        outcome.unwrap_or_else(|_| Err(Error::store("the group insert stopped")))
    }

    /// Starts the queued tickets as a group beside the insert in flight, which has held
    /// them up for [`STALL`] (unless [`IN_FLIGHT`] are running already, or another
    /// waiter or the end of the insert took them meanwhile).
    fn start_stalled(&self) {
        let mut state = self.inserts().state();
        if state.in_flight >= IN_FLIGHT || state.queue.is_empty() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        state.in_flight += 1;
        let group = state.next_group();
        drop(state);
        runtime.spawn(run_group(Turn(self.clone()), group));
    }
}

/// An insert in flight. When it ends, or its caller stops waiting, the tickets queued
/// meanwhile leave as the next group (on a task of their own); with none queued, one
/// insert fewer is in flight.
struct Turn(PostgresStore);

impl Drop for Turn {
    fn drop(&mut self) {
        let mut state = self.0.inserts().state();
        if state.queue.is_empty() {
            state.in_flight -= 1;
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let group = state.next_group();
                drop(state);
                runtime.spawn(run_group(Turn(self.0.clone()), group));
            }
            // The runtime is shutting down: nothing can be sent any more.
            Err(_) => {
                state.in_flight -= 1;
                for w in state.queue.drain(..) {
                    let _ = w.done.send(Err(Error::store("the runtime stopped")));
                }
            }
        }
    }
}

/// Inserts one group and tells each of its callers how it went. The group's turn is
/// taken by value, so that a task dropped before it runs (a runtime shutting down) still
/// ends the turn and hands the queue on.
async fn run_group(turn: Turn, group: Vec<Waiting>) {
    let store = &turn.0;
    let tickets = group.len();
    let mut rows: Option<GroupRows> = None;
    let mut callers = Vec::with_capacity(tickets);
    for w in group {
        match rows.as_mut() {
            None => rows = Some(w.rows),
            Some(all) => all.append(w.rows),
        }
        callers.push((w.change, w.done));
    }
    if let Some(rows) = rows.filter(|_| tickets > 1) {
        if rows.insert(store).await.is_ok_and(|n| n == tickets as u64) {
            for (_, done) in callers {
                let _ = done.send(Ok(()));
            }
            return;
        }
    }
    // Alone, or the group failed and wrote nothing: each ticket alone, for its outcome.
    for (change, done) in callers {
        let outcome = store.save_one(&change, change.publish_events).await;
        let _ = done.send(outcome);
    }
}

/// Ticket rows as parallel arrays for `unnest` (tags space-joined: a tag never holds a
/// space).
#[derive(Default)]
struct TicketColumns {
    id: Vec<Uuid>,
    tenant: Vec<Uuid>,
    status: Vec<String>,
    status_category: Vec<&'static str>,
    priority: Vec<i16>,
    category: Vec<String>,
    tags: Vec<String>,
    requester: Vec<Uuid>,
    assignee: Vec<Option<Uuid>>,
    team: Vec<Option<Uuid>>,
    created_at: Vec<DateTime<Utc>>,
    updated_at: Vec<DateTime<Utc>>,
    assigned_at: Vec<Option<DateTime<Utc>>>,
    has_sla: Vec<bool>,
    sla_next_check: Vec<Option<DateTime<Utc>>>,
    sla_at_risk: Vec<bool>,
    sla_breached: Vec<bool>,
    version: Vec<i64>,
    search: Vec<String>,
    doc: Vec<Doc>,
}

impl TicketColumns {
    /// The columns of `tickets`.
    fn new<'a>(tickets: impl IntoIterator<Item = &'a Ticket>) -> Result<Self> {
        let mut c = Self::default();
        for t in tickets {
            c.push(TicketRow::new(t)?);
        }
        Ok(c)
    }

    /// Moves `other`'s rows after these.
    fn append(&mut self, mut o: Self) {
        self.id.append(&mut o.id);
        self.tenant.append(&mut o.tenant);
        self.status.append(&mut o.status);
        self.status_category.append(&mut o.status_category);
        self.priority.append(&mut o.priority);
        self.category.append(&mut o.category);
        self.tags.append(&mut o.tags);
        self.requester.append(&mut o.requester);
        self.assignee.append(&mut o.assignee);
        self.team.append(&mut o.team);
        self.created_at.append(&mut o.created_at);
        self.updated_at.append(&mut o.updated_at);
        self.assigned_at.append(&mut o.assigned_at);
        self.has_sla.append(&mut o.has_sla);
        self.sla_next_check.append(&mut o.sla_next_check);
        self.sla_at_risk.append(&mut o.sla_at_risk);
        self.sla_breached.append(&mut o.sla_breached);
        self.version.append(&mut o.version);
        self.search.append(&mut o.search);
        self.doc.append(&mut o.doc);
    }

    fn push(&mut self, r: TicketRow) {
        self.id.push(r.id);
        self.tenant.push(r.tenant);
        self.status.push(r.status);
        self.status_category.push(r.status_category);
        self.priority.push(r.priority);
        self.category.push(r.category);
        self.tags.push(r.tags.join(" "));
        self.requester.push(r.requester);
        self.assignee.push(r.assignee);
        self.team.push(r.team);
        self.created_at.push(r.created_at);
        self.updated_at.push(r.updated_at);
        self.assigned_at.push(r.assigned_at);
        self.has_sla.push(r.has_sla);
        self.sla_next_check.push(r.sla_next_check);
        self.sla_at_risk.push(r.sla_at_risk);
        self.sla_breached.push(r.sla_breached);
        self.version.push(r.version);
        self.search.push(r.search);
        self.doc.push(r.doc);
    }

    /// Binds the columns as `$1…$20`, in the order of [`TICKET_COLUMNS`].
    fn bind<'q>(
        self,
        q: QueryScalar<'q, Postgres, i64, PgArguments>,
    ) -> QueryScalar<'q, Postgres, i64, PgArguments> {
        q.bind(self.id)
            .bind(self.tenant)
            .bind(self.status)
            .bind(self.status_category)
            .bind(self.priority)
            .bind(self.category)
            .bind(self.tags)
            .bind(self.requester)
            .bind(self.assignee)
            .bind(self.team)
            .bind(self.created_at)
            .bind(self.updated_at)
            .bind(self.assigned_at)
            .bind(self.has_sla)
            .bind(self.sla_next_check)
            .bind(self.sla_at_risk)
            .bind(self.sla_breached)
            .bind(self.version)
            .bind(self.search)
            .bind(self.doc)
    }
}

/// Everything a group of new tickets writes, as arrays for one statement.
pub(crate) struct GroupRows {
    tickets: TicketColumns,
    comments: CommentRows,
    events: EventRows,
    notifications: NotificationRows,
    outbox: OutboxRows,
    /// The notification payloads of the events of the changes that ask the store to
    /// publish them ([`TicketChange::publish_events`]).
    payloads: Vec<String>,
}

impl GroupRows {
    /// The rows of new tickets' changes.
    fn of(changes: &[TicketChange]) -> Result<Self> {
        Ok(Self {
            tickets: TicketColumns::new(changes.iter().map(|c| &c.ticket))?,
            comments: CommentRows::new(changes.iter().flat_map(|c| &c.comments))?,
            events: EventRows::new(changes.iter().flat_map(|c| &c.events))?,
            notifications: NotificationRows::new(changes.iter().flat_map(|c| &c.notifications))?,
            outbox: OutboxRows::new(changes.iter().flat_map(|c| &c.outbox))?,
            payloads: payloads(
                changes
                    .iter()
                    .filter(|c| c.publish_events)
                    .flat_map(|c| &c.events),
            )?,
        })
    }

    /// Moves `other`'s rows after these.
    fn append(&mut self, other: Self) {
        self.tickets.append(other.tickets);
        self.comments.append(other.comments);
        self.events.append(other.events);
        self.notifications.append(other.notifications);
        self.outbox.append(other.outbox);
        self.payloads.extend(other.payloads);
    }

    /// The rows of `tickets` and `events` (the history of those tickets), nothing else.
    pub(crate) fn tickets_and_events(tickets: &[Ticket], events: &[TicketEvent]) -> Result<Self> {
        Ok(Self {
            tickets: TicketColumns::new(tickets)?,
            comments: CommentRows::new([])?,
            events: EventRows::new(events)?,
            notifications: NotificationRows::new([])?,
            outbox: OutboxRows::new([])?,
            payloads: Vec::new(),
        })
    }

    /// The statement: the tickets as the CTE `ticket`, then only the inserts of the
    /// children there are (every parameter is bound all the same), returning how many
    /// tickets were inserted, and notifies the payloads when there are any. Parameters:
    /// `$1…$20` tickets, `$21…$26` comments, `$27…$31` events, `$32…$36` notifications,
    /// `$37…$46` outbox entries, `$47` the event channel, `$48` the payloads.
    fn sql(&self, t: &Tables) -> String {
        let mut sql = format!(
            "WITH ticket AS (
                 INSERT INTO {tickets} ({TICKET_COLUMNS})
                 SELECT id, tenant, status, status_category, priority, category,
                        string_to_array(tags, ' '), requester, assignee, team, created_at,
                        updated_at, assigned_at, has_sla, sla_next_check, sla_at_risk,
                        sla_breached, version, to_tsvector('simple', search), doc
                 FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::smallint[],
                             $6::text[], $7::text[], $8::uuid[], $9::uuid[], $10::uuid[],
                             $11::timestamptz[], $12::timestamptz[], $13::timestamptz[],
                             $14::boolean[], $15::timestamptz[], $16::boolean[],
                             $17::boolean[], $18::bigint[], $19::text[], $20::jsonb[])
                     AS r(id, tenant, status, status_category, priority, category, tags,
                          requester, assignee, team, created_at, updated_at, assigned_at,
                          has_sla, sla_next_check, sla_at_risk, sla_breached, version,
                          search, doc)
                 RETURNING 1)",
            tickets = t.tickets,
        );
        if !self.comments.ids.is_empty() {
            sql.push_str(&format!(
                ", comments_in AS (
                     INSERT INTO {comments} (id, tenant, ticket_id, internal, created_at, doc)
                     SELECT * FROM unnest($21::uuid[], $22::uuid[], $23::uuid[],
                                          $24::boolean[], $25::timestamptz[], $26::jsonb[]))",
                comments = t.comments,
            ));
        }
        if !self.events.ids.is_empty() {
            sql.push_str(&format!(
                ", events_in AS (
                     INSERT INTO {events} (id, tenant, ticket_id, at, doc)
                     SELECT * FROM unnest($27::uuid[], $28::uuid[], $29::uuid[],
                                          $30::timestamptz[], $31::jsonb[]))",
                events = t.events,
            ));
        }
        if !self.notifications.is_empty() {
            sql.push_str(&format!(
                ", notifications_in AS ({})",
                NotificationRows::insert_sql(t, 32, "true")
            ));
        }
        if !self.outbox.is_empty() {
            sql.push_str(&format!(
                ", outbox_in AS ({})",
                OutboxRows::insert_sql(t, 37, "true")
            ));
        }
        notify_and_count(&mut sql, (!self.payloads.is_empty()).then_some((47, 48)));
        sql
    }

    /// Inserts everything in one statement; returns how many tickets were inserted.
    ///
    /// # Errors
    /// As [`TicketStore::save`](ticket_core::ports::TicketStore::save) for a new ticket;
    /// nothing is written then.
    pub(crate) async fn insert(self, store: &PostgresStore) -> Result<u64> {
        let sql = self.sql(store.tables());
        let Self {
            tickets,
            comments,
            events,
            notifications,
            outbox,
            payloads,
        } = self;
        let q = tickets
            .bind(sqlx::query_scalar::<_, i64>(&sql))
            .bind(comments.ids)
            .bind(comments.tenants)
            .bind(comments.tickets)
            .bind(comments.internal)
            .bind(comments.created_at)
            .bind(comments.docs)
            .bind(events.ids)
            .bind(events.tenants)
            .bind(events.tickets)
            .bind(events.at)
            .bind(events.docs);
        outbox
            .bind(notifications.bind(q))
            .bind(store.channel())
            .bind(payloads)
            .fetch_one(store.pool())
            .await
            .map(rows::count)
            .map_err(db)
    }
}
