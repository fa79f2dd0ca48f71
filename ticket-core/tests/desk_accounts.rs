//! HelpDesk behaviour: accounts, sessions, tokens and account deletion.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test set-up may unwrap

mod common;

use chrono::Duration;
use common::{account, world, PASSWORD};
use ticket_core::account::Role;
use ticket_core::desk::{RegisterInput, UserPatch};
use ticket_core::error::Conflict;
use ticket_core::notify::{Channel, NotificationKind};
use ticket_core::query::UserQuery;
use ticket_core::Error;

/// The token in the newest e-mail of `kind` to `address` (the last line of its body).
async fn token_sent_to(w: &common::World, address: &str, kind: NotificationKind) -> String {
    let page = w
        .desk
        .list_deliveries(&w.superadmin, None, Some(100), None)
        .await
        .unwrap();
    page.items
        .iter()
        .filter(|d| d.kind == kind)
        .find_map(|d| match &d.channel {
            Channel::Email { to, body, .. } if to.as_str() == address => {
                body.lines().last().map(str::to_string)
            }
            _ => None,
        })
        .expect("an e-mail with a token")
}

#[tokio::test]
async fn register_verify_and_login_by_email_or_username() {
    let w = world().await;
    let u = w.desk.register(w.tenant, account("dora")).await.unwrap();
    assert_eq!(u.role, Role::Customer);
    assert!(u.email_verified_at.is_none());
    assert!(u
        .password_hash
        .as_ref()
        .unwrap()
        .as_phc()
        .starts_with("$argon2id$"));
    let token = token_sent_to(&w, "dora@example.com", NotificationKind::VerifyEmail).await;
    let verified = w.desk.verify_email(w.tenant, &token).await.unwrap();
    assert!(verified.email_verified_at.is_some());
    assert!(
        matches!(
            w.desk.verify_email(w.tenant, &token).await,
            Err(Error::Invalid(_))
        ),
        "single use"
    );
    for login in ["dora@example.com", "DORA@Example.com", "dora", " Dora "] {
        assert_eq!(
            w.desk
                .authenticate(w.tenant, login, PASSWORD)
                .await
                .unwrap()
                .id,
            u.id,
            "{login}"
        );
    }
    assert!(matches!(
        w.desk
            .authenticate(w.tenant, "dora", "wrong password!!")
            .await,
        Err(Error::Unauthenticated)
    ));
    assert!(matches!(
        w.desk.authenticate(w.tenant, "nobody", PASSWORD).await,
        Err(Error::Unauthenticated)
    ));
    // Logins no account can have are refused the same way, before any store sees them.
    for odd in ["", "dora\0", "do\u{7}ra", &"d".repeat(255)] {
        assert!(
            matches!(
                w.desk.authenticate(w.tenant, odd, PASSWORD).await,
                Err(Error::Unauthenticated)
            ),
            "{odd:?}"
        );
    }
    // Another tenant knows nothing of dora.
    assert!(matches!(
        w.desk
            .authenticate(ticket_core::TenantId::new(), "dora", PASSWORD)
            .await,
        Err(Error::Unauthenticated)
    ));
}

