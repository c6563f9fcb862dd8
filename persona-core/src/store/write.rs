//! Writes: modes, operations, validated batches, and the planning step every backend shares.

use std::borrow::Cow;

use persona_attributes::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::{Actor, Version};
use crate::record::{AnyRecord, Kind, Meta, Record};
use crate::store::history::{Action, AuditEntry, HistoryEntry, VersionInfo};

/// How a put treats an existing record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode", content = "expected")]
pub enum WriteMode {
    /// Fails with [`Error::AlreadyExists`] when the id is taken (even by a soft-deleted record).
    Create,
    /// Fails with [`Error::VersionConflict`] unless the stored version is the one given, and with
    /// [`Error::NotFound`] when there is no live record.
    Update(Version),
    /// Creates or overwrites, whatever the stored version. Does not revive a soft-deleted record
    /// (that is [`Op::Restore`]); it fails with [`Error::AlreadyExists`] instead.
    Upsert,
}

/// One write.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Store a record.
    Put {
        /// The record (validated when the batch was built).
        record: AnyRecord,
        /// Create, update or upsert.
        mode: WriteMode,
    },
    /// Soft-delete: hide from reads and queries, keep restorable.
    Delete {
        /// The kind.
        kind: Kind,
        /// The id.
        id: String,
        /// Fail unless the stored version is this one.
        expected: Option<Version>,
    },
    /// Undo a soft delete.
    Restore {
        /// The kind.
        kind: Kind,
        /// The id.
        id: String,
        /// Fail unless the stored version is this one.
        expected: Option<Version>,
    },
}

/// Lets [`plan`] take a borrowed op.
impl<'a> From<&'a Op> for Cow<'a, Op> {
    fn from(op: &'a Op) -> Self {
        Cow::Borrowed(op)
    }
}

/// Lets [`plan`] take an owned op, whose record it moves.
impl From<Op> for Cow<'_, Op> {
    fn from(op: Op) -> Self {
        Cow::Owned(op)
    }
}

impl Op {
    /// The kind and id the op writes.
    pub fn target(&self) -> (Kind, &str) {
        match self {
            Op::Put { record, .. } => (record.kind(), record.id_str()),
            Op::Delete { kind, id, .. } | Op::Restore { kind, id, .. } => (*kind, id),
        }
    }
}

/// Writes to apply together, by one actor. Built only through methods that validate each record, so
/// a backend never sees an invalid one.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    actor: Actor,
    ops: Vec<Op>,
}

impl Batch {
    /// An empty batch by `actor`.
    pub fn new(actor: Actor) -> Self {
        Batch {
            actor,
            ops: Vec::new(),
        }
    }

    /// Adds a put after validating `record`.
    ///
    /// # Errors
    /// [`Error::Invalid`] with every violation of the record; the batch is unchanged.
    pub fn put<R: Record>(&mut self, record: R, mode: WriteMode) -> Result<&mut Self> {
        self.put_any(record.into_any(), mode)
    }

    /// Adds a put of any kind after validating it.
    ///
    /// # Errors
    /// As [`put`](Self::put).
    pub fn put_any(&mut self, record: AnyRecord, mode: WriteMode) -> Result<&mut Self> {
        let report = record.validate();
        if !report.is_valid() {
            return Err(Error::Invalid(Box::new(report)));
        }
        self.ops.push(Op::Put { record, mode });
        Ok(self)
    }

    /// Adds a soft delete.
    pub fn delete(
        &mut self,
        kind: Kind,
        id: impl Into<String>,
        expected: Option<Version>,
    ) -> &mut Self {
        self.ops.push(Op::Delete {
            kind,
            id: id.into(),
            expected,
        });
        self
    }

    /// Adds a restore.
    pub fn restore(
        &mut self,
        kind: Kind,
        id: impl Into<String>,
        expected: Option<Version>,
    ) -> &mut Self {
        self.ops.push(Op::Restore {
            kind,
            id: id.into(),
            expected,
        });
        self
    }

    /// Who writes.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The operations, in order.
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// The actor and the operations, in order, for a backend that consumes the batch (see
    /// [`plan`], which moves the records of owned ops instead of cloning them).
    pub fn into_parts(self) -> (Actor, Vec<Op>) {
        (self.actor, self.ops)
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// What a backend holds for a record before a write.
#[derive(Debug, Clone, Copy)]
pub struct Current<'a> {
    /// The stored record.
    pub record: &'a AnyRecord,
    /// Whether it is soft-deleted.
    pub deleted: bool,
}

/// What a backend must persist for one op, decided by [`plan`].
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// The record's new state, stamped with its new version and timestamps.
    pub record: AnyRecord,
    /// Whether the new state is soft-deleted.
    pub deleted: bool,
    /// The new version's history metadata; the snapshot is [`record`](Self::record) (see
    /// [`history_entry`](Self::history_entry)).
    pub info: VersionInfo,
    /// The audit entry; `seq` is 0 until the backend assigns one.
    pub audit: AuditEntry,
}

