//! The workforce port: agents' shift schedules and the shifts they actually work.

#[allow(unused_imports)] // `Error` is named by the `# Errors` doc links
use crate::error::{Error, Result};
use crate::id::{TenantId, UserId};
use crate::workforce::{ShiftRecord, ShiftSchedule, Span};
use async_trait::async_trait;

/// The most shift records [`ShiftStore::list_shifts`] returns at once.
pub const MAX_SHIFTS_LISTED: u32 = 1000;

/// Shift schedules (one per agent) and shift records.
#[async_trait]
pub trait ShiftStore: Send + Sync {
    /// Stores an agent's schedule: creates it when `expected_version` is `None`,
    /// otherwise replaces it (`schedule.version` = `expected_version + 1`).
    ///
    /// # Errors
    /// [`Error::Conflict`] (`Unique { field: "user" }`) when creating a schedule the
    /// agent already has; [`Error::Conflict`] (`Version`) on a stale version;
    /// [`Error::NotFound`] when replacing a schedule that does not exist;
    /// [`Error::Store`].
    async fn save_schedule(
        &self,
        schedule: &ShiftSchedule,
        expected_version: Option<u64>,
    ) -> Result<()>;

    /// An agent's schedule, if they have one.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn get_schedule(&self, tenant: TenantId, user: UserId) -> Result<Option<ShiftSchedule>>;

    /// The schedules of `users` (every schedule of the tenant when empty), in user id
    /// order; users without one are skipped.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn list_schedules(
        &self,
        tenant: TenantId,
        users: &[UserId],
    ) -> Result<Vec<ShiftSchedule>>;

    /// Stores a shift record: creates it when `expected_version` is `None`, otherwise
    /// replaces it (`record.version` = `expected_version + 1`). An agent has at most one
    /// open shift (`ended_at` unset).
    ///
    /// # Errors
    /// [`Error::Conflict`] (`Unique { field: "open_shift" }`) when creating an open
    /// shift while the agent has one; (`Unique { field: "id" }`) for a taken id;
    /// (`Version`) on a stale version; [`Error::NotFound`] when replacing a record that
    /// does not exist; [`Error::Store`].
    async fn save_shift(&self, record: &ShiftRecord, expected_version: Option<u64>) -> Result<()>;

    /// The agent's open shift, if any.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn open_shift(&self, tenant: TenantId, user: UserId) -> Result<Option<ShiftRecord>>;

    /// The shift records overlapping `range` (started before its end, and ended after
    /// its start or still open), of `user` when given, oldest start first (then id), at
    /// most `limit` (capped at [`MAX_SHIFTS_LISTED`]).
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn list_shifts(
        &self,
        tenant: TenantId,
        user: Option<UserId>,
        range: Span,
        limit: u32,
    ) -> Result<Vec<ShiftRecord>>;

    /// The open shifts of every tenant that started before `started_before`, oldest
    /// first, at most `limit`: what the auto-end job looks at.
    ///
    /// # Errors
    /// [`Error::Store`].
    async fn open_shifts(
        &self,
        started_before: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<ShiftRecord>>;
}
