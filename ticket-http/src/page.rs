//! Cursor pages: `limit` (1–100, default 25) and an opaque `cursor` in, `{items,
//! next_cursor}` out. Store-backed lists pass both to the store; short lists the desk
//! returns whole (teams, policies, history…) are paged here, so every list of
//! the API behaves the same.

use crate::problem::Problem;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use ticket_core::query::check_limit;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Page parameters of a list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Converts a core page.
    pub fn from_core<U>(page: ticket_core::query::Page<U>, f: impl FnMut(U) -> T) -> Self {
        Self {
            items: page.items.into_iter().map(f).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct VecCursor {
    /// Offset of the next item.
    o: usize,
    /// Id of the last item returned.
    id: Uuid,
}

/// Pages a whole list: the cursor remembers the offset and the id of the last item, and
/// resumes after that item when it is still there (so deletions between pages neither
/// skip nor repeat items).
///
/// # Errors
/// 422 for a limit out of range or a malformed cursor.
pub fn paginate<T, U>(
    items: Vec<T>,
    params: &PageParams,
    id_of: impl Fn(&T) -> Uuid,
    f: impl FnMut(T) -> U,
) -> Result<Page<U>, Problem> {
    let limit = check_limit(params.limit)? as usize;
    let start = match params.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => {
            let bad = || Problem::invalid("cursor", "is not a cursor of this list");
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(c)
                .map_err(|_| bad())?;
            let cur: VecCursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
            items
                .iter()
                .position(|t| id_of(t) == cur.id)
                .map_or(cur.o, |i| i + 1)
        }
    };
    let rest: Vec<T> = items.into_iter().skip(start).collect();
    let more = rest.len() > limit;
    let page: Vec<T> = rest.into_iter().take(limit).collect();
    let next_cursor = match (more, page.last()) {
        (true, Some(last)) => {
            let cur = VecCursor {
                o: start + page.len(),
                id: id_of(last),
            };
            let json = serde_json::to_vec(&cur).unwrap_or_default();
            Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json))
        }
        _ => None,
    };
    Ok(Page {
        items: page.into_iter().map(f).collect(),
        next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_walk_without_gaps_or_repeats() {
        let ids: Vec<Uuid> = (0..7).map(|_| Uuid::now_v7()).collect();
        let mut params = PageParams {
            limit: Some(3),
            cursor: None,
        };
        let mut seen = Vec::new();
        loop {
            let page = paginate(ids.clone(), &params, |u| *u, |u| u).unwrap();
            seen.extend(page.items);
            match page.next_cursor {
                Some(c) => params.cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, ids);
        assert!(paginate(
            ids.clone(),
            &PageParams {
                limit: Some(0),
                cursor: None
            },
            |u| *u,
            |u| u
        )
        .is_err());
        assert!(paginate(
            ids,
            &PageParams {
                limit: None,
                cursor: Some("garbage!".into())
            },
            |u| *u,
            |u| u
        )
        .is_err());
    }
}
