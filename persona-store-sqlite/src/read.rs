//! Reads: records, history, audit, and identity queries compiled to SQL.

use std::collections::BTreeMap;

use persona_core::attributes::Timestamp;
use persona_core::query::{self, IndexFields, SortValue, TimeRange};
use persona_core::{
    Action, Actor, AnyRecord, AuditEntry, AuditQuery, Cursor, Direction, Facet, FacetCounts,
    Filter, HistoryEntry, Identity, Kind, ListRequest, Namespace, Page, Query, Result, SortKey,
    Tombstone, Version, VersionInfo,
};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use crate::error::{Db, SqliteError};

pub(crate) fn version_param(version: Version) -> i64 {
    i64::try_from(version.get()).unwrap_or(i64::MAX)
}

pub(crate) fn version_value(value: i64) -> Result<Version> {
    u64::try_from(value)
        .map(Version)
        .map_err(|_| SqliteError::Value(format!("stored version {value} is negative")).into())
}

fn kind_value(value: &str) -> Result<Kind> {
    Kind::ALL
        .into_iter()
        .find(|kind| kind.as_str() == value)
        .ok_or_else(|| SqliteError::Value("stored record kind is unknown".to_owned()).into())
}

fn action_value(value: &str) -> Result<Action> {
    Action::parse(value)
        .ok_or_else(|| SqliteError::Value("stored audit action is unknown".to_owned()).into())
}

/// The error for a stored document that does not parse.
fn unreadable(kind: Kind, id: &str) -> impl FnOnce(serde_json::Error) -> persona_core::Error + '_ {
    move |source| {
        SqliteError::Document {
            kind,
            id: id.to_owned(),
            source,
        }
        .into()
    }
}

/// Parses a stored document of `kind` ([`AnyRecord::from_json`]).
fn document(kind: Kind, id: &str, bytes: &[u8]) -> Result<AnyRecord> {
    AnyRecord::from_json(kind, bytes).map_err(unreadable(kind, id))
}

/// Parses a stored identity document ([`persona_core::record::parse_json`]).
fn identity_document(id: &str, bytes: &[u8]) -> Result<Identity> {
    persona_core::record::parse_json(bytes).map_err(unreadable(Kind::Identity, id))
}

/// The document in column `index`; a record without one is corrupt.
fn bytes<'r>(row: &'r Row<'_>, index: usize) -> Result<&'r [u8]> {
    row.get_ref(index)
        .db()?
        .as_bytes_or_null()
        .db()?
        .ok_or_else(|| SqliteError::Value("a stored record has no document".to_owned()).into())
}

/// A stored record (live or soft-deleted) with its row number.
pub(crate) struct Stored {
    pub(crate) rid: i64,
    pub(crate) version: Version,
    pub(crate) record: AnyRecord,
    pub(crate) deleted: bool,
}

/// The stored record (live or soft-deleted), its row number and its deleted flag.
pub(crate) fn load(
    connection: &Connection,
    ns: &str,
    kind: Kind,
    id: &str,
) -> Result<Option<Stored>> {
    let mut statement = connection
        .prepare_cached(
            "SELECT r.rid, r.deleted, r.version, d.doc FROM records r \
             LEFT JOIN documents d ON d.rid = r.rid \
             WHERE r.ns = ?1 AND r.kind = ?2 AND r.id = ?3",
        )
        .db()?;
    let mut rows = statement.query([ns, kind.as_str(), id]).db()?;
    let Some(row) = rows.next().db()? else {
        return Ok(None);
    };
    Ok(Some(Stored {
        rid: row.get(0).db()?,
        deleted: row.get(1).db()?,
        version: version_value(row.get(2).db()?)?,
        record: document(kind, id, bytes(row, 3)?)?,
    }))
}

/// A `LIMIT` written into the SQL text rather than bound: SQLite's planner reads a bound
/// `LIMIT ?` and marks the statement for a fresh prepare every time the parameter is bound (a
/// third of a millisecond for the identity query), while a literal keeps one cached statement per
/// page size.
fn limit_literal(limit: impl TryInto<i64>) -> i64 {
    limit.try_into().unwrap_or(i64::MAX)
}

