//! Redis backend against a hand-written baseline doing the same work without the SDK: raw redis
//! commands plus `serde_json` of the same typed `Identity`, on the same documents (the stamped
//! records a store holds), through the same connection and runtime, in one run.
//!
//! Load on a shared machine shifts between criterion's measurement windows, so the SDK's benches
//! also time their counterpart in the same samples (alternating which runs first) and print the
//! median of those paired per-sample ratios after the bulk group (`paired …` lines).
//!
//! Run: `cargo bench -p persona-benches --bench redis -- --warm-up-time 1 --measurement-time 3`
//! (`TEST_REDIS_URL`, default `redis://127.0.0.1:6379/`). Skipped when Redis is unreachable.

use std::cell::RefCell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use persona_benches::fixtures;
use persona_core::store::WriteMode;
use persona_core::{Actor, Identity, IdentityId, MemoryStore, StoreExt};
use persona_store_redis::redis::aio::ConnectionManager;
use persona_store_redis::redis::{self, AsyncCommands};
use persona_store_redis::{CachedStore, RedisStore};
use tokio::runtime::Runtime;

const DOCS: usize = 1_000;
const BULK: usize = 500;

fn runtime() -> Runtime {
    // One thread, as an application's request handler would await the store: no cross-thread
    // wake-ups between the connection's driver task and the caller blur the comparison.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

async fn manager() -> Option<ConnectionManager> {
    let url = persona_testkit::services::redis_url();
    let client = redis::Client::open(url.as_str()).ok()?;
    match ConnectionManager::new(client).await {
        Ok(manager) => Some(manager),
        Err(error) => {
            println!("skipping: redis unreachable ({error})");
            None
        }
    }
}

async fn clear(conn: &mut ConnectionManager, pattern: &str) {
    let keys: Vec<String> = conn.keys(pattern).await.unwrap_or_default();
    for chunk in keys.chunks(1_000) {
        let _: () = conn.unlink(chunk).await.unwrap_or(());
    }
}

fn ratio(sdk: Duration, base: Duration) -> f64 {
    sdk.as_secs_f64() / base.as_secs_f64()
}

/// Prints the median and the quartiles of the paired per-sample ratios.
fn report_paired(what: &str, ratios: &[f64]) {
    let mut sorted = ratios.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return;
    }
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    println!(
        "paired {what}: median {:.3} (quartiles {:.3}-{:.3}, {} samples)",
        at(0.5),
        at(0.25),
        at(0.75),
        sorted.len()
    );
}

