//! Driver errors as core errors, and the conversions every module shares.

use mongodb::error::{ErrorKind, WriteFailure};
use ticket_core::error::{Error, Result};

/// The server's code for a duplicate key.
pub(crate) const DUPLICATE_KEY: i32 = 11000;

/// A driver error as [`Error::Store`], its source kept.
pub(crate) fn db(e: mongodb::error::Error) -> Error {
    Error::store(e)
}

/// Whether `e` is a duplicate-key error (code 11000), from a single write, a
/// `find_one_and_update` (a command error) or an `insert_many`.
pub(crate) fn is_duplicate(e: &mongodb::error::Error) -> bool {
    match e.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(w)) => w.code == DUPLICATE_KEY,
        ErrorKind::Command(c) => c.code == DUPLICATE_KEY,
        ErrorKind::InsertMany(m) => m
            .write_errors
            .as_ref()
            .is_some_and(|errs| errs.iter().any(|w| w.code == DUPLICATE_KEY)),
        _ => false,
    }
}

/// Whether every failure of an `insert_many` is a duplicate key (the records already
/// there), so an idempotent insert may ignore it.
pub(crate) fn only_duplicates(e: &mongodb::error::Error) -> bool {
    match e.kind.as_ref() {
        ErrorKind::InsertMany(m) => {
            m.write_concern_error.is_none()
                && m.write_errors
                    .as_ref()
                    .is_some_and(|errs| errs.iter().all(|w| w.code == DUPLICATE_KEY))
        }
        _ => is_duplicate(e),
    }
}

/// A stored record that does not read back.
#[derive(Debug, thiserror::Error)]
#[error("corrupt record: {0}")]
pub(crate) struct Corrupt(pub(crate) String);

/// A record other writers kept changing through every try of a read-change-write loop
/// (each of them holds it for one write, so this takes sustained contention).
#[derive(Debug, thiserror::Error)]
#[error("the {0} kept changing")]
pub(crate) struct Busy(pub(crate) &'static str);

/// A corrupt-record store error.
pub(crate) fn corrupt(what: impl Into<String>) -> Error {
    Error::store(Corrupt(what.into()))
}

/// A version as stored (`i64`).
pub(crate) fn version(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::invalid("version", "is too large"))
}

/// Checks the optimistic-concurrency versions of a replacement: the new version must be
/// the expected one plus one.
pub(crate) fn check_next_version(expected: u64, new: u64) -> Result<()> {
    if expected.checked_add(1) == Some(new) {
        Ok(())
    } else {
        Err(Error::invalid(
            "version",
            "must be the expected version + 1",
        ))
    }
}
