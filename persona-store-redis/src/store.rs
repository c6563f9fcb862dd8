//! [`RedisStore`]: Redis as the primary store.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
#[cfg(test)]
use persona_core::Record;
use persona_core::attributes::Timestamp;
use persona_core::query::{self, Facet, FacetCounts, Filter, ListRequest, Page, Query};
use persona_core::store::{Current, plan, purge_audit};
use persona_core::{
    Actor, AnyRecord, AuditEntry, AuditQuery, Batch, Capabilities, Error, Health, HistoryEntry,
    Identity, Kind, Namespace, Result, Store, Tombstone, Version, VersionInfo,
};
use redis::Value;
use redis::aio::ConnectionManager;

use crate::conn::Conn;
use crate::error::{BACKEND, RedisError, db, decode};
use crate::index::{self, Changes, Entries};
use crate::keys;
use crate::lua;
use crate::query::{Plan, QueryArgs};

/// How often a write is re-planned after a concurrent writer changed what it read.
const MAX_ATTEMPTS: usize = 64;
/// Audit entries read per round trip when scanning the log.
const AUDIT_CHUNK: u64 = 512;

/// Redis as the primary store of personas, identities and groups, with history, audit,
/// secondary indexes and atomic batches.
///
/// A cheap-`Clone` handle over a [`ConnectionManager`] (or a cluster connection with the
/// `cluster` feature), bound to one [`Namespace`]. See the [crate documentation](crate) for the
/// key layout and the guarantees.
#[derive(Clone)]
pub struct RedisStore {
    conn: Conn,
    prefix: Arc<str>,
    namespace: Namespace,
    base: Arc<str>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

/// `HMGET d x s` of a record hash.
type RecordRow = (Option<Vec<u8>>, Option<String>, Option<String>);

/// A stored record as read before a write.
struct Stored {
    record: AnyRecord,
    deleted: bool,
    seq: String,
}

/// A record's state while a batch is planned.
struct Staged {
    record: AnyRecord,
    deleted: bool,
    last_op: usize,
}

pub(crate) fn invalid_prefix() -> Error {
    Error::invalid_field(
        "prefix",
        persona_core::attributes::Code::InvalidFormat,
        "must be 1-64 printable ASCII characters without spaces, '{' or '}'",
    )
}

impl RedisStore {
    /// A store over a connection the application owns, with the key prefix `persona`, bound to
    /// the `default` namespace.
    pub fn new(manager: ConnectionManager) -> Self {
        Self::from_conn(Conn::Single(manager))
    }

    /// A store over a Redis Cluster connection (all keys of a namespace share one hash slot).
    #[cfg(feature = "cluster")]
    pub fn cluster(connection: redis::cluster_async::ClusterConnection) -> Self {
        Self::from_conn(Conn::Cluster(connection))
    }

    fn from_conn(conn: Conn) -> Self {
        let namespace = Namespace::default();
        RedisStore {
            conn,
            base: keys::base(keys::DEFAULT_PREFIX, namespace.as_str()).into(),
            prefix: keys::DEFAULT_PREFIX.into(),
            namespace,
        }
    }

    /// Opens a connection to `url` (`redis://host:port/db`) and returns a store over it.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the server cannot be reached; [`Error::Backend`] for a bad URL.
    pub async fn connect(url: &str) -> Result<Self> {
        let client = redis::Client::open(url).map_err(db)?;
        let manager = ConnectionManager::new(client).await.map_err(db)?;
        Ok(Self::new(manager))
    }

    /// Opens a Redis Cluster connection to `urls` (any reachable nodes).
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    #[cfg(feature = "cluster")]
    pub async fn connect_cluster(urls: &[&str]) -> Result<Self> {
        let client = redis::cluster::ClusterClient::new(urls.to_vec()).map_err(db)?;
        let connection = client.get_async_connection().await.map_err(db)?;
        Ok(Self::cluster(connection))
    }

    /// The same store with another key prefix (keys are `{prefix:namespace}:…`).
    ///
    /// # Errors
    /// [`Error::Invalid`] unless `prefix` is 1–64 printable ASCII characters without spaces, `{`
    /// or `}`.
    pub fn with_prefix(mut self, prefix: &str) -> Result<Self> {
        if !keys::valid_prefix(prefix) {
            return Err(invalid_prefix());
        }
        self.prefix = prefix.into();
        self.base = keys::base(prefix, self.namespace.as_str()).into();
        Ok(self)
    }

