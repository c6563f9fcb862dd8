//! Record ids, versions, namespaces and actors.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The longest id accepted, in characters.
pub const MAX_ID_CHARS: usize = 128;

/// True when `id` is 1–128 ASCII letters, digits, `-`, `_` or `.`, not starting with `.`.
///
/// Ids become file names and key parts in some backends, so the alphabet is deliberately small.
/// UUIDs (new records) and fr0g-ai-aip's 16-hex and 19-digit ids all qualify.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

macro_rules! record_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        ///
        /// New ids are time-ordered UUID v7 strings; ids from other systems are accepted and kept as
        /// they are (see [`is_valid_id`] for the accepted alphabet, checked when a record is written).
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new time-ordered id (UUID v7).
            pub fn generate() -> Self {
                $name(uuid::Uuid::now_v7().to_string())
            }

            /// The id as a string.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Consumes the id, returning its string.
            pub fn into_string(self) -> String {
                self.0
            }

            /// True when the id uses the accepted alphabet and length.
            pub fn is_valid(&self) -> bool {
                is_valid_id(&self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_owned())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

record_id! {
    /// The id of a [`Persona`](crate::Persona).
    PersonaId
}
record_id! {
    /// The id of an [`Identity`](crate::Identity).
    IdentityId
}
record_id! {
    /// The id of a [`Group`](crate::Group).
    GroupId
}

/// A record's version: 1 after its first write, bumped by every write. 0 means never stored.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Version(pub u64);

impl Version {
    /// The version of a record that has never been stored.
    pub const NEW: Version = Version(0);
    /// The version a record has after its first write.
    pub const FIRST: Version = Version(1);

    /// The next version.
    pub const fn next(self) -> Version {
        Version(self.0 + 1)
    }

    /// True for [`Version::NEW`].
    pub const fn is_new(&self) -> bool {
        self.0 == 0
    }

    /// The number.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<u64> for Version {
    fn from(value: u64) -> Self {
        Version(value)
    }
}

/// A tenant. Every store handle is bound to one namespace and can reach no other's data.
///
/// 1–63 characters of lowercase ASCII letters, digits, `-` and `_`, starting with a letter or digit,
/// so that it is safe as a directory name, a SQL value and a Redis hash tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Namespace(String);

impl Namespace {
    /// The longest namespace name.
    pub const MAX_CHARS: usize = 63;

    /// Validates `name`.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the `namespace` field when `name` breaks the rule above.
    pub fn new(name: impl Into<String>) -> Result<Self, Error> {
        let name = name.into();
        let ok = !name.is_empty()
            && name.len() <= Self::MAX_CHARS
            && name.as_bytes()[0].is_ascii_alphanumeric()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(Namespace(name))
        } else {
            Err(Error::invalid_field(
                "namespace",
                persona_attributes::Code::InvalidFormat,
                "must be 1-63 characters of a-z, 0-9, '-' or '_', starting with a letter or digit",
            ))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Namespace {
    /// The namespace named `default`.
    fn default() -> Self {
        Namespace("default".to_owned())
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Namespace {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Namespace::new(name).map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for Namespace {
    type Err = Error;
    fn from_str(name: &str) -> Result<Self, Error> {
        Namespace::new(name)
    }
}

/// Who performs a write, as recorded in the audit log. Supplied by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Actor(String);

impl Actor {
    /// The longest actor name, in characters.
    pub const MAX_CHARS: usize = 256;

    /// An actor named `name` (a user id, a service name, …). Blank names become `"unknown"` and
    /// long ones are cut to [`Actor::MAX_CHARS`] characters.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        let trimmed = name.trim();
        if trimmed.is_empty() {
            return Actor("unknown".to_owned());
        }
        Actor(trimmed.chars().take(Self::MAX_CHARS).collect())
    }

    /// The actor's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Actor {
    fn from(name: &str) -> Self {
        Actor::new(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_uuid_and_fr0g_forms() {
        assert!(PersonaId::generate().is_valid());
        assert!(is_valid_id("049bd98fec26c01b"));
        assert!(is_valid_id("1751265685780187889"));
        assert!(!is_valid_id("../etc/passwd"));
        assert!(!is_valid_id(".hidden"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id(&"a".repeat(129)));
    }

    #[test]
    fn generated_ids_are_time_ordered() {
        let a = IdentityId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = IdentityId::generate();
        assert!(a < b);
    }

    #[test]
    fn namespaces_are_checked() {
        assert!(Namespace::new("acme-prod_1").is_ok());
        assert!(Namespace::new("Acme").is_err());
        assert!(Namespace::new("-x").is_err());
        assert!(Namespace::new("").is_err());
        assert!(serde_json::from_str::<Namespace>("\"a b\"").is_err());
    }
}
