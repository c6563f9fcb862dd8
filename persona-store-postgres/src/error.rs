//! The backend's private errors and how they map onto [`persona_core::Error`].

use persona_core::{Error, Kind};

pub(crate) const BACKEND: &str = "postgres";

/// Everything this backend can fail with, before it becomes a [`persona_core::Error`].
#[derive(Debug, thiserror::Error)]
pub(crate) enum PgError {
    /// A driver error; its SQLSTATE decides the mapping.
    #[error("postgres driver error")]
    Sql(#[from] sqlx::Error),

    /// Applying the embedded migrations failed.
    #[error("applying the persona schema migrations failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    /// The store's tables are missing: `migrate()` was never called for this schema.
    #[error("the persona schema {schema} is not migrated: call PostgresStore::migrate")]
    NotMigrated {
        schema: String,
        #[source]
        source: sqlx::Error,
    },

    /// A stored document does not parse as a record of its kind.
    #[error("stored {kind} {id} is not a valid document")]
    Document {
        kind: Kind,
        id: String,
        #[source]
        source: serde_json::Error,
    },

    /// A value PostgreSQL cannot hold in `text` or `jsonb` (U+0000), refused before sending it,
    /// so no driver error echoes the value.
    #[error("{what} contains U+0000, which PostgreSQL cannot store")]
    Unstorable { what: &'static str },

    /// A stored value is outside the range the SDK writes (a foreign or damaged row).
    #[error("stored {what} is out of range")]
    OutOfRange { what: &'static str },
}

/// SQLSTATEs after which the same call may succeed: serialization failure, deadlock, lock not
/// available, query cancelled (statement or lock timeout).
const RETRYABLE: [&str; 4] = ["40001", "40P01", "55P03", "57014"];

/// SQLSTATEs that mean the server cannot serve requests now: too many connections, admin or crash
/// shutdown, cannot connect now.
const UNAVAILABLE: [&str; 4] = ["53300", "57P01", "57P02", "57P03"];

/// SQLSTATEs of a missing table or schema: the store was not migrated.
const UNDEFINED: [&str; 2] = ["42P01", "3F000"];

/// True when `err` says a table or schema of the store is missing.
pub(crate) fn is_undefined_table(err: &sqlx::Error) -> bool {
    sql_state(err).is_some_and(|code| UNDEFINED.contains(&code.as_str()))
}

fn sql_state(err: &sqlx::Error) -> Option<String> {
    match err {
        sqlx::Error::Database(db) => db.code().map(|code| code.into_owned()),
        _ => None,
    }
}

fn from_sql(err: sqlx::Error) -> Error {
    let unavailable = |source: sqlx::Error| Error::Unavailable {
        backend: BACKEND,
        source: Box::new(source),
    };
    match &err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => unavailable(err),
        sqlx::Error::Decode(_)
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. } => Error::corrupt(
            BACKEND,
            "a stored value does not have the type the SDK writes",
            Some(Box::new(err)),
        ),
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            if code.starts_with("08") || UNAVAILABLE.contains(&code.as_str()) {
                unavailable(err)
            } else {
                // A unique violation that reaches this point is a race on a key the SDK derives
                // itself (audit sequence, history version): repeating the call re-reads it.
                let retryable = RETRYABLE.contains(&code.as_str()) || code == "23505";
                Error::backend(BACKEND, retryable, err)
            }
        }
        _ => Error::backend(BACKEND, false, err),
    }
}

impl From<PgError> for Error {
    fn from(err: PgError) -> Self {
        match err {
            PgError::Sql(source) => from_sql(source),
            PgError::Migrate(sqlx::migrate::MigrateError::Execute(source)) => from_sql(source),
            err @ PgError::Migrate(_) => Error::backend(BACKEND, false, err),
            err @ (PgError::NotMigrated { .. } | PgError::Unstorable { .. }) => {
                Error::backend(BACKEND, false, err)
            }
            err @ (PgError::Document { .. } | PgError::OutOfRange { .. }) => {
                let detail = err.to_string();
                Error::corrupt(BACKEND, detail, Some(Box::new(err)))
            }
        }
    }
}

/// Maps a driver error, turning "table missing" into [`PgError::NotMigrated`].
pub(crate) fn sql(schema: &str, err: sqlx::Error) -> Error {
    if is_undefined_table(&err) {
        PgError::NotMigrated {
            schema: schema.to_owned(),
            source: err,
        }
        .into()
    } else {
        PgError::Sql(err).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn pool_timeouts_are_unavailable_and_keep_their_source() {
        let err: Error = PgError::Sql(sqlx::Error::PoolTimedOut).into();
        assert!(matches!(err, Error::Unavailable { .. }));
        assert!(err.is_retryable());
        assert!(err.source().is_some());
    }

    #[test]
    fn decode_failures_are_corrupt() {
        let source = serde_json::from_slice::<u8>(b"x").unwrap_err();
        let err: Error = PgError::Document {
            kind: Kind::Identity,
            id: "abc".into(),
            source,
        }
        .into();
        assert!(matches!(err, Error::Corrupt { .. }));
        assert!(err.source().is_some());
        assert!(!err.is_retryable());
    }
}
