//! Every behaviour of the conformance suite, one public async function each, grouped by
//! port. Each takes a fresh store (or bus) and panics with the reason when the store
//! breaks the contract of [`crate::ports`].

pub mod bus;
pub mod comments;
pub mod config;
pub mod deflection;
pub mod endpoints;
pub mod isolation;
pub mod notifications;
pub mod outbox;
pub mod outbox_bodies;
pub mod paging;
pub mod query;
pub mod routing;
pub mod shifts;
pub mod sla;
pub mod stats;
pub mod sweep;
pub mod teams;
pub mod tickets;
pub mod tokens;
pub mod users;
pub mod volume;

use crate::account::User;
use crate::error::{Conflict, Error, Result};
use crate::id::{TenantId, TicketId};
use crate::ports::Store;
use crate::query::{TicketCursor, TicketQuery, TicketSort};
use crate::team::Team;
use crate::testkit::fixtures;
use crate::ticket::Ticket;
use std::cmp::Reverse;
use std::fmt::Debug;

/// The one list of store cases, handed to `$callback` (with `$args`) as
/// `group { case, … } …`: the table of [`store_cases`](crate::testkit::store_cases)
/// and the tests of [`store_conformance!`](crate::store_conformance) both come from it.
#[doc(hidden)]
#[macro_export]
macro_rules! __store_cases {
    ($callback:ident ($($args:tt)*)) => {
        $crate::$callback! { ($($args)*)
            tickets {
                create_and_get_round_trip_every_field,
                get_missing_ticket_is_not_found,
                update_replaces_the_ticket,
                stale_version_conflicts_and_writes_nothing,
                create_with_existing_id_conflicts,
                update_of_missing_ticket_is_not_found,
                save_writes_everything_together,
                concurrent_updates_have_one_winner,
                get_tickets_keeps_order_skips_missing_and_duplicates,
                delete_removes_ticket_and_comments_keeps_history,
                delete_missing_ticket_is_not_found,
                comments_oldest_first_internal_on_request,
                events_oldest_first,
                sla_due_across_tenants_earliest_first,
                ping_succeeds,
            }
            comments {
                comments_page_in_order,
            }
            routing {
                a_burst_of_creates_never_overfills_an_agent,
                creates_on_two_instances_never_overfill_an_agent,
                queue_processed_on_two_instances_assigns_once,
            }
            sla {
                save_sla_replaces_only_the_snapshot,
                mark_sla_stale_walks_open_tickets_in_batches,
                sla_due_returns_every_equal_next_check,
                updates_refresh_queries_stats_sla_due_and_loads,
                a_change_failing_on_a_duplicate_event_writes_nothing,
                a_deleted_ticket_leaves_stats_and_sla_due,
            }
            sweep {
                claim_sla_due_hands_each_ticket_out_once_per_lease,
                concurrent_sla_claimers_never_share,
                sla_reevaluation_is_claimed_once_and_resumes,
                concurrent_reevaluation_claimers_never_share,
            }
            query {
                empty_query_lists_the_tenant,
                filter_statuses,
                filter_status_categories,
                filter_priorities,
                filter_categories,
                filter_tags_all_of,
                filter_assignee,
                filter_unassigned,
                filter_team,
                filter_requester,
                filter_created_after_is_inclusive,
                filter_created_before_is_exclusive,
                text_matches_whole_words,
                text_is_case_insensitive,
                text_needs_every_word,
                text_matches_the_description,
                text_without_match_is_empty,
                filter_combinations,
            }
            paging {
                sort_created_desc,
                sort_created_asc,
                sort_updated_desc,
                sort_priority_desc,
                walk_created_desc,
                walk_created_asc,
                walk_updated_desc,
                walk_priority_desc,
                walk_with_a_filter,
                walk_created_desc_while_inserting,
                walk_created_asc_while_inserting,
                walk_updated_desc_while_inserting,
                walk_priority_desc_while_inserting,
                malformed_cursor_is_invalid,
                limit_and_last_page,
                events_page_walks_the_history,
            }
            stats {
                empty_tenant_gives_zeros,
                totals_and_breakdowns,
                average_per_day,
                sla_outcomes,
                agent_load,
                window_filter,
                team_filter,
            }
            deflection {
                faq_deflection_counts,
            }
            volume {
                hourly_counts_by_hour_and_scope,
                handle_time_from_assignment_to_first_reply,
            }
            users {
                user_round_trip,
                saved_views_are_kept,
                get_missing_user_is_not_found,
                duplicate_id_conflicts,
                duplicate_email_conflicts,
                duplicate_username_conflicts,
                same_email_in_another_tenant_is_fine,
                find_by_email_or_username,
                update_replaces_the_user,
                update_with_stale_version_conflicts,
                update_to_taken_email_or_username_conflicts,
                update_of_missing_user_is_not_found,
                list_by_role,
                list_by_team,
                list_by_text,
                list_hides_deleted_unless_asked,
                list_pages_by_id,
                list_with_bad_cursor_is_invalid,
                agent_loads_count_open_tickets,
                agent_loads_of_a_team,
                rotation_records_picks_in_order_per_team,
            }
            shifts {
                schedules_round_trip_with_versions,
                shift_records_one_open_per_agent,
                routed_saves_hold_the_agent_to_capacity,
                list_users_by_availability,
            }
            teams {
                team_crud,
                team_name_is_unique_case_insensitively,
                rename_to_taken_name_conflicts,
                update_with_stale_version_conflicts,
                missing_team_is_not_found,
                teams_listed_by_name,
            }
            config {
                sla_policies,
                calendars,
                rules,
                faqs,
            }
            tokens {
                consumed_once_then_already_used,
                expired_token,
                unknown_token,
                wrong_purpose_is_unknown,
                concurrent_consume_has_one_winner,
                revoke_family,
                revoke_user_tokens,
                duplicate_hash_conflicts,
                purge_expired_tokens,
            }
            notifications {
                newest_first,
                unread_only,
                mark_read_is_idempotent,
                mark_read_of_another_users_is_not_found,
                mark_all_read_counts,
                unread_count,
                pages_and_bad_cursor,
            }
            outbox {
                claim_takes_due_entries_only,
                claim_sets_lease_claim_and_attempts,
                claim_order_and_limit,
                lapsed_lease_is_reclaimed,
                complete_needs_the_current_claim,
                fail_reschedules_or_dead_letters,
                list_deliveries_by_status_newest_first,
                retry_dead_delivery,
                retry_of_live_delivery_conflicts,
                concurrent_claimers_never_share,
            }
            outbox_bodies {
                purge_blanks_old_delivered_bodies,
                forget_recipient_scrubs_their_mail,
            }
            endpoints {
                endpoint_failure_clock_disable_and_enable,
                endpoints_are_per_tenant_and_listed_in_pages,
                concurrent_records_make_one_endpoint_and_one_disable,
            }
            isolation {
                tickets_are_isolated,
                ticket_writes_are_isolated,
                comments_and_events_are_isolated,
                stats_are_isolated,
                users_are_isolated,
                teams_are_isolated,
                config_is_isolated,
                faqs_are_isolated,
                tokens_are_isolated,
                notifications_are_isolated,
                deliveries_are_isolated,
            }
        }
    };
}