    /// A handle on the same storage bound to `namespace`.
    pub fn with_namespace(&self, namespace: Namespace) -> Self {
        RedisStore {
            conn: self.conn.clone(),
            base: keys::base(&self.prefix, namespace.as_str()).into(),
            prefix: Arc::clone(&self.prefix),
            namespace,
        }
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Deletes every key of this handle's namespace (records, history, audit, tombstones and
    /// indexes), returning how many keys were removed. Meant for tests and tenant removal; it is
    /// not atomic with concurrent writers.
    ///
    /// # Errors
    /// Backend errors.
    pub async fn clear_namespace(&self) -> Result<u64> {
        clear_keys(&self.conn, &self.base).await
    }

    pub(crate) fn key(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.base)
    }

    fn conn(&self) -> Conn {
        self.conn.clone()
    }

    async fn read_states(&self, keys: &[(Kind, String)]) -> Result<Vec<Option<Stored>>> {
        let mut pipe = redis::pipe();
        for (kind, id) in keys {
            pipe.cmd("HMGET")
                .arg(self.key(&keys::record(*kind, id)))
                .arg("d")
                .arg("x")
                .arg("s");
        }
        let rows: Vec<RecordRow> = pipe.query_async(&mut self.conn()).await.map_err(db)?;
        keys.iter()
            .zip(rows)
            .map(|((kind, _), row)| match row {
                (Some(doc), deleted, seq) => Ok(Some(Stored {
                    record: AnyRecord::from_json(*kind, &doc).map_err(|source| {
                        Error::from(RedisError::Decode {
                            what: "record",
                            source,
                        })
                    })?,
                    deleted: deleted.as_deref() == Some("1"),
                    seq: seq.unwrap_or_default(),
                })),
                _ => Ok(None),
            })
            .collect()
    }

    async fn run_write(&self, args: Vec<Vec<u8>>) -> Result<WriteReply> {
        let mut invocation = lua::WRITE.key(self.key(keys::SEQ));
        invocation.arg(self.base.as_bytes()).arg(args);
        let reply: Value = invocation
            .invoke_async(&mut self.conn())
            .await
            .map_err(db)?;
        let items = strings(reply)?;
        match items.first().map(String::as_str) {
            Some("ok") => Ok(WriteReply::Done),
            Some("stale") => Ok(WriteReply::Stale),
            Some("referenced") => {
                let count = items
                    .get(1)
                    .and_then(|n| n.parse().ok())
                    .ok_or(RedisError::Reply("reference count"))?;
                Ok(WriteReply::Referenced(count))
            }
            _ => Err(RedisError::Reply("write script").into()),
        }
    }

