//! Reaching the test Redis: a store under a random key prefix per test.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use persona_store_redis::RedisStore;
use persona_store_redis::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use persona_testkit::services;

/// A manager for `TEST_REDIS_URL`, or `None` (after printing `skipping: …`) when unreachable;
/// panics instead when `TEST_REQUIRE_SERVICES=1`.
///
/// It waits for replies as long as [`RedisStore::connect`]'s connection does: with the driver's
/// default of 500 ms, a 500-identity batch timed out whenever the server was slowed down (by
/// `redis-cli monitor`, or by the rest of the suite running alongside), and the test failed.
pub async fn manager() -> Option<ConnectionManager> {
    let url = services::redis_url();
    let client = match persona_store_redis::redis::Client::open(url.as_str()) {
        Ok(client) => client,
        Err(error) => return services::unreachable("redis", error),
    };
    let config = ConnectionManagerConfig::new()
        .set_number_of_retries(1)
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(RedisStore::RESPONSE_TIMEOUT));
    match ConnectionManager::new_with_config(client, config).await {
        Ok(manager) => Some(manager),
        Err(error) => services::unreachable("redis", error),
    }
}

/// A store under a fresh random key prefix, so tests run in parallel without sharing keys.
pub async fn store() -> Option<RedisStore> {
    let manager = manager().await?;
    let prefix = format!("test-{}", services::unique_suffix());
    Some(
        RedisStore::new(manager)
            .with_prefix(&prefix)
            .expect("valid prefix"),
    )
}

/// A client for `TEST_REDIS_URL`, for the cache's local tier (its tracking connection).
pub fn client() -> persona_store_redis::redis::Client {
    persona_store_redis::redis::Client::open(services::redis_url().as_str())
        .expect("valid TEST_REDIS_URL")
}
