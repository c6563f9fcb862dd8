//! Test setup: a fresh, migrated schema per test on the server named by `TEST_POSTGRES_URL`.

#![allow(dead_code, unreachable_pub)]

use persona_core::IdentityId;
use persona_store_postgres::sqlx::postgres::PgPoolOptions;
use persona_store_postgres::{PostgresStore, sqlx};

/// The server the tests use.
pub fn url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

fn required() -> bool {
    std::env::var("TEST_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// A fresh schema name (`persona_t_` and 32 hex digits).
pub fn schema_name() -> String {
    format!(
        "persona_t_{}",
        IdentityId::generate().as_str().replace('-', "")
    )
}

/// A small pool on the test server, or `None` (after printing why) when it is unreachable and
/// services are not required.
pub async fn pool() -> Option<sqlx::PgPool> {
    let url = url();
    let connected = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect(&url)
        .await;
    match connected {
        Ok(pool) => Some(pool),
        Err(err) if required() => {
            panic!("TEST_REQUIRE_SERVICES=1 but PostgreSQL at {url} is unreachable: {err}")
        }
        Err(err) => {
            println!("skipping: PostgreSQL at {url} is unreachable ({err})");
            None
        }
    }
}

/// A migrated store in a fresh schema.
pub async fn store() -> Option<PostgresStore> {
    let pool = pool().await?;
    let store = PostgresStore::with_schema(pool, schema_name()).expect("valid schema name");
    store.migrate().await.expect("migrations apply");
    Some(store)
}
