//! The three record kinds: [`Persona`], [`Identity`] and [`Group`].
//!
//! Field names on the wire are those of fr0g-ai-aip, so its JSON files read as they are: zero values
//! may be absent, timestamps may be RFC 3339 strings or `{"seconds","nanos"}` objects, and
//! `active` is `is_active` on the wire.

use std::collections::BTreeMap;
use std::fmt;

use persona_attributes::validate::rules;
use persona_attributes::{Code, FieldPath, RichAttributes, Timestamp, ValidationReport};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::id::{GroupId, IdentityId, PersonaId, Version, is_valid_id};

/// The kind of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A [`Persona`].
    Persona,
    /// An [`Identity`].
    Identity,
    /// A [`Group`].
    Group,
}

impl Kind {
    /// All kinds, personas first (the order an import must follow for references to resolve).
    pub const ALL: [Kind; 3] = [Kind::Persona, Kind::Identity, Kind::Group];

    /// `"persona"`, `"identity"` or `"group"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Persona => "persona",
            Kind::Identity => "identity",
            Kind::Group => "group",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Caps on top-level fields, in characters or entries (reference `fr0g-aip-model.md` §2.1).
pub mod caps {
    /// Persona and identity name.
    pub const NAME: usize = 100;
    /// Persona topic.
    pub const TOPIC: usize = 200;
    /// Persona prompt.
    pub const PROMPT: usize = 10_000;
    /// Persona context entries.
    pub const CONTEXT_ENTRIES: usize = 50;
    /// Persona context key.
    pub const CONTEXT_KEY: usize = 100;
    /// Persona context value.
    pub const CONTEXT_VALUE: usize = 1_000;
    /// Persona RAG entries.
    pub const RAG_ENTRIES: usize = 100;
    /// One RAG entry.
    pub const RAG_ENTRY: usize = 500;
    /// Tags on a record.
    pub const TAGS: usize = 20;
    /// One tag.
    pub const TAG: usize = 50;
    /// Identity and group description.
    pub const DESCRIPTION: usize = 1_000;
    /// Identity background.
    pub const BACKGROUND: usize = 5_000;
    /// Legacy identity `attributes`/`preferences` entries.
    pub const LEGACY_ENTRIES: usize = 50;
    /// Legacy map key.
    pub const LEGACY_KEY: usize = 50;
    /// Legacy map value.
    pub const LEGACY_VALUE: usize = 500;
    /// Group type.
    pub const GROUP_KIND: usize = 50;
    /// Group members.
    pub const MEMBERS: usize = 100_000;
}

/// A role an AI plays: a name, a topic and the prompt that sets it up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Persona {
    /// The id.
    pub id: PersonaId,
    /// Display name (required, at most 100 characters).
    pub name: String,
    /// What the persona is about (required, at most 200 characters).
    #[serde(default)]
    pub topic: String,
    /// The system prompt (required, at most 10,000 characters).
    #[serde(default)]
    pub prompt: String,
    /// Extra key/value context (at most 50 entries).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub context: BTreeMap<String, String>,
    /// Retrieval documents or references (at most 100).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rag: Vec<String>,
    /// Tags (at most 20, each at most 50 characters).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// When it was first stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// When it was last written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    /// Bumped by every write.
    #[serde(default, skip_serializing_if = "Version::is_new")]
    pub version: Version,
}

impl Persona {
    /// A new persona with a fresh id.
    pub fn new(
        name: impl Into<String>,
        topic: impl Into<String>,
        prompt: impl Into<String>,
    ) -> Self {
        Persona {
            id: PersonaId::generate(),
            name: name.into(),
            topic: topic.into(),
            prompt: prompt.into(),
            context: BTreeMap::new(),
            rag: Vec::new(),
            tags: Vec::new(),
            created_at: None,
            updated_at: None,
            version: Version::NEW,
        }
    }
}

