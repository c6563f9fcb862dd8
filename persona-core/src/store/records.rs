//! The typed, instrumented API over any [`Store`].

use std::future::Future;
use std::marker::PhantomData;
use std::time::Instant;

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use tracing::Instrument;

use crate::error::{Error, Result};
use crate::id::{Actor, Version};
use crate::query::{Facet, FacetCounts, Filter, ListRequest, Page, Query};
use crate::record::{AnyRecord, Group, Identity, Kind, Persona, Record};
use crate::store::{
    AuditEntry, AuditQuery, Batch, Health, Store, Tombstone, VersionInfo, WriteMode,
};

/// How many records an export reads per page.
const EXPORT_PAGE: usize = 500;

/// Runs `fut` inside a `persona.store` span and records `persona_store_operations_total`,
/// `persona_store_errors_total` and `persona_store_operation_seconds` through the `metrics` facade.
async fn instrumented<T>(
    store: &(impl Store + ?Sized),
    op: &'static str,
    kind: Option<Kind>,
    fut: impl Future<Output = Result<T>>,
) -> Result<T> {
    let backend = store.backend();
    let kind = kind.map_or("any", Kind::as_str);
    let span = tracing::debug_span!(
        "persona.store",
        backend,
        namespace = store.namespace().as_str(),
        op,
        kind,
    );
    let started = Instant::now();
    let result = fut.instrument(span.clone()).await;
    let labels = [("backend", backend), ("op", op), ("kind", kind)];
    metrics::counter!("persona_store_operations_total", &labels).increment(1);
    metrics::histogram!("persona_store_operation_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    if let Err(error) = &result {
        metrics::counter!("persona_store_errors_total", &labels).increment(1);
        // Errors carry kinds, ids and rules only, never personal values, so they can be logged.
        span.in_scope(
            || tracing::debug!(%error, retryable = error.is_retryable(), "store operation failed"),
        );
    }
    result
}

fn expect_kind<R: Record>(any: AnyRecord) -> Result<R> {
    R::from_any(any).map_err(|other| {
        Error::corrupt(
            "core",
            format_args!("expected a {} record, found a {}", R::KIND, other.kind()),
            None,
        )
    })
}

/// The typed API, available on every [`Store`] (including `Arc<dyn Store>`).
pub trait StoreExt: Store {
    /// Persona operations.
    fn personas(&self) -> Records<'_, Persona, Self> {
        Records::new(self)
    }

    /// Identity operations, including queries.
    fn identities(&self) -> Records<'_, Identity, Self> {
        Records::new(self)
    }

    /// Group operations.
    fn groups(&self) -> Records<'_, Group, Self> {
        Records::new(self)
    }

    /// Applies a batch with instrumentation (see [`Store::apply`]).
    ///
    /// # Errors
    /// As [`Store::apply`].
    fn write(&self, batch: Batch) -> impl Future<Output = Result<Vec<AnyRecord>>> + Send {
        async move { instrumented(self, "apply", None, self.apply(batch)).await }
    }

    /// Health check with instrumentation (see [`Store::health`]).
    ///
    /// # Errors
    /// As [`Store::health`].
    fn check_health(&self) -> impl Future<Output = Result<Health>> + Send {
        async move { instrumented(self, "health", None, self.health()).await }
    }

    /// Audit entries with instrumentation (see [`Store::audit`]).
    ///
    /// # Errors
    /// As [`Store::audit`].
    fn audit_log(
        &self,
        query: &AuditQuery,
    ) -> impl Future<Output = Result<Vec<AuditEntry>>> + Send {
        async move { instrumented(self, "audit", query.kind, self.audit(query)).await }
    }

    /// Writes every record of `records` (any kinds, personas before the identities that reference
    /// them) in batches of `batch_size` with `mode`, returning how many were written. Memory holds
    /// one batch at a time.
    ///
    /// # Errors
    /// The first failing batch's error (earlier batches stay written) or the stream's first error.
    fn import_all(
        &self,
        actor: &Actor,
        records: impl futures::Stream<Item = Result<AnyRecord>> + Send,
        mode: WriteMode,
        batch_size: usize,
    ) -> impl Future<Output = Result<u64>> + Send
    where
        Self: Sized,
    {
        async move {
            let batch_size = batch_size.clamp(1, 10_000);
            let mut chunks = std::pin::pin!(records.try_chunks(batch_size));
            let mut written = 0u64;
            while let Some(chunk) = chunks.next().await {
                let chunk = chunk.map_err(|e| e.1)?;
                let mut batch = Batch::new(actor.clone());
                for record in chunk {
                    batch.put_any(record, mode)?;
                }
                written += batch.len() as u64;
                self.write(batch).await?;
            }
            Ok(written)
        }
    }

    /// Every live record of every kind, personas first then identities then groups, read page by
    /// page so memory stays flat whatever the size of the store.
    fn export_all(&self) -> BoxStream<'_, Result<AnyRecord>>
    where
        Self: Sized,
    {
        stream::iter(Kind::ALL)
            .map(move |kind| export_kind(self, kind))
            .flatten()
            .boxed()
    }
}

