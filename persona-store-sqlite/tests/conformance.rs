//! The conformance suite against a fresh SQLite database file per test, directly and behind
//! `Arc<dyn Store>`.

use persona_store_sqlite::SqliteStore;

/// A store on a new database in its own directory. The suite keeps only the store handle, so the
/// directory cannot be removed when a test ends; it is kept under Cargo's scratch directory for
/// integration tests (`target/tmp`), which `cargo clean` empties.
fn fresh() -> SqliteStore {
    static SWEEP: std::sync::Once = std::sync::Once::new();
    SWEEP.call_once(sweep_old_runs);
    let dir = tempfile::Builder::new()
        .prefix("sqlite-conformance-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir")
        .keep();
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

/// Removes the databases of earlier runs (older than an hour, so a concurrent run keeps its own).
fn sweep_old_runs() {
    let Ok(entries) = std::fs::read_dir(env!("CARGO_TARGET_TMPDIR")) else {
        return;
    };
    let hour = std::time::Duration::from_secs(3600);
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|modified| modified.elapsed().is_ok_and(|age| age > hour));
        if old
            && entry
                .file_name()
                .to_string_lossy()
                .starts_with("sqlite-conformance-")
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
