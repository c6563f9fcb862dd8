//! The one error type of the SDK.

use std::fmt;

use persona_attributes::{Code, FieldPath, ValidationReport};

use crate::id::{Namespace, Version};
use crate::record::Kind;

/// A boxed driver error kept as an error's `source`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, with semantic variants to branch on.
///
/// Messages name kinds, ids, versions and rules, never the values of personal fields, so errors can
/// be logged as they are. Backend variants keep the driver's error as their `source`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No live record has this id in the handle's namespace.
    #[error("{kind} {id} not found")]
    NotFound {
        /// What was looked for.
        kind: Kind,
        /// Its id.
        id: String,
    },

    /// A create named an id that is already taken (also by a soft-deleted record).
    #[error("{kind} {id} already exists")]
    AlreadyExists {
        /// The record kind.
        kind: Kind,
        /// The taken id.
        id: String,
    },

    /// An update expected one version and found another: someone else wrote first.
    #[error("{kind} {id}: expected version {expected}, found {actual}")]
    VersionConflict {
        /// The record kind.
        kind: Kind,
        /// Its id.
        id: String,
        /// The version the caller based its change on.
        expected: Version,
        /// The version stored now.
        actual: Version,
    },

    /// The input broke one or more rules; the report lists every one.
    #[error("validation failed: {0}")]
    Invalid(Box<ValidationReport>),

    /// The record cannot be purged while other records reference it.
    #[error("{kind} {id} is still referenced by {count} {by} record(s)")]
    Referenced {
        /// The referenced record's kind.
        kind: Kind,
        /// Its id.
        id: String,
        /// The kind of the referencing records.
        by: Kind,
        /// How many reference it.
        count: u64,
    },

    /// The backend does not support this operation (see [`Capabilities`](crate::Capabilities)).
    #[error("{operation} is not supported by the {backend} store")]
    Unsupported {
        /// The backend's name.
        backend: &'static str,
        /// The operation.
        operation: &'static str,
    },

    /// A value from one namespace (a cursor, an imported record) was used in another.
    #[error(
        "namespace violation: value belongs to namespace {found}, handle is bound to {expected}"
    )]
    NamespaceViolation {
        /// The handle's namespace.
        expected: Namespace,
        /// The namespace the value came from.
        found: Namespace,
    },

    /// The backend cannot be reached (down, refused, timed out). Retryable.
    #[error("{backend} store unavailable")]
    Unavailable {
        /// The backend's name.
        backend: &'static str,
        /// The driver's error.
        #[source]
        source: BoxError,
    },

    /// Stored data could not be read back (unparseable document, foreign schema, torn file).
    #[error("corrupt data in {backend} store: {detail}")]
    Corrupt {
        /// The backend's name.
        backend: &'static str,
        /// Which data and what is wrong with it (no personal values).
        detail: String,
        /// The parser's or driver's error, if any.
        #[source]
        source: Option<BoxError>,
    },

    /// Any other driver failure.
    #[error("{backend} store error")]
    Backend {
        /// The backend's name.
        backend: &'static str,
        /// Whether the same call may succeed if repeated (busy, lock timeout, serialization failure).
        retryable: bool,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
}

impl Error {
    /// True when repeating the same call may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Unavailable { .. } => true,
            Error::Backend { retryable, .. } => *retryable,
            _ => false,
        }
    }

    /// The validation report, for [`Error::Invalid`].
    pub fn report(&self) -> Option<&ValidationReport> {
        match self {
            Error::Invalid(report) => Some(report),
            _ => None,
        }
    }

    /// A one-violation [`Error::Invalid`] at the top-level field `field`.
    pub fn invalid_field(field: &str, code: Code, message: impl Into<String>) -> Error {
        let mut report = ValidationReport::new();
        report.push(&FieldPath::root(field), code, message);
        Error::Invalid(Box::new(report))
    }

    /// The error for an identity whose `persona_id` names no live persona in the namespace.
    pub fn missing_persona() -> Error {
        Error::invalid_field(
            "persona_id",
            Code::InvalidReference,
            "must reference an existing persona in the same namespace",
        )
    }

    /// [`Error::NotFound`].
    pub fn not_found(kind: Kind, id: impl Into<String>) -> Error {
        Error::NotFound {
            kind,
            id: id.into(),
        }
    }

    /// [`Error::Backend`] keeping `source`.
    pub fn backend(backend: &'static str, retryable: bool, source: impl Into<BoxError>) -> Error {
        Error::Backend {
            backend,
            retryable,
            source: source.into(),
        }
    }

    /// [`Error::Corrupt`] with an optional source.
    pub fn corrupt(
        backend: &'static str,
        detail: impl fmt::Display,
        source: Option<BoxError>,
    ) -> Error {
        Error::Corrupt {
            backend,
            detail: detail.to_string(),
            source,
        }
    }
}

impl From<ValidationReport> for Error {
    fn from(report: ValidationReport) -> Self {
        Error::Invalid(Box::new(report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn retryable_is_stated() {
        let io = std::io::Error::other("refused");
        let err = Error::Unavailable {
            backend: "redis",
            source: Box::new(io),
        };
        assert!(err.is_retryable());
        assert!(err.source().is_some());
        assert!(!Error::not_found(Kind::Persona, "x").is_retryable());
    }

    #[test]
    fn invalid_field_names_the_field() {
        let err = Error::missing_persona();
        let report = err.report().unwrap();
        assert_eq!(report.violations()[0].path, "persona_id");
        assert_eq!(report.violations()[0].code, Code::InvalidReference);
    }
}
