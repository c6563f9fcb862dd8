//! The in-process tier of [`CachedStore`](super::CachedStore): decoded values of recently read
//! records, kept coherent with Redis by server-assisted client-side caching.
//!
//! A dedicated RESP3 connection turns on `CLIENT TRACKING … BCAST PREFIX {prefix:`, so Redis
//! pushes the name of every cache key that changes (a write through any handle invalidating
//! it, a fill, an expiry, a flush) to this process, which drops its copy. A value enters the tier
//! only when it was read from Redis while the tracking connection was up, and only if no
//! invalidation of its key (nor a flush, nor a reconnection) arrived between the start of that
//! read and the insertion: an invalidation that raced with the read therefore never leaves the
//! old value behind, whatever order the two connections' messages arrive in. When the tracking
//! connection drops, the tier is emptied and bypassed until tracking is on again.
//!
//! Eviction is CLOCK (second chance), an LRU approximation with O(1) work per operation: each
//! entry has a referenced bit, set by a hit and cleared as the hand passes it.

use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, ProtocolVersion, PushInfo, PushKind, Value};

/// A decoded value of some type, told apart again by downcasting.
type AnyValue = Arc<dyn Any + Send + Sync>;

/// Decoded values, the reads in flight, and whether Redis is telling us about changes.
pub(crate) struct Tier {
    capacity: usize,
    ttl: Duration,
    state: Mutex<State>,
    hits: AtomicU64,
    /// Wakes the task watching the tracking connection when it drops (shared, so the task can
    /// wait without keeping the tier alive).
    dropped: Arc<tokio::sync::Notify>,
}

#[derive(Default)]
struct State {
    /// Tracking is on, on the current connection: values may be kept, until `lease`.
    live: bool,
    /// Until when the tier may serve without news from its connection: set when tracking goes
    /// on and moved on by each answered `PING`. A reply comes after every message Redis sent
    /// before it, so by then every earlier invalidation has been applied. If the task watching
    /// the connection stops running (its runtime parked, or busy elsewhere), the lease runs out
    /// and the tier stops serving instead of serving values nobody is invalidating.
    lease: Option<Instant>,
    /// The tracking connection being set up or in use (a late message from an earlier one is
    /// told apart by this number).
    connection: u64,
    /// That connection dropped (possibly before tracking was confirmed on it): it never goes
    /// live.
    dead: bool,
    /// Bumped whenever every value is dropped at once (flush, disconnection, new connection),
    /// so reads that started before cannot insert.
    epoch: u64,
    entries: HashMap<String, Entry>,
    /// The CLOCK ring: keys with the stamp of the entry they were pushed for; a key whose entry
    /// was since removed or replaced (another stamp) is skipped.
    ring: VecDeque<(String, u64)>,
    next_stamp: u64,
    /// Keys being read, with how many invalidations each received meanwhile.
    in_flight: HashMap<String, InFlight>,
}

struct Entry {
    stamp: u64,
    referenced: bool,
    expires: Instant,
    /// The cached fields of the record's hash (`g` for the record, `vs`, `v<n>`): at most
    /// [`MAX_FIELDS`], so a list.
    fields: Vec<(Box<str>, AnyValue)>,
}

#[derive(Default)]
struct InFlight {
    readers: u32,
    invalidations: u64,
}

/// Fields kept per record: the record, its version list and a few of its versions.
const MAX_FIELDS: usize = 8;

/// The longest a value stays (a longer time to live is cut to this, so deadlines never overflow).
const MAX_TTL: Duration = Duration::from_secs(365 * 24 * 3600);

/// How long a live tier serves past its last answered `PING`: the pause between two, the longest
/// wait for the reply, and a margin for a busy runtime.
const LEASE: Duration = Duration::from_millis(2_000);

