//! [`RedisStore`]: Redis as the primary store.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
#[cfg(test)]
use persona_core::Record;
use persona_core::attributes::Timestamp;
use persona_core::query::{
    self, Facet, FacetCounts, Filter, IndexFields, ListRequest, Page, Query,
};
use persona_core::store::{Current, Op, WriteMode, plan, purge_audit};
use persona_core::{
    Actor, AnyRecord, AuditEntry, AuditQuery, Batch, Capabilities, Error, Health, HistoryEntry,
    Identity, Kind, Namespace, Result, Store, Tombstone, Version, VersionInfo,
};
use redis::aio::ConnectionManager;
use redis::{Cmd, Value};
use serde::Serialize;

use crate::conn::Conn;
use crate::error::{BACKEND, RedisError, db, decode, write_failed};
use crate::index::{self, Commands};
use crate::keys;
use crate::lua;
use crate::query::{Plan, QueryArgs};

/// How often a write is re-planned after a concurrent writer changed what it read.
const MAX_ATTEMPTS: usize = 64;
/// Audit entries read per round trip when scanning the log.
const AUDIT_CHUNK: u64 = 512;
/// The `SCAN` count of one reindex step (keys of the whole database looked at, of which the
/// namespace's index keys are deleted, or its records indexed).
const REINDEX_SCAN: u64 = 1000;

/// What one [`RedisStore::reindex_step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReindexStep {
    /// The namespace's indexes are current (or it holds nothing): there is nothing left to do.
    Done,
    /// A step ran and more remain. `records`: how many records it indexed (0 while the old index
    /// keys are being deleted, or when a step had to be redone).
    Progress {
        /// Records indexed by this step.
        records: u64,
    },
}

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

/// `HMGET d z s` of a record hash: live document, soft-deleted document, seq of the last write.
type RecordRow = (Option<Vec<u8>>, Option<Vec<u8>>, Option<String>);

/// A stored record as read before a write.
struct Stored {
    record: AnyRecord,
    deleted: bool,
    seq: String,
}

/// A record a write reads, checks or writes.
struct Touched<'b> {
    kind: Kind,
    id: &'b str,
    /// Its state before the batch (`None` when absent or not read).
    stored: Option<Stored>,
    /// Its state after the ops planned so far: index of its record in the output, deleted flag,
    /// index of the last op writing it.
    staged: Option<(usize, bool, usize)>,
}

