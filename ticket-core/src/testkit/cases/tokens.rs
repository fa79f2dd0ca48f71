//! `TokenStore`: single use, expiry, unknown and wrong-purpose tokens, concurrent
//! consumption, revocation and the purge of expired tokens.

use super::{customer, expect_unique};
use crate::account::{OneTimeToken, TokenPurpose, TokenUse};
use crate::id::TokenId;
use crate::ports::Store;
use crate::testkit::fixtures;
use chrono::Duration;
use std::sync::Arc;

/// A valid token is consumed once (returned with `used_at = now`); presenting it again is
/// `AlreadyUsed` with the spent token.
pub async fn consumed_once_then_already_used(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let ann = customer(&*store, tenant, "ann").await;
    let now = fixtures::now();
    let token = fixtures::token(
        tenant,
        ann.id,
        TokenPurpose::ResetPassword,
        now + Duration::hours(1),
    );
    store.create_token(&token).await.expect("create_token");
    let spent = OneTimeToken {
        used_at: Some(now),
        ..token.clone()
    };
    let first = store
        .consume_token(tenant, TokenPurpose::ResetPassword, &token.hash, now)
        .await
        .expect("consume_token");
    assert_eq!(first, TokenUse::Consumed(spent.clone()));
    let later = now + Duration::seconds(5);
    let second = store
        .consume_token(tenant, TokenPurpose::ResetPassword, &token.hash, later)
        .await
        .expect("consume_token");
    assert_eq!(
        second,
        TokenUse::AlreadyUsed(spent),
        "the first use time is kept"
    );
}

/// A token presented at or after `expires_at` is `Expired` (and stays unused).
pub async fn expired_token(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let ann = customer(&*store, tenant, "ann").await;
    let now = fixtures::now();
    let token = fixtures::token(tenant, ann.id, TokenPurpose::VerifyEmail, now);
    store.create_token(&token).await.expect("create_token");
    let at_expiry = store
        .consume_token(tenant, TokenPurpose::VerifyEmail, &token.hash, now)
        .await
        .expect("consume_token");
    assert_eq!(
        at_expiry,
        TokenUse::Expired,
        "expires_at itself is too late"
    );
    let later = now + Duration::days(1);
    let after = store
        .consume_token(tenant, TokenPurpose::VerifyEmail, &token.hash, later)
        .await
        .expect("consume_token");
    assert_eq!(after, TokenUse::Expired);
    let early = now - Duration::microseconds(1);
    let before = store
        .consume_token(tenant, TokenPurpose::VerifyEmail, &token.hash, early)
        .await
        .expect("consume_token");
    assert!(
        matches!(before, TokenUse::Consumed(_)),
        "a microsecond before expiry it is valid: {before:?}"
    );
}

/// A hash nobody stored is `Unknown`.
pub async fn unknown_token(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let ann = customer(&*store, tenant, "ann").await;
    let token = fixtures::token(
        tenant,
        ann.id,
        TokenPurpose::Refresh,
        fixtures::now() + Duration::hours(1),
    );
    store.create_token(&token).await.expect("create_token");
    let other = crate::account::TokenSecret::generate().hash();
    let got = store
        .consume_token(tenant, TokenPurpose::Refresh, &other, fixtures::now())
        .await
        .expect("consume_token");
    assert_eq!(got, TokenUse::Unknown);
}

/// A token presented for another purpose is `Unknown` and is not spent.
pub async fn wrong_purpose_is_unknown(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let ann = customer(&*store, tenant, "ann").await;
    let now = fixtures::now();
    let token = fixtures::token(
        tenant,
        ann.id,
        TokenPurpose::VerifyEmail,
        now + Duration::hours(1),
    );
    store.create_token(&token).await.expect("create_token");
    let got = store
        .consume_token(tenant, TokenPurpose::ResetPassword, &token.hash, now)
        .await
        .expect("consume_token");
    assert_eq!(got, TokenUse::Unknown);
    let got = store
        .consume_token(tenant, TokenPurpose::VerifyEmail, &token.hash, now)
        .await
        .expect("consume_token");
    assert!(
        matches!(got, TokenUse::Consumed(_)),
        "still valid for its own purpose: {got:?}"
    );
}

