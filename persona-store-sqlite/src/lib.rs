#![doc = include_str!("../README.md")]

mod error;
mod facets;
mod options;
mod read;
mod schema;
mod worker;
mod write;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use persona_core::{
    Actor, AnyRecord, AuditEntry, AuditQuery, Batch, Capabilities, Facet, FacetCounts, Filter,
    Health, HistoryEntry, Identity, Kind, ListRequest, Namespace, Page, Query, Result, Store,
    Tombstone, Version, VersionInfo,
};
use rusqlite::Connection;

pub use options::{SqliteOptions, Synchronous};
/// The driver, re-exported so applications that open the database themselves get the same version.
pub use rusqlite;

use crate::error::BACKEND;
use crate::worker::Lane;

/// The schema version this crate creates and reads (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = schema::LATEST;

/// `PRAGMA application_id` of a persona database (the ASCII bytes `PSNA`).
pub const APPLICATION_ID: i32 = schema::APPLICATION_ID;

struct Shared {
    writer: Lane,
    readers: Option<Lane>,
    path: Option<PathBuf>,
}

/// A persona store in one SQLite database file.
///
/// A cheap-`Clone` handle: clones share one writer connection and a small pool of reader
/// connections. Async callers never block their executor: on a multi-thread Tokio runtime a call
/// runs in place under [`tokio::task::block_in_place`] (the worker's other tasks move to another
/// thread first), anywhere else it is handed to a connection thread (see the crate docs,
/// "Threads"). The handle is bound to one [`Namespace`]; [`with_namespace`](Self::with_namespace)
/// gives a handle on the same database for another one. The database closes when the last handle
/// is dropped.
///
/// ```
/// # fn main() -> persona_core::Result<()> {
/// use persona_store_sqlite::SqliteStore;
///
/// let dir = tempfile::tempdir().unwrap();
/// let store = SqliteStore::open(dir.path().join("personas.db"))?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqliteStore {
    shared: Arc<Shared>,
    namespace: Namespace,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.shared.path)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

fn start(name: &str, connections: Vec<Connection>) -> Result<Lane> {
    Lane::start(name, connections).map_err(|source| persona_core::Error::Unavailable {
        backend: BACKEND,
        source: Box::new(source),
    })
}

impl SqliteStore {
    /// Opens the database at `path` with [`SqliteOptions::default`], creating the file if it does
    /// not exist and migrating its schema to [`SCHEMA_VERSION`]. The handle is bound to the
    /// `default` namespace.
    ///
    /// Blocking (it opens files and may migrate): call it once at start-up.
    ///
    /// # Errors
    /// [`Error::Corrupt`](persona_core::Error::Corrupt) when the file is not a SQLite database,
    /// holds tables this crate did not create, or has a schema newer than this crate knows;
    /// [`Error::Unavailable`](persona_core::Error::Unavailable) when it cannot be opened or
    /// created; a retryable [`Error::Backend`](persona_core::Error::Backend) when another process
    /// holds the write lock longer than the busy timeout.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// Opens the database at `path` with `options` (see [`open`](Self::open)).
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<SqliteStore> {
        let path = path.as_ref().to_path_buf();
        let writer = schema::open_writer(&path, &options)?;
        let readers = (0..options.readers)
            .map(|_| schema::open_reader(&path, &options))
            .collect::<Result<Vec<_>>>()?;
        let readers = if readers.is_empty() {
            None
        } else {
            Some(start("reader", readers)?)
        };
        Ok(SqliteStore {
            shared: Arc::new(Shared {
                writer: start("writer", vec![writer])?,
                readers,
                path: Some(path),
            }),
            namespace: options.namespace,
        })
    }

    /// A private in-memory database, gone when the last handle is dropped. Reads and writes share
    /// one connection; useful for tests and short-lived tools.
    ///
    /// # Errors
    /// [`Error::Unavailable`](persona_core::Error::Unavailable) when the connection thread cannot
    /// be started.
    pub fn open_in_memory() -> Result<SqliteStore> {
        let options = SqliteOptions::default();
        let connection = schema::open_memory(&options)?;
        Ok(SqliteStore {
            shared: Arc::new(Shared {
                writer: start("memory", vec![connection])?,
                readers: None,
                path: None,
            }),
            namespace: options.namespace,
        })
    }