    /// One planning attempt; `None` when a concurrent writer changed what was read.
    async fn try_apply(&self, batch: &Batch) -> Result<Option<Vec<AnyRecord>>> {
        let mut read: Vec<(Kind, String)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for op in batch.ops() {
            let (kind, id) = op.target();
            if seen.insert((kind, id.to_owned())) {
                read.push((kind, id.to_owned()));
            }
            if let persona_core::store::Op::Put {
                record: AnyRecord::Identity(identity),
                ..
            } = op
            {
                let key = (Kind::Persona, identity.persona_id.as_str().to_owned());
                if seen.insert(key.clone()) {
                    read.push(key);
                }
            }
        }
        let states = self.read_states(&read).await?;
        let stored: HashMap<(Kind, String), &Stored> = read
            .iter()
            .cloned()
            .zip(states.iter())
            .filter_map(|(key, state)| Some((key, state.as_ref()?)))
            .collect();

        let now = Timestamp::now();
        let mut staged: HashMap<(Kind, String), Staged> = HashMap::new();
        let mut order: Vec<(Kind, String)> = Vec::new();
        let mut ops: Vec<Vec<u8>> = Vec::with_capacity(7 * batch.len());
        let mut out = Vec::with_capacity(batch.len());
        for (i, op) in batch.ops().iter().enumerate() {
            let (kind, id) = op.target();
            let key = (kind, id.to_owned());
            let current = match staged.get(&key) {
                Some(s) => Some(Current {
                    record: &s.record,
                    deleted: s.deleted,
                }),
                None => stored.get(&key).map(|s| Current {
                    record: &s.record,
                    deleted: s.deleted,
                }),
            };
            let planned = plan(op, current, batch.actor(), now)?;
            if planned.needs_persona_check()
                && let AnyRecord::Identity(identity) = &planned.record
            {
                let persona = (Kind::Persona, identity.persona_id.as_str().to_owned());
                let live = match staged.get(&persona) {
                    Some(s) => !s.deleted,
                    None => stored.get(&persona).is_some_and(|s| !s.deleted),
                };
                if !live {
                    return Err(Error::missing_persona());
                }
            }
            let doc = planned.record.to_json().map_err(not_serialisable)?;
            let mut entry = planned.audit;
            let label = entry.label.take();
            ops.push(keys::audit_of(kind, id).into_bytes());
            ops.push(serde_json::to_vec(&entry).map_err(not_serialisable)?);
            ops.push(label.map_or_else(Vec::new, |l| format!("={l}").into_bytes()));
            ops.push(keys::history(kind, id).into_bytes());
            ops.push(planned.history.info.version.to_string().into_bytes());
            ops.push(history_head(&planned.history.info, kind)?);
            ops.push(doc);
            out.push(planned.record.clone());
            match staged.get_mut(&key) {
                Some(s) => {
                    s.record = planned.record;
                    s.deleted = planned.deleted;
                    s.last_op = i + 1;
                }
                None => {
                    order.push(key.clone());
                    staged.insert(
                        key,
                        Staged {
                            record: planned.record,
                            deleted: planned.deleted,
                            last_op: i + 1,
                        },
                    );
                }
            }
        }

        let mut args: Vec<Vec<u8>> = Vec::new();
        args.push(read.len().to_string().into_bytes());
        for (key, state) in read.iter().zip(&states) {
            args.push(keys::record(key.0, &key.1).into_bytes());
            args.push(
                state
                    .as_ref()
                    .map_or_else(Vec::new, |s| s.seq.clone().into_bytes()),
            );
        }
        args.push(b"0".to_vec());
        args.push(batch.len().to_string().into_bytes());
        args.extend(ops);
        args.push(order.len().to_string().into_bytes());
        let mut changes = Changes::default();
        for key in &order {
            let s = &staged[key];
            args.push(keys::record(key.0, &key.1).into_bytes());
            args.push(s.last_op.to_string().into_bytes());
            args.push(if s.deleted {
                b"1".to_vec()
            } else {
                b"0".to_vec()
            });
            let old = stored
                .get(key)
                .map_or_else(Entries::new, |st| index::entries(&st.record, st.deleted));
            changes.diff(&old, &index::entries(&s.record, s.deleted));
        }
        push_commands(&mut args, changes);
        match self.run_write(args).await? {
            WriteReply::Done => Ok(Some(out)),
            WriteReply::Stale => Ok(None),
            WriteReply::Referenced(_) => {
                Err(RedisError::Reply("reference check in a batch").into())
            }
        }
    }

    async fn try_purge(&self, kind: Kind, id: &str, actor: &Actor) -> Result<Option<Tombstone>> {
        let key = (kind, id.to_owned());
        let states = self.read_states(std::slice::from_ref(&key)).await?;
        let Some(stored) = states.into_iter().next().flatten() else {
            return Err(Error::not_found(kind, id));
        };
        let last = stored.record.version();
        let now = Timestamp::now();
        let tombstone = Tombstone {
            kind,
            id: id.to_owned(),
            last_version: last,
            purged_at: now,
            actor: actor.clone(),
        };
        let entry = purge_audit(kind, id, last, actor, now);
        let record_key = keys::record(kind, id);
        let audit_list = keys::audit_of(kind, id);
        let mut args: Vec<Vec<u8>> = vec![
            b"1".to_vec(),
            record_key.clone().into_bytes(),
            stored.seq.clone().into_bytes(),
        ];
        if kind == Kind::Persona {
            args.push(b"1".to_vec());
            args.push(keys::refs(id).into_bytes());
        } else {
            args.push(b"0".to_vec());
        }
        args.push(b"1".to_vec());
        args.push(audit_list.clone().into_bytes());
        args.push(serde_json::to_vec(&entry).map_err(not_serialisable)?);
        args.extend([Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new()]);
        args.push(b"0".to_vec());
        let mut changes = Changes::default();
        changes.diff(
            &index::entries(&stored.record, stored.deleted),
            &Entries::new(),
        );
        changes.push("DEL", &record_key, []);
        changes.push("DEL", &keys::history(kind, id), []);
        changes.push("STRIP", &audit_list, []);
        changes.push(
            "SET",
            &keys::tombstone(kind, id),
            [serde_json::to_vec(&tombstone).map_err(not_serialisable)?],
        );
        push_commands(&mut args, changes);
        match self.run_write(args).await? {
            WriteReply::Done => Ok(Some(tombstone)),
            WriteReply::Stale => Ok(None),
            WriteReply::Referenced(count) => Err(Error::Referenced {
                kind,
                id: id.to_owned(),
                by: Kind::Identity,
                count,
            }),
        }
    }