impl<S: Store + ?Sized> StoreExt for S {}

fn export_kind<S: Store + ?Sized>(store: &S, kind: Kind) -> BoxStream<'_, Result<AnyRecord>> {
    struct State<'a, S: ?Sized> {
        store: &'a S,
        request: Option<ListRequest>,
    }
    let state = State {
        store,
        request: Some(ListRequest::first(EXPORT_PAGE)),
    };
    stream::try_unfold(state, move |mut state| async move {
        let Some(request) = state.request.take() else {
            return Ok(None);
        };
        let page = instrumented(
            state.store,
            "list",
            Some(kind),
            state.store.list(kind, &request),
        )
        .await?;
        state.request = page.next.map(|cursor| ListRequest {
            limit: EXPORT_PAGE,
            cursor: Some(cursor),
        });
        Ok::<_, Error>(Some((stream::iter(page.items.into_iter().map(Ok)), state)))
    })
    .try_flatten()
    .boxed()
}

/// Typed operations on one record kind of a store. Obtained from [`StoreExt`].
#[derive(Debug)]
pub struct Records<'a, R, S: ?Sized> {
    store: &'a S,
    kind: PhantomData<fn() -> R>,
}

impl<R, S: ?Sized> Clone for Records<'_, R, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R, S: ?Sized> Copy for Records<'_, R, S> {}

impl<'a, R: Record, S: Store + ?Sized> Records<'a, R, S> {
    fn new(store: &'a S) -> Self {
        Records {
            store,
            kind: PhantomData,
        }
    }

    async fn run<T>(&self, op: &'static str, fut: impl Future<Output = Result<T>>) -> Result<T> {
        instrumented(self.store, op, Some(R::KIND), fut).await
    }

    async fn put_one(
        &self,
        op: &'static str,
        actor: &Actor,
        record: R,
        mode: WriteMode,
    ) -> Result<R> {
        self.run(op, async {
            let mut batch = Batch::new(actor.clone());
            batch.put(record, mode)?;
            let stored = self.store.apply(batch).await?;
            let any = stored.into_iter().next().ok_or_else(|| {
                Error::corrupt(self.store.backend(), "a write returned no record", None)
            })?;
            expect_kind(any)
        })
        .await
    }

    /// Stores a new record; fails if its id is taken.
    ///
    /// # Errors
    /// [`Error::Invalid`] with every violation (nothing is written), [`Error::AlreadyExists`], or a
    /// backend error.
    ///
    /// # Examples
    /// ```
    /// # tokio_test_block_on(async {
    /// use persona_core::{Actor, MemoryStore, Persona, StoreExt};
    /// let store = MemoryStore::new();
    /// let actor = Actor::new("docs");
    /// let saved = store.personas().create(&actor, Persona::new("Tutor", "maths", "You teach maths.")).await?;
    /// assert_eq!(saved.version.get(), 1);
    /// # Ok::<(), persona_core::Error>(()) });
    /// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f) }
    /// ```
    pub async fn create(&self, actor: &Actor, record: R) -> Result<R> {
        self.put_one("create", actor, record, WriteMode::Create)
            .await
    }

