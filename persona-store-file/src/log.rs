//! The per-namespace history and audit log: the journal that makes batches atomic.
//!
//! The log is a stream of JSON objects (read it with `jq`). A batch of `n` ops is `n` op entries
//! carrying the batch number and `n`, each with its audit fields and the full pretty-printed
//! document of the version it wrote (`"record": null` for a purge, and for entries whose content a
//! purge erased). The batch is committed once all its entries are on disk and synced. A
//! `{"done": batch}` marker follows once every record file of the batch is in place; a committed
//! batch without one is completed when the store is next opened.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use persona_core::attributes::Timestamp;
use persona_core::{Action, Actor, AuditEntry, Kind, Tombstone, Version, VersionInfo};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{FileError, FileResult};

/// A record key within a namespace.
pub(crate) type Key = (Kind, String);

/// Where a document sits in the log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) offset: u64,
    pub(crate) len: u64,
}

/// One version in a record's history.
#[derive(Debug, Clone)]
pub(crate) struct HistRef {
    pub(crate) info: VersionInfo,
    /// `None` only for content a purge erased (and such entries are dropped with the history).
    pub(crate) span: Option<Span>,
}

/// History, audit and tombstones of one namespace, as committed to its log.
#[derive(Debug, Clone, Default)]
pub(crate) struct LogState {
    pub(crate) history: HashMap<Key, Vec<HistRef>>,
    pub(crate) audit: Vec<AuditEntry>,
    pub(crate) tombstones: HashMap<Key, Tombstone>,
    pub(crate) seq: u64,
    pub(crate) batch: u64,
    /// Length of the log file (committed entries and done markers).
    pub(crate) len: u64,
}

/// The state a committed batch leaves a record in, for completing an interrupted batch.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Final {
    /// The record file must hold the document at this span.
    Live(Span),
    /// There must be no record file (soft-deleted or purged).
    Gone,
}

/// A committed batch without its done marker.
#[derive(Debug, Clone)]
pub(crate) struct Undone {
    pub(crate) batch: u64,
    pub(crate) finals: BTreeMap<Key, Final>,
}

/// What reading a log found.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub(crate) state: LogState,
    pub(crate) undone: Vec<Undone>,
    /// Bytes past the committed prefix (an unfinished batch cut short by a crash).
    pub(crate) torn: u64,
}

#[derive(Serialize)]
struct HeadOut<'a> {
    batch: u64,
    ops: usize,
    seq: u64,
    at: Timestamp,
    actor: &'a Actor,
    action: Action,
    kind: Kind,
    id: &'a str,
    version: Version,
    deleted: bool,
    label: Option<&'a str>,
}

#[derive(Deserialize)]
struct LineIn<'a> {
    #[serde(default)]
    done: Option<u64>,
    #[serde(default)]
    batch: Option<u64>,
    #[serde(default)]
    ops: Option<usize>,
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default)]
    at: Option<Timestamp>,
    #[serde(default)]
    actor: Option<Actor>,
    #[serde(default)]
    action: Option<Action>,
    #[serde(default)]
    kind: Option<Kind>,
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default)]
    version: Option<Version>,
    #[serde(default)]
    deleted: Option<bool>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default, borrow)]
    record: Option<&'a RawValue>,
}

/// An op entry read back.
struct OpIn {
    batch: u64,
    ops: usize,
    entry: AuditEntry,
    deleted: bool,
    span: Option<Span>,
}

enum Item {
    Done(u64),
    Op(OpIn),
}

fn parse_item(line: LineIn<'_>, base: *const u8) -> Option<Item> {
    if let Some(batch) = line.done {
        return Some(Item::Done(batch));
    }
    let span = line.record.map(|raw| Span {
        offset: (raw.get().as_ptr() as usize - base as usize) as u64,
        len: raw.get().len() as u64,
    });
    Some(Item::Op(OpIn {
        batch: line.batch?,
        ops: line.ops?,
        entry: AuditEntry {
            seq: line.seq?,
            at: line.at?,
            actor: line.actor?,
            action: line.action?,
            kind: line.kind?,
            id: line.id?.into_owned(),
            version: line.version?,
            label: line.label,
        },
        deleted: line.deleted?,
        span,
    }))
}