    async fn run_query(&self, args: &QueryArgs) -> Result<Value> {
        let mut invocation = lua::QUERY.key(self.key(keys::SEQ));
        invocation.arg(self.base.as_bytes()).arg(&args.0);
        invocation.invoke_async(&mut self.conn()).await.map_err(db)
    }

    async fn audit_of_record(&self, query: &AuditQuery, id: &str) -> Result<Vec<u64>> {
        let kinds: Vec<Kind> = match query.kind {
            Some(kind) => vec![kind],
            None => Kind::ALL.to_vec(),
        };
        let mut pipe = redis::pipe();
        for kind in &kinds {
            pipe.cmd("LRANGE")
                .arg(self.key(&keys::audit_of(*kind, id)))
                .arg(0)
                .arg(-1);
        }
        let lists: Vec<Vec<u64>> = pipe.query_async(&mut self.conn()).await.map_err(db)?;
        let mut seqs: Vec<u64> = lists
            .into_iter()
            .flatten()
            .filter(|seq| query.after_seq.is_none_or(|after| *seq > after))
            .collect();
        seqs.sort_unstable();
        seqs.truncate(query.limit.unwrap_or(usize::MAX));
        Ok(seqs)
    }

    async fn audit_entries(&self, seqs: &[u64]) -> Result<Vec<AuditEntry>> {
        if seqs.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        pipe.cmd("HMGET").arg(self.key(keys::AUDIT)).arg(seqs);
        pipe.cmd("HMGET")
            .arg(self.key(keys::AUDIT_LABELS))
            .arg(seqs);
        let (entries, labels): (Vec<Option<Vec<u8>>>, Vec<Option<String>>) =
            pipe.query_async(&mut self.conn()).await.map_err(db)?;
        let mut out = Vec::with_capacity(seqs.len());
        for ((seq, entry), label) in seqs.iter().zip(entries).zip(labels) {
            let Some(entry) = entry else { continue };
            let mut entry: AuditEntry = decode("audit entry", &entry)?;
            entry.seq = *seq;
            entry.label = label;
            out.push(entry);
        }
        Ok(out)
    }
}

enum WriteReply {
    Done,
    Stale,
    Referenced(u64),
}

/// The JSON of a history entry up to its record document: the scripts append the document and
/// `}}`, so each document crosses the network once although it is stored twice (record and
/// history). The result is exactly what `HistoryEntry` deserialises.
fn history_head(info: &VersionInfo, kind: Kind) -> Result<Vec<u8>> {
    let mut head = serde_json::to_vec(info).map_err(not_serialisable)?;
    if head.pop() != Some(b'}') {
        return Err(RedisError::Reply("version info is not a JSON object").into());
    }
    head.extend_from_slice(b",\"record\":{\"kind\":\"");
    head.extend_from_slice(kind.as_str().as_bytes());
    head.extend_from_slice(b"\",\"record\":");
    Ok(head)
}

fn not_serialisable(source: serde_json::Error) -> Error {
    Error::corrupt(
        BACKEND,
        "record is not serialisable",
        Some(Box::new(source)),
    )
}

fn push_commands(args: &mut Vec<Vec<u8>>, changes: Changes) {
    args.push(changes.commands.len().to_string().into_bytes());
    for ((cmd, key), values) in changes.commands {
        args.push(cmd.as_bytes().to_vec());
        args.push(key.into_bytes());
        args.push(values.len().to_string().into_bytes());
        args.extend(values);
    }
}

/// The strings of an array reply.
pub(crate) fn strings(value: Value) -> Result<Vec<String>> {
    match value {
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::BulkString(bytes) => {
                    String::from_utf8(bytes).map_err(|_| RedisError::Reply("text").into())
                }
                Value::SimpleString(s) => Ok(s),
                Value::Int(n) => Ok(n.to_string()),
                _ => Err(RedisError::Reply("string item").into()),
            })
            .collect(),
        _ => Err(RedisError::Reply("array").into()),
    }
}

/// The documents of a script's array reply. A `nil` item would be an index entry without its
/// record, which atomic writes rule out; it is reported as corrupt data, never skipped.
fn documents(value: Value) -> Result<Vec<Vec<u8>>> {
    match value {
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::BulkString(bytes) => Ok(bytes),
                _ => Err(Error::corrupt(
                    BACKEND,
                    "an index entry names a missing record",
                    None,
                )),
            })
            .collect(),
        _ => Err(RedisError::Reply("document array").into()),
    }
}

