//! What the benchmark writes and asks: ticket inputs for the desk, seeded tickets for the
//! 1M table, and the filters and words of the read queries. Words and tags follow a
//! Zipf-like law (a few common, a long tail of rare ones), like real help-desk text.

use chrono::{DateTime, Duration, Utc};
use ticket_core::event::{EventKind, TicketEvent};
use ticket_core::id::{EventId, SlaPolicyId, TeamId, TenantId, TicketId, UserId};
use ticket_core::text::{Category, CustomFields, Description, Status, Tags, Title};
use ticket_core::ticket::{Priority, Ticket, TicketInput, TicketSla};
use ticket_core::workflow::StatusCategory;

/// A small, fast, deterministic generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An index in `0..n` with probability ∝ 1/(i+1): rank 0 is the most common.
    pub fn zipf(&mut self, n: usize) -> usize {
        // Inverse of the continuous approximation: i = n^u - 1.
        let i = (n as f64 + 1.0).powf(self.unit()) - 1.0;
        (i as usize).min(n - 1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Help-desk words, roughly most common first.
pub const WORDS: &[&str] = &[
    "the",
    "to",
    "i",
    "and",
    "a",
    "is",
    "not",
    "my",
    "it",
    "of",
    "in",
    "please",
    "error",
    "can",
    "when",
    "login",
    "account",
    "help",
    "with",
    "on",
    "password",
    "we",
    "cannot",
    "access",
    "email",
    "issue",
    "working",
    "after",
    "update",
    "since",
    "page",
    "printer",
    "invoice",
    "payment",
    "vpn",
    "server",
    "connection",
    "slow",
    "app",
    "user",
    "reset",
    "network",
    "order",
    "refund",
    "screen",
    "install",
    "laptop",
    "phone",
    "crash",
    "sync",
    "license",
    "report",
    "file",
    "upload",
    "download",
    "browser",
    "timeout",
    "billing",
    "subscription",
    "upgrade",
    "outage",
    "mailbox",
    "calendar",
    "meeting",
    "wifi",
    "office",
    "backup",
    "restore",
    "database",
    "query",
    "export",
    "import",
    "dashboard",
    "chart",
    "mobile",
    "android",
    "iphone",
    "windows",
    "mac",
    "linux",
    "driver",
    "firmware",
    "cable",
    "monitor",
    "keyboard",
    "mouse",
    "headset",
    "camera",
    "microphone",
    "audio",
    "video",
    "stream",
    "latency",
    "packet",
    "dns",
    "certificate",
    "ssl",
    "token",
    "sso",
    "saml",
    "oauth",
    "api",
    "webhook",
    "integration",
    "plugin",
    "extension",
    "permission",
    "role",
    "admin",
    "group",
    "team",
    "share",
    "folder",
    "drive",
    "storage",
    "quota",
    "limit",
    "charge",
    "card",
    "declined",
    "receipt",
    "tax",
    "vat",
    "address",
    "shipping",
    "delivery",
    "tracking",
    "package",
    "return",
    "exchange",
    "warranty",
    "repair",
    "replacement",
    "battery",
    "charger",
    "power",
    "boot",
    "freeze",
    "blue",
    "black",
    "blank",
    "loop",
    "spinning",
    "stuck",
    "missing",
    "deleted",
    "lost",
    "recover",
    "duplicate",
    "wrong",
    "incorrect",
    "invalid",
    "expired",
    "locked",
    "blocked",
    "suspended",
    "disabled",
    "enable",
    "configure",
    "settings",
    "profile",
    "avatar",
    "notification",
    "alert",
    "reminder",
    "schedule",
    "timezone",
    "language",
    "translation",
    "font",
    "layout",
    "theme",
    "dark",
    "mode",
    "zoom",
    "scroll",
    "click",
    "button",
    "link",
    "redirect",
    "captcha",
    "verification",
    "code",
    "sms",
    "authenticator",
    "backupcodes",
    "recovery",
    "question",
    "answer",
    "manual",
    "guide",
    "documentation",
    "training",
    "onboarding",
    "offboarding",
    "contract",
    "quote",
    "discount",
    "coupon",
    "promotion",
    "trial",
    "cancel",
    "renewal",
    "plan",
    "tier",
    "seat",
    "migration",
    "legacy",
    "beta",
    "release",
    "version",
    "patch",
    "hotfix",
    "rollback",
    "deploy",
    "pipeline",
    "build",
    "compile",
    "kubernetes",
    "docker",
    "container",
    "cluster",
    "node",
    "pod",
    "memory",
    "cpu",
    "disk",
    "latency99",
    "throughput",
    "loadbalancer",
    "proxy",
    "firewall",
    "port",
    "ipv6",
    "subnet",
    "gateway",
    "router",
    "switch",
    "modem",
    "fiber",
    "bandwidth",
    "jitter",
    "voip",
    "softphone",
    "extension42",
    "voicemail",
    "fax",
    "scanner",
    "toner",
    "paper",
    "jam",
    "tray",
    "duplex",
    "colour",
    "spreadsheet",
    "formula",
    "macro",
    "pivot",
    "slides",
    "presentation",
    "projector",
    "hdmi",
    "adapter",
    "dock",
    "usb",
    "bluetooth",
    "pairing",
    "kangaroo",
    "zebra",
    "quasar",
    "nebula",
    "fjord",
    "glacier",
    "tundra",
];

/// Tags, most common first.
pub const TAGS: &[&str] = &[
    "vpn",
    "billing",
    "urgent",
    "login",
    "email",
    "printer",
    "network",
    "refund",
    "mobile",
    "sso",
    "outage",
    "hardware",
    "software",
    "security",
    "onboarding",
    "invoice",
    "api",
    "performance",
    "data",
    "access",
    "wifi",
    "license",
    "backup",
    "audio",
    "video",
    "browser",
    "integration",
    "webhook",
    "migration",
    "vip",
];

pub const CATEGORIES: &[&str] = &[
    "technical",
    "billing",
    "account",
    "general",
    "hardware",
    "network",
    "security",
    "sales",
];

/// Open statuses of the default workflow with their share of the seed (in percent).
pub const OPEN_STATUSES: &[(&str, StatusCategory, usize)] = &[
    ("new", StatusCategory::New, 25),
    ("open", StatusCategory::Open, 35),
    ("in_progress", StatusCategory::Open, 25),
    ("pending", StatusCategory::Pending, 15),
];

/// Prefixes of the identifiers tickets mention (order and invoice numbers, error codes,
/// host names…): the long tail of a real desk's vocabulary.
pub const ID_PREFIXES: &[&str] = &["order", "inv", "err", "host", "case", "ref", "sku"];

/// How many identifiers of each prefix there are.
pub const IDS_PER_PREFIX: usize = 20_000;

/// One identifier from the long tail (`inv4821`), by the Zipf law within its prefix.
pub fn identifier(rng: &mut Rng) -> String {
    format!("{}{}", rng.pick(ID_PREFIXES), rng.zipf(IDS_PER_PREFIX))
}

/// `n` words: help-desk words by the Zipf law, and one in eight an identifier.
pub fn words(rng: &mut Rng, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            if rng.below(8) == 0 {
                identifier(rng)
            } else {
                WORDS[rng.zipf(WORDS.len())].to_string()
            }
        })
        .collect()
}