#[tokio::test]
async fn duplicates_and_weak_passwords_are_refused() {
    let w = world().await;
    w.desk.register(w.tenant, account("erin")).await.unwrap();
    let dup_email = RegisterInput {
        username: "erin2".into(),
        ..account("erin")
    };
    assert!(
        matches!(w.desk.register(w.tenant, dup_email).await, Err(Error::Conflict(Conflict::Unique { field })) if field == "email")
    );
    let dup_name = RegisterInput {
        email: "other@example.com".into(),
        ..account("erin")
    };
    assert!(
        matches!(w.desk.register(w.tenant, dup_name).await, Err(Error::Conflict(Conflict::Unique { field })) if field == "username")
    );
    let weak = RegisterInput {
        password: "short".into(),
        ..account("fred")
    };
    assert!(
        matches!(w.desk.register(w.tenant, weak).await, Err(Error::Invalid(f)) if f[0].field == "password")
    );
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_replay_revokes_the_family() {
    let w = world().await;
    w.desk.register(w.tenant, account("gina")).await.unwrap();
    let s1 = w.desk.login(w.tenant, "gina", PASSWORD).await.unwrap();
    let s2 = w
        .desk
        .refresh_session(w.tenant, s1.refresh_token.expose())
        .await
        .unwrap();
    assert_ne!(s1.refresh_token.expose(), s2.refresh_token.expose());
    // Replaying the spent token fails and revokes the family, including the fresh token.
    assert!(matches!(
        w.desk
            .refresh_session(w.tenant, s1.refresh_token.expose())
            .await,
        Err(Error::Unauthenticated)
    ));
    assert!(matches!(
        w.desk
            .refresh_session(w.tenant, s2.refresh_token.expose())
            .await,
        Err(Error::Unauthenticated)
    ));
    // Logout ends a session; expired tokens are refused.
    let s3 = w.desk.login(w.tenant, "gina", PASSWORD).await.unwrap();
    w.desk
        .logout(w.tenant, s3.refresh_token.expose())
        .await
        .unwrap();
    assert!(w
        .desk
        .refresh_session(w.tenant, s3.refresh_token.expose())
        .await
        .is_err());
    let s4 = w.desk.login(w.tenant, "gina", PASSWORD).await.unwrap();
    w.clock.advance(Duration::days(31));
    assert!(w
        .desk
        .refresh_session(w.tenant, s4.refresh_token.expose())
        .await
        .is_err());
}

#[tokio::test]
async fn password_reset_is_single_use_expiring_and_silent_about_unknown_addresses() {
    let w = world().await;
    w.desk.register(w.tenant, account("hana")).await.unwrap();
    let before = w
        .desk
        .list_deliveries(&w.superadmin, None, Some(100), None)
        .await
        .unwrap()
        .items
        .len();
    w.desk
        .request_password_reset(w.tenant, "nobody@example.com")
        .await
        .unwrap();
    w.desk
        .request_password_reset(w.tenant, "not an address")
        .await
        .unwrap();
    assert_eq!(
        w.desk
            .list_deliveries(&w.superadmin, None, Some(100), None)
            .await
            .unwrap()
            .items
            .len(),
        before
    );
    let session = w.desk.login(w.tenant, "hana", PASSWORD).await.unwrap();
    w.desk
        .request_password_reset(w.tenant, "hana@example.com")
        .await
        .unwrap();
    let token = token_sent_to(&w, "hana@example.com", NotificationKind::PasswordReset).await;
    w.desk
        .reset_password(w.tenant, &token, "a brand new secret")
        .await
        .unwrap();
    assert!(w
        .desk
        .authenticate(w.tenant, "hana", PASSWORD)
        .await
        .is_err());
    assert!(w
        .desk
        .authenticate(w.tenant, "hana", "a brand new secret")
        .await
        .is_ok());
    assert!(
        w.desk
            .reset_password(w.tenant, &token, "another new secret")
            .await
            .is_err(),
        "single use"
    );
    assert!(
        w.desk
            .refresh_session(w.tenant, session.refresh_token.expose())
            .await
            .is_err(),
        "sessions end"
    );
    w.desk
        .request_password_reset(w.tenant, "hana@example.com")
        .await
        .unwrap();
    let late = token_sent_to(&w, "hana@example.com", NotificationKind::PasswordReset).await;
    assert_ne!(late, token);
    w.clock.advance(Duration::hours(2));
    assert!(
        w.desk
            .reset_password(w.tenant, &late, "too late secret")
            .await
            .is_err(),
        "expired"
    );
}

#[tokio::test]
async fn change_password_checks_the_current_one() {
    let w = world().await;
    let err = w
        .desk
        .change_password(&w.customer, "not my password", "whatever new one")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated));
    w.desk
        .change_password(&w.customer, PASSWORD, "my better password")
        .await
        .unwrap();
    assert!(w
        .desk
        .authenticate(w.tenant, "carl", "my better password")
        .await
        .is_ok());
}

