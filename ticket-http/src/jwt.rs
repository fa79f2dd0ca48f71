//! JWT access tokens: HS256 only, `exp`, `iss` and `sub` required, a small leeway.
//! Tokens with another algorithm (`none`, RS256…), a bad signature, another issuer or a
//! past expiry are refused.

use crate::config::AuthConfig;
use crate::error::Error;
use crate::problem::Problem;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};
use ticket_core::id::{TenantId, UserId};

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The tenant id.
    pub tid: String,
    /// The issuer.
    pub iss: String,
    /// Issued at (Unix seconds).
    pub iat: u64,
    /// Expires at (Unix seconds).
    pub exp: u64,
}

/// Issues and verifies access tokens.
#[derive(Clone)]
pub struct Jwt {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    ttl_secs: u64,
}

impl std::fmt::Debug for Jwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwt")
            .field("issuer", &self.issuer)
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

/// The shortest HMAC key accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Jwt {
    /// Keys and validation rules from the configuration.
    ///
    /// # Errors
    /// [`Error::Config`] when the secret is shorter than 32 bytes or the TTL is zero.
    pub fn new(config: &AuthConfig) -> Result<Self, Error> {
        let secret = config.jwt_secret.expose().as_bytes();
        if secret.len() < MIN_SECRET_BYTES {
            return Err(Error::Config(format!(
                "the JWT secret must be at least {MIN_SECRET_BYTES} bytes"
            )));
        }
        let ttl_secs = config.access_ttl.as_secs();
        if ttl_secs == 0 {
            return Err(Error::Config(
                "the access token TTL must be at least one second".into(),
            ));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = config.leeway.as_secs().min(5);
        validation.set_issuer(&[config.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = false;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: config.issuer.clone(),
            ttl_secs,
        })
    }

    /// Seconds an access token lives.
    #[must_use]
    pub fn ttl_secs(&self) -> u64 {
        self.ttl_secs
    }

    /// A signed access token for `user` of `tenant`.
    ///
    /// # Errors
    /// A 500 problem if signing fails (it does not with an HMAC key).
    pub fn issue(&self, tenant: TenantId, user: UserId) -> Result<String, Problem> {
        let iat = now_secs();
        let claims = Claims {
            sub: user.to_string(),
            tid: tenant.to_string(),
            iss: self.issuer.clone(),
            iat,
            exp: iat + self.ttl_secs,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| {
            tracing::error!(error = %e, "could not sign an access token");
            Problem::internal()
        })
    }

    /// Verifies a token: signature, algorithm, issuer, expiry.
    ///
    /// # Errors
    /// A 401 problem for any bad token.
    pub fn verify(&self, token: &str) -> Result<(TenantId, UserId, u64), Problem> {
        let bad = || Problem::unauthenticated("the access token is invalid or expired");
        let data = decode::<Claims>(token, &self.decoding, &self.validation).map_err(|_| bad())?;
        let user: UserId = data.claims.sub.parse().map_err(|_| bad())?;
        let tenant: TenantId = data.claims.tid.parse().map_err(|_| bad())?;
        Ok((tenant, user, data.claims.exp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use ticket_core::text::Secret;

    fn config() -> AuthConfig {
        AuthConfig {
            jwt_secret: Secret::new("0123456789abcdef0123456789abcdef"),
            ..AuthConfig::default()
        }
    }

    #[test]
    fn round_trip_and_refusals() {
        let jwt = Jwt::new(&config()).unwrap();
        let (t, u) = (TenantId::DEFAULT, UserId::new());
        let token = jwt.issue(t, u).unwrap();
        let (t2, u2, _) = jwt.verify(&token).unwrap();
        assert_eq!((t2, u2), (t, u));

        // Tampered payload.
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        parts[1].insert(3, 'x');
        assert!(jwt.verify(&parts.join(".")).is_err());

        // Another key.
        let other = Jwt::new(&AuthConfig {
            jwt_secret: Secret::new("another secret of enough length!!"),
            ..config()
        })
        .unwrap();
        assert!(other.verify(&token).is_err());

        // Another issuer.
        let other = Jwt::new(&AuthConfig {
            issuer: "someone-else".into(),
            ..config()
        })
        .unwrap();
        assert!(other.verify(&token).is_err());
    }

    #[test]
    fn short_secrets_and_zero_ttl_are_refused() {
        assert!(Jwt::new(&AuthConfig::default()).is_err());
        assert!(Jwt::new(&AuthConfig {
            access_ttl: Duration::ZERO,
            ..config()
        })
        .is_err());
    }
}