/// A concrete person who embodies a persona.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// The id.
    pub id: IdentityId,
    /// The persona this identity embodies; must exist in the same namespace.
    pub persona_id: PersonaId,
    /// Full name (required, at most 100 characters).
    pub name: String,
    /// Short description (at most 1,000 characters).
    #[serde(default)]
    pub description: String,
    /// Longer background (at most 5,000 characters).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub background: String,
    /// Tags (at most 20, each at most 50 characters).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Whether the identity is in use.
    #[serde(rename = "is_active", default)]
    pub active: bool,
    /// The eight attribute categories and more.
    #[serde(default)]
    pub rich_attributes: RichAttributes,
    /// Deprecated fr0g-ai-aip key/value attributes, kept so old data round-trips.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// Deprecated fr0g-ai-aip key/value preferences, kept so old data round-trips.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub preferences: BTreeMap<String, String>,
    /// When it was first stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// When it was last written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    /// Bumped by every write.
    #[serde(default, skip_serializing_if = "Version::is_new")]
    pub version: Version,
}

impl Identity {
    /// A new, active identity of `persona_id` with a fresh id and no attributes.
    pub fn new(persona_id: PersonaId, name: impl Into<String>) -> Self {
        Identity {
            id: IdentityId::generate(),
            persona_id,
            name: name.into(),
            description: String::new(),
            background: String::new(),
            tags: Vec::new(),
            active: true,
            rich_attributes: RichAttributes::default(),
            attributes: BTreeMap::new(),
            preferences: BTreeMap::new(),
            created_at: None,
            updated_at: None,
            version: Version::NEW,
        }
    }
}

/// A named set of identities (fr0g-ai-aip "community"), with an optional generation recipe and
/// statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// The id.
    pub id: GroupId,
    /// Name (required, at most 100 characters).
    pub name: String,
    /// Description (at most 1,000 characters).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Free-form type, e.g. `professional` (at most 50 characters).
    #[serde(rename = "type", default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Member identity ids (at most 100,000). Members are not required to exist: a purged identity
    /// may remain listed until the group is updated.
    #[serde(default)]
    pub member_ids: Vec<IdentityId>,
    /// Tags (at most 20, each at most 50 characters).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Whether the group is in use.
    #[serde(rename = "is_active", default)]
    pub active: bool,
    /// Number of members; set from `member_ids` on every write.
    #[serde(default)]
    pub size: u64,
    /// Diversity score computed by a generator (0.0–1.0).
    #[serde(default)]
    pub diversity: f64,
    /// Cohesion score computed by a generator (0.0–1.0).
    #[serde(default)]
    pub cohesion: f64,
    /// Largest allowed size, 0 for no limit.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_members: u64,
    /// Smallest intended size.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub min_members: u64,
    /// Computed statistics and other free-form attributes, kept verbatim.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// The recipe the group was generated from, kept verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation_config: Option<serde_json::Value>,
    /// When it was first stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// When it was last written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    /// Bumped by every write.
    #[serde(default, skip_serializing_if = "Version::is_new")]
    pub version: Version,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

impl Group {
    /// A new, active, empty group with a fresh id.
    pub fn new(name: impl Into<String>) -> Self {
        Group {
            id: GroupId::generate(),
            name: name.into(),
            description: String::new(),
            kind: String::new(),
            member_ids: Vec::new(),
            tags: Vec::new(),
            active: true,
            size: 0,
            diversity: 0.0,
            cohesion: 0.0,
            max_members: 0,
            min_members: 0,
            attributes: serde_json::Map::new(),
            generation_config: None,
            created_at: None,
            updated_at: None,
            version: Version::NEW,
        }
    }
}

/// Any record, for APIs that handle all kinds (batches, history, export).
///
/// Serialises as `{"kind": "identity", "record": {…}}`. Variants are boxed so the enum stays
/// small whatever the size of the rich attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "record", rename_all = "snake_case")]
pub enum AnyRecord {
    /// A persona.
    Persona(Box<Persona>),
    /// An identity.
    Identity(Box<Identity>),
    /// A group.
    Group(Box<Group>),
}

/// Store bookkeeping common to every record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// The version.
    pub version: Version,
    /// When first stored.
    pub created_at: Option<Timestamp>,
    /// When last written.
    pub updated_at: Option<Timestamp>,
}

