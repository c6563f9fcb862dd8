//! PostgreSQL store against hand-written sqlx baselines doing the same work without the SDK.
//!
//! ```sh
//! cargo bench -p persona-benches --bench postgres -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Uses `TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`) and a scratch
//! schema dropped at the end; prints `skipping: …` and exits when the server is unreachable.
//!
//! - `bulk_insert_10k`: 10,000 identities in one batch (`put_many`, create mode) into empty
//!   tables, against the same documents (serialised with serde_json) written by hand into an
//!   `(id, doc jsonb)` table with the same lz4 compression, once with one
//!   `INSERT … SELECT FROM UNNEST` and once with a binary `COPY`, each in one transaction.
//!   Every timed run is followed by an untimed run of another variant, so SDK and baselines see
//!   the same background load.
//! - `point_get`: one identity by id (`identities().find`), against `SELECT doc … WHERE id = $1`
//!   plus `serde_json::from_slice::<Identity>`, over 10,000 rows.
//! - `filtered_query_100k`: age 30–45, country US, openness ≥ 0.6, limit 50, over 100,000
//!   identities.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use persona_benches::fixtures;
use persona_core::attributes::psychographics::Trait;
use persona_core::{Actor, Identity, Namespace, PersonaId, Query, StoreExt, WriteMode};
use persona_store_postgres::sqlx::postgres::PgPoolOptions;
use persona_store_postgres::sqlx::{self, AssertSqlSafe, PgPool};
use persona_store_postgres::{PostgresStore, sqlx::Row};
use persona_testkit::fixtures as testkit;
use tokio::runtime::Runtime;

const SEED: u64 = 2026;

struct Bench {
    rt: Runtime,
    pool: PgPool,
    store: PostgresStore,
    schema: String,
}

impl Bench {
    fn open() -> Option<Bench> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let url = persona_testkit::services::postgres_url();
        let pool = rt.block_on(
            // As the store's README advises for application pools: no ping on acquire (sqlx
            // pings on release already). Both the SDK and the baselines use this pool.
            PgPoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(5))
                .test_before_acquire(false)
                .connect(&url),
        );
        let pool = match pool {
            Ok(pool) => pool,
            Err(err) => {
                println!("skipping: PostgreSQL at {url} is unreachable ({err})");
                return None;
            }
        };
        let schema = format!(
            "persona_bench_{}",
            persona_testkit::services::unique_suffix()
        );
        let store = PostgresStore::with_schema(pool.clone(), schema.clone()).expect("schema");
        rt.block_on(async {
            store.migrate().await.expect("migrate");
            for sql in [
                format!("CREATE TABLE {schema}.raw (id text PRIMARY KEY, doc jsonb NOT NULL)"),
                format!("ALTER TABLE {schema}.raw ALTER COLUMN doc SET COMPRESSION lz4"),
            ] {
                sqlx::query(AssertSqlSafe(sql))
                    .execute(&pool)
                    .await
                    .expect("baseline table");
            }
        });
        Some(Bench {
            rt,
            pool,
            store,
            schema,
        })
    }

    fn exec(&self, sql: String) {
        self.rt.block_on(async {
            sqlx::query(AssertSqlSafe(sql))
                .execute(&self.pool)
                .await
                .expect("bench setup statement");
        });
    }

    /// Empties every table (untimed), so each bulk run starts from the same state.
    fn truncate(&self) {
        let s = &self.schema;
        self.exec(format!(
            "TRUNCATE {s}.personas, {s}.identities, {s}.groups, {s}.history, {s}.audit, \
             {s}.counters, {s}.tombstones, {s}.raw"
        ));
    }

    /// A persona in the store's namespace.
    fn persona(&self, store: &PostgresStore) -> PersonaId {
        self.rt.block_on(async {
            store
                .personas()
                .create(&Actor::new("bench"), testkit::persona("Bench panel"))
                .await
                .expect("persona")
                .id
        })
    }

    /// A persona and `n` identities of it (not stored).
    fn seed(&self, store: &PostgresStore, n: usize) -> Vec<Identity> {
        fixtures::identities(SEED, &self.persona(store), n)
    }
}

fn documents(identities: &[Identity]) -> (Vec<String>, Vec<String>) {
    let ids = identities.iter().map(|i| i.id.to_string()).collect();
    let docs = identities
        .iter()
        .map(|i| serde_json::to_string(i).expect("serialise"))
        .collect();
    (ids, docs)
}

async fn raw_insert(pool: &PgPool, sql: &'static str, identities: &[Identity]) {
    let (ids, docs) = documents(identities);
    let mut tx = pool.begin().await.expect("begin");
    sqlx::query(sql)
        .bind(&ids)
        .bind(&docs)
        .execute(&mut *tx)
        .await
        .expect("raw insert");
    tx.commit().await.expect("commit");
}