#[tokio::test]
async fn only_a_super_admin_creates_admins() {
    let w = world().await;
    assert!(matches!(
        w.desk
            .create_user(&w.admin, account("ivan"), Role::Admin)
            .await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        w.desk
            .create_user(&w.admin, account("ivan"), Role::SuperAdmin)
            .await,
        Err(Error::Forbidden(_))
    ));
    let agent = w
        .desk
        .create_user(&w.admin, account("ivan"), Role::Agent)
        .await
        .unwrap();
    assert!(agent.agent.is_some());
    assert!(matches!(
        w.desk
            .update_user(
                &w.admin,
                agent.id,
                UserPatch {
                    role: Some(Role::Admin),
                    ..UserPatch::default()
                }
            )
            .await,
        Err(Error::Forbidden(_))
    ));
    w.desk
        .create_user(&w.superadmin, account("jane"), Role::Admin)
        .await
        .unwrap();
    assert!(w
        .desk
        .ensure_super_admin(w.tenant, account("another"))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn deleting_an_account_pseudonymises_the_person_and_keeps_the_tickets() {
    let w = world().await;
    let t = w.ticket(&w.customer, "Keep me").await;
    w.desk.claim(&w.agent, t.id).await.unwrap();
    let id = w.customer.user_id().unwrap();
    w.desk.delete_account(&w.customer, id).await.unwrap();
    let u = w.desk.get_user(&w.admin, id).await.unwrap();
    assert!(u.is_deleted());
    assert!(!u.email.as_str().contains("carl") && !u.username.as_str().contains("carl"));
    assert_eq!(u.name.as_str(), "Deleted user");
    assert!(u.password_hash.is_none());
    assert!(matches!(
        w.desk
            .authenticate(w.tenant, "carl@example.com", PASSWORD)
            .await,
        Err(Error::Unauthenticated)
    ));
    assert!(matches!(
        w.desk.actor(w.tenant, id).await,
        Err(Error::Unauthenticated)
    ));
    let kept = w.desk.get_ticket(&w.admin, t.id).await.unwrap();
    assert_eq!(kept.requester, id);
    // The address is free again.
    w.desk.register(w.tenant, account("carl")).await.unwrap();
    // Deleting an agent unassigns their open tickets.
    let agent_id = w.agent.user_id().unwrap();
    w.desk.delete_account(&w.admin, agent_id).await.unwrap();
    assert_eq!(
        w.desk.get_ticket(&w.admin, t.id).await.unwrap().assignee,
        None
    );
    let users = w
        .desk
        .list_users(&w.admin, UserQuery::default())
        .await
        .unwrap();
    assert!(users.items.iter().all(|u| !u.is_deleted()));
    // Search text is cleaned like any input: blank means no filter, NUL is refused.
    let blank = UserQuery {
        text: Some("   ".into()),
        ..UserQuery::default()
    };
    let all = w.desk.list_users(&w.admin, blank).await.unwrap();
    assert_eq!(all.items.len(), users.items.len());
    let nul = UserQuery {
        text: Some("a\0b".into()),
        ..UserQuery::default()
    };
    assert!(matches!(
        w.desk.list_users(&w.admin, nul).await,
        Err(Error::Invalid(_))
    ));
}

#[tokio::test]
async fn who_a_user_acts_as_follows_role_changes_and_deletion() {
    use ticket_core::ports::UserStore as _;
    let w = world().await;
    let agent = w.agent.user_id().unwrap();
    assert_eq!(
        w.desk.actor(w.tenant, agent).await.unwrap().role(),
        Some(Role::Agent)
    );
    // A change made through the desk applies to the very next request.
    let patch = UserPatch {
        role: Some(Role::Customer),
        ..UserPatch::default()
    };
    w.desk.update_user(&w.admin, agent, patch).await.unwrap();
    assert_eq!(
        w.desk.actor(w.tenant, agent).await.unwrap().role(),
        Some(Role::Customer)
    );
    // A change made behind this desk's back (another instance) shows within the TTL.
    let mut user = w.store.get_user(w.tenant, agent).await.unwrap();
    let expected = user.version;
    user.version += 1;
    user.role = Role::Admin;
    w.store.update_user(&user, expected).await.unwrap();
    assert_eq!(
        w.desk.actor(w.tenant, agent).await.unwrap().role(),
        Some(Role::Customer),
        "remembered for the TTL"
    );
    w.clock.advance(w.desk.config().actor_ttl);
    assert_eq!(
        w.desk.actor(w.tenant, agent).await.unwrap().role(),
        Some(Role::Admin)
    );
    // Deleted: no longer anybody, at once.
    w.desk.delete_account(&w.superadmin, agent).await.unwrap();
    assert!(matches!(
        w.desk.actor(w.tenant, agent).await,
        Err(Error::Unauthenticated)
    ));
}

#[tokio::test]
async fn verification_can_be_required_to_raise_tickets_and_to_match_domain_rules() {
    use ticket_core::desk::RuleInput;
    use ticket_core::rules::{Action, Condition, Trigger};
    use ticket_core::text::Tag;
    use ticket_core::{HelpDesk, HelpDeskConfig};

    // The same store, without and with the requirement (an operator switching it on).
    let w = common::world().await;
    let strict = HelpDesk::builder(w.store.clone())
        .clock(w.clock.clone())
        .config(HelpDeskConfig {
            require_verified_email: true,
            ..common::config()
        })
        .build()
        .unwrap();
    let rule = w
        .desk
        .create_rule(
            &w.admin,
            RuleInput {
                name: "Ours".into(),
                position: 0,
                enabled: true,
                triggers: vec![Trigger::TicketCreated],
                condition: Condition::RequesterEmailDomain {
                    domain: "example.com".into(),
                },
                actions: vec![Action::AddTags {
                    tags: vec![Tag::parse("ours").unwrap()],
                }],
            },
        )
        .await
        .unwrap();
    let input = || ticket_core::ticket::TicketInput {
        title: "Printer".into(),
        description: "Jammed".into(),
        ..Default::default()
    };

    // Carl has not verified his address: the lax desk takes his ticket and trusts his
    // domain; the strict one refuses the ticket and does not trust the domain.
    let t = w.desk.create_ticket(&w.customer, input()).await.unwrap();
    assert!(t.tags.iter().any(|t| t.as_str() == "ours"));
    assert!(matches!(
        strict.create_ticket(&w.customer, input()).await,
        Err(Error::Forbidden(_))
    ));
    assert!(
        w.desk
            .preview_rule(&w.admin, rule.id, t.id)
            .await
            .unwrap()
            .matched
    );
    assert!(
        !strict
            .preview_rule(&w.admin, rule.id, t.id)
            .await
            .unwrap()
            .matched
    );

    // Once verified, both.
    let token = token_sent_to(&w, "carl@example.com", NotificationKind::VerifyEmail).await;
    strict.verify_email(w.tenant, &token).await.unwrap();
    assert!(
        strict
            .preview_rule(&w.admin, rule.id, t.id)
            .await
            .unwrap()
            .matched
    );
    let t = strict.create_ticket(&w.customer, input()).await.unwrap();
    assert!(t.tags.iter().any(|t| t.as_str() == "ours"));
}

#[tokio::test]
async fn expired_tokens_are_purged_and_live_sessions_stay() {
    let w = world().await;
    let session = w.desk.login(w.tenant, "carl", PASSWORD).await.unwrap();
    w.desk
        .request_password_reset(w.tenant, "carl@example.com")
        .await
        .unwrap();
    let reset = token_sent_to(&w, "carl@example.com", NotificationKind::PasswordReset).await;
    assert_eq!(w.desk.purge_expired_tokens(100).await.unwrap(), 0);
    // Past the reset token's hour and the verification tokens' 48 h, within the
    // session's 30 days.
    w.clock.advance(Duration::days(3));
    let purged = w.desk.purge_expired_tokens(1).await.unwrap();
    assert!(
        purged >= 5,
        "the reset token and the five accounts' verification tokens, one per round: {purged}"
    );
    assert_eq!(w.desk.purge_expired_tokens(100).await.unwrap(), 0);
    assert!(matches!(
        w.desk
            .reset_password(w.tenant, &reset, "a brand new secret")
            .await,
        Err(Error::Invalid(_))
    ));
    w.desk
        .refresh_session(w.tenant, session.refresh_token.expose())
        .await
        .unwrap();
}