impl Planned {
    /// The new version.
    pub fn version(&self) -> Version {
        self.info.version
    }

    /// The history entry for the new version: its metadata and a snapshot of the record. Clones
    /// the record; backends that store the snapshot by serialising it use
    /// [`info`](Self::info) and [`record`](Self::record) directly.
    pub fn history_entry(&self) -> HistoryEntry {
        HistoryEntry {
            info: self.info.clone(),
            record: self.record.clone(),
        }
    }

    /// True when the op stores an identity whose persona reference the backend must check.
    pub fn needs_persona_check(&self) -> bool {
        self.info.action.writes_content() && self.record.kind() == Kind::Identity
    }
}

/// Decides the outcome of `op` given the record's current state, the time and the actor. Every
/// backend calls this inside its transaction, so write semantics are the same everywhere.
///
/// `op` is a borrowed [`Op`] (`&op`) or an owned one (`op`, from
/// [`Batch::into_parts`]): an owned put moves its record into the [`Planned`] write instead of
/// cloning it, which saves a copy and a drop of every record of a bulk write.
///
/// Backends must additionally check, for a planned identity write
/// ([`Planned::needs_persona_check`]), that its persona exists and is not soft-deleted, failing
/// with [`Error::missing_persona`].
///
/// # Errors
/// [`Error::AlreadyExists`], [`Error::NotFound`] or [`Error::VersionConflict`] per the op's mode.
pub fn plan<'a>(
    op: impl Into<Cow<'a, Op>>,
    current: Option<Current<'_>>,
    actor: &Actor,
    now: Timestamp,
) -> Result<Planned> {
    let op = op.into();
    let (kind, id) = op.target();
    let check_expected = |expected: Option<Version>, current: &Current<'_>| match expected {
        Some(expected) if expected != current.record.version() => Err(Error::VersionConflict {
            kind,
            id: id.to_owned(),
            expected,
            actual: current.record.version(),
        }),
        _ => Ok(()),
    };
    // Every refusal is decided before the record is taken out of the op.
    let (action, deleted, created_at) = match (op.as_ref(), current) {
        (Op::Put { record, mode }, None) => match mode {
            WriteMode::Update(_) => return Err(Error::not_found(kind, id)),
            WriteMode::Create | WriteMode::Upsert => (
                Action::Create,
                false,
                record.meta().created_at.unwrap_or(now),
            ),
        },
        (Op::Put { mode, .. }, Some(current)) => {
            match mode {
                WriteMode::Create => {
                    return Err(Error::AlreadyExists {
                        kind,
                        id: id.to_owned(),
                    });
                }
                WriteMode::Upsert if current.deleted => {
                    return Err(Error::AlreadyExists {
                        kind,
                        id: id.to_owned(),
                    });
                }
                WriteMode::Update(_) if current.deleted => return Err(Error::not_found(kind, id)),
                WriteMode::Update(expected) => check_expected(Some(*expected), &current)?,
                WriteMode::Upsert => {}
            }
            let created = current.record.meta().created_at.unwrap_or(now);
            (Action::Update, false, created)
        }
        (Op::Delete { .. } | Op::Restore { .. }, None) => return Err(Error::not_found(kind, id)),
        (Op::Delete { expected, .. }, Some(current)) => {
            if current.deleted {
                return Err(Error::not_found(kind, id));
            }
            check_expected(*expected, &current)?;
            let created = current.record.meta().created_at.unwrap_or(now);
            (Action::Delete, true, created)
        }
        (Op::Restore { expected, .. }, Some(current)) => {
            if !current.deleted {
                return Err(Error::AlreadyExists {
                    kind,
                    id: id.to_owned(),
                });
            }
            check_expected(*expected, &current)?;
            let created = current.record.meta().created_at.unwrap_or(now);
            (Action::Restore, false, created)
        }
    };
    let audit_id = id.to_owned();
    let mut record = match op {
        Cow::Owned(Op::Put { record, .. }) => record,
        Cow::Borrowed(Op::Put { record, .. }) => record.clone(),
        // Deletes and restores keep the stored content; `current` is `Some` for them here.
        Cow::Owned(Op::Delete { .. } | Op::Restore { .. })
        | Cow::Borrowed(Op::Delete { .. } | Op::Restore { .. }) => current
            .map(|current| current.record.clone())
            .ok_or_else(|| Error::not_found(kind, &audit_id))?,
    };
    let version = current.map_or(Version::FIRST, |c| c.record.version().next());
    record.set_meta(Meta {
        version,
        created_at: Some(created_at),
        updated_at: Some(now),
    });
    if let AnyRecord::Group(group) = &mut record {
        group.size = group.member_ids.len() as u64;
    }
    let info = VersionInfo {
        version,
        action,
        actor: actor.clone(),
        at: now,
        deleted,
    };
    let audit = AuditEntry {
        seq: 0,
        at: now,
        actor: actor.clone(),
        action,
        kind,
        id: audit_id,
        version,
        label: Some(record.label().to_owned()),
    };
    Ok(Planned {
        info,
        record,
        deleted,
        audit,
    })
}

