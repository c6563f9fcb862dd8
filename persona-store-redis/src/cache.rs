//! [`CachedStore`]: Redis as a read-through cache in front of any store.

mod local;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use persona_core::query::{Facet, FacetCounts, Filter, ListRequest, Page, Query};
use persona_core::{
    Actor, AnyRecord, AuditEntry, AuditQuery, Batch, Capabilities, Health, HistoryEntry, Identity,
    Kind, Namespace, Result, Store, Tombstone, Version, VersionInfo,
};
use redis::Script;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::conn::Conn;
use crate::error::db;
use crate::keys;
use crate::store::invalid_prefix;
use local::{Lookup, Tier, Tracking};

/// The backend name of the decorator.
const CACHE_BACKEND: &str = "redis-cache";
/// How many invalidations that failed while Redis was unreachable are remembered one by one;
/// past that, the whole cache prefix is flushed when Redis is back.
const MAX_PENDING: usize = 100_000;
/// The longest time to live and retry pause: deadlines computed from them never overflow, and
/// Redis takes the time to live in milliseconds.
const LONGEST: Duration = Duration::from_secs(365 * 24 * 3600);
/// How many records' values [`CachedStore::connect`] keeps in the process.
const DEFAULT_LOCAL_CAPACITY: usize = 10_000;

/// Stores a value only if the record's cache generation is still the one seen before the inner
/// store was read, so a read racing with a write never puts the old value back.
static FILL: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('HGET', KEYS[1], 't')
if (t or '') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4], 'NX')
return 1
",
    )
});

/// Drops every cached value of the given records and gives each a new generation token.
static INVALIDATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
for _, key in ipairs(KEYS) do
  redis.call('DEL', key)
  redis.call('HSET', key, 't', ARGV[1])
  redis.call('PEXPIRE', key, ARGV[2])
end
return #KEYS
",
    )
});

/// Redis in front of any [`Store`]: a read-through cache that is itself a [`Store`].
///
/// - `get` and `version` are served from Redis when cached (each record's cached values live in
///   one hash `{prefix:namespace}:c:<kind>:<id>` with a time to live); `versions` too. Everything
///   else (lists, queries, counts, facets, audit, tombstones, health) goes to the inner store,
///   because any write anywhere may change those answers.
/// - Every write and purge through the decorator goes to the inner store first, then invalidates
///   the records it touched (also when the inner store failed, in case it wrote part of a batch).
///   A read that raced with the write cannot put the old value back: values are stored only if the
///   record's generation token is unchanged since before the inner read.
/// - When Redis cannot be reached, calls are served by the inner store alone; the first failure
///   of an outage is logged once as a `tracing` warning, and Redis is tried again after
///   `retry_after` (1 s by default). Invalidations that failed are remembered and replayed before
///   the cache is used again, and those records bypass the cache until then, so a write through
///   this handle is never followed by a stale read, outage or not. The same holds for a write
///   whose future is dropped (a timeout around the call) after it reached the inner store but
///   before its invalidation finished: its records count as not invalidated.
///
/// Writes made to the inner store by other processes without going through a `CachedStore` on
/// the same Redis become visible when the cached value expires (the time to live, 5 minutes by
/// default).
///
/// # The local tier
/// With [`with_local_tier`](CachedStore::with_local_tier) (on by default for
/// [`connect`](CachedStore::connect)), the handle also keeps the decoded values of up to
/// `capacity` recently read records in the process, so a repeated read costs a map lookup and a
/// clone instead of a Redis round trip and a JSON parse. It stays coherent through Redis'
/// server-assisted client-side caching: a second, RESP3 connection turns on
/// `CLIENT TRACKING ON BCAST PREFIX {prefix:`, and Redis pushes the name of every cache hash that
/// changes (a write through any `CachedStore` on the same Redis and prefix, a fill, an expiry, a
/// flush), whose value the process then drops.
/// - A write through this handle (or a clone of it, or a [`with_namespace`](Self::with_namespace)
///   handle made from it) drops its records from the tier before it returns, so it is never
///   followed by a stale read here.
/// - A write through another handle, in this process or another, reaches the tier when Redis'
///   invalidation message does, normally well under a millisecond after that write's own
///   invalidation of Redis; until then the tier may serve the value that write replaced.
/// - A value read from Redis is kept only if no invalidation of its record, nor a flush, nor a
///   reconnection, arrived while it was being read, so a racing write never leaves the old value
///   behind.
/// - When the tracking connection drops, the tier is emptied and bypassed until a new one is
///   tracking. A task on the Tokio runtime of the read that found the tier off sets the
///   connection up (reads go to Redis meanwhile), then watches it with a `PING` every second.
///   The tier serves only within a 2-second lease that each answered `PING` renews (the reply
///   comes after every invalidation Redis sent before it), so a connection that dies without
///   closing, or a task whose runtime stops running it (parked, blocked, shut down), stops the
///   tier within about two seconds. After a drop or a failed attempt the next setup starts no
///   sooner than `retry_after` after it was noticed. When the store is dropped, the task and its
///   connection end within about two seconds. The connection is named
///   `persona-cache-tracking:<prefix>` in `CLIENT LIST` (where the server allows it). A server
///   that refuses RESP3 or `CLIENT TRACKING` (before Redis 6) leaves the tier off, with one
///   warning; one that answers the setup with another error (an ACL without `CLIENT
///   TRACKING`, say) is warned about once and tried again after `retry_after`.
/// - Values also leave the tier after the time to live, and the least recently used ones (CLOCK)
///   when it holds `capacity` records; each record keeps at most 8 values (its current version,
///   its version list and a few versions).
/// - Builders ([`with_prefix`](Self::with_prefix), [`with_ttl`](Self::with_ttl), …) called after
///   the handle was used start a new, empty tier with the new settings.
///
/// The tier needs a single Redis server: tracking on one node of a cluster would not hear about
/// the others.
pub struct CachedStore<S> {
    inner: S,
    shared: Arc<Shared>,
    base: Arc<str>,
}

