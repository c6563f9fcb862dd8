//! Test setup: a fresh, migrated schema per test on the server named by `TEST_POSTGRES_URL`,
//! dropped when the test's last handle goes away.

#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use persona_store_postgres::sqlx::Connection;
use persona_store_postgres::sqlx::postgres::PgPoolOptions;
use persona_store_postgres::{PostgresStore, sqlx};
use persona_testkit::{Guarded, services};

/// A fresh schema name.
pub fn schema_name() -> String {
    format!("persona_t_{}", services::unique_suffix())
}

/// Set once the server was found unreachable, so later tests skip at once.
static UNREACHABLE: AtomicBool = AtomicBool::new(false);

/// A small pool on the test server, or `None` (after printing `skipping: …`) when it is
/// unreachable; panics instead when `TEST_REQUIRE_SERVICES=1`.
pub async fn pool() -> Option<sqlx::PgPool> {
    let url = services::postgres_url();
    let service = format!("PostgreSQL at {url}");
    if UNREACHABLE.load(Ordering::Relaxed) {
        return services::unreachable(&service, "an earlier test could not connect");
    }
    // One direct connection first: a refused connection fails at once, where a pool would keep
    // retrying until its acquire timeout.
    let probe =
        tokio::time::timeout(Duration::from_secs(5), sqlx::PgConnection::connect(&url)).await;
    match probe {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
        }
        Ok(Err(err)) => {
            UNREACHABLE.store(true, Ordering::Relaxed);
            return services::unreachable(&service, err);
        }
        Err(elapsed) => {
            UNREACHABLE.store(true, Ordering::Relaxed);
            return services::unreachable(&service, elapsed);
        }
    }
    let connected = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .connect(&url)
        .await;
    match connected {
        Ok(pool) => Some(pool),
        Err(err) => services::unreachable(&service, err),
    }
}

/// A migrated store in a fresh schema (the caller drops the schema).
pub async fn store() -> Option<PostgresStore> {
    let pool = pool().await?;
    let store = PostgresStore::with_schema(pool, schema_name()).expect("valid schema name");
    store.migrate().await.expect("migrations apply");
    Some(store)
}

/// Drops its store's schema when dropped.
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
            // Best effort: a schema left behind by a failed drop only costs disk space.
            let _ = handle.block_on(store.drop_schema());
        });
    }
}

/// A [`PostgresStore`] in a scratch schema that is dropped with the last handle.
pub type ScratchStore = Guarded<PostgresStore>;

/// A scratch store, or `None` when the server is unreachable (see [`pool`]).
pub async fn scratch() -> Option<ScratchStore> {
    let store = store().await?;
    Some(Guarded::new(store.clone(), SchemaGuard(store)))
}
