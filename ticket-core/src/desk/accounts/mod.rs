//! Account use cases: registration, staff accounts, authentication and login sessions,
//! passwords, e-mail verification, profiles, availability, and account deletion.

mod deletion;
mod hashing;
pub(in crate::desk) mod mail_limit;
mod password;
mod profiles;
mod registration;
mod sessions;
mod verification;

pub(super) use hashing::HashWorkers;
pub use profiles::UserPatch;
pub use registration::RegisterInput;
pub use sessions::Session;
