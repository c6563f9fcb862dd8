//! [`PostgresStore`]: the handle, its options and the migrations.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use persona_core::query::{Facet, FacetCounts, Filter, ListRequest, Page, Query};
use persona_core::{
    Actor, AnyRecord, AuditEntry, AuditQuery, Batch, Capabilities, Error, Health, HistoryEntry,
    Identity, Kind, Namespace, Result, Store, Tombstone, Version, VersionInfo,
};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::error::{self, BACKEND, PgError};
use crate::sql::{self, Statements};

/// The migrations embedded in the crate, applied by [`PostgresStore::migrate`].
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The schema a store uses unless told otherwise.
pub const DEFAULT_SCHEMA: &str = "persona";

/// The name of the table, inside the store's schema, that records applied migrations.
pub const MIGRATIONS_TABLE: &str = "persona_migrations";

/// How [`PostgresStore::connect_with`] opens a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresOptions {
    schema: String,
    namespace: Namespace,
    migrate: bool,
    max_connections: u32,
    acquire_timeout: Duration,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            schema: DEFAULT_SCHEMA.to_owned(),
            namespace: Namespace::default(),
            migrate: true,
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

impl PostgresOptions {
    /// Schema `persona`, namespace `default`, migrations applied, at most 10 connections.
    pub fn new() -> Self {
        Self::default()
    }

    /// The schema holding the store's tables (a lowercase identifier, see
    /// [`PostgresStore::with_schema`]).
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = schema.into();
        self
    }

    /// The namespace of the returned handle.
    pub fn namespace(mut self, namespace: Namespace) -> Self {
        self.namespace = namespace;
        self
    }

    /// Whether connecting applies the embedded migrations (default `true`).
    pub fn migrate(mut self, migrate: bool) -> Self {
        self.migrate = migrate;
        self
    }

    /// The pool's size (default 10).
    pub fn max_connections(mut self, max: u32) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// How long an operation waits for a free connection before failing with
    /// [`Error::Unavailable`] (default 5 s).
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }
}

pub(crate) struct Inner {
    pub(crate) pool: PgPool,
    pub(crate) schema: String,
    pub(crate) quoted: String,
    pub(crate) sql: Statements,
    /// Identity writes through this store since its last `VACUUM`, the identity writes it had
    /// counted by then, and those it had counted at its last `ANALYZE` (see
    /// [`PostgresStore::note_identity_writes`]).
    pub(crate) unvacuumed: AtomicU64,
    pub(crate) vacuumed: AtomicU64,
    pub(crate) analyzed: AtomicU64,
    /// Set while a vacuum started by this store runs.
    pub(crate) vacuuming: AtomicBool,
}

/// Identity writes after which a store runs `VACUUM (ANALYZE)` (see
/// [`PostgresStore::note_identity_writes`]).
pub(crate) const VACUUM_MIN_WRITES: u64 = 10_000;