pub(crate) async fn clear_keys(conn: &Conn, base: &str) -> Result<u64> {
    let mut conn = conn.clone();
    let pattern = format!("{}*", glob_escape(base));
    let mut cursor: u64 = 0;
    let mut removed = 0;
    loop {
        let (next, found): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await
            .map_err(db)?;
        if !found.is_empty() {
            let n: u64 = redis::cmd("UNLINK")
                .arg(&found)
                .query_async(&mut conn)
                .await
                .map_err(db)?;
            removed += n;
        }
        if next == 0 {
            return Ok(removed);
        }
        cursor = next;
    }
}

fn glob_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

async fn backoff(attempt: usize) {
    let ceiling = 50u64 << attempt.min(6);
    let micros = rand::random_range(0..=ceiling);
    tokio::time::sleep(Duration::from_micros(micros)).await;
}

#[async_trait]
impl Store for RedisStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL
    }

    fn namespaced(&self, namespace: Namespace) -> Arc<dyn Store> {
        Arc::new(self.with_namespace(namespace))
    }

    async fn health(&self) -> Result<Health> {
        let started = Instant::now();
        let _: String = redis::cmd("PING")
            .query_async(&mut self.conn())
            .await
            .map_err(db)?;
        Ok(Health {
            backend: BACKEND,
            namespace: self.namespace.clone(),
            latency: started.elapsed(),
        })
    }

    async fn apply(&self, batch: Batch) -> Result<Vec<AnyRecord>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        for attempt in 0..MAX_ATTEMPTS {
            if let Some(records) = self.try_apply(&batch).await? {
                return Ok(records);
            }
            backoff(attempt).await;
        }
        Err(RedisError::Contention(MAX_ATTEMPTS).into())
    }

    async fn get(&self, kind: Kind, id: &str) -> Result<Option<AnyRecord>> {
        let (doc, deleted): (Option<Vec<u8>>, Option<String>) = redis::cmd("HMGET")
            .arg(self.key(&keys::record(kind, id)))
            .arg("d")
            .arg("x")
            .query_async(&mut self.conn())
            .await
            .map_err(db)?;
        match doc {
            Some(doc) if deleted.as_deref() != Some("1") => AnyRecord::from_json(kind, &doc)
                .map(Some)
                .map_err(|source| {
                    RedisError::Decode {
                        what: "record",
                        source,
                    }
                    .into()
                }),
            _ => Ok(None),
        }
    }

    async fn purge(&self, kind: Kind, id: &str, actor: &Actor) -> Result<Tombstone> {
        for attempt in 0..MAX_ATTEMPTS {
            if let Some(tombstone) = self.try_purge(kind, id, actor).await? {
                return Ok(tombstone);
            }
            backoff(attempt).await;
        }
        Err(RedisError::Contention(MAX_ATTEMPTS).into())
    }

    async fn versions(&self, kind: Kind, id: &str) -> Result<Vec<VersionInfo>> {
        let entries: Vec<Vec<u8>> = redis::cmd("HVALS")
            .arg(self.key(&keys::history(kind, id)))
            .query_async(&mut self.conn())
            .await
            .map_err(db)?;
        // `VersionInfo` reads the flattened fields of a history entry and skips its record.
        let mut infos = entries
            .iter()
            .map(|json| decode::<VersionInfo>("history entry", json))
            .collect::<Result<Vec<_>>>()?;
        infos.sort_by_key(|info| info.version);
        Ok(infos)
    }

    async fn version(
        &self,
        kind: Kind,
        id: &str,
        version: Version,
    ) -> Result<Option<HistoryEntry>> {
        let entry: Option<Vec<u8>> = redis::cmd("HGET")
            .arg(self.key(&keys::history(kind, id)))
            .arg(version.get())
            .query_async(&mut self.conn())
            .await
            .map_err(db)?;
        entry.map(|json| decode("history entry", &json)).transpose()
    }

    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let limit = query.limit.unwrap_or(usize::MAX);
        if limit == 0 {
            return Ok(Vec::new());
        }
        if let Some(id) = &query.id {
            let seqs = self.audit_of_record(query, id).await?;
            return self.audit_entries(&seqs).await;
        }
        let last: Option<u64> = redis::cmd("GET")
            .arg(self.key(keys::SEQ))
            .query_async(&mut self.conn())
            .await
            .map_err(db)?;
        let last = last.unwrap_or(0);
        let mut next = query.after_seq.unwrap_or(0) + 1;
        let mut out = Vec::new();
        while next <= last && out.len() < limit {
            let end = (next + AUDIT_CHUNK - 1).min(last);
            let seqs: Vec<u64> = (next..=end).collect();
            for entry in self.audit_entries(&seqs).await? {
                if query.matches(&entry) && out.len() < limit {
                    out.push(entry);
                }
            }
            next = end + 1;
        }
        Ok(out)
    }

    async fn tombstone(&self, kind: Kind, id: &str) -> Result<Option<Tombstone>> {
        let json: Option<Vec<u8>> = redis::cmd("GET")
            .arg(self.key(&keys::tombstone(kind, id)))
            .query_async(&mut self.conn())
            .await
            .map_err(db)?;
        json.map(|json| decode("tombstone", &json)).transpose()
    }

    async fn list(&self, kind: Kind, request: &ListRequest) -> Result<Page<AnyRecord>> {
        let after = request.start_after(&self.namespace)?;
        let start = after.map_or_else(|| "-".to_owned(), |id| format!("({id}"));
        let mut invocation = lua::LIST.key(self.key(keys::SEQ));
        invocation
            .arg(self.base.as_bytes())
            .arg(kind.as_str())
            .arg(start)
            .arg(request.limit + 1);
        let reply: Value = invocation
            .invoke_async(&mut self.conn())
            .await
            .map_err(db)?;
        let mut items = documents(reply)?
            .iter()
            .map(|doc| {
                AnyRecord::from_json(kind, doc).map_err(|source| {
                    RedisError::Decode {
                        what: "record",
                        source,
                    }
                    .into()
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let next = if items.len() > request.limit {
            items.truncate(request.limit);
            items
                .last()
                .map(|last| query::list_cursor(&self.namespace, last.id_str()))
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn query(&self, query: &Query) -> Result<Page<Identity>> {
        query.check(&self.namespace)?;
        let plan = Plan::new(&query.filter);
        let Some(args) = plan.page_args(query, &self.namespace)? else {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        };
        let docs = documents(self.run_query(&args).await?)?;
        let mut items = docs
            .iter()
            .map(|doc| decode::<Identity>("identity", doc))
            .collect::<Result<Vec<_>>>()?;
        let next = if items.len() > query.limit {
            items.truncate(query.limit);
            items.last().map(|last| {
                query::next_cursor(
                    query,
                    &self.namespace,
                    &query::IndexFields::of(last),
                    last.id.as_str(),
                )
            })
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn count(&self, filter: &Filter) -> Result<u64> {
        let plan = Plan::new(filter);
        let Some(args) = plan.count_args() else {
            return Ok(0);
        };
        match self.run_query(&args).await? {
            Value::Int(n) => Ok(u64::try_from(n).unwrap_or(0)),
            _ => Err(RedisError::Reply("count").into()),
        }
    }

    async fn facets(&self, filter: &Filter, facets: &[Facet]) -> Result<FacetCounts> {
        let mut counts: FacetCounts = facets.iter().map(|f| (*f, Default::default())).collect();
        let plan = Plan::new(filter);
        let Some(args) = plan.facet_args(facets) else {
            return Ok(counts);
        };
        let Value::Array(per_facet) = self.run_query(&args).await? else {
            return Err(RedisError::Reply("facets").into());
        };
        for (facet, pairs) in facets.iter().zip(per_facet) {
            let pairs = strings(pairs)?;
            let slot = counts.entry(*facet).or_default();
            for pair in pairs.chunks_exact(2) {
                let n: u64 = pair[1]
                    .parse()
                    .map_err(|_| RedisError::Reply("facet count"))?;
                slot.insert(pair[0].clone(), n);
            }
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spliced_history_reads_as_the_entry() {
        let identity = Identity::new("p".into(), "Ann");
        let planned = plan(
            &persona_core::store::Op::Put {
                record: identity.into_any(),
                mode: persona_core::WriteMode::Create,
            },
            None,
            &Actor::new("me \"quoted\""),
            Timestamp::now(),
        )
        .unwrap();
        let mut json = history_head(&planned.history.info, Kind::Identity).unwrap();
        json.extend(planned.record.to_json().unwrap());
        json.extend_from_slice(b"}}");
        let entry: HistoryEntry = serde_json::from_slice(&json).unwrap();
        assert_eq!(entry, planned.history);
    }
}
