//! The backend's private errors and their mapping into [`persona_core::Error`].

use persona_core::{Error, Kind};
use rusqlite::ffi;

pub(crate) const BACKEND: &str = "sqlite";

/// What went wrong inside this backend, before it is given meaning for callers.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SqliteError {
    /// A driver error, mapped by its SQLite result code.
    #[error("sqlite driver error")]
    Driver(#[from] rusqlite::Error),
    /// A unique constraint on a record key failed (another writer created it first).
    #[error("{kind} {id} already exists")]
    Duplicate {
        kind: Kind,
        id: String,
        #[source]
        source: rusqlite::Error,
    },
    /// A stored document does not parse as its kind.
    #[error("stored {kind} {id} document does not parse")]
    Document {
        kind: Kind,
        id: String,
        #[source]
        source: serde_json::Error,
    },
    /// A stored value is outside what this crate writes (unknown kind or action, bad number).
    #[error("{0}")]
    Value(String),
    /// The database is not one this crate can use (foreign tables, newer schema).
    #[error("{0}")]
    Schema(String),
    /// The connection threads have stopped (the store is shutting down or a job panicked).
    #[error("the sqlite connection thread has stopped")]
    Stopped,
}

impl From<SqliteError> for Error {
    fn from(error: SqliteError) -> Self {
        match error {
            SqliteError::Driver(source) => driver(source),
            SqliteError::Duplicate { kind, id, .. } => Error::AlreadyExists { kind, id },
            SqliteError::Document { kind, id, source } => Error::corrupt(
                BACKEND,
                format_args!("stored {kind} {id} document does not parse"),
                Some(Box::new(source)),
            ),
            SqliteError::Value(detail) | SqliteError::Schema(detail) => {
                Error::corrupt(BACKEND, detail, None)
            }
            SqliteError::Stopped => Error::Unavailable {
                backend: BACKEND,
                source: Box::new(SqliteError::Stopped),
            },
        }
    }
}

fn driver(source: rusqlite::Error) -> Error {
    let Some(code) = source.sqlite_error_code() else {
        return Error::backend(BACKEND, false, source);
    };
    match code {
        ffi::ErrorCode::DatabaseBusy | ffi::ErrorCode::DatabaseLocked => {
            Error::backend(BACKEND, true, source)
        }
        ffi::ErrorCode::CannotOpen
        | ffi::ErrorCode::SystemIoFailure
        | ffi::ErrorCode::DiskFull
        | ffi::ErrorCode::PermissionDenied
        | ffi::ErrorCode::FileLockingProtocolFailed
        | ffi::ErrorCode::NoLargeFileSupport => Error::Unavailable {
            backend: BACKEND,
            source: Box::new(source),
        },
        ffi::ErrorCode::NotADatabase | ffi::ErrorCode::DatabaseCorrupt => Error::corrupt(
            BACKEND,
            "the file is not a readable SQLite database",
            Some(Box::new(source)),
        ),
        _ => Error::backend(BACKEND, false, source),
    }
}

/// True when `error` is a unique or primary key constraint failure.
pub(crate) fn is_unique_violation(error: &rusqlite::Error) -> bool {
    error.sqlite_error().is_some_and(|e| {
        e.extended_code == ffi::SQLITE_CONSTRAINT_UNIQUE
            || e.extended_code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    })
}

/// `?` for driver results inside functions returning [`persona_core::Result`].
pub(crate) trait Db<T> {
    /// Maps the driver error through [`SqliteError`].
    fn db(self) -> persona_core::Result<T>;
}

impl<T, E: Into<rusqlite::Error>> Db<T> for Result<T, E> {
    fn db(self) -> persona_core::Result<T> {
        self.map_err(|e| SqliteError::Driver(e.into()).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    fn failure(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(ffi::Error::new(code), None)
    }

    #[test]
    fn busy_and_locked_are_retryable_and_keep_their_source() {
        for code in [
            ffi::SQLITE_BUSY,
            ffi::SQLITE_LOCKED,
            ffi::SQLITE_BUSY_SNAPSHOT,
        ] {
            let error = Error::from(SqliteError::Driver(failure(code)));
            assert!(error.is_retryable(), "{code}");
            assert!(matches!(error, Error::Backend { .. }));
            let source = error.source().expect("source kept");
            assert!(source.downcast_ref::<rusqlite::Error>().is_some());
        }
    }

    #[test]
    fn codes_map_to_meaning() {
        assert!(matches!(
            Error::from(SqliteError::Driver(failure(ffi::SQLITE_CANTOPEN))),
            Error::Unavailable { .. }
        ));
        assert!(matches!(
            Error::from(SqliteError::Driver(failure(ffi::SQLITE_NOTADB))),
            Error::Corrupt { .. }
        ));
        let constraint = Error::from(SqliteError::Driver(failure(ffi::SQLITE_CONSTRAINT_CHECK)));
        assert!(matches!(
            constraint,
            Error::Backend {
                retryable: false,
                ..
            }
        ));
        assert!(is_unique_violation(&failure(ffi::SQLITE_CONSTRAINT_UNIQUE)));
        assert!(!is_unique_violation(&failure(
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY
        )));
        let duplicate = Error::from(SqliteError::Duplicate {
            kind: Kind::Persona,
            id: "p1".into(),
            source: failure(ffi::SQLITE_CONSTRAINT_PRIMARYKEY),
        });
        assert!(matches!(duplicate, Error::AlreadyExists { .. }));
    }

    #[test]
    fn unparseable_documents_are_corrupt_with_source() {
        let source = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        let error = Error::from(SqliteError::Document {
            kind: Kind::Identity,
            id: "i1".into(),
            source,
        });
        assert!(matches!(error, Error::Corrupt { .. }));
        assert!(error.source().is_some());
        assert!(!error.is_retryable());
    }
}
