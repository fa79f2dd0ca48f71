//! A Rust service embedding the help desk on the in-memory store: users register, rules
//! route tickets to teams and agents, an agent replies and resolves, and the history and
//! statistics are printed.
//!
//! Run with `cargo run -p ticket-examples --example embed`.

use std::sync::Arc;
use ticket_core::account::{Availability, Role};
use ticket_core::desk::{RegisterInput, RuleInput, SlaPolicyInput, TeamInput, UserPatch};
use ticket_core::memory::MemoryStore;
use ticket_core::notify::OutboxEntry;
use ticket_core::ports::Notifier;
use ticket_core::query::{StatsQuery, TicketQuery};
use ticket_core::routing::AssignStrategy;
use ticket_core::rules::{Action, Condition, Trigger};
use ticket_core::sla::{SlaCondition, SlaTargets};
use ticket_core::text::Category;
use ticket_core::ticket::{Priority, TicketInput};
use ticket_core::{Actor, HelpDesk, HelpDeskConfig, TenantId};

/// Prints deliveries instead of sending them (a real host plugs in `ticket-notify`).
struct PrintNotifier;

#[async_trait::async_trait]
impl Notifier for PrintNotifier {
    async fn deliver(&self, entry: &OutboxEntry) -> ticket_core::Result<()> {
        println!(
            "  -> delivery {:?} via {:?}",
            entry.kind,
            channel_name(entry)
        );
        Ok(())
    }
}

fn channel_name(entry: &OutboxEntry) -> &'static str {
    match entry.channel {
        ticket_core::notify::Channel::Webhook { .. } => "webhook",
        ticket_core::notify::Channel::Email { .. } => "email",
    }
}

fn account(email: &str, username: &str, name: &str) -> RegisterInput {
    RegisterInput {
        email: email.into(),
        username: username.into(),
        name: name.into(),
        password: "correct horse battery staple".into(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = Arc::new(MemoryStore::new());
    let desk = HelpDesk::builder(store.clone())
        .event_bus(store.clone())
        .notifier(Arc::new(PrintNotifier))
        .config(HelpDeskConfig {
            hash_cost: ticket_core::account::HashCost::TESTING,
            ..HelpDeskConfig::default()
        })
        .build()?;
    let tenant = TenantId::DEFAULT;

    // Accounts: the first super-admin, an agent created by them, a customer who registers.
    let root = desk
        .ensure_super_admin(tenant, account("root@example.com", "root", "Root"))
        .await?
        .ok_or("a super-admin already exists")?;
    let admin = Actor::user(tenant, root.id, Role::SuperAdmin);
    let billing = desk
        .create_team(
            &admin,
            TeamInput {
                name: "Billing".into(),
                ..TeamInput::default()
            },
        )
        .await?;
    let agent = desk
        .create_user(
            &admin,
            account("bea@example.com", "bea", "Bea Agent"),
            Role::Agent,
        )
        .await?;
    desk.update_user(
        &admin,
        agent.id,
        UserPatch {
            team_ids: Some(vec![billing.id]),
            skills: Some(vec!["refunds".into()]),
            ..UserPatch::default()
        },
    )
    .await?;
    let bea = desk.actor(tenant, agent.id).await?;
    desk.set_availability(&bea, agent.id, Availability::Online)
        .await?;
    let customer = desk
        .register(tenant, account("carl@example.org", "carl", "Carl Customer"))
        .await?;
    let carl = desk.actor(tenant, customer.id).await?;

    // Rules route billing tickets to the billing team, then to its least-loaded agent.
    desk.create_rule(
        &admin,
        RuleInput {
            name: "Billing goes to the billing team".into(),
            position: 1,
            enabled: true,
            triggers: vec![Trigger::TicketCreated],
            condition: Condition::Any {
                any: vec![
                    Condition::CategoryIs {
                        categories: vec![Category::known(Category::BILLING)],
                    },
                    Condition::TextContains {
                        phrases: vec!["refund".into(), "invoice".into()],
                    },
                ],
            },
            actions: vec![
                Action::SetCategory {
                    category: Category::known(Category::BILLING),
                },
                Action::SetTeam {
                    team_id: billing.id,
                },
                Action::Assign {
                    strategy: AssignStrategy::LeastLoaded,
                },
            ],
        },
    )
    .await?;
    desk.create_sla_policy(
        &admin,
        SlaPolicyInput {
            name: "Standard".into(),
            position: 0,
            enabled: true,
            condition: SlaCondition::default(),
            targets: SlaTargets {
                first_response_minutes: Some(60),
                next_response_minutes: Some(120),
                resolution_minutes: Some(8 * 60),
            },
            calendar_id: None,
            warn_at_percent: 80,
        },
    )
    .await?;

    // The customer raises a ticket; the rules route it.
    let ticket = desk
        .create_ticket(
            &carl,
            TicketInput {
                title: "Refund for a double charge".into(),
                description: "I was charged twice for my March invoice.".into(),
                priority: Some(Priority::High),
                ..TicketInput::default()
            },
        )
        .await?;
    println!(
        "ticket {} -> category {}, team {:?}, assignee {:?}",
        ticket.id,
        ticket.category,
        ticket.team.map(|_| "Billing"),
        ticket.assignee.map(|_| "Bea")
    );
    if let Some(sla) = &ticket.sla {
        println!(
            "  first response due {:?}, resolution due {:?}",
            sla.first_response_due, sla.resolution_due
        );
    }

    // The agent replies and resolves.
    desk.add_comment(
        &bea,
        ticket.id,
        "Sorry about that: the duplicate charge is refunded.",
        false,
    )
    .await?;
    desk.add_comment(
        &bea,
        ticket.id,
        "Refund issued in the billing system.",
        true,
    )
    .await?;
    let resolved = desk.transition(&bea, ticket.id, "resolved", None).await?;
    println!(
        "ticket is now {} (version {})",
        resolved.status, resolved.version
    );

    println!("\nhistory (as the agent sees it):");
    for e in desk.history(&bea, ticket.id).await? {
        println!(
            "  {} {:<16} by {}",
            e.at.format("%H:%M:%S"),
            e.kind.name(),
            if e.actor.is_some() {
                "a person"
            } else {
                "the system"
            }
        );
    }
    println!(
        "history events the customer sees: {}",
        desk.history(&carl, ticket.id).await?.len()
    );
    println!(
        "customer's tickets: {}",
        desk.list_tickets(&carl, TicketQuery::default())
            .await?
            .items
            .len()
    );
    println!(
        "customer's unread notifications: {}",
        desk.unread_notifications(&carl).await?
    );

    let relay = desk.relay_outbox(100).await?;
    println!("outbox relay: {relay:?}");

    let stats = desk.stats(&admin, StatsQuery::default()).await?;
    println!(
        "\nstats: total {}, open {}, by category {:?}, SLA {:?}",
        stats.total, stats.open, stats.by_category, stats.sla
    );
    Ok(())
}
