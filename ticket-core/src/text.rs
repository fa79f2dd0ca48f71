//! Validated text newtypes: parse, don't validate. Past the constructor a value is known
//! good (length bounds, no NUL or other control characters except newline and tab), so
//! stores and services never check it again.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Checks a free-text field: trims it (when `trim`), normalises CRLF to LF, refuses
/// control characters other than newline and tab (and, when `single_line`, newlines too),
/// and bounds its length in characters.
///
/// # Errors
/// [`Error::Invalid`] naming `field`.
pub fn clean_text(
    field: &str,
    raw: &str,
    min: usize,
    max: usize,
    single_line: bool,
) -> Result<String> {
    let text = raw.replace("\r\n", "\n");
    let text = text.trim();
    if let Some(bad) = text
        .chars()
        .find(|c| c.is_control() && (single_line || !matches!(c, '\n' | '\t')))
    {
        let what = if bad == '\0' {
            "NUL".to_string()
        } else {
            format!("U+{:04X}", bad as u32)
        };
        return Err(Error::invalid(
            field,
            format!("must not contain the control character {what}"),
        ));
    }
    let len = text.chars().count();
    if len < min {
        return Err(Error::invalid(
            field,
            if min == 1 {
                "must not be empty".to_string()
            } else {
                format!("must be at least {min} characters")
            },
        ));
    }
    if len > max {
        return Err(Error::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(text.to_string())
}

/// The conversions every validated string newtype has: parsing from `String` (so serde
/// validates), back into `String`, `AsRef<str>`, `Display`, and a `Debug` showing the text.
macro_rules! string_newtype_impls {
    ($name:ident) => {
        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self> {
                Self::parse(s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }
    };
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $field:literal, $min:expr, $max:expr, $single:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Smallest length in characters.
            pub const MIN: usize = $min;
            /// Largest length in characters.
            pub const MAX: usize = $max;

            /// Validates and wraps `raw`.
            ///
            /// # Errors
            #[doc = concat!("[`Error::Invalid`] on the `", $field, "` field when the text is out of bounds or holds control characters.")]
            pub fn parse(raw: impl AsRef<str>) -> Result<Self> {
                clean_text($field, raw.as_ref(), $min, $max, $single).map(Self)
            }

            /// The text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        string_newtype_impls!($name);
    };
}

text_type!(
    /// A ticket title: 1–200 characters, one line.
    Title, "title", 1, 200, true
);
text_type!(
    /// A ticket description: at most 20,000 characters (may be empty).
    Description, "description", 0, 20_000, false
);
text_type!(
    /// The body of a comment: 1–20,000 characters.
    CommentBody, "body", 1, 20_000, false
);
text_type!(
    /// A person's display name: 1–100 characters, one line.
    DisplayName, "name", 1, 100, true
);
text_type!(
    /// A name of a team, policy, calendar or rule: 1–100 characters, one line.
    Name, "name", 1, 100, true
);

/// Lower-cases and checks a machine name: `[a-z0-9_-]`, starting with a letter or digit.
fn clean_slug(field: &str, raw: &str, max: usize) -> Result<String> {
    let s = clean_text(field, raw, 1, max, true)?
        .to_lowercase()
        .replace(' ', "_");
    if !s
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        return Err(Error::invalid(
            field,
            "may hold only letters a-z, digits, '_' and '-'",
        ));
    }
    Ok(s)
}

macro_rules! slug_type {
    ($(#[$doc:meta])* $name:ident, $field:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Normalises (trim, lower-case, spaces to `_`) and validates `raw`.
            ///
            /// # Errors
            #[doc = concat!("[`Error::Invalid`] on the `", $field, "` field.")]
            pub fn parse(raw: impl AsRef<str>) -> Result<Self> {
                clean_slug($field, raw.as_ref(), $max).map(Self)
            }

            /// The normalised text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        string_newtype_impls!($name);
    };
}

slug_type!(
    /// A tag: trimmed, lower-case, at most 40 characters of `[a-z0-9_-]`.
    Tag, "tags", 40
);
slug_type!(
    /// A ticket category: an open set of lower-case names (see [`Category::BILLING`]…).
    Category, "category", 40
);
slug_type!(
    /// A workflow status name (`new`, `open`, `in_progress`…).
    Status, "status", 40
);
slug_type!(
    /// A login name: 3–40 characters of `[a-z0-9_-]`, lower-case.
    Username, "username", 40
);

impl Tag {
    /// Parses a tag that is known to be valid at compile time (used for defaults).
    pub(crate) fn known(s: &'static str) -> Self {
        Self(s.to_string())
    }
}

impl Name {
    /// A name known to be valid at compile time (a short single-line literal).
    pub(crate) fn known(s: &'static str) -> Self {
        Self(s.to_string())
    }
}

impl Category {
    /// Billing, payments, refunds.
    pub const BILLING: &'static str = "billing";
    /// Technical problems.
    pub const TECHNICAL: &'static str = "technical";
    /// Account access and settings.
    pub const ACCOUNT: &'static str = "account";
    /// Everything else (the default).
    pub const GENERAL: &'static str = "general";

    /// A category known to be valid (the defaults above, or any slug literal).
    #[must_use]
    pub fn known(s: &'static str) -> Self {
        Self(s.to_string())
    }

    /// The four default categories.
    #[must_use]
    pub fn defaults() -> [Category; 4] {
        [Self::BILLING, Self::TECHNICAL, Self::ACCOUNT, Self::GENERAL].map(Self::known)
    }
}

impl Default for Category {
    fn default() -> Self {
        Self::known(Self::GENERAL)
    }
}

impl Status {
    /// A status name known to be valid (workflow defaults).
    #[must_use]
    pub fn known(s: &'static str) -> Self {
        Self(s.to_string())
    }
}

impl Username {
    /// Validates a login name (3–40 characters, `[a-z0-9_-]`, not shaped like an e-mail).
    ///
    /// # Errors
    /// [`Error::Invalid`] on `username`.
    pub fn parse_login(raw: &str) -> Result<Self> {
        let u = Self::parse(raw)?;
        if u.0.chars().count() < 3 {
            return Err(Error::invalid("username", "must be at least 3 characters"));
        }
        Ok(u)
    }
}

/// The tags of a ticket or the skills of an agent: normalised, deduplicated, sorted, at
/// most [`Tags::MAX`]. A 64-bit signature of the set is kept beside it so that two sets
/// can be compared for overlap without reading the strings ([`Tags::overlap_bound`]).
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct Tags {
    tags: Vec<Tag>,
    /// One bit per tag (FNV-1a of the text, modulo 64); derived from `tags`.
    signature: u64,
}

/// The signature bit of one tag.
fn signature_bit(tag: &Tag) -> u64 {
    let hash = tag.0.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    1 << (hash % 64)
}

impl Tags {
    /// The most tags one ticket (or agent) may carry.
    pub const MAX: usize = 20;

    /// Parses, normalises and deduplicates `raw`.
    ///
    /// # Errors
    /// [`Error::Invalid`] on `tags` (one entry per bad tag, or too many).
    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Result<Self> {
        let mut out = Vec::with_capacity(raw.len());
        let mut errors = Vec::new();
        for (i, s) in raw.iter().enumerate() {
            match Tag::parse(s.as_ref()) {
                Ok(t) => out.push(t),
                Err(Error::Invalid(fields)) => errors.extend(fields.into_iter().map(|mut f| {
                    f.field = format!("tags[{i}]");
                    f
                })),
                Err(e) => return Err(e),
            }
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        Self::from_tags(out)
    }

    /// Builds from already valid tags (deduplicates and sorts).
    ///
    /// # Errors
    /// [`Error::Invalid`] when there are more than [`Tags::MAX`] distinct tags.
    pub fn from_tags(tags: impl IntoIterator<Item = Tag>) -> Result<Self> {
        let mut v: Vec<Tag> = tags.into_iter().collect();
        v.sort();
        v.dedup();
        if v.len() > Self::MAX {
            return Err(Error::invalid(
                "tags",
                format!("at most {} tags", Self::MAX),
            ));
        }
        Ok(Self::sorted(v))
    }

    /// Wraps tags that are already sorted, distinct and few enough.
    fn sorted(tags: Vec<Tag>) -> Self {
        let signature = tags.iter().map(signature_bit).fold(0, |acc, bit| acc | bit);
        Self { tags, signature }
    }

    /// No tags.
    #[must_use]
    pub fn empty() -> Self {
        Self::default()
    }

    /// An upper bound on how many tags `self` and `other` share, from their signatures
    /// alone (no string is read). When one of the sets has no two tags on the same
    /// signature bit, each shared tag owns a distinct bit set in both signatures, so the
    /// common bits bound the overlap; otherwise the smaller size does. Zero proves the
    /// sets are disjoint.
    #[must_use]
    pub fn overlap_bound(&self, other: &Tags) -> usize {
        let size = self.len().min(other.len());
        let distinct_bits = |t: &Tags| t.signature.count_ones() as usize == t.len();
        if distinct_bits(self) || distinct_bits(other) {
            ((self.signature & other.signature).count_ones() as usize).min(size)
        } else {
            size
        }
    }

    /// Whether `tag` is present.
    #[must_use]
    pub fn contains(&self, tag: &Tag) -> bool {
        self.tags.binary_search(tag).is_ok()
    }

    /// The tags, sorted.
    #[must_use]
    pub fn as_slice(&self) -> &[Tag] {
        &self.tags
    }

    /// Iterates the tags in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Tag> {
        self.tags.iter()
    }

    /// Number of tags.
    #[must_use]
    pub fn len(&self) -> usize {
        self.tags.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// These tags plus `more`.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the union exceeds [`Tags::MAX`].
    pub fn with(&self, more: &[Tag]) -> Result<Self> {
        Self::from_tags(self.tags.iter().chain(more).cloned())
    }

    /// These tags less `remove`.
    #[must_use]
    pub fn without(&self, remove: &[Tag]) -> Self {
        Self::sorted(
            self.tags
                .iter()
                .filter(|t| !remove.contains(t))
                .cloned()
                .collect(),
        )
    }
}

impl TryFrom<Vec<String>> for Tags {
    type Error = Error;
    fn try_from(v: Vec<String>) -> Result<Self> {
        Self::parse(&v)
    }
}

impl From<Tags> for Vec<String> {
    fn from(t: Tags) -> Self {
        t.tags.into_iter().map(String::from).collect()
    }
}

impl fmt::Debug for Tags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.tags).finish()
    }
}

