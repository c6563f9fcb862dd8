//! One namespace in memory, and how it is loaded (and, after a crash, repaired) from disk.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use persona_core::id::is_valid_id;
use persona_core::query::IndexFields;
use persona_core::{AnyRecord, Identity, Kind, Namespace, Version};

use crate::error::{FileError, FileResult};
use crate::layout::{self, SpaceDir, TMP_SUFFIX};
use crate::log::{self, Final, HistRef, Key, LogState, Span};
use crate::report::{Issue, LoadReport, Problem};

/// A record as the store holds it.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) record: AnyRecord,
    pub(crate) deleted: bool,
    pub(crate) fields: Option<IndexFields>,
}

impl Entry {
    pub(crate) fn new(record: AnyRecord, deleted: bool) -> Self {
        let fields = record.as_identity().map(IndexFields::of);
        Entry {
            record,
            deleted,
            fields,
        }
    }
}

/// One namespace: its records, the files it could not read, and its log state.
#[derive(Debug)]
pub(crate) struct Space {
    pub(crate) dir: SpaceDir,
    pub(crate) records: BTreeMap<Key, Entry>,
    /// Record files that could not be read at open (relative paths); their ids refuse writes.
    pub(crate) blocked: BTreeMap<Key, std::path::PathBuf>,
    pub(crate) log: LogState,
    /// Whether the folders exist (a namespace is created on its first write).
    pub(crate) created: bool,
}

impl Space {
    pub(crate) fn empty(dir: SpaceDir) -> Self {
        Space {
            dir,
            records: BTreeMap::new(),
            blocked: BTreeMap::new(),
            log: LogState::default(),
            created: false,
        }
    }

    pub(crate) fn live_identities(&self) -> impl Iterator<Item = (&Identity, &IndexFields)> {
        let start = (Kind::Identity, String::new());
        self.records
            .range(start..)
            .take_while(|((kind, _), _)| *kind == Kind::Identity)
            .filter(|(_, entry)| !entry.deleted)
            .filter_map(|(_, entry)| Some((entry.record.as_identity()?, entry.fields.as_ref()?)))
    }

    pub(crate) fn history(&self, key: &Key) -> &[HistRef] {
        self.log.history.get(key).map_or(&[], Vec::as_slice)
    }
}

struct Loader<'a> {
    dir: &'a SpaceDir,
    namespace: &'a Namespace,
    report: &'a mut LoadReport,
}

impl Loader<'_> {
    fn problem(&mut self, path: &Path, key: Option<(Kind, &str)>, issue: Issue) {
        self.report.push(Problem {
            namespace: self.namespace.clone(),
            path: self.dir.relative(path),
            kind: key.map(|(kind, _)| kind),
            id: key.map(|(_, id)| id.to_owned()),
            issue,
        });
    }
}

fn parse_category(error: &serde_json::Error) -> &'static str {
    match error.classify() {
        serde_json::error::Category::Io => "io",
        serde_json::error::Category::Syntax => "syntax",
        serde_json::error::Category::Data => "data",
        serde_json::error::Category::Eof => "eof",
    }
}

fn snapshot(bytes: &[u8], span: Span) -> &[u8] {
    &bytes[span.offset as usize..(span.offset + span.len) as usize]
}

/// Reads a namespace from disk: completes an interrupted batch, cuts a torn log tail, removes
/// stray temporary files, then indexes every record file and reports what it could not take.
///
/// # Errors
/// I/O errors on the log or folders, and [`FileError::Corrupt`] for a damaged log.
pub(crate) fn load(
    dir: SpaceDir,
    namespace: &Namespace,
    report: &mut LoadReport,
) -> FileResult<Space> {
    let mut loader = Loader {
        dir: &dir,
        namespace,
        report,
    };
    let log_path = dir.log_path();
    let log_bytes = layout::read_if_exists(&log_path)
        .map_err(FileError::io("reading", &log_path))?
        .unwrap_or_default();
    let scan = log::scan(&log_bytes)?;
    let mut state = scan.state;
    if scan.torn > 0 {
        let file = OpenOptions::new()
            .write(true)
            .open(&log_path)
            .map_err(FileError::io("opening", &log_path))?;
        file.set_len(state.len)
            .and_then(|()| file.sync_data())
            .map_err(FileError::io("truncating", &log_path))?;
        loader.problem(
            &log_path,
            None,
            Issue::TornLog {
                discarded: scan.torn,
            },
        );
    }
    for undone in &scan.undone {
        complete(&dir, &log_bytes, &undone.finals)?;
        let marker = log::encode_done(undone.batch);
        append_synced(&log_path, &marker)?;
        state.len += marker.len() as u64;
        loader.problem(
            &log_path,
            None,
            Issue::Recovered {
                batch: undone.batch,
            },
        );
    }
    let log_tmp = dir.log_tmp_path();
    if layout::remove_if_exists(&log_tmp).map_err(FileError::io("removing", &log_tmp))? {
        loader.problem(&log_tmp, None, Issue::StrayTempFile);
    }

    let mut files: BTreeMap<Key, AnyRecord> = BTreeMap::new();
    let mut blocked = BTreeMap::new();
    for kind in Kind::ALL {
        read_kind(&mut loader, kind, &mut files, &mut blocked)?;
    }

    let mut records = BTreeMap::new();
    let mut from_files = BTreeSet::new();
    for (key, mut record) in files {
        let last = state.history.get(&key).and_then(|h| h.last());
        if let Some(last) = last {
            let found = record.version();
            if last.info.deleted || found != last.info.version {
                let path = dir.record_path(key.0, &key.1);
                loader.problem(
                    &path,
                    Some((key.0, &key.1)),
                    Issue::ChangedOutside {
                        logged: last.info.version,
                        found,
                    },
                );
                let mut meta = record.meta();
                meta.version = Version(found.0.max(last.info.version.0));
                record.set_meta(meta);
            }
        }
        from_files.insert(key.clone());
        records.insert(key, Entry::new(record, false));
    }
    for (key, history) in &state.history {
        if records.contains_key(key) || blocked.contains_key(key) {
            continue;
        }
        let Some(last) = history.last() else { continue };
        let Some(span) = last.span else {
            return Err(FileError::corrupt(
                format!("history of {} {} has no content", key.0, key.1),
                None,
            ));
        };
        let record = AnyRecord::from_json(key.0, snapshot(&log_bytes, span)).map_err(|e| {
            FileError::corrupt(
                format!("history of {} {} is not a document", key.0, key.1),
                Some(e),
            )
        })?;
        if !last.info.deleted {
            let path = dir.record_path(key.0, &key.1);
            loader.problem(
                &path,
                Some((key.0, &key.1)),
                Issue::MissingFile {
                    logged: last.info.version,
                },
            );
        }
        records.insert(key.clone(), Entry::new(record, true));
    }

    for key in &from_files {
        let record = &records[key].record;
        let violations = record.validate();
        let path = dir.record_path(key.0, &key.1);
        if !violations.is_valid() {
            loader.problem(&path, Some((key.0, &key.1)), Issue::Invalid { violations });
        }
    }
    for ((kind, id), entry) in &records {
        let Some(identity) = entry.record.as_identity() else {
            continue;
        };
        if entry.deleted {
            continue;
        }
        let persona = (Kind::Persona, identity.persona_id.as_str().to_owned());
        if records.get(&persona).is_none_or(|p| p.deleted) {
            let path = dir.record_path(*kind, id);
            loader.problem(
                &path,
                Some((*kind, id)),
                Issue::MissingPersona {
                    persona_id: persona.1,
                },
            );
        }
    }
    for kind in Kind::ALL {
        let count = records.keys().filter(|(k, _)| *k == kind).count();
        loader.report.set_loaded(namespace, kind, count);
    }
    let created = dir.sidecar().is_dir();
    Ok(Space {
        dir,
        records,
        blocked,
        log: state,
        created,
    })
}

