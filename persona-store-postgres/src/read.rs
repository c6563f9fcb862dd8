//! Reads by id: records, lists, history, audit and tombstones.

use persona_core::attributes::Timestamp;
use persona_core::query::{self, ListRequest, Page};
use persona_core::{
    Action, Actor, AnyRecord, AuditEntry, AuditQuery, HistoryEntry, Identity, Kind, Result,
    Tombstone, Version, VersionInfo,
};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::error::PgError;
use crate::sql::JsonbBytes;
use crate::store::PostgresStore;

/// The error for a stored document that does not parse.
fn unreadable(kind: Kind, id: &str) -> impl FnOnce(serde_json::Error) -> persona_core::Error + '_ {
    move |source| {
        PgError::Document {
            kind,
            id: id.to_owned(),
            source,
        }
        .into()
    }
}

/// Parses a stored document of `kind` ([`AnyRecord::from_json`]).
pub(crate) fn document(kind: Kind, id: &str, json: &[u8]) -> Result<AnyRecord> {
    AnyRecord::from_json(kind, json).map_err(unreadable(kind, id))
}

/// Parses a stored identity document ([`persona_core::record::parse_json`]).
pub(crate) fn identity_document(id: &str, json: &[u8]) -> Result<Identity> {
    persona_core::record::parse_json(json).map_err(unreadable(Kind::Identity, id))
}

pub(crate) fn version_of(value: i64) -> Result<Version> {
    u64::try_from(value)
        .map(Version)
        .map_err(|_| PgError::OutOfRange { what: "version" }.into())
}

pub(crate) fn action_of(value: &str) -> Result<Action> {
    Action::parse(value).ok_or_else(|| PgError::OutOfRange { what: "action" }.into())
}

pub(crate) fn kind_of(value: &str) -> Result<Kind> {
    Kind::ALL
        .into_iter()
        .find(|kind| kind.as_str() == value)
        .ok_or_else(|| PgError::OutOfRange { what: "kind" }.into())
}

fn db_version(version: Version) -> i64 {
    i64::try_from(version.get()).unwrap_or(i64::MAX)
}

pub(crate) async fn get(store: &PostgresStore, kind: Kind, id: &str) -> Result<Option<AnyRecord>> {
    let row = sqlx::query(store.inner.sql.kind(kind).get.clone())
        .bind(store.ns())
        .bind(id)
        .fetch_optional(&store.inner.pool)
        .await
        .map_err(|err| store.err(err))?;
    match row {
        None => Ok(None),
        Some(row) => {
            let json: JsonbBytes<'_> = row.try_get(0).map_err(|err| store.err(err))?;
            document(kind, id, json.0).map(Some)
        }
    }
}

pub(crate) async fn list(
    store: &PostgresStore,
    kind: Kind,
    request: &ListRequest,
) -> Result<Page<AnyRecord>> {
    let after = request.start_after(&store.namespace)?.unwrap_or_default();
    let fetch = i64::try_from(request.limit + 1).unwrap_or(i64::MAX);
    let rows = sqlx::query(store.inner.sql.kind(kind).list.clone())
        .bind(store.ns())
        .bind(&after)
        .bind(fetch)
        .fetch_all(&store.inner.pool)
        .await
        .map_err(|err| store.err(err))?;
    let mut items = Vec::with_capacity(rows.len().min(request.limit));
    for row in rows.iter().take(request.limit) {
        let id: &str = row.try_get(0).map_err(|err| store.err(err))?;
        let json: JsonbBytes<'_> = row.try_get(1).map_err(|err| store.err(err))?;
        items.push(document(kind, id, json.0)?);
    }
    let next = if rows.len() > request.limit {
        items
            .last()
            .map(|last| query::list_cursor(&store.namespace, last.id_str()))
    } else {
        None
    };
    Ok(Page { items, next })
}

fn version_info(store: &PostgresStore, row: &PgRow) -> Result<VersionInfo> {
    let get_err = |err| store.err(err);
    let version: i64 = row.try_get(0).map_err(get_err)?;
    let action: &str = row.try_get(1).map_err(get_err)?;
    let actor: &str = row.try_get(2).map_err(get_err)?;
    let at: i64 = row.try_get(3).map_err(get_err)?;
    let deleted: bool = row.try_get(4).map_err(get_err)?;
    Ok(VersionInfo {
        version: version_of(version)?,
        action: action_of(action)?,
        actor: Actor::new(actor),
        at: Timestamp::from_unix_nanos(at),
        deleted,
    })
}

