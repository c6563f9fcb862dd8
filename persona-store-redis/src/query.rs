//! Turns a [`Filter`] into the clauses of the query script.
//!
//! Each clause selects a set of live identities; the script intersects them. A clause is one of:
//! - `S n key…`: the union of `n` sets (persona ids, active flag, tags, text tokens, exact fields);
//! - `Z key min max`: a score range on `n:age`, `n:t<i>` or, for a filter on one country and an
//!   age range, `n:ca:<country>` (inclusive, `-inf`/`+inf` when open);
//! - `L sort from to`: a time window on the created/updated sort index (`from` inclusive, `to`
//!   exclusive, as 16-hex encodings, `""` when open).
//!
//! Folded fields are folded with [`query::fold`] and text is split with [`query::query_words`], so
//! a clause holds exactly the identities [`Matcher`](persona_core::query::Matcher) accepts on that
//! field.

use persona_core::query::{
    self, Direction, Facet, Filter, Query, SortKey, SortValue, TimeRange, trait_index,
};
use persona_core::{Namespace, Result};

use crate::index::{
    created_by_country, created_by_country_age, facet_position, score, sort_suffix,
};
use crate::keys;

enum Clause {
    Sets(Vec<String>),
    Score(String, String, String),
    Time(&'static str, String, String),
}

/// ARGV of the query script after the prefix.
pub(crate) struct QueryArgs(pub(crate) Vec<Vec<u8>>);

/// The clauses of a filter; `None` when it can match nothing (a NaN trait bound).
pub(crate) struct Plan {
    clauses: Option<Vec<Clause>>,
    /// The filter's only country, if it has exactly one.
    country: Option<String>,
    /// The filter's age bounds, when it has both.
    ages: Option<(i32, i32)>,
}

/// The widest age range whose per-(country, age) created indexes a page merges; wider ranges
/// walk the country's created index (the merge's cost grows with the number of sets).
const MERGE_AGES: i64 = 24;

fn sets(prefix: &str, values: impl IntoIterator<Item = impl AsRef<str>>) -> Option<Clause> {
    let keys: Vec<String> = values
        .into_iter()
        .map(|v| format!("{prefix}{}", v.as_ref()))
        .collect();
    (!keys.is_empty()).then_some(Clause::Sets(keys))
}

fn folded(values: &[String]) -> Vec<String> {
    values.iter().filter_map(|v| query::fold(v)).collect()
}

fn time(suffix: &'static str, range: &TimeRange) -> Option<Clause> {
    if range.is_unbounded() {
        return None;
    }
    let bound = |t: Option<persona_core::attributes::Timestamp>| {
        t.map_or_else(String::new, |t| keys::enc_int(t.unix_nanos()))
    };
    Some(Clause::Time(suffix, bound(range.from), bound(range.to)))
}

impl Plan {
    /// Plans `filter`.
    pub(crate) fn new(filter: &Filter) -> Plan {
        let mut clauses = Vec::new();
        let f = filter;
        clauses.extend(sets("i:p:", f.persona_ids.iter().map(|p| p.as_str())));
        clauses.extend(
            f.active
                .map(|a| Clause::Sets(vec![format!("i:a:{}", u8::from(a))])),
        );
        clauses.extend(sets("i:t:", &f.tags_any));
        for tag in &f.tags_all {
            clauses.push(Clause::Sets(vec![format!("i:t:{tag}")]));
        }
        for word in query::query_words(f) {
            clauses.push(Clause::Sets(vec![format!("i:w:{word}")]));
        }
        let countries = folded(&f.countries);
        let country = match countries.as_slice() {
            [country] => Some(country.clone()),
            _ => None,
        };
        if f.age_min.is_some() || f.age_max.is_some() {
            // One country and an age range is one range of that country's age index, so the
            // candidates are the slice itself rather than the larger of two sets intersected.
            let key = match &country {
                Some(country) => format!("n:ca:{country}"),
                None => "n:age".into(),
            };
            clauses.push(Clause::Score(
                key,
                f.age_min.map_or_else(|| "-inf".into(), |v| v.to_string()),
                f.age_max.map_or_else(|| "+inf".into(), |v| v.to_string()),
            ));
        }
        if countries.len() != 1 || (f.age_min.is_none() && f.age_max.is_none()) {
            clauses.extend(sets("i:c:", countries));
        }
        clauses.extend(sets("i:g:", &f.genders));
        clauses.extend(sets("i:r:", folded(&f.regions)));
        clauses.extend(sets("i:ci:", folded(&f.cities)));
        clauses.extend(sets("i:e:", &f.educations));
        clauses.extend(sets("i:o:", folded(&f.occupations)));
        clauses.extend(sets("i:pl:", &f.political_leanings));
        for range in &f.traits {
            if range.min.is_some_and(f64::is_nan) || range.max.is_some_and(f64::is_nan) {
                return Plan {
                    clauses: None,
                    country: None,
                    ages: None,
                };
            }
            clauses.push(Clause::Score(
                format!("n:t{}", trait_index(range.which)),
                range.min.map_or_else(|| "-inf".into(), score),
                range.max.map_or_else(|| "+inf".into(), score),
            ));
        }
        clauses.extend(time("c", &f.created));
        clauses.extend(time("u", &f.updated));
        Plan {
            clauses: Some(clauses),
            country,
            ages: f.age_min.zip(f.age_max),
        }
    }

