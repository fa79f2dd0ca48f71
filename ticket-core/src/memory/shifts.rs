//! `ShiftStore` for `MemoryStore`.

use super::MemoryStore;
use crate::error::{Error, Result};
use crate::id::{TenantId, UserId};
use crate::ports::{ShiftStore, MAX_SHIFTS_LISTED};
use crate::workforce::{ShiftRecord, ShiftSchedule, Span};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// `record.version` must follow `expected`.
fn check_next(expected: u64, version: u64) -> Result<()> {
    if expected.checked_add(1) == Some(version) {
        Ok(())
    } else {
        Err(Error::invalid(
            "version",
            "must be the expected version + 1",
        ))
    }
}

#[async_trait]
impl ShiftStore for MemoryStore {
    async fn save_schedule(
        &self,
        schedule: &ShiftSchedule,
        expected_version: Option<u64>,
    ) -> Result<()> {
        let mut s = self.state();
        let key = (schedule.tenant, schedule.user);
        match (expected_version, s.schedules.get(&key)) {
            (None, Some(_)) => return Err(Error::unique("user")),
            (None, None) => {}
            (Some(_), None) => return Err(Error::not_found("schedule")),
            (Some(expected), Some(stored)) => {
                check_next(expected, schedule.version)?;
                if stored.version != expected {
                    return Err(Error::version_conflict(expected));
                }
            }
        }
        s.schedules.insert(key, schedule.clone());
        Ok(())
    }

    async fn get_schedule(&self, tenant: TenantId, user: UserId) -> Result<Option<ShiftSchedule>> {
        Ok(self.state().schedules.get(&(tenant, user)).cloned())
    }

    async fn list_schedules(
        &self,
        tenant: TenantId,
        users: &[UserId],
    ) -> Result<Vec<ShiftSchedule>> {
        let s = self.state();
        Ok(s.schedules
            .range((tenant, UserId::from_uuid(uuid::Uuid::nil()))..)
            .take_while(|((t, _), _)| *t == tenant)
            .filter(|((_, u), _)| users.is_empty() || users.contains(u))
            .map(|(_, v)| v.clone())
            .collect())
    }

    async fn save_shift(&self, record: &ShiftRecord, expected_version: Option<u64>) -> Result<()> {
        let mut s = self.state();
        match expected_version {
            None => {
                if s.shifts.contains_key(&record.id) {
                    return Err(Error::unique("id"));
                }
                let open_exists = s
                    .shifts
                    .values()
                    .any(|r| r.tenant == record.tenant && r.user == record.user && r.is_open());
                if record.is_open() && open_exists {
                    return Err(Error::unique("open_shift"));
                }
            }
            Some(expected) => {
                check_next(expected, record.version)?;
                let stored = s
                    .shifts
                    .get(&record.id)
                    .filter(|r| r.tenant == record.tenant)
                    .ok_or_else(|| Error::not_found("shift"))?;
                if stored.version != expected {
                    return Err(Error::version_conflict(expected));
                }
                if stored.user != record.user {
                    return Err(Error::invalid("user", "a shift keeps its agent"));
                }
            }
        }
        s.shifts.insert(record.id, record.clone());
        Ok(())
    }

    async fn open_shift(&self, tenant: TenantId, user: UserId) -> Result<Option<ShiftRecord>> {
        let s = self.state();
        Ok(s.shifts
            .values()
            .find(|r| r.tenant == tenant && r.user == user && r.is_open())
            .cloned())
    }

    async fn list_shifts(
        &self,
        tenant: TenantId,
        user: Option<UserId>,
        range: Span,
        limit: u32,
    ) -> Result<Vec<ShiftRecord>> {
        let s = self.state();
        let mut found: Vec<ShiftRecord> = s
            .shifts
            .values()
            .filter(|r| r.tenant == tenant && user.is_none_or(|u| r.user == u))
            .filter(|r| r.started_at < range.end && r.ended_at.is_none_or(|e| e > range.start))
            .cloned()
            .collect();
        found.sort_by_key(|r| (r.started_at, r.id));
        found.truncate(limit.min(MAX_SHIFTS_LISTED) as usize);
        Ok(found)
    }

    async fn open_shifts(
        &self,
        started_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ShiftRecord>> {
        let s = self.state();
        let mut found: Vec<ShiftRecord> = s
            .shifts
            .values()
            .filter(|r| r.is_open() && r.started_at < started_before)
            .cloned()
            .collect();
        found.sort_by_key(|r| (r.started_at, r.id));
        found.truncate(limit.min(MAX_SHIFTS_LISTED) as usize);
        Ok(found)
    }
}
