//! [`FileStore`]: opening, writing and reading.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::Bound;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Instant;

use async_trait::async_trait;
use persona_core::attributes::Timestamp;
use persona_core::query::{self, Facet, FacetCounts, Filter, ListRequest, Page, Query};
use persona_core::store::{Current, Planned, plan, purge_audit};
use persona_core::{
    Actor, AnyRecord, AuditEntry, AuditQuery, Batch, Capabilities, Error, Health, HistoryEntry,
    Identity, Kind, Namespace, Result, Store, Tombstone, Version, VersionInfo,
};

use crate::error::{BACKEND, FileError, FileResult, StoreLocked};
use crate::layout::{self, LOCK, NAMESPACES, SIDECAR, SpaceDir};
use crate::log::{self, Key};
use crate::report::{Issue, LoadReport, Problem};
use crate::space::{self, Entry, Space, append_synced};

/// A store of pretty-printed JSON files in the fr0g-ai-aip layout, with history and audit in a
/// sidecar folder. See the [crate documentation](crate) for the layout, durability and limits.
///
/// The handle is cheap to clone (clones share the open directory) and bound to one namespace;
/// [`with_namespace`](Self::with_namespace) gives handles on the others. The directory stays
/// locked against other writers until the last handle is dropped.
#[derive(Clone)]
pub struct FileStore {
    shared: Arc<Shared>,
    namespace: Namespace,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("root", &self.shared.root)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

struct Shared {
    root: PathBuf,
    /// Held for the store's lifetime: the advisory lock lives as long as this file is open.
    _lock: File,
    /// Serialises writes; holds the reason the store refuses writes after a failed batch.
    writer: Mutex<Option<Arc<FileError>>>,
    spaces: RwLock<HashMap<Namespace, Space>>,
    report: LoadReport,
}

fn lock_root(root: &Path) -> FileResult<File> {
    let sidecar = root.join(SIDECAR);
    fs::create_dir_all(&sidecar).map_err(FileError::io("creating", &sidecar))?;
    let lock_path = sidecar.join(LOCK);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(FileError::io("opening", &lock_path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(FileError::Locked(StoreLocked { lock_path })),
        Err(TryLockError::Error(e)) => Err(FileError::io("locking", &lock_path)(e)),
    }
}

impl FileStore {
    /// Opens (creating if needed) the data directory at `root` for reading and writing, bound to
    /// the `default` namespace, whose records are the fr0g-ai-aip folders of `root` itself.
    ///
    /// Scans every namespace once and builds the in-memory index. Before indexing, it completes a
    /// batch a crash interrupted after its commit, cuts a torn end off a log and removes stray
    /// temporary files; every file it could not take as it is is listed in
    /// [`load_report`](Self::load_report) and left on disk untouched. This blocks for a time
    /// proportional to the size of the directory.
    ///
    /// # Errors
    /// A retryable [`Error::Backend`] whose source is [`StoreLocked`] when another store (in this
    /// process or another) has the directory open; [`Error::Unavailable`] for I/O errors;
    /// [`Error::Corrupt`] when a history log is damaged in a way a crash cannot cause.
    pub fn open(root: impl AsRef<Path>) -> Result<FileStore> {
        let root = root.as_ref();
        fs::create_dir_all(root).map_err(FileError::io("creating", root))?;
        let lock = lock_root(root)?;
        let mut report = LoadReport::default();
        let mut spaces = HashMap::new();
        let default = Namespace::default();
        let dir = SpaceDir::new(root, &default);
        dir.create().map_err(FileError::io("creating", root))?;
        spaces.insert(default.clone(), space::load(dir, &default, &mut report)?);
        for namespace in namespaces(root, &mut report)? {
            let dir = SpaceDir::new(root, &namespace);
            let space = space::load(dir, &namespace, &mut report)?;
            spaces.insert(namespace, space);
        }
        if !report.is_clean() {
            tracing::warn!(
                root = %root.display(),
                problems = report.problems().len(),
                "file store opened with problems; see FileStore::load_report"
            );
        }
        Ok(FileStore {
            shared: Arc::new(Shared {
                root: root.to_path_buf(),
                _lock: lock,
                writer: Mutex::new(None),
                spaces: RwLock::new(spaces),
                report,
            }),
            namespace: default,
        })
    }

    /// A handle on the same directory bound to `namespace`.
    pub fn with_namespace(&self, namespace: Namespace) -> Self {
        FileStore {
            shared: Arc::clone(&self.shared),
            namespace,
        }
    }

    /// The data directory.
    pub fn root(&self) -> &Path {
        &self.shared.root
    }

    /// What opening the directory found: every file that could not be parsed, failed validation,
    /// references a missing persona, was repaired or ignored. Shared by all handles.
    pub fn load_report(&self) -> &LoadReport {
        &self.shared.report
    }

    /// The raw bytes of a file in the directory, such as the `path` of a [`Problem`], so that
    /// files the store could not parse stay readable.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a path that is absolute or leaves the root; [`Error::Unavailable`]
    /// (with the I/O error as source) when the file cannot be read.
    pub fn raw(&self, path: impl AsRef<Path>) -> Result<Vec<u8>> {
        let path = path.as_ref();
        if !path.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(Error::invalid_field(
                "path",
                persona_core::attributes::Code::InvalidFormat,
                "must be a relative path inside the store root",
            ));
        }
        let full = self.shared.root.join(path);
        Ok(fs::read(&full).map_err(FileError::io("reading", full))?)
    }

    fn read<T>(&self, f: impl FnOnce(Option<&Space>) -> T) -> T {
        let guard = self
            .shared
            .spaces
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        f(guard.get(&self.namespace))
    }
}

fn namespaces(root: &Path, report: &mut LoadReport) -> FileResult<Vec<Namespace>> {
    let folder = root.join(SIDECAR).join(NAMESPACES);
    let entries = match fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(FileError::io("listing", &folder)(e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(FileError::io("listing", &folder))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        match Namespace::new(name) {
            Ok(namespace) if entry.path().is_dir() && namespace != Namespace::default() => {
                found.push(namespace);
            }
            _ => report.push(Problem {
                namespace: Namespace::default(),
                path: entry
                    .path()
                    .strip_prefix(root)
                    .unwrap_or(&entry.path())
                    .to_path_buf(),
                kind: None,
                id: None,
                issue: Issue::Ignored,
            }),
        }
    }
    found.sort();
    Ok(found)
}

/// Runs blocking file work off the async worker threads when a Tokio runtime is present.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => match handle.spawn_blocking(f).await {
            Ok(value) => value,
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        },
        Err(_) => f(),
    }
}

