//! The whole conformance suite for `CachedStore` in front of `PostgresStore`, each test in a
//! fresh PostgreSQL schema (dropped when the test's store goes away) under a fresh cache key
//! prefix.
//!
//! Needs PostgreSQL (`TEST_POSTGRES_URL`) and Redis (`TEST_REDIS_URL`); skips when either is
//! unreachable unless `TEST_REQUIRE_SERVICES=1`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use persona_core::query::{Facet, FacetCounts, Filter, ListRequest, Page, Query};
use persona_core::{
    Actor, AnyRecord, AuditEntry, AuditQuery, Batch, Capabilities, Health, HistoryEntry, Identity,
    Kind, Namespace, Result, Store, Tombstone, Version, VersionInfo,
};
use persona_store_postgres::PostgresStore;
use persona_store_postgres::sqlx::postgres::PgPoolOptions;
use persona_store_redis::CachedStore;
use persona_testkit::services;

/// Drops its store's schema when the last handle goes away.
#[derive(Debug)]
struct SchemaGuard(PostgresStore);

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
            return;
        }
        let store = self.0.clone();
        tokio::task::block_in_place(|| {
            // Best effort: a schema left behind only costs disk space.
            let _ = handle.block_on(store.drop_schema());
        });
    }
}

/// A `PostgresStore` in a scratch schema.
#[derive(Debug, Clone)]
struct Scratch {
    store: PostgresStore,
    _guard: Arc<SchemaGuard>,
}

async fn scratch() -> Option<Scratch> {
    let url = services::postgres_url();
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .connect(&url)
        .await;
    let pool = match pool {
        Ok(pool) => pool,
        Err(err) => return services::unreachable(&format!("PostgreSQL at {url}"), err),
    };
    let schema = format!("persona_cache_t_{}", services::unique_suffix());
    let store = PostgresStore::with_schema(pool, schema).expect("valid schema name");
    store.migrate().await.expect("migrations apply");
    Some(Scratch {
        _guard: Arc::new(SchemaGuard(store.clone())),
        store,
    })
}

#[async_trait]
impl Store for Scratch {
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
        Arc::new(Scratch {
            store: self.store.with_namespace(namespace),
            _guard: Arc::clone(&self._guard),
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

persona_testkit::conformance_tests!(async {
    let manager = common::manager().await?;
    let inner = scratch().await?;
    Some(
        CachedStore::new(inner, manager)
            .with_prefix(&format!("test-cache-pg-{}", services::unique_suffix()))
            .expect("valid prefix"),
    )
});