impl State {
    /// Whether values may be served and kept now.
    fn serving(&self, now: Instant) -> bool {
        self.live && self.lease.is_some_and(|until| now < until)
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a lookup found.
pub(crate) enum Lookup<'a, T> {
    /// A value kept in the process.
    Hit(T),
    /// Not kept: read it from Redis, then offer it to the ticket (if any: none while tracking is
    /// off).
    Miss(Option<Ticket<'a>>),
}

/// A read in flight. Dropping it without [`Ticket::keep`] just ends the read.
pub(crate) struct Ticket<'a> {
    tier: &'a Tier,
    key: &'a str,
    epoch: u64,
    invalidations: u64,
}

impl Ticket<'_> {
    /// Keeps `value` as the key's `field`, unless the key was invalidated (or everything was
    /// dropped, or tracking went off) since the read began.
    pub(crate) fn keep<T: Clone + Send + Sync + 'static>(self, field: &str, value: &T) {
        // The copy is made before taking the lock (it may be thrown away).
        let value: AnyValue = Arc::new(value.clone());
        let mut state = lock(&self.tier.state);
        let unchanged = state.serving(Instant::now())
            && state.epoch == self.epoch
            && state
                .in_flight
                .get(self.key)
                .is_some_and(|f| f.invalidations == self.invalidations);
        if unchanged {
            self.tier.insert(&mut state, self.key, field, value);
        }
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        let mut state = lock(&self.tier.state);
        if let Some(flight) = state.in_flight.get_mut(self.key) {
            flight.readers -= 1;
            if flight.readers == 0 {
                state.in_flight.remove(self.key);
            }
        }
    }
}

impl Tier {
    pub(crate) fn new(capacity: usize, ttl: Duration) -> Tier {
        Tier {
            capacity: capacity.max(1),
            ttl: ttl.min(MAX_TTL),
            state: Mutex::new(State::default()),
            hits: AtomicU64::new(0),
            dropped: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// How many reads the tier has served.
    pub(crate) fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// How many records have values in the tier.
    pub(crate) fn len(&self) -> usize {
        lock(&self.state).entries.len()
    }

    pub(crate) fn is_live(&self) -> bool {
        lock(&self.state).serving(Instant::now())
    }

    /// The key's `field` if kept (and not expired), or a ticket for reading it elsewhere.
    pub(crate) fn lookup<'a, T: Clone + Send + Sync + 'static>(
        &'a self,
        key: &'a str,
        field: &str,
    ) -> Lookup<'a, T> {
        let mut state = lock(&self.state);
        let now = Instant::now();
        if !state.serving(now) {
            return Lookup::Miss(None);
        }
        if let Some(entry) = state.entries.get_mut(key) {
            if entry.expires > now {
                let found = entry
                    .fields
                    .iter()
                    .find(|(name, _)| &**name == field)
                    .and_then(|(_, value)| Arc::clone(value).downcast::<T>().ok());
                if let Some(value) = found {
                    entry.referenced = true;
                    drop(state);
                    // The clone of the record happens outside the lock.
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    return Lookup::Hit(T::clone(&value));
                }
            } else {
                state.entries.remove(key);
            }
        }
        let epoch = state.epoch;
        let flight = state.in_flight.entry(key.to_owned()).or_default();
        flight.readers += 1;
        let invalidations = flight.invalidations;
        Lookup::Miss(Some(Ticket {
            tier: self,
            key,
            epoch,
            invalidations,
        }))
    }

    fn insert(&self, state: &mut State, key: &str, field: &str, value: AnyValue) {
        let expires = Instant::now() + self.ttl;
        if let Some(entry) = state.entries.get_mut(key) {
            let full = entry.fields.len() >= MAX_FIELDS;
            match entry.fields.iter_mut().find(|(name, _)| &**name == field) {
                Some(slot) => slot.1 = value,
                None if !full => entry.fields.push((field.into(), value)),
                None => {}
            }
            entry.expires = entry.expires.min(expires);
            return;
        }
        while state.entries.len() >= self.capacity {
            Self::evict_one(state);
        }
        let stamp = state.next_stamp;
        state.next_stamp += 1;
        state.entries.insert(
            key.to_owned(),
            Entry {
                stamp,
                referenced: false,
                expires,
                fields: vec![(field.into(), value)],
            },
        );
        state.ring.push_back((key.to_owned(), stamp));
        // Keys of removed entries stay in the ring until the hand reaches them; keep it bounded.
        if state.ring.len() > 2 * self.capacity + 64 {
            let State { entries, ring, .. } = state;
            ring.retain(|(key, stamp)| entries.get(key).is_some_and(|e| e.stamp == *stamp));
        }
    }

    /// Moves the CLOCK hand until one entry is evicted.
    fn evict_one(state: &mut State) {
        while let Some((key, stamp)) = state.ring.pop_front() {
            let Some(entry) = state.entries.get_mut(&key) else {
                continue;
            };
            if entry.stamp != stamp {
                continue;
            }
            if entry.referenced {
                entry.referenced = false;
                state.ring.push_back((key, stamp));
                continue;
            }
            state.entries.remove(&key);
            return;
        }
        // The ring lost track of the entries (cannot happen while every insert pushes one):
        // start over rather than loop.
        state.entries.clear();
    }

    /// Drops the values of `keys`, and spoils the reads of them in flight.
    pub(crate) fn invalidate<'k>(&self, keys: impl IntoIterator<Item = &'k str>) {
        let mut state = lock(&self.state);
        for key in keys {
            state.entries.remove(key);
            if let Some(flight) = state.in_flight.get_mut(key) {
                flight.invalidations += 1;
            }
        }
    }

