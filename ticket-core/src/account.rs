//! Accounts: users, roles, agent profiles, the acting principal, password rules and
//! hashing (argon2id), and one-time tokens (stored hashed, single-use, expiring).

use crate::error::{Error, Result};
use crate::id::{TeamId, TenantId, TokenId, UserId};
use crate::text::{DisplayName, Email, Secret, Tags, Username};
use crate::views::SavedView;
use argon2::password_hash::{
    PasswordHash as PhcHash, PasswordHasher as _, PasswordVerifier as _, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use std::fmt;

/// What a user is to the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Raises and follows their own tickets.
    Customer,
    /// Works tickets.
    Agent,
    /// Manages the desk: users, teams, SLA, rules.
    Admin,
    /// Manages admins too.
    #[serde(rename = "superadmin", alias = "super_admin")]
    SuperAdmin,
}

impl Role {
    /// Every role, least to most privileged.
    pub const ALL: [Role; 4] = [Role::Customer, Role::Agent, Role::Admin, Role::SuperAdmin];

    /// Whether the role works tickets (agent or above).
    #[must_use]
    pub fn is_staff(self) -> bool {
        self != Role::Customer
    }

    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Agent => "agent",
            Role::Admin => "admin",
            Role::SuperAdmin => "superadmin",
        }
    }
}

/// Whether an agent takes new work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Takes assignments.
    Online,
    /// Keeps their tickets, takes no new ones.
    Away,
    /// Not working.
    #[default]
    Offline,
}

/// The working profile of an agent (or admin who works tickets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentProfile {
    /// Skills matched against ticket tags by skills-based routing.
    pub skills: Tags,
    /// The teams the agent belongs to (the one source of team membership).
    pub teams: Vec<TeamId>,
    /// Whether the agent takes new work.
    pub availability: Availability,
    /// The most open tickets the agent should hold.
    pub capacity: u32,
}

impl Default for AgentProfile {
    fn default() -> Self {
        Self {
            skills: Tags::empty(),
            teams: Vec::new(),
            availability: Availability::Offline,
            capacity: 10,
        }
    }
}

/// A user account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Unique within the tenant, normalised.
    pub email: Email,
    /// Unique within the tenant, normalised.
    pub username: Username,
    /// Display name.
    pub name: DisplayName,
    /// Role.
    pub role: Role,
    /// The argon2id hash (PHC string); `None` once the account is deleted.
    pub password_hash: Option<PasswordHash>,
    /// When the e-mail address was verified.
    pub email_verified_at: Option<DateTime<Utc>>,
    /// The working profile (staff only).
    pub agent: Option<AgentProfile>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// When the account was deleted (its personal data pseudonymised).
    pub deleted_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version, starting at 1.
    pub version: u64,
    /// The user's saved ticket views ([`crate::views`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub saved_views: Vec<SavedView>,
}

impl User {
    /// Whether the account is deleted.
    #[must_use]
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}

/// Who performs a use case: a user with a role, or the system (rules, sweeps, relays).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    tenant: TenantId,
    user: Option<(UserId, Role)>,
}

impl Actor {
    /// A user acting with `role`. Hosts normally get this from `HelpDesk::actor`, which
    /// reads the role from the store.
    #[must_use]
    pub fn user(tenant: TenantId, id: UserId, role: Role) -> Self {
        Self {
            tenant,
            user: Some((id, role)),
        }
    }

    /// The system itself: all permissions, recorded as no user in the history.
    #[must_use]
    pub fn system(tenant: TenantId) -> Self {
        Self { tenant, user: None }
    }

    /// The tenant acted in.
    #[must_use]
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    /// The acting user, `None` for the system.
    #[must_use]
    pub fn user_id(&self) -> Option<UserId> {
        self.user.map(|(id, _)| id)
    }

    /// The role, `None` for the system.
    #[must_use]
    pub fn role(&self) -> Option<Role> {
        self.user.map(|(_, r)| r)
    }

    /// Whether this is the system.
    #[must_use]
    pub fn is_system(&self) -> bool {
        self.user.is_none()
    }

    /// Whether this is the user `id`.
    #[must_use]
    pub fn is(&self, id: UserId) -> bool {
        self.user_id() == Some(id)
    }