/// The live record, if any.
pub(crate) fn get(
    connection: &Connection,
    ns: &str,
    kind: Kind,
    id: &str,
) -> Result<Option<AnyRecord>> {
    let mut statement = connection
        .prepare_cached(
            // The row number comes from `records_key` alone; the flag and the document from
            // `documents` (migration 3): two B-trees per read.
            "SELECT d.doc FROM documents d WHERE d.rid = \
             (SELECT r.rid FROM records r WHERE r.ns = ?1 AND r.kind = ?2 AND r.id = ?3) \
             AND d.deleted = 0",
        )
        .db()?;
    let mut rows = statement.query([ns, kind.as_str(), id]).db()?;
    match rows.next().db()? {
        Some(row) => Ok(Some(document(kind, id, bytes(row, 0)?)?)),
        None => Ok(None),
    }
}

/// A page of live records in id order.
pub(crate) fn list(
    connection: &Connection,
    namespace: &Namespace,
    kind: Kind,
    request: &ListRequest,
) -> Result<Page<AnyRecord>> {
    let after = request.start_after(namespace)?;
    let mut statement = connection
        .prepare_cached(&format!(
            "SELECT r.id, d.doc FROM records r LEFT JOIN documents d ON d.rid = r.rid \
             WHERE r.ns = ?1 AND r.kind = ?2 AND r.id > ?3 AND r.deleted = 0 \
             ORDER BY r.id LIMIT {}",
            limit_literal(request.limit + 1)
        ))
        .db()?;
    let mut rows = statement
        .query(params![
            namespace.as_str(),
            kind.as_str(),
            after.as_deref().unwrap_or("")
        ])
        .db()?;
    let mut items = Vec::new();
    while let Some(row) = rows.next().db()? {
        let id = row.get_ref(0).db()?.as_str().db()?;
        items.push(document(kind, id, bytes(row, 1)?)?);
    }
    let next = if items.len() > request.limit {
        items.truncate(request.limit);
        items
            .last()
            .map(|last| query::list_cursor(namespace, last.id_str()))
    } else {
        None
    };
    Ok(Page { items, next })
}

fn version_info(row: &Row<'_>) -> Result<VersionInfo> {
    Ok(VersionInfo {
        version: version_value(row.get(0).db()?)?,
        action: action_value(row.get_ref(1).db()?.as_str().db()?)?,
        actor: Actor::new(row.get::<_, String>(2).db()?),
        at: Timestamp::from_unix_nanos(row.get(3).db()?),
        deleted: row.get(4).db()?,
    })
}

/// Every version of a record, oldest first: the superseded ones from `history`, the current one
/// from `records`.
pub(crate) fn versions(
    connection: &Connection,
    ns: &str,
    kind: Kind,
    id: &str,
) -> Result<Vec<VersionInfo>> {
    let mut statement = connection
        .prepare_cached(
            "SELECT h.version, h.action, h.actor, h.at, h.deleted \
             FROM records r JOIN history h ON h.rid = r.rid \
             WHERE r.ns = ?1 AND r.kind = ?2 AND r.id = ?3 \
             UNION ALL \
             SELECT version, action, actor, at, deleted FROM records \
             WHERE ns = ?1 AND kind = ?2 AND id = ?3 \
             ORDER BY 1",
        )
        .db()?;
    let mut rows = statement.query([ns, kind.as_str(), id]).db()?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().db()? {
        out.push(version_info(row)?);
    }
    Ok(out)
}

/// One version of a record with its content.
pub(crate) fn version(
    connection: &Connection,
    ns: &str,
    kind: Kind,
    id: &str,
    version: Version,
) -> Result<Option<HistoryEntry>> {
    let mut statement = connection
        .prepare_cached(
            "SELECT r.version, r.action, r.actor, r.at, r.deleted, d.doc \
             FROM records r LEFT JOIN documents d ON d.rid = r.rid \
             WHERE r.ns = ?1 AND r.kind = ?2 AND r.id = ?3 AND r.version = ?4 \
             UNION ALL \
             SELECT h.version, h.action, h.actor, h.at, h.deleted, h.doc \
             FROM records r JOIN history h ON h.rid = r.rid AND h.version = ?4 \
             WHERE r.ns = ?1 AND r.kind = ?2 AND r.id = ?3",
        )
        .db()?;
    let mut rows = statement
        .query(params![ns, kind.as_str(), id, version_param(version)])
        .db()?;
    match rows.next().db()? {
        Some(row) => Ok(Some(HistoryEntry {
            info: version_info(row)?,
            record: document(kind, id, bytes(row, 5)?)?,
        })),
        None => Ok(None),
    }
}

