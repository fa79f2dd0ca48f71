//! Who is working on a ticket right now: staff announce that they are viewing or
//! replying to a ticket (a client repeats it while the ticket is open, every 15 s or
//! so) and learn who else is, so two agents do not answer the same customer at once.
//!
//! Presence is ephemeral and per desk instance: it lives in memory, each announcement
//! lasts [`PRESENCE_TTL`], and nothing is stored. The board is bounded: at most
//! [`MAX_TICKETS`] tickets and [`MAX_PER_TICKET`] people per ticket are tracked; past
//! that, expired entries go first, then the oldest announcements.

use super::HelpDesk;
use crate::account::Actor;
use crate::error::{Error, Result};
use crate::id::{TenantId, TicketId, UserId};
use crate::rbac::Permission;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// How long one announcement lasts.
pub const PRESENCE_TTL: Duration = Duration::seconds(30);
/// The most tickets tracked at once.
pub const MAX_TICKETS: usize = 10_000;
/// The most people tracked on one ticket.
pub const MAX_PER_TICKET: usize = 32;

/// What someone is doing on a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activity {
    /// Has the ticket open.
    Viewing,
    /// Is writing a reply or note.
    Replying,
}

/// One person on a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presence {
    /// Who.
    pub user: UserId,
    /// Doing what.
    pub activity: Activity,
    /// Since when they have been on the ticket.
    pub since: DateTime<Utc>,
    /// When the announcement lapses unless repeated.
    pub expires_at: DateTime<Utc>,
}

type Board = HashMap<(TenantId, TicketId), Vec<Presence>>;

/// The presence board of a desk.
#[derive(Debug, Default)]
pub(super) struct PresenceBoard {
    board: Mutex<Board>,
}

impl PresenceBoard {
    fn lock(&self) -> MutexGuard<'_, Board> {
        // Entries are written whole: a panic elsewhere cannot leave one half-written.
        self.board.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `p` on the ticket and returns everyone on it at `now`.
    fn announce(
        &self,
        key: (TenantId, TicketId),
        p: Presence,
        now: DateTime<Utc>,
    ) -> Vec<Presence> {
        let mut board = self.lock();
        if !board.contains_key(&key) && board.len() >= MAX_TICKETS {
            board.retain(|_, list| {
                list.retain(|e| e.expires_at > now);
                !list.is_empty()
            });
            if board.len() >= MAX_TICKETS {
                let oldest = board
                    .iter()
                    .min_by_key(|(_, list)| list.iter().map(|e| e.expires_at).max())
                    .map(|(k, _)| *k);
                if let Some(k) = oldest {
                    board.remove(&k);
                }
            }
        }
        let list = board.entry(key).or_default();
        list.retain(|e| e.expires_at > now);
        let since = list
            .iter()
            .find(|e| e.user == p.user)
            .map_or(p.since, |e| e.since);
        list.retain(|e| e.user != p.user);
        if list.len() >= MAX_PER_TICKET {
            list.sort_by_key(|e| e.expires_at);
            list.remove(0);
        }
        list.push(Presence { since, ..p });
        let mut out = list.clone();
        out.sort_by_key(|e| e.since);
        out
    }

    /// Everyone on the ticket at `now`.
    fn list(&self, key: (TenantId, TicketId), now: DateTime<Utc>) -> Vec<Presence> {
        let board = self.lock();
        let mut out: Vec<Presence> = board
            .get(&key)
            .map(|l| l.iter().filter(|e| e.expires_at > now).copied().collect())
            .unwrap_or_default();
        out.sort_by_key(|e| e.since);
        out
    }

    /// Takes `user` off the ticket.
    fn leave(&self, key: (TenantId, TicketId), user: UserId) {
        let mut board = self.lock();
        if let Some(list) = board.get_mut(&key) {
            list.retain(|e| e.user != user);
            if list.is_empty() {
                board.remove(&key);
            }
        }
    }
}

