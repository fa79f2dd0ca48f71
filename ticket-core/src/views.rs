//! Saved views: a user's named ticket filters (the query string of a ticket list), kept
//! with the account so every client and device of that user sees the same ones.

use crate::error::{Error, Result, Validator};
use crate::text::clean_text;
use serde::{Deserialize, Serialize};

/// The most views one user keeps.
pub const MAX_VIEWS: usize = 20;
/// The longest view name, in characters.
pub const MAX_NAME_CHARS: usize = 60;
/// The longest query string, in characters.
pub const MAX_QUERY_CHARS: usize = 1000;

/// One saved view: a name and the list query it stands for (e.g.
/// `status_category=new,open&assignee=me`), as the client that saved it wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedView {
    name: String,
    query: String,
}

impl SavedView {
    /// A view, checked: a one-line name of 1 to [`MAX_NAME_CHARS`] characters, a
    /// one-line query of at most [`MAX_QUERY_CHARS`] characters (a leading `?` dropped).
    ///
    /// # Errors
    /// [`Error::Invalid`] on `name` or `query`.
    pub fn parse(name: &str, query: &str) -> Result<Self> {
        let mut v = Validator::new();
        let name = v.check(clean_text("name", name, 1, MAX_NAME_CHARS, true));
        let query = v.check(clean_text(
            "query",
            query.trim().trim_start_matches('?'),
            0,
            MAX_QUERY_CHARS,
            true,
        ));
        v.finish()?;
        match (name, query) {
            (Some(name), Some(query)) => Ok(Self { name, query }),
            // The validator refused whichever is missing.
            _ => Err(Error::invalid("view", "invalid")),
        }
    }

    /// Its name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its query string.
    #[must_use]
    pub fn query(&self) -> &str {
        &self.query
    }
}

/// Parses a whole set of views from `(name, query)` pairs: every field error is reported
/// at once as `views[i].name` / `views[i].query`, then the set is checked by
/// [`check_views`].
///
/// # Errors
/// [`Error::Invalid`].
pub fn parse_views<I, N, Q>(raw: I) -> Result<Vec<SavedView>>
where
    I: IntoIterator<Item = (N, Q)>,
    N: AsRef<str>,
    Q: AsRef<str>,
{
    let mut errors = Vec::new();
    let mut views = Vec::new();
    for (i, (name, query)) in raw.into_iter().enumerate() {
        if i >= MAX_VIEWS {
            return Err(Error::invalid(
                "views",
                format!("at most {MAX_VIEWS} saved views"),
            ));
        }
        match SavedView::parse(name.as_ref(), query.as_ref()) {
            Ok(v) => views.push(v),
            Err(Error::Invalid(fields)) => errors.extend(fields.into_iter().map(|mut f| {
                f.field = format!("views[{i}].{}", f.field);
                f
            })),
            Err(e) => return Err(e),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    check_views(views)
}

/// Checks a whole set of views: at most [`MAX_VIEWS`], names unique (case-insensitive).
///
/// # Errors
/// [`Error::Invalid`] on `views`, or on the first bad view's field.
pub fn check_views(views: Vec<SavedView>) -> Result<Vec<SavedView>> {
    if views.len() > MAX_VIEWS {
        return Err(Error::invalid(
            "views",
            format!("at most {MAX_VIEWS} saved views"),
        ));
    }
    let mut names: Vec<String> = views.iter().map(|v| v.name.to_lowercase()).collect();
    names.sort();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(Error::invalid("views", "two views have the same name"));
    }
    Ok(views)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_queries_are_checked() {
        let v = SavedView::parse(" Mine ", "?assignee=me&status_category=new,open").unwrap();
        assert_eq!(
            (v.name(), v.query()),
            ("Mine", "assignee=me&status_category=new,open")
        );
        assert!(SavedView::parse("", "q=x").is_err());
        assert!(SavedView::parse("a\nb", "q=x").is_err());
        assert!(SavedView::parse("ok", &"x".repeat(MAX_QUERY_CHARS + 1)).is_err());
        let many = (0..=MAX_VIEWS)
            .map(|i| SavedView::parse(&format!("v{i}"), "").unwrap())
            .collect();
        assert!(check_views(many).is_err());
        let twins = vec![
            SavedView::parse("Mine", "").unwrap(),
            SavedView::parse("mine", "q=x").unwrap(),
        ];
        assert!(check_views(twins).is_err());
        let Err(Error::Invalid(fields)) = parse_views([("ok", "a=1"), ("", "b=2")]) else {
            panic!("an empty name is refused");
        };
        assert_eq!(fields[0].field, "views[1].name");
        assert_eq!(parse_views([("ok", "a=1")]).unwrap().len(), 1);
    }
}