/// The one list of event-bus cases (see [`__store_cases!`]).
#[doc(hidden)]
#[macro_export]
macro_rules! __bus_cases {
    ($callback:ident ($($args:tt)*)) => {
        $crate::$callback! { ($($args)*)
            bus {
                delivers_in_order,
                every_subscriber_receives,
                publish_without_subscribers_is_fine,
            }
        }
    };
}

// ---- helpers shared by the cases ----

/// Panics unless `r` is `NotFound`.
#[track_caller]
fn expect_not_found<T: Debug>(r: Result<T>, what: &str) {
    match r {
        Err(Error::NotFound { .. }) => {}
        other => panic!("{what}: expected NotFound, got {other:?}"),
    }
}

/// Panics unless `r` is `Conflict(Version { expected })`.
#[track_caller]
fn expect_version_conflict<T: Debug>(r: Result<T>, expected: u64, what: &str) {
    match r {
        Err(Error::Conflict(Conflict::Version { expected: e })) if e == expected => {}
        other => {
            panic!("{what}: expected Conflict(Version {{ expected: {expected} }}), got {other:?}")
        }
    }
}

/// Panics unless `r` is `Conflict(Unique { field })`.
#[track_caller]
fn expect_unique<T: Debug>(r: Result<T>, field: &str, what: &str) {
    match r {
        Err(Error::Conflict(Conflict::Unique { field: f })) if f == field => {}
        other => panic!("{what}: expected Conflict(Unique {{ field: {field:?} }}), got {other:?}"),
    }
}