impl<'a> IntoIterator for &'a Tags {
    type Item = &'a Tag;
    type IntoIter = std::slice::Iter<'a, Tag>;
    fn into_iter(self) -> Self::IntoIter {
        self.tags.iter()
    }
}

/// An e-mail address, trimmed and lower-cased; checked for one `@`, a dotted domain and no
/// white space (deliverability is proven by verification, not by a regex).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Validates and normalises `raw`.
    ///
    /// # Errors
    /// [`Error::Invalid`] on `email`.
    pub fn parse(raw: impl AsRef<str>) -> Result<Self> {
        let s = clean_text("email", raw.as_ref(), 3, 254, true)?.to_lowercase();
        let bad = || Error::invalid("email", "is not a valid e-mail address");
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || s.chars().any(char::is_whitespace)
        {
            return Err(bad());
        }
        Ok(Self(s))
    }

    /// The address.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`.
    #[must_use]
    pub fn domain(&self) -> &str {
        self.0.split_once('@').map_or("", |(_, d)| d)
    }
}

string_newtype_impls!(Email);

/// A secret string (webhook secret, token, password): its `Debug` and `Display` never show
/// the value, so it cannot leak into logs.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself: call only where it is used.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Custom fields of a ticket: string keys (slugs) to JSON values, at most
/// [`CustomFields::MAX`] entries, each value at most 4 KiB serialised.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(
    try_from = "std::collections::BTreeMap<String, serde_json::Value>",
    into = "std::collections::BTreeMap<String, serde_json::Value>"
)]
pub struct CustomFields(std::collections::BTreeMap<String, serde_json::Value>);

