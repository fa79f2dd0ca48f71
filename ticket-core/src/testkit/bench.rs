//! What the store benchmarks share (`ticket-store-sqlite`'s `load` bench and the
//! `stores` bench of `ticket-examples`, SQLite next to MongoDB): one generated ticket
//! corpus, so that every store is measured on the same kind of data, seeded by direct
//! saves, and one creation load through [`HelpDesk`] with its latencies.

use super::{account, fixtures};
use crate::account::Role;
use crate::id::{TeamId, TenantId, UserId};
use crate::ports::Store;
use crate::ticket::{Priority, Ticket, TicketInput};
use crate::workflow::StatusCategory;
use crate::{Actor, HelpDesk};
use chrono::Duration as Span;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The bench tenant's accounts.
#[derive(Debug, Clone)]
pub struct People {
    /// The bench tenant (one fixed id, so that a kept database is found again).
    pub tenant: TenantId,
    /// 16 customers: the requesters of the corpus and the creators of the creation runs.
    pub customers: Vec<Actor>,
    /// 20 agents: the assignees of the corpus.
    pub agents: Vec<UserId>,
}

impl People {
    /// The customers' user ids.
    #[must_use]
    pub fn requesters(&self) -> Vec<UserId> {
        self.customers.iter().filter_map(Actor::user_id).collect()
    }
}

/// The bench tenant's super-admin (`root`), 16 customers (`customer-N`) and 20 agents
/// (`agent-N`), found in `store` when a kept database has them, else registered through
/// `desk`. Panics when a step fails.
pub async fn register_people(desk: &HelpDesk, store: &Arc<dyn Store>) -> People {
    let tenant = TenantId::from_uuid(uuid::Uuid::from_u128(0xbe7c_4000));
    desk.ensure_super_admin(tenant, account("root"))
        .await
        .expect("super-admin");
    let root = store
        .find_user_by_login(tenant, "root")
        .await
        .expect("find root")
        .expect("the super-admin just ensured");
    let admin = Actor::user(tenant, root.id, Role::SuperAdmin);
    let user = |name: String, role: Role| async move {
        match store
            .find_user_by_login(tenant, &name)
            .await
            .expect("find user")
        {
            Some(u) => u.id,
            None => {
                desk.create_user(&admin, account(&name), role)
                    .await
                    .expect("register user")
                    .id
            }
        }
    };
    let mut customers = Vec::new();
    for i in 0..16 {
        let id = user(format!("customer-{i}"), Role::Customer).await;
        customers.push(Actor::user(tenant, id, Role::Customer));
    }
    let mut agents = Vec::new();
    for i in 0..20 {
        agents.push(user(format!("agent-{i}"), Role::Agent).await);
    }
    People {
        tenant,
        customers,
        agents,
    }
}

/// A tiny deterministic generator (xorshift): the same seed, the same corpus.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The seed of [`generated_tickets`].
    pub const CORPUS_SEED: u64 = 0x9e37_79b9_7f4a_7c15;

    /// A generator from `seed` (not zero: xorshift stays at zero).
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// A number below `n` (which must not be zero).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// 1,000 made-up words (two or three syllables).
pub fn vocabulary() -> Vec<String> {
    let syllables = [
        "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "gu", "ba", "fe", "hi",
        "jo", "xu", "we", "qi", "ya",
    ];
    let mut words = Vec::new();
    'outer: for a in syllables {
        for b in syllables {
            for c in ["", "n", "r", "s", "t"] {
                words.push(format!("{a}{b}{c}"));
                if words.len() == 1_000 {
                    break 'outer;
                }
            }
        }
    }
    words
}

