//! Where things live on disk, and the durable-write primitives.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use persona_core::{Kind, Namespace};

/// The SDK's own folder inside a data directory; fr0g-ai-aip never looks into it.
pub(crate) const SIDECAR: &str = ".persona";
/// The lock file (in the root's sidecar).
pub(crate) const LOCK: &str = "lock";
/// The history and audit log of one namespace (in its sidecar).
pub(crate) const LOG: &str = "log";
/// The log being rewritten by a purge.
pub(crate) const LOG_TMP: &str = "log.tmp";
/// Where namespaces other than `default` live (in the root's sidecar).
pub(crate) const NAMESPACES: &str = "namespaces";
/// The suffix of a record file being written.
pub(crate) const TMP_SUFFIX: &str = ".tmp";

/// The folder of a kind, as fr0g-ai-aip names it.
pub(crate) const fn kind_dir(kind: Kind) -> &'static str {
    match kind {
        Kind::Persona => "personas",
        Kind::Identity => "identities",
        Kind::Group => "communities",
    }
}

/// The folders of one namespace: the fr0g-ai-aip layout plus a sidecar.
#[derive(Debug, Clone)]
pub(crate) struct SpaceDir {
    /// The store root (paths in reports are relative to it).
    root: PathBuf,
    /// The namespace's data root.
    dir: PathBuf,
}

impl SpaceDir {
    /// `default` is the root itself; others live under `<root>/.persona/namespaces/<ns>`.
    pub(crate) fn new(root: &Path, namespace: &Namespace) -> Self {
        let dir = if *namespace == Namespace::default() {
            root.to_path_buf()
        } else {
            root.join(SIDECAR).join(NAMESPACES).join(namespace.as_str())
        };
        SpaceDir {
            root: root.to_path_buf(),
            dir,
        }
    }

    pub(crate) fn data_dir(&self, kind: Kind) -> PathBuf {
        self.dir.join(kind_dir(kind))
    }

    pub(crate) fn record_path(&self, kind: Kind, id: &str) -> PathBuf {
        self.data_dir(kind).join(format!("{id}.json"))
    }

    /// Dot-prefixed and not ending in `.json`, so neither fr0g-ai-aip nor a reload takes it for a
    /// record. One writer at a time and one file op per record per batch make the name unique.
    pub(crate) fn temp_path(&self, kind: Kind, id: &str) -> PathBuf {
        self.data_dir(kind).join(format!(".{id}.json{TMP_SUFFIX}"))
    }

    pub(crate) fn sidecar(&self) -> PathBuf {
        self.dir.join(SIDECAR)
    }

    pub(crate) fn log_path(&self) -> PathBuf {
        self.sidecar().join(LOG)
    }

    pub(crate) fn log_tmp_path(&self) -> PathBuf {
        self.sidecar().join(LOG_TMP)
    }

    /// `path` relative to the store root, for reports and errors.
    pub(crate) fn relative(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root).unwrap_or(path).to_path_buf()
    }

    /// Creates the kind folders and the sidecar if missing (syncing their parents).
    pub(crate) fn create(&self) -> io::Result<()> {
        let existed = self.dir.is_dir();
        fs::create_dir_all(&self.dir)?;
        if !existed && let Some(parent) = self.dir.parent() {
            sync_dir(parent)?;
        }
        let mut created = false;
        for kind in Kind::ALL {
            created |= create_dir(&self.data_dir(kind))?;
        }
        created |= create_dir(&self.sidecar())?;
        if created {
            sync_dir(&self.dir)?;
        }
        Ok(())
    }
}

fn create_dir(path: &Path) -> io::Result<bool> {
    match fs::create_dir(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// Makes renames and new names in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        // Directories cannot be opened as files here; rename is already durable on NTFS.
        let _ = dir;
        Ok(())
    }
}

/// Writes `bytes` to `path` (created or truncated) and syncs the data.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_data()
}

/// Writes each `(path, bytes)` like [`write_synced`]. The syncs of a bulk write run on a few
/// threads at once so the file system can commit them together (one journal commit for many files
/// instead of one each); files are handled in chunks to bound the open descriptors.
pub(crate) fn write_synced_all(jobs: &[(PathBuf, &[u8])]) -> Result<(), (PathBuf, io::Error)> {
    const CHUNK: usize = 64;
    const THREADS: usize = 8;
    for chunk in jobs.chunks(CHUNK) {
        if let [(path, bytes)] = chunk {
            write_synced(path, bytes).map_err(|e| (path.clone(), e))?;
            continue;
        }
        let mut files = Vec::with_capacity(chunk.len());
        for (path, bytes) in chunk {
            let file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(path)
                .and_then(|mut file| file.write_all(bytes).map(|()| file))
                .map_err(|e| (path.clone(), e))?;
            files.push((file, path));
        }
        std::thread::scope(|scope| {
            let workers: Vec<_> = files
                .chunks(files.len().div_ceil(THREADS))
                .map(|part| {
                    scope.spawn(move || {
                        part.iter().try_for_each(|(file, path)| {
                            file.sync_data().map_err(|e| ((*path).clone(), e))
                        })
                    })
                })
                .collect();
            workers.into_iter().try_for_each(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
        })?;
    }
    Ok(())
}

/// Removes `path`; true when it existed.
pub(crate) fn remove_if_exists(path: &Path) -> io::Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Reads `path`, `None` when it does not exist.
pub(crate) fn read_if_exists(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}
