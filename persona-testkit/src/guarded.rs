//! [`Guarded`]: a store that keeps a clean-up guard alive, for test stores in scratch space.

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;
use persona_core::query::{Facet, FacetCounts, Filter, ListRequest, Page, Query};
use persona_core::{
    Actor, AnyRecord, AuditEntry, AuditQuery, Batch, Capabilities, Health, HistoryEntry, Identity,
    Kind, Namespace, Result, Store, Tombstone, Version, VersionInfo,
};

/// Forwards every call to `store` and keeps `guard` alive as long as this store or any handle
/// [`namespaced`](Store::namespaced) from it lives. The guard's `Drop` removes the scratch space
/// (a schema, a key prefix, a directory) once the last handle is gone, so a conformance test can
/// hand out namespaced handles without the space disappearing under them.
#[derive(Clone)]
pub struct Guarded<S> {
    store: S,
    guard: Arc<dyn Any + Send + Sync>,
}

impl<S: Store> Guarded<S> {
    /// `store`, with `guard` dropped after the last handle.
    pub fn new(store: S, guard: impl Any + Send + Sync) -> Self {
        Guarded {
            store,
            guard: Arc::new(guard),
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.store
    }
}

impl<S: std::fmt::Debug> std::fmt::Debug for Guarded<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guarded")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl<S: Store> Store for Guarded<S> {
    fn backend(&self) -> &'static str {
        self.store.backend()
    }
    fn namespace(&self) -> &Namespace {
        self.store.namespace()
    }
    fn capabilities(&self) -> Capabilities {
        self.store.capabilities()
    }
    fn namespaced(&self, namespace: Namespace) -> Arc<dyn Store> {
        Arc::new(Guarded {
            store: self.store.namespaced(namespace),
            guard: Arc::clone(&self.guard),
        })
    }
    async fn health(&self) -> Result<Health> {
        self.store.health().await
    }
    async fn apply(&self, batch: Batch) -> Result<Vec<AnyRecord>> {
        self.store.apply(batch).await
    }
    async fn get(&self, kind: Kind, id: &str) -> Result<Option<AnyRecord>> {
        self.store.get(kind, id).await
    }
    async fn purge(&self, kind: Kind, id: &str, actor: &Actor) -> Result<Tombstone> {
        self.store.purge(kind, id, actor).await
    }
    async fn versions(&self, kind: Kind, id: &str) -> Result<Vec<VersionInfo>> {
        self.store.versions(kind, id).await
    }
    async fn version(&self, kind: Kind, id: &str, v: Version) -> Result<Option<HistoryEntry>> {
        self.store.version(kind, id, v).await
    }
    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        self.store.audit(query).await
    }
    async fn tombstone(&self, kind: Kind, id: &str) -> Result<Option<Tombstone>> {
        self.store.tombstone(kind, id).await
    }
    async fn list(&self, kind: Kind, request: &ListRequest) -> Result<Page<AnyRecord>> {
        self.store.list(kind, request).await
    }
    async fn query(&self, query: &Query) -> Result<Page<Identity>> {
        self.store.query(query).await
    }
    async fn count(&self, filter: &Filter) -> Result<u64> {
        self.store.count(filter).await
    }
    async fn facets(&self, filter: &Filter, facets: &[Facet]) -> Result<FacetCounts> {
        self.store.facets(filter, facets).await
    }
}