/// `n` words of `words`, drawn by `rng`, joined by spaces.
pub fn sentence(rng: &mut Rng, words: &[String], n: usize) -> String {
    (0..n)
        .map(|_| words[rng.below(words.len())].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Team `n` (0 to 4) of the corpus: fixed ids derived from small numbers.
pub fn team(n: usize) -> TeamId {
    TeamId::from_uuid(uuid::Uuid::from_u128(100 + n as u128))
}

/// `n` generated tickets of `tenant` (deterministic, created over the year before
/// [`fixtures::now`]): statuses of every category, four priorities, up to three of 20
/// tags (`tag-0` to `tag-19`), 70 % assigned to one of `agents`, 80 % in one of five
/// [`team`]s, titles of 5 and descriptions of 30 words of the [`vocabulary`], 0.1 % with
/// "kangaroo". `requesters` and `agents` must not be empty.
pub fn generated_tickets(
    tenant: TenantId,
    requesters: &[UserId],
    agents: &[UserId],
    n: u64,
) -> Vec<Ticket> {
    let words = vocabulary();
    let mut rng = Rng::new(Rng::CORPUS_SEED);
    let base = fixtures::now() - Span::days(365);
    (0..n)
        .map(|_| {
            let category = StatusCategory::ALL[rng.below(5)];
            let tags: Vec<String> = (0..rng.below(4))
                .map(|_| format!("tag-{}", rng.below(20)))
                .collect();
            let mut description = sentence(&mut rng, &words, 30);
            if rng.below(1_000) == 0 {
                description.push_str(" kangaroo");
            }
            let at = base + Span::seconds(rng.below(365 * 86_400) as i64);
            let assignee = (rng.below(10) < 7).then(|| agents[rng.below(agents.len())]);
            let team = (rng.below(10) < 8).then(|| self::team(rng.below(5)));
            Ticket {
                assignee,
                assigned_at: assignee.map(|_| at),
                team,
                title: fixtures::title(&sentence(&mut rng, &words, 5)),
                description: fixtures::description(&description),
                status: fixtures::status_name(category),
                status_category: category,
                priority: Priority::ALL[rng.below(4)],
                tags: fixtures::tags(&tags.iter().map(String::as_str).collect::<Vec<_>>()),
                ..fixtures::ticket_at(tenant, requesters[rng.below(requesters.len())], at)
            }
        })
        .collect()
}

/// Stores `tickets` by direct saves (each its create change, with its event, as
/// [`fixtures::create`] makes it) from `tasks` tasks. Panics when a save fails.
pub async fn save_all(store: &Arc<dyn Store>, tickets: Vec<Ticket>, tasks: usize) {
    let tasks = tasks.max(1);
    let mut shares: Vec<Vec<Ticket>> = (0..tasks).map(|_| Vec::new()).collect();
    for (i, t) in tickets.into_iter().enumerate() {
        shares[i % tasks].push(t);
    }
    let running: Vec<_> = shares
        .into_iter()
        .map(|share| {
            let store = store.clone();
            tokio::spawn(async move {
                for t in share {
                    store.save(&fixtures::create(t)).await.expect("seed save");
                }
            })
        })
        .collect();
    for t in running {
        t.await.expect("a seeding task");
    }
}

/// What a creation load did.
#[derive(Debug, Clone)]
pub struct CreateLoad {
    /// The latency of every create, sorted.
    pub latencies: Vec<Duration>,
    /// Seconds from the start of the load to the end of its last create.
    pub elapsed: f64,
}

impl CreateLoad {
    /// Tickets created per second.
    pub fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed
    }
}

/// Creates tickets through `desk` from `concurrency` tasks (task `i` as customer
/// `i % customers.len()`) for `secs` seconds. Panics when a create fails.
pub async fn create_load(
    desk: &HelpDesk,
    customers: &[Actor],
    concurrency: usize,
    secs: u64,
) -> CreateLoad {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|i| {
            let (desk, who, stop) = (desk.clone(), customers[i % customers.len()], stop.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let t0 = Instant::now();
                    desk.create_ticket(
                        &who,
                        TicketInput {
                            title: format!("Load ticket {i}-{n}"),
                            description: "The printer on floor two is on fire again.".into(),
                            tags: vec!["load".into(), "printer".into()],
                            ..TicketInput::default()
                        },
                    )
                    .await
                    .expect("create_ticket");
                    latencies.push(t0.elapsed());
                    n += 1;
                }
                latencies
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("a create task"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    CreateLoad { latencies, elapsed }
}

/// The `p`-th percentile (0 to 100) of `sorted`: the sample at index `len * p / 100`
/// (zero when there is none).
pub fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let last = sorted.len().saturating_sub(1);
    sorted
        .get((sorted.len() * p / 100).min(last))
        .copied()
        .unwrap_or_default()
}

/// `d` in milliseconds, as the benchmarks print it (`1.234 ms`).
pub fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_is_deterministic_and_spread() {
        let tenant = TenantId::new();
        let (requesters, agents) = ([UserId::new()], [UserId::new(), UserId::new()]);
        let a = generated_tickets(tenant, &requesters, &agents, 200);
        let b = generated_tickets(tenant, &requesters, &agents, 200);
        // Everything but the times (the year before the clock's now) and the ids.
        let key = |t: &Ticket| {
            let text = (t.title.to_string(), t.description.to_string());
            (
                text,
                t.status_category,
                t.priority,
                t.tags.clone(),
                t.assignee,
                t.team,
            )
        };
        assert!(
            a.iter().map(key).eq(b.iter().map(key)),
            "same seed, same tickets"
        );
        assert_eq!(a.len(), 200);
        assert!(a.iter().all(|t| t.tenant == tenant));
        assert!(a.iter().any(|t| t.assignee.is_some()) && a.iter().any(|t| t.assignee.is_none()));
        let categories: std::collections::HashSet<_> =
            a.iter().map(|t| t.status_category).collect();
        assert_eq!(categories.len(), StatusCategory::ALL.len());
    }

    #[test]
    fn percentiles_pick_by_index_and_survive_no_samples() {
        let sorted: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&sorted, 50), Duration::from_millis(51));
        assert_eq!(percentile(&sorted, 99), Duration::from_millis(100));
        assert_eq!(percentile(&sorted, 100), Duration::from_millis(100));
        assert_eq!(percentile(&[], 50), Duration::ZERO);
        assert_eq!(ms(Duration::from_micros(1_234)), "1.234 ms");
    }
}