pub(crate) async fn versions(
    store: &PostgresStore,
    kind: Kind,
    id: &str,
) -> Result<Vec<VersionInfo>> {
    let rows = sqlx::query(store.inner.sql.kind(kind).versions.clone())
        .bind(store.ns())
        .bind(kind.as_str())
        .bind(id)
        .fetch_all(&store.inner.pool)
        .await
        .map_err(|err| store.err(err))?;
    rows.iter().map(|row| version_info(store, row)).collect()
}

pub(crate) async fn version(
    store: &PostgresStore,
    kind: Kind,
    id: &str,
    version: Version,
) -> Result<Option<HistoryEntry>> {
    let row = sqlx::query(store.inner.sql.kind(kind).version.clone())
        .bind(store.ns())
        .bind(kind.as_str())
        .bind(id)
        .bind(db_version(version))
        .fetch_optional(&store.inner.pool)
        .await
        .map_err(|err| store.err(err))?;
    let Some(row) = row else {
        return Ok(None);
    };
    let info = version_info(store, &row)?;
    let json: JsonbBytes<'_> = row.try_get(5).map_err(|err| store.err(err))?;
    let record = document(kind, id, json.0)?;
    Ok(Some(HistoryEntry { info, record }))
}

pub(crate) async fn audit(store: &PostgresStore, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
    let after = query
        .after_seq
        .map_or(0, |seq| i64::try_from(seq).unwrap_or(i64::MAX));
    let limit = query.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
    let rows = sqlx::query(store.inner.sql.audit.clone())
        .bind(store.ns())
        .bind(query.kind.map(Kind::as_str))
        .bind(query.id.as_deref())
        .bind(after)
        .bind(limit)
        .fetch_all(&store.inner.pool)
        .await
        .map_err(|err| store.err(err))?;
    rows.iter()
        .map(|row| {
            let get_err = |err| store.err(err);
            let seq: i64 = row.try_get(0).map_err(get_err)?;
            let at: i64 = row.try_get(1).map_err(get_err)?;
            let actor: &str = row.try_get(2).map_err(get_err)?;
            let action: &str = row.try_get(3).map_err(get_err)?;
            let kind: &str = row.try_get(4).map_err(get_err)?;
            let id: String = row.try_get(5).map_err(get_err)?;
            let version: i64 = row.try_get(6).map_err(get_err)?;
            let label: Option<String> = row.try_get(7).map_err(get_err)?;
            Ok(AuditEntry {
                seq: u64::try_from(seq).map_err(|_| PgError::OutOfRange { what: "audit seq" })?,
                at: Timestamp::from_unix_nanos(at),
                actor: Actor::new(actor),
                action: action_of(action)?,
                kind: kind_of(kind)?,
                id,
                version: version_of(version)?,
                label,
            })
        })
        .collect()
}

pub(crate) async fn tombstone(
    store: &PostgresStore,
    kind: Kind,
    id: &str,
) -> Result<Option<Tombstone>> {
    let row = sqlx::query(store.inner.sql.tombstone.clone())
        .bind(store.ns())
        .bind(kind.as_str())
        .bind(id)
        .fetch_optional(&store.inner.pool)
        .await
        .map_err(|err| store.err(err))?;
    let Some(row) = row else {
        return Ok(None);
    };
    let get_err = |err| store.err(err);
    let last: i64 = row.try_get(0).map_err(get_err)?;
    let purged_at: i64 = row.try_get(1).map_err(get_err)?;
    let actor: &str = row.try_get(2).map_err(get_err)?;
    Ok(Some(Tombstone {
        kind,
        id: id.to_owned(),
        last_version: version_of(last)?,
        purged_at: Timestamp::from_unix_nanos(purged_at),
        actor: Actor::new(actor),
    }))
}

/// Converts a version for binding.
pub(crate) fn bind_version(version: Version) -> i64 {
    db_version(version)
}