/// Runs `cmd`, an `EVALSHA` of `script` built by hand; when the server does not know the script
/// yet (`NOSCRIPT`: first use, or after a restart or `SCRIPT FLUSH`), loads it and runs `cmd`
/// again. Errors of running the script go through `failed`, of loading it through [`db`].
async fn run_script(
    mut conn: Conn,
    script: &redis::Script,
    cmd: &Cmd,
    failed: fn(redis::RedisError) -> Error,
) -> Result<Value> {
    match cmd.query_async(&mut conn).await {
        Err(error)
            if error.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) =>
        {
            script.load_async(&mut conn).await.map_err(db)?;
            cmd.query_async(&mut conn).await.map_err(failed)
        }
        reply => reply.map_err(failed),
    }
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
    /// The connection waits up to [`RESPONSE_TIMEOUT`](Self::RESPONSE_TIMEOUT) for a reply
    /// (the driver's default is 500 ms).
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the server cannot be reached; [`Error::Backend`] for a bad URL.
    pub async fn connect(url: &str) -> Result<Self> {
        let client = redis::Client::open(url).map_err(db)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_response_timeout(Some(Self::RESPONSE_TIMEOUT));
        let manager = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(db)?;
        Ok(Self::new(manager))
    }

    /// How long [`connect`](Self::connect)'s connection waits for a reply. A batch of a thousand
    /// identities is one script of ~0.2 s on an idle server and several times that on a busy
    /// one: the driver's default of 500 ms would fail (and, the script having run, misreport)
    /// bulk writes that succeed.
    pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

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

    /// The version of the index layout this build reads and writes (see the crate
    /// documentation, "Layout version").
    pub const LAYOUT: u32 = keys::LAYOUT_VERSION;

    /// Rebuilds this namespace's secondary indexes from its record hashes if they were written
    /// under an older layout than [`LAYOUT`](Self::LAYOUT) (or before layouts were versioned),
    /// and finishes a rebuild that was interrupted; returns how many records this call indexed.
    /// Cheap (one script) when the indexes are current: call it at startup, like a migration.
    ///
    /// Until it has finished, queries, counts, facets, lists and writes in the namespace fail
    /// with a [`LayoutError`](crate::LayoutError) instead of answering from incomplete indexes;
    /// `get`, history, audit and tombstones read records directly and keep working. It repeats
    /// [`reindex_step`](Self::reindex_step): every step is one atomic script, so a crash or a
    /// lost connection at any point leaves the indexes consistent with the records indexed so
    /// far, and calling it again (from any process) carries on from there. Processes of an
    /// earlier build must not write to the namespace meanwhile: they do not know the layout.
    ///
    /// # Errors
    /// [`LayoutError::Newer`](crate::LayoutError::Newer) for a namespace written by a newer
    /// build; [`Error::Corrupt`] for a record hash without a readable document; backend errors.
    pub async fn reindex(&self) -> Result<u64> {
        let mut indexed = 0;
        loop {
            match self.reindex_step().await? {
                ReindexStep::Done => return Ok(indexed),
                ReindexStep::Progress { records } => indexed += records,
            }
        }
    }

    /// One step of [`reindex`](Self::reindex): starts a rebuild if the layout is outdated, then
    /// either deletes the index keys among the next `SCAN` batch of the database's keys or
    /// indexes the records among it, in one atomic script that also records how far the rebuild
    /// has come. For spreading a rebuild out or reporting its progress.
    ///
    /// # Errors
    /// As [`reindex`](Self::reindex).
    pub async fn reindex_step(&self) -> Result<ReindexStep> {
        let token = format!("{:016x}", rand::random::<u64>());
        let escaped = glob_escape(&self.base);
        let mut invocation = lua::REINDEX.key(self.key(keys::SEQ));
        invocation
            .arg(self.base.as_bytes())
            .arg("step")
            .arg(token)
            .arg(format!("{escaped}*"))
            .arg(format!("{escaped}r:*"))
            .arg(REINDEX_SCAN);
        let reply = strings(
            invocation
                .invoke_async(&mut self.conn())
                .await
                .map_err(db)?,
        )?;
        match reply.first().map(String::as_str) {
            Some("current") => Ok(ReindexStep::Done),
            Some("clear") => Ok(ReindexStep::Progress { records: 0 }),
            Some("fill") if reply.len() >= 4 => {
                let records = self
                    .reindex_records(&reply[1], &reply[2], &reply[3], &reply[4..])
                    .await?;
                Ok(ReindexStep::Progress { records })
            }
            _ => Err(RedisError::Reply("reindex step").into()),
        }
    }

    /// Indexes the records whose key suffixes (`r:<kind>:<id>`) one `SCAN` batch returned, and
    /// moves the rebuild's cursor from `cursor` to `next`.
    async fn reindex_records(
        &self,
        token: &str,
        cursor: &str,
        next: &str,
        suffixes: &[String],
    ) -> Result<u64> {
        let mut seen = std::collections::HashSet::new();
        let mut targets: Vec<(Kind, &str, &str)> = Vec::with_capacity(suffixes.len());
        for suffix in suffixes {
            if !seen.insert(suffix.as_str()) {
                continue;
            }
            let kindid = suffix.strip_prefix("r:").unwrap_or(suffix);
            let parsed = kindid.split_once(':').and_then(|(kind, id)| {
                Kind::ALL
                    .into_iter()
                    .find(|k| k.as_str() == kind)
                    .map(|kind| (kind, id))
            });
            let Some((kind, id)) = parsed else {
                return Err(Error::corrupt(
                    BACKEND,
                    "a record key names no record kind",
                    None,
                ));
            };
            targets.push((kind, id, kindid));
        }
        let mut pipe = redis::pipe();
        for (kind, id, _) in &targets {
            pipe.cmd("HMGET")
                .arg(self.record_key(*kind, id))
                .arg("d")
                .arg("z")
                .arg("s")
                .arg("b")
                .arg("v");
        }
        type Row = (
            Option<Vec<u8>>,
            Option<Vec<u8>>,
            Option<String>,
            Option<String>,
            Option<Vec<u8>>,
        );
        let rows: Vec<Row> = if targets.is_empty() {
            Vec::new()
        } else {
            pipe.query_async(&mut self.conn()).await.map_err(db)?
        };

        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(lua::REINDEX.get_hash())
            .arg(1)
            .arg(self.key(keys::SEQ))
            .arg(self.base.as_bytes())
            .arg("fill")
            .arg(token)
            .arg(cursor)
            .arg(next);
        let mut records = Vec::new();
        let mut commands = Commands::default();
        for ((kind, _, kindid), (live, deleted, seq, built, info)) in targets.iter().zip(rows) {
            if built.as_deref() == Some(token) {
                continue;
            }
            let (doc, deleted) = match (live, deleted, info) {
                (Some(doc), _, Some(_)) => (doc, false),
                (None, Some(doc), Some(_)) => (doc, true),
                // gone since the scan
                (None, None, None) if seq.is_none() && built.is_none() => continue,
                // the records of the first builds had a soft-delete flag and no `v`: whether one
                // is live cannot be read the way this build reads it
                _ => {
                    return Err(Error::corrupt(
                        BACKEND,
                        "a record hash lacks its document (`d` or `z`) or its version info (`v`): written by a build whose records this one cannot read",
                        None,
                    ));
                }
            };
            let record = decode_record(*kind, &doc)?;
            let fields = match record.as_identity() {
                Some(identity) if !deleted => Some(IndexFields::of(identity)),
                _ => None,
            };
            commands.add_all(&record, fields.as_ref(), deleted);
            let [sorts, facets] = match &fields {
                Some(fields) => index::record_fields(fields),
                None => [Vec::new(), Vec::new()],
            };
            records.push((*kindid, seq.unwrap_or_default(), sorts, facets));
        }
        cmd.arg(records.len());
        for (kindid, seq, sorts, facets) in &records {
            cmd.arg(*kindid).arg(seq.as_str()).arg(sorts).arg(facets);
        }
        cmd.arg(commands.len());
        commands.write(&mut cmd);
        let reply = run_script(self.conn(), &lua::REINDEX, &cmd, db).await?;
        match strings(reply)?.first().map(String::as_str) {
            Some("ok") => Ok(records.len() as u64),
            // a record changed, or another process moved the rebuild on: the next step reads
            // the state again
            Some("stale" | "moved") => Ok(0),
            _ => Err(RedisError::Reply("reindex").into()),
        }
    }

    pub(crate) fn key(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.base)
    }

    fn record_key(&self, kind: Kind, id: &str) -> String {
        keys::record_key(&self.base, kind, id)
    }

    fn conn(&self) -> Conn {
        self.conn.clone()
    }

    async fn read_states(&self, keys: &[(Kind, &str)]) -> Result<Vec<Option<Stored>>> {
        let mut pipe = redis::pipe();
        for (kind, id) in keys {
            pipe.cmd("HMGET")
                .arg(self.record_key(*kind, id))
                .arg("d")
                .arg("z")
                .arg("s");
        }
        let rows: Vec<RecordRow> = pipe.query_async(&mut self.conn()).await.map_err(db)?;
        keys.iter()
            .zip(rows)
            .map(|((kind, _), (live, deleted, seq))| {
                let (doc, deleted) = match (live, deleted) {
                    (Some(doc), _) => (doc, false),
                    (None, Some(doc)) => (doc, true),
                    (None, None) => return Ok(None),
                };
                Ok(Some(Stored {
                    record: decode_record(*kind, &doc)?,
                    deleted,
                    seq: seq.unwrap_or_default(),
                }))
            })
            .collect()
    }

    /// The `EVALSHA` of the write script, up to its op count.
    fn write_cmd(&self, nops: usize) -> Cmd {
        let mut cmd = redis::cmd("EVALSHA");
        // about what an identity op takes (document, audit, info, index members), so that a bulk
        // write does not grow the buffer by doubling and copying (capped: beyond it, it grows)
        redis::RedisWrite::reserve_space_for_args(
            &mut cmd,
            [nops.saturating_mul(4096).min(16 << 20)],
        );
        cmd.arg(lua::WRITE.get_hash())
            .arg(1)
            .arg(self.key(keys::SEQ))
            .arg(self.base.as_bytes())
            .arg(nops);
        cmd
    }

    async fn run_write(&self, cmd: &Cmd) -> Result<WriteReply> {
        // Once the script is sent, a lost reply does not mean it did not run: `write_failed`
        // reports that as an unknown outcome, never as `Unavailable`.
        let reply = run_script(self.conn(), &lua::WRITE, cmd, write_failed).await?;
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

    /// One planning attempt; `None` when a concurrent writer changed what was read, or when an
    /// optimistic attempt's assumption did not hold.
    ///
    /// `optimistic` (only for batches of creates) skips reading the targets: it plans as if none
    /// of them existed and every referenced persona outside the batch were live, and lets the
    /// script check exactly that (targets absent, personas live). When the assumption is wrong —
    /// or planning fails under it, since the first failing op might differ — the caller re-plans
    /// against the stored state, which gives the reference's outcome.
    async fn try_apply<'b>(
        &self,
        batch: &'b Batch,
        optimistic: bool,
    ) -> Result<Option<Vec<AnyRecord>>> {
        let mut touched: Vec<Touched<'b>> = Vec::new();
        let mut index: HashMap<(Kind, &'b str), usize> = HashMap::new();
        let mut last_op: Vec<usize> = Vec::new();
        let mut targets = Vec::with_capacity(batch.len());
        for (i, op) in batch.ops().iter().enumerate() {
            let target = touch(&mut touched, &mut index, op.target());
            targets.push(target);
            if last_op.len() <= target {
                last_op.resize(target + 1, 0);
            }
            last_op[target] = i;
            if !optimistic && let Some(persona) = persona_of(op) {
                touch(&mut touched, &mut index, (Kind::Persona, persona));
            }
        }
        if !optimistic {
            let keys: Vec<(Kind, &str)> = touched.iter().map(|t| (t.kind, t.id)).collect();
            for (t, stored) in touched.iter_mut().zip(self.read_states(&keys).await?) {
                t.stored = stored;
            }
        }

        let now = Timestamp::now();
        let mut cmd = self.write_cmd(batch.len());
        let mut out: Vec<AnyRecord> = Vec::with_capacity(batch.len());
        let mut live_checks: Vec<&'b str> = Vec::new();
        let mut scratch = Vec::with_capacity(4096);
        for (i, op) in batch.ops().iter().enumerate() {
            let target = targets[i];
            let t = &touched[target];
            let current = match t.staged {
                Some((at, deleted, _)) => Some(Current {
                    record: &out[at],
                    deleted,
                }),
                None => t.stored.as_ref().map(|s| Current {
                    record: &s.record,
                    deleted: s.deleted,
                }),
            };
            let planned = match plan(op, current, batch.actor(), now) {
                Ok(planned) => planned,
                Err(_) if optimistic => return Ok(None),
                Err(error) => return Err(error),
            };
            if planned.needs_persona_check()
                && let Some(persona) = persona_of(op)
            {
                let state = index.get(&(Kind::Persona, persona)).map(|&p| &touched[p]);
                let live = match state {
                    Some(Touched {
                        staged: Some((_, deleted, _)),
                        ..
                    }) => !deleted,
                    _ if optimistic => {
                        if !live_checks.contains(&persona) {
                            live_checks.push(persona);
                        }
                        true
                    }
                    Some(p) => p.stored.as_ref().is_some_and(|s| !s.deleted),
                    None => false,
                };
                if !live {
                    if optimistic {
                        return Ok(None);
                    }
                    return Err(Error::missing_persona());
                }
            }
            let mut audit = planned.audit;
            let label = audit.label.take();
            cmd.arg(target + 1);
            json_arg(&mut cmd, &mut scratch, &audit, label.as_deref())?;
            json_arg(&mut cmd, &mut scratch, &planned.info, None)?;
            document_arg(&mut cmd, &mut scratch, &planned.record)?;
            if last_op[target] == i {
                cmd.arg("");
            } else {
                cmd.arg(planned.info.version.get());
            }
            touched[target].staged = Some((out.len(), planned.deleted, i));
            out.push(planned.record);
        }

        let mut commands = Commands::default();
        cmd.arg(touched.len());
        let mut kindid = String::new();
        for t in &touched {
            kindid.clear();
            kindid.push_str(t.kind.as_str());
            kindid.push(':');
            kindid.push_str(t.id);
            cmd.arg(kindid.as_bytes());
            cmd.arg(t.stored.as_ref().map_or("", |s| s.seq.as_str()));
            let Some((at, deleted, last)) = t.staged else {
                cmd.arg("").arg("").arg("").arg(0);
                continue;
            };
            cmd.arg(if deleted { "z" } else { "d" });
            match &t.stored {
                Some(stored) => cmd.arg(stored.record.version().get()),
                None => cmd.arg(""),
            };
            cmd.arg(last + 1);
            let record = &out[at];
            let fields = match record.as_identity() {
                Some(identity) if !deleted => Some(IndexFields::of(identity)),
                _ => None,
            };
            match &t.stored {
                None => commands.add_all(record, fields.as_ref(), deleted),
                Some(stored) => commands.diff(
                    (&stored.record, stored.deleted),
                    (record, fields.as_ref(), deleted),
                ),
            }
            match &fields {
                Some(fields) => {
                    let [sorts, facets] = index::record_fields(fields);
                    cmd.arg(2).arg("o").arg(sorts).arg("f").arg(facets);
                }
                None => {
                    cmd.arg(0);
                }
            }
        }
        cmd.arg(live_checks.len());
        for persona in live_checks {
            cmd.arg(format!("{}:{persona}", Kind::Persona.as_str()));
        }
        cmd.arg(0);
        cmd.arg(commands.len());
        commands.write(&mut cmd);
        match self.run_write(&cmd).await? {
            WriteReply::Done => Ok(Some(out)),
            WriteReply::Stale => Ok(None),
            WriteReply::Referenced(_) => {
                Err(RedisError::Reply("reference check in a batch").into())
            }
        }
    }

    async fn try_purge(&self, kind: Kind, id: &str, actor: &Actor) -> Result<Option<Tombstone>> {
        let states = self.read_states(&[(kind, id)]).await?;
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
        // one op (the audit entry only), one checked record, the reference check
        let mut cmd = self.write_cmd(1);
        cmd.arg(1);
        json_arg(&mut cmd, &mut Vec::new(), &entry, None)?;
        cmd.arg("").arg("").arg("");
        cmd.arg(1)
            .arg(format!("{}:{id}", kind.as_str()))
            .arg(stored.seq.as_str())
            .arg("")
            .arg("")
            .arg("")
            .arg(0);
        cmd.arg(0);
        if kind == Kind::Persona {
            cmd.arg(1).arg(keys::refs(id));
        } else {
            cmd.arg(0);
        }
        let mut commands = Commands::default();
        commands.remove_all(&stored.record, stored.deleted);
        commands.other.extend([
            ("DEL", keys::record(kind, id), Vec::new()),
            ("DEL", keys::history(kind, id), Vec::new()),
            ("STRIP", keys::audit_of(kind, id), Vec::new()),
            (
                "SET",
                keys::tombstone(kind, id),
                vec![serde_json::to_vec(&tombstone).map_err(not_serialisable)?],
            ),
        ]);
        cmd.arg(commands.len());
        commands.write(&mut cmd);
        match self.run_write(&cmd).await? {
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
        let entries: Vec<Option<Vec<u8>>> = redis::cmd("HMGET")
            .arg(self.key(keys::AUDIT))
            .arg(seqs)
            .query_async(&mut self.conn())
            .await
            .map_err(db)?;
        let mut out = Vec::with_capacity(seqs.len());
        for (seq, entry) in seqs.iter().zip(entries) {
            let Some(entry) = entry else { continue };
            // `json`, or `json NUL label` while the label has not been erased by a purge
            let (json, label) = match entry.iter().position(|&b| b == 0) {
                Some(cut) => (&entry[..cut], Some(&entry[cut + 1..])),
                None => (&entry[..], None),
            };
            let mut entry: AuditEntry = decode("audit entry", json)?;
            entry.seq = *seq;
            entry.label = label
                .map(|l| String::from_utf8(l.to_vec()).map_err(|_| RedisError::Reply("label")))
                .transpose()?;
            out.push(entry);
        }
        Ok(out)
    }
}

/// Registers a record a batch touches; returns its index.
fn touch<'b>(
    touched: &mut Vec<Touched<'b>>,
    index: &mut HashMap<(Kind, &'b str), usize>,
    key: (Kind, &'b str),
) -> usize {
    *index.entry(key).or_insert_with(|| {
        touched.push(Touched {
            kind: key.0,
            id: key.1,
            stored: None,
            staged: None,
        });
        touched.len() - 1
    })
}

/// The persona an identity put refers to.
fn persona_of(op: &Op) -> Option<&str> {
    match op {
        Op::Put {
            record: AnyRecord::Identity(identity),
            ..
        } => Some(identity.persona_id.as_str()),
        _ => None,
    }
}

enum WriteReply {
    Done,
    Stale,
    Referenced(u64),
}

/// Adds `value`'s JSON as one argument, followed by a NUL byte and `suffix` when given.
///
/// Serialises into `scratch` (reused) and copies once: serialising straight into the command
/// goes through its writer's default `write_all`, which measured twice as many instructions.
fn json_arg<T: Serialize + ?Sized>(
    cmd: &mut Cmd,
    scratch: &mut Vec<u8>,
    value: &T,
    suffix: Option<&str>,
) -> Result<()> {
    scratch.clear();
    serde_json::to_writer(&mut *scratch, value).map_err(not_serialisable)?;
    if let Some(suffix) = suffix {
        scratch.push(0);
        scratch.extend_from_slice(suffix.as_bytes());
    }
    cmd.arg(&scratch[..]);
    Ok(())
}

/// Adds the record's document (`AnyRecord::to_json`) as one argument.
fn document_arg(cmd: &mut Cmd, scratch: &mut Vec<u8>, record: &AnyRecord) -> Result<()> {
    match record {
        AnyRecord::Persona(r) => json_arg(cmd, scratch, &**r, None),
        AnyRecord::Identity(r) => json_arg(cmd, scratch, &**r, None),
        AnyRecord::Group(r) => json_arg(cmd, scratch, &**r, None),
    }
}

fn decode_record(kind: Kind, doc: &[u8]) -> Result<AnyRecord> {
    AnyRecord::from_json(kind, doc).map_err(|source| {
        RedisError::Decode {
            what: "record",
            source,
        }
        .into()
    })
}

fn not_serialisable(source: serde_json::Error) -> Error {
    Error::corrupt(
        BACKEND,
        "record is not serialisable",
        Some(Box::new(source)),
    )
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
        // A batch of creates is first planned without reading its targets.
        let mut optimistic = batch.ops().iter().all(|op| {
            matches!(
                op,
                Op::Put {
                    mode: WriteMode::Create,
                    ..
                }
            )
        });
        for attempt in 0..MAX_ATTEMPTS {
            if let Some(records) = self.try_apply(&batch, optimistic).await? {
                return Ok(records);
            }
            if optimistic {
                optimistic = false;
                continue;
            }
            backoff(attempt).await;
        }
        Err(RedisError::Contention(MAX_ATTEMPTS).into())
    }

    async fn get(&self, kind: Kind, id: &str) -> Result<Option<AnyRecord>> {
        // Only a live record has a `d` field.
        let doc: Option<Vec<u8>> = redis::cmd("HGET")
            .arg(self.record_key(kind, id))
            .arg("d")
            .query_async(&mut self.conn())
            .await
            .map_err(db)?;
        doc.map(|doc| decode_record(kind, &doc)).transpose()
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
        let (older, current): (Vec<Vec<u8>>, Option<Vec<u8>>) = redis::pipe()
            .atomic()
            .cmd("HVALS")
            .arg(self.key(&keys::history(kind, id)))
            .cmd("HGET")
            .arg(self.record_key(kind, id))
            .arg("v")
            .query_async(&mut self.conn())
            .await
            .map_err(db)?;
        // `VersionInfo` reads the flattened fields of a history entry and skips its record.
        let mut infos = older
            .iter()
            .chain(&current)
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
        type Current = (Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>);
        let (older, (info, live, deleted)): (Option<Vec<u8>>, Current) = redis::pipe()
            .atomic()
            .cmd("HGET")
            .arg(self.key(&keys::history(kind, id)))
            .arg(version.get())
            .cmd("HMGET")
            .arg(self.record_key(kind, id))
            .arg("v")
            .arg("d")
            .arg("z")
            .query_async(&mut self.conn())
            .await
            .map_err(db)?;
        if let Some(json) = older {
            return decode("history entry", &json).map(Some);
        }
        // The current version's entry is the record hash's info and document.
        let (Some(info), Some(doc)) = (info, live.or(deleted)) else {
            return Ok(None);
        };
        let info: VersionInfo = decode("history entry", &info)?;
        if info.version != version {
            return Ok(None);
        }
        Ok(Some(HistoryEntry {
            info,
            record: decode_record(kind, &doc)?,
        }))
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

    /// The write script's `entry(kindid, info, doc)`, in Rust: the splice must read back as the
    /// `HistoryEntry` of that version.
    fn splice(kind: Kind, info: &[u8], doc: &[u8]) -> Vec<u8> {
        let mut out = info[..info.len() - 1].to_vec();
        out.extend_from_slice(b",\"record\":{\"kind\":\"");
        out.extend_from_slice(kind.as_str().as_bytes());
        out.extend_from_slice(b"\",\"record\":");
        out.extend_from_slice(doc);
        out.extend_from_slice(b"}}");
        out
    }

    #[test]
    fn spliced_history_reads_as_the_entry() {
        let identity = Identity::new("p".into(), "Ann");
        let planned = plan(
            &Op::Put {
                record: identity.into_any(),
                mode: WriteMode::Create,
            },
            None,
            &Actor::new("me \"quoted\""),
            Timestamp::now(),
        )
        .unwrap();
        let info = serde_json::to_vec(&planned.info).unwrap();
        let json = splice(Kind::Identity, &info, &planned.record.to_json().unwrap());
        let entry: HistoryEntry = serde_json::from_slice(&json).unwrap();
        assert_eq!(entry, planned.history_entry());
    }
}
