//! `CachedStore` (Redis read-through cache) in front of `PostgresStore`: a point get served by
//! the cache against the same get served by PostgreSQL alone, on the same ids in the same run,
//! with a raw Redis `GET` plus `serde_json` of the same documents for reference.
//!
//! ```sh
//! cargo bench -p persona-benches --bench cache -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Uses `TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`) and
//! `TEST_REDIS_URL` (default `redis://127.0.0.1:6379/`); prints `skipping: …` and exits when
//! either is unreachable. The data lives in a scratch schema (`persona_cache_bench_<random>`) and
//! under a scratch key prefix (`bench-cache-pg-<random>`), both removed at the end.
//!
//! - `cache/point_get/postgres_store_find`: `identities().find(id)` on the `PostgresStore`
//!   (one prepared `SELECT`, the document parsed).
//! - `cache/point_get/cached_store_find`: the same ids through `CachedStore<PostgresStore>` with
//!   its local tier (what `CachedStore::connect` builds), every id in the tier beforehand (a map
//!   lookup and a clone of the decoded identity).
//! - `cache/point_get/cached_store_find_redis_tier`: the same through a `CachedStore` without the
//!   local tier, every id cached in Redis beforehand (one `HMGET`, the document parsed).
//! - `cache/point_get/raw_redis_get_serde`: `GET` of the same stored document under a plain key
//!   plus `serde_json::from_slice::<Identity>`, no SDK.
//! - `cache/point_get/serde_decode_only`: `serde_json::from_slice::<Identity>` of the same
//!   documents already in memory: the part of every variant above that is not a round trip.
//!
//! Every timed call is paired with an untimed call of another variant, and the two cached
//! benches also time their PostgreSQL counterpart inside the same samples (alternating which
//! goes first): the `paired …` lines printed at the end are the medians of those per-sample
//! PostgreSQL / cached ratios, the speed-up under one and the same load.

use std::cell::RefCell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use persona_benches::fixtures;
use persona_core::{Actor, Identity, Store, StoreExt, WriteMode};
use persona_store_postgres::PostgresStore;
use persona_store_postgres::sqlx::postgres::PgPoolOptions;
use persona_store_redis::CachedStore;
use persona_store_redis::redis::aio::ConnectionManager;
use persona_store_redis::redis::{self, AsyncCommands};
use persona_testkit::services;
use tokio::runtime::Runtime;

const SEED: u64 = 2026;
const DOCS: usize = 10_000;
/// Ids are visited in this stride (prime, coprime with `DOCS`), so consecutive gets touch
/// unrelated rows and keys.
const STRIDE: usize = 7_919;

fn runtime() -> Runtime {
    // One thread, as an application's request handler awaits the store: no cross-thread wake-ups
    // between the connections' driver tasks and the caller blur the comparison.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

async fn open() -> Option<(PostgresStore, ConnectionManager)> {
    let url = services::postgres_url();
    let pool = match PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(5))
        .connect(&url)
        .await
    {
        Ok(pool) => pool,
        Err(err) => {
            println!("skipping: PostgreSQL at {url} is unreachable ({err})");
            return None;
        }
    };
    let redis_url = services::redis_url();
    let manager = match redis::Client::open(redis_url.as_str()) {
        Ok(client) => ConnectionManager::new(client).await,
        Err(err) => Err(err),
    };
    let manager = match manager {
        Ok(manager) => manager,
        Err(err) => {
            println!("skipping: Redis at {redis_url} is unreachable ({err})");
            return None;
        }
    };
    let schema = format!("persona_cache_bench_{}", services::unique_suffix());
    let store = PostgresStore::with_schema(pool, schema).expect("schema");
    store.migrate().await.expect("migrate");
    Some((store, manager))
}

/// Deletes every key matching `pattern`.
async fn clear(conn: &mut ConnectionManager, pattern: &str) {
    let keys: Vec<String> = conn.keys(pattern).await.unwrap_or_default();
    for chunk in keys.chunks(1_000) {
        let _: () = conn.unlink(chunk).await.unwrap_or(());
    }
}