/// Concurrent presentations of one token: exactly one gets `Consumed`, the others
/// `AlreadyUsed`.
pub async fn concurrent_consume_has_one_winner(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let ann = customer(&*store, tenant, "ann").await;
    let now = fixtures::now();
    let token = fixtures::token(
        tenant,
        ann.id,
        TokenPurpose::Refresh,
        now + Duration::hours(1),
    );
    store.create_token(&token).await.expect("create_token");
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (store, hash) = (store.clone(), token.hash.clone());
            tokio::spawn(async move {
                store
                    .consume_token(tenant, TokenPurpose::Refresh, &hash, now)
                    .await
            })
        })
        .collect();
    let mut consumed = 0;
    for task in tasks {
        match task.await.expect("consumer task").expect("consume_token") {
            TokenUse::Consumed(_) => consumed += 1,
            TokenUse::AlreadyUsed(_) => {}
            other => panic!("a concurrent consumer got {other:?}"),
        }
    }
    assert_eq!(consumed, 1, "exactly one concurrent consumer wins");
}

/// `revoke_family` spends every unused token of the family (and only those) and counts
/// them.
pub async fn revoke_family(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let ann = customer(&*store, tenant, "ann").await;
    let now = fixtures::now();
    let family = TokenId::new();
    let refresh = |family| OneTimeToken {
        family,
        ..fixtures::token(
            tenant,
            ann.id,
            TokenPurpose::Refresh,
            now + Duration::days(1),
        )
    };
    let used = OneTimeToken {
        used_at: Some(now - Duration::hours(1)),
        ..refresh(Some(family))
    };
    let (live_a, live_b, other) = (
        refresh(Some(family)),
        refresh(Some(family)),
        refresh(Some(TokenId::new())),
    );
    for t in [&used, &live_a, &live_b, &other] {
        store.create_token(t).await.expect("create_token");
    }
    assert_eq!(
        store
            .revoke_family(tenant, family, now)
            .await
            .expect("revoke_family"),
        2
    );
    for t in [&live_a, &live_b] {
        let got = store
            .consume_token(tenant, TokenPurpose::Refresh, &t.hash, now)
            .await
            .expect("consume_token");
        assert_eq!(
            got,
            TokenUse::AlreadyUsed(OneTimeToken {
                used_at: Some(now),
                ..t.clone()
            }),
            "revoked at now"
        );
    }
    let got = store
        .consume_token(tenant, TokenPurpose::Refresh, &used.hash, now)
        .await
        .expect("consume_token");
    assert_eq!(
        got,
        TokenUse::AlreadyUsed(used),
        "an already used token keeps its use time"
    );
    let got = store
        .consume_token(tenant, TokenPurpose::Refresh, &other.hash, now)
        .await
        .expect("consume_token");
    assert!(
        matches!(got, TokenUse::Consumed(_)),
        "another family is untouched: {got:?}"
    );
    assert_eq!(
        store
            .revoke_family(tenant, family, now)
            .await
            .expect("revoke_family"),
        0
    );
}

/// `revoke_user_tokens` spends the user's unused tokens, of one purpose or all, and
/// counts them; other users' tokens are untouched.
pub async fn revoke_user_tokens(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let ann = customer(&*store, tenant, "ann").await;
    let bob = customer(&*store, tenant, "bob").await;
    let now = fixtures::now();
    let later = now + Duration::days(1);
    let ann_reset = fixtures::token(tenant, ann.id, TokenPurpose::ResetPassword, later);
    let ann_reset2 = fixtures::token(tenant, ann.id, TokenPurpose::ResetPassword, later);
    let ann_refresh = fixtures::token(tenant, ann.id, TokenPurpose::Refresh, later);
    let bob_reset = fixtures::token(tenant, bob.id, TokenPurpose::ResetPassword, later);
    for t in [&ann_reset, &ann_reset2, &ann_refresh, &bob_reset] {
        store.create_token(t).await.expect("create_token");
    }
    let n = store
        .revoke_user_tokens(tenant, ann.id, Some(TokenPurpose::ResetPassword), now)
        .await
        .expect("revoke_user_tokens");
    assert_eq!(n, 2, "ann's two reset tokens");
    let got = store
        .consume_token(tenant, TokenPurpose::ResetPassword, &ann_reset.hash, now)
        .await
        .expect("consume_token");
    assert!(matches!(got, TokenUse::AlreadyUsed(_)), "revoked: {got:?}");
    let n = store
        .revoke_user_tokens(tenant, ann.id, None, now)
        .await
        .expect("revoke_user_tokens");
    assert_eq!(n, 1, "then her refresh token");
    let got = store
        .consume_token(tenant, TokenPurpose::Refresh, &ann_refresh.hash, now)
        .await
        .expect("consume_token");
    assert!(matches!(got, TokenUse::AlreadyUsed(_)), "revoked: {got:?}");
    let got = store
        .consume_token(tenant, TokenPurpose::ResetPassword, &bob_reset.hash, now)
        .await
        .expect("consume_token");
    assert!(
        matches!(got, TokenUse::Consumed(_)),
        "bob's token is untouched: {got:?}"
    );
}

