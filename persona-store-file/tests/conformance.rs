//! The whole conformance suite against a `FileStore` in a fresh directory per test, directly and
//! behind `Arc<dyn Store>`.

use persona_store_file::FileStore;

/// A new store in its own directory under Cargo's scratch folder for integration tests. The
/// directory is kept (the store must outlive the setup) and cleaned with `cargo clean`.
fn fresh() -> FileStore {
    let dir = tempfile::Builder::new()
        .prefix("conformance-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir")
        .keep();
    FileStore::open(dir).expect("open a fresh file store")
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