    /// Drops every value, and spoils every read in flight.
    pub(crate) fn flush(&self) {
        let mut state = lock(&self.state);
        Self::flush_locked(&mut state);
    }

    fn flush_locked(state: &mut State) {
        state.entries.clear();
        state.ring.clear();
        state.epoch += 1;
    }

    /// Connection `connection` is being set up: from now on its messages count, and the
    /// previous one's do not.
    fn connecting(&self, connection: u64) {
        let mut state = lock(&self.state);
        Self::flush_locked(&mut state);
        state.connection = connection;
        state.dead = false;
        state.live = false;
    }

    /// Tracking is on, on connection `connection`: start keeping values, unless that connection
    /// has dropped meanwhile (or another has replaced it). Returns whether the tier is live.
    fn went_live(&self, connection: u64) -> bool {
        let mut state = lock(&self.state);
        if state.connection != connection || state.dead {
            return false;
        }
        Self::flush_locked(&mut state);
        state.live = true;
        state.lease = Some(Instant::now() + LEASE);
        true
    }

    /// Connection `connection` answered a `PING`: every message Redis sent before has been
    /// applied, so the tier may serve for another [`LEASE`].
    fn answered(&self, connection: u64, asked: Instant) {
        let mut state = lock(&self.state);
        if state.connection == connection && state.live {
            state.lease = Some(asked + LEASE);
        }
    }

    /// Connection `connection` dropped: forget everything if it is the current one.
    fn disconnected(&self, connection: u64) {
        let mut state = lock(&self.state);
        if state.connection == connection {
            state.live = false;
            state.dead = true;
            Self::flush_locked(&mut state);
        }
        drop(state);
        self.dropped.notify_waiters();
    }

    /// Whether connection `connection` is still the one in use and has not dropped.
    fn current(&self, connection: u64) -> bool {
        let state = lock(&self.state);
        state.connection == connection && !state.dead
    }

    /// A message pushed on tracking connection `connection`.
    fn pushed(&self, connection: u64, push: PushInfo) {
        match push.kind {
            PushKind::Disconnection => self.disconnected(connection),
            PushKind::Invalidate => match push.data.first() {
                Some(Value::Array(keys)) => {
                    let keys: Vec<&[u8]> = keys
                        .iter()
                        .filter_map(|key| match key {
                            Value::BulkString(bytes) => Some(bytes.as_slice()),
                            _ => None,
                        })
                        .collect();
                    self.invalidate(keys.into_iter().filter_map(|k| std::str::from_utf8(k).ok()));
                }
                // A null list: the server flushed its databases.
                _ => self.flush(),
            },
            _ => {}
        }
    }
}