/// Audit entries, oldest first.
pub(crate) fn audit(
    connection: &Connection,
    ns: &str,
    query: &AuditQuery,
) -> Result<Vec<AuditEntry>> {
    let mut sql = String::from(
        "SELECT seq, at, actor, action, kind, id, version, label FROM audit WHERE ns = ?",
    );
    let mut values = vec![Value::Text(ns.to_owned())];
    if let Some(kind) = query.kind {
        sql.push_str(" AND kind = ?");
        values.push(Value::Text(kind.as_str().to_owned()));
    }
    if let Some(id) = &query.id {
        sql.push_str(" AND id = ?");
        values.push(Value::Text(id.clone()));
    }
    if let Some(after) = query.after_seq {
        sql.push_str(" AND seq > ?");
        values.push(Value::Integer(i64::try_from(after).unwrap_or(i64::MAX)));
    }
    sql.push_str(" ORDER BY seq");
    if let Some(limit) = query.limit {
        sql.push_str(&format!(" LIMIT {}", limit_literal(limit)));
    }
    let mut statement = connection.prepare_cached(&sql).db()?;
    let mut rows = statement.query(params_from_iter(values)).db()?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().db()? {
        let seq: i64 = row.get(0).db()?;
        out.push(AuditEntry {
            seq: u64::try_from(seq)
                .map_err(|_| SqliteError::Value("stored audit seq is negative".to_owned()))?,
            at: Timestamp::from_unix_nanos(row.get(1).db()?),
            actor: Actor::new(row.get::<_, String>(2).db()?),
            action: action_value(row.get_ref(3).db()?.as_str().db()?)?,
            kind: kind_value(row.get_ref(4).db()?.as_str().db()?)?,
            id: row.get(5).db()?,
            version: version_value(row.get(6).db()?)?,
            label: row.get(7).db()?,
        });
    }
    Ok(out)
}

/// The tombstone of a purged record.
pub(crate) fn tombstone(
    connection: &Connection,
    ns: &str,
    kind: Kind,
    id: &str,
) -> Result<Option<Tombstone>> {
    let row = connection
        .prepare_cached(
            "SELECT last_version, purged_at, actor FROM tombstones \
             WHERE ns = ?1 AND kind = ?2 AND id = ?3",
        )
        .db()?
        .query_row([ns, kind.as_str(), id], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
            ))
        })
        .optional()
        .db()?;
    row.map(|(last, purged_at, actor)| {
        Ok(Tombstone {
            kind,
            id: id.to_owned(),
            last_version: version_value(last)?,
            purged_at: Timestamp::from_unix_nanos(purged_at),
            actor: Actor::new(actor),
        })
    })
    .transpose()
}

/// A filter compiled to a `WHERE` clause over the live identity rows `records i`, with its
/// parameters in order.
struct Compiled {
    sql: String,
    values: Vec<Value>,
}

impl Compiled {
    fn clause(&mut self, sql: &str) {
        self.sql.push_str(" AND ");
        self.sql.push_str(sql);
    }

    fn text(&mut self, value: &str) {
        self.values.push(Value::Text(value.to_owned()));
    }

    /// `column IN (?, …)` over `values`, when there are any.
    fn one_of<'a>(&mut self, column: &str, values: impl IntoIterator<Item = &'a str>) {
        let start = self.values.len();
        for value in values {
            self.text(value);
        }
        let count = self.values.len() - start;
        if count > 0 {
            let marks = vec!["?"; count].join(", ");
            self.clause(&format!("{column} IN ({marks})"));
        }
    }

    fn time(&mut self, column: &str, range: &TimeRange) {
        if let Some(from) = range.from {
            self.clause(&format!("{column} >= ?"));
            self.values.push(Value::Integer(from.unix_nanos()));
        }
        if let Some(to) = range.to {
            self.clause(&format!("{column} < ?"));
            self.values.push(Value::Integer(to.unix_nanos()));
        }
    }
}

