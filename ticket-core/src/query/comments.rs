//! Pages of a ticket's comments, oldest first: a ticket with thousands of replies is read
//! a page at a time, never whole.

use crate::error::{Error, Result};
use crate::id::CommentId;
use crate::ticket::Comment;
use base64::Engine as _;
use chrono::{DateTime, SubsecRound as _, Utc};
use serde::{Deserialize, Serialize};

/// What [`TicketStore::list_comments`](crate::ports::TicketStore::list_comments) returns:
/// up to `limit` comments of a ticket after `after`, oldest first by
/// [`CommentCursor::key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentQuery {
    /// Whether internal notes are included (public replies always are).
    pub include_internal: bool,
    /// The page size (the desk checks 1–100).
    pub limit: u32,
    /// Resume after this position (`None`: from the first comment).
    pub after: Option<CommentCursor>,
}

/// The position after a comment in the order of a ticket's comments: its creation time
/// truncated to the microsecond (the precision every store keeps), then its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CommentCursor {
    /// `created_at` of the last comment returned, whole microseconds.
    pub at: DateTime<Utc>,
    /// Its id.
    pub id: CommentId,
}

impl CommentCursor {
    /// The cursor after `c` (also the sort key of `c`: comments are ordered by it).
    #[must_use]
    pub fn key(c: &Comment) -> Self {
        Self {
            at: c.created_at.trunc_subsecs(6),
            id: c.id,
        }
    }

    /// The opaque string form.
    #[must_use]
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    /// Parses [`CommentCursor::encode`]'s form.
    ///
    /// # Errors
    /// [`Error::Invalid`] on `cursor` when it is malformed.
    pub fn decode(s: &str) -> Result<Self> {
        let bad = || Error::invalid("cursor", "is not a cursor of this list");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| bad())?;
        serde_json::from_slice(&bytes).map_err(|_| bad())
    }

    /// The page a store returns from the comments it read for `query`, in order and at
    /// most one more than `query.limit` (that one only tells that a next page exists).
    #[must_use]
    pub fn page(mut comments: Vec<Comment>, query: &CommentQuery) -> super::Page<Comment> {
        let limit = query.limit as usize;
        let more = comments.len() > limit;
        comments.truncate(limit);
        let next_cursor = more
            .then(|| comments.last().map(|c| Self::key(c).encode()))
            .flatten();
        super::Page {
            items: comments,
            next_cursor,
        }
    }
}