    /// Stores a new version of a record, expecting the stored version to be `record`'s version
    /// (optimistic concurrency: read, change, update).
    ///
    /// # Errors
    /// [`Error::VersionConflict`] when someone else wrote first, [`Error::NotFound`],
    /// [`Error::Invalid`], or a backend error.
    pub async fn update(&self, actor: &Actor, record: R) -> Result<R> {
        let expected = record.meta().version;
        self.put_one("update", actor, record, WriteMode::Update(expected))
            .await
    }

    /// Creates or overwrites a record whatever the stored version.
    ///
    /// # Errors
    /// [`Error::Invalid`], [`Error::AlreadyExists`] for a soft-deleted id, or a backend error.
    pub async fn upsert(&self, actor: &Actor, record: R) -> Result<R> {
        self.put_one("upsert", actor, record, WriteMode::Upsert)
            .await
    }

    /// Stores many records in one batch (all-or-nothing where the backend supports it).
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the first invalid record's violations (nothing is written), or the
    /// first failing write's error.
    pub async fn put_many(
        &self,
        actor: &Actor,
        records: Vec<R>,
        mode: WriteMode,
    ) -> Result<Vec<R>> {
        self.run("put_many", async {
            let mut batch = Batch::new(actor.clone());
            for record in records {
                batch.put(record, mode)?;
            }
            self.store
                .apply(batch)
                .await?
                .into_iter()
                .map(expect_kind)
                .collect()
        })
        .await
    }

    /// The live record with `id`, if any.
    ///
    /// # Errors
    /// Backend errors only.
    pub async fn find(&self, id: &str) -> Result<Option<R>> {
        self.run("get", async {
            self.store
                .get(R::KIND, id)
                .await?
                .map(expect_kind)
                .transpose()
        })
        .await
    }

    /// The live record with `id`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is none.
    pub async fn get(&self, id: &str) -> Result<R> {
        self.find(id)
            .await?
            .ok_or_else(|| Error::not_found(R::KIND, id))
    }

    /// Soft-deletes the record (hidden from reads and queries, restorable).
    ///
    /// # Errors
    /// [`Error::NotFound`] or a backend error.
    pub async fn delete(&self, actor: &Actor, id: &str) -> Result<R> {
        self.state_change("delete", actor, id, None, true).await
    }

    /// Restores a soft-deleted record.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the id is unknown, [`Error::AlreadyExists`] when it is not deleted.
    pub async fn restore(&self, actor: &Actor, id: &str) -> Result<R> {
        self.state_change("restore", actor, id, None, false).await
    }

    async fn state_change(
        &self,
        op: &'static str,
        actor: &Actor,
        id: &str,
        expected: Option<Version>,
        delete: bool,
    ) -> Result<R> {
        self.run(op, async {
            let mut batch = Batch::new(actor.clone());
            if delete {
                batch.delete(R::KIND, id, expected);
            } else {
                batch.restore(R::KIND, id, expected);
            }
            let stored = self.store.apply(batch).await?;
            let any = stored.into_iter().next().ok_or_else(|| {
                Error::corrupt(self.store.backend(), "a write returned no record", None)
            })?;
            expect_kind(any)
        })
        .await
    }

    /// Erases the record, its history and the personal data in its audit entries.
    ///
    /// # Errors
    /// [`Error::NotFound`], [`Error::Referenced`] or [`Error::Unsupported`].
    pub async fn purge(&self, actor: &Actor, id: &str) -> Result<Tombstone> {
        self.run("purge", self.store.purge(R::KIND, id, actor))
            .await
    }

    /// The tombstone left by a purge.
    ///
    /// # Errors
    /// Backend errors only.
    pub async fn tombstone(&self, id: &str) -> Result<Option<Tombstone>> {
        self.run("tombstone", self.store.tombstone(R::KIND, id))
            .await
    }

    /// Every version of the record, oldest first.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the record has no history.
    pub async fn versions(&self, id: &str) -> Result<Vec<VersionInfo>> {
        self.run("versions", async {
            let versions = self.store.versions(R::KIND, id).await?;
            if versions.is_empty() {
                return Err(Error::not_found(R::KIND, id));
            }
            Ok(versions)
        })
        .await
    }