impl HelpDesk {
    /// Staff who may see internal work on a ticket they can see, and their user id.
    async fn presence_key(&self, actor: &Actor, id: TicketId) -> Result<UserId> {
        self.require(actor, Permission::TicketInternal)?;
        let user = actor
            .user_id()
            .ok_or_else(|| Error::Forbidden("presence is for people".into()))?;
        self.visible_ticket(actor, id).await?;
        Ok(user)
    }

    /// Announces that `actor` is viewing or replying to a ticket, for
    /// [`PRESENCE_TTL`]; returns everyone on it now (the actor included), earliest first.
    ///
    /// # Errors
    /// [`Error::Forbidden`] for customers (presence is staff work);
    /// [`Error::NotFound`] when the ticket is absent.
    pub async fn announce_presence(
        &self,
        actor: &Actor,
        id: TicketId,
        activity: Activity,
    ) -> Result<Vec<Presence>> {
        let user = self.presence_key(actor, id).await?;
        let now = self.now();
        let p = Presence {
            user,
            activity,
            since: now,
            expires_at: now + PRESENCE_TTL,
        };
        Ok(self.inner.presence.announce((actor.tenant(), id), p, now))
    }

    /// Everyone on a ticket now, earliest first.
    ///
    /// # Errors
    /// As [`HelpDesk::announce_presence`].
    pub async fn ticket_presence(&self, actor: &Actor, id: TicketId) -> Result<Vec<Presence>> {
        self.presence_key(actor, id).await?;
        Ok(self.inner.presence.list((actor.tenant(), id), self.now()))
    }

    /// Takes `actor` off a ticket (they closed it).
    ///
    /// # Errors
    /// As [`HelpDesk::announce_presence`].
    pub async fn leave_presence(&self, actor: &Actor, id: TicketId) -> Result<()> {
        let user = self.presence_key(actor, id).await?;
        self.inner.presence.leave((actor.tenant(), id), user);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(user: UserId, activity: Activity, now: DateTime<Utc>) -> Presence {
        Presence {
            user,
            activity,
            since: now,
            expires_at: now + PRESENCE_TTL,
        }
    }

    #[test]
    fn announcements_lapse_keep_their_start_and_stay_bounded() {
        let board = PresenceBoard::default();
        let key = (TenantId::DEFAULT, TicketId::new());
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let (a, b) = (UserId::new(), UserId::new());
        board.announce(key, p(a, Activity::Viewing, t0), t0);
        let t1 = t0 + Duration::seconds(10);
        let both = board.announce(key, p(b, Activity::Replying, t1), t1);
        assert_eq!(both.iter().map(|e| e.user).collect::<Vec<_>>(), [a, b]);
        // a repeats: still the earliest, now replying
        let t2 = t0 + Duration::seconds(20);
        let again = board.announce(key, p(a, Activity::Replying, t2), t2);
        assert_eq!(again[0].since, t0);
        assert_eq!(again[0].activity, Activity::Replying);
        // b lapses 30 s after its announcement
        let t3 = t1 + PRESENCE_TTL;
        assert_eq!(
            board
                .list(key, t3)
                .iter()
                .map(|e| e.user)
                .collect::<Vec<_>>(),
            [a]
        );
        board.leave(key, a);
        assert!(board.list(key, t3).is_empty());
        // per ticket bound
        for i in 0..(MAX_PER_TICKET + 5) {
            let now = t0 + Duration::milliseconds(i as i64);
            board.announce(key, p(UserId::new(), Activity::Viewing, now), now);
        }
        assert_eq!(board.list(key, t0).len(), MAX_PER_TICKET);
    }

    #[test]
    fn the_board_tracks_at_most_max_tickets() {
        let board = PresenceBoard::default();
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let user = UserId::new();
        for i in 0..(MAX_TICKETS + 3) {
            let now = t0 + Duration::milliseconds(i as i64);
            board.announce(
                (TenantId::DEFAULT, TicketId::new()),
                p(user, Activity::Viewing, now),
                now,
            );
        }
        assert_eq!(board.lock().len(), MAX_TICKETS);
    }
}
