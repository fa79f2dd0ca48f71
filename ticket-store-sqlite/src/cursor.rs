//! Page sizes and the opaque cursors of the lists ordered by id (users, notifications,
//! deliveries). Ticket lists use [`ticket_core::query::TicketCursor`].

use base64::Engine as _;
use ticket_core::error::{Error, Result};
use ticket_core::query::{Page, DEFAULT_LIMIT, MAX_LIMIT};
use uuid::Uuid;

/// The page size for a requested limit: 0 means the default, and no page exceeds the
/// maximum (as `MemoryStore` does).
pub(crate) fn page_size(limit: u32) -> u32 {
    if limit == 0 {
        DEFAULT_LIMIT
    } else {
        limit.min(MAX_LIMIT)
    }
}

/// Cuts a page of at most `size` items from `items`, fetched with one look-ahead row:
/// a next cursor (made by `cursor` from the last item kept) exactly when more follow.
pub(crate) fn page_of<T>(mut items: Vec<T>, size: u32, cursor: impl Fn(&T) -> String) -> Page<T> {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let next_cursor = if items.len() > size {
        items.truncate(size);
        items.last().map(cursor)
    } else {
        None
    };
    Page { items, next_cursor }
}

/// The opaque cursor after an id.
pub(crate) fn encode_id(id: Uuid) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// Reads back [`encode_id`].
///
/// # Errors
/// [`Error::Invalid`] on `cursor`.
pub(crate) fn decode_id(cursor: &str) -> Result<Uuid> {
    let bad = || Error::invalid("cursor", "is not a cursor of this list");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    Uuid::from_slice(&bytes).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_cursors_round_trip_and_refuse_junk() {
        let id = Uuid::now_v7();
        assert_eq!(decode_id(&encode_id(id)).unwrap(), id);
        for bad in ["", "AAAA", "%%%", "not a cursor"] {
            assert!(matches!(decode_id(bad), Err(Error::Invalid(_))), "{bad:?}");
        }
    }

    #[test]
    fn pages_look_ahead_one_row() {
        let page = page_of(vec![1, 2, 3], 2, ToString::to_string);
        assert_eq!(
            (page.items, page.next_cursor),
            (vec![1, 2], Some("2".into()))
        );
        let last = page_of(vec![1, 2], 2, ToString::to_string);
        assert_eq!(last.next_cursor, None);
        assert_eq!(page_size(0), DEFAULT_LIMIT);
        assert_eq!(page_size(1_000), MAX_LIMIT);
    }
}