/// A persona store in PostgreSQL.
///
/// A cheap-to-clone handle over a [`PgPool`], bound to one [`Namespace`]; handles for other
/// namespaces share the pool ([`with_namespace`](Self::with_namespace)). All tables live in one
/// schema ([`DEFAULT_SCHEMA`] unless chosen), created by [`migrate`](Self::migrate).
#[derive(Clone)]
pub struct PostgresStore {
    pub(crate) inner: Arc<Inner>,
    pub(crate) namespace: Namespace,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.inner.schema)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// A store in the [`DEFAULT_SCHEMA`] on a pool the application owns, bound to the `default`
    /// namespace. Nothing is sent to the server: call [`migrate`](Self::migrate) once before use.
    pub fn new(pool: PgPool) -> Self {
        Self::build(pool, DEFAULT_SCHEMA.to_owned(), Namespace::default())
    }

    /// A store whose tables live in `schema` on a pool the application owns. Several schemas can
    /// share one database.
    ///
    /// # Errors
    /// [`Error::Invalid`] when `schema` is not 1–63 characters of `a-z`, `0-9` and `_`, starting
    /// with a letter or `_`, or starts with `pg_`.
    pub fn with_schema(pool: PgPool, schema: impl Into<String>) -> Result<Self> {
        let schema = schema.into();
        check_schema(&schema)?;
        Ok(Self::build(pool, schema, Namespace::default()))
    }

    /// Connects a pool to `url` and applies the migrations, with the default
    /// [`PostgresOptions`].
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the server cannot be reached; a backend error when migrating
    /// fails.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, PostgresOptions::default()).await
    }

    /// Connects a pool to `url` as `options` say.
    ///
    /// # Errors
    /// As [`connect`](Self::connect); [`Error::Invalid`] for a bad schema name.
    pub async fn connect_with(url: &str, options: PostgresOptions) -> Result<Self> {
        check_schema(&options.schema)?;
        // No ping before handing out a connection: sqlx already pings every connection when it
        // returns to the pool, so the acquire ping was a second extra round trip per operation.
        // A connection that died while idle fails its next statement as `Unavailable`
        // (retryable) instead of being replaced silently.
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .test_before_acquire(false)
            .connect(url)
            .await
            .map_err(|err| Error::from(PgError::Sql(err)))?;
        let store = Self::build(pool, options.schema, options.namespace);
        if options.migrate {
            store.migrate().await?;
        }
        Ok(store)
    }

    fn build(pool: PgPool, schema: String, namespace: Namespace) -> Self {
        let quoted = sql::quote_schema(&schema).unwrap_or_else(|| format!("\"{DEFAULT_SCHEMA}\""));
        PostgresStore {
            inner: Arc::new(Inner {
                pool,
                sql: Statements::new(&quoted),
                schema,
                quoted,
                unvacuumed: AtomicU64::new(0),
                vacuumed: AtomicU64::new(0),
                analyzed: AtomicU64::new(0),
                vacuuming: AtomicBool::new(false),
            }),
            namespace,
        }
    }

    /// Counts `n` committed identity writes and, once they add up to at least
    /// [`VACUUM_MIN_WRITES`] and a fifth of what had been written by the last run, starts
    /// `VACUUM` on the identities table in the background, with `ANALYZE` when the writes counted
    /// have at least doubled since the last `ANALYZE` (the first run always analyzes).
    ///
    /// `VACUUM` sets the visibility map, without which an index-only scan (the selective
    /// demographic query's, on the covering country index) reads the table row of every index
    /// entry it walks; on freshly inserted rows it reads only the pages written since its last run
    /// (it skips all-visible pages), plus one pass over the GIN index, and it brings the planner's
    /// row and page counts up to date. `ANALYZE` keeps the column statistics current: without
    /// them (a bulk load on a server whose autovacuum is off, or has not caught up yet) the planner
    /// takes a tag matching a quarter of a million identities for a dozen rows, and a page that
    /// takes milliseconds takes a second. It reads a sample of 30,000 table pages whatever the
    /// table's size (seconds at a million identities on a busy machine), so it runs less often.
    ///
    /// The run is a task on the current Tokio runtime, like an autovacuum worker: the write that
    /// crossed the threshold returns without waiting, and its caller's next batch overlaps with
    /// the server's vacuum. One run at a time per store; writes counted meanwhile wait for the
    /// next. Outside a Tokio runtime it runs before returning. A failure only logs: the writes are
    /// committed, and the next threshold tries again.
    pub(crate) async fn note_identity_writes(&self, n: u64) {
        let inner = &self.inner;
        let pending = inner.unvacuumed.fetch_add(n, Ordering::Relaxed) + n;
        let before = inner.vacuumed.load(Ordering::Relaxed);
        if pending < VACUUM_MIN_WRITES.max(before / 5) {
            return;
        }
        // One caller at a time takes the pending count and vacuums; the others keep counting.
        if inner.vacuuming.swap(true, Ordering::Acquire) {
            return;
        }
        let pending = inner.unvacuumed.swap(0, Ordering::Relaxed);
        let total = inner.vacuumed.fetch_add(pending, Ordering::Relaxed) + pending;
        let analyze = analyze_due(total, inner.analyzed.load(Ordering::Relaxed));
        if analyze {
            inner.analyzed.store(total, Ordering::Relaxed);
        }
        let run = Self::vacuum(Arc::clone(inner), analyze);
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(run);
            }
            Err(_) => run.await,
        }
    }

    async fn vacuum(inner: Arc<Inner>, analyze: bool) {
        /// Clears the store's "vacuum running" flag however the run ends (also when its task is
        /// dropped with the runtime).
        struct Running(Arc<Inner>);
        impl Drop for Running {
            fn drop(&mut self) {
                self.0.vacuuming.store(false, Ordering::Release);
            }
        }
        let running = Running(inner);
        let inner = &running.0;
        let statement = if analyze {
            inner.sql.vacuum_analyze.clone()
        } else {
            inner.sql.vacuum.clone()
        };
        // VACUUM cannot run inside a transaction block: send it as a simple query.
        if let Err(err) = sqlx::raw_sql(statement).execute(&inner.pool).await {
            tracing::warn!(schema = %inner.schema, error = %err, analyze, "VACUUM after bulk writes failed");
        }
    }

    /// A handle on the same pool and schema bound to `namespace`.
    pub fn with_namespace(&self, namespace: Namespace) -> Self {
        PostgresStore {
            inner: Arc::clone(&self.inner),
            namespace,
        }
    }

    /// The pool (for the application's own queries or for closing it).
    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// The schema holding the store's tables.
    pub fn schema(&self) -> &str {
        &self.inner.schema
    }

    /// Creates the schema if needed and applies the embedded migrations that are not applied yet.
    ///
    /// Applied migrations are recorded in `<schema>.persona_migrations` ([`MIGRATIONS_TABLE`]),
    /// never in sqlx's default `_sqlx_migrations`, which belongs to the application. The
    /// migrations run on a connection taken out of the pool and closed afterwards, so the
    /// `search_path` they set never reaches the application's connections. Safe to call from
    /// several processes at once (sqlx holds an advisory lock while migrating) and idempotent.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the server cannot be reached; [`Error::Backend`] when a
    /// migration fails or the recorded migrations do not match the embedded ones.
    pub async fn migrate(&self) -> Result<()> {
        let mut migrator = Migrator::with_migrations(MIGRATOR.iter().cloned().collect());
        migrator.dangerous_set_table_name(format!("{}.{MIGRATIONS_TABLE}", self.inner.quoted));
        migrator.create_schema(self.inner.quoted.clone());
        let conn = self
            .inner
            .pool
            .acquire()
            .await
            .map_err(|err| Error::from(PgError::Sql(err)))?;
        let mut conn = conn.detach();
        let outcome = async {
            sqlx::query("SELECT set_config('search_path', $1, false)")
                .bind(&self.inner.quoted)
                .execute(&mut conn)
                .await?;
            migrator.run(&mut conn).await?;
            Ok::<_, PgError>(())
        }
        .await;
        // The connection carries our search_path: close it rather than return it to the pool.
        let closed = sqlx::Connection::close(conn).await;
        outcome?;
        closed.map_err(|err| Error::from(PgError::Sql(err)))?;
        tracing::debug!(schema = %self.inner.schema, "persona postgres schema migrated");
        Ok(())
    }

    /// Drops the store's schema with every namespace's data in it. Meant for tests and tools.
    ///
    /// # Errors
    /// Backend errors.
    pub async fn drop_schema(&self) -> Result<()> {
        let statement = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.inner.quoted);
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&self.inner.pool)
            .await
            .map_err(|err| Error::from(PgError::Sql(err)))?;
        Ok(())
    }

    pub(crate) fn ns(&self) -> &str {
        self.namespace.as_str()
    }

    pub(crate) fn err(&self, err: sqlx::Error) -> Error {
        error::sql(&self.inner.schema, err)
    }
}

