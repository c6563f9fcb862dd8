//! Behaviour specific to the SQLite backend: opening, schema checks, locking, text search on
//! non-ASCII words, concurrency across handles.

use std::time::Duration;

use persona_core::query::{Filter, Query};
use persona_core::{
    Actor, Error, Identity, Kind, MemoryStore, Persona, Store, StoreExt, Version, WriteMode,
};
use persona_store_sqlite::rusqlite::Connection;
use persona_store_sqlite::{APPLICATION_ID, SCHEMA_VERSION, SqliteOptions, SqliteStore};

fn actor() -> Actor {
    Actor::new("sqlite-tests")
}

fn persona() -> Persona {
    Persona::new("Panel", "testing", "You answer test questions.")
}

#[tokio::test]
async fn open_creates_a_wal_database_that_keeps_data_across_handles() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keep.db");
    let created = {
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.path(), Some(path.as_path()));
        store.personas().create(&actor(), persona()).await.unwrap()
    };
    assert!(path.exists());
    let raw = Connection::open(&path).unwrap();
    let mode: String = raw
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = raw
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let app: i32 = raw
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .unwrap();
    assert_eq!(app, APPLICATION_ID);
    drop(raw);

    let reopened = SqliteStore::open(&path).unwrap();
    let found = reopened.personas().get(created.id.as_str()).await.unwrap();
    assert_eq!(found, created);
}

#[tokio::test]
async fn newer_schema_is_refused_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.db");
    drop(SqliteStore::open(&path).unwrap());
    let raw = Connection::open(&path).unwrap();
    raw.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(raw);
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("newer"), "{err}");
}

#[tokio::test]
async fn foreign_databases_are_refused_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("foreign.db");
    let raw = Connection::open(&path).unwrap();
    raw.execute_batch("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);")
        .unwrap();
    drop(raw);
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    // Nothing was changed in the foreign file.
    let raw = Connection::open(&path).unwrap();
    let tables: i64 = raw
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 1);

    let versioned = dir.path().join("versioned.db");
    let raw = Connection::open(&versioned).unwrap();
    raw.execute_batch("CREATE TABLE records (x); PRAGMA user_version = 1;")
        .unwrap();
    drop(raw);
    assert!(matches!(
        SqliteStore::open(&versioned).unwrap_err(),
        Error::Corrupt { .. }
    ));

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x5a_u8; 8192]).unwrap();
    assert!(matches!(
        SqliteStore::open(&garbage).unwrap_err(),
        Error::Corrupt { .. }
    ));
}

#[tokio::test]
async fn unreadable_documents_are_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("docs.db");
    let store = SqliteStore::open(&path).unwrap();
    let stored = store.personas().create(&actor(), persona()).await.unwrap();
    let raw = Connection::open(&path).unwrap();
    raw.execute("UPDATE documents SET doc = '{\"name\": 12'", [])
        .unwrap();
    let err = store
        .get(Kind::Persona, stored.id.as_str())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    assert!(std::error::Error::source(&err).is_some());
}

/// A store on a new file in `dir` waiting `busy_timeout` for locks, and another connection that
/// holds the file's write lock (`BEGIN IMMEDIATE`) until it commits, rolls back or is dropped.
fn locked_store(dir: &tempfile::TempDir, busy_timeout: Duration) -> (SqliteStore, Connection) {
    let path = dir.path().join("locked.db");
    let options = SqliteOptions::default().busy_timeout(busy_timeout);
    let store = SqliteStore::open_with(&path, options).unwrap();
    let other = Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    (store, other)
}

#[tokio::test]
async fn a_held_write_lock_is_a_retryable_error() {
    let dir = tempfile::tempdir().unwrap();
    let (store, other) = locked_store(&dir, Duration::from_millis(50));
    let err = store
        .personas()
        .create(&actor(), persona())
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert!(
        matches!(
            err,
            Error::Backend {
                retryable: true,
                ..
            }
        ),
        "{err:?}"
    );
    other.execute_batch("ROLLBACK").unwrap();
    store.personas().create(&actor(), persona()).await.unwrap();
}

#[tokio::test]
async fn a_missing_directory_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let err = SqliteStore::open(dir.path().join("no/such/dir/x.db")).unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");
    assert!(err.is_retryable());
}

/// Words whose Unicode properties differ between Rust and SQLite's own tokenizers: accents,
/// dotted capital I, final sigma, scripts with combining vowel signs, CJK, ligatures,
/// superscript digits, and prefixes of longer words.
const NAMES: &[&str] = &[
    "Élodie Durand",
    "Elodie Martin",
    "İstanbul Öztürk",
    "ΟΔΥΣΣΕΥΣ Παπαδόπουλος",
    "हिंदी शर्मा",
    "東京 太郎",
    "Straße Weiß",
    "Strasse Weiss",
    "ǅemal Ǆukić",
    "x² Tȟašúŋke",
    "cafe\u{301} Noël",
    "Zoë Ångström",
    "ﬁnn O'Brien",
];

