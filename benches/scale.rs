//! The scale harness: load N identities into a backend with the bulk API, then measure load
//! throughput, size, and latency percentiles of the operations applications run.
//!
//! ```sh
//! cargo bench -p persona-benches --bench scale -- --backend memory --n 100000
//! cargo bench -p persona-benches --bench scale -- --backend sqlite --n 1000000
//! cargo bench -p persona-benches --bench scale -- --backend postgres --n 1000000  # TEST_POSTGRES_URL
//! cargo bench -p persona-benches --bench scale -- --backend redis --n 1000000     # TEST_REDIS_URL
//! ```
//!
//! Options: `--backend NAME` (see `open` below), `--n COUNT`, `--seed S`, `--batch B`,
//! `--samples K` (latency samples per operation), `--current-thread` (a current-thread Tokio
//! runtime instead of the default multi-thread one), `--export-import` (also stream every identity to
//! JSON Lines and import it into a fresh in-process backend of the same kind, reporting throughput
//! and peak resident memory of the whole process during that phase). Criterion's own flags
//! (`--bench`) are ignored. Everything the run stores is removed at the end.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{FutureExt, TryStreamExt};
use persona_benches::{Latencies, peak_rss_bytes, reset_peak_rss};
use persona_core::attributes::Timestamp;
use persona_core::attributes::psychographics::Trait;
use persona_core::query::{Cursor, Direction, Facet, Filter, Position, Query, SortKey, SortValue};
use persona_core::{Actor, MemoryStore, Namespace, Store, StoreExt, WriteMode};
use persona_store_file::FileStore;
use persona_store_postgres::{PostgresOptions, PostgresStore, sqlx};
use persona_store_redis::RedisStore;
use persona_store_sqlite::SqliteStore;
use persona_testkit::fixtures::{self, Generator, PLACES};
use persona_testkit::services;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

struct Options {
    backend: String,
    n: u64,
    seed: u64,
    batch: usize,
    samples: usize,
    export_import: bool,
    current_thread: bool,
}

fn options() -> Options {
    let mut options = Options {
        backend: "memory".into(),
        n: 100_000,
        seed: 2026,
        batch: 1_000,
        samples: 1_000,
        export_import: false,
        current_thread: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_default();
        match arg.as_str() {
            "--backend" => options.backend = value(),
            "--n" => options.n = value().parse().expect("--n takes a count"),
            "--seed" => options.seed = value().parse().expect("--seed takes a number"),
            "--batch" => options.batch = value().parse().expect("--batch takes a count"),
            "--samples" => options.samples = value().parse().expect("--samples takes a count"),
            "--export-import" => options.export_import = true,
            "--current-thread" => options.current_thread = true,
            _ => {}
        }
    }
    options
}

/// A store under test and where its data lives, for measuring size and cleaning up.
struct Opened {
    store: Arc<dyn Store>,
    dir: Option<PathBuf>,
    postgres: Option<PostgresStore>,
    redis: Option<RedisStore>,
    /// Redis' `used_memory` before the load, to report what the load added.
    redis_baseline: Option<u64>,
}

impl Opened {
    fn local(store: Arc<dyn Store>, dir: Option<PathBuf>) -> Self {
        Opened {
            store,
            dir,
            postgres: None,
            redis: None,
            redis_baseline: None,
        }
    }

    /// Removes what the run stored (scratch directory, schema, keys).
    async fn clean_up(self) {
        if let Some(dir) = &self.dir {
            std::fs::remove_dir_all(dir).ok();
        }
        if let Some(postgres) = &self.postgres {
            postgres.drop_schema().await.ok();
        }
        if let Some(redis) = &self.redis {
            redis.clear_namespace().await.ok();
        }
    }
}

fn scratch_dir(namespace: &Namespace) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("persona-scale-{namespace}"));
    std::fs::create_dir_all(&dir).expect("create scratch directory");
    dir
}

