//! The whole conformance suite, for `RedisStore` and for `CachedStore` in front of `MemoryStore`
//! (Redis alone) and in front of a SQLite database file (with its local tier in the process).
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

mod cached_sqlite {
    use persona_store_redis::CachedStore;
    use persona_store_sqlite::SqliteStore;
    use persona_testkit::services;

    persona_testkit::conformance_tests!(async {
        let manager = super::common::manager().await?;
        let suffix = services::unique_suffix();
        let path =
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cached-{suffix}.db"));
        let inner = SqliteStore::open(&path).expect("open SQLite");
        Some(
            CachedStore::new(inner, manager)
                .with_prefix(&format!("test-cache-sqlite-{suffix}"))
                .expect("valid prefix")
                .with_local_tier(&super::common::client(), 1_000),
        )
    });
}
