//! The store contract every backend implements.
//!
//! [`Store`] is the small, object-safe trait a backend implements (`Arc<dyn Store>` works, so an
//! application can choose a backend at run time). Applications use the typed, instrumented API of
//! [`StoreExt`]: `store.personas()`, `store.identities()`, `store.groups()`.
//!
//! Semantics shared by every backend:
//! - writes are validated in core before a backend sees them ([`Batch`]), then planned by
//!   [`plan`], which decides versions, timestamps, history and audit;
//! - every write stores a full snapshot of the new version in the record's history and appends an
//!   audit entry;
//! - soft-deleted records are invisible to `get`, `list`, `query`, `count` and `facets` but keep
//!   their id and history; purge erases record and history, strips the label from the record's
//!   audit entries and leaves a [`Tombstone`]. A purged id may be created again, from version 1;
//! - a handle is bound to one [`Namespace`]; nothing it does reaches another namespace.

mod history;
mod records;
mod write;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;

pub use history::{Action, AuditEntry, AuditQuery, HistoryEntry, Tombstone, VersionInfo};
pub use records::{Records, StoreExt};
pub use write::{Batch, Current, Op, Planned, WriteMode, plan, purge_audit};

use crate::error::Result;
use crate::id::{Actor, Namespace, Version};
use crate::query::{Facet, FacetCounts, Filter, ListRequest, Page, Query};
use crate::record::{AnyRecord, Identity, Kind};

/// What a backend supports. Callers and the conformance suite branch on it; an unsupported
/// operation returns [`Error::Unsupported`](crate::Error::Unsupported), never a silent no-op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Capabilities {
    /// A batch is applied all-or-nothing.
    pub atomic_batches: bool,
    /// History (versions, diff, rollback) is kept.
    pub history: bool,
    /// The audit log is kept.
    pub audit: bool,
    /// Purge (right to erasure) is supported.
    pub purge: bool,
    /// Text queries are supported.
    pub text_search: bool,
    /// Facet counts are supported.
    pub facets: bool,
    /// Several processes may open the same storage for writing at once.
    pub multi_process: bool,
}

impl Capabilities {
    /// Everything supported.
    pub const ALL: Capabilities = Capabilities {
        atomic_batches: true,
        history: true,
        audit: true,
        purge: true,
        text_search: true,
        facets: true,
        multi_process: true,
    };
}

/// The answer to a health check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    /// The backend's name.
    pub backend: &'static str,
    /// The handle's namespace.
    pub namespace: Namespace,
    /// How long the check took.
    pub latency: Duration,
}