/// A token whose hash exists is `Conflict(Unique { field: "hash" })`.
pub async fn duplicate_hash_conflicts(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let ann = customer(&*store, tenant, "ann").await;
    let later = fixtures::now() + Duration::hours(1);
    let token = fixtures::token(tenant, ann.id, TokenPurpose::VerifyEmail, later);
    store.create_token(&token).await.expect("create_token");
    let twin = OneTimeToken {
        hash: token.hash.clone(),
        ..fixtures::token(tenant, ann.id, TokenPurpose::VerifyEmail, later)
    };
    expect_unique(
        store.create_token(&twin).await,
        "hash",
        "create_token with a taken hash",
    );
}

/// `purge_expired_tokens` deletes the tokens of every tenant that expired at or before
/// `now`, used or not, at most `limit` a call; tokens not yet expired stay, spent ones
/// too (a spent refresh token is still recognised as a replay).
pub async fn purge_expired_tokens(store: Arc<dyn Store>) {
    let tenant = fixtures::tenant();
    let other = fixtures::tenant();
    let ann = customer(&*store, tenant, "ann").await;
    let bob = customer(&*store, other, "bob").await;
    let now = fixtures::now();
    let (past, future) = (now - Duration::hours(1), now + Duration::days(1));
    let expired = fixtures::token(tenant, ann.id, TokenPurpose::ResetPassword, past);
    let expired_spent = OneTimeToken {
        used_at: Some(past - Duration::minutes(5)),
        ..fixtures::token(tenant, ann.id, TokenPurpose::Refresh, past)
    };
    let at_now = fixtures::token(tenant, ann.id, TokenPurpose::VerifyEmail, now);
    let elsewhere = fixtures::token(other, bob.id, TokenPurpose::Refresh, past);
    let live = fixtures::token(tenant, ann.id, TokenPurpose::ResetPassword, future);
    let live_spent = OneTimeToken {
        used_at: Some(past),
        ..fixtures::token(tenant, ann.id, TokenPurpose::Refresh, future)
    };
    for t in [
        &expired,
        &expired_spent,
        &at_now,
        &elsewhere,
        &live,
        &live_spent,
    ] {
        store.create_token(t).await.expect("create_token");
    }
    let first = store
        .purge_expired_tokens(now, 3)
        .await
        .expect("purge_expired_tokens");
    assert_eq!(first, 3, "at most the limit");
    let second = store
        .purge_expired_tokens(now, 100)
        .await
        .expect("purge_expired_tokens");
    assert_eq!(second, 1, "the fourth expired token, of another tenant too");
    let third = store
        .purge_expired_tokens(now, 100)
        .await
        .expect("purge_expired_tokens");
    assert_eq!(third, 0, "nothing left to purge");
    for (t, tenant) in [
        (&expired, tenant),
        (&expired_spent, tenant),
        (&at_now, tenant),
        (&elsewhere, other),
    ] {
        let got = store
            .consume_token(tenant, t.purpose, &t.hash, now)
            .await
            .expect("consume_token");
        assert_eq!(got, TokenUse::Unknown, "purged: {t:?}");
    }
    let got = store
        .consume_token(tenant, TokenPurpose::Refresh, &live_spent.hash, now)
        .await
        .expect("consume_token");
    assert!(
        matches!(got, TokenUse::AlreadyUsed(_)),
        "a spent token that has not expired stays, to catch replays: {got:?}"
    );
    let got = store
        .consume_token(tenant, TokenPurpose::ResetPassword, &live.hash, now)
        .await
        .expect("consume_token");
    assert!(matches!(got, TokenUse::Consumed(_)), "kept: {got:?}");
}