    /// A handle on the same database bound to `namespace`.
    pub fn with_namespace(&self, namespace: Namespace) -> SqliteStore {
        SqliteStore {
            shared: Arc::clone(&self.shared),
            namespace,
        }
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.shared.path.as_deref()
    }

    async fn write<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &Namespace) -> Result<T> + Send + 'static,
    {
        let namespace = self.namespace.clone();
        self.shared
            .writer
            .run(move |connection| job(connection, &namespace))
            .await
    }

    async fn read<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &Namespace) -> Result<T> + Send + 'static,
    {
        let namespace = self.namespace.clone();
        let pool = self.shared.readers.as_ref().unwrap_or(&self.shared.writer);
        pool.run(move |connection| job(connection, &namespace))
            .await
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL
    }

    fn namespaced(&self, namespace: Namespace) -> Arc<dyn Store> {
        Arc::new(self.with_namespace(namespace))
    }

    async fn health(&self) -> Result<Health> {
        let started = Instant::now();
        self.read(|connection, _| {
            connection
                .query_row("SELECT 1", [], |_| Ok(()))
                .map_err(|e| persona_core::Error::Unavailable {
                    backend: BACKEND,
                    source: Box::new(e),
                })
        })
        .await
        .map_err(|error| match error {
            persona_core::Error::Unavailable { .. } => error,
            other => persona_core::Error::Unavailable {
                backend: BACKEND,
                source: Box::new(other),
            },
        })?;
        Ok(Health {
            backend: BACKEND,
            namespace: self.namespace.clone(),
            latency: started.elapsed(),
        })
    }

    async fn apply(&self, batch: Batch) -> Result<Vec<AnyRecord>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        self.write(move |connection, ns| write::apply(connection, ns.as_str(), batch))
            .await
    }

    async fn get(&self, kind: Kind, id: &str) -> Result<Option<AnyRecord>> {
        let id = id.to_owned();
        self.read(move |connection, ns| read::get(connection, ns.as_str(), kind, &id))
            .await
    }

    async fn purge(&self, kind: Kind, id: &str, actor: &Actor) -> Result<Tombstone> {
        let (id, actor) = (id.to_owned(), actor.clone());
        self.write(move |connection, ns| write::purge(connection, ns.as_str(), kind, &id, &actor))
            .await
    }

    async fn versions(&self, kind: Kind, id: &str) -> Result<Vec<VersionInfo>> {
        let id = id.to_owned();
        self.read(move |connection, ns| read::versions(connection, ns.as_str(), kind, &id))
            .await
    }

    async fn version(
        &self,
        kind: Kind,
        id: &str,
        version: Version,
    ) -> Result<Option<HistoryEntry>> {
        let id = id.to_owned();
        self.read(move |connection, ns| read::version(connection, ns.as_str(), kind, &id, version))
            .await
    }

    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let query = query.clone();
        self.read(move |connection, ns| read::audit(connection, ns.as_str(), &query))
            .await
    }

    async fn tombstone(&self, kind: Kind, id: &str) -> Result<Option<Tombstone>> {
        let id = id.to_owned();
        self.read(move |connection, ns| read::tombstone(connection, ns.as_str(), kind, &id))
            .await
    }

    async fn list(&self, kind: Kind, request: &ListRequest) -> Result<Page<AnyRecord>> {
        let request = request.clone();
        self.read(move |connection, ns| read::list(connection, ns, kind, &request))
            .await
    }

    async fn query(&self, query: &Query) -> Result<Page<Identity>> {
        let query = query.clone();
        self.read(move |connection, ns| read::query(connection, ns, &query))
            .await
    }

    async fn count(&self, filter: &Filter) -> Result<u64> {
        let filter = filter.clone();
        self.read(move |connection, ns| read::count(connection, ns.as_str(), &filter))
            .await
    }

    async fn facets(&self, filter: &Filter, facets: &[Facet]) -> Result<FacetCounts> {
        let (filter, facets) = (filter.clone(), facets.to_vec());
        self.read(move |connection, ns| read::facets(connection, ns.as_str(), &filter, &facets))
            .await
    }
}
