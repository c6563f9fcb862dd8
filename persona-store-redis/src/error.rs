//! The backend's own errors and how they map to [`persona_core::Error`].

use persona_core::Error;
use redis::{ErrorKind, RetryMethod, ServerErrorKind};

pub(crate) const BACKEND: &str = "redis";

/// What can go wrong inside this backend.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RedisError {
    /// The driver or server failed.
    #[error("redis command failed")]
    Driver(#[from] redis::RedisError),
    /// A stored document could not be read back.
    #[error("stored {what} is not valid JSON of its type")]
    Decode {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// A reply had an unexpected shape.
    #[error("unexpected reply: {0}")]
    Reply(&'static str),
    /// A write kept meeting concurrent writers.
    #[error("gave up after {0} attempts against concurrent writers")]
    Contention(usize),
}

fn retryable(err: &redis::RedisError) -> bool {
    matches!(
        err.kind(),
        ErrorKind::Server(
            ServerErrorKind::TryAgain
                | ServerErrorKind::ClusterDown
                | ServerErrorKind::MasterDown
                | ServerErrorKind::BusyLoading
                | ServerErrorKind::Moved
                | ServerErrorKind::Ask
        )
    ) || err.code() == Some("BUSY")
        || !matches!(err.retry_method(), RetryMethod::NoRetry)
}

fn unavailable(err: &redis::RedisError) -> bool {
    err.is_io_error()
        || err.is_connection_refusal()
        || err.is_connection_dropped()
        || err.is_timeout()
        || err.kind() == ErrorKind::ClusterConnectionNotFound
}

impl From<RedisError> for Error {
    fn from(err: RedisError) -> Self {
        match err {
            RedisError::Driver(driver) if unavailable(&driver) => Error::Unavailable {
                backend: BACKEND,
                source: Box::new(driver),
            },
            RedisError::Driver(driver) => {
                let retry = retryable(&driver);
                Error::backend(BACKEND, retry, driver)
            }
            RedisError::Decode { what, source } => Error::corrupt(
                BACKEND,
                format_args!("stored {what} is not valid JSON of its type"),
                Some(Box::new(source)),
            ),
            err @ RedisError::Reply(_) => {
                Error::corrupt(BACKEND, "unexpected reply", Some(Box::new(err)))
            }
            err @ RedisError::Contention(_) => Error::backend(BACKEND, true, err),
        }
    }
}

/// Maps a driver error.
pub(crate) fn db(err: redis::RedisError) -> Error {
    RedisError::Driver(err).into()
}

/// Decodes stored JSON, mapping failures to [`Error::Corrupt`].
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|source| RedisError::Decode { what, source }.into())
}