/// Opens an empty store of `backend` in a fresh namespace.
async fn open(backend: &str, namespace: &Namespace) -> Opened {
    match backend {
        "memory" => Opened::local(
            Arc::new(MemoryStore::new().with_namespace(namespace.clone())),
            None,
        ),
        "file" => {
            let dir = scratch_dir(namespace);
            // The file store's default namespace is the root itself, fr0g-ai-aip's layout.
            let store = FileStore::open(&dir).expect("open file store");
            Opened::local(Arc::new(store), Some(dir))
        }
        "sqlite" => {
            let dir = scratch_dir(namespace);
            let store = SqliteStore::open(dir.join("scale.db")).expect("open SQLite store");
            Opened::local(Arc::new(store.with_namespace(namespace.clone())), Some(dir))
        }
        "postgres" => {
            let schema = format!("persona_{}", namespace.as_str().replace('-', "_"));
            let options = PostgresOptions::new()
                .schema(schema)
                .namespace(namespace.clone());
            let store = PostgresStore::connect_with(&services::postgres_url(), options)
                .await
                .expect("connect to PostgreSQL (TEST_POSTGRES_URL)");
            Opened {
                store: Arc::new(store.clone()),
                dir: None,
                postgres: Some(store),
                redis: None,
                redis_baseline: None,
            }
        }
        "redis" => {
            let store = RedisStore::connect(&services::redis_url())
                .await
                .expect("connect to Redis (TEST_REDIS_URL)")
                .with_prefix("persona-scale")
                .expect("valid prefix")
                .with_namespace(namespace.clone());
            Opened {
                store: Arc::new(store.clone()),
                dir: None,
                postgres: None,
                redis: Some(store),
                redis_baseline: redis_used_memory().await,
            }
        }
        other => panic!("unknown backend {other:?} (memory, file, sqlite, postgres, redis)"),
    }
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| match entry.metadata() {
                    Ok(meta) if meta.is_dir() => dir_size(&entry.path()),
                    Ok(meta) => meta.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Human-readable size of the backend's storage, where it can be measured.
async fn size(opened: &Opened) -> String {
    if let Some(dir) = &opened.dir {
        return format!("{:.1} MB on disk", dir_size(dir) as f64 / 1e6);
    }
    if let Some(postgres) = &opened.postgres {
        let sql = "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c \
                   JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'";
        let schema = format!(
            "persona_{}",
            postgres.namespace().as_str().replace('-', "_")
        );
        let bytes: Option<i64> = sqlx::query_scalar(sql)
            .bind(schema)
            .fetch_one(postgres.pool())
            .await
            .ok();
        return bytes.map_or("n/a".into(), |b| {
            format!(
                "{:.1} MB in PostgreSQL (tables, indexes, TOAST)",
                b as f64 / 1e6
            )
        });
    }
    if let (Some(before), Some(after)) = (opened.redis_baseline, redis_used_memory().await) {
        return format!(
            "{:.1} MB added to Redis used_memory",
            after.saturating_sub(before) as f64 / 1e6
        );
    }
    "n/a".into()
}

/// Redis' `used_memory` (bytes), from `INFO memory`.
async fn redis_used_memory() -> Option<u64> {
    use persona_store_redis::redis;
    let client = redis::Client::open(services::redis_url()).ok()?;
    let mut connection = client.get_multiplexed_async_connection().await.ok()?;
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut connection)
        .await
        .ok()?;
    info.lines()
        .find_map(|line| line.strip_prefix("used_memory:"))
        .and_then(|value| value.trim().parse().ok())
}

/// What a Redis point get is made of, sample by sample in turn on fresh connections of the same
/// kind as the store's: a `PING` round trip, the store's `HGET` of the same document without
/// decoding it, and the decode of that document into an `Identity`.
async fn redis_get_breakdown(
    namespace: &Namespace,
    ids: &[String],
    samples: usize,
    rng: &mut StdRng,
) {
    use persona_store_redis::redis;
    let client = redis::Client::open(services::redis_url()).expect("Redis URL");
    let mut connection = redis::aio::ConnectionManager::new(client)
        .await
        .expect("connect to Redis");
    let (mut ping, mut hget, mut decode) = (Latencies::new(), Latencies::new(), Latencies::new());
    for _ in 0..samples {
        let id = &ids[rng.random_range(0..ids.len())];
        let key = format!("{{persona-scale:{namespace}}}:r:identity:{id}");
        let _: String = time(&mut ping, redis::cmd("PING").query_async(&mut connection))
            .await
            .unwrap();
        let doc: Vec<u8> = time(
            &mut hget,
            redis::cmd("HGET")
                .arg(&key)
                .arg("d")
                .query_async(&mut connection),
        )
        .await
        .unwrap();
        let started = Instant::now();
        let identity: persona_core::Identity = serde_json::from_slice(&doc).unwrap();
        decode.push(started.elapsed());
        assert_eq!(identity.id.as_str(), id);
    }
    println!("  raw PING      {}", ping.summary());
    println!("  raw HGET d    {}", hget.summary());
    println!("  decode        {}", decode.summary());
}

const BASE_NANOS: i64 = 1_760_000_000_000_000_000;

/// The run's identities in batches of `--batch`, generated as they are taken: the generator's
/// (seed `--seed`), the one of rank `r` (0-based) created at `BASE_NANOS + r` µs, so the deep
/// page's cursor is known. The store's load and the raw `COPY` both take them from here.
struct Batches {
    generator: Generator,
    loaded: u64,
    n: u64,
    batch: u64,
}

impl Batches {
    fn new(options: &Options, persona: persona_core::PersonaId) -> Self {
        Batches {
            generator: Generator::new(options.seed, persona),
            loaded: 0,
            n: options.n,
            batch: options.batch as u64,
        }
    }
}

impl Iterator for Batches {
    /// The rank of the batch's first identity, and the batch.
    type Item = (u64, Vec<persona_core::Identity>);

    fn next(&mut self) -> Option<Self::Item> {
        let first = self.loaded;
        let take = (self.n - first).min(self.batch);
        if take == 0 {
            return None;
        }
        let batch = (first..first + take)
            .map(|rank| {
                let mut identity = self.generator.identity();
                identity.created_at =
                    Some(Timestamp::from_unix_nanos(BASE_NANOS + rank as i64 * 1_000));
                identity
            })
            .collect();
        self.loaded += take;
        Some((first, batch))
    }
}

async fn time<T>(latencies: &mut Latencies, fut: impl std::future::Future<Output = T>) -> T {
    let started = Instant::now();
    let out = fut.await;
    latencies.push(started.elapsed());
    out
}

/// What a run stored, removed at the end whether the run finished or panicked.
/// Each store is registered under the namespace the run opened it for (the file store itself uses
/// the root's default namespace, with one scratch directory per run namespace).
type Scratch = Arc<tokio::sync::Mutex<Vec<(Namespace, Opened)>>>;

fn main() {
    let options = options();
    let mut runtime = if options.current_thread {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let runtime = runtime.enable_all().build().expect("Tokio runtime");
    runtime.block_on(async {
        let scratch: Scratch = Arc::default();
        let outcome = std::panic::AssertUnwindSafe(run(options, Arc::clone(&scratch)))
            .catch_unwind()
            .await;
        for (_, opened) in scratch.lock().await.drain(..) {
            opened.clean_up().await;
        }
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    });
}

/// PostgreSQL only: the no-SDK baseline of the load, in the same run. The same identities (same
/// generator, seed and created stamps) in batches of the same size, each batch one transaction of
/// binary `COPY` into an `(id text PRIMARY KEY, doc jsonb)` table with the store's lz4
/// compression, in the store's schema (removed with it).
async fn raw_copy_load(
    options: &Options,
    namespace: &Namespace,
    scratch: &Scratch,
    persona: &persona_core::PersonaId,
) -> Option<Duration> {
    let (pool, schema) = {
        let opened = scratch.lock().await;
        let postgres = opened
            .iter()
            .find(|(ns, _)| ns == namespace)
            .and_then(|(_, o)| o.postgres.as_ref())?;
        (postgres.pool().clone(), postgres.schema().to_owned())
    };
    let table = format!("\"{schema}\".raw_copy");
    // The schema name is the harness's own (`persona_` + a generated namespace).
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE TABLE {table} (id text COLLATE \"C\" PRIMARY KEY, doc jsonb COMPRESSION lz4 NOT NULL)"
    )))
    .execute(&pool)
    .await
    .expect("create the raw table");
    let statement = format!("COPY {table} (id, doc) FROM STDIN (FORMAT binary)");
    // The store vacuums in the background after bulk writes: let a run still going finish first,
    // so it does not slow the baseline down.
    let waited = Instant::now();
    loop {
        let running: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE state = 'active' AND query ILIKE 'VACUUM%' AND query LIKE $1",
        )
        .bind(format!("%\"{schema}\".identities%"))
        .fetch_one(&pool)
        .await
        .expect("pg_stat_activity");
        if running == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "                waited {:.1} s for the store's background VACUUM before the raw COPY",
        waited.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    for (_, batch) in Batches::new(options, persona.clone()) {
        persona_benches::pg_copy_identities(&pool, &statement, &batch).await;
    }
    Some(started.elapsed())
}

