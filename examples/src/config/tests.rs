//! The configuration's layering, redaction and error reports.

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

#[test]
fn defaults_then_file_then_environment() {
    let c = ServerConfig::from_sources(None, env(&[])).unwrap();
    assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(c.database_url(), "sqlite://ticket-data/ticket.db");
    let file =
        "bind = \"0.0.0.0:9000\"\naccess_ttl_secs = 60\ncors_origins = [\"https://a.example\"]\n";
    let c = ServerConfig::from_sources(Some(file), env(&[])).unwrap();
    assert_eq!(c.bind.port(), 9000);
    assert_eq!(c.access_ttl_secs, 60);
    let c = ServerConfig::from_sources(
        Some(file),
        env(&[
            ("TICKET_BIND", "127.0.0.1:7000"),
            (
                "TICKET_CORS_ORIGINS",
                "https://b.example, https://c.example",
            ),
            ("TICKET_OPEN_REGISTRATION", "false"),
            ("TICKET_HASH_COST", "testing"),
            ("TICKET_DATABASE_URL", "postgres://db/desk"),
            ("TICKET_DATABASE_MAX_CONNECTIONS", "64"),
            ("TICKET_ACTOR_CACHE_SECS", "0"),
            ("TICKET_CONFIG", "ignored"),
            ("PATH", "/bin"),
        ]),
    )
    .unwrap();
    assert_eq!(c.bind.port(), 7000);
    assert_eq!(c.access_ttl_secs, 60, "the file still applies");
    assert_eq!(c.cors_origins, ["https://b.example", "https://c.example"]);
    assert!(!c.open_registration);
    assert_eq!(c.hash_cost, HashCostSetting::Testing);
    assert_eq!(c.database_url(), "postgres://db/desk");
    assert_eq!(c.database_max_connections, 64);
    assert_eq!(c.actor_cache_secs, 0);
    let c = ServerConfig::from_sources(
        None,
        env(&[
            ("TICKET_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7, ::1"),
            ("TICKET_REQUIRE_VERIFIED_EMAIL", "yes"),
            ("TICKET_ACCOUNT_RATE_BURST", "0"),
        ]),
    )
    .unwrap();
    assert_eq!(c.trusted_proxy_networks().unwrap().len(), 3);
    assert!(c.require_verified_email);
    assert_eq!(c.account_rate_burst, 0);
    let c = ServerConfig::from_sources(
        None,
        env(&[("TICKET_BNID", "x"), ("TICKET_TEST_POSTGRES_URL", "y")]),
    )
    .unwrap();
    assert_eq!(c.ignored_variables, ["TICKET_BNID"]);
}

#[test]
fn secrets_are_redacted_in_debug() {
    let c = ServerConfig::from_sources(
        None,
        env(&[
            ("TICKET_JWT_SECRET", "a-very-secret-jwt-key-of-some-length"),
            ("TICKET_ADMIN_EMAIL", "root@example.com"),
            ("TICKET_ADMIN_PASSWORD", "admin password 123"),
        ]),
    )
    .unwrap();
    let debug = format!("{c:?}");
    assert!(!debug.contains("a-very-secret-jwt-key"));
    let db = ServerConfig::from_sources(
        None,
        env(&[(
            "TICKET_DATABASE_URL",
            "postgres://desk:hunter2-db@db/desk?password=hunter3",
        )]),
    )
    .unwrap();
    let shown = format!("{db:?}");
    assert!(!shown.contains("hunter"), "{shown}");
    assert!(shown.contains("postgres://desk:***@db/desk"), "{shown}");
    assert_eq!(
        db.database_url(),
        "postgres://desk:hunter2-db@db/desk?password=hunter3"
    );
    assert!(!debug.contains("admin password 123"));
    assert!(debug.contains("root@example.com"));
}

#[test]
fn mistakes_are_reported() {
    for (file, vars) in [
        (Some("bnid = \"x\""), env(&[])),
        (None, env(&[("TICKET_ACCESS_TTL_SECS", "soon")])),
        (None, env(&[("TICKET_BIND", "not an address")])),
        (None, env(&[("TICKET_ADMIN_EMAIL", "a@example.com")])),
        (None, env(&[("TICKET_HASH_COST", "cheap")])),
        (None, env(&[("TICKET_OPEN_REGISTRATION", "perhaps")])),
        (
            None,
            env(&[("TICKET_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local")]),
        ),
    ] {
        assert!(
            ServerConfig::from_sources(file, vars.clone()).is_err(),
            "{file:?} {vars:?}"
        );
    }
}
