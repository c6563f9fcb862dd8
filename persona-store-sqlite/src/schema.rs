//! Connection setup and the embedded schema migrations, versioned by `PRAGMA user_version`.

use std::path::Path;

use persona_core::Result;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::{Db, SqliteError};
use crate::options::SqliteOptions;

/// `PRAGMA application_id` of a persona database: "PSNA".
pub(crate) const APPLICATION_ID: i32 = 0x5053_4e41;

/// The migrations, in order; migration `n` (1-based) brings `user_version` from `n - 1` to `n`.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_facet_counts.sql"),
    include_str!("../migrations/0003_document_deleted.sql"),
];

/// The schema version that added `facet_counts`, which its migration fills from the records.
const FACET_COUNTS: usize = 2;

/// The schema version this crate writes.
pub(crate) const LATEST: i64 = MIGRATIONS.len() as i64;

/// Tables a database of the latest version must have.
const TABLES: &[&str] = &[
    "records",
    "documents",
    "history",
    "audit",
    "tombstones",
    "identity_tags",
    "identity_fts",
    "facet_counts",
];

const STATEMENT_CACHE: usize = 128;

/// The page size of new databases. A document is about 3 KB: a 4 KiB or 8 KiB page leaves a
/// third of itself empty next to one or two of them, a 16 KiB page holds five with an eighth
/// spare. Measured on a 10,000-identity batch, the commit (WAL write, fsync, checkpoint) took
/// 350 ms with 4 KiB pages, 250 ms with 8 KiB and 170 ms with 16 KiB. The price: a small write
/// logs a whole page for every page it touches (a dozen per identity), so single writes log more
/// bytes per fsync.
const PAGE_SIZE: i64 = 16384;

/// The size the writer truncates the WAL file back to after a checkpoint (`journal_size_limit`):
/// twice the log a checkpoint waits for, at least 64 MiB. Below what steady writing reaches,
/// every checkpoint cycle truncated the file and then grew it again block by block: loading
/// 400,000 identities in batches of 1,000 took 47–54 s with a 64 MiB limit and 40–44 s with
/// none (same bytes written; the difference is the truncation and the file system allocating
/// the WAL's blocks again). Twice the checkpoint size keeps that gain and still cuts back the
/// file after one very large batch.
fn wal_size_limit(options: &SqliteOptions) -> i64 {
    options
        .checkpoint_pages
        .saturating_mul(2 * PAGE_SIZE)
        .max(64 * 1024 * 1024)
}

fn configure(connection: &Connection, options: &SqliteOptions, cache_kib: i64) -> Result<()> {
    connection.busy_timeout(options.busy_timeout).db()?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    connection.pragma_update(None, "foreign_keys", "ON").db()?;
    connection
        .pragma_update(None, "synchronous", options.synchronous.pragma())
        .db()?;
    // Negative: KiB. A write touches a dozen B-trees at random positions (ids are random); with
    // SQLite's 2 MiB default a large batch thrashes the cache.
    connection
        .pragma_update(None, "cache_size", -cache_kib)
        .db()?;
    connection
        .pragma_update(None, "temp_store", "MEMORY")
        .db()?;
    // Off by default (see `SqliteOptions::mmap_size`): pages a connection's cache misses are read
    // from the OS page cache every connection shares, so a reader that has not served a query yet
    // is not cold either way.
    connection
        .pragma_update(None, "mmap_size", options.mmap_size)
        .db()?;
    Ok(())
}

/// Opens the writer connection of a file database: WAL, foreign keys, busy timeout, migrations.
pub(crate) fn open_writer(path: &Path, options: &SqliteOptions) -> Result<Connection> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .db()?;
    connection.busy_timeout(options.busy_timeout).db()?;
    // Check the file is ours before changing anything in it (journal_mode writes the header).
    check_identity(&connection)?;
    // Only a new file takes it (an existing one keeps the page size it was created with).
    connection
        .pragma_update(None, "page_size", PAGE_SIZE)
        .db()?;
    let mode: String = connection
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .db()?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(SqliteError::Schema(format!(
            "could not switch the database to WAL (journal mode is {mode})"
        ))
        .into());
    }
    configure(&connection, options, options.cache_size_kib)?;
    // Only the writer commits, so only its settings matter (see `checkpoint_pages`).
    connection
        .pragma_update(None, "wal_autocheckpoint", options.checkpoint_pages)
        .db()?;
    connection
        .pragma_update(None, "journal_size_limit", wal_size_limit(options))
        .db()?;
    let mut connection = connection;
    migrate(&mut connection)?;
    Ok(connection)
}