/// Appends one op entry to `buf`; returns the span of `doc` (without its final newline) relative to
/// the start of `buf`.
pub(crate) fn encode_op(
    buf: &mut Vec<u8>,
    (batch, ops): (u64, usize),
    entry: &AuditEntry,
    deleted: bool,
    doc: Option<&[u8]>,
) -> FileResult<Option<Span>> {
    let head = HeadOut {
        batch,
        ops,
        seq: entry.seq,
        at: entry.at,
        actor: &entry.actor,
        action: entry.action,
        kind: entry.kind,
        id: &entry.id,
        version: entry.version,
        deleted,
        label: entry.label.as_deref(),
    };
    serde_json::to_writer(&mut *buf, &head).map_err(FileError::Serialize)?;
    buf.pop(); // the closing brace; the record goes last
    buf.extend_from_slice(b",\"record\":");
    let span = match doc {
        Some(doc) => {
            let span = Span {
                offset: buf.len() as u64,
                len: doc.strip_suffix(b"\n").unwrap_or(doc).len() as u64,
            };
            buf.extend_from_slice(doc);
            Some(span)
        }
        None => {
            buf.extend_from_slice(b"null");
            None
        }
    };
    buf.extend_from_slice(b"}\n");
    Ok(span)
}

/// The marker written once a batch's files are all in place.
pub(crate) fn encode_done(batch: u64) -> Vec<u8> {
    format!("{{\"done\":{batch}}}\n").into_bytes()
}

/// Each JSON value of `bytes` with its byte range; stops at the first error.
fn values(
    bytes: &[u8],
) -> impl Iterator<Item = Result<(LineIn<'_>, usize, usize), serde_json::Error>> + '_ {
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<LineIn<'_>>();
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed {
            return None;
        }
        let start = stream.byte_offset();
        match stream.next()? {
            Ok(line) => {
                let end = stream.byte_offset();
                let skipped = bytes[start..end]
                    .iter()
                    .take_while(|b| b.is_ascii_whitespace())
                    .count();
                Some(Ok((line, start + skipped, end)))
            }
            Err(e) => {
                failed = true;
                Some(Err(e))
            }
        }
    })
}

fn corrupt_entry(offset: usize) -> FileError {
    FileError::corrupt(
        format!("log entry at byte {offset} lacks required fields"),
        None,
    )
}

/// Reads a log. Committed batches go into the state; an unfinished batch at the end (cut short
/// by a crash) is counted in `torn`.
///
/// # Errors
/// [`FileError::Corrupt`] for damage that a crash cannot cause (bad JSON before the end).
pub(crate) fn scan(bytes: &[u8]) -> FileResult<Scan> {
    let mut scan = Scan::default();
    let mut open: Vec<OpIn> = Vec::new();
    let mut open_batch: Option<(u64, usize)> = None;
    let mut committed_end = 0usize;
    let mut pending: BTreeMap<u64, Undone> = BTreeMap::new();
    for value in values(bytes) {
        let (line, start, end) = match value {
            Ok(v) => v,
            Err(e) => {
                let tail = &bytes[committed_end..];
                // A crash mid-append leaves a prefix of an entry (EOF) or, after a power loss,
                // zero-filled blocks; anything else is damage a crash cannot cause.
                if e.is_eof() || tail.contains(&0) {
                    break;
                }
                return Err(FileError::corrupt(
                    format!("history log unreadable after byte {committed_end}"),
                    Some(e),
                ));
            }
        };
        match parse_item(line, bytes.as_ptr()).ok_or_else(|| corrupt_entry(start))? {
            Item::Done(batch) => {
                if open_batch.is_some() {
                    return Err(corrupt_entry(start));
                }
                pending.remove(&batch);
                committed_end = end;
            }
            Item::Op(op) => {
                match open_batch {
                    None => open_batch = Some((op.batch, op.ops)),
                    Some((batch, _)) if batch != op.batch => return Err(corrupt_entry(start)),
                    Some(_) => {}
                }
                open.push(op);
                let (batch, ops) = open_batch.unwrap_or_default();
                if open.len() >= ops {
                    let finals = commit(&mut scan.state, std::mem::take(&mut open));
                    scan.state.batch = scan.state.batch.max(batch);
                    pending.insert(batch, Undone { batch, finals });
                    open_batch = None;
                    committed_end = end;
                }
            }
        }
    }
    // Separators after the last committed value belong to it.
    while bytes
        .get(committed_end)
        .is_some_and(u8::is_ascii_whitespace)
    {
        committed_end += 1;
    }
    scan.state.len = committed_end as u64;
    scan.torn = (bytes.len() - committed_end) as u64;
    scan.undone = pending.into_values().collect();
    Ok(scan)
}

/// Applies the ops of one committed batch to `state`; returns each record's final state.
pub(crate) fn commit_entries(
    state: &mut LogState,
    ops: impl IntoIterator<Item = (AuditEntry, bool, Option<Span>)>,
) -> BTreeMap<Key, Final> {
    let mut finals = BTreeMap::new();
    for (entry, deleted, span) in ops {
        let key = (entry.kind, entry.id.clone());
        state.seq = state.seq.max(entry.seq);
        if entry.action == Action::Purge {
            state.history.remove(&key);
            state.tombstones.insert(
                key.clone(),
                Tombstone {
                    kind: entry.kind,
                    id: entry.id.clone(),
                    last_version: entry.version,
                    purged_at: entry.at,
                    actor: entry.actor.clone(),
                },
            );
            finals.insert(key, Final::Gone);
        } else {
            let info = VersionInfo {
                version: entry.version,
                action: entry.action,
                actor: entry.actor.clone(),
                at: entry.at,
                deleted,
            };
            state
                .history
                .entry(key.clone())
                .or_default()
                .push(HistRef { info, span });
            let last = match span {
                Some(span) if !deleted => Final::Live(span),
                _ => Final::Gone,
            };
            finals.insert(key, last);
        }
        state.audit.push(entry);
    }
    finals
}

