//! History, audit and tombstone records.

use std::fmt;

use persona_attributes::Timestamp;
use serde::{Deserialize, Serialize};

use crate::id::{Actor, Version};
use crate::record::{AnyRecord, Kind};

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// First write.
    Create,
    /// A later write of new content (including rollbacks).
    Update,
    /// Soft delete.
    Delete,
    /// Undo of a soft delete.
    Restore,
    /// Erasure of the record and its history.
    Purge,
}

impl Action {
    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Restore => "restore",
            Action::Purge => "purge",
        }
    }

    /// Parses [`as_str`](Self::as_str) output.
    pub fn parse(value: &str) -> Option<Action> {
        Some(match value {
            "create" => Action::Create,
            "update" => Action::Update,
            "delete" => Action::Delete,
            "restore" => Action::Restore,
            "purge" => Action::Purge,
            _ => return None,
        })
    }

    /// True for actions that store caller-supplied content (create, update).
    pub const fn writes_content(self) -> bool {
        matches!(self, Action::Create | Action::Update)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One version of a record, without its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// The version.
    pub version: Version,
    /// What produced it.
    pub action: Action,
    /// Who.
    pub actor: Actor,
    /// When.
    pub at: Timestamp,
    /// Whether the record was soft-deleted in this version.
    pub deleted: bool,
}

/// One version of a record with its full content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The version's metadata.
    #[serde(flatten)]
    pub info: VersionInfo,
    /// The record as it was in this version.
    pub record: AnyRecord,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the namespace's log, increasing.
    pub seq: u64,
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: Actor,
    /// What.
    pub action: Action,
    /// The record's kind.
    pub kind: Kind,
    /// The record's id.
    pub id: String,
    /// The version written (for a purge, the last version).
    pub version: Version,
    /// The record's name at the time, for people reading the log. Personal data: a purge erases it
    /// from every entry of the record.
    pub label: Option<String>,
}

/// Which audit entries to read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuditQuery {
    /// Only this kind.
    pub kind: Option<Kind>,
    /// Only this record (with `kind`).
    pub id: Option<String>,
    /// Only entries with `seq` greater than this.
    pub after_seq: Option<u64>,
    /// At most this many (oldest first); `None` for all.
    pub limit: Option<usize>,
}

impl AuditQuery {
    /// Every entry of one record.
    pub fn record(kind: Kind, id: impl Into<String>) -> Self {
        AuditQuery {
            kind: Some(kind),
            id: Some(id.into()),
            ..AuditQuery::default()
        }
    }

    /// True when `entry` is selected (ignoring `limit`).
    pub fn matches(&self, entry: &AuditEntry) -> bool {
        self.kind.is_none_or(|k| k == entry.kind)
            && self.id.as_deref().is_none_or(|id| id == entry.id)
            && self.after_seq.is_none_or(|seq| entry.seq > seq)
    }
}

/// What remains of a purged record: no content, no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// The kind.
    pub kind: Kind,
    /// The id.
    pub id: String,
    /// The last version before the purge.
    pub last_version: Version,
    /// When it was purged.
    pub purged_at: Timestamp,
    /// Who purged it.
    pub actor: Actor,
}