fn read_kind(
    loader: &mut Loader<'_>,
    kind: Kind,
    files: &mut BTreeMap<Key, AnyRecord>,
    blocked: &mut BTreeMap<Key, std::path::PathBuf>,
) -> FileResult<()> {
    let folder = loader.dir.data_dir(kind);
    let entries = match fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(FileError::io("listing", &folder)(e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(FileError::io("listing", &folder))?;
        names.push(entry.path());
    }
    names.sort();
    for path in names {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if path.is_dir() {
            loader.problem(&path, None, Issue::Ignored);
            continue;
        }
        if name.starts_with('.') && name.ends_with(TMP_SUFFIX) {
            layout::remove_if_exists(&path).map_err(FileError::io("removing", &path))?;
            loader.problem(&path, None, Issue::StrayTempFile);
            continue;
        }
        let Some(id) = name.strip_suffix(".json") else {
            loader.problem(&path, None, Issue::Ignored);
            continue;
        };
        if !is_valid_id(id) {
            loader.problem(&path, None, Issue::BadFileName);
            continue;
        }
        let key = (kind, id.to_owned());
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                let issue = Issue::Unreadable {
                    error: e.kind().to_string(),
                };
                loader.problem(&path, Some((kind, id)), issue);
                blocked.insert(key, loader.dir.relative(&path));
                continue;
            }
        };
        match AnyRecord::from_json(kind, &bytes) {
            Ok(record) if record.id_str() == id => {
                files.insert(key, record);
            }
            Ok(record) => {
                let found = record.id_str().to_owned();
                loader.problem(&path, Some((kind, id)), Issue::IdMismatch { found });
                blocked.insert(key, loader.dir.relative(&path));
            }
            Err(e) => {
                let issue = Issue::Unparseable {
                    line: e.line(),
                    column: e.column(),
                    category: parse_category(&e),
                };
                loader.problem(&path, Some((kind, id)), issue);
                blocked.insert(key, loader.dir.relative(&path));
            }
        }
    }
    Ok(())
}

/// Makes every record file of a committed batch match the log.
fn complete(dir: &SpaceDir, log_bytes: &[u8], finals: &BTreeMap<Key, Final>) -> FileResult<()> {
    let mut touched = BTreeSet::new();
    for ((kind, id), last) in finals {
        let path = dir.record_path(*kind, id);
        match last {
            Final::Gone => {
                if layout::remove_if_exists(&path).map_err(FileError::io("removing", &path))? {
                    touched.insert(*kind);
                }
            }
            Final::Live(span) => {
                let mut want = snapshot(log_bytes, *span).to_vec();
                want.push(b'\n');
                let have =
                    layout::read_if_exists(&path).map_err(FileError::io("reading", &path))?;
                if have.as_deref() != Some(&want) {
                    let temp = dir.temp_path(*kind, id);
                    layout::write_synced(&temp, &want)
                        .and_then(|()| fs::rename(&temp, &path))
                        .map_err(FileError::io("writing", &path))?;
                    touched.insert(*kind);
                }
            }
        }
    }
    for kind in touched {
        let folder = dir.data_dir(kind);
        layout::sync_dir(&folder).map_err(FileError::io("syncing", &folder))?;
    }
    Ok(())
}

/// Appends `bytes` to the log and syncs it.
pub(crate) fn append_synced(path: &Path, bytes: &[u8]) -> FileResult<()> {
    let mut file = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(FileError::io("opening", path))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_data())
        .map_err(FileError::io("appending to", path))
}
