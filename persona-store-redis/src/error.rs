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
    /// The write script was sent and no reply came (timeout, connection lost): it may or may
    /// not have run.
    #[error(
        "no reply to a write that was sent: it may have been applied (read the records before repeating it)"
    )]
    OutcomeUnknown(#[source] redis::RedisError),
}

/// Why a namespace's indexes cannot answer: the [`source`](std::error::Error::source) of the
/// [`Error::Backend`] (not retryable) that queries, counts, facets, lists and writes return until
/// [`RedisStore::reindex`](crate::RedisStore::reindex) has rebuilt the namespace's indexes.
///
/// ```
/// # use persona_store_redis::LayoutError;
/// fn needs_reindex(error: &persona_core::Error) -> bool {
///     matches!(error, persona_core::Error::Backend { source, .. } if source.is::<LayoutError>())
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// The namespace's records were indexed under an older layout (`None`: before layouts were
    /// versioned), which lacks indexes this build reads.
    #[error("the namespace's indexes were written under {} and this build reads layout {expected}: run RedisStore::reindex", layout_name(*.found))]
    Outdated {
        /// The layout found.
        found: Option<u32>,
        /// This build's layout.
        expected: u32,
    },
    /// A rebuild of the namespace's indexes is under way, or was interrupted (running
    /// [`reindex`](crate::RedisStore::reindex) again finishes it).
    #[error(
        "the namespace's indexes are being rebuilt (or a rebuild was interrupted): run RedisStore::reindex to finish it"
    )]
    Rebuilding,
    /// The namespace was written under a newer layout than this build knows.
    #[error(
        "the namespace's indexes were written under layout {found}, newer than this build's layout {expected}"
    )]
    Newer {
        /// The layout found.
        found: u32,
        /// This build's layout.
        expected: u32,
    },
    /// The layout key holds a value no build writes.
    #[error("the namespace's layout key holds an unknown value")]
    Unknown,
}

fn layout_name(found: Option<u32>) -> String {
    match found {
        Some(version) => format!("layout {version}"),
        None => "no layout version".to_owned(),
    }
}

/// The error code the scripts reply with when the namespace's layout is not this build's.
pub(crate) const LAYOUT_CODE: &str = "PERSONA_LAYOUT";

impl LayoutError {
    /// Reads the layout key's value as a script reports it (`none` when absent).
    pub(crate) fn from_state(state: &str) -> LayoutError {
        let expected = crate::keys::LAYOUT_VERSION;
        if state == "none" {
            return LayoutError::Outdated {
                found: None,
                expected,
            };
        }
        if state.starts_with("clear:") || state.starts_with("fill:") {
            return LayoutError::Rebuilding;
        }
        match state.parse::<u32>() {
            Ok(found) if found > expected => LayoutError::Newer { found, expected },
            Ok(found) if found < expected => LayoutError::Outdated {
                found: Some(found),
                expected,
            },
            _ => LayoutError::Unknown,
        }
    }
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

/// True when a request may have reached the server although no reply came.
pub(crate) fn reply_lost(err: &redis::RedisError) -> bool {
    // the driver counts a refused connection as "dropped" too: that one never sent anything
    err.is_timeout() || (err.is_connection_dropped() && !err.is_connection_refusal())
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
            RedisError::Driver(driver) if driver.code() == Some(LAYOUT_CODE) => {
                let state = driver.detail().unwrap_or("").trim();
                Error::backend(BACKEND, false, LayoutError::from_state(state))
            }
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
            // Retryable: repeating a create or a versioned update that did apply fails with
            // `AlreadyExists` / `VersionConflict`, which tells the caller it had.
            err @ RedisError::OutcomeUnknown(_) => Error::backend(BACKEND, true, err),
        }
    }
}

/// Maps a driver error of a write script that was sent: a lost reply is
/// [`RedisError::OutcomeUnknown`], never `Unavailable`.
pub(crate) fn write_failed(err: redis::RedisError) -> Error {
    if reply_lost(&err) {
        RedisError::OutcomeUnknown(err).into()
    } else {
        db(err)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::LAYOUT_VERSION;

    #[test]
    fn layout_states_read_as_their_errors() {
        assert_eq!(
            LayoutError::from_state("none"),
            LayoutError::Outdated {
                found: None,
                expected: LAYOUT_VERSION
            }
        );
        assert_eq!(
            LayoutError::from_state("0"),
            LayoutError::Outdated {
                found: Some(0),
                expected: LAYOUT_VERSION
            }
        );
        assert_eq!(
            LayoutError::from_state(&(LAYOUT_VERSION + 1).to_string()),
            LayoutError::Newer {
                found: LAYOUT_VERSION + 1,
                expected: LAYOUT_VERSION
            }
        );
        assert_eq!(
            LayoutError::from_state("fill:00ff:1234"),
            LayoutError::Rebuilding
        );
        assert_eq!(
            LayoutError::from_state("clear:ab:0"),
            LayoutError::Rebuilding
        );
        assert_eq!(LayoutError::from_state("what"), LayoutError::Unknown);
        let message = LayoutError::from_state("none").to_string();
        assert!(message.contains("no layout version") && message.contains("reindex"));
    }

    #[test]
    fn a_lost_reply_says_the_write_may_have_applied() {
        let timeout = redis::RedisError::from(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "timed out",
        ));
        let error = write_failed(timeout);
        assert!(error.is_retryable());
        assert!(!matches!(error, Error::Unavailable { .. }));
        let Error::Backend { source, .. } = &error else {
            panic!("{error:?}")
        };
        assert!(source.to_string().contains("may have been applied"));
        let refused = redis::RedisError::from(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "refused",
        ));
        assert!(matches!(write_failed(refused), Error::Unavailable { .. }));
        let reset = redis::RedisError::from(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "reset",
        ));
        assert!(write_failed(reset).to_string().contains("redis"));
        assert!(reply_lost(&redis::RedisError::from(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "reset",
        ))));
    }
}
