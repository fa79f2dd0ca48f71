//! From driver errors to `ticket_core::Error`, and the NUL checks that keep text
//! PostgreSQL cannot store from ever reaching it.

use serde::Serialize;
use serde_json::value::RawValue;
use sqlx::types::Json;
use ticket_core::{Error, Result};

/// The field a unique constraint of the schema protects. Constraints are named in the
/// migrations; a violation is recognised by its name, never by its message.
fn unique_field(constraint: &str) -> Option<&'static str> {
    match constraint {
        "users_email_key" => Some("email"),
        "users_username_key" => Some("username"),
        "teams_name_key" => Some("name"),
        "tokens_hash_key" => Some("hash"),
        "shifts_one_open" => Some("open_shift"),
        "shift_schedules_pkey" => Some("user"),
        c if c.ends_with("_pkey") => Some("id"),
        _ => None,
    }
}

/// Maps a driver error: a unique violation of one of our constraints is
/// `Conflict(Unique { field })`; everything else is `Error::Store` with the driver error
/// as its source.
pub(crate) fn db(e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(d) = &e {
        if d.is_unique_violation() {
            if let Some(field) = d.constraint().and_then(unique_field) {
                return Error::unique(field);
            }
        }
    }
    Error::store(e)
}

/// A JSON (de)serialisation failure of a stored document: the store holds something the
/// domain cannot read (or the domain wrote something JSON cannot hold).
pub(crate) fn json(e: serde_json::Error) -> Error {
    Error::store(e)
}

/// `Invalid` on `field` for text holding NUL.
fn nul(field: &str) -> Error {
    Error::invalid(
        field,
        "must not contain the NUL character (PostgreSQL cannot store it)",
    )
}

/// Refuses text holding NUL, which PostgreSQL cannot store.
pub(crate) fn check_text(field: &str, text: &str) -> Result<()> {
    if text.contains('\0') {
        Err(nul(field))
    } else {
        Ok(())
    }
}

/// A document for a `jsonb` column: serialised once, straight to JSON text (no
/// `serde_json::Value` tree in between, which cost a create ~15 % of its CPU here in the
/// load bench), and bound as `jsonb`.
pub(crate) type Doc = Json<Box<RawValue>>;

/// Whether serde_json's text of a document escapes NUL in a string or key: a `\u0000`
/// whose backslash is not itself escaped (a requester's literal `\u0000` is written
/// `\\u0000`). serde_json writes NUL only that way.
fn escapes_nul(text: &str) -> bool {
    text.match_indices("\\u0000").any(|(at, _)| {
        let backslashes = text.as_bytes()[..=at]
            .iter()
            .rev()
            .take_while(|b| **b == b'\\')
            .count();
        backslashes % 2 == 1
    })
}

/// Serialises a document for a `jsonb` column, refusing NUL anywhere in it (`jsonb`
/// cannot hold `\u0000`) with `Invalid` on `field`.
pub(crate) fn doc<T: Serialize>(field: &str, value: &T) -> Result<Doc> {
    let raw = serde_json::value::to_raw_value(value).map_err(json)?;
    if escapes_nul(raw.get()) {
        return Err(nul(field));
    }
    Ok(Json(raw))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn constraint_names_map_to_fields() {
        assert_eq!(unique_field("tickets_pkey"), Some("id"));
        assert_eq!(unique_field("users_email_key"), Some("email"));
        assert_eq!(unique_field("users_username_key"), Some("username"));
        assert_eq!(unique_field("teams_name_key"), Some("name"));
        assert_eq!(unique_field("tokens_hash_key"), Some("hash"));
        assert_eq!(unique_field("someone_elses"), None);
    }

    #[test]
    fn nul_is_found_anywhere_in_json() {
        assert!(doc("p", &json!({"a": [1, {"b": "x\u{0}y"}]})).is_err());
        assert!(doc("p", &json!({"k\u{0}": 1})).is_err());
        assert!(doc("p", &json!({"a": "\\u0000 is only text"})).is_ok());
        assert!(doc("p", &json!({"a": "\\\u{0}"})).is_err());
        assert!(doc("p", &json!({"a": "\\\\u0000"})).is_ok());
        assert!(doc("p", &json!(["\u{0}"])).is_err());
        assert_eq!(
            doc("p", &json!({"a": [1, "b\\"]})).unwrap().0.get(),
            r#"{"a":[1,"b\\"]}"#
        );
        assert!(check_text("t", "a\0b").is_err());
        assert!(check_text("t", "fine\n\t").is_ok());
    }
}