const QUERIES: &[&str] = &[
    "élodie",
    "ELODIE",
    "elodie",
    "élo",
    "istanbul",
    "İstanbul",
    "i̇stanbul",
    "öztürk",
    "οδυσσευς",
    "ΟΔΥΣΣΕΥΣ",
    "οδυσσευσ",
    "παπαδόπουλος",
    "हिंदी",
    "हिंद",
    "शर्मा",
    "東京",
    "東",
    "straße",
    "strasse",
    "STRASSE",
    "weiß",
    "ǆemal",
    "ǅemal",
    "džemal",
    "x²",
    "x2",
    "tȟašúŋke",
    "cafe",
    "café",
    "noël",
    "zoë ångström",
    "zoe",
    "ﬁnn",
    "finn",
    "o brien",
    "brien o",
];

#[tokio::test]
async fn text_search_on_non_ascii_words_equals_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(dir.path().join("text.db")).unwrap();
    let memory = MemoryStore::new();
    let persona = persona();
    for store in [&sqlite as &dyn Store, &memory as &dyn Store] {
        store
            .personas()
            .create(&actor(), persona.clone())
            .await
            .unwrap();
        let identities: Vec<Identity> = NAMES
            .iter()
            .enumerate()
            .map(|(n, name)| {
                let mut identity = Identity::new(persona.id.clone(), *name);
                identity.id = format!("id-{n:02}").into();
                identity.description = format!("Person number {n}");
                identity
            })
            .collect();
        store
            .identities()
            .put_many(&actor(), identities, WriteMode::Create)
            .await
            .unwrap();
    }
    let mut matched = 0;
    for text in QUERIES {
        let query = Query::new().text(*text).limit(100);
        let expected = memory.query(&query).await.unwrap();
        let actual = sqlite.query(&query).await.unwrap();
        let ids = |page: &persona_core::Page<Identity>| -> Vec<String> {
            page.items.iter().map(|i| i.id.to_string()).collect()
        };
        assert_eq!(ids(&actual), ids(&expected), "query {text:?}");
        let filter = Filter {
            text: Some((*text).to_owned()),
            ..Filter::default()
        };
        assert_eq!(
            sqlite.count(&filter).await.unwrap(),
            memory.count(&filter).await.unwrap(),
            "count {text:?}"
        );
        matched += expected.items.len();
    }
    // The corpus exercises both hits and misses.
    assert!(matched > 10, "{matched}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_file_never_lose_an_update() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let first = SqliteStore::open(&path).unwrap();
    let second = SqliteStore::open(&path).unwrap();
    let stored = first.personas().create(&actor(), persona()).await.unwrap();
    for round in 0..10u64 {
        let version = Version(round + 1);
        let mut a = stored.clone();
        a.topic = format!("first {round}");
        a.version = version;
        let mut b = stored.clone();
        b.topic = format!("second {round}");
        b.version = version;
        let who = actor();
        let (pa, pb) = (first.personas(), second.personas());
        let (ra, rb) = tokio::join!(pa.update(&who, a), pb.update(&who, b));
        let wins = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "round {round}: {ra:?} {rb:?}");
        let loser = if ra.is_ok() { rb } else { ra };
        assert!(
            matches!(loser, Err(Error::VersionConflict { .. })),
            "{loser:?}"
        );
    }
    let last = second.personas().get(stored.id.as_str()).await.unwrap();
    assert_eq!(last.version, Version(11));
    assert_eq!(
        first
            .versions(Kind::Persona, stored.id.as_str())
            .await
            .unwrap()
            .len(),
        11
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_run_concurrently_with_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("wal.db")).unwrap();
    let persona = store.personas().create(&actor(), persona()).await.unwrap();
    let writer = {
        let store = store.clone();
        let persona = persona.clone();
        tokio::spawn(async move {
            for n in 0..40 {
                let identities: Vec<Identity> = (0..25)
                    .map(|k| Identity::new(persona.id.clone(), format!("Person {n} {k}")))
                    .collect();
                store
                    .identities()
                    .put_many(&actor(), identities, WriteMode::Create)
                    .await
                    .unwrap();
            }
        })
    };
    let mut readers = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        readers.push(tokio::spawn(async move {
            let mut last = 0;
            for _ in 0..30 {
                let count = store.count(&Filter::default()).await.unwrap();
                // Batches commit whole: a reader sees a multiple of the batch size, never less
                // than before.
                assert_eq!(count % 25, 0, "{count}");
                assert!(count >= last);
                last = count;
                store.query(&Query::new().text("person")).await.unwrap();
            }
        }));
    }
    writer.await.unwrap();
    for reader in readers {
        reader.await.unwrap();
    }
    assert_eq!(store.count(&Filter::default()).await.unwrap(), 1000);
}

