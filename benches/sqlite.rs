//! The SQLite store against hand-written rusqlite + serde_json code doing the same work on the same
//! documents, with the same pragmas (WAL, `synchronous = FULL`, foreign keys on, 64 MiB page cache).
//!
//! Run: `cargo bench -p persona-benches --bench sqlite -- --warm-up-time 1 --measurement-time 3`

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use persona_benches::fixtures;
use persona_core::attributes::psychographics::Trait;
use persona_core::{Actor, Batch, Identity, Kind, Query, Store, StoreExt, WriteMode};
use persona_store_sqlite::SqliteStore;
use persona_store_sqlite::rusqlite::types::{ToSqlOutput, ValueRef};
use persona_store_sqlite::rusqlite::{Connection, params};
use tempfile::TempDir;
use tokio::runtime::Runtime;

const BULK: usize = 10_000;
const LARGE: usize = 100_000;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn actor() -> Actor {
    Actor::new("bench")
}

fn json_text(bytes: &[u8]) -> ToSqlOutput<'_> {
    ToSqlOutput::Borrowed(ValueRef::Text(bytes))
}

/// The hand-written baseline's database: one table of JSON documents keyed by id, plus the three
/// query columns the filtered query needs, indexed the way a careful hand-written schema would.
fn raw_open(path: &Path) -> Connection {
    let connection = Connection::open(path).expect("open raw");
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
             PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;
             CREATE TABLE IF NOT EXISTS identities (
                 id TEXT PRIMARY KEY, doc TEXT NOT NULL,
                 country TEXT, age INTEGER, openness REAL, created_at INTEGER);
             CREATE INDEX IF NOT EXISTS identities_country ON identities (country, age);",
        )
        .expect("raw schema");
    connection
}

/// Inserts `identities` as the baseline does: serialise, insert, one prepared transaction.
fn raw_insert(connection: &mut Connection, identities: &[Identity], with_columns: bool) {
    let tx = connection.transaction().expect("begin");
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO identities (id, doc, country, age, openness, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .expect("prepare");
        for identity in identities {
            let doc = serde_json::to_vec(identity).expect("serialise");
            let demographics = identity.rich_attributes.demographics.as_ref();
            let (country, age, openness, created) = if with_columns {
                (
                    demographics
                        .and_then(|d| d.location.as_ref())
                        .and_then(|l| l.country.as_deref())
                        .map(str::to_lowercase),
                    demographics.and_then(|d| d.age),
                    identity
                        .rich_attributes
                        .psychographics
                        .as_ref()
                        .and_then(|p| p.personality.as_ref())
                        .map(|p| p.openness),
                    identity.created_at.map(|t| t.unix_nanos()),
                )
            } else {
                (None, None, None, None)
            };
            insert
                .execute(params![
                    identity.id.as_str(),
                    json_text(&doc),
                    country,
                    age,
                    openness,
                    created
                ])
                .expect("insert");
        }
    }
    tx.commit().expect("commit");
}

fn raw_get(connection: &Connection, id: &str) -> Option<Identity> {
    let mut statement = connection
        .prepare_cached("SELECT doc FROM identities WHERE id = ?1")
        .expect("prepare");
    let mut rows = statement.query([id]).expect("query");
    let row = rows.next().expect("step")?;
    let bytes = row.get_ref(0).expect("doc").as_bytes().expect("text");
    Some(serde_json::from_slice(bytes).expect("parse"))
}

fn raw_query(connection: &Connection) -> Vec<Identity> {
    let mut statement = connection
        .prepare_cached(
            "SELECT doc FROM identities WHERE rowid IN ( \
                 SELECT rowid FROM identities WHERE country = ?1 AND age BETWEEN ?2 AND ?3 \
                 AND openness >= ?4 ORDER BY created_at, id LIMIT 50) \
             ORDER BY created_at, id",
        )
        .expect("prepare");
    let mut rows = statement.query(params!["de", 30, 45, 0.6]).expect("query");
    let mut out = Vec::with_capacity(50);
    while let Some(row) = rows.next().expect("step") {
        let bytes = row.get_ref(0).expect("doc").as_bytes().expect("text");
        out.push(serde_json::from_slice(bytes).expect("parse"));
    }
    out
}

fn sdk_query() -> Query {
    Query::new()
        .age(30..=45)
        .country("DE")
        .trait_range(Trait::Openness, 0.6..=1.0)
        .limit(50)
}

/// A fresh SDK store holding only the bench persona.
fn sdk_fresh(rt: &Runtime) -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("sdk.db")).expect("open sdk");
    rt.block_on(store.personas().create(&actor(), fixtures::persona()))
        .expect("persona");
    (dir, store)
}

fn batch(identities: &[Identity]) -> Batch {
    let mut batch = Batch::new(actor());
    for identity in identities {
        batch
            .put(identity.clone(), WriteMode::Create)
            .expect("valid identity");
    }
    batch
}

/// Drops parts of the SDK schema to measure what they cost (bench only: such a store is broken).
fn strip(store: &SqliteStore, sql: &str) {
    let raw = Connection::open(store.path().expect("file store")).expect("open");
    raw.execute_batch(sql).expect("strip");
}