const TRAIT_COLUMNS: [&str; 5] = [
    "i.openness",
    "i.conscientiousness",
    "i.extraversion",
    "i.agreeableness",
    "i.neuroticism",
];

/// Compiles `filter` with the semantics of [`persona_core::query::Matcher`].
fn compile(filter: &Filter, ns: &str) -> Compiled {
    let mut c = Compiled {
        sql: "i.ns = ? AND i.live = 1".to_owned(),
        values: vec![Value::Text(ns.to_owned())],
    };
    c.one_of(
        "i.persona_ref",
        filter.persona_ids.iter().map(|p| p.as_str()),
    );
    if let Some(active) = filter.active {
        c.clause("i.active = ?");
        c.values.push(Value::Integer(i64::from(active)));
    }
    let tag_exists =
        "EXISTS (SELECT 1 FROM identity_tags t WHERE t.ns = i.ns AND t.rid = i.rid AND ";
    if !filter.tags_any.is_empty() {
        for tag in &filter.tags_any {
            c.text(tag);
        }
        let marks = vec!["?"; filter.tags_any.len()].join(", ");
        c.clause(&format!("{tag_exists}t.tag IN ({marks}))"));
    }
    for tag in &filter.tags_all {
        c.clause(&format!("{tag_exists}t.tag = ?)"));
        c.text(tag);
    }
    let words = query::query_words(filter);
    if !words.is_empty() {
        let expression = words
            .iter()
            .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" AND ");
        c.clause("i.rid IN (SELECT rowid FROM identity_fts WHERE identity_fts MATCH ?)");
        c.values.push(Value::Text(expression));
    }
    if let Some(min) = filter.age_min {
        c.clause("i.age >= ?");
        c.values.push(Value::Integer(i64::from(min)));
    }
    if let Some(max) = filter.age_max {
        c.clause("i.age <= ?");
        c.values.push(Value::Integer(i64::from(max)));
    }
    let folded = |values: &[String]| -> Vec<String> {
        values.iter().filter_map(|v| query::fold(v)).collect()
    };
    c.one_of("i.gender", filter.genders.iter().map(String::as_str));
    c.one_of(
        "i.country",
        folded(&filter.countries).iter().map(String::as_str),
    );
    c.one_of(
        "i.region",
        folded(&filter.regions).iter().map(String::as_str),
    );
    c.one_of("i.city", folded(&filter.cities).iter().map(String::as_str));
    c.one_of("i.education", filter.educations.iter().map(String::as_str));
    c.one_of(
        "i.occupation",
        folded(&filter.occupations).iter().map(String::as_str),
    );
    c.one_of(
        "i.political_leaning",
        filter.political_leanings.iter().map(String::as_str),
    );
    for range in &filter.traits {
        let column = TRAIT_COLUMNS[query::trait_index(range.which)];
        c.clause(&format!("{column} IS NOT NULL"));
        if let Some(min) = range.min {
            c.clause(&format!("{column} >= ?"));
            c.values.push(Value::Real(min));
        }
        if let Some(max) = range.max {
            c.clause(&format!("{column} <= ?"));
            c.values.push(Value::Real(max));
        }
    }
    c.time("i.created_at", &filter.created);
    c.time("i.updated_at", &filter.updated);
    c
}

fn sort_column(key: SortKey) -> &'static str {
    match key {
        SortKey::Created => "i.created_at",
        SortKey::Updated => "i.updated_at",
        SortKey::Name => "i.name",
        SortKey::Age => "i.sort_age",
    }
}

