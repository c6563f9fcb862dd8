//! `CachedStore` specifics: reads are served from Redis, writes invalidate, and an unreachable
//! Redis degrades to the inner store without failing callers (logged once), never serving a value
//! older than a write made through the handle.

mod common;

use std::cell::RefCell;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Once};
use std::time::Duration;

use persona_core::{Actor, Kind, MemoryStore, Persona, Store, StoreExt};
use persona_store_redis::CachedStore;
use persona_store_redis::redis::AsyncCommands;
use persona_testkit::services;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tracing::{Level, Metadata, Subscriber, span};

fn actor() -> Actor {
    Actor::new("tests")
}

/// Counts this crate's `tracing` events at WARN and INFO emitted on one test's thread.
#[derive(Clone, Default)]
struct Counter {
    warnings: Arc<AtomicUsize>,
    infos: Arc<AtomicUsize>,
}

impl Counter {
    fn count(&self, event: &tracing::Event<'_>) {
        if !event.metadata().target().starts_with("persona_store_redis") {
            return;
        }
        match *event.metadata().level() {
            Level::WARN => self.warnings.fetch_add(1, Ordering::SeqCst),
            Level::INFO => self.infos.fetch_add(1, Ordering::SeqCst),
            _ => 0,
        };
    }
}

thread_local! {
    static COUNTER: RefCell<Option<Counter>> = const { RefCell::new(None) };
}

/// The global subscriber of this test binary: hands each event to the counter of the thread
/// that emits it. Thread-local subscribers (`set_default`) are not enough: `tracing` caches
/// whether a log line is enabled once for the whole process, and when a sibling test's thread
/// without a subscriber reaches the line first it is cached as disabled for every thread
/// (tokio-rs/tracing#3611); the counting tests then saw no warning about once in four parallel
/// runs on a loaded machine.
struct PerThread;

impl Subscriber for PerThread {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        COUNTER.with(|counter| {
            if let Some(counter) = counter.borrow().as_ref() {
                counter.count(event);
            }
        });
    }
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}
}

/// A counter of the events the current thread emits from now on (the tests that count run on a
/// one-thread runtime, so the store's tasks emit on the test's thread).
fn count_events() -> Counter {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        tracing::subscriber::set_global_default(PerThread).expect("no other global subscriber");
    });
    let counter = Counter::default();
    COUNTER.with(|slot| *slot.borrow_mut() = Some(counter.clone()));
    counter
}

fn redis_addr() -> SocketAddr {
    let url = services::redis_url();
    let rest = url.trim_start_matches("redis://");
    let host = rest.split('/').next().unwrap_or("127.0.0.1:6379");
    host.parse()
        .unwrap_or_else(|_| "127.0.0.1:6379".parse().unwrap())
}

/// A TCP proxy to Redis that the test can cut and restore on the same port, and make swallow
/// requests (so they never reach Redis and get no reply).
struct Proxy {
    addr: SocketAddr,
    tasks: Arc<std::sync::Mutex<Vec<JoinHandle<()>>>>,
    swallow: Arc<AtomicBool>,
}

impl Proxy {
    async fn start(addr: SocketAddr) -> Proxy {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = TcpListener::bind(addr).await.expect("bind proxy");
        let addr = listener.local_addr().unwrap();
        let tasks: Arc<std::sync::Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let swallow = Arc::new(AtomicBool::new(false));
        let spawned = Arc::clone(&tasks);
        let swallowing = Arc::clone(&swallow);
        let upstream = redis_addr();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let swallowing = Arc::clone(&swallowing);
                let requests = tokio::spawn(async move {
                    let mut buffer = vec![0; 64 * 1024];
                    while let Ok(n) = client_read.read(&mut buffer).await {
                        if n == 0 {
                            break;
                        }
                        if !swallowing.load(Ordering::SeqCst)
                            && server_write.write_all(&buffer[..n]).await.is_err()
                        {
                            break;
                        }
                    }
                });
                let replies = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                });
                spawned.lock().unwrap().extend([requests, replies]);
            }
        });
        tasks.lock().unwrap().push(accept);
        Proxy {
            addr,
            tasks,
            swallow,
        }
    }

    /// Closes the listener and every proxied connection.
    async fn cut(&self) {
        let tasks: Vec<_> = self.tasks.lock().unwrap().drain(..).collect();
        for task in tasks {
            task.abort();
            let _ = task.await;
        }
    }
}