/// A planned batch: what to log and what each touched record ends as.
struct Plan {
    ops: Vec<Planned>,
    /// Per record, the index in `ops` of its last op.
    finals: BTreeMap<Key, usize>,
}

fn plan_batch(space: Option<&Space>, batch: &Batch, now: Timestamp) -> Result<Plan> {
    let mut staged: BTreeMap<Key, (AnyRecord, bool)> = BTreeMap::new();
    let mut ops = Vec::with_capacity(batch.len());
    let mut finals = BTreeMap::new();
    let seq = space.map_or(0, |s| s.log.seq);
    for op in batch.ops() {
        let (kind, id) = op.target();
        let key = (kind, id.to_owned());
        if let Some(path) = space.and_then(|s| s.blocked.get(&key)) {
            return Err(blocked_error(kind, id, path));
        }
        let stored = space.and_then(|s| s.records.get(&key));
        let current = match staged.get(&key) {
            Some((record, deleted)) => Some(Current {
                record,
                deleted: *deleted,
            }),
            None => stored.map(|entry| Current {
                record: &entry.record,
                deleted: entry.deleted,
            }),
        };
        let mut planned = plan(op, current, batch.actor(), now)?;
        if planned.needs_persona_check()
            && let AnyRecord::Identity(identity) = &planned.record
        {
            let persona = (Kind::Persona, identity.persona_id.as_str().to_owned());
            let live = match staged.get(&persona) {
                Some((_, deleted)) => !deleted,
                None => space
                    .and_then(|s| s.records.get(&persona))
                    .is_some_and(|entry| !entry.deleted),
            };
            if !live {
                return Err(Error::missing_persona());
            }
        }
        planned.audit.seq = seq + ops.len() as u64 + 1;
        staged.insert(key.clone(), (planned.record.clone(), planned.deleted));
        finals.insert(key, ops.len());
        ops.push(planned);
    }
    Ok(Plan { ops, finals })
}