/// How often a live tracking connection is checked with a `PING`: a connection that died
/// without the client seeing it close (a half-open socket) stops the tier within this time plus
/// the reply timeout.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// Replies on the tracking connection are awaited at most this long.
const REPLY_TIMEOUT: Duration = Duration::from_millis(500);

/// The connection on which Redis tells this process which cache keys changed.
///
/// One task at a time owns it: the task connects, turns tracking on, then watches the connection
/// (a `PING` every [`CHECK_EVERY`], or at once when the connection reports a drop) until it fails,
/// the tier is dropped, or the runtime shuts down. Whichever way the task ends, even dropped
/// without running to completion, its [`Owner`] guard turns the tier off and lets the next read
/// start another one.
pub(crate) struct Tracking {
    client: redis::Client,
    /// `{prefix:`, the start of every cache key of the decorator's prefix.
    key_prefix: String,
    /// The connection's name in `CLIENT LIST`: `persona-cache-tracking:<prefix>`.
    name: String,
    retry_after: Duration,
    /// The server refused RESP3 or tracking (before Redis 6, or a proxy without them): the tier
    /// stays off rather than asking again.
    refused: AtomicBool,
    /// The number of the connection whose task is running, 0 when none is.
    owner: AtomicU64,
    /// A setup the server answered with an error has been logged since tracking was last on.
    warned: AtomicBool,
    next_attempt: Mutex<Option<Instant>>,
    connections: AtomicU64,
}

impl Tracking {
    /// A tracker for the server `client` points at (its protocol is switched to RESP3, which
    /// push messages need).
    pub(crate) fn new(
        client: &redis::Client,
        prefix: &str,
        retry_after: Duration,
    ) -> redis::RedisResult<Tracking> {
        let info = client.get_connection_info().clone();
        let settings = info
            .redis_settings()
            .clone()
            .set_protocol(ProtocolVersion::RESP3);
        let client = redis::Client::open(info.set_redis_settings(settings))?;
        Ok(Tracking {
            client,
            key_prefix: format!("{{{prefix}:"),
            name: format!("persona-cache-tracking:{prefix}"),
            retry_after: retry_after.min(MAX_TTL),
            refused: AtomicBool::new(false),
            owner: AtomicU64::new(0),
            warned: AtomicBool::new(false),
            next_attempt: Mutex::new(None),
            connections: AtomicU64::new(0),
        })
    }

    /// Whether the tier is live. If it is not, starts a task that sets up tracking (so no read
    /// waits for the handshake), unless one is already running, the server refused, or the last
    /// attempt failed less than `retry_after` ago.
    pub(crate) fn ensure(self: &Arc<Self>, tier: &Arc<Tier>) -> bool {
        if tier.is_live() {
            return true;
        }
        if self.refused.load(Ordering::Relaxed) || self.owner.load(Ordering::Acquire) != 0 {
            return false;
        }
        {
            let next = self
                .next_attempt
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if next.is_some_and(|at| Instant::now() < at) {
                return false;
            }
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return false;
        };
        let number = self.connections.fetch_add(1, Ordering::Relaxed) + 1;
        if self
            .owner
            .compare_exchange(0, number, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        // Made before the task is spawned: if the runtime drops the task unrun (it is shutting
        // down), the guard still turns the tier off and frees the slot.
        let owner = Owner {
            tracking: Arc::downgrade(self),
            tier: Arc::downgrade(tier),
            number,
        };
        runtime.spawn(async move {
            let outcome = owner.run().await;
            if let (Err(error), Some(tracking)) = (outcome, owner.tracking.upgrade()) {
                tracking.failed(&error);
            }
        });
        false
    }

    fn failed(&self, error: &redis::RedisError) {
        if refuses_tracking(error) {
            self.refused.store(true, Ordering::Relaxed);
            tracing::warn!(
                backend = "redis-cache",
                %error,
                "the server does not take client-side caching (RESP3 and CLIENT TRACKING); \
                 the cache's local tier stays off"
            );
        } else {
            // An unreachable server is the cache's outage, which the cache logs itself; a server
            // that answers with an error (an ACL without `CLIENT TRACKING`, say) is said once.
            let answered = !(error.is_io_error()
                || error.is_timeout()
                || error.is_connection_refusal()
                || error.is_connection_dropped());
            if answered && !self.warned.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    backend = "redis-cache",
                    %error,
                    "the cache's local tier cannot track changes; it stays off and tries again"
                );
            }
            self.pause();
        }
    }

    /// No new connection before `retry_after` has passed.
    fn pause(&self) {
        *self
            .next_attempt
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now() + self.retry_after);
    }
}