/// The object-safe storage contract.
///
/// Backends implement this; applications normally call the typed methods of [`StoreExt`], which
/// add validation, tracing spans and metrics. Methods operate on the handle's namespace only.
#[async_trait]
pub trait Store: std::fmt::Debug + Send + Sync + 'static {
    /// A short backend name for errors, spans and metrics (`"memory"`, `"sqlite"`, …).
    fn backend(&self) -> &'static str;

    /// The namespace this handle is bound to.
    fn namespace(&self) -> &Namespace;

    /// What this backend supports.
    fn capabilities(&self) -> Capabilities;

    /// A handle on the same storage bound to `namespace`.
    fn namespaced(&self, namespace: Namespace) -> Arc<dyn Store>;

    /// A cheap readiness check (one round trip at most).
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when the backend cannot serve requests.
    async fn health(&self) -> Result<Health>;

    /// Applies a batch in order, each op planned with [`plan`] against the state left by the ops
    /// before it. All-or-nothing when [`Capabilities::atomic_batches`]. Returns the stored records.
    ///
    /// # Errors
    /// The first op's error from [`plan`], [`Error::missing_persona`](crate::Error::missing_persona)
    /// for a dangling identity reference, or a backend error.
    async fn apply(&self, batch: Batch) -> Result<Vec<AnyRecord>>;

    /// The live record of `kind` with `id`, if any.
    ///
    /// # Errors
    /// Backend errors only.
    async fn get(&self, kind: Kind, id: &str) -> Result<Option<AnyRecord>>;

    /// Erases the record (live or soft-deleted), its history and the labels of its audit entries;
    /// appends a purge audit entry and leaves a tombstone.
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) when there is no such record;
    /// [`Error::Referenced`](crate::Error::Referenced) for a persona that identities still use.
    async fn purge(&self, kind: Kind, id: &str, actor: &Actor) -> Result<Tombstone>;

    /// Every version of the record, oldest first (empty when the record does not exist).
    ///
    /// # Errors
    /// Backend errors only.
    async fn versions(&self, kind: Kind, id: &str) -> Result<Vec<VersionInfo>>;

    /// One version of the record, with its content.
    ///
    /// # Errors
    /// Backend errors only.
    async fn version(&self, kind: Kind, id: &str, version: Version)
    -> Result<Option<HistoryEntry>>;

    /// Audit entries, oldest first.
    ///
    /// # Errors
    /// Backend errors only.
    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>>;

    /// The tombstone of a purged record.
    ///
    /// # Errors
    /// Backend errors only.
    async fn tombstone(&self, kind: Kind, id: &str) -> Result<Option<Tombstone>>;

    /// A page of live records of one kind, in id order (bytewise).
    ///
    /// # Errors
    /// [`Error::Invalid`](crate::Error::Invalid) for a bad limit or cursor;
    /// [`Error::NamespaceViolation`](crate::Error::NamespaceViolation) for another namespace's cursor.
    async fn list(&self, kind: Kind, request: &ListRequest) -> Result<Page<AnyRecord>>;

    /// A page of identities matching a query, with the semantics of
    /// [`query::evaluate`](crate::query::evaluate).
    ///
    /// # Errors
    /// As [`Query::check`].
    async fn query(&self, query: &Query) -> Result<Page<Identity>>;

    /// How many live identities match.
    ///
    /// # Errors
    /// Backend errors only.
    async fn count(&self, filter: &Filter) -> Result<u64>;

    /// Value counts of each facet over the live identities that match.
    ///
    /// # Errors
    /// Backend errors only.
    async fn facets(&self, filter: &Filter, facets: &[Facet]) -> Result<FacetCounts>;
}

macro_rules! forward_store {
    ($($ptr:ty),+) => {$(
        #[async_trait]
        impl<S: Store + ?Sized> Store for $ptr {
            fn backend(&self) -> &'static str { (**self).backend() }
            fn namespace(&self) -> &Namespace { (**self).namespace() }
            fn capabilities(&self) -> Capabilities { (**self).capabilities() }
            fn namespaced(&self, namespace: Namespace) -> Arc<dyn Store> { (**self).namespaced(namespace) }
            async fn health(&self) -> Result<Health> { (**self).health().await }
            async fn apply(&self, batch: Batch) -> Result<Vec<AnyRecord>> { (**self).apply(batch).await }
            async fn get(&self, kind: Kind, id: &str) -> Result<Option<AnyRecord>> { (**self).get(kind, id).await }
            async fn purge(&self, kind: Kind, id: &str, actor: &Actor) -> Result<Tombstone> { (**self).purge(kind, id, actor).await }
            async fn versions(&self, kind: Kind, id: &str) -> Result<Vec<VersionInfo>> { (**self).versions(kind, id).await }
            async fn version(&self, kind: Kind, id: &str, version: Version) -> Result<Option<HistoryEntry>> { (**self).version(kind, id, version).await }
            async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> { (**self).audit(query).await }
            async fn tombstone(&self, kind: Kind, id: &str) -> Result<Option<Tombstone>> { (**self).tombstone(kind, id).await }
            async fn list(&self, kind: Kind, request: &ListRequest) -> Result<Page<AnyRecord>> { (**self).list(kind, request).await }
            async fn query(&self, query: &Query) -> Result<Page<Identity>> { (**self).query(query).await }
            async fn count(&self, filter: &Filter) -> Result<u64> { (**self).count(filter).await }
            async fn facets(&self, filter: &Filter, facets: &[Facet]) -> Result<FacetCounts> { (**self).facets(filter, facets).await }
        }
    )+};
}

forward_store!(Arc<S>, Box<S>);