fn blocked_error(kind: Kind, id: &str, path: &Path) -> Error {
    FileError::corrupt(
        format!(
            "{kind} {id}: {} could not be read when the store was opened; fix or remove it and reopen",
            path.display()
        ),
        None,
    )
    .into()
}

/// The file content of a record: pretty-printed like Go's `json.MarshalIndent(v, "", "  ")`,
/// with a final newline.
pub(crate) fn document(record: &AnyRecord) -> FileResult<Vec<u8>> {
    let mut bytes = Vec::with_capacity(1024);
    match record {
        AnyRecord::Persona(r) => serde_json::to_writer_pretty(&mut bytes, r),
        AnyRecord::Identity(r) => serde_json::to_writer_pretty(&mut bytes, r),
        AnyRecord::Group(r) => serde_json::to_writer_pretty(&mut bytes, r),
    }
    .map_err(FileError::Serialize)?;
    bytes.push(b'\n');
    Ok(bytes)
}

impl Shared {
    fn writer(&self) -> std::sync::MutexGuard<'_, Option<Arc<FileError>>> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn refuse_if_broken(broken: &Option<Arc<FileError>>) -> FileResult<()> {
        match broken {
            None => Ok(()),
            Some(source) => Err(FileError::NeedsRecovery {
                source: Arc::clone(source),
            }),
        }
    }

    /// Refuses further writes (the next open repairs the directory) and returns the error.
    fn break_with(broken: &mut Option<Arc<FileError>>, error: FileError) -> Error {
        let source = Arc::new(error);
        *broken = Some(Arc::clone(&source));
        FileError::NeedsRecovery { source }.into()
    }

    fn space_dir(&self, namespace: &Namespace) -> SpaceDir {
        SpaceDir::new(&self.root, namespace)
    }

    /// Creates the namespace's folders on its first write.
    fn ensure_space(&self, namespace: &Namespace) -> FileResult<SpaceDir> {
        let dir = self.space_dir(namespace);
        let created = self
            .spaces
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(namespace)
            .is_some_and(|s| s.created);
        if !created {
            dir.create()
                .map_err(FileError::io("creating", dir.sidecar()))?;
            let mut spaces = self.spaces.write().unwrap_or_else(PoisonError::into_inner);
            spaces
                .entry(namespace.clone())
                .or_insert_with(|| Space::empty(dir.clone()))
                .created = true;
        }
        Ok(dir)
    }

    fn apply(&self, namespace: &Namespace, batch: &Batch) -> Result<Vec<AnyRecord>> {
        let mut broken = self.writer();
        Self::refuse_if_broken(&broken)?;
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let now = Timestamp::now();
        let (plan, log_len, batch_no) = {
            let spaces = self.spaces.read().unwrap_or_else(PoisonError::into_inner);
            let space = spaces.get(namespace);
            let plan = plan_batch(space, batch, now)?;
            let log = space.map(|s| (s.log.len, s.log.batch)).unwrap_or_default();
            (plan, log.0, log.1 + 1)
        };
        let dir = self.ensure_space(namespace)?;
        let docs = plan
            .ops
            .iter()
            .map(|p| document(&p.record))
            .collect::<FileResult<Vec<_>>>()?;

        // 1. Every new record file goes to a synced temporary file first, so a full disk fails
        //    here, before anything is committed.
        let jobs: Vec<(PathBuf, &[u8])> = plan
            .finals
            .iter()
            .filter(|(_, index)| !plan.ops[**index].deleted)
            .map(|((kind, id), &index)| (dir.temp_path(*kind, id), docs[index].as_slice()))
            .collect();
        let remove_temps = || {
            for (temp, _) in &jobs {
                let _ = layout::remove_if_exists(temp);
            }
        };
        if let Err((path, e)) = layout::write_synced_all(&jobs) {
            remove_temps();
            return Err(FileError::io("writing", path)(e).into());
        }

        // 2. Commit: one synced append of every op's history and audit entry.
        let mut buf = Vec::with_capacity(docs.iter().map(|d| d.len() + 256).sum());
        let mut spans = Vec::with_capacity(plan.ops.len());
        for (planned, doc) in plan.ops.iter().zip(&docs) {
            let span = log::encode_op(
                &mut buf,
                (batch_no, plan.ops.len()),
                &planned.audit,
                planned.deleted,
                Some(doc),
            )?
            .map(|mut span| {
                span.offset += log_len;
                span
            });
            spans.push(span);
        }
        let log_path = dir.log_path();
        if let Err(e) = append_synced(&log_path, &buf) {
            remove_temps();
            if let Err(undo) = truncate(&log_path, log_len) {
                *broken = Some(Arc::new(undo));
            }
            return Err(e.into());
        }
        if log_len == 0 {
            let sidecar = dir.sidecar();
            if let Err(e) = layout::sync_dir(&sidecar) {
                self.publish(namespace, &plan, &spans, buf.len(), batch_no);
                return Err(Self::break_with(
                    &mut broken,
                    FileError::io("syncing", sidecar)(e),
                ));
            }
        }

        // 3. Put the files in place. Past the commit, a failure leaves the batch for the next
        //    open to complete, and this store refuses further writes.
        let placed = (|| -> FileResult<()> {
            let mut touched = BTreeSet::new();
            for ((kind, id), &index) in &plan.finals {
                let path = dir.record_path(*kind, id);
                if plan.ops[index].deleted {
                    if layout::remove_if_exists(&path).map_err(FileError::io("removing", &path))? {
                        touched.insert(*kind);
                    }
                } else {
                    fs::rename(dir.temp_path(*kind, id), &path)
                        .map_err(FileError::io("renaming into", &path))?;
                    touched.insert(*kind);
                }
            }
            for kind in touched {
                let folder = dir.data_dir(kind);
                layout::sync_dir(&folder).map_err(FileError::io("syncing", &folder))?;
            }
            Ok(())
        })();
        if let Err(e) = placed {
            self.publish(namespace, &plan, &spans, buf.len(), batch_no);
            return Err(Self::break_with(&mut broken, e));
        }
        let marker = log::encode_done(batch_no);
        let marked = append(&log_path, &marker);
        let written = buf.len() + if marked.is_ok() { marker.len() } else { 0 };
        if let Err(e) = marked {
            // A torn marker must not have a batch appended after it; the next open cuts it.
            *broken = Some(Arc::new(e));
        }
        self.publish(namespace, &plan, &spans, written, batch_no);
        Ok(plan.ops.into_iter().map(|p| p.record).collect())
    }

    fn publish(
        &self,
        namespace: &Namespace,
        plan: &Plan,
        spans: &[Option<log::Span>],
        written: usize,
        batch_no: u64,
    ) {
        let mut spaces = self.spaces.write().unwrap_or_else(PoisonError::into_inner);
        let dir = self.space_dir(namespace);
        let space = spaces
            .entry(namespace.clone())
            .or_insert_with(|| Space::empty(dir));
        log::commit_entries(
            &mut space.log,
            plan.ops
                .iter()
                .zip(spans)
                .map(|(p, span)| (p.audit.clone(), p.deleted, *span)),
        );
        space.log.batch = batch_no;
        space.log.len += written as u64;
        for (key, &index) in &plan.finals {
            let planned = &plan.ops[index];
            space.records.insert(
                key.clone(),
                Entry::new(planned.record.clone(), planned.deleted),
            );
        }
    }

    fn purge(
        &self,
        namespace: &Namespace,
        kind: Kind,
        id: &str,
        actor: &Actor,
    ) -> Result<Tombstone> {
        let mut broken = self.writer();
        Self::refuse_if_broken(&broken)?;
        let key = (kind, id.to_owned());
        let (last, log_len, batch_no, seq) = {
            let spaces = self.spaces.read().unwrap_or_else(PoisonError::into_inner);
            let space = spaces.get(namespace);
            if let Some(path) = space.and_then(|s| s.blocked.get(&key)) {
                return Err(blocked_error(kind, id, path));
            }
            let Some((space, entry)) = space.and_then(|s| Some((s, s.records.get(&key)?))) else {
                return Err(Error::not_found(kind, id));
            };
            if kind == Kind::Persona {
                let users = space
                    .records
                    .values()
                    .filter_map(|e| e.record.as_identity())
                    .filter(|identity| identity.persona_id.as_str() == id)
                    .count() as u64;
                if users > 0 {
                    return Err(Error::Referenced {
                        kind,
                        id: id.to_owned(),
                        by: Kind::Identity,
                        count: users,
                    });
                }
            }
            (
                entry.record.version(),
                space.log.len,
                space.log.batch + 1,
                space.log.seq + 1,
            )
        };
        let dir = self.ensure_space(namespace)?;
        let now = Timestamp::now();
        let mut audit = purge_audit(kind, id, last, actor, now);
        audit.seq = seq;

        // Commit: the log rewritten without the record's content and labels, plus the purge entry,
        // replaces the old log in one rename.
        let log_path = dir.log_path();
        let mut bytes = layout::read_if_exists(&log_path)
            .map_err(FileError::io("reading", &log_path))?
            .unwrap_or_default();
        bytes.truncate(log_len as usize);
        let mut erased = log::erase(&bytes, &key)?;
        drop(bytes);
        log::encode_op(&mut erased, (batch_no, 1), &audit, true, None)?;
        let tmp = dir.log_tmp_path();
        layout::write_synced(&tmp, &erased).map_err(FileError::io("writing", &tmp))?;
        let state = log::scan(&erased)?.state;
        {
            let mut spaces = self.spaces.write().unwrap_or_else(PoisonError::into_inner);
            fs::rename(&tmp, &log_path).map_err(FileError::io("renaming into", &log_path))?;
            let space = spaces
                .entry(namespace.clone())
                .or_insert_with(|| Space::empty(dir.clone()));
            space.log = state;
            space.records.remove(&key);
        }
        let finish = (|| -> FileResult<()> {
            let sidecar = dir.sidecar();
            layout::sync_dir(&sidecar).map_err(FileError::io("syncing", &sidecar))?;
            let path = dir.record_path(kind, id);
            if layout::remove_if_exists(&path).map_err(FileError::io("removing", &path))? {
                let folder = dir.data_dir(kind);
                layout::sync_dir(&folder).map_err(FileError::io("syncing", &folder))?;
            }
            let marker = log::encode_done(batch_no);
            append(&log_path, &marker)?;
            self.spaces
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(namespace.clone())
                .or_insert_with(|| Space::empty(dir.clone()))
                .log
                .len += marker.len() as u64;
            Ok(())
        })();
        if let Err(e) = finish {
            return Err(Self::break_with(&mut broken, e));
        }
        Ok(Tombstone {
            kind,
            id: id.to_owned(),
            last_version: last,
            purged_at: now,
            actor: actor.clone(),
        })
    }
}

