//! [`MemoryStore`]: the complete in-memory backend that every other backend is compared with.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Instant;

use async_trait::async_trait;
use persona_attributes::Timestamp;

use crate::error::{Error, Result};
use crate::id::{Actor, Namespace, Version};
use crate::query::{self, Facet, FacetCounts, Filter, IndexFields, ListRequest, Page, Query};
use crate::record::{AnyRecord, Identity, Kind};
use crate::store::{
    AuditEntry, AuditQuery, Batch, Capabilities, Current, Health, HistoryEntry, Store, Tombstone,
    VersionInfo, plan, purge_audit,
};

type Key = (Kind, String);

#[derive(Debug, Clone)]
struct Entry {
    record: AnyRecord,
    deleted: bool,
    history: Vec<HistoryEntry>,
    fields: Option<IndexFields>,
}

#[derive(Debug, Default)]
struct Space {
    records: BTreeMap<Key, Entry>,
    audit: Vec<AuditEntry>,
    tombstones: HashMap<Key, Tombstone>,
    seq: u64,
}

impl Space {
    fn live_identities(&self) -> impl Iterator<Item = (&Identity, &IndexFields)> {
        let start = (Kind::Identity, String::new());
        self.records
            .range(start..)
            .take_while(|((kind, _), _)| *kind == Kind::Identity)
            .filter(|(_, entry)| !entry.deleted)
            .filter_map(|(_, entry)| Some((entry.record.as_identity()?, entry.fields.as_ref()?)))
    }
}

/// A concurrent, namespaced, in-memory store with history and audit: the reference backend.
///
/// Clones share the same data. Handles for other namespaces come from
/// [`with_namespace`](Self::with_namespace). Nothing is persisted.
///
/// ```
/// use persona_core::{MemoryStore, Namespace, Store};
/// let store = MemoryStore::new();
/// let tenant = store.with_namespace(Namespace::new("tenant-a").unwrap());
/// assert_eq!(tenant.namespace().as_str(), "tenant-a");
/// ```
#[derive(Clone)]
pub struct MemoryStore {
    shared: Arc<RwLock<HashMap<Namespace, Space>>>,
    namespace: Namespace,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store; the handle is bound to the `default` namespace.
    pub fn new() -> Self {
        MemoryStore {
            shared: Arc::default(),
            namespace: Namespace::default(),
        }
    }

    /// A handle on the same data bound to `namespace`.
    pub fn with_namespace(&self, namespace: Namespace) -> Self {
        MemoryStore {
            shared: Arc::clone(&self.shared),
            namespace,
        }
    }

    fn read<T>(&self, f: impl FnOnce(Option<&Space>) -> T) -> T {
        let guard = self.shared.read().unwrap_or_else(PoisonError::into_inner);
        f(guard.get(&self.namespace))
    }

    fn write<T>(&self, f: impl FnOnce(&mut Space) -> T) -> T {
        let mut guard = self.shared.write().unwrap_or_else(PoisonError::into_inner);
        f(guard.entry(self.namespace.clone()).or_default())
    }
}

fn apply_to(space: &mut Space, batch: &Batch) -> Result<Vec<AnyRecord>> {
    let now = Timestamp::now();
    let mut staged: BTreeMap<Key, Entry> = BTreeMap::new();
    let mut audit = Vec::with_capacity(batch.len());
    let mut stored = Vec::with_capacity(batch.len());
    for op in batch.ops() {
        let (kind, id) = op.target();
        let key = (kind, id.to_owned());
        let existing = staged.get(&key).or_else(|| space.records.get(&key));
        let current = existing.map(|entry| Current {
            record: &entry.record,
            deleted: entry.deleted,
        });
        let planned = plan(op, current, batch.actor(), now)?;
        if planned.needs_persona_check()
            && let AnyRecord::Identity(identity) = &planned.record
        {
            let persona = (Kind::Persona, identity.persona_id.as_str().to_owned());
            let live = staged
                .get(&persona)
                .or_else(|| space.records.get(&persona))
                .is_some_and(|entry| !entry.deleted);
            if !live {
                return Err(Error::missing_persona());
            }
        }
        let mut history = existing
            .map(|entry| entry.history.clone())
            .unwrap_or_default();
        history.push(planned.history_entry());
        let fields = planned.record.as_identity().map(IndexFields::of);
        stored.push(planned.record.clone());
        audit.push(planned.audit);
        staged.insert(
            key,
            Entry {
                record: planned.record,
                deleted: planned.deleted,
                history,
                fields,
            },
        );
    }
    space.records.extend(staged);
    for mut entry in audit {
        space.seq += 1;
        entry.seq = space.seq;
        space.audit.push(entry);
    }
    Ok(stored)
}