fn bulk_insert(c: &mut Criterion, bench: &Bench) {
    let raw_sql: &'static str = String::leak(format!(
        "INSERT INTO {}.raw (id, doc) SELECT u.id, u.doc::jsonb \
         FROM UNNEST($1::text[], $2::text[]) AS u(id, doc)",
        bench.schema
    ));
    let copy_sql = format!(
        "COPY {}.raw (id, doc) FROM STDIN (FORMAT binary)",
        bench.schema
    );
    // Each run starts from empty tables; only the write itself is timed.
    let sdk = || {
        bench.truncate();
        let identities = bench.seed(&bench.store, 10_000);
        let actor = Actor::new("bench");
        let (elapsed, stored) = bench.rt.block_on(async {
            let started = Instant::now();
            let stored = bench
                .store
                .identities()
                .put_many(&actor, identities, WriteMode::Create)
                .await
                .expect("put_many");
            (started.elapsed(), stored)
        });
        // Dropped untimed, like the baselines' input.
        drop(stored);
        elapsed
    };
    let unnest = || {
        bench.truncate();
        let identities = bench.seed(&bench.store, 10_000);
        bench.rt.block_on(async {
            let started = Instant::now();
            raw_insert(&bench.pool, raw_sql, &identities).await;
            started.elapsed()
        })
    };
    let copy = || {
        bench.truncate();
        let identities = bench.seed(&bench.store, 10_000);
        bench.rt.block_on(async {
            let started = Instant::now();
            persona_benches::pg_copy_identities(&bench.pool, &copy_sql, &identities).await;
            started.elapsed()
        })
    };
    // Every timed run is followed by an untimed run of another variant, so all three see the
    // same load from the rest of the machine.
    let mut group = c.benchmark_group("postgres/bulk_insert_10k");
    group.sample_size(10);
    group.throughput(criterion::Throughput::Elements(10_000));
    group.bench_function("sdk_put_many", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                total += sdk();
                if i % 2 == 0 {
                    unnest()
                } else {
                    copy()
                };
            }
            total
        });
    });
    group.bench_function("raw_unnest", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += unnest();
                sdk();
            }
            total
        });
    });
    group.bench_function("raw_copy", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += copy();
                sdk();
            }
            total
        });
    });
    group.finish();
}

fn point_get(c: &mut Criterion, bench: &Bench) {
    bench.truncate();
    let identities = bench.seed(&bench.store, 10_000);
    let actor = Actor::new("bench");
    let raw_insert_sql: &'static str = String::leak(format!(
        "INSERT INTO {}.raw (id, doc) SELECT u.id, u.doc::jsonb \
         FROM UNNEST($1::text[], $2::text[]) AS u(id, doc)",
        bench.schema
    ));
    let raw_get: &'static str = String::leak(format!(
        "SELECT doc FROM {}.raw WHERE id = $1",
        bench.schema
    ));
    bench.rt.block_on(async {
        raw_insert(&bench.pool, raw_insert_sql, &identities).await;
        bench
            .store
            .identities()
            .put_many(&actor, identities.clone(), WriteMode::Create)
            .await
            .expect("seed");
    });
    let ids: Vec<String> = identities.iter().map(|i| i.id.to_string()).collect();
    let sdk = |id: &str| {
        let id = id.to_owned();
        async move {
            let found = bench.store.identities().find(&id).await.expect("get");
            assert!(found.is_some());
        }
    };
    let raw = |id: &str| {
        let id = id.to_owned();
        async move {
            let row = sqlx::query(raw_get)
                .bind(&id)
                .fetch_one(&bench.pool)
                .await
                .expect("raw get");
            let doc: sqlx::types::Json<Identity> = row.try_get(0).expect("doc");
            assert_eq!(doc.0.id.as_str(), id);
        }
    };
    let mut group = c.benchmark_group("postgres/point_get");
    let mut next = 0usize;
    group.bench_function("sdk_find", |b| {
        b.to_async(&bench.rt).iter(|| {
            next = (next + 7_919) % ids.len();
            sdk(&ids[next])
        });
    });
    let mut next = 0usize;
    group.bench_function("raw_sqlx", |b| {
        b.to_async(&bench.rt).iter(|| {
            next = (next + 7_919) % ids.len();
            raw(&ids[next])
        });
    });
    group.finish();
}

fn filtered_query(c: &mut Criterion, bench: &Bench) {
    bench.truncate();
    let store = bench
        .store
        .with_namespace(Namespace::new("bench-query").expect("namespace"));
    let actor = Actor::new("bench");
    let persona_id = bench.persona(&store);
    let started = Instant::now();
    for chunk in 0..10u64 {
        let identities: Vec<Identity> = testkit::Generator::new(SEED + chunk, persona_id.clone())
            .take(10_000)
            .collect();
        bench.rt.block_on(async {
            store
                .identities()
                .put_many(&actor, identities, WriteMode::Create)
                .await
                .expect("load 100k");
        });
    }
    bench.exec(format!("VACUUM ANALYZE {}.identities", bench.schema));
    println!("loaded 100,000 identities in {:.1?}", started.elapsed());
    let query = Query::new()
        .age(30..=45)
        .country("US")
        .trait_range(Trait::Openness, 0.6..=1.0)
        .limit(50);
    let (page, total) = bench.rt.block_on(async {
        let page = store.identities().query(&query).await.expect("query");
        let total = store
            .identities()
            .count(&query.filter)
            .await
            .expect("count");
        (page, total)
    });
    println!(
        "filtered query: {} of {total} matches on the first page",
        page.items.len()
    );
    assert_eq!(page.items.len(), 50);
    let mut group = c.benchmark_group("postgres/filtered_query_100k");
    group.bench_function("sdk_query", |b| {
        b.to_async(&bench.rt).iter(|| async {
            let page = store.identities().query(&query).await.expect("query");
            assert_eq!(page.items.len(), 50);
        });
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let Some(bench) = Bench::open() else {
        return;
    };
    bulk_insert(c, &bench);
    point_get(c, &bench);
    filtered_query(c, &bench);
    bench.rt.block_on(async {
        bench.store.drop_schema().await.expect("drop bench schema");
    });
}

criterion_group!(postgres, benches);
criterion_main!(postgres);