impl<S: Clone> Clone for CachedStore<S> {
    fn clone(&self) -> Self {
        CachedStore {
            inner: self.inner.clone(),
            shared: Arc::clone(&self.shared),
            base: Arc::clone(&self.base),
        }
    }
}

impl<S: Store> std::fmt::Debug for CachedStore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedStore")
            .field("inner", &self.inner)
            .field("prefix", &self.shared.prefix)
            .field("ttl", &self.shared.ttl)
            .finish_non_exhaustive()
    }
}

struct Shared {
    conn: Conn,
    prefix: String,
    ttl: Duration,
    retry_after: Duration,
    /// Until when Redis is not tried again after a failure.
    down_until: Mutex<Option<Instant>>,
    /// Whether the current outage has been logged.
    warned: AtomicBool,
    /// Full keys whose invalidation failed, each with the number of the failure that last
    /// added it: a replay removes only the entries no later failure has renewed meanwhile.
    pending: Mutex<HashMap<String, u64>>,
    /// Numbers the failures recorded in `pending`.
    failures: AtomicU64,
    /// The number of the failure that last overflowed `pending` (and set `flush_all`).
    overflowed: AtomicU64,
    /// Too many failed invalidations to remember: flush everything under the prefix.
    flush_all: AtomicBool,
    /// The server and capacity of the local tier, if it is on.
    local_config: Option<(redis::Client, usize)>,
    /// The local tier, built from the settings on first use.
    local: OnceLock<Option<Local>>,
}

/// The in-process tier and the connection that keeps it coherent.
struct Local {
    tier: Arc<Tier>,
    tracking: Arc<Tracking>,
}

