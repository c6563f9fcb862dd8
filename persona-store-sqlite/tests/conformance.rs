//! The conformance suite against a fresh SQLite database file per test, directly and behind
//! `Arc<dyn Store>`.

use persona_store_sqlite::SqliteStore;

/// A store on a new database in its own temporary directory. The directory is leaked so it
/// outlives the store handle the suite keeps; it lives under the OS temp dir and is tiny.
fn fresh() -> SqliteStore {
    let dir = tempfile::tempdir().expect("temp dir").keep();
    SqliteStore::open(dir.join("conformance.db")).expect("open sqlite store")
}

mod direct {
    use super::*;
    persona_testkit::conformance_tests!(async { Some(fresh()) });
}

mod dynamic {
    use super::*;
    use persona_core::Store;
    use std::sync::Arc;
    persona_testkit::conformance_tests!(async { Some(Arc::new(fresh()) as Arc<dyn Store>) });
}

mod in_memory {
    persona_testkit::conformance_tests!(async {
        Some(persona_store_sqlite::SqliteStore::open_in_memory().expect("open in-memory store"))
    });
}