impl CustomFields {
    /// The most entries.
    pub const MAX: usize = 50;
    /// The largest serialised value, in bytes.
    pub const MAX_VALUE_BYTES: usize = 4096;

    /// Validates a map of custom fields.
    ///
    /// # Errors
    /// [`Error::Invalid`] on `custom_fields` or `custom_fields.<key>`.
    pub fn parse(map: std::collections::BTreeMap<String, serde_json::Value>) -> Result<Self> {
        if map.len() > Self::MAX {
            return Err(Error::invalid(
                "custom_fields",
                format!("at most {} fields", Self::MAX),
            ));
        }
        let mut out = std::collections::BTreeMap::new();
        for (k, v) in map {
            let key = clean_slug("custom_fields", &k, 64).map_err(|_| {
                Error::invalid(
                    format!("custom_fields.{k}"),
                    "keys are 1-64 characters of a-z, 0-9, '_' and '-'",
                )
            })?;
            let size = serde_json::to_string(&v)
                .map(|s| s.len())
                .unwrap_or(usize::MAX);
            if size > Self::MAX_VALUE_BYTES {
                return Err(Error::invalid(
                    format!("custom_fields.{key}"),
                    "value is larger than 4 KiB",
                ));
            }
            if contains_control(&v) {
                return Err(Error::invalid(
                    format!("custom_fields.{key}"),
                    "must not contain control characters",
                ));
            }
            out.insert(key, v);
        }
        Ok(Self(out))
    }

