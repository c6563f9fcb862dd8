//! Identity queries, counts and facets, as SQL over the extracted query columns.
//!
//! Statements are assembled from static fragments only; every value is a bind parameter. A filter
//! field adds its condition only when it constrains (as in [`Matcher`]); every exact-match field
//! goes into one `tsquery` ([`terms`](crate::terms)). The statements are unnamed
//! (`persistent(false)`), so Postgres plans each with its values: a cached generic plan cannot
//! see how selective a `tsquery` is and picks a GIN bitmap scan for values that match a quarter of
//! the table, which a custom plan answers by walking the sort index instead.
//!
//! [`Matcher`]: persona_core::query::Matcher

use futures::TryStreamExt;
use persona_core::query::{
    self, Cursor, Direction, Facet, FacetCounts, Filter, IndexFields, Page, Position, Query,
    SortKey, SortValue,
};
use persona_core::{Identity, Result};
use sqlx::{Postgres, QueryBuilder, Row};

use crate::read::identity_document;
use crate::sql::JsonbBytes;
use crate::store::PostgresStore;
use crate::terms;

const TRAIT_COLUMNS: [&str; 5] = [
    "openness",
    "conscientiousness",
    "extraversion",
    "agreeableness",
    "neuroticism",
];

/// `SELECT <columns> FROM <schema>.identities WHERE ns = $1 AND NOT deleted` plus the filter.
fn select(store: &PostgresStore, columns: &str, filter: &Filter) -> QueryBuilder<Postgres> {
    select_after(store, "", columns, filter)
}

/// [`select`] after the SQL text `before` (which binds nothing).
fn select_after(
    store: &PostgresStore,
    before: &str,
    columns: &str,
    filter: &Filter,
) -> QueryBuilder<Postgres> {
    let mut sql = QueryBuilder::new(before);
    sql.push("SELECT ")
        .push(columns)
        .push(" FROM ")
        .push(&store.inner.quoted)
        .push(".identities WHERE ns = ")
        .push_bind(store.ns().to_owned())
        .push(" AND NOT deleted");
    push_filter(&mut sql, filter);
    sql
}

fn push_filter(sql: &mut QueryBuilder<Postgres>, filter: &Filter) {
    // Cheap column comparisons first: Postgres evaluates filter conditions of equal estimated
    // cost in the order written, and the tsquery match (last) is the dearest.
    // Age ranges compare `sort_age` (the age, or -1 without one), which the `(ns, sort_age, id)`
    // index holds and the covering country index carries, so a narrow range can be answered
    // from either index instead of reading table rows. Stored ages are never negative
    // (validation), so `sort_age >= max(min, 0)` leaves out exactly the rows without an age, as
    // `age >= min AND age <= max` would.
    if filter.age_min.is_some() || filter.age_max.is_some() {
        sql.push(" AND sort_age >= ")
            .push_bind(filter.age_min.unwrap_or(0).max(0));
        if let Some(max) = filter.age_max {
            sql.push(" AND sort_age <= ").push_bind(max);
        }
    }
    for range in &filter.traits {
        let column = TRAIT_COLUMNS[query::trait_index(range.which)];
        match (range.min, range.max) {
            (None, None) => {
                sql.push(" AND ").push(column).push(" IS NOT NULL");
            }
            (min, max) => {
                if let Some(min) = min {
                    sql.push(" AND ").push(column).push(" >= ").push_bind(min);
                }
                if let Some(max) = max {
                    sql.push(" AND ").push(column).push(" <= ").push_bind(max);
                }
            }
        }
    }
    for (column, range) in [
        ("created_at", &filter.created),
        ("updated_at", &filter.updated),
    ] {
        if let Some(from) = range.from {
            sql.push(" AND ")
                .push(column)
                .push(" >= ")
                .push_bind(from.unix_nanos());
        }
        if let Some(to) = range.to {
            sql.push(" AND ")
                .push(column)
                .push(" < ")
                .push_bind(to.unix_nanos());
        }
    }
    // One country is compared on its column: the `(ns, country, created_at, id)` index then
    // walks that country's identities in created order, so a page of a selective demographic
    // query reads about limit / (share of that country's identities matching) rows, whatever the
    // size of the namespace. Several countries stay in the tsquery (one GIN probe for all).
    let folded: Vec<String> = filter
        .countries
        .iter()
        .filter_map(|c| query::fold(c))
        .collect();
    let one_country = match folded.as_slice() {
        [country] => {
            sql.push(" AND country = ").push_bind(country.clone());
            true
        }
        _ => false,
    };
    if let Some(terms) = terms::filter_query(filter, !one_country) {
        sql.push(" AND terms @@ ")
            .push_bind(terms)
            .push("::tsquery");
    }
}