#[async_trait]
impl Store for MemoryStore {
    fn backend(&self) -> &'static str {
        "memory"
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
        self.read(|_| ());
        Ok(Health {
            backend: "memory",
            namespace: self.namespace.clone(),
            latency: started.elapsed(),
        })
    }

    async fn apply(&self, batch: Batch) -> Result<Vec<AnyRecord>> {
        self.write(|space| apply_to(space, &batch))
    }

    async fn get(&self, kind: Kind, id: &str) -> Result<Option<AnyRecord>> {
        Ok(self.read(|space| {
            space
                .and_then(|s| s.records.get(&(kind, id.to_owned())))
                .filter(|entry| !entry.deleted)
                .map(|entry| entry.record.clone())
        }))
    }

    async fn purge(&self, kind: Kind, id: &str, actor: &Actor) -> Result<Tombstone> {
        self.write(|space| {
            let key = (kind, id.to_owned());
            let Some(entry) = space.records.get(&key) else {
                return Err(Error::not_found(kind, id));
            };
            if kind == Kind::Persona {
                let users = space
                    .records
                    .values()
                    .filter_map(|e| e.record.as_identity())
                    .filter(|identity| identity.persona_id.as_str() == id)
                    .count() as u64;
                if users > 0 {
                    return Err(Error::Referenced {
                        kind,
                        id: id.to_owned(),
                        by: Kind::Identity,
                        count: users,
                    });
                }
            }
            let last = entry.record.version();
            space.records.remove(&key);
            for entry in space
                .audit
                .iter_mut()
                .filter(|e| e.kind == kind && e.id == id)
            {
                entry.label = None;
            }
            let now = Timestamp::now();
            let mut audit = purge_audit(kind, id, last, actor, now);
            space.seq += 1;
            audit.seq = space.seq;
            space.audit.push(audit);
            let tombstone = Tombstone {
                kind,
                id: id.to_owned(),
                last_version: last,
                purged_at: now,
                actor: actor.clone(),
            };
            space.tombstones.insert(key, tombstone.clone());
            Ok(tombstone)
        })
    }

    async fn versions(&self, kind: Kind, id: &str) -> Result<Vec<VersionInfo>> {
        Ok(self.read(|space| {
            space
                .and_then(|s| s.records.get(&(kind, id.to_owned())))
                .map(|entry| entry.history.iter().map(|h| h.info.clone()).collect())
                .unwrap_or_default()
        }))
    }

    async fn version(
        &self,
        kind: Kind,
        id: &str,
        version: Version,
    ) -> Result<Option<HistoryEntry>> {
        Ok(self.read(|space| {
            space
                .and_then(|s| s.records.get(&(kind, id.to_owned())))
                .and_then(|entry| {
                    entry
                        .history
                        .iter()
                        .find(|h| h.info.version == version)
                        .cloned()
                })
        }))
    }

    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        Ok(self.read(|space| {
            let entries = space.map(|s| s.audit.as_slice()).unwrap_or_default();
            entries
                .iter()
                .filter(|e| query.matches(e))
                .take(query.limit.unwrap_or(usize::MAX))
                .cloned()
                .collect()
        }))
    }

    async fn tombstone(&self, kind: Kind, id: &str) -> Result<Option<Tombstone>> {
        Ok(
            self.read(|space| {
                space.and_then(|s| s.tombstones.get(&(kind, id.to_owned())).cloned())
            }),
        )
    }

    async fn list(&self, kind: Kind, request: &ListRequest) -> Result<Page<AnyRecord>> {
        let after = request.start_after(&self.namespace)?;
        Ok(self.read(|space| {
            let Some(space) = space else {
                return Page {
                    items: Vec::new(),
                    next: None,
                };
            };
            let start = match &after {
                Some(id) => Bound::Excluded((kind, id.clone())),
                None => Bound::Included((kind, String::new())),
            };
            let live = space
                .records
                .range((start, Bound::Unbounded))
                .take_while(|((k, _), _)| *k == kind)
                .filter(|(_, entry)| !entry.deleted)
                .map(|(_, entry)| &entry.record);
            query::page_in_id_order(&self.namespace, request.limit, live)
        }))
    }

    async fn query(&self, query: &Query) -> Result<Page<Identity>> {
        self.read(|space| match space {
            Some(space) => query::evaluate(query, &self.namespace, space.live_identities()),
            None => query::evaluate(query, &self.namespace, std::iter::empty()),
        })
    }

    async fn count(&self, filter: &Filter) -> Result<u64> {
        Ok(self.read(|space| {
            space.map_or(0, |s| {
                query::count_matching(filter, s.live_identities().map(|(_, f)| f))
            })
        }))
    }

    async fn facets(&self, filter: &Filter, facets: &[Facet]) -> Result<FacetCounts> {
        Ok(self.read(|space| match space {
            Some(space) => {
                query::count_facets(filter, facets, space.live_identities().map(|(_, f)| f))
            }
            None => query::count_facets(filter, facets, std::iter::empty()),
        }))
    }
}
