//! The backend's own errors and their mapping into [`persona_core::Error`].

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use persona_core::Error;

pub(crate) const BACKEND: &str = "file";

/// Another [`FileStore`](crate::FileStore) (in this process or another) holds the root's lock.
///
/// Returned by [`FileStore::open`](crate::FileStore::open) as the `source` of a retryable
/// [`Error::Backend`]; callers can find it with `downcast_ref`:
///
/// ```
/// # fn main() -> Result<(), persona_core::Error> {
/// use std::error::Error as _;
/// use persona_store_file::{FileStore, StoreLocked};
/// let dir = tempfile::tempdir().unwrap();
/// let first = FileStore::open(dir.path())?;
/// let second = FileStore::open(dir.path()).unwrap_err();
/// assert!(second.is_retryable());
/// assert!(second.source().unwrap().downcast_ref::<StoreLocked>().is_some());
/// drop(first);
/// assert!(FileStore::open(dir.path()).is_ok());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[error("the data directory is locked by another writer ({})", lock_path.display())]
pub struct StoreLocked {
    /// The lock file.
    pub lock_path: PathBuf,
}

/// What can go wrong inside this backend; mapped into [`persona_core::Error`].
#[derive(Debug, thiserror::Error)]
pub(crate) enum FileError {
    #[error("{op} {}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Locked(StoreLocked),
    #[error("{detail}")]
    Corrupt {
        detail: String,
        #[source]
        source: Option<serde_json::Error>,
    },
    #[error(
        "an earlier batch was committed to the log but could not be completed on disk; \
         reopen the store to finish it"
    )]
    NeedsRecovery {
        #[source]
        source: Arc<FileError>,
    },
    #[error("serialising a record")]
    Serialize(#[source] serde_json::Error),
}

impl FileError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| FileError::Io { op, path, source }
    }

    pub(crate) fn corrupt(detail: impl Into<String>, source: Option<serde_json::Error>) -> Self {
        FileError::Corrupt {
            detail: detail.into(),
            source,
        }
    }
}

impl From<FileError> for Error {
    fn from(error: FileError) -> Self {
        match error {
            FileError::Io { .. } => Error::Unavailable {
                backend: BACKEND,
                source: Box::new(error),
            },
            FileError::Locked(locked) => Error::backend(BACKEND, true, locked),
            FileError::Corrupt { detail, source } => Error::corrupt(
                BACKEND,
                detail,
                source.map(|s| Box::new(s) as persona_core::BoxError),
            ),
            FileError::NeedsRecovery { .. } | FileError::Serialize(_) => {
                Error::backend(BACKEND, false, error)
            }
        }
    }
}

pub(crate) type FileResult<T> = Result<T, FileError>;