/// The FTS5 table replaced by a plain table that accepts the same inserts.
const NO_FTS: &str = "DROP TABLE identity_fts; CREATE TABLE identity_fts (tokens TEXT);";
/// The five query indexes (sort orders and the covering country index).
const NO_SECONDARY: &str = "DROP INDEX identity_created; DROP INDEX identity_updated; \
     DROP INDEX identity_name; DROP INDEX identity_age; DROP INDEX identity_country;";

fn bulk_insert(c: &mut Criterion) {
    let rt = runtime();
    let identities = fixtures::identities(1, &fixtures::persona().id, BULK);
    let mut group = c.benchmark_group("sqlite/bulk_insert_10k");
    group.sample_size(10);
    group.throughput(Throughput::Elements(BULK as u64));
    group.bench_function("raw_rusqlite", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("temp dir");
                let connection = raw_open(&dir.path().join("raw.db"));
                (dir, connection)
            },
            |(dir, mut connection)| {
                raw_insert(&mut connection, &identities, false);
                (dir, connection)
            },
            BatchSize::PerIteration,
        );
    });
    // `put_many` takes the identities by value: the copy it consumes is made in the untimed
    // setup (the baseline borrows the same identities). The records every SDK variant returns
    // are dropped after timing (criterion drops `iter_batched` outputs outside the measurement),
    // like the baseline's inputs.
    group.bench_function("sdk_put_many", |b| {
        b.iter_batched(
            || (sdk_fresh(&rt), identities.clone()),
            |((dir, store), identities)| {
                let stored = rt
                    .block_on(
                        store
                            .identities()
                            .put_many(&actor(), identities, WriteMode::Create),
                    )
                    .expect("put_many");
                (dir, store, stored)
            },
            BatchSize::PerIteration,
        );
    });
    for (name, strip_sql) in [
        ("sdk_apply", None),
        ("sdk_apply_without_fts", Some(NO_FTS)),
        ("sdk_apply_without_secondary_indexes", Some(NO_SECONDARY)),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let (dir, store) = sdk_fresh(&rt);
                    if let Some(sql) = strip_sql {
                        strip(&store, sql);
                    }
                    (dir, store, batch(&identities))
                },
                |(dir, store, batch)| {
                    let stored = rt.block_on(store.apply(batch)).expect("apply");
                    (dir, store, stored)
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

fn point_get(c: &mut Criterion) {
    let rt = runtime();
    let identities = fixtures::identities(2, &fixtures::persona().id, BULK);
    let ids: Vec<String> = identities.iter().map(|i| i.id.to_string()).collect();
    let (_sdk_dir, store) = sdk_fresh(&rt);
    for chunk in identities.chunks(BULK) {
        rt.block_on(store.apply(batch(chunk))).expect("seed sdk");
    }
    let raw_dir = tempfile::tempdir().expect("temp dir");
    let mut raw = raw_open(&raw_dir.path().join("raw.db"));
    raw_insert(&mut raw, &identities, false);

    let mut group = c.benchmark_group("sqlite/point_get");
    let next = AtomicUsize::new(0);
    let pick = || &ids[next.fetch_add(7919, Ordering::Relaxed) % ids.len()];
    group.bench_function("raw_rusqlite", |b| {
        b.iter(|| raw_get(&raw, pick()).expect("found"));
    });
    group.bench_function("sdk_get", |b| {
        b.to_async(&rt).iter(|| async {
            store
                .get(Kind::Identity, pick())
                .await
                .expect("get")
                .expect("found")
        });
    });
    group.finish();
}

fn filtered_query(c: &mut Criterion) {
    let rt = runtime();
    let identities = fixtures::identities(3, &fixtures::persona().id, LARGE);
    let (_sdk_dir, store) = sdk_fresh(&rt);
    let mut stored = Vec::with_capacity(LARGE);
    for chunk in identities.chunks(BULK) {
        for record in rt.block_on(store.apply(batch(chunk))).expect("seed sdk") {
            stored.push(record.as_identity().expect("identity").clone());
        }
    }
    let raw_dir = tempfile::tempdir().expect("temp dir");
    let mut raw = raw_open(&raw_dir.path().join("raw.db"));
    raw_insert(&mut raw, &stored, true);

    let sdk_page = rt.block_on(store.query(&sdk_query())).expect("query");
    let raw_page = raw_query(&raw);
    assert_eq!(sdk_page.items.len(), 50);
    assert_eq!(
        sdk_page.items.iter().map(|i| &i.id).collect::<Vec<_>>(),
        raw_page.iter().map(|i| &i.id).collect::<Vec<_>>(),
        "the baseline answers the same query"
    );

    let mut group = c.benchmark_group("sqlite/filtered_query_100k");
    group.bench_function("raw_rusqlite", |b| {
        b.iter(|| raw_query(&raw));
    });
    group.bench_function("sdk_query", |b| {
        b.to_async(&rt)
            .iter(|| async { store.query(&sdk_query()).await.expect("query") });
    });
    group.finish();
}

criterion_group!(benches, bulk_insert, point_get, filtered_query);
criterion_main!(benches);