/// Panics unless `r` is `Invalid` naming `field`.
#[track_caller]
fn expect_invalid<T: Debug>(r: Result<T>, field: &str, what: &str) {
    match r {
        Err(Error::Invalid(fields)) if fields.iter().any(|f| f.field == field) => {}
        other => panic!("{what}: expected Invalid on {field:?}, got {other:?}"),
    }
}

/// Creates a customer `handle` in the store.
async fn customer(store: &dyn Store, tenant: TenantId, handle: &str) -> User {
    let user = fixtures::user(tenant, handle);
    store.create_user(&user).await.expect("create_user");
    user
}

/// Creates an agent `handle` of `teams` in the store.
async fn agent(
    store: &dyn Store,
    tenant: TenantId,
    handle: &str,
    teams: &[crate::id::TeamId],
) -> User {
    let user = fixtures::agent(tenant, handle, teams);
    store.create_user(&user).await.expect("create_user (agent)");
    user
}

/// Creates a team in the store.
async fn team(store: &dyn Store, tenant: TenantId, name: &str) -> Team {
    let team = fixtures::team(tenant, name);
    store.create_team(&team).await.expect("create_team");
    team
}

/// Stores a new ticket (with its `Created` event) and returns it.
async fn insert(store: &dyn Store, ticket: Ticket) -> Ticket {
    store
        .save(&fixtures::create(ticket.clone()))
        .await
        .expect("save (create)");
    ticket
}

/// Stores every ticket of `tickets`.
async fn insert_all(store: &dyn Store, tickets: Vec<Ticket>) -> Vec<Ticket> {
    for t in &tickets {
        store
            .save(&fixtures::create(t.clone()))
            .await
            .expect("save (create)");
    }
    tickets
}

/// The ids of `tickets`, in order.
fn ids(tickets: &[Ticket]) -> Vec<TicketId> {
    tickets.iter().map(|t| t.id).collect()
}

/// The ids of `tickets` in `sort` order, per the documented keys (what every store must
/// return).
fn sorted_ids(tickets: &[Ticket], sort: TicketSort) -> Vec<TicketId> {
    let key = |t: &Ticket| {
        let c = TicketCursor::after(t, sort);
        (c.rank, c.at, c.id)
    };
    let mut v: Vec<&Ticket> = tickets.iter().collect();
    match sort {
        TicketSort::CreatedAsc => v.sort_by_key(|t| key(t)),
        _ => v.sort_by_key(|t| Reverse(key(t))),
    }
    v.into_iter().map(|t| t.id).collect()
}

/// One page of up to 100 tickets matching `query`, asserting it is the last one.
async fn list_one_page(store: &dyn Store, tenant: TenantId, query: TicketQuery) -> Vec<Ticket> {
    let page = store
        .list_tickets(
            tenant,
            &TicketQuery {
                limit: 100,
                ..query
            },
        )
        .await
        .expect("list_tickets");
    assert!(
        page.next_cursor.is_none(),
        "a page holding every match has no next cursor"
    );
    page.items
}

/// Every page of `query` (from its first page), checking each page's size.
async fn walk(store: &dyn Store, tenant: TenantId, query: TicketQuery) -> Vec<Ticket> {
    let mut out = Vec::new();
    let mut q = TicketQuery {
        cursor: None,
        ..query
    };
    for _ in 0..1_000 {
        let page = store
            .list_tickets(tenant, &q)
            .await
            .expect("list_tickets (walk)");
        assert!(
            page.items.len() <= q.limit as usize,
            "a page holds at most `limit` tickets"
        );
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return out,
        }
    }
    panic!("the walk did not end after 1,000 pages")
}