#[tokio::test]
async fn in_memory_stores_are_private() {
    let a = SqliteStore::open_in_memory().unwrap();
    let b = SqliteStore::open_in_memory().unwrap();
    assert_eq!(a.path(), None);
    let stored = a.personas().create(&actor(), persona()).await.unwrap();
    assert!(
        b.get(Kind::Persona, stored.id.as_str())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        a.clone()
            .get(Kind::Persona, stored.id.as_str())
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(a.check_health().await.unwrap().backend, "sqlite");
}

#[tokio::test]
async fn tags_and_text_follow_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tags.db");
    let store = SqliteStore::open(&path).unwrap();
    let persona = store.personas().create(&actor(), persona()).await.unwrap();
    let mut identity = Identity::new(persona.id.clone(), "Ada Lovelace");
    identity.tags = vec!["a".into(), "b".into(), "b".into()];
    let created = store.identities().create(&actor(), identity).await.unwrap();
    let id = created.id.to_string();
    let found = |query: Query| {
        let store = store.clone();
        async move {
            store
                .query(&query)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|i| i.id.to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found(Query::new().any_tag("a")).await, vec![id.clone()]);
    assert_eq!(
        found(Query::new().all_tag("a").all_tag("b")).await,
        vec![id.clone()]
    );

    let mut changed = created.clone();
    changed.tags = vec!["b".into(), "c".into()];
    changed.name = "Ada King".into();
    let updated = store.identities().update(&actor(), changed).await.unwrap();
    assert!(found(Query::new().any_tag("a")).await.is_empty());
    assert!(found(Query::new().text("lovelace")).await.is_empty());
    assert_eq!(
        found(Query::new().all_tag("c").text("king")).await,
        vec![id.clone()]
    );

    assert_eq!(updated.version, Version(2));
    store.identities().delete(&actor(), &id).await.unwrap();
    assert!(found(Query::new().any_tag("b")).await.is_empty());
    assert!(found(Query::new().text("ada")).await.is_empty());
    store.identities().restore(&actor(), &id).await.unwrap();
    assert_eq!(
        found(Query::new().any_tag("c").text("ada")).await,
        vec![id.clone()]
    );

    store.purge(Kind::Identity, &id, &actor()).await.unwrap();
    assert!(found(Query::new().any_tag("c")).await.is_empty());
    let raw = Connection::open(&path).unwrap();
    for table in [
        "records WHERE kind = 'identity'",
        "history",
        "identity_tags",
    ] {
        let rows: i64 = raw
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 0, "{table}");
    }
    raw.execute(
        "INSERT INTO identity_fts (identity_fts) VALUES ('integrity-check')",
        [],
    )
    .expect("the text index matches the identity rows");
    let hits: i64 = raw
        .query_row(
            "SELECT count(*) FROM identity_fts WHERE identity_fts MATCH '\"ada\"'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(hits, 0);
}

/// Calls that may not block in place (a current-thread runtime, where `block_in_place` panics, or
/// no runtime at all) are handed to the connection threads: the same behaviours hold there.
mod executors {
    use std::future::Future;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    use persona_testkit::conformance;

    use super::*;

    /// A namespace of its own for one behaviour of one run.
    fn ns(store: &SqliteStore, name: &str) -> SqliteStore {
        store.with_namespace(
            persona_core::Namespace::new(format!("{}-{name}", store.namespace())).unwrap(),
        )
    }

    fn fresh(dir: &tempfile::TempDir) -> SqliteStore {
        SqliteStore::open(dir.path().join("executors.db")).unwrap()
    }

    async fn behaviours(store: &SqliteStore) {
        conformance::identity_create_then_get(store).await;
        conformance::history_lists_every_version(&ns(store, "h")).await;
        conformance::rollback_restores_old_content(&ns(store, "r")).await;
        conformance::purge_erases_record_and_history(&ns(store, "p")).await;
        conformance::query_each_filter_matches_reference(&ns(store, "q")).await;
        conformance::concurrent_updates_one_wins(&ns(store, "c")).await;
    }

    #[test]
    fn a_current_thread_runtime_is_served_by_the_threads() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = fresh(&dir);
        runtime.block_on(behaviours(&store));
        // In-memory stores share one connection between reads and writes.
        let memory = SqliteStore::open_in_memory().unwrap();
        runtime.block_on(behaviours(&memory));
    }

    #[test]
    fn a_multi_thread_runtime_runs_calls_in_place() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = fresh(&dir);
        // From `block_on` and from tasks on the workers.
        runtime.block_on(behaviours(&store));
        let spawned = ns(&store, "spawned");
        runtime
            .block_on(runtime.spawn(async move { behaviours(&spawned).await }))
            .unwrap();
    }

    struct Unpark(std::thread::Thread);

    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }

    /// The simplest executor: polls on this thread, parks until woken. Not Tokio.
    fn block_on<F: Future>(future: F) -> F::Output {
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut context = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
                return output;
            }
            std::thread::park();
        }
    }

    #[test]
    fn another_executor_is_served_by_the_threads() {
        let dir = tempfile::tempdir().unwrap();
        let store = fresh(&dir);
        let persona = block_on(store.personas().create(&actor(), persona())).unwrap();
        let found = block_on(store.get(Kind::Persona, persona.id.as_str())).unwrap();
        assert_eq!(found.unwrap().id_str(), persona.id.as_str());
        assert_eq!(
            block_on(store.versions(Kind::Persona, persona.id.as_str()))
                .unwrap()
                .len(),
            1
        );
    }

    /// A call running in place must not stall the worker's other tasks: here the write waits for
    /// a lock that only another task on the same single worker releases.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_call_in_place_leaves_the_runtime_running() {
        let dir = tempfile::tempdir().unwrap();
        let (store, other) = locked_store(&dir, Duration::from_secs(20));
        let (writing, started_writing) = tokio::sync::oneshot::channel::<()>();
        let releaser = tokio::spawn(async move {
            started_writing.await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
            other.execute_batch("ROLLBACK").unwrap();
        });
        let started = std::time::Instant::now();
        let writer = tokio::spawn(async move {
            writing.send(()).unwrap();
            store.personas().create(&actor(), persona()).await
        });
        writer.await.unwrap().unwrap();
        releaser.await.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the write waited for its busy timeout: the runtime was blocked"
        );
    }
}