/// The audit entry a purge appends (it carries no label: the record's personal data is gone).
pub fn purge_audit(
    kind: Kind,
    id: &str,
    last: Version,
    actor: &Actor,
    now: Timestamp,
) -> AuditEntry {
    AuditEntry {
        seq: 0,
        at: now,
        actor: actor.clone(),
        action: Action::Purge,
        kind,
        id: id.to_owned(),
        version: last,
        label: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Persona;

    fn persona() -> AnyRecord {
        Persona::new("A", "t", "p").into_any()
    }

    #[test]
    fn create_update_delete_restore_bump_versions() {
        let actor = Actor::new("me");
        let now = Timestamp::now();
        let put = |mode| Op::Put {
            record: persona(),
            mode,
        };
        let first = plan(put(WriteMode::Create), None, &actor, now).unwrap();
        assert_eq!(first.version(), Version::FIRST);
        assert_eq!(first.audit.label.as_deref(), Some("A"));
        let current = Current {
            record: &first.record,
            deleted: false,
        };
        assert!(matches!(
            plan(put(WriteMode::Create), Some(current), &actor, now),
            Err(Error::AlreadyExists { .. })
        ));
        assert!(matches!(
            plan(
                put(WriteMode::Update(Version(7))),
                Some(current),
                &actor,
                now
            ),
            Err(Error::VersionConflict {
                actual: Version(1),
                ..
            })
        ));
        let second = plan(
            put(WriteMode::Update(Version(1))),
            Some(current),
            &actor,
            now,
        )
        .unwrap();
        assert_eq!(second.version(), Version(2));
        let delete = Op::Delete {
            kind: Kind::Persona,
            id: first.record.id_str().into(),
            expected: None,
        };
        let deleted = plan(&delete, Some(current), &actor, now).unwrap();
        assert!(deleted.deleted);
        let gone = Current {
            record: &deleted.record,
            deleted: true,
        };
        assert!(matches!(
            plan(put(WriteMode::Update(Version(2))), Some(gone), &actor, now),
            Err(Error::NotFound { .. })
        ));
    }

    #[test]
    fn owned_ops_plan_like_borrowed_ones() {
        let (actor, now) = (Actor::new("me"), Timestamp::now());
        let mut batch = Batch::new(actor.clone());
        batch.put_any(persona(), WriteMode::Create).unwrap();
        let stored = plan(&batch.ops()[0], None, &actor, now).unwrap();
        let current = Current {
            record: &stored.record,
            deleted: false,
        };
        batch
            .put_any(stored.record.clone(), WriteMode::Update(Version(1)))
            .unwrap();
        batch.delete(Kind::Persona, stored.record.id_str(), Some(Version(1)));
        batch.restore(Kind::Persona, stored.record.id_str(), None);
        let borrowed: Vec<_> = batch
            .ops()
            .iter()
            .map(|op| plan(op, Some(current), &actor, now).map_err(|e| e.to_string()))
            .collect();
        let (owner, ops) = batch.into_parts();
        assert_eq!(owner, actor);
        let owned: Vec<_> = ops
            .into_iter()
            .map(|op| plan(op, Some(current), &actor, now).map_err(|e| e.to_string()))
            .collect();
        assert_eq!(owned, borrowed);
        assert!(owned[0].is_err(), "a create of a stored id is refused");
        assert_eq!(owned[1].as_ref().unwrap().version(), Version(2));
        assert!(owned[2].as_ref().unwrap().deleted);
        assert!(owned[3].is_err(), "a restore of a live record is refused");
    }

    #[test]
    fn batches_reject_invalid_records() {
        let mut batch = Batch::new(Actor::new("me"));
        let err = batch
            .put(Persona::new("", "", ""), WriteMode::Create)
            .unwrap_err();
        assert_eq!(err.report().unwrap().len(), 3);
        assert!(batch.is_empty());
    }
}