async fn cache_key_exists(prefix: &str, id: &str) -> bool {
    let mut raw = common::manager().await.unwrap();
    raw.exists(format!("{{{prefix}:default}}:c:persona:{id}"))
        .await
        .unwrap()
}

#[tokio::test]
async fn unreachable_redis_serves_from_inner_store_and_warns_once() {
    let counter = count_events();
    // A port where nothing listens.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let store = CachedStore::connect(MemoryStore::new(), &format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .with_retry_after(Duration::from_millis(1));
    let created = store
        .personas()
        .create(&actor(), Persona::new("Tutor", "maths", "You teach."))
        .await
        .unwrap();
    for _ in 0..3 {
        let found = store.personas().get(created.id.as_str()).await.unwrap();
        assert_eq!(found, created);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut changed = created.clone();
    changed.topic = "algebra".into();
    let updated = store.personas().update(&actor(), changed).await.unwrap();
    assert_eq!(
        store.personas().get(created.id.as_str()).await.unwrap(),
        updated
    );
    assert_eq!(
        store
            .personas()
            .versions(created.id.as_str())
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(store.check_health().await.is_ok());
    assert_eq!(
        counter.warnings.load(Ordering::SeqCst),
        1,
        "one warning per outage"
    );
}

#[tokio::test]
async fn cache_outage_mid_test_never_serves_stale_values() {
    let Some(_) = common::manager().await else {
        return;
    };
    let counter = count_events();
    let proxy = Proxy::start("127.0.0.1:0".parse().unwrap()).await;
    let prefix = format!("test-cut-{}", services::unique_suffix());
    let store = CachedStore::connect(MemoryStore::new(), &format!("redis://{}/", proxy.addr))
        .unwrap()
        .with_prefix(&prefix)
        .unwrap()
        .with_retry_after(Duration::from_millis(20));
    let created = store
        .personas()
        .create(&actor(), Persona::new("Tutor", "maths", "You teach."))
        .await
        .unwrap();
    let id = created.id.to_string();
    // Warm the cache, and prove the second read is a hit by changing the inner store behind the
    // decorator's back: the cached value is still served.
    assert_eq!(store.personas().get(&id).await.unwrap(), created);
    assert!(cache_key_exists(&prefix, &id).await);
    let mut behind = created.clone();
    behind.topic = "written around the cache".into();
    store
        .inner()
        .personas()
        .update(&actor(), behind)
        .await
        .unwrap();
    assert_eq!(store.personas().get(&id).await.unwrap().topic, "maths");

    proxy.cut().await;
    let current = store.inner().personas().get(&id).await.unwrap();
    let mut changed = current.clone();
    changed.topic = "geometry".into();
    // The write succeeds although its invalidation cannot reach Redis...
    let updated = store.personas().update(&actor(), changed).await.unwrap();
    // ...and reads during the outage come from the inner store.
    assert_eq!(store.personas().get(&id).await.unwrap(), updated);
    assert_eq!(counter.warnings.load(Ordering::SeqCst), 1);

    // Redis comes back (the stale "maths" value is still in it): the failed invalidation is
    // replayed before the cache is used again.
    let _back = Proxy::start(proxy.addr).await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    for _ in 0..3 {
        let found = store.personas().get(&id).await.unwrap();
        assert_eq!(found, updated);
    }
    assert!(cache_key_exists(&prefix, &id).await, "cache refilled");
    assert_eq!(counter.warnings.load(Ordering::SeqCst), 1);
    assert!(
        counter.infos.load(Ordering::SeqCst) >= 1,
        "recovery is logged"
    );
    store.clear_cache().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_invalidate_cached_reads() {
    let Some(manager) = common::manager().await else {
        return;
    };
    let prefix = format!("test-inv-{}", services::unique_suffix());
    let store = CachedStore::new(MemoryStore::new(), manager)
        .with_prefix(&prefix)
        .unwrap();
    let (created, id) = create_persona(&store).await;
    assert_eq!(store.personas().get(&id).await.unwrap(), created);
    assert_eq!(
        store
            .personas()
            .at_version(&id, persona_core::Version(1))
            .await
            .unwrap(),
        created
    );
    let mut changed = created.clone();
    changed.name = "B".into();
    let updated = store.personas().update(&actor(), changed).await.unwrap();
    assert_eq!(store.personas().get(&id).await.unwrap(), updated);
    assert_eq!(store.personas().versions(&id).await.unwrap().len(), 2);
    store.personas().delete(&actor(), &id).await.unwrap();
    assert!(store.personas().find(&id).await.unwrap().is_none());
    store.purge(Kind::Persona, &id, &actor()).await.unwrap();
    assert!(store.versions(Kind::Persona, &id).await.unwrap().is_empty());
    assert!(
        store
            .version(Kind::Persona, &id, persona_core::Version(1))
            .await
            .unwrap()
            .is_none(),
        "a purged record's history is not served from the cache"
    );
    store.clear_cache().await.unwrap();
}

/// Polls `done` every millisecond for up to two seconds until it holds.
async fn until<F, Fut>(mut done: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..2_000 {
        if done().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    false
}

/// Polls `store`'s persona `id` until it reads `expected` (for up to two seconds).
async fn eventually<S: persona_core::Store>(
    store: &CachedStore<S>,
    id: &str,
    expected: &Persona,
) -> bool {
    until(|| async { store.personas().get(id).await.unwrap() == *expected }).await
}

/// Reads persona `id` through `store` `times` times, 5 ms apart, checking each read.
async fn read_spaced<S: persona_core::Store>(
    store: &CachedStore<S>,
    id: &str,
    expected: &Persona,
    times: usize,
) {
    for _ in 0..times {
        assert_eq!(store.personas().get(id).await.unwrap(), *expected);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Reads persona `id` through `store` (checking each read) until one is served by the local
/// tier; twice, with a pause between, so that no message about an earlier fill of the hash is
/// still on its way to drop the copy. Returns the tier's hit count then.
async fn warm<S: persona_core::Store>(store: &CachedStore<S>, id: &str, expected: &Persona) -> u64 {
    for _ in 0..2 {
        let served_locally = until(|| async {
            let before = store.local_stats().unwrap().hits;
            assert_eq!(store.personas().get(id).await.unwrap(), *expected);
            store.local_stats().unwrap().hits > before
        })
        .await;
        assert!(served_locally, "a read is served by the local tier");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    store.local_stats().unwrap().hits
}

/// A cache with its local tier (`CachedStore::connect`) under `prefix`, in front of `inner`.
fn local_handle(inner: &MemoryStore, prefix: &str) -> CachedStore<MemoryStore> {
    CachedStore::connect(inner.clone(), &services::redis_url())
        .unwrap()
        .with_prefix(prefix)
        .unwrap()
}

/// Creates the test persona through `store`, returning it and its id.
async fn create_persona<S: persona_core::Store>(store: &S) -> (Persona, String) {
    let created = store
        .personas()
        .create(&actor(), Persona::new("A", "t", "p"))
        .await
        .unwrap();
    let id = created.id.to_string();
    (created, id)
}

#[tokio::test(flavor = "multi_thread")]
async fn local_tier_serves_repeated_reads_and_hears_other_handles_writes() {
    let Some(mut raw) = common::manager().await else {
        return;
    };
    let prefix = format!("test-local-{}", services::unique_suffix());
    let inner = MemoryStore::new();
    let writer = local_handle(&inner, &prefix);
    let reader = local_handle(&inner, &prefix);
    let (created, id) = create_persona(&writer).await;

    // The first read fills Redis, the second reads Redis into the tier, and later ones are
    // local. (Redis also pushes the fill's own change of the hash; when that message arrives
    // after the second read, it drops the copy and the next read keeps it again.)
    assert!(
        reader.local_stats().is_some(),
        "connect turns the local tier on"
    );
    let hits = warm(&reader, &id, &created).await;
    let stats = reader.local_stats().unwrap();
    assert!(stats.tracking);
    assert_eq!(stats.entries, 1);

    // Written behind both caches' backs: the reader's tier still serves its copy...
    let mut behind = created.clone();
    behind.topic = "behind".into();
    let behind = inner.personas().update(&actor(), behind).await.unwrap();
    assert_eq!(reader.personas().get(&id).await.unwrap(), created);
    assert_eq!(reader.local_stats().unwrap().hits, hits + 1);

    // ...until another handle's write invalidates the Redis hash, which Redis pushes to it.
    let mut changed = behind.clone();
    changed.name = "B".into();
    let updated = writer.personas().update(&actor(), changed).await.unwrap();
    assert!(
        eventually(&reader, &id, &updated).await,
        "the reader's tier hears the writer's invalidation"
    );

    // Any change of the hash, even by a plain Redis client, drops the local copy.
    warm(&reader, &id, &updated).await;
    assert_eq!(reader.local_stats().unwrap().entries, 1);
    let _: () = raw
        .del(format!("{{{prefix}:default}}:c:persona:{id}"))
        .await
        .unwrap();
    assert!(
        until(|| async { reader.local_stats().unwrap().entries == 0 }).await,
        "a DEL of the cache hash reaches the tier"
    );

    // A write through the handle itself is seen at once, with no wait for Redis' message.
    let mut mine = updated.clone();
    mine.name = "C".into();
    let mine = reader.personas().update(&actor(), mine).await.unwrap();
    assert_eq!(reader.personas().get(&id).await.unwrap(), mine);
    writer.clear_cache().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn local_tier_is_emptied_and_bypassed_while_tracking_is_down() {
    let Some(_) = common::manager().await else {
        return;
    };
    let prefix = format!("test-local-cut-{}", services::unique_suffix());
    let proxy = Proxy::start("127.0.0.1:0".parse().unwrap()).await;
    let inner = MemoryStore::new();
    // Data through the real server, tracking through the proxy the test cuts.
    let tracked =
        persona_store_redis::redis::Client::open(format!("redis://{}/", proxy.addr)).unwrap();
    let store = CachedStore::new(inner.clone(), common::manager().await.unwrap())
        .with_prefix(&prefix)
        .unwrap()
        .with_local_tier(&tracked, 100)
        .with_retry_after(Duration::from_millis(20));
    let (created, id) = create_persona(&store).await;
    warm(&store, &id, &created).await;

    proxy.cut().await;
    assert!(
        until(|| async { !store.local_stats().unwrap().tracking }).await,
        "the tier notices the tracking connection drop"
    );
    assert_eq!(store.local_stats().unwrap().entries, 0);
    // Changed in Redis' cache behind the tier's back while it cannot hear about it: reads go to
    // Redis, not to a local copy.
    let mut behind = created.clone();
    behind.topic = "behind".into();
    let behind = inner.personas().update(&actor(), behind).await.unwrap();
    store.clear_cache().await.unwrap();
    let hits = store.local_stats().unwrap().hits;
    for _ in 0..3 {
        assert_eq!(store.personas().get(&id).await.unwrap(), behind);
    }
    assert_eq!(
        store.local_stats().unwrap().hits,
        hits,
        "no local hits while down"
    );

    // Tracking comes back on the next read after the pause, and the tier fills again.
    let _back = Proxy::start(proxy.addr).await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(warm(&store, &id, &behind).await > hits);
    assert!(store.local_stats().unwrap().tracking);
    store.clear_cache().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_tiers_under_concurrent_writes_never_keep_a_replaced_value() {
    let Some(_) = common::manager().await else {
        return;
    };
    let prefix = format!("test-local-race-{}", services::unique_suffix());
    let inner = MemoryStore::new();
    let handles: Vec<CachedStore<MemoryStore>> =
        (0..2).map(|_| local_handle(&inner, &prefix)).collect();
    let mut ids = Vec::new();
    for n in 0..4 {
        let created = handles[0]
            .personas()
            .create(&actor(), Persona::new(format!("p{n}"), "t", "p"))
            .await
            .unwrap();
        ids.push(created.id.to_string());
    }
    // Each handle rewrites every record and reads it back through itself (it must see its own
    // write or a later one), while readers on both handles keep the tiers busy.
    let mut tasks = Vec::new();
    for (h, handle) in handles.iter().enumerate() {
        for reader in 0..2 {
            let (handle, ids) = (handle.clone(), ids.clone());
            tasks.push(tokio::spawn(async move {
                for round in 0..300 {
                    let id = &ids[(round + reader) % ids.len()];
                    handle.personas().get(id).await.unwrap();
                }
            }));
        }
        let (handle, ids) = (handle.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            for round in 0..80 {
                for id in &ids {
                    let mut current = handle.inner().personas().get(id).await.unwrap();
                    current.topic = format!("h{h} r{round}");
                    let Ok(written) = handle.personas().update(&actor(), current).await else {
                        continue;
                    };
                    let seen = handle.personas().get(id).await.unwrap();
                    assert!(
                        seen.version >= written.version,
                        "{id}: read {} after writing {}",
                        seen.version,
                        written.version
                    );
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    // Once Redis' messages are in, every tier serves the last write.
    for id in &ids {
        let last = inner.personas().get(id).await.unwrap();
        for handle in &handles {
            assert!(
                eventually(handle, id, &last).await,
                "{id} converges to version {}",
                last.version
            );
        }
    }
    assert!(handles.iter().any(|h| h.local_stats().unwrap().hits > 0));
    handles[0].clear_cache().await.unwrap();
}

/// How many commands (RESP arrays of bulk strings) `data` holds.
fn commands(data: &[u8]) -> usize {
    let mut count = 0;
    let mut rest = data;
    let line = |rest: &[u8]| -> Option<(usize, usize)> {
        let end = rest.windows(2).position(|w| w == b"\r\n")?;
        let value = std::str::from_utf8(&rest[1..end]).ok()?.parse().ok()?;
        Some((value, end + 2))
    };
    while rest.first() == Some(&b'*') {
        let Some((items, used)) = line(rest) else {
            break;
        };
        rest = &rest[used..];
        for _ in 0..items {
            let Some((len, used)) = line(rest) else {
                return count;
            };
            rest = rest.get(used + len + 2..).unwrap_or_default();
        }
        count += 1;
    }
    count
}

#[tokio::test]
async fn a_server_without_tracking_leaves_the_local_tier_off_and_is_not_asked_again() {
    let Some(manager) = common::manager().await else {
        return;
    };
    let counter = count_events();
    // Answers every command (HELLO first) with an error, as a server before Redis 6 does.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&accepted);
    let server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                while let Ok(n) = socket.read(&mut buffer).await {
                    // One error per command: the client pipelines HELLO with CLIENT SETINFO.
                    let replies = commands(&buffer[..n]);
                    let answer = b"-ERR unknown command\r\n".repeat(replies);
                    if n == 0 || socket.write_all(&answer).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let prefix = format!("test-local-refused-{}", services::unique_suffix());
    let old_server = persona_store_redis::redis::Client::open(format!("redis://{addr}/")).unwrap();
    let store = CachedStore::new(MemoryStore::new(), manager)
        .with_prefix(&prefix)
        .unwrap()
        .with_local_tier(&old_server, 100)
        .with_retry_after(Duration::from_millis(1));
    let (created, id) = create_persona(&store).await;
    read_spaced(&store, &id, &created, 5).await;
    let stats = store.local_stats().unwrap();
    assert!(!stats.tracking);
    assert_eq!(stats.hits, 0);
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "asked once");
    assert_eq!(counter.warnings.load(Ordering::SeqCst), 1, "said once");
    assert!(
        cache_key_exists(&prefix, &id).await,
        "Redis tier still used"
    );
    server.abort();
    store.clear_cache().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_dropped_before_its_invalidation_leaves_its_records_pending() {
    let Some(_) = common::manager().await else {
        return;
    };
    let proxy = Proxy::start("127.0.0.1:0".parse().unwrap()).await;
    let prefix = format!("test-dropped-{}", services::unique_suffix());
    let inner = MemoryStore::new();
    let store = CachedStore::connect(inner.clone(), &format!("redis://{}/", proxy.addr))
        .unwrap()
        .with_prefix(&prefix)
        .unwrap()
        .with_retry_after(Duration::from_millis(20));
    let created = store
        .personas()
        .create(&actor(), Persona::new("A", "maths", "p"))
        .await
        .unwrap();
    let id = created.id.to_string();
    for _ in 0..3 {
        assert_eq!(store.personas().get(&id).await.unwrap(), created);
    }
    assert!(cache_key_exists(&prefix, &id).await);

    // The inner write happens; the invalidation never reaches Redis, and the caller gives up
    // waiting for it (a timeout around the call, an aborted request).
    proxy.swallow.store(true, Ordering::SeqCst);
    let mut changed = created.clone();
    changed.topic = "geometry".into();
    let gave_up = tokio::time::timeout(
        Duration::from_millis(100),
        store.personas().update(&actor(), changed),
    )
    .await;
    assert!(gave_up.is_err(), "the write was still waiting for Redis");
    let updated = inner.personas().get(&id).await.unwrap();
    assert_eq!(updated.topic, "geometry", "the inner store was written");

    // Redis still holds the old value; the record must not be served from it.
    proxy.cut().await;
    let _back = Proxy::start(proxy.addr).await;
    // Past the pause after the first failure on the cut connection, reads use Redis again.
    for _ in 0..20 {
        assert_eq!(store.personas().get(&id).await.unwrap(), updated);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        cache_key_exists(&prefix, &id).await,
        "the cache is in use again"
    );
    store.clear_cache().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn handles_of_one_cache_share_its_tier_and_builders_rebuild_it() {
    let Some(_) = common::manager().await else {
        return;
    };
    let prefix = format!("test-local-share-{}", services::unique_suffix());
    let inner = MemoryStore::new();
    // Used (and its tier built) under another prefix first, then re-prefixed: the tier must
    // track the new prefix, or other handles' writes under it would never reach it.
    let reader = local_handle(&inner, &format!("{prefix}-first"));
    let (created, id) = create_persona(&inner).await;
    reader.personas().get(&id).await.unwrap();
    assert!(reader.local_stats().is_some());
    reader.clear_cache().await.unwrap();
    let reader = reader.with_prefix(&prefix).unwrap();
    let writer = local_handle(&inner, &prefix);
    warm(&reader, &id, &created).await;
    let mut changed = created.clone();
    changed.name = "B".into();
    let updated = writer.personas().update(&actor(), changed).await.unwrap();
    assert!(
        eventually(&reader, &id, &updated).await,
        "the re-prefixed tier hears writes under its new prefix"
    );

    // A handle on the same namespace from `with_namespace` shares the tier: its write is seen
    // at once, with no wait for Redis' message.
    let same = reader.with_namespace(reader.namespace().clone());
    let hits = warm(&reader, &id, &updated).await;
    let mut mine = updated.clone();
    mine.name = "C".into();
    let mine = same.personas().update(&actor(), mine).await.unwrap();
    assert_eq!(reader.personas().get(&id).await.unwrap(), mine);
    assert_eq!(same.personas().get(&id).await.unwrap(), mine);
    assert!(hits >= 1);
    reader.clear_cache().await.unwrap();
}

/// Whether Redis lists a client named `name` (the tracking connection names itself
/// `persona-cache-tracking:<prefix>`).
async fn client_listed(name: &str) -> bool {
    let mut raw = common::manager().await.unwrap();
    let list: String = persona_store_redis::redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(&mut raw)
        .await
        .unwrap();
    list.lines()
        .any(|line| line.split(' ').any(|field| field == format!("name={name}")))
}

#[tokio::test(flavor = "multi_thread")]
async fn dropping_the_store_closes_its_tracking_connection() {
    let Some(_) = common::manager().await else {
        return;
    };
    let prefix = format!("test-local-drop-{}", services::unique_suffix());
    let name = format!("persona-cache-tracking:{prefix}");
    let inner = MemoryStore::new();
    let store = local_handle(&inner, &prefix);
    let (created, id) = create_persona(&store).await;
    warm(&store, &id, &created).await;
    assert!(client_listed(&name).await);
    store.clear_cache().await.unwrap();
    drop(store);
    // The watching task holds the tier weakly: it notices within its one-second check.
    let mut gone = false;
    for _ in 0..30 {
        if !client_listed(&name).await {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "the tracking connection outlived its store");
}

/// A one-thread runtime of its own, for the tests about the runtime the tier's task runs on.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// On `rt`: a local-tier handle under `prefix`, the test persona, and the tier serving it.
fn warmed_on(
    rt: &tokio::runtime::Runtime,
    inner: &MemoryStore,
    prefix: &str,
) -> (CachedStore<MemoryStore>, Persona, String) {
    rt.block_on(async {
        let store = local_handle(inner, prefix);
        let (created, id) = create_persona(&store).await;
        warm(&store, &id, &created).await;
        (store, created, id)
    })
}

#[test]
fn a_tier_whose_runtime_shut_down_stops_serving_until_tracking_is_back() {
    let first = runtime();
    let Some(_) = first.block_on(common::manager()) else {
        return;
    };
    let prefix = format!("test-local-rt-{}", services::unique_suffix());
    let inner = MemoryStore::new();
    let (store, created, id) = warmed_on(&first, &inner, &prefix);
    assert!(store.local_stats().unwrap().tracking);
    // The runtime that ran the tracking task goes away, and with it the task and the
    // connection: nothing tells the tier about changes any more.
    drop(first);
    let stats = store.local_stats().unwrap();
    assert!(!stats.tracking, "{stats:?}");
    assert_eq!(stats.entries, 0);

    // On another runtime another handle changes the record: the first handle must not serve
    // its old copy, and it tracks again after the pause.
    runtime().block_on(async {
        let writer = local_handle(&inner, &prefix);
        let mut changed = created.clone();
        changed.name = "B".into();
        let updated = writer.personas().update(&actor(), changed).await.unwrap();
        assert_eq!(store.personas().get(&id).await.unwrap(), updated);
        assert!(warm(&store, &id, &updated).await >= 1);
        assert!(store.local_stats().unwrap().tracking);
        store.clear_cache().await.unwrap();
    });
}

#[test]
fn a_tier_whose_runtime_stops_running_stops_serving_within_its_lease() {
    let parked = runtime();
    let Some(_) = parked.block_on(common::manager()) else {
        return;
    };
    let prefix = format!("test-local-parked-{}", services::unique_suffix());
    let inner = MemoryStore::new();
    // The tier's tracking task lives on `parked`, which is kept but no longer run.
    let (store, created, id) = warmed_on(&parked, &inner, &prefix);
    runtime().block_on(async {
        let writer = local_handle(&inner, &prefix);
        let mut changed = created.clone();
        changed.name = "B".into();
        let updated = writer.personas().update(&actor(), changed).await.unwrap();
        // Nobody reads the invalidation off the tracking socket; once the lease (2 s after the
        // last answered PING) runs out, reads go to Redis, which the write invalidated.
        let mut fresh = false;
        for _ in 0..400 {
            if store.personas().get(&id).await.unwrap() == updated {
                fresh = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(fresh, "the parked tier kept serving the replaced value");
        assert!(!store.local_stats().unwrap().tracking);
        // (The parked handle's own Redis connection is driven by the parked runtime too.)
        writer.clear_cache().await.unwrap();
    });
    drop(parked);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_refusing_the_connection_name_still_tracks() {
    let Some(mut raw) = common::manager().await else {
        return;
    };
    // A user that may do everything but name its connection.
    let user = format!("persona-test-{}", services::unique_suffix());
    let _: () = persona_store_redis::redis::cmd("ACL")
        .arg("SETUSER")
        .arg(&user)
        .arg("on")
        .arg("nopass")
        .arg("+@all")
        .arg("-client|setname")
        .arg("~*")
        .arg("&*")
        .query_async(&mut raw)
        .await
        .unwrap();
    let prefix = format!("test-local-acl-{}", services::unique_suffix());
    let inner = MemoryStore::new();
    let rest = services::redis_url();
    let rest = rest.trim_start_matches("redis://");
    let url = format!("redis://{user}:unused@{rest}");
    let store = CachedStore::connect(inner.clone(), &url)
        .unwrap()
        .with_prefix(&prefix)
        .unwrap();
    let (created, id) = create_persona(&store).await;
    assert!(warm(&store, &id, &created).await >= 1);
    assert!(store.local_stats().unwrap().tracking);
    store.clear_cache().await.unwrap();
    let _: () = persona_store_redis::redis::cmd("ACL")
        .arg("DELUSER")
        .arg(&user)
        .query_async(&mut raw)
        .await
        .unwrap();
}