fn commit(state: &mut LogState, ops: Vec<OpIn>) -> BTreeMap<Key, Final> {
    commit_entries(
        state,
        ops.into_iter().map(|op| (op.entry, op.deleted, op.span)),
    )
}

/// The log with the content and labels of `key`'s entries erased, every other byte kept.
///
/// # Errors
/// As [`scan`].
pub(crate) fn erase(bytes: &[u8], key: &Key) -> FileResult<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    for value in values(bytes) {
        let (line, start, end) = value
            .map_err(|e| FileError::corrupt("history log unreadable while erasing", Some(e)))?;
        match parse_item(line, bytes.as_ptr()).ok_or_else(|| corrupt_entry(start))? {
            Item::Op(mut op) if op.entry.kind == key.0 && op.entry.id == key.1 => {
                op.entry.label = None;
                encode_op(&mut out, (op.batch, op.ops), &op.entry, op.deleted, None)?;
            }
            _ => {
                out.extend_from_slice(&bytes[start..end]);
                out.push(b'\n');
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, id: &str, action: Action) -> AuditEntry {
        AuditEntry {
            seq,
            at: Timestamp::now(),
            actor: Actor::new("t"),
            action,
            kind: Kind::Persona,
            id: id.into(),
            version: Version(seq),
            label: Some("Label".into()),
        }
    }

    #[test]
    fn batches_commit_only_when_complete() {
        let mut log = Vec::new();
        let doc = b"{\n  \"id\": \"a\"\n}\n";
        encode_op(
            &mut log,
            (1, 1),
            &entry(1, "a", Action::Create),
            false,
            Some(doc),
        )
        .unwrap();
        log.extend(encode_done(1));
        let committed = log.len();
        encode_op(
            &mut log,
            (2, 2),
            &entry(2, "a", Action::Update),
            false,
            Some(doc),
        )
        .unwrap();
        let scan = scan(&log).unwrap();
        assert_eq!(scan.state.len, committed as u64);
        assert_eq!(scan.torn, (log.len() - committed) as u64);
        assert!(scan.undone.is_empty());
        let span = scan.state.history[&(Kind::Persona, "a".into())][0]
            .span
            .unwrap();
        let at = span.offset as usize;
        assert_eq!(&log[at..at + span.len as usize], &doc[..doc.len() - 1]);
    }

    #[test]
    fn committed_batch_without_marker_is_undone_and_torn_tail_is_cut() {
        let mut log = Vec::new();
        encode_op(
            &mut log,
            (1, 1),
            &entry(1, "a", Action::Create),
            false,
            Some(b"{}\n"),
        )
        .unwrap();
        let committed = log.len();
        log.extend_from_slice(b"{\"batch\":2,\"ops\":1,\"seq\":2,\"at\":\"20");
        let scan = scan(&log).unwrap();
        assert_eq!(scan.undone.len(), 1);
        assert_eq!(scan.state.len, committed as u64);
        assert!(scan.torn > 0);
    }

    #[test]
    fn garbage_before_the_end_is_corruption() {
        let mut log = b"{\"done\":1}\n!!\n".to_vec();
        log.extend(encode_done(2));
        assert!(scan(&log).is_err());
    }

    #[test]
    fn erase_keeps_audit_without_content_or_label() {
        let mut log = Vec::new();
        encode_op(
            &mut log,
            (1, 2),
            &entry(1, "a", Action::Create),
            false,
            Some(b"{}\n"),
        )
        .unwrap();
        encode_op(
            &mut log,
            (1, 2),
            &entry(2, "b", Action::Create),
            false,
            Some(b"{}\n"),
        )
        .unwrap();
        log.extend(encode_done(1));
        let erased = erase(&log, &(Kind::Persona, "a".into())).unwrap();
        let scan = scan(&erased).unwrap();
        assert_eq!(scan.state.audit.len(), 2);
        assert_eq!(scan.state.audit[0].label, None);
        assert_eq!(scan.state.audit[1].label.as_deref(), Some("Label"));
        assert!(
            scan.state.history[&(Kind::Persona, "a".into())][0]
                .span
                .is_none()
        );
        assert_eq!(scan.state.len, erased.len() as u64);
    }
}