    /// Whether the actor is staff (agent or above) or the system.
    #[must_use]
    pub fn is_staff(&self) -> bool {
        self.role().is_none_or(Role::is_staff)
    }
}

/// An argon2id hash in PHC string form. Its `Debug` hides the value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string read back from a store.
    #[must_use]
    pub fn from_phc(phc: String) -> Self {
        Self(phc)
    }

    /// The PHC string, for storing.
    #[must_use]
    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

/// A password as typed: checked against the rules, never stored, never printed.
#[derive(Clone)]
pub struct Password(Secret);

impl Password {
    /// The shortest password accepted.
    pub const MIN: usize = 10;
    /// The longest password accepted (bounds hashing work).
    pub const MAX: usize = 128;

    /// Checks the rules: 10–128 characters, no control characters, at least 5 distinct
    /// characters, and not containing the username or the e-mail's local part.
    ///
    /// # Errors
    /// [`Error::Invalid`] on `field`.
    pub fn parse(
        field: &str,
        raw: &str,
        email: Option<&Email>,
        username: Option<&Username>,
    ) -> Result<Self> {
        let len = raw.chars().count();
        if len < Self::MIN {
            return Err(Error::invalid(
                field,
                format!("must be at least {} characters", Self::MIN),
            ));
        }
        if len > Self::MAX {
            return Err(Error::invalid(
                field,
                format!("must be at most {} characters", Self::MAX),
            ));
        }
        if raw.chars().any(char::is_control) {
            return Err(Error::invalid(field, "must not contain control characters"));
        }
        let distinct: std::collections::BTreeSet<char> = raw.chars().collect();
        if distinct.len() < 5 {
            return Err(Error::invalid(
                field,
                "is too simple: use at least 5 different characters",
            ));
        }
        let lower = raw.to_lowercase();
        let local = email.map(|e| e.as_str().split('@').next().unwrap_or_default().to_string());
        for part in local
            .iter()
            .map(String::as_str)
            .chain(username.map(Username::as_str))
        {
            if part.len() >= 3 && lower.contains(part) {
                return Err(Error::invalid(
                    field,
                    "must not contain your username or e-mail address",
                ));
            }
        }
        Ok(Self(Secret::new(raw)))
    }

    /// The password, to hash or verify.
    #[must_use]
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// The cost of argon2id hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl HashCost {
    /// OWASP's recommended argon2id cost (19 MiB, 2 iterations, 1 lane).
    pub const RECOMMENDED: HashCost = HashCost {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };
    /// A cheap cost for tests only.
    pub const TESTING: HashCost = HashCost {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };
}

impl Default for HashCost {
    fn default() -> Self {
        Self::RECOMMENDED
    }
}

/// Hashes and verifies passwords with argon2id. Verification of an unknown account runs
/// against a dummy hash, so login takes the same work whether or not the user exists.
#[derive(Clone)]
pub struct PasswordHasher {
    argon: Argon2<'static>,
    dummy: String,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher").finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// A hasher with the given cost.
    ///
    /// # Errors
    /// [`Error::Invalid`] on `hash_cost` when argon2 refuses the parameters.
    pub fn new(cost: HashCost) -> Result<Self> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| Error::invalid("hash_cost", e.to_string()))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut me = Self {
            argon,
            dummy: String::new(),
        };
        me.dummy = me.hash_str("dummy password for timing equality")?.0;
        Ok(me)
    }

    fn hash_str(&self, password: &str) -> Result<PasswordHash> {
        let mut salt = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| Error::store(e.to_string()))?;
        let phc = self
            .argon
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| Error::store(e.to_string()))?;
        Ok(PasswordHash(phc.to_string()))
    }

    /// Hashes a password (argon2id, random salt).
    ///
    /// # Errors
    /// [`Error::Store`] if argon2 fails (it does not with valid parameters).
    pub fn hash(&self, password: &Password) -> Result<PasswordHash> {
        self.hash_str(password.expose())
    }

    /// Whether `password` matches `hash`; with `None`, verifies against a dummy hash and
    /// returns `false`, doing the same work.
    #[must_use]
    pub fn verify(&self, password: &str, hash: Option<&PasswordHash>) -> bool {
        let phc = hash.map_or(self.dummy.as_str(), |h| h.0.as_str());
        let ok = PhcHash::new(phc).is_ok_and(|parsed| {
            self.argon
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        ok && hash.is_some()
    }
}

/// What a one-time token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPurpose {
    /// Proves an e-mail address.
    VerifyEmail,
    /// Allows one password reset.
    ResetPassword,
    /// A rotating refresh token of a login session.
    Refresh,
}