/// One `identities().find(id)` through `store`, which must find it.
async fn find<S: Store>(store: &S, id: &str) {
    let found = store.identities().find(id).await.expect("get");
    assert!(found.is_some());
    black_box(found);
}

/// Prints the median and quartiles of per-sample ratios.
fn report_paired(what: &str, ratios: &[f64]) {
    let mut sorted = ratios.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return;
    }
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    println!(
        "paired {what}: median {:.2} (quartiles {:.2}-{:.2}, {} samples)",
        at(0.5),
        at(0.25),
        at(0.75),
        sorted.len()
    );
}

fn bench(c: &mut Criterion) {
    let rt = runtime();
    let Some((store, mut raw)) = rt.block_on(open()) else {
        return;
    };
    let suffix = services::unique_suffix();
    let prefix = format!("bench-cache-pg-{suffix}");
    let raw_prefix = format!("bench-cache-raw-{suffix}");
    let cached = CachedStore::new(store.clone(), raw.clone())
        .with_prefix(&prefix)
        .expect("prefix");
    let client = redis::Client::open(services::redis_url().as_str()).expect("redis url");
    let local = cached.clone().with_local_tier(&client, DOCS);
    let actor = Actor::new("bench");

    // --- setup: 10,000 identities in PostgreSQL (written through the cache), each read once
    // through the cache so it is cached, and the same stored documents under plain keys ---
    let ids: Vec<String> = rt.block_on(async {
        let persona = cached
            .personas()
            .create(&actor, persona_testkit::fixtures::persona("Cache bench"))
            .await
            .expect("persona");
        let identities = fixtures::identities(SEED, &persona.id, DOCS);
        let stored = cached
            .identities()
            .put_many(&actor, identities, WriteMode::Create)
            .await
            .expect("seed identities");
        let mut pipe = redis::pipe();
        for record in &stored {
            pipe.set(
                format!("{raw_prefix}:{}", record.id),
                serde_json::to_vec(record).expect("serialise"),
            )
            .ignore();
        }
        let _: () = pipe.query_async(&mut raw).await.expect("raw documents");
        let ids: Vec<String> = stored.iter().map(|r| r.id.to_string()).collect();
        for id in &ids {
            cached.identities().get(id).await.expect("warm the cache");
        }
        ids
    });
    let cached_keys: usize = rt.block_on(async {
        let keys: Vec<String> = raw
            .keys(format!("{{{prefix}:*"))
            .await
            .expect("count cached keys");
        keys.len()
    });
    println!("{DOCS} identities in PostgreSQL, {cached_keys} cache keys under {{{prefix}:…}}");
    // Every measured cached get must be a hit: each id's cache hash holds its document.
    let filled: usize = rt.block_on(async {
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.hexists(format!("{{{prefix}:default}}:c:identity:{id}"), "g");
        }
        let filled: Vec<bool> = pipe.query_async(&mut raw).await.expect("check the cache");
        filled.into_iter().filter(|f| *f).count()
    });
    println!("{filled} of {DOCS} identities cached");
    assert_eq!(filled, DOCS, "every id is cached before the gets are timed");
    // Into the local tier: a read from Redis is kept, the next one is served locally.
    let kept = rt.block_on(async {
        for _ in 0..2 {
            for id in &ids {
                local
                    .identities()
                    .get(id)
                    .await
                    .expect("fill the local tier");
            }
        }
        local.local_stats().expect("local tier")
    });
    println!("local tier: {kept:?}");
    assert_eq!(kept.entries, DOCS, "every id is in the local tier");

    let pg_get = |n: usize| find(&store, &ids[(n * STRIDE) % DOCS]);
    // The pool hands a connection back from a task it spawns when the get returns; on this
    // one-thread runtime that task would otherwise run inside whatever is timed next.
    let settle = || async {
        for _ in 0..4 {
            tokio::task::yield_now().await;
        }
    };
    let cached_get = |n: usize| find(&cached, &ids[(n * STRIDE) % DOCS]);
    let local_get = |n: usize| find(&local, &ids[(n * STRIDE) % DOCS]);
    let raw_get = |n: usize| {
        let id = &ids[(n * STRIDE) % DOCS];
        let key = format!("{raw_prefix}:{id}");
        let mut conn = raw.clone();
        async move {
            let bytes: Vec<u8> = conn.get(key).await.expect("raw get");
            let identity: Identity = serde_json::from_slice(&bytes).expect("raw decode");
            assert_eq!(identity.id.as_str(), id.as_str());
            black_box(identity);
        }
    };

    let mut group = c.benchmark_group("cache/point_get");
    group.throughput(Throughput::Elements(1));
    group.bench_function("postgres_store_find", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let mut total = Duration::ZERO;
            for n in 0..iters as usize {
                cached_get(n + 1).await;
                let started = Instant::now();
                pg_get(n).await;
                total += started.elapsed();
                settle().await;
            }
            total
        })
    });
    let paired_local = RefCell::new(Vec::new());
    let paired_redis = RefCell::new(Vec::new());
    for (name, paired, local_tier) in [
        ("cached_store_find", &paired_local, true),
        ("cached_store_find_redis_tier", &paired_redis, false),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&rt).iter_custom(|iters| async move {
                let get = |n: usize| async move {
                    if local_tier {
                        local_get(n).await;
                    } else {
                        cached_get(n).await;
                    }
                };
                let (mut hit, mut pg) = (Duration::ZERO, Duration::ZERO);
                for n in 0..iters as usize {
                    let started = Instant::now();
                    if n % 2 == 0 {
                        get(n).await;
                        let between = Instant::now();
                        hit += between - started;
                        pg_get(n + 1).await;
                        pg += between.elapsed();
                        settle().await;
                    } else {
                        pg_get(n + 1).await;
                        pg += started.elapsed();
                        settle().await;
                        let between = Instant::now();
                        get(n).await;
                        hit += between.elapsed();
                    }
                }
                paired
                    .borrow_mut()
                    .push(pg.as_secs_f64() / hit.as_secs_f64());
                hit
            })
        });
    }
    group.bench_function("raw_redis_get_serde", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let mut total = Duration::ZERO;
            for n in 0..iters as usize {
                cached_get(n + 1).await;
                let started = Instant::now();
                raw_get(n).await;
                total += started.elapsed();
            }
            total
        })
    });
    // What every variant above spends parsing the document, without any round trip.
    let documents: Vec<Vec<u8>> = rt.block_on(async {
        let mut documents = Vec::with_capacity(DOCS);
        for id in &ids {
            let bytes: Vec<u8> = raw
                .get(format!("{raw_prefix}:{id}"))
                .await
                .expect("raw document");
            documents.push(bytes);
        }
        documents
    });
    let mut n = 0usize;
    group.bench_function("serde_decode_only", |b| {
        b.iter(|| {
            n += 1;
            let bytes = &documents[(n * STRIDE) % DOCS];
            black_box(serde_json::from_slice::<Identity>(bytes).expect("decode"))
        });
    });
    group.finish();
    report_paired(
        "point get speed-up, PostgresStore / CachedStore<PostgresStore> (local tier)",
        &paired_local.borrow(),
    );
    report_paired(
        "point get speed-up, PostgresStore / CachedStore<PostgresStore> (Redis tier only)",
        &paired_redis.borrow(),
    );
    let after = local.local_stats().expect("local tier");
    println!("local tier after the runs: {after:?}");

    rt.block_on(async {
        clear(&mut raw, &format!("{{{prefix}:*")).await;
        clear(&mut raw, &format!("{raw_prefix}:*")).await;
        store.drop_schema().await.expect("drop bench schema");
    });
}

criterion_group!(cache, bench);
criterion_main!(cache);