/// What the three record kinds have in common.
pub trait Record:
    Clone + fmt::Debug + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// The kind.
    const KIND: Kind;

    /// The id as a string.
    fn id_str(&self) -> &str;

    /// Version and timestamps.
    fn meta(&self) -> Meta;

    /// Sets version and timestamps (stores do this on every write).
    fn set_meta(&mut self, meta: Meta);

    /// A human label for audit entries (the name). Erased from the audit log by a purge.
    fn label(&self) -> &str;

    /// Appends every violation of the record's own rules (caps, required fields, id format, the
    /// attribute processors). Rules that need the store, such as persona references, are checked
    /// by the store.
    fn validate_into(&self, report: &mut ValidationReport);

    /// Every violation of the record's own rules.
    fn validate(&self) -> ValidationReport {
        let mut report = ValidationReport::new();
        self.validate_into(&mut report);
        report
    }

    /// Wraps the record.
    fn into_any(self) -> AnyRecord;

    /// Unwraps a record of this kind, or gives the value back.
    ///
    /// # Errors
    /// Returns `any` unchanged when it holds another kind.
    fn from_any(any: AnyRecord) -> Result<Self, AnyRecord>;
}

fn check_id(id: &str, report: &mut ValidationReport, field: &str) {
    if !is_valid_id(id) {
        report.push(
            &FieldPath::root(field),
            Code::InvalidFormat,
            "must be 1-128 characters of A-Z, a-z, 0-9, '-', '_' or '.', not starting with '.'",
        );
    }
}

fn check_tags(tags: &[String], report: &mut ValidationReport) {
    let at = FieldPath::root("tags");
    rules::max_items(tags.len(), caps::TAGS, &at, report);
    for (index, tag) in tags.iter().enumerate() {
        let item = at.index(index);
        rules::required(tag, &item, report);
        rules::max_chars(tag, caps::TAG, &item, report);
    }
}

fn check_map(
    field: &str,
    map: &BTreeMap<String, String>,
    (entries, key_max, value_max): (usize, usize, usize),
    report: &mut ValidationReport,
) {
    let at = FieldPath::root(field);
    rules::max_items(map.len(), entries, &at, report);
    for (key, value) in map {
        let entry = at.key(key);
        if key.chars().count() > key_max {
            report.push(
                &entry,
                Code::TooLong,
                format!("keys must be at most {key_max} characters"),
            );
        }
        rules::max_chars(value, value_max, &entry, report);
    }
}

fn text(field: &str, value: &str, max: usize, required: bool, report: &mut ValidationReport) {
    let at = FieldPath::root(field);
    if required {
        rules::required(value, &at, report);
    }
    rules::max_chars(value, max, &at, report);
}

macro_rules! impl_record {
    ($ty:ident, $kind:ident) => {
        impl Record for $ty {
            const KIND: Kind = Kind::$kind;

            fn id_str(&self) -> &str {
                self.id.as_str()
            }

            fn meta(&self) -> Meta {
                Meta {
                    version: self.version,
                    created_at: self.created_at,
                    updated_at: self.updated_at,
                }
            }

            fn set_meta(&mut self, meta: Meta) {
                self.version = meta.version;
                self.created_at = meta.created_at;
                self.updated_at = meta.updated_at;
            }

            fn label(&self) -> &str {
                &self.name
            }

            fn validate_into(&self, report: &mut ValidationReport) {
                $ty::validate_own(self, report)
            }

            fn into_any(self) -> AnyRecord {
                AnyRecord::$kind(Box::new(self))
            }

            fn from_any(any: AnyRecord) -> Result<Self, AnyRecord> {
                match any {
                    AnyRecord::$kind(record) => Ok(*record),
                    other => Err(other),
                }
            }
        }

        impl From<$ty> for AnyRecord {
            fn from(record: $ty) -> AnyRecord {
                record.into_any()
            }
        }
    };
}

impl_record!(Persona, Persona);
impl_record!(Identity, Identity);
impl_record!(Group, Group);

impl Persona {
    fn validate_own(&self, report: &mut ValidationReport) {
        check_id(self.id.as_str(), report, "id");
        text("name", &self.name, caps::NAME, true, report);
        text("topic", &self.topic, caps::TOPIC, true, report);
        text("prompt", &self.prompt, caps::PROMPT, true, report);
        check_map(
            "context",
            &self.context,
            (
                caps::CONTEXT_ENTRIES,
                caps::CONTEXT_KEY,
                caps::CONTEXT_VALUE,
            ),
            report,
        );
        let rag = FieldPath::root("rag");
        rules::max_items(self.rag.len(), caps::RAG_ENTRIES, &rag, report);
        rules::each_max_chars(&self.rag, caps::RAG_ENTRY, &rag, report);
        check_tags(&self.tags, report);
    }
}