/// The task that owns tracking connection `number`. It holds the tracker and the tier weakly,
/// so a dropped store ends it, and its `Drop` turns the tier off and frees the slot however it
/// ends.
struct Owner {
    tracking: Weak<Tracking>,
    tier: Weak<Tier>,
    number: u64,
}

impl Owner {
    /// Connects, turns tracking on, then watches the connection. `Ok` when the store went away.
    async fn run(&self) -> redis::RedisResult<()> {
        let Some(mut connection) = self.connect().await? else {
            return Ok(());
        };
        loop {
            {
                let Some(tier) = self.tier.upgrade() else {
                    return Ok(());
                };
                // Waiting starts before the check, so a drop reported in between still wakes it.
                let dropped = Arc::clone(&tier.dropped);
                let woken = dropped.notified();
                if !tier.current(self.number) {
                    // Dropped: the next read starts a new connection after the usual pause.
                    if let Some(tracking) = self.tracking.upgrade() {
                        tracking.pause();
                    }
                    return Ok(());
                }
                drop(tier);
                let _ = tokio::time::timeout(CHECK_EVERY, woken).await;
            }
            let Some(tier) = self.tier.upgrade() else {
                return Ok(());
            };
            if !tier.current(self.number) {
                continue;
            }
            drop(tier);
            let asked = Instant::now();
            redis::cmd("PING").exec_async(&mut connection).await?;
            if let Some(tier) = self.tier.upgrade() {
                tier.answered(self.number, asked);
            }
        }
    }

    /// The tracking connection, or `None` if the store went away or the connection dropped
    /// before tracking was confirmed.
    async fn connect(&self) -> redis::RedisResult<Option<MultiplexedConnection>> {
        let (Some(tracking), Some(tier)) = (self.tracking.upgrade(), self.tier.upgrade()) else {
            return Ok(None);
        };
        let number = self.number;
        tier.connecting(number);
        let weak = Arc::downgrade(&tier);
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(250)))
            .set_response_timeout(Some(REPLY_TIMEOUT))
            .set_push_sender(move |push: PushInfo| {
                if let Some(tier) = weak.upgrade() {
                    tier.pushed(number, push);
                }
                Ok::<(), ()>(())
            });
        let mut connection = tracking
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        // Only a label for operators: a server or an ACL that refuses it changes nothing.
        if let Err(error) = redis::cmd("CLIENT")
            .arg("SETNAME")
            .arg(&tracking.name)
            .exec_async(&mut connection)
            .await
            && (error.is_io_error() || error.is_timeout() || error.is_connection_dropped())
        {
            return Err(error);
        }
        redis::cmd("CLIENT")
            .arg("TRACKING")
            .arg("ON")
            .arg("BCAST")
            .arg("PREFIX")
            .arg(&tracking.key_prefix)
            .exec_async(&mut connection)
            .await?;
        // From here on every change of a cache key reaches `pushed`. Reads that began before
        // cannot insert (a new epoch); a drop seen before this point keeps the tier off.
        if tier.went_live(number) {
            tracking.warned.store(false, Ordering::Relaxed);
            Ok(Some(connection))
        } else {
            tracking.pause();
            Ok(None)
        }
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        if let Some(tier) = self.tier.upgrade() {
            tier.disconnected(self.number);
        }
        if let Some(tracking) = self.tracking.upgrade() {
            let _ = tracking.owner.compare_exchange(
                self.number,
                0,
                Ordering::AcqRel,
                Ordering::Acquire,
            );
        }
    }
}