/// A sentence of `min..max` words with a capital letter and a full stop.
fn sentence(rng: &mut Rng, min: usize, max: usize) -> String {
    let n = min + rng.below(max - min + 1);
    let mut s = words(rng, n).join(" ");
    if let Some(first) = s.get(..1) {
        let upper = first.to_uppercase();
        s.replace_range(..1, &upper);
    }
    s
}

/// A priority: low 30 %, medium 40 %, high 20 %, critical 10 %.
pub fn priority(rng: &mut Rng) -> Priority {
    match rng.below(10) {
        0..=2 => Priority::Low,
        3..=6 => Priority::Medium,
        7..=8 => Priority::High,
        _ => Priority::Critical,
    }
}

/// 0–3 tags by the Zipf law.
pub fn tags(rng: &mut Rng) -> Vec<String> {
    let n = rng.below(4);
    (0..n)
        .map(|_| TAGS[rng.zipf(TAGS.len())].to_string())
        .collect()
}

/// What a requester types into the desk.
pub fn input(rng: &mut Rng) -> TicketInput {
    let description = (0..2 + rng.below(4))
        .map(|_| sentence(rng, 6, 16))
        .collect::<Vec<_>>()
        .join(". ");
    TicketInput {
        title: sentence(rng, 4, 9),
        description,
        category: Some(CATEGORIES[rng.zipf(CATEGORIES.len())].to_string()),
        priority: Some(priority(rng)),
        tags: tags(rng),
        custom_fields: Default::default(),
    }
}

