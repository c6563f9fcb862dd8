//! The conformance suite against the reference `MemoryStore`, directly and behind `Arc<dyn Store>`.

use persona_core::MemoryStore;

mod direct {
    use super::*;
    persona_testkit::conformance_tests!(async { Some(MemoryStore::new()) });
}

mod dynamic {
    use super::*;
    use persona_core::Store;
    use std::sync::Arc;
    persona_testkit::conformance_tests!(async {
        Some(Arc::new(MemoryStore::new()) as Arc<dyn Store>)
    });
}