/// What the local tier holds and has served: see [`CachedStore::local_stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LocalStats {
    /// Records with values in the tier now.
    pub entries: usize,
    /// Reads the tier has served since the handle was built.
    pub hits: u64,
    /// Whether Redis is telling the tier about changes (the tracking connection is up), so it
    /// keeps and serves values.
    pub tracking: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<S: Store> CachedStore<S> {
    /// Puts a cache on `manager` in front of `inner`, with the key prefix `persona-cache` and a
    /// time to live of 5 minutes. The cache's namespace is the inner store's.
    pub fn new(inner: S, manager: ConnectionManager) -> Self {
        Self::from_conn(inner, Conn::Single(manager))
    }

    /// Puts a Redis Cluster cache in front of `inner`.
    #[cfg(feature = "cluster")]
    pub fn cluster(inner: S, connection: redis::cluster_async::ClusterConnection) -> Self {
        Self::from_conn(inner, Conn::Cluster(connection))
    }

    /// Puts a cache on the server at `url` in front of `inner`, with a local tier of up to
    /// 10,000 records ([`with_local_tier`](CachedStore::with_local_tier)). The connections are
    /// made lazily with short timeouts (250 ms to connect, 500 ms per command), so this
    /// succeeds, and the store works, while Redis is down.
    ///
    /// # Errors
    /// [`Error::Backend`](persona_core::Error::Backend) for a malformed URL.
    pub fn connect(inner: S, url: &str) -> Result<Self> {
        let client = redis::Client::open(url).map_err(db)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(250)))
            .set_response_timeout(Some(Duration::from_millis(500)))
            .set_number_of_retries(0);
        let manager =
            ConnectionManager::new_lazy_with_config(client.clone(), config).map_err(db)?;
        Ok(Self::new(inner, manager).with_local_tier(&client, DEFAULT_LOCAL_CAPACITY))
    }

    fn from_conn(inner: S, conn: Conn) -> Self {
        let base = keys::base(keys::DEFAULT_CACHE_PREFIX, inner.namespace().as_str());
        CachedStore {
            inner,
            base: base.into(),
            shared: Arc::new(Shared {
                conn,
                prefix: keys::DEFAULT_CACHE_PREFIX.to_owned(),
                ttl: Duration::from_secs(300),
                retry_after: Duration::from_secs(1),
                down_until: Mutex::new(None),
                warned: AtomicBool::new(false),
                pending: Mutex::new(HashMap::new()),
                failures: AtomicU64::new(0),
                overflowed: AtomicU64::new(0),
                flush_all: AtomicBool::new(false),
                local_config: None,
                local: OnceLock::new(),
            }),
        }
    }

    fn shared_mut(&mut self) -> &mut Shared {
        // Builders run before the handle is cloned; a clone gets its own copy of the settings.
        if Arc::get_mut(&mut self.shared).is_none() {
            let s = &self.shared;
            let copy = Shared {
                conn: s.conn.clone(),
                prefix: s.prefix.clone(),
                ttl: s.ttl,
                retry_after: s.retry_after,
                down_until: Mutex::new(None),
                warned: AtomicBool::new(false),
                pending: Mutex::new(lock(&s.pending).clone()),
                failures: AtomicU64::new(s.failures.load(Ordering::SeqCst)),
                overflowed: AtomicU64::new(s.overflowed.load(Ordering::SeqCst)),
                flush_all: AtomicBool::new(s.flush_all.load(Ordering::SeqCst)),
                local_config: s.local_config.clone(),
                local: OnceLock::new(),
            };
            self.shared = Arc::new(copy);
        }
        let shared =
            Arc::get_mut(&mut self.shared).unwrap_or_else(|| unreachable!("just made unique"));
        // A local tier built from the old settings (its tracking prefix, time to live) goes; the
        // next read builds one from the new settings.
        shared.local = OnceLock::new();
        shared
    }

    /// The same cache with another key prefix (keys are `{prefix:namespace}:c:…`).
    ///
    /// # Errors
    /// [`Error::Invalid`](persona_core::Error::Invalid) unless `prefix` is 1–64 printable ASCII
    /// characters without spaces, `{` or `}`.
    pub fn with_prefix(mut self, prefix: &str) -> Result<Self> {
        if !keys::valid_prefix(prefix) {
            return Err(invalid_prefix());
        }
        self.shared_mut().prefix = prefix.to_owned();
        self.base = keys::base(prefix, self.inner.namespace().as_str()).into();
        Ok(self)
    }

    /// The same cache with another time to live for cached values (from 1 ms to 365 days; a
    /// value outside is brought to the nearer bound).
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.shared_mut().ttl = ttl.clamp(Duration::from_millis(1), LONGEST);
        self
    }

    /// The same cache with another pause before Redis is tried again after a failure (at most
    /// 365 days).
    pub fn with_retry_after(mut self, pause: Duration) -> Self {
        self.shared_mut().retry_after = pause.min(LONGEST);
        self
    }

    /// The same cache with a local tier of up to `capacity` records in this process, kept
    /// coherent by a tracking connection to the server `client` points at (the one the cache
    /// uses). See [the local tier](CachedStore#the-local-tier). The connection is made on
    /// first use, so this works while Redis is down. A cache on a cluster connection keeps no
    /// local tier ([`local_stats`](CachedStore::local_stats) is `None`): tracking one node would
    /// miss the others' changes.
    pub fn with_local_tier(mut self, client: &redis::Client, capacity: usize) -> Self {
        if matches!(self.shared.conn, Conn::Single(_)) {
            self.shared_mut().local_config = Some((client.clone(), capacity.max(1)));
        }
        self
    }

    /// The same cache without a local tier: every read goes to Redis.
    pub fn without_local_tier(mut self) -> Self {
        self.shared_mut().local_config = None;
        self
    }

    /// What the local tier holds and has served; `None` when the handle has none.
    ///
    /// Before the first read the tier is not built yet: no entries, no hits, not tracking.
    pub fn local_stats(&self) -> Option<LocalStats> {
        self.shared.local_config.as_ref()?;
        let Some(Some(local)) = self.shared.local.get() else {
            return Some(LocalStats {
                entries: 0,
                hits: 0,
                tracking: false,
            });
        };
        Some(LocalStats {
            entries: local.tier.len(),
            hits: local.tier.hits(),
            tracking: local.tier.is_live(),
        })
    }

    /// The local tier, built from the settings on first use.
    fn local(&self) -> Option<&Local> {
        self.shared
            .local
            .get_or_init(|| {
                let (client, capacity) = self.shared.local_config.as_ref()?;
                let tracking =
                    match Tracking::new(client, &self.shared.prefix, self.shared.retry_after) {
                        Ok(tracking) => tracking,
                        Err(error) => {
                            tracing::warn!(
                                backend = CACHE_BACKEND,
                                %error,
                                "cannot set up the cache's local tier; it stays off"
                            );
                            return None;
                        }
                    };
                Some(Local {
                    tier: Arc::new(Tier::new(*capacity, self.shared.ttl)),
                    tracking: Arc::new(tracking),
                })
            })
            .as_ref()
    }

    /// The local tier if it is on and tracking (starting to connect in the background if not).
    fn live_tier(&self) -> Option<&Tier> {
        let local = self.local()?;
        local.tracking.ensure(&local.tier).then_some(&*local.tier)
    }

    /// Drops `keys` from the local tier, if there is one.
    fn invalidate_local(&self, keys: &[String]) {
        if let Some(Some(local)) = self.shared.local.get() {
            local.tier.invalidate(keys.iter().map(String::as_str));
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// A handle on the same cache and the inner store's storage, bound to `namespace`.
    pub fn with_namespace(&self, namespace: Namespace) -> CachedStore<Arc<dyn Store>> {
        CachedStore {
            base: keys::base(&self.shared.prefix, namespace.as_str()).into(),
            inner: self.inner.namespaced(namespace),
            shared: Arc::clone(&self.shared),
        }
    }

    /// Deletes every cached value of this handle's namespace, returning how many keys went.
    ///
    /// # Errors
    /// Backend errors (the cache itself is unreachable).
    pub async fn clear_cache(&self) -> Result<u64> {
        let cleared = crate::store::clear_keys(&self.shared.conn, &self.base).await;
        self.flush_local();
        cleared
    }

    /// Empties the local tier (of every namespace: it is shared).
    fn flush_local(&self) {
        if let Some(Some(local)) = self.shared.local.get() {
            local.tier.flush();
        }
    }

    fn key(&self, kind: Kind, id: &str) -> String {
        format!("{}{}", self.base, keys::cached(kind, id))
    }

    fn conn(&self) -> Conn {
        self.shared.conn.clone()
    }

    fn failed(&self, error: &redis::RedisError) {
        *lock(&self.shared.down_until) = Some(Instant::now() + self.shared.retry_after);
        if !self.shared.warned.swap(true, Ordering::SeqCst) {
            tracing::warn!(
                backend = CACHE_BACKEND,
                %error,
                "redis cache unreachable; serving from the inner store until it is back"
            );
        }
    }

    fn succeeded(&self) {
        if self.shared.warned.swap(false, Ordering::SeqCst) {
            tracing::info!(backend = CACHE_BACKEND, "redis cache reachable again");
        }
    }

    fn resting(&self) -> bool {
        let mut down = lock(&self.shared.down_until);
        match *down {
            Some(until) if Instant::now() < until => true,
            Some(_) => {
                *down = None;
                false
            }
            None => false,
        }
    }

    /// Whether the cache may be used for `key` now: Redis is not resting after a failure, and
    /// no failed invalidation is still outstanding for it (replaying them first).
    async fn usable(&self, key: &str) -> bool {
        if self.resting() {
            return false;
        }
        if self.shared.flush_all.load(Ordering::SeqCst) {
            return self.flush_everything().await;
        }
        let outstanding: Vec<(String, u64)> = {
            let pending = lock(&self.shared.pending);
            if pending.contains_key(key) {
                pending.iter().map(|(k, n)| (k.clone(), *n)).collect()
            } else {
                Vec::new()
            }
        };
        if outstanding.is_empty() {
            return true;
        }
        let keys: Vec<String> = outstanding.iter().map(|(k, _)| k.clone()).collect();
        match self.invalidate_keys(&keys).await {
            Ok(()) => {
                // A read that raced with the failed invalidation may have kept the old value
                // locally (its Redis read went through while the invalidation did not).
                self.invalidate_local(&keys);
                let mut pending = lock(&self.shared.pending);
                for (key, failure) in &outstanding {
                    // A write that failed to invalidate the key again during this replay keeps
                    // it pending: its own invalidation may have run before the replay's.
                    if pending.get(key) == Some(failure) {
                        pending.remove(key);
                    }
                }
                true
            }
            Err(error) => {
                self.failed(&error);
                false
            }
        }
    }

    async fn flush_everything(&self) -> bool {
        let pattern_base = format!("{{{}:", self.shared.prefix);
        // Failures from here on may have happened after the scan passed their keys: they stay.
        let before = self.shared.failures.load(Ordering::SeqCst);
        match crate::store::clear_keys(&self.shared.conn, &pattern_base).await {
            Ok(_) => {
                self.flush_local();
                let mut pending = lock(&self.shared.pending);
                pending.retain(|_, failure| *failure > before);
                if self.shared.overflowed.load(Ordering::SeqCst) <= before {
                    self.shared.flush_all.store(false, Ordering::SeqCst);
                }
                drop(pending);
                self.succeeded();
                true
            }
            Err(_) => {
                *lock(&self.shared.down_until) = Some(Instant::now() + self.shared.retry_after);
                false
            }
        }
    }

    async fn invalidate_keys(&self, keys: &[String]) -> redis::RedisResult<()> {
        // Keys of one namespace share a slot; group by their hash tag for cluster connections.
        let mut groups: std::collections::BTreeMap<&str, Vec<&String>> = Default::default();
        for key in keys {
            let tag = key.find('}').map_or(key.as_str(), |end| &key[..=end]);
            groups.entry(tag).or_default().push(key);
        }
        let token = format!("{:016x}", rand::random::<u64>());
        let ttl = self.shared.ttl.as_millis().max(1).to_string();
        for group in groups.values() {
            for chunk in group.chunks(500) {
                let mut invocation = INVALIDATE.prepare_invoke();
                for key in chunk {
                    invocation.key(key.as_str());
                }
                invocation.arg(&token).arg(&ttl);
                let _: i64 = invocation.invoke_async(&mut self.conn()).await?;
            }
        }
        Ok(())
    }

    async fn invalidate(&self, keys: &[String]) {
        if keys.is_empty() {
            return;
        }
        let result = if self.resting() {
            None
        } else {
            Some(self.invalidate_keys(keys).await)
        };
        // After Redis: a read of this process that starts from here on finds Redis invalidated
        // (or the keys pending, which bypasses the cache), and one in flight is spoiled.
        self.invalidate_local(keys);
        match result {
            Some(Ok(())) => self.succeeded(),
            Some(Err(error)) => {
                self.failed(&error);
                self.remember(keys.to_vec());
            }
            None => self.remember(keys.to_vec()),
        }
    }

    /// Runs the inner write `write` of the records under `keys`, then invalidates them (also
    /// when the inner store failed, in case it wrote part of a batch). If the caller drops the
    /// future before the invalidation has finished, the inner store may have been written: the
    /// keys are dropped locally and remembered as pending, so they bypass the cache until their
    /// invalidation has been replayed.
    async fn written<T>(&self, keys: Vec<String>, write: impl Future<Output = T>) -> T {
        let mut unsettled = Unsettled {
            store: self,
            keys: Some(keys),
        };
        let result = write.await;
        let keys = unsettled.keys.as_deref().unwrap_or_default();
        self.invalidate(keys).await;
        unsettled.keys = None;
        result
    }

    fn remember(&self, keys: Vec<String>) {
        let failure = self.shared.failures.fetch_add(1, Ordering::SeqCst) + 1;
        let mut pending = lock(&self.shared.pending);
        pending.extend(keys.into_iter().map(|key| (key, failure)));
        if pending.len() > MAX_PENDING {
            pending.clear();
            self.shared.overflowed.store(failure, Ordering::SeqCst);
            self.shared.flush_all.store(true, Ordering::SeqCst);
        }
    }

    /// Read-through of one cached field of a record's hash.
    async fn cached<T, F>(
        &self,
        (kind, id, field): (Kind, &str, &str),
        load: F,
        encode: impl Fn(&T) -> Option<Vec<u8>>,
        decode: impl Fn(&[u8]) -> Option<T>,
    ) -> Result<Option<T>>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = Result<Option<T>>>,
    {
        let key = self.key(kind, id);
        if !self.usable(&key).await {
            return load.await;
        }
        let ticket = match self.live_tier() {
            Some(tier) => match tier.lookup::<T>(&key, field) {
                Lookup::Hit(value) => return Ok(Some(value)),
                Lookup::Miss(ticket) => ticket,
            },
            None => None,
        };
        let hit: redis::RedisResult<(Option<Vec<u8>>, Option<String>)> = redis::cmd("HMGET")
            .arg(&key)
            .arg(field)
            .arg("t")
            .query_async(&mut self.conn())
            .await;
        let token = match hit {
            Ok((Some(bytes), _)) => {
                self.succeeded();
                if let Some(value) = decode(&bytes) {
                    if let Some(ticket) = ticket {
                        ticket.keep(field, &value);
                    }
                    return Ok(Some(value));
                }
                None
            }
            Ok((None, token)) => {
                self.succeeded();
                Some(token.unwrap_or_default())
            }
            Err(error) => {
                self.failed(&error);
                return load.await;
            }
        };
        let value = load.await?;
        if let (Some(token), Some(found)) = (token, &value)
            && let Some(bytes) = encode(found)
        {
            let mut invocation = FILL.key(&key);
            invocation
                .arg(token)
                .arg(field)
                .arg(bytes)
                .arg(self.shared.ttl.as_millis().max(1).to_string());
            match invocation.invoke_async::<i64>(&mut self.conn()).await {
                Ok(_) => {}
                Err(error) => self.failed(&error),
            }
        }
        Ok(value)
    }
}

/// A write whose invalidation has not finished: see [`CachedStore::written`].
struct Unsettled<'a, S: Store> {
    store: &'a CachedStore<S>,
    keys: Option<Vec<String>>,
}