impl Identity {
    fn validate_own(&self, report: &mut ValidationReport) {
        check_id(self.id.as_str(), report, "id");
        if self.persona_id.as_str().is_empty() {
            report.push(
                &FieldPath::root("persona_id"),
                Code::Required,
                "is required",
            );
        } else {
            check_id(self.persona_id.as_str(), report, "persona_id");
        }
        text("name", &self.name, caps::NAME, true, report);
        text(
            "description",
            &self.description,
            caps::DESCRIPTION,
            false,
            report,
        );
        text(
            "background",
            &self.background,
            caps::BACKGROUND,
            false,
            report,
        );
        check_tags(&self.tags, report);
        let legacy = (caps::LEGACY_ENTRIES, caps::LEGACY_KEY, caps::LEGACY_VALUE);
        check_map("attributes", &self.attributes, legacy, report);
        check_map("preferences", &self.preferences, legacy, report);
        self.rich_attributes
            .validate_into(&FieldPath::root("rich_attributes"), report);
    }
}

impl Group {
    fn validate_own(&self, report: &mut ValidationReport) {
        check_id(self.id.as_str(), report, "id");
        text("name", &self.name, caps::NAME, true, report);
        text(
            "description",
            &self.description,
            caps::DESCRIPTION,
            false,
            report,
        );
        text("type", &self.kind, caps::GROUP_KIND, false, report);
        let members = FieldPath::root("member_ids");
        rules::max_items(self.member_ids.len(), caps::MEMBERS, &members, report);
        for (index, member) in self.member_ids.iter().enumerate() {
            if !member.is_valid() {
                report.push(
                    &members.index(index),
                    Code::InvalidFormat,
                    "must be a valid identity id",
                );
            }
        }
        check_tags(&self.tags, report);
        for (field, value) in [("diversity", self.diversity), ("cohesion", self.cohesion)] {
            rules::float_range(value, 0.0, 1.0, &FieldPath::root(field), report);
        }
    }
}

impl AnyRecord {
    /// The kind.
    pub fn kind(&self) -> Kind {
        match self {
            AnyRecord::Persona(_) => Kind::Persona,
            AnyRecord::Identity(_) => Kind::Identity,
            AnyRecord::Group(_) => Kind::Group,
        }
    }

    /// The id.
    pub fn id_str(&self) -> &str {
        match self {
            AnyRecord::Persona(r) => r.id_str(),
            AnyRecord::Identity(r) => r.id_str(),
            AnyRecord::Group(r) => r.id_str(),
        }
    }

    /// Version and timestamps.
    pub fn meta(&self) -> Meta {
        match self {
            AnyRecord::Persona(r) => r.meta(),
            AnyRecord::Identity(r) => r.meta(),
            AnyRecord::Group(r) => r.meta(),
        }
    }

    /// Sets version and timestamps.
    pub fn set_meta(&mut self, meta: Meta) {
        match self {
            AnyRecord::Persona(r) => r.set_meta(meta),
            AnyRecord::Identity(r) => r.set_meta(meta),
            AnyRecord::Group(r) => r.set_meta(meta),
        }
    }

    /// The version.
    pub fn version(&self) -> Version {
        self.meta().version
    }

    /// The audit label (the name).
    pub fn label(&self) -> &str {
        match self {
            AnyRecord::Persona(r) => r.label(),
            AnyRecord::Identity(r) => r.label(),
            AnyRecord::Group(r) => r.label(),
        }
    }

    /// Every violation of the record's own rules.
    pub fn validate(&self) -> ValidationReport {
        match self {
            AnyRecord::Persona(r) => r.validate(),
            AnyRecord::Identity(r) => r.validate(),
            AnyRecord::Group(r) => r.validate(),
        }
    }

    /// The identity, if this is one.
    pub fn as_identity(&self) -> Option<&Identity> {
        match self {
            AnyRecord::Identity(identity) => Some(identity),
            _ => None,
        }
    }

