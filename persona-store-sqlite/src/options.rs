//! [`SqliteOptions`]: how a database is opened.

use std::time::Duration;

use persona_core::Namespace;

/// When SQLite waits for the disk (`PRAGMA synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Synchronous {
    /// Every commit is flushed to disk before it is acknowledged: an acknowledged write survives
    /// a process crash and a power loss (the default).
    #[default]
    Full,
    /// Commits reach the operating system before they are acknowledged, and disk at checkpoints:
    /// an acknowledged write survives a process crash; the last commits may be lost on power
    /// loss (the database itself stays consistent). Faster for many small writes.
    Normal,
}

impl Synchronous {
    pub(crate) fn pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

/// How [`SqliteStore::open_with`](crate::SqliteStore::open_with) opens a database.
///
/// ```
/// use std::time::Duration;
/// use persona_store_sqlite::{SqliteOptions, Synchronous};
///
/// let options = SqliteOptions::default()
///     .busy_timeout(Duration::from_secs(10))
///     .readers(2)
///     .synchronous(Synchronous::Normal);
/// assert_eq!(options.readers, 2);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// How long a statement waits for a lock held by another connection or process before it
    /// fails with a retryable error.
    pub busy_timeout: Duration,
    /// How many reader connections (each on its own thread) serve reads concurrently.
    pub readers: usize,
    /// The `synchronous` level.
    pub synchronous: Synchronous,
    /// The writer's page cache, in KiB (`PRAGMA cache_size`).
    pub cache_size_kib: i64,
    /// Each reader's page cache, in KiB.
    pub reader_cache_size_kib: i64,
    /// How many bytes of the database file each connection maps into memory
    /// (`PRAGMA mmap_size`; 0, the default, turns memory mapping off).
    pub mmap_size: i64,
    /// How many pages the write-ahead log may hold before a commit copies them into the
    /// database file (`PRAGMA wal_autocheckpoint` on the writer).
    pub checkpoint_pages: i64,
    /// The namespace the first handle is bound to.
    pub namespace: Namespace,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            busy_timeout: Duration::from_secs(5),
            readers: 4,
            synchronous: Synchronous::Full,
            cache_size_kib: 64 * 1024,
            reader_cache_size_kib: 8 * 1024,
            mmap_size: 0,
            checkpoint_pages: 10_000,
            namespace: Namespace::default(),
        }
    }
}

impl SqliteOptions {
    /// How long a statement waits for a lock held by another connection or process before it
    /// fails with a retryable error (default 5 s).
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// How many reader connections (and threads) serve reads concurrently (default 4). With 0,
    /// reads share the writer's connection.
    pub fn readers(mut self, readers: usize) -> Self {
        self.readers = readers;
        self
    }

    /// The `synchronous` level (default [`Synchronous::Full`]).
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// The writer's page cache in KiB (default 64 MiB; SQLite allocates it only as pages are
    /// read). A write touches a dozen B-trees at random positions, so a large batch needs room.
    pub fn cache_size_kib(mut self, kib: i64) -> Self {
        self.cache_size_kib = kib;
        self
    }

    /// Each reader's page cache in KiB (default 8 MiB). Pages a reader misses come from the
    /// operating system's page cache, which every connection shares.
    pub fn reader_cache_size_kib(mut self, kib: i64) -> Self {
        self.reader_cache_size_kib = kib;
        self
    }

    /// How many bytes of the file each connection maps into memory (default 0: off). Mapping
    /// saves a copy per page read, but every connection maps the file separately and each
    /// mapped page a connection touches counts in the process's resident memory once per
    /// connection: with the default four readers, scanning a large database would show up to
    /// five times the mapped size as resident. Off, the store's own memory is bounded by its
    /// page caches (64 MiB + 4 × 8 MiB by default).
    pub fn mmap_size(mut self, bytes: i64) -> Self {
        self.mmap_size = bytes;
        self
    }

    /// How many pages the write-ahead log may hold before a commit checkpoints them into the
    /// database file (default 10,000: 160 MiB with the 16 KiB pages of new databases; SQLite's
    /// own default is 1,000). Ids are random, so every identity a batch writes lands on a page
    /// of its own in the id, name and age indexes, and batches rewrite the same pages again and
    /// again. A checkpoint copies each page once however many commits changed it, so a longer
    /// log copies fewer pages: loading 200,000 identities in batches of 1,000 wrote 6.9 GB
    /// instead of 10.3 GB and read 1.7 GB instead of 5.1 GB, and ran 25–35 % faster. The price
    /// is a write-ahead log file of up to that size (after a checkpoint the file is truncated to
    /// twice the checkpoint size of 16 KiB pages, at least 64 MiB, so steady writing reuses its
    /// blocks) and a longer pause for the commit that runs the checkpoint.
    pub fn checkpoint_pages(mut self, pages: i64) -> Self {
        self.checkpoint_pages = pages;
        self
    }

    /// The namespace the first handle is bound to (default `default`).
    pub fn namespace(mut self, namespace: Namespace) -> Self {
        self.namespace = namespace;
        self
    }
}