/// Whether the server answered that it has no RESP3 or no client tracking (as opposed to being
/// unreachable, busy or misconfigured, which is retried).
fn refuses_tracking(error: &redis::RedisError) -> bool {
    if error.kind() == redis::ErrorKind::RESP3NotSupported || error.code() == Some("NOPROTO") {
        return true;
    }
    let detail = error.detail().unwrap_or_default().to_ascii_lowercase();
    error.code() == Some("ERR")
        && (detail.contains("unknown command") || detail.contains("unknown subcommand"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(capacity: usize) -> Tier {
        let tier = Tier::new(capacity, Duration::from_secs(60));
        tier.connecting(1);
        assert!(tier.went_live(1));
        tier
    }

    fn read(tier: &Tier, key: &str) -> Option<u32> {
        match tier.lookup::<u32>(key, "g") {
            Lookup::Hit(value) => Some(value),
            Lookup::Miss(_) => None,
        }
    }

    fn fill(tier: &Tier, key: &str, value: u32) {
        match tier.lookup::<u32>(key, "g") {
            Lookup::Miss(Some(ticket)) => ticket.keep("g", &value),
            Lookup::Miss(None) => panic!("tier not live"),
            Lookup::Hit(_) => panic!("{key} already kept"),
        }
    }

    #[test]
    fn keeps_values_read_while_live_and_serves_them() {
        let tier = live(10);
        assert_eq!(read(&tier, "a"), None);
        fill(&tier, "a", 1);
        assert_eq!(read(&tier, "a"), Some(1));
        assert_eq!(tier.hits(), 1);
        // Another field of the same record is a miss until kept.
        assert!(matches!(
            tier.lookup::<u32>("a", "vs"),
            Lookup::Miss(Some(_))
        ));
    }

    #[test]
    fn an_invalidation_during_the_read_keeps_the_old_value_out() {
        let tier = live(10);
        let Lookup::Miss(Some(ticket)) = tier.lookup::<u32>("a", "g") else {
            panic!("miss expected");
        };
        tier.invalidate(["a"]);
        ticket.keep("g", &1u32);
        assert_eq!(read(&tier, "a"), None);
        // Another key's invalidation does not spoil the read.
        let Lookup::Miss(Some(ticket)) = tier.lookup::<u32>("a", "g") else {
            panic!("miss expected");
        };
        tier.invalidate(["b"]);
        ticket.keep("g", &2u32);
        assert_eq!(read(&tier, "a"), Some(2));
    }

    #[test]
    fn flush_and_disconnection_keep_reads_in_flight_out() {
        let tier = live(10);
        let Lookup::Miss(Some(ticket)) = tier.lookup::<u32>("a", "g") else {
            panic!("miss expected");
        };
        tier.flush();
        ticket.keep("g", &1u32);
        assert_eq!(read(&tier, "a"), None);

        fill(&tier, "a", 1);
        let Lookup::Miss(Some(ticket)) = tier.lookup::<u32>("b", "g") else {
            panic!("miss expected");
        };
        // A message from an older connection changes nothing...
        tier.pushed(
            0,
            PushInfo {
                kind: PushKind::Disconnection,
                data: vec![],
            },
        );
        assert_eq!(read(&tier, "a"), Some(1));
        // ...the current one's disconnection empties the tier and stops it keeping values.
        tier.pushed(
            1,
            PushInfo {
                kind: PushKind::Disconnection,
                data: vec![],
            },
        );
        ticket.keep("g", &2u32);
        assert!(!tier.is_live());
        assert!(matches!(tier.lookup::<u32>("a", "g"), Lookup::Miss(None)));
        tier.connecting(2);
        assert!(tier.went_live(2));
        assert_eq!(read(&tier, "a"), None);
        assert_eq!(read(&tier, "b"), None);
    }

    #[test]
    fn a_connection_that_drops_before_tracking_is_confirmed_never_goes_live() {
        let tier = Tier::new(10, Duration::from_secs(60));
        tier.connecting(1);
        tier.pushed(
            1,
            PushInfo {
                kind: PushKind::Disconnection,
                data: vec![],
            },
        );
        assert!(!tier.went_live(1));
        assert!(!tier.is_live());
        // Nor does one that another has replaced.
        tier.connecting(2);
        tier.connecting(3);
        assert!(!tier.went_live(2));
        assert!(tier.went_live(3));
        assert!(!tier.current(2));
        assert!(tier.current(3));
    }

    #[test]
    fn a_tier_whose_lease_ran_out_serves_nothing_until_a_ping_is_answered() {
        let tier = live(10);
        fill(&tier, "a", 1);
        let asked = Instant::now();
        lock(&tier.state).lease = Some(asked);
        assert!(!tier.is_live());
        assert!(matches!(tier.lookup::<u32>("a", "g"), Lookup::Miss(None)));
        // An answer on an older connection does not count.
        tier.answered(0, asked);
        assert!(!tier.is_live());
        tier.answered(1, asked);
        assert!(tier.is_live());
        assert_eq!(read(&tier, "a"), Some(1));
    }

    #[test]
    fn fields_per_record_are_capped_and_huge_ttls_do_not_overflow() {
        let tier = Tier::new(10, Duration::MAX);
        tier.connecting(1);
        assert!(tier.went_live(1));
        for n in 0..(MAX_FIELDS as u32 + 4) {
            let field = format!("v{n}");
            let Lookup::Miss(Some(ticket)) = tier.lookup::<u32>("a", &field) else {
                panic!("miss expected");
            };
            ticket.keep(&field, &n);
        }
        let kept = lock(&tier.state).entries["a"].fields.len();
        assert_eq!(kept, MAX_FIELDS);
        assert!(matches!(tier.lookup::<u32>("a", "v0"), Lookup::Hit(0)));
    }

    #[test]
    fn only_missing_protocol_or_command_counts_as_a_refusal() {
        let refused = redis::RedisError::from((
            redis::ErrorKind::RESP3NotSupported,
            "resp3 is not supported by server",
        ));
        assert!(refuses_tracking(&refused));
        let io =
            redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(!refuses_tracking(&io));
    }

    #[test]
    fn pushed_invalidations_drop_keys_and_null_flushes() {
        let tier = live(10);
        fill(&tier, "a", 1);
        fill(&tier, "b", 2);
        tier.pushed(
            1,
            PushInfo {
                kind: PushKind::Invalidate,
                data: vec![Value::Array(vec![Value::BulkString(b"a".to_vec())])],
            },
        );
        assert_eq!(read(&tier, "a"), None);
        assert_eq!(read(&tier, "b"), Some(2));
        tier.pushed(
            1,
            PushInfo {
                kind: PushKind::Invalidate,
                data: vec![Value::Nil],
            },
        );
        assert_eq!(read(&tier, "b"), None);
    }

    #[test]
    fn clock_eviction_bounds_the_tier_and_spares_recently_used_entries() {
        let tier = live(3);
        fill(&tier, "a", 1);
        fill(&tier, "b", 2);
        fill(&tier, "c", 3);
        assert_eq!(read(&tier, "a"), Some(1));
        fill(&tier, "d", 4);
        assert_eq!(tier.len(), 3);
        assert_eq!(read(&tier, "b"), None, "the oldest unreferenced entry goes");
        assert_eq!(
            read(&tier, "a"),
            Some(1),
            "a referenced entry gets a second chance"
        );
        for n in 0..1_000 {
            let key = format!("k{n}");
            fill(&tier, &key, n);
            tier.invalidate([key.as_str()]);
            assert!(tier.len() <= 3);
        }
        assert!(lock(&tier.state).ring.len() <= 2 * 3 + 64);
    }

    #[test]
    fn expired_values_are_misses() {
        let tier = Tier::new(10, Duration::ZERO);
        tier.connecting(1);
        assert!(tier.went_live(1));
        fill(&tier, "a", 1);
        assert_eq!(read(&tier, "a"), None);
    }
}