const fn sort_column(key: SortKey) -> &'static str {
    match key {
        SortKey::Created => "created_at",
        SortKey::Updated => "updated_at",
        SortKey::Name => "name",
        SortKey::Age => "sort_age",
    }
}

/// Restricts to rows after `after` in the query order: `(sort, id) > (value, id)` (or `<` when
/// descending), a row comparison the sort index answers directly.
fn push_after(sql: &mut QueryBuilder<Postgres>, query: &Query, after: Position) {
    let op = match query.direction {
        Direction::Asc => " > ",
        Direction::Desc => " < ",
    };
    let column = sort_column(query.sort);
    match (query.sort, after.value) {
        (SortKey::Name, SortValue::Text(name)) => {
            sql.push(" AND (name, id)")
                .push(op)
                .push("(")
                .push_bind(name)
                .push(", ")
                .push_bind(after.id)
                .push(")");
        }
        // The reference orders every integer before every text value: a cursor of the other
        // type lies before (ascending) or after (descending) the whole result.
        (SortKey::Name, SortValue::Int(_)) => {
            if query.direction == Direction::Desc {
                sql.push(" AND FALSE");
            }
        }
        (_, SortValue::Int(value)) => {
            sql.push(" AND (")
                .push(column)
                .push(", id)")
                .push(op)
                .push("(")
                .push_bind(value)
                .push(", ")
                .push_bind(after.id)
                .push(")");
        }
        (_, SortValue::Text(_)) => {
            if query.direction == Direction::Asc {
                sql.push(" AND FALSE");
            }
        }
    }
}

/// True when every column `query` reads to choose its rows is in the covering country index
/// `(ns, country, created_at, id) INCLUDE (sort_age, Big Five)` (migration 0003), and its order
/// is that index's: one country, no other exact-match or text filter, no update window, created
/// order. Such a page selects its ids with an index-only scan and reads only their rows.
fn covered(query: &Query) -> bool {
    let filter = &query.filter;
    query.sort == SortKey::Created
        && filter.updated.is_unbounded()
        && filter
            .countries
            .iter()
            .filter_map(|c| query::fold(c))
            .count()
            == 1
        && terms::filter_query(filter, false).is_none()
}