/// A page of identities with the semantics of [`persona_core::query::evaluate`].
pub(crate) fn query(
    connection: &Connection,
    namespace: &Namespace,
    query: &Query,
) -> Result<Page<Identity>> {
    query.check(namespace)?;
    let after = query
        .cursor
        .as_ref()
        .map(|cursor: &Cursor| cursor.decode(namespace))
        .transpose()?;
    let mut c = compile(&query.filter, namespace.as_str());
    let column = sort_column(query.sort);
    let (op, order) = match query.direction {
        Direction::Asc => (">", "ASC"),
        Direction::Desc => ("<", "DESC"),
    };
    if let Some(after) = after {
        c.clause(&format!("({column}, i.id) {op} (?, ?)"));
        c.values.push(match after.value {
            SortValue::Int(value) => Value::Integer(value),
            SortValue::Text(value) => Value::Text(value),
        });
        c.values.push(Value::Text(after.id));
    }
    // The page is chosen on index entries first (the filter and sort columns); only the rows of
    // the page are then read for their documents, so a filter matching thousands of identities
    // never drags their documents through the sorter.
    let sql = format!(
        "WITH page AS MATERIALIZED ( \
             SELECT i.rid, i.id, {column} AS sort FROM records i \
             WHERE {} ORDER BY {column} {order}, i.id {order} LIMIT {}) \
         SELECT page.id, d.doc FROM page CROSS JOIN documents d ON d.rid = page.rid \
         ORDER BY page.sort {order}, page.id {order}",
        c.sql,
        limit_literal(query.limit + 1)
    );
    let tx = connection.unchecked_transaction().db()?;
    let mut items = Vec::with_capacity(query.limit.min(64));
    let mut more = false;
    {
        let mut statement = tx.prepare_cached(&sql).db()?;
        let mut rows = statement.query(params_from_iter(c.values)).db()?;
        while let Some(row) = rows.next().db()? {
            if items.len() == query.limit {
                // The row past the page only says that there is a next page: not parsed.
                more = true;
                break;
            }
            let id = row.get_ref(0).db()?.as_str().db()?;
            items.push(identity_document(id, bytes(row, 1)?)?);
        }
    }
    tx.finish().db()?;
    let next = if more {
        items.last().map(|last| {
            query::next_cursor(query, namespace, &IndexFields::of(last), last.id.as_str())
        })
    } else {
        None
    };
    Ok(Page { items, next })
}

/// How many live identities match.
pub(crate) fn count(connection: &Connection, ns: &str, filter: &Filter) -> Result<u64> {
    if *filter == Filter::default() {
        return crate::facets::live(connection, ns);
    }
    let c = compile(filter, ns);
    let sql = format!("SELECT count(*) FROM records i WHERE {}", c.sql);
    let count: i64 = connection
        .prepare_cached(&sql)
        .db()?
        .query_row(params_from_iter(c.values), |row| row.get(0))
        .db()?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Facet counts with the semantics of [`persona_core::query::count_facets`]: a whole namespace
/// from the counts kept on write, a filtered set by one pass over the matching rows.
pub(crate) fn facets(
    connection: &Connection,
    ns: &str,
    filter: &Filter,
    facets: &[Facet],
) -> Result<FacetCounts> {
    if *filter == Filter::default() {
        return crate::facets::read(connection, ns, facets);
    }
    let mut counts: FacetCounts = facets.iter().map(|f| (*f, BTreeMap::new())).collect();
    if facets.is_empty() {
        return Ok(counts);
    }
    // One pass over the matching rows for every facet (one `GROUP BY` per facet read the rows
    // once per facet).
    let c = compile(filter, ns);
    let sql = format!(
        "SELECT {} FROM records i WHERE {}",
        crate::facets::COLUMNS,
        c.sql
    );
    let mut statement = connection.prepare_cached(&sql).db()?;
    let mut rows = statement.query(params_from_iter(c.values.iter())).db()?;
    while let Some(row) = rows.next().db()? {
        let values = crate::facets::Values::from_row(row, 0)?;
        for facet in facets {
            if let Some(value) = values.value(*facet) {
                let entry = counts.entry(*facet).or_default();
                match entry.get_mut(value) {
                    Some(n) => *n += 1,
                    None => {
                        entry.insert(value.to_owned(), 1);
                    }
                }
            }
        }
    }
    drop(rows);
    drop(statement);
    Ok(counts)
}
