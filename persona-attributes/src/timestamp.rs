//! Timestamps that read both forms found in fr0g-ai-aip data.
//!
//! fr0g-ai-aip wrote Go `time.Time` values as RFC 3339 strings (`"2025-06-30T01:22:15.787549005-06:00"`)
//! and protobuf `Timestamp` values as `{"seconds": …, "nanos": …}` objects. [`Timestamp`] accepts
//! either on input. It writes RFC 3339 in UTC with nanoseconds; fields that were protobuf timestamps in
//! the reference use [`proto`] to keep writing the object form that service expects.

use std::fmt;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant in UTC with nanosecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// The current instant.
    pub fn now() -> Self {
        Timestamp(Utc::now())
    }

    /// Wraps a `chrono` instant.
    pub fn from_datetime(at: DateTime<Utc>) -> Self {
        Timestamp(at)
    }

    /// The instant as a `chrono` value.
    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }

    /// Nanoseconds since the Unix epoch; saturates outside the years 1677–2262.
    pub fn unix_nanos(&self) -> i64 {
        self.0
            .timestamp_nanos_opt()
            .unwrap_or(if self.0.timestamp() < 0 {
                i64::MIN
            } else {
                i64::MAX
            })
    }

    /// The instant `nanos` nanoseconds after the Unix epoch.
    pub fn from_unix_nanos(nanos: i64) -> Self {
        Timestamp(Utc.timestamp_nanos(nanos))
    }

    /// Builds an instant from protobuf `{seconds, nanos}` parts, if representable.
    pub fn from_parts(seconds: i64, nanos: u32) -> Option<Self> {
        DateTime::from_timestamp(seconds, nanos).map(Timestamp)
    }

    /// Parses an RFC 3339 string with any offset.
    pub fn parse_rfc3339(value: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(value)
            .ok()
            .map(|at| Timestamp(at.with_timezone(&Utc)))
    }

    /// RFC 3339 in UTC with nanoseconds, e.g. `2025-06-30T07:22:15.787549005Z`.
    pub fn to_rfc3339(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(at: DateTime<Utc>) -> Self {
        Timestamp(at)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.to_rfc3339())
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Wire<'a> {
    Text(std::borrow::Cow<'a, str>),
    Proto {
        #[serde(default)]
        seconds: i64,
        #[serde(default)]
        nanos: i64,
    },
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match Wire::deserialize(deserializer)? {
            Wire::Text(text) => Timestamp::parse_rfc3339(&text)
                .ok_or_else(|| D::Error::custom(format_args!("invalid RFC 3339 timestamp"))),
            Wire::Proto { seconds, nanos } => u32::try_from(nanos)
                .ok()
                .filter(|nanos| *nanos < 1_000_000_000)
                .and_then(|nanos| Timestamp::from_parts(seconds, nanos))
                .ok_or_else(|| D::Error::custom("timestamp seconds/nanos out of range")),
        }
    }
}

/// Serde adapter for `Option<Timestamp>` fields that were protobuf `Timestamp`s in the reference:
/// writes `{"seconds": …, "nanos": …}`, reads either form.
pub mod proto {
    use super::Timestamp;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize)]
    struct Parts {
        seconds: i64,
        nanos: u32,
    }

    /// Writes the protobuf object form.
    pub fn serialize<S: Serializer>(
        value: &Option<Timestamp>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(at) => Parts {
                seconds: at.0.timestamp(),
                nanos: at.0.timestamp_subsec_nanos(),
            }
            .serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads either form.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Timestamp>, D::Error> {
        Option::<Timestamp>::deserialize(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_fr0g_forms() {
        let text: Timestamp =
            serde_json::from_str("\"2025-06-30T01:22:15.787549005-06:00\"").unwrap();
        assert_eq!(text.to_rfc3339(), "2025-06-30T07:22:15.787549005Z");
        let proto: Timestamp =
            serde_json::from_str(r#"{"seconds":1751265352,"nanos":991852672}"#).unwrap();
        assert_eq!(proto.unix_nanos(), 1_751_265_352_991_852_672);
        assert_eq!(Timestamp::from_unix_nanos(proto.unix_nanos()), proto);
    }

    #[test]
    fn rejects_garbage() {
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
        assert!(serde_json::from_str::<Timestamp>(r#"{"seconds":1,"nanos":-1}"#).is_err());
    }
}