    /// The record alone as JSON (without the `kind` wrapper), as backends store it.
    pub fn to_document(&self) -> serde_json::Value {
        let value = match self {
            AnyRecord::Persona(r) => serde_json::to_value(r),
            AnyRecord::Identity(r) => serde_json::to_value(r),
            AnyRecord::Group(r) => serde_json::to_value(r),
        };
        // Serialising these types cannot fail: every map key is a string and every float is
        // checked finite by validation or is a plain field.
        value.unwrap_or(serde_json::Value::Null)
    }

    /// Serialises the record alone (without the `kind` wrapper) to JSON bytes.
    ///
    /// # Errors
    /// Propagates `serde_json` errors (non-finite floats in free-form JSON values).
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        match self {
            AnyRecord::Persona(r) => serde_json::to_vec(r),
            AnyRecord::Identity(r) => serde_json::to_vec(r),
            AnyRecord::Group(r) => serde_json::to_vec(r),
        }
    }

    /// Reads a record of `kind` from its JSON document (the inverse of [`to_json`](Self::to_json)).
    ///
    /// # Errors
    /// The `serde_json` error when the bytes are not a valid document of that kind.
    pub fn from_json(kind: Kind, bytes: &[u8]) -> Result<AnyRecord, serde_json::Error> {
        Ok(match kind {
            Kind::Persona => AnyRecord::Persona(Box::new(parse_json(bytes)?)),
            Kind::Identity => AnyRecord::Identity(Box::new(parse_json(bytes)?)),
            Kind::Group => AnyRecord::Group(Box::new(parse_json(bytes)?)),
        })
    }
}

/// Parses a stored JSON document: what every backend uses to read its records back.
///
/// The bytes are checked as UTF-8 once, as a whole, and parsed as `str`. `serde_json::from_slice`
/// checks every string of the document separately, which costs about a fifth of the parse for
/// records of many short strings.
///
/// # Errors
/// The `serde_json` error when the bytes are not a valid document of type `T` (for bytes that
/// are not UTF-8, the error says where).
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fr0g_identity_reads_as_is() {
        let json = r#"{
          "id": "19c8f94712fcf366", "persona_id": "06c8f4353771f6af", "name": "Jordan Smith",
          "description": "teacher", "created_at": {"seconds": 1751265352, "nanos": 991852672},
          "updated_at": "2025-06-30T01:22:15.787549005-06:00", "is_active": true,
          "tags": ["generated"],
          "rich_attributes": {"demographics": {"age": 42, "gender": "non-binary",
             "education": "graduate", "location": {"city": "Portland", "urban_rural": "urban"}}}
        }"#;
        let identity: Identity = serde_json::from_str(json).unwrap();
        assert!(identity.active);
        assert_eq!(identity.version, Version::NEW);
        let report = identity.validate();
        assert_eq!(report.len(), 1);
        assert_eq!(
            report.violations()[0].path,
            "rich_attributes.demographics.education"
        );
    }

    #[test]
    fn persona_caps_count_characters_and_report_every_violation() {
        let mut persona = Persona::new("é".repeat(100), "", "p");
        persona.context.insert("k".repeat(101), "v".into());
        persona.tags = vec![String::new(); 21];
        let report = persona.validate();
        let paths: Vec<_> = report.iter().map(|v| (v.path.as_str(), v.code)).collect();
        assert!(paths.contains(&("topic", Code::Required)));
        assert!(paths.contains(&("tags", Code::TooManyItems)));
        assert!(paths.contains(&("tags[20]", Code::Required)));
        assert!(
            paths
                .iter()
                .any(|(p, c)| p.starts_with("context[") && *c == Code::TooLong)
        );
        assert!(!paths.iter().any(|(p, _)| *p == "name"));
    }

    #[test]
    fn any_record_round_trips_with_kind_tag() {
        let group = Group::new("Team");
        let any = AnyRecord::from(group.clone());
        let json = serde_json::to_string(&any).unwrap();
        assert!(json.starts_with(r#"{"kind":"group","record":"#));
        assert_eq!(serde_json::from_str::<AnyRecord>(&json).unwrap(), any);
        let bytes = any.to_json().unwrap();
        assert_eq!(AnyRecord::from_json(Kind::Group, &bytes).unwrap(), any);
    }
}