    fn args(&self, mode: &str) -> Option<Vec<Vec<u8>>> {
        let clauses = self.clauses.as_ref()?;
        let mut out: Vec<Vec<u8>> = vec![mode.into(), clauses.len().to_string().into()];
        for clause in clauses {
            match clause {
                Clause::Sets(keys) => {
                    out.push(b"S".to_vec());
                    out.push(keys.len().to_string().into());
                    out.extend(keys.iter().map(|k| k.clone().into_bytes()));
                }
                Clause::Score(key, min, max) => {
                    out.extend([b"Z".to_vec(), key.clone().into(), min.clone().into()]);
                    out.push(max.clone().into());
                }
                Clause::Time(suffix, from, to) => {
                    out.extend([b"L".to_vec(), suffix.as_bytes().to_vec()]);
                    out.extend([from.clone().into_bytes(), to.clone().into_bytes()]);
                }
            }
        }
        Some(out)
    }

    /// Arguments of a count; `None` when nothing can match.
    pub(crate) fn count_args(&self) -> Option<QueryArgs> {
        self.args("count").map(QueryArgs)
    }

    /// Arguments of facet counts; `None` when nothing can match.
    pub(crate) fn facet_args(&self, facets: &[Facet]) -> Option<QueryArgs> {
        let mut out = self.args("facets")?;
        out.push(facets.len().to_string().into());
        out.extend(
            facets
                .iter()
                .map(|f| facet_position(*f).to_string().into_bytes()),
        );
        Some(QueryArgs(out))
    }

    /// Arguments of a page; `None` when the page is certainly empty.
    ///
    /// # Errors
    /// As [`Query::check`] for the cursor.
    pub(crate) fn page_args(&self, query: &Query, ns: &Namespace) -> Result<Option<QueryArgs>> {
        let Some(mut out) = self.args("page") else {
            return Ok(None);
        };
        let text_key = query.sort == SortKey::Name;
        let after = match &query.cursor {
            None => Vec::new(),
            Some(cursor) => {
                let position = cursor.decode(ns)?;
                let desc = query.direction == Direction::Desc;
                match (&position.value, text_key) {
                    (SortValue::Int(_), false) | (SortValue::Text(_), true) => {
                        keys::sort_member(&position.value, &position.id)
                    }
                    // Every text sorts after every number: a cursor of the other type lies
                    // before all records or after all of them.
                    (SortValue::Text(_), false) if desc => Vec::new(),
                    (SortValue::Int(_), true) if !desc => Vec::new(),
                    _ => return Ok(None),
                }
            }
        };
        out.push(sort_suffix(query.sort).as_bytes().to_vec());
        out.push(match query.direction {
            Direction::Asc => b"asc".to_vec(),
            Direction::Desc => b"desc".to_vec(),
        });
        out.push(after);
        out.push(if text_key { Vec::new() } else { b"17".to_vec() });
        out.push((query.limit + 1).to_string().into_bytes());
        out.push(b"tmp:sort".to_vec());
        // A page in created order on one country walks that country's created index: every
        // match is in it, and the walk reads only that country's identities.
        out.push(match (&self.country, query.sort) {
            (Some(country), SortKey::Created) => created_by_country(country).into_bytes(),
            _ => Vec::new(),
        });
        // A page in created order on one country and a short age range can merge that
        // country's per-age created indexes instead: every member it reads passes both, so a
        // page reads about limit ÷ (share passing the other clauses) members. The `n:ca` clause
        // is then implied by the merge and skipped.
        match (&self.country, self.ages, query.sort) {
            (Some(country), Some((low, high)), SortKey::Created)
                if low <= high && i64::from(high) - i64::from(low) < MERGE_AGES =>
            {
                out.push(((high - low + 1) as usize).to_string().into_bytes());
                out.extend(
                    (low..=high).map(|age| created_by_country_age(country, age).into_bytes()),
                );
                out.push(format!("n:ca:{country}").into_bytes());
            }
            _ => out.push(b"0".to_vec()),
        }
        Ok(Some(QueryArgs(out)))
    }
}
