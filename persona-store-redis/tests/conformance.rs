//! The whole conformance suite, for `RedisStore` and for `CachedStore` in front of `MemoryStore`.
//!
//! Each test gets a random key prefix (`test-<random>`), so tests run in parallel; the keys of a
//! prefix are left behind for inspection (run `redis-cli --scan --pattern '{test-*'` to see them,
//! `FLUSHDB` on the test server to drop them).

mod common;

mod redis_store {
    persona_testkit::conformance_tests!(async { super::common::store().await });
}

mod cached_memory {
    use persona_core::MemoryStore;
    use persona_store_redis::CachedStore;
    use persona_testkit::services;

    persona_testkit::conformance_tests!(async {
        let manager = super::common::manager().await?;
        let prefix = format!("test-cache-{}", services::unique_suffix());
        Some(
            CachedStore::new(MemoryStore::new(), manager)
                .with_prefix(&prefix)
                .expect("valid prefix"),
        )
    });
}