/// A one-time token as stored: only the SHA-256 of the secret is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimeToken {
    /// Its id.
    pub id: TokenId,
    /// Its tenant.
    pub tenant: TenantId,
    /// The user it belongs to.
    pub user_id: UserId,
    /// What it is for.
    pub purpose: TokenPurpose,
    /// Hex SHA-256 of the secret.
    pub hash: String,
    /// Refresh tokens of one login share a family; reuse of a spent one revokes it.
    pub family: Option<TokenId>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// No longer valid from this instant.
    pub expires_at: DateTime<Utc>,
    /// When it was used (or revoked); a used token is never accepted again.
    pub used_at: Option<DateTime<Utc>>,
}

/// The secret half of a one-time token, handed to the user once.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSecret(Secret);

impl TokenSecret {
    /// 32 random bytes, base64url.
    #[must_use]
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(Secret::new(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        ))
    }

    /// Wraps a secret presented by a client.
    #[must_use]
    pub fn from_client(s: &str) -> Self {
        Self(Secret::new(s))
    }

    /// The secret, to send to the user.
    #[must_use]
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// The hex SHA-256 stored in place of the secret.
    #[must_use]
    pub fn hash(&self) -> String {
        let digest = sha2::Sha256::digest(self.0.expose().as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSecret(***)")
    }
}

/// The outcome of presenting a one-time token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenUse {
    /// Valid: it is now spent.
    Consumed(OneTimeToken),
    /// It was already spent (for refresh tokens: a replay; revoke the family).
    AlreadyUsed(OneTimeToken),
    /// It expired unused.
    Expired,
    /// No such token.
    Unknown,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rules() {
        let email = Email::parse("ann@example.com").unwrap();
        let user = Username::parse("annie").unwrap();
        assert!(Password::parse("password", "short", None, None).is_err());
        assert!(Password::parse("password", "aaaaaaaaaaaa", None, None).is_err());
        assert!(
            Password::parse("password", "my-annie-secret-1", Some(&email), Some(&user)).is_err()
        );
        assert!(Password::parse("password", "ann-was-here-2024", Some(&email), None).is_err());
        assert!(Password::parse(
            "password",
            "correct horse battery",
            Some(&email),
            Some(&user)
        )
        .is_ok());
        assert!(!format!(
            "{:?}",
            Password::parse("p", "correct horse battery", None, None).unwrap()
        )
        .contains("horse"));
    }

    #[test]
    fn argon2id_hash_and_verify() {
        let h = PasswordHasher::new(HashCost::TESTING).unwrap();
        let pw = Password::parse("password", "correct horse battery", None, None).unwrap();
        let hash = h.hash(&pw).unwrap();
        assert!(hash.as_phc().starts_with("$argon2id$"));
        assert!(h.verify("correct horse battery", Some(&hash)));
        assert!(!h.verify("wrong horse battery", Some(&hash)));
        assert!(!h.verify("correct horse battery", None));
        assert_ne!(h.hash(&pw).unwrap(), hash, "salted");
    }

    #[test]
    fn token_secret_hash_is_stable_and_hidden() {
        let t = TokenSecret::generate();
        assert_eq!(t.hash(), TokenSecret::from_client(t.expose()).hash());
        assert_eq!(t.hash().len(), 64);
        assert!(!format!("{t:?}").contains(t.expose()));
    }

    #[test]
    fn roles_serialise_to_wire_names() {
        assert_eq!(
            serde_json::to_string(&Role::SuperAdmin).unwrap(),
            "\"superadmin\""
        );
        assert_eq!(
            serde_json::from_str::<Role>("\"agent\"").unwrap(),
            Role::Agent
        );
    }
}