/// Who the seeded tickets belong to.
pub struct People {
    pub tenant: TenantId,
    pub requesters: Vec<UserId>,
    pub agents: Vec<UserId>,
    pub teams: Vec<TeamId>,
    pub policy: SlaPolicyId,
}

/// One seeded open ticket with its `Created` event, created at `created` (seeds are
/// written in creation order, as a desk fills its table), with an SLA snapshot whose next
/// check lies in the coming week; `due`: in the minutes before `now` (create those two
/// hours before `now`, so that their first response is late).
pub fn seed_ticket(
    rng: &mut Rng,
    p: &People,
    now: DateTime<Utc>,
    created: DateTime<Utc>,
    due: bool,
) -> (Ticket, TicketEvent) {
    let input = input(rng);
    let roll = rng.below(100);
    let mut acc = 0;
    let (status, category, _) = OPEN_STATUSES
        .iter()
        .find(|(_, _, share)| {
            acc += share;
            roll < acc
        })
        .copied()
        .unwrap_or(OPEN_STATUSES[0]);
    let updated = (created + Duration::seconds(rng.below(30 * 86_400) as i64)).min(now);
    let next_check = if due {
        now - Duration::seconds(1 + rng.below(600) as i64)
    } else {
        now + Duration::seconds(60 + rng.below(7 * 86_400) as i64)
    };
    let assigned = category != StatusCategory::New && rng.below(10) < 8;
    let assignee = assigned.then(|| *rng.pick(&p.agents));
    let t = Ticket {
        id: TicketId::new(),
        tenant: p.tenant,
        title: Title::parse(&input.title).expect("a generated title"),
        description: Description::parse(&input.description).expect("a generated description"),
        status: Status::parse(status).expect("a workflow status"),
        status_category: category,
        priority: input.priority.unwrap_or_default(),
        category: Category::parse(input.category.as_deref().unwrap_or("general"))
            .expect("a generated category"),
        tags: Tags::parse(&input.tags).expect("generated tags"),
        custom_fields: CustomFields::default(),
        requester: *rng.pick(&p.requesters),
        assignee,
        team: (rng.below(3) > 0).then(|| *rng.pick(&p.teams)),
        classification: None,
        sla: Some(TicketSla {
            policy_id: p.policy,
            first_response_due: Some(created + Duration::minutes(60)),
            next_response_due: None,
            resolution_due: Some(created + Duration::minutes(1440)),
            next_check: Some(next_check),
            at_risk: false,
            breached: false,
            replay: None,
        }),
        version: 1,
        created_at: created,
        updated_at: updated,
        assigned_at: assignee.map(|_| created + Duration::minutes(5)),
        first_response_at: None,
        resolved_at: None,
        closed_at: None,
    };
    let created_event = TicketEvent {
        id: EventId::new(),
        tenant: t.tenant,
        ticket_id: t.id,
        actor: Some(t.requester),
        at: t.created_at,
        requester: t.requester,
        kind: EventKind::Created {
            status: t.status.clone(),
            priority: t.priority,
            category: t.category.clone(),
        },
    };
    (t, created_event)
}