/// Opens a store of the run's backend and registers it for removal.
async fn open_scratch(backend: &str, namespace: &Namespace, scratch: &Scratch) -> Arc<dyn Store> {
    let opened = open(backend, namespace).await;
    let store = Arc::clone(&opened.store);
    scratch.lock().await.push((namespace.clone(), opened));
    store
}

/// The size of the store registered under `namespace`.
async fn size_of(namespace: &Namespace, scratch: &Scratch) -> String {
    let opened = scratch.lock().await;
    match opened.iter().find(|(ns, _)| ns == namespace) {
        Some((_, opened)) => size(opened).await,
        None => "n/a".into(),
    }
}

/// Closes and removes the store registered under `namespace`.
async fn remove_scratch(namespace: &Namespace, scratch: &Scratch) {
    let mut opened = scratch.lock().await;
    if let Some(at) = opened.iter().position(|(ns, _)| ns == namespace) {
        opened.remove(at).1.clean_up().await;
    }
}

async fn run(options: Options, scratch: Scratch) {
    let namespace = Namespace::new(format!(
        "scale-{}",
        persona_testkit::services::unique_suffix()
    ))
    .unwrap();
    let store = open_scratch(&options.backend, &namespace, &scratch).await;
    let actor = Actor::new("scale");
    println!(
        "backend {} · {} identities · seed {} · batch {}",
        options.backend, options.n, options.seed, options.batch
    );

    let persona = store
        .personas()
        .create(&actor, fixtures::persona("Scale"))
        .await
        .unwrap();
    let deep_rank = options.n * 9 / 10;
    let mut deep_id = String::new();
    let started = Instant::now();
    for (first, batch) in Batches::new(&options, persona.id.clone()) {
        // The cursor of the deep page is the identity of rank `deep_rank - 1`.
        if let Some(at) = (deep_rank.wrapping_sub(1))
            .checked_sub(first)
            .filter(|at| *at < batch.len() as u64)
        {
            deep_id = batch[at as usize].id.to_string();
        }
        store
            .identities()
            .put_many(&actor, batch, WriteMode::Create)
            .await
            .unwrap();
    }
    let load = started.elapsed();
    println!(
        "load            {:>10.0} identities/s ({:.1} s)   size {}",
        options.n as f64 / load.as_secs_f64(),
        load.as_secs_f64(),
        size_of(&namespace, &scratch).await
    );
    if let Some(raw) = raw_copy_load(&options, &namespace, &scratch, &persona.id).await {
        println!(
            "raw COPY        {:>10.0} identities/s ({:.1} s)   store / raw throughput {:.2}",
            options.n as f64 / raw.as_secs_f64(),
            raw.as_secs_f64(),
            raw.as_secs_f64() / load.as_secs_f64()
        );
    }

    let mut rng = StdRng::seed_from_u64(options.seed ^ 0x5eed);
    let ids: Vec<String> = Generator::new(options.seed, persona.id.clone())
        .take(options.n.min(100_000) as usize)
        .map(|i| i.id.into_string())
        .collect();

    let mut gets = Latencies::new();
    for _ in 0..options.samples {
        let id = &ids[rng.random_range(0..ids.len())];
        let found = time(&mut gets, store.identities().find(id)).await.unwrap();
        assert!(found.is_some());
    }
    println!("point get       {}", gets.summary());
    if options.backend == "redis" {
        redis_get_breakdown(&namespace, &ids, options.samples, &mut rng).await;
    }

    let mut selective = Latencies::new();
    for _ in 0..options.samples {
        let (country, ..) = PLACES[rng.random_range(0..PLACES.len())];
        let low = rng.random_range(18..70);
        let query = Query::new()
            .age(low..=low + 5)
            .country(country)
            .trait_range(Trait::Openness, 0.8..=1.0)
            .limit(50);
        time(&mut selective, store.identities().query(&query))
            .await
            .unwrap();
    }
    println!("selective query {}", selective.summary());

    let mut broad = Latencies::new();
    for _ in 0..options.samples {
        let query = Query::new().any_tag("vip").limit(50);
        time(&mut broad, store.identities().query(&query))
            .await
            .unwrap();
    }
    println!("broad query     {}", broad.summary());

    let mut text = Latencies::new();
    for word in ["teacher", "nurse", "pilot", "chef", "farmer"]
        .iter()
        .cycle()
        .take(options.samples.min(200))
    {
        time(
            &mut text,
            store
                .identities()
                .query(&Query::new().text(*word).limit(50)),
        )
        .await
        .unwrap();
    }
    println!("text query      {}", text.summary());

    let mut first_page = Latencies::new();
    let mut deep_page = Latencies::new();
    let deep = Cursor::encode(&Position {
        namespace: store.namespace().clone(),
        sort: SortKey::Created,
        direction: Direction::Asc,
        value: SortValue::Int(BASE_NANOS + (deep_rank as i64 - 1) * 1_000),
        id: deep_id,
    });
    for _ in 0..options.samples {
        let page = time(
            &mut first_page,
            store.identities().query(&Query::new().limit(50)),
        )
        .await
        .unwrap();
        assert_eq!(page.items.len() as u64, options.n.min(50));
        let query = Query::new().limit(50).after(deep.clone());
        let page = time(&mut deep_page, store.identities().query(&query))
            .await
            .unwrap();
        assert!(!page.items.is_empty() || options.n < 20);
    }
    println!("first page      {}", first_page.summary());
    println!(
        "deep page       {}   (after rank {deep_rank})",
        deep_page.summary()
    );

    let mut counts = Latencies::new();
    let mut facets = Latencies::new();
    for _ in 0..5 {
        let n = time(&mut counts, store.identities().count(&Filter::default()))
            .await
            .unwrap();
        assert_eq!(n, options.n);
        time(
            &mut facets,
            store.identities().facets(&Filter::default(), &Facet::ALL),
        )
        .await
        .unwrap();
    }
    println!("count (all)     {}", counts.summary());
    println!("facets (all)    {}", facets.summary());

    let clients = 16;
    let window = Duration::from_secs(3);
    let ids = Arc::new(ids);
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let store = Arc::clone(&store);
            let ids = Arc::clone(&ids);
            tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(c);
                let deadline = Instant::now() + window;
                let mut done = 0u64;
                while Instant::now() < deadline {
                    let id = &ids[rng.random_range(0..ids.len())];
                    store.identities().find(id).await.unwrap();
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    println!(
        "16 clients      {:>10.0} point gets/s",
        total as f64 / window.as_secs_f64()
    );

    if options.export_import {
        let before = reset_peak_rss();
        let path = std::env::temp_dir().join(format!("persona-scale-{}.jsonl", namespace));
        let started = Instant::now();
        let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut writer = persona_core::jsonl::Writer::new(file).unwrap();
        let mut stream = store.export_all();
        while let Some(record) = stream.try_next().await.unwrap() {
            writer.write(&record).unwrap();
        }
        drop(stream);
        let exported = writer.written();
        writer.finish().unwrap();
        let export = started.elapsed();
        // The source is no longer needed: close it (its caches go with it) before importing.
        drop(store);
        remove_scratch(&namespace, &scratch).await;
        let target_ns = Namespace::new(format!("{namespace}-import")).unwrap();
        let target = open_scratch(&options.backend, &target_ns, &scratch).await;
        let started = Instant::now();
        let reader = persona_core::jsonl::Reader::new(std::io::BufReader::new(
            std::fs::File::open(&path).unwrap(),
        ))
        .unwrap();
        let imported = target
            .import_all(
                &actor,
                futures::stream::iter(reader),
                WriteMode::Create,
                options.batch,
            )
            .await
            .unwrap();
        let import = started.elapsed();
        std::fs::remove_file(&path).ok();
        drop(target);
        remove_scratch(&target_ns, &scratch).await;
        println!(
            "export jsonl    {:>10.0} records/s ({exported} records)",
            exported as f64 / export.as_secs_f64()
        );
        println!(
            "import jsonl    {:>10.0} records/s ({imported} records)",
            imported as f64 / import.as_secs_f64()
        );
        if let (true, Some(peak)) = (before, peak_rss_bytes()) {
            println!(
                "export+import peak RSS {:>6.1} MB (whole process, from the start of the export)",
                peak as f64 / 1e6
            );
        }
    }
    if let Some(peak) = peak_rss_bytes() {
        println!(
            "peak RSS        {:>10.1} MB (whole process)",
            peak as f64 / 1e6
        );
    }
}