fn append(path: &Path, bytes: &[u8]) -> FileResult<()> {
    OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(bytes))
        .map_err(FileError::io("appending to", path))
}

fn truncate(path: &Path, len: u64) -> FileResult<()> {
    OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|file| {
            file.set_len(len)?;
            file.sync_data()
        })
        .map_err(FileError::io("truncating", path))
}

fn read_span(path: &Path, span: log::Span) -> FileResult<Vec<u8>> {
    let mut file = File::open(path).map_err(FileError::io("opening", path))?;
    let mut bytes = vec![0; span.len as usize];
    file.seek(SeekFrom::Start(span.offset))
        .and_then(|_| file.read_exact(&mut bytes))
        .map_err(FileError::io("reading", path))?;
    Ok(bytes)
}

#[async_trait]
impl Store for FileStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    fn capabilities(&self) -> Capabilities {
        let mut capabilities = Capabilities::ALL;
        capabilities.multi_process = false;
        capabilities
    }

    fn namespaced(&self, namespace: Namespace) -> Arc<dyn Store> {
        Arc::new(self.with_namespace(namespace))
    }

    async fn health(&self) -> Result<Health> {
        let started = Instant::now();
        let root = self.shared.root.clone();
        blocking(move || fs::metadata(&root).map_err(FileError::io("reading", &root))).await?;
        Ok(Health {
            backend: BACKEND,
            namespace: self.namespace.clone(),
            latency: started.elapsed(),
        })
    }

    async fn apply(&self, batch: Batch) -> Result<Vec<AnyRecord>> {
        let shared = Arc::clone(&self.shared);
        let namespace = self.namespace.clone();
        blocking(move || shared.apply(&namespace, &batch)).await
    }

    async fn get(&self, kind: Kind, id: &str) -> Result<Option<AnyRecord>> {
        Ok(self.read(|space| {
            space
                .and_then(|s| s.records.get(&(kind, id.to_owned())))
                .filter(|entry| !entry.deleted)
                .map(|entry| entry.record.clone())
        }))
    }

    async fn purge(&self, kind: Kind, id: &str, actor: &Actor) -> Result<Tombstone> {
        let shared = Arc::clone(&self.shared);
        let namespace = self.namespace.clone();
        let id = id.to_owned();
        let actor = actor.clone();
        blocking(move || shared.purge(&namespace, kind, &id, &actor)).await
    }

    async fn versions(&self, kind: Kind, id: &str) -> Result<Vec<VersionInfo>> {
        Ok(self.read(|space| {
            space
                .map(|s| s.history(&(kind, id.to_owned())))
                .unwrap_or_default()
                .iter()
                .map(|h| h.info.clone())
                .collect()
        }))
    }

    async fn version(
        &self,
        kind: Kind,
        id: &str,
        version: Version,
    ) -> Result<Option<HistoryEntry>> {
        let found = self.read(|space| {
            let space = space?;
            let entry = space
                .history(&(kind, id.to_owned()))
                .iter()
                .find(|h| h.info.version == version)?;
            // Read under the lock: a purge swaps the log file and its offsets together.
            let bytes = entry
                .span
                .map(|span| read_span(&space.dir.log_path(), span));
            Some((entry.info.clone(), bytes))
        });
        let Some((info, bytes)) = found else {
            return Ok(None);
        };
        let bytes = bytes.ok_or_else(|| {
            FileError::corrupt(
                format!("{kind} {id} version {version} has no content"),
                None,
            )
        })??;
        let record = AnyRecord::from_json(kind, &bytes).map_err(|e| {
            FileError::corrupt(
                format!("{kind} {id} version {version} in the log is not a document"),
                Some(e),
            )
        })?;
        Ok(Some(HistoryEntry { info, record }))
    }

    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        Ok(self.read(|space| {
            let entries = space.map(|s| s.log.audit.as_slice()).unwrap_or_default();
            entries
                .iter()
                .filter(|e| query.matches(e))
                .take(query.limit.unwrap_or(usize::MAX))
                .cloned()
                .collect()
        }))
    }

    async fn tombstone(&self, kind: Kind, id: &str) -> Result<Option<Tombstone>> {
        Ok(self.read(|space| {
            space.and_then(|s| s.log.tombstones.get(&(kind, id.to_owned())).cloned())
        }))
    }

    async fn list(&self, kind: Kind, request: &ListRequest) -> Result<Page<AnyRecord>> {
        let after = request.start_after(&self.namespace)?;
        Ok(self.read(|space| {
            let Some(space) = space else {
                return Page {
                    items: Vec::new(),
                    next: None,
                };
            };
            let start = match &after {
                Some(id) => Bound::Excluded((kind, id.clone())),
                None => Bound::Included((kind, String::new())),
            };
            let live = space
                .records
                .range((start, Bound::Unbounded))
                .take_while(|((k, _), _)| *k == kind)
                .filter(|(_, entry)| !entry.deleted)
                .map(|(_, entry)| &entry.record);
            query::page_in_id_order(&self.namespace, request.limit, live)
        }))
    }

    async fn query(&self, query: &Query) -> Result<Page<Identity>> {
        self.read(|space| match space {
            Some(space) => query::evaluate(query, &self.namespace, space.live_identities()),
            None => query::evaluate(query, &self.namespace, std::iter::empty()),
        })
    }

    async fn count(&self, filter: &Filter) -> Result<u64> {
        Ok(self.read(|space| {
            space.map_or(0, |s| {
                query::count_matching(filter, s.live_identities().map(|(_, f)| f))
            })
        }))
    }

    async fn facets(&self, filter: &Filter, facets: &[Facet]) -> Result<FacetCounts> {
        Ok(self.read(|space| match space {
            Some(space) => {
                query::count_facets(filter, facets, space.live_identities().map(|(_, f)| f))
            }
            None => query::count_facets(filter, facets, std::iter::empty()),
        }))
    }
}