fn fresh_ids(records: &[Identity], round: u64) -> Vec<Identity> {
    records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut r = r.clone();
            r.id = IdentityId::from(format!("bulk-{round}-{i:05}"));
            r
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let rt = runtime();
    let Some(mut raw) = rt.block_on(manager()) else {
        return;
    };
    let actor = Actor::new("bench");
    let persona = fixtures::persona();
    let records = fixtures::identities(42, &persona.id, DOCS);
    let ids: Vec<String> = records.iter().map(|r| r.id.to_string()).collect();

    // --- setup: the same documents through the SDK and raw ---
    let store = RedisStore::new(raw.clone())
        .with_prefix("bench-sdk")
        .expect("prefix");
    let cached = CachedStore::new(MemoryStore::new(), raw.clone())
        .with_prefix("bench-cache")
        .expect("prefix");
    rt.block_on(async {
        clear(&mut raw, "{bench-*").await;
        clear(&mut raw, "bench-raw:*").await;
        store
            .personas()
            .upsert(&actor, persona.clone())
            .await
            .unwrap();
        // The baseline stores exactly the documents the store holds (stamped with version and
        // timestamps), so both sides decode the same bytes.
        let stored = store
            .identities()
            .put_many(&actor, records.clone(), WriteMode::Upsert)
            .await
            .unwrap();
        let mut pipe = redis::pipe();
        for record in &stored {
            pipe.set(
                format!("bench-raw:{}", record.id),
                serde_json::to_vec(record).unwrap(),
            )
            .ignore();
        }
        let _: () = pipe.query_async(&mut raw).await.unwrap();
        cached
            .personas()
            .upsert(&actor, persona.clone())
            .await
            .unwrap();
        cached
            .identities()
            .put_many(&actor, records.clone(), WriteMode::Upsert)
            .await
            .unwrap();
        for id in &ids {
            cached.identities().get(id).await.unwrap();
        }
    });

    // --- point get ---
    // Each measured call is paired with an untimed call of its counterpart, so the SDK and the
    // baseline run under the same load on this shared machine, in alternation.
    let mut group = c.benchmark_group("redis/point_get");
    group.throughput(Throughput::Elements(1));
    let raw_get = |n: usize| {
        let key = format!("bench-raw:{}", ids[n % DOCS]);
        let mut conn = raw.clone();
        async move {
            let bytes: Vec<u8> = conn.get(key).await.unwrap();
            black_box(serde_json::from_slice::<Identity>(&bytes).unwrap());
        }
    };
    let store_get = |n: usize| {
        let id = &ids[n % DOCS];
        let store = &store;
        async move {
            black_box(store.identities().get(id).await.unwrap());
        }
    };
    let cached_get = |n: usize| {
        let id = &ids[n % DOCS];
        let cached = &cached;
        async move {
            black_box(cached.identities().get(id).await.unwrap());
        }
    };
    group.bench_function("raw_get_serde", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let mut total = Duration::ZERO;
            for n in 0..iters as usize {
                store_get(n + 1).await;
                let started = Instant::now();
                raw_get(n).await;
                total += started.elapsed();
            }
            total
        })
    });
    // The SDK's bench also times its untimed counterpart, alternating which goes first, so each
    // of its samples gives a paired SDK/baseline ratio under the same load.
    let paired_get = RefCell::new(Vec::new());
    group.bench_function("redis_store_get", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let paired = &paired_get;
            async move {
                let (mut sdk, mut base) = (Duration::ZERO, Duration::ZERO);
                for n in 0..iters as usize {
                    let started = Instant::now();
                    if n % 2 == 0 {
                        store_get(n).await;
                        let between = Instant::now();
                        sdk += between - started;
                        raw_get(n + 1).await;
                        base += between.elapsed();
                    } else {
                        raw_get(n + 1).await;
                        let between = Instant::now();
                        base += between - started;
                        store_get(n).await;
                        sdk += between.elapsed();
                    }
                }
                paired.borrow_mut().push(ratio(sdk, base));
                sdk
            }
        })
    });
    group.bench_function("cached_store_get_memory_inside", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let mut total = Duration::ZERO;
            for n in 0..iters as usize {
                raw_get(n + 1).await;
                let started = Instant::now();
                cached_get(n).await;
                total += started.elapsed();
            }
            total
        })
    });
    let memory_inside = cached.inner().clone();
    let mut n = 0usize;
    group.bench_function("memory_store_get_uncached", |b| {
        b.to_async(&rt).iter(|| {
            n = (n + 1) % DOCS;
            let id = &ids[n];
            let memory = &memory_inside;
            async move { black_box(memory.identities().get(id).await.unwrap()) }
        })
    });
    group.finish();

    // --- bulk insert: BULK identities per iteration, cleaned up outside the timing ---
    let mut group = c.benchmark_group("redis/bulk_insert");
    group.throughput(Throughput::Elements(BULK as u64));
    group.sample_size(10);
    // The same stamped documents on both sides (what a store writes is a planned record).
    let bulk = rt.block_on(async {
        let staging = RedisStore::new(raw.clone())
            .with_prefix("bench-stamp")
            .expect("prefix");
        staging
            .personas()
            .upsert(&actor, persona.clone())
            .await
            .unwrap();
        let stamped = staging
            .identities()
            .put_many(&actor, records[..BULK].to_vec(), WriteMode::Upsert)
            .await
            .unwrap();
        staging.clear_namespace().await.unwrap();
        stamped
    });
    let bulk = &bulk[..];
    let bulk_store = RedisStore::new(raw.clone())
        .with_prefix("bench-bulk")
        .expect("prefix");
    // One round of each; each bench times its own and runs the other untimed, in alternation.
    let raw_round = |round: u64| {
        let mut conn = raw.clone();
        async move {
            let batch = fresh_ids(bulk, round);
            let started = Instant::now();
            let mut pipe = redis::pipe();
            for record in &batch {
                pipe.set(
                    format!("bench-raw-bulk:{}", record.id),
                    serde_json::to_vec(record).unwrap(),
                )
                .ignore();
            }
            let _: () = pipe.query_async(&mut conn).await.unwrap();
            let elapsed = started.elapsed();
            drop(batch);
            clear(&mut conn, "bench-raw-bulk:*").await;
            elapsed
        }
    };
    let store_round = |round: u64| {
        let store = bulk_store.clone();
        let actor = actor.clone();
        let persona = persona.clone();
        async move {
            store.personas().upsert(&actor, persona).await.unwrap();
            let batch = fresh_ids(bulk, round);
            let started = Instant::now();
            let stored = store
                .identities()
                .put_many(&actor, batch, WriteMode::Create)
                .await
                .unwrap();
            let elapsed = started.elapsed();
            // The caller owns the stored records, as the baseline keeps its batch: both are
            // dropped outside the timing.
            drop(stored);
            store.clear_namespace().await.unwrap();
            elapsed
        }
    };
    group.bench_function(BenchmarkId::new("raw_pipelined_set_serde", BULK), |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let mut total = Duration::ZERO;
            for round in 0..iters {
                store_round(round).await;
                total += raw_round(round).await;
            }
            total
        })
    });
    let paired_bulk = RefCell::new(Vec::new());
    group.bench_function(BenchmarkId::new("redis_store_put_many", BULK), |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let paired = &paired_bulk;
            async move {
                let (mut sdk, mut base) = (Duration::ZERO, Duration::ZERO);
                for round in 0..iters {
                    if round % 2 == 0 {
                        sdk += store_round(round).await;
                        base += raw_round(round).await;
                    } else {
                        base += raw_round(round).await;
                        sdk += store_round(round).await;
                    }
                }
                paired.borrow_mut().push(ratio(sdk, base));
                sdk
            }
        })
    });
    group.finish();
    report_paired("point get, RedisStore / raw", &paired_get.borrow());
    report_paired("bulk insert, RedisStore / raw", &paired_bulk.borrow());

    rt.block_on(async {
        clear(&mut raw, "{bench-*").await;
        clear(&mut raw, "bench-raw:*").await;
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