impl<S: Store> Drop for Unsettled<'_, S> {
    fn drop(&mut self) {
        if let Some(keys) = self.keys.take() {
            self.store.invalidate_local(&keys);
            self.store.remember(keys);
        }
    }
}

fn json_encode<T: Serialize>(value: &T) -> Option<Vec<u8>> {
    serde_json::to_vec(value).ok()
}

// A value this crate cannot read back (written by another version of it) counts as a miss.
fn json_decode<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    serde_json::from_slice(bytes).ok()
}

#[async_trait]
impl<S: Store> Store for CachedStore<S> {
    fn backend(&self) -> &'static str {
        CACHE_BACKEND
    }

    fn namespace(&self) -> &Namespace {
        self.inner.namespace()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    fn namespaced(&self, namespace: Namespace) -> Arc<dyn Store> {
        Arc::new(self.with_namespace(namespace))
    }

    /// The inner store's health: an unreachable cache degrades speed, not availability.
    async fn health(&self) -> Result<Health> {
        let mut health = self.inner.health().await?;
        health.backend = CACHE_BACKEND;
        Ok(health)
    }

    async fn apply(&self, batch: Batch) -> Result<Vec<AnyRecord>> {
        let mut keys: Vec<String> = batch
            .ops()
            .iter()
            .map(|op| {
                let (kind, id) = op.target();
                self.key(kind, id)
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        self.written(keys, self.inner.apply(batch)).await
    }

    async fn get(&self, kind: Kind, id: &str) -> Result<Option<AnyRecord>> {
        self.cached(
            (kind, id, "g"),
            self.inner.get(kind, id),
            |record: &AnyRecord| record.to_json().ok(),
            |bytes| AnyRecord::from_json(kind, bytes).ok(),
        )
        .await
    }

    async fn purge(&self, kind: Kind, id: &str, actor: &Actor) -> Result<Tombstone> {
        self.written(vec![self.key(kind, id)], self.inner.purge(kind, id, actor))
            .await
    }

    async fn versions(&self, kind: Kind, id: &str) -> Result<Vec<VersionInfo>> {
        let found = self
            .cached(
                (kind, id, "vs"),
                async {
                    let versions = self.inner.versions(kind, id).await?;
                    Ok((!versions.is_empty()).then_some(versions))
                },
                json_encode,
                json_decode,
            )
            .await?;
        Ok(found.unwrap_or_default())
    }

    async fn version(
        &self,
        kind: Kind,
        id: &str,
        version: Version,
    ) -> Result<Option<HistoryEntry>> {
        let field = format!("v{}", version.get());
        self.cached(
            (kind, id, &field),
            self.inner.version(kind, id, version),
            json_encode,
            json_decode,
        )
        .await
    }

    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        self.inner.audit(query).await
    }

    async fn tombstone(&self, kind: Kind, id: &str) -> Result<Option<Tombstone>> {
        self.inner.tombstone(kind, id).await
    }

    async fn list(&self, kind: Kind, request: &ListRequest) -> Result<Page<AnyRecord>> {
        self.inner.list(kind, request).await
    }

    async fn query(&self, query: &Query) -> Result<Page<Identity>> {
        self.inner.query(query).await
    }

    async fn count(&self, filter: &Filter) -> Result<u64> {
        self.inner.count(filter).await
    }

    async fn facets(&self, filter: &Filter, facets: &[Facet]) -> Result<FacetCounts> {
        self.inner.facets(filter, facets).await
    }
}
