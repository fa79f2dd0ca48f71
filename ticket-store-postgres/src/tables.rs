//! The schema-qualified names of the store's tables and its notification channel, built
//! once per store so no query depends on the pool's `search_path`.

/// Quoted, schema-qualified table names (`"ticket"."tickets"`…).
#[derive(Debug, Clone)]
pub(crate) struct Tables {
    /// The quoted schema (`"ticket"`).
    pub schema: String,
    pub tickets: String,
    pub comments: String,
    pub events: String,
    pub users: String,
    pub teams: String,
    pub tokens: String,
    pub sla_policies: String,
    pub calendars: String,
    pub rules: String,
    pub faqs: String,
    pub notifications: String,
    pub outbox: String,
    pub endpoints: String,
    pub rotation: String,
    pub shift_schedules: String,
    pub shifts: String,
    pub sla_reevaluations: String,
    pub sla_claims: String,
    pub migrations: String,
    /// The `LISTEN/NOTIFY` channel of the event bus.
    pub channel: String,
    /// The `LISTEN/NOTIFY` channel of configuration changes (cache invalidations).
    pub config_channel: String,
}

/// The longest channel name PostgreSQL keeps (`NAMEDATALEN - 1`).
const MAX_CHANNEL: usize = 63;

impl Tables {
    /// The names for `schema` (already checked to be a plain lower-case identifier).
    pub fn new(schema: &str) -> Self {
        let quoted = format!("\"{schema}\"");
        let t = |name: &str| format!("{quoted}.\"{name}\"");
        Self {
            tickets: t("tickets"),
            comments: t("comments"),
            events: t("events"),
            users: t("users"),
            teams: t("teams"),
            tokens: t("tokens"),
            sla_policies: t("sla_policies"),
            calendars: t("calendars"),
            rules: t("rules"),
            faqs: t("faqs"),
            notifications: t("notifications"),
            outbox: t("outbox"),
            endpoints: t("webhook_endpoints"),
            rotation: t("rotation"),
            shift_schedules: t("shift_schedules"),
            shifts: t("shifts"),
            sla_reevaluations: t("sla_reevaluations"),
            sla_claims: t("sla_claims"),
            migrations: t(crate::migrate::MIGRATIONS_TABLE),
            channel: channel_name("ticket_events", schema),
            config_channel: channel_name("ticket_config", schema),
            schema: quoted,
        }
    }
}

/// `<prefix>.<schema>`, or a stable hash of the schema when that is too long: two
/// schemas never share a channel, and every process derives the same name.
fn channel_name(prefix: &str, schema: &str) -> String {
    let name = format!("{prefix}.{schema}");
    if name.len() <= MAX_CHANNEL {
        return name;
    }
    // FNV-1a: stable across processes and Rust versions (unlike `DefaultHasher`).
    let hash = schema.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let head: String = schema.chars().take(24).collect();
    format!("{prefix}.{head}.{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_and_qualified() {
        let t = Tables::new("ticket");
        assert_eq!(t.tickets, "\"ticket\".\"tickets\"");
        assert_eq!(t.channel, "ticket_events.ticket");
        assert_eq!(t.config_channel, "ticket_config.ticket");
    }

    #[test]
    fn long_schemas_get_short_distinct_channels() {
        let a = "a".repeat(63);
        let b = format!("{}b", "a".repeat(62));
        let (ca, cb) = (
            channel_name("ticket_events", &a),
            channel_name("ticket_events", &b),
        );
        assert!(ca.len() <= MAX_CHANNEL && cb.len() <= MAX_CHANNEL);
        assert_ne!(ca, cb);
        assert_eq!(ca, channel_name("ticket_events", &a));
    }
}