/// Whether a vacuum after `total` identity writes also analyzes, the last `ANALYZE` having been
/// at `analyzed` writes: at the first run, then each time the writes have doubled.
fn analyze_due(total: u64, analyzed: u64) -> bool {
    analyzed == 0 || total >= analyzed.saturating_mul(2)
}

fn check_schema(schema: &str) -> Result<()> {
    if sql::quote_schema(schema).is_some() {
        Ok(())
    } else {
        Err(Error::invalid_field(
            "schema",
            persona_core::attributes::Code::InvalidFormat,
            "must be 1-63 characters of a-z, 0-9 or '_', starting with a letter or '_', not 'pg_'",
        ))
    }
}

#[async_trait]
impl Store for PostgresStore {
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
        sqlx::query(self.inner.sql.migrated.clone())
            .execute(&self.inner.pool)
            .await
            .map_err(|err| self.err(err))?;
        Ok(Health {
            backend: BACKEND,
            namespace: self.namespace.clone(),
            latency: started.elapsed(),
        })
    }

    async fn apply(&self, batch: Batch) -> Result<Vec<AnyRecord>> {
        let result = crate::write::apply(self, &batch).await;
        let count = batch.len();
        crate::write::drop_later(batch, count);
        result
    }

    async fn get(&self, kind: Kind, id: &str) -> Result<Option<AnyRecord>> {
        crate::read::get(self, kind, id).await
    }

    async fn purge(&self, kind: Kind, id: &str, actor: &Actor) -> Result<Tombstone> {
        crate::write::purge(self, kind, id, actor).await
    }

    async fn versions(&self, kind: Kind, id: &str) -> Result<Vec<VersionInfo>> {
        crate::read::versions(self, kind, id).await
    }

    async fn version(
        &self,
        kind: Kind,
        id: &str,
        version: Version,
    ) -> Result<Option<HistoryEntry>> {
        crate::read::version(self, kind, id, version).await
    }

    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        crate::read::audit(self, query).await
    }

    async fn tombstone(&self, kind: Kind, id: &str) -> Result<Option<Tombstone>> {
        crate::read::tombstone(self, kind, id).await
    }

    async fn list(&self, kind: Kind, request: &ListRequest) -> Result<Page<AnyRecord>> {
        crate::read::list(self, kind, request).await
    }

    async fn query(&self, query: &Query) -> Result<Page<Identity>> {
        crate::query::query(self, query).await
    }

    async fn count(&self, filter: &Filter) -> Result<u64> {
        crate::query::count(self, filter).await
    }

    async fn facets(&self, filter: &Filter, facets: &[Facet]) -> Result<FacetCounts> {
        crate::query::facets(self, filter, facets).await
    }
}

#[cfg(test)]
mod tests {
    use super::analyze_due;

    #[test]
    fn analyze_runs_first_then_each_time_the_writes_double() {
        // The vacuums of a bulk load: 10,000 writes, then each fifth more.
        let mut total = 0u64;
        let mut analyzed = 0u64;
        let mut analyses = Vec::new();
        let mut vacuums = 0;
        while total < 1_000_000 {
            total += super::VACUUM_MIN_WRITES.max(total / 5);
            vacuums += 1;
            if analyze_due(total, analyzed) {
                analyzed = total;
                analyses.push(total);
            }
        }
        assert_eq!(analyses[..3], [10_000, 20_000, 40_000]);
        assert!(analyses.windows(2).all(|w| w[1] >= 2 * w[0]));
        assert!(
            analyses.len() < vacuums / 2,
            "{analyses:?} of {vacuums} vacuums"
        );
    }
}