/// A database of schema version 1 (before `facet_counts` and `documents.deleted`) is migrated on
/// open: whole-namespace facets and counts then equal those of a filter that matches every
/// identity, which reads the rows themselves, and soft-deleted records stay hidden from reads by
/// id.
#[tokio::test]
async fn opening_a_schema_1_database_migrates_its_counts_and_flags() {
    use persona_core::Facet;
    use persona_testkit::fixtures::Generator;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    let mut expected = Vec::new();
    {
        let store = SqliteStore::open(&path).unwrap();
        for (index, namespace) in ["default", "other"].into_iter().enumerate() {
            let store = store.with_namespace(persona_core::Namespace::new(namespace).unwrap());
            let persona = store.personas().create(&actor(), persona()).await.unwrap();
            let identities: Vec<Identity> = Generator::new(index as u64, persona.id.clone())
                .take(120 + index * 40)
                .collect();
            let stored = store
                .identities()
                .put_many(&actor(), identities, WriteMode::Create)
                .await
                .unwrap();
            for gone in stored.iter().step_by(7) {
                store
                    .identities()
                    .delete(&actor(), gone.id.as_str())
                    .await
                    .unwrap();
            }
            let (gone, kept) = (stored[0].id.to_string(), stored[1].id.to_string());
            let everyone = Filter {
                persona_ids: vec![persona.id.clone()],
                ..Filter::default()
            };
            let facets = store.facets(&everyone, &Facet::ALL).await.unwrap();
            let count = store.count(&everyone).await.unwrap();
            assert_eq!(
                store.facets(&Filter::default(), &Facet::ALL).await.unwrap(),
                facets
            );
            assert_eq!(store.count(&Filter::default()).await.unwrap(), count);
            assert!(count > 100);
            expected.push((store.namespace().clone(), facets, count, gone, kept));
        }
    }

    let raw = Connection::open(&path).unwrap();
    raw.execute_batch(
        "DROP TABLE facet_counts; ALTER TABLE documents DROP COLUMN deleted; \
         PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(raw);

    let reopened = SqliteStore::open(&path).unwrap();
    let version: i64 = Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    for (namespace, facets, count, gone, kept) in expected {
        let store = reopened.with_namespace(namespace);
        assert!(store.identities().find(&gone).await.unwrap().is_none());
        assert!(store.identities().find(&kept).await.unwrap().is_some());
        assert_eq!(
            store.facets(&Filter::default(), &Facet::ALL).await.unwrap(),
            facets
        );
        assert_eq!(store.count(&Filter::default()).await.unwrap(), count);
    }
}