/// Opens a reader connection of a file database the writer has already set up.
pub(crate) fn open_reader(path: &Path, options: &SqliteOptions) -> Result<Connection> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .db()?;
    configure(&connection, options, options.reader_cache_size_kib)?;
    // Readers never write; query_only makes a bug that tries a hard error.
    connection.pragma_update(None, "query_only", "ON").db()?;
    Ok(connection)
}

/// Opens a private in-memory database with the schema applied.
pub(crate) fn open_memory(options: &SqliteOptions) -> Result<Connection> {
    let mut connection = Connection::open_in_memory().db()?;
    connection
        .pragma_update(None, "page_size", PAGE_SIZE)
        .db()?;
    configure(&connection, options, options.cache_size_kib)?;
    migrate(&mut connection)?;
    Ok(connection)
}

fn pragma_i64(connection: &Connection, name: &str) -> Result<i64> {
    connection
        .pragma_query_value(None, name, |row| row.get(0))
        .db()
}

/// Fails unless the database is empty or a persona database no newer than this crate.
fn check_identity(connection: &Connection) -> Result<()> {
    let version = pragma_i64(connection, "user_version")?;
    let application = pragma_i64(connection, "application_id")?;
    if version > LATEST {
        return Err(SqliteError::Schema(format!(
            "database schema version {version} is newer than the versions this crate knows \
             (up to {LATEST}); upgrade persona-store-sqlite"
        ))
        .into());
    }
    let tables: i64 = connection
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .db()?;
    let empty = version == 0 && application == 0 && tables == 0;
    if !empty && application != i64::from(APPLICATION_ID) {
        return Err(SqliteError::Schema(
            "not a persona database: it holds tables this crate did not create \
             (application_id does not match)"
                .to_owned(),
        )
        .into());
    }
    Ok(())
}

/// Applies the migrations the database lacks, each with its version bump, in one transaction
/// that also re-checks the version (another process may be migrating at the same time).
fn migrate(connection: &mut Connection) -> Result<()> {
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .db()?;
    check_identity(&tx)?;
    let version = pragma_i64(&tx, "user_version")?;
    let from = usize::try_from(version).unwrap_or(0);
    if from < MIGRATIONS.len() {
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(from) {
            tx.execute_batch(migration).db()?;
            if index + 1 == FACET_COUNTS {
                crate::facets::backfill(&tx)?;
            }
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .db()?;
        tx.pragma_update(None, "user_version", LATEST).db()?;
    }
    for table in TABLES {
        let present: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1)",
                [table],
                |row| row.get(0),
            )
            .db()?;
        if !present {
            return Err(SqliteError::Schema(format!(
                "not a persona database of schema version {LATEST}: table {table} is missing"
            ))
            .into());
        }
    }
    tx.commit().db()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_checkpoints_at_the_configured_log_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.db");
        // Default: 10,000 pages, and the file kept up to twice that (312.5 MiB) after a
        // checkpoint; a short log keeps the 64 MiB floor.
        for (pages, limit) in [
            (
                SqliteOptions::default().checkpoint_pages,
                2 * 10_000 * 16_384,
            ),
            (1234, 64 * 1024 * 1024),
            (0, 64 * 1024 * 1024),
        ] {
            let options = SqliteOptions::default().checkpoint_pages(pages);
            let writer = open_writer(&path, &options).unwrap();
            assert_eq!(pragma_i64(&writer, "wal_autocheckpoint").unwrap(), pages);
            assert_eq!(pragma_i64(&writer, "journal_size_limit").unwrap(), limit);
        }
    }
}