    /// The value of `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.0.get(key)
    }

    /// The whole map.
    #[must_use]
    pub fn as_map(&self) -> &std::collections::BTreeMap<String, serde_json::Value> {
        &self.0
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn contains_control(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    let bad = |s: &str| s.chars().any(|c| c.is_control() && c != '\n' && c != '\t');
    match v {
        Value::String(s) => bad(s),
        Value::Array(a) => a.iter().any(contains_control),
        Value::Object(o) => o.iter().any(|(k, v)| bad(k) || contains_control(v)),
        _ => false,
    }
}

impl TryFrom<std::collections::BTreeMap<String, serde_json::Value>> for CustomFields {
    type Error = Error;
    fn try_from(m: std::collections::BTreeMap<String, serde_json::Value>) -> Result<Self> {
        Self::parse(m)
    }
}

impl From<CustomFields> for std::collections::BTreeMap<String, serde_json::Value> {
    fn from(c: CustomFields) -> Self {
        c.0
    }
}

impl fmt::Debug for CustomFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_bounds_and_control_characters() {
        assert!(Title::parse("").is_err());
        assert!(Title::parse("   ").is_err());
        assert_eq!(
            Title::parse("  Printer on fire ").unwrap().as_str(),
            "Printer on fire"
        );
        assert!(Title::parse("a".repeat(200)).is_ok());
        assert!(Title::parse("a".repeat(201)).is_err());
        assert!(Title::parse("nul\0byte").is_err());
        assert!(Title::parse("two\nlines").is_err());
        assert!(Description::parse("two\nlines\tand tab").is_ok());
        assert!(Description::parse("bell\u{7}").is_err());
        assert!(Description::parse("x".repeat(20_001)).is_err());
    }

    #[test]
    fn tag_signatures_bound_the_overlap() {
        let a = Tags::parse(&["vpn", "billing", "refunds"]).unwrap();
        let b = Tags::parse(&["vpn", "refunds", "linux"]).unwrap();
        assert!(a.overlap_bound(&b) >= 2);
        assert_eq!(a.overlap_bound(&Tags::empty()), 0);
        assert_eq!(a.overlap_bound(&a), 3);
        assert_eq!(
            a.without(&[Tag::known("vpn")])
                .overlap_bound(&Tags::parse(&["vpn"]).unwrap()),
            0
        );
        // Whatever the collisions, the bound is never below the true overlap.
        let many: Vec<String> = (0..20).map(|i| format!("skill{i}")).collect();
        let all = Tags::parse(&many).unwrap();
        for k in 0..20 {
            let some = Tags::parse(&many[..k]).unwrap();
            assert!(all.overlap_bound(&some) >= k && some.overlap_bound(&all) >= k);
        }
    }

    #[test]
    fn tags_normalise_dedupe_and_bound() {
        let t = Tags::parse(&["  VPN ", "vpn", "Billing", "two words"]).unwrap();
        let names: Vec<&str> = t.iter().map(Tag::as_str).collect();
        assert_eq!(names, ["billing", "two_words", "vpn"]);
        assert!(Tags::parse(&["x".repeat(41)]).is_err());
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert!(Tags::parse(&many).is_err());
        let err = Tags::parse(&["ok", "bad!"]).unwrap_err();
        match err {
            Error::Invalid(f) => assert_eq!(f[0].field, "tags[1]"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn email_is_normalised() {
        assert_eq!(
            Email::parse(" Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in ["ann", "ann@", "@x.com", "a@b", "a b@c.com", "a@b@c.com"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn custom_fields_are_bounded() {
        let mut m = std::collections::BTreeMap::new();
        m.insert("Order ID".to_string(), serde_json::json!(42));
        let c = CustomFields::parse(m).unwrap();
        assert_eq!(c.get("order_id"), Some(&serde_json::json!(42)));
        let many = (0..51)
            .map(|i| (format!("k{i}"), serde_json::json!(i)))
            .collect();
        assert!(CustomFields::parse(many).is_err());
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?} {s}").contains("hunter2"));
    }
}