    /// The record as it was at `version`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when that version does not exist.
    pub async fn at_version(&self, id: &str, version: Version) -> Result<R> {
        self.run("version", async {
            let entry = self.store.version(R::KIND, id, version).await?;
            let entry =
                entry.ok_or_else(|| Error::not_found(R::KIND, format!("{id}@{version}")))?;
            expect_kind(entry.record)
        })
        .await
    }

    /// The RFC 6902 JSON Patch that turns version `from` into version `to`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when either version does not exist.
    pub async fn diff(&self, id: &str, from: Version, to: Version) -> Result<json_patch::Patch> {
        let old = self.at_version(id, from).await?;
        let new = self.at_version(id, to).await?;
        let (old, new) = (to_json(&old)?, to_json(&new)?);
        Ok(json_patch::diff(&old, &new))
    }

    /// Writes a new version equal in content to `version` (its own version and timestamps are new).
    ///
    /// # Errors
    /// [`Error::NotFound`] when the record or version does not exist; [`Error::VersionConflict`]
    /// when the record changes concurrently.
    pub async fn rollback(&self, actor: &Actor, id: &str, version: Version) -> Result<R> {
        let current = self.get(id).await?;
        let mut old = self.at_version(id, version).await?;
        old.set_meta(current.meta());
        self.put_one(
            "rollback",
            actor,
            old,
            WriteMode::Update(current.meta().version),
        )
        .await
    }

    /// A page of live records in id order.
    ///
    /// # Errors
    /// As [`Store::list`].
    pub async fn list(&self, request: &ListRequest) -> Result<Page<R>> {
        self.run("list", async {
            let page = self.store.list(R::KIND, request).await?;
            let next = page.next;
            let items = page
                .items
                .into_iter()
                .map(expect_kind)
                .collect::<Result<_>>()?;
            Ok(Page { items, next })
        })
        .await
    }

    /// Every live record of this kind, read page by page (memory stays flat).
    pub fn export(&self) -> BoxStream<'a, Result<R>> {
        export_kind(self.store, R::KIND)
            .map(|item| item.and_then(expect_kind))
            .boxed()
    }

    /// Writes every record of `records` in batches of `batch_size` with `mode`, returning how many
    /// were written. Memory holds one batch at a time.
    ///
    /// # Errors
    /// The first failing batch's error; earlier batches stay written.
    pub async fn import(
        &self,
        actor: &Actor,
        records: impl futures::Stream<Item = Result<R>> + Send,
        mode: WriteMode,
        batch_size: usize,
    ) -> Result<u64> {
        let batch_size = batch_size.clamp(1, 10_000);
        let mut chunks = std::pin::pin!(records.try_chunks(batch_size));
        let mut written = 0u64;
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| e.1)?;
            let len = chunk.len() as u64;
            self.put_many(actor, chunk, mode).await?;
            written += len;
        }
        Ok(written)
    }
}

fn to_json<R: Record>(record: &R) -> Result<serde_json::Value> {
    serde_json::to_value(record)
        .map_err(|e| Error::corrupt("core", "record is not serialisable", Some(Box::new(e))))
}

impl<S: Store + ?Sized> Records<'_, Identity, S> {
    /// A page of identities matching `query` (see [`crate::query`] for the exact semantics).
    ///
    /// # Errors
    /// As [`Query::check`].
    pub async fn query(&self, query: &Query) -> Result<Page<Identity>> {
        self.run("query", async {
            query.check(self.store.namespace())?;
            self.store.query(query).await
        })
        .await
    }

    /// How many live identities match `filter`.
    ///
    /// # Errors
    /// Backend errors only.
    pub async fn count(&self, filter: &Filter) -> Result<u64> {
        self.run("count", self.store.count(filter)).await
    }

    /// Value counts of `facets` over the live identities matching `filter`.
    ///
    /// # Errors
    /// [`Error::Unsupported`] when the backend has no facets.
    pub async fn facets(&self, filter: &Filter, facets: &[Facet]) -> Result<FacetCounts> {
        self.run("facets", self.store.facets(filter, facets)).await
    }
}