pub(crate) async fn query(store: &PostgresStore, query: &Query) -> Result<Page<Identity>> {
    query.check(&store.namespace)?;
    let after = query
        .cursor
        .as_ref()
        .map(|cursor: &Cursor| cursor.decode(&store.namespace))
        .transpose()?;
    let direction = match query.direction {
        Direction::Asc => " ASC",
        Direction::Desc => " DESC",
    };
    let fetch = i64::try_from(query.limit + 1).unwrap_or(i64::MAX);
    let covered = covered(query);
    // A covered page: the ids (and sort values) from the index alone, then their rows by
    // primary key, in the page's order. Otherwise one select of the documents.
    let mut sql = if covered {
        // The namespace is the first value bound: `$1` in the join below.
        select_after(
            store,
            "SELECT i.id, i.doc FROM (",
            "id, created_at",
            &query.filter,
        )
    } else {
        select(store, "id, doc", &query.filter)
    };
    if let Some(after) = after {
        push_after(&mut sql, query, after);
    }
    sql.push(" ORDER BY ")
        .push(sort_column(query.sort))
        .push(direction)
        .push(", id")
        .push(direction)
        .push(" LIMIT ")
        .push_bind(fetch);
    if covered {
        sql.push(") AS p JOIN ")
            .push(&store.inner.quoted)
            .push(".identities AS i ON i.ns = $1 AND i.id = p.id ORDER BY p.created_at")
            .push(direction)
            .push(", p.id")
            .push(direction);
    }
    let mut items = Vec::with_capacity(query.limit.min(1_000));
    let mut more = false;
    {
        // Rows are parsed as they arrive, while the server still produces the next ones.
        let mut rows = sql.build().persistent(false).fetch(&store.inner.pool);
        while let Some(row) = rows.try_next().await.map_err(|err| store.err(err))? {
            if items.len() == query.limit {
                more = true;
                continue;
            }
            let id: &str = row.try_get(0).map_err(|err| store.err(err))?;
            let json: JsonbBytes<'_> = row.try_get(1).map_err(|err| store.err(err))?;
            items.push(identity_document(id, json.0)?);
        }
    }
    let next = match items.last() {
        Some(last) if more => Some(query::next_cursor(
            query,
            &store.namespace,
            &IndexFields::of(last),
            last.id.as_str(),
        )),
        _ => None,
    };
    Ok(Page { items, next })
}

pub(crate) async fn count(store: &PostgresStore, filter: &Filter) -> Result<u64> {
    let mut sql = select(store, "count(*)", filter);
    let count: i64 = sql
        .build_query_scalar()
        .persistent(false)
        .fetch_one(&store.inner.pool)
        .await
        .map_err(|err| store.err(err))?;
    Ok(u64::try_from(count).unwrap_or_default())
}

const fn facet_column(facet: Facet) -> &'static str {
    match facet {
        Facet::Gender => "gender",
        Facet::Country => "country",
        Facet::Education => "education",
        Facet::AgeGroup => "age_group",
        Facet::PoliticalSpectrum => "political_spectrum",
    }
}

pub(crate) async fn facets(
    store: &PostgresStore,
    filter: &Filter,
    facets: &[Facet],
) -> Result<FacetCounts> {
    let mut counts: FacetCounts = facets.iter().map(|f| (*f, Default::default())).collect();
    if counts.is_empty() {
        return Ok(counts);
    }
    // One pass over the matching rows: GROUPING SETS counts every facet at once; GROUPING()
    // tells which facet a result row belongs to.
    let wanted: Vec<Facet> = counts.keys().copied().collect();
    let columns: Vec<&str> = wanted.iter().map(|f| facet_column(*f)).collect();
    let mut select_list = String::from("count(*)");
    for column in &columns {
        select_list.push_str(", ");
        select_list.push_str(column);
        select_list.push_str(", GROUPING(");
        select_list.push_str(column);
        select_list.push(')');
    }
    let mut sql = select(store, &select_list, filter);
    sql.push(" GROUP BY GROUPING SETS (");
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push("(").push(column).push(")");
    }
    sql.push(")");
    let rows = sql
        .build()
        .persistent(false)
        .fetch_all(&store.inner.pool)
        .await
        .map_err(|err| store.err(err))?;
    for row in rows {
        let count: i64 = row.try_get(0).map_err(|err| store.err(err))?;
        for (i, facet) in wanted.iter().enumerate() {
            let grouping: i32 = row.try_get(2 + 2 * i).map_err(|err| store.err(err))?;
            if grouping != 0 {
                continue;
            }
            let value: Option<String> = row.try_get(1 + 2 * i).map_err(|err| store.err(err))?;
            if let Some(value) = value {
                counts
                    .entry(*facet)
                    .or_default()
                    .insert(value, u64::try_from(count).unwrap_or_default());
            }
        }
    }
    Ok(counts)
}
