//! The whole conformance suite for `CachedStore` in front of `PostgresStore`, each test in a
//! fresh PostgreSQL schema (dropped when the test's store goes away) under a fresh cache key
//! prefix, with the cache's local tier on.
//!
//! Needs PostgreSQL (`TEST_POSTGRES_URL`) and Redis (`TEST_REDIS_URL`); skips when either is
//! unreachable unless `TEST_REQUIRE_SERVICES=1`.

mod common;

use std::time::Duration;

use persona_store_postgres::PostgresStore;
use persona_store_postgres::sqlx::postgres::PgPoolOptions;
use persona_store_redis::CachedStore;
use persona_testkit::{Guarded, services};

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
type Scratch = Guarded<PostgresStore>;

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
    Some(Guarded::new(store.clone(), SchemaGuard(store)))
}

persona_testkit::conformance_tests!(async {
    let manager = common::manager().await?;
    let inner = scratch().await?;
    Some(
        CachedStore::new(inner, manager)
            .with_prefix(&format!("test-cache-pg-{}", services::unique_suffix()))
            .expect("valid prefix")
            .with_local_tier(&common::client(), 1_000),
    )
});
