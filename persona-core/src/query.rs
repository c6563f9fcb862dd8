//! The identity query model and the reference evaluator that defines its semantics.
//!
//! Every backend must return exactly what [`evaluate`] returns for the same data and query: the
//! same records in the same order, page by page. To make that achievable everywhere, every
//! comparison is made on [`IndexFields`], values extracted from an identity in Rust when it is
//! written:
//!
//! - **text**: [`tokenize`] splits on every character that is not alphanumeric and lowercases; a
//!   record matches when every query token equals a token of its name, description or background
//!   (whole words, AND).
//! - **country, region, city, occupation**: compared case-insensitively ([`fold`]: trimmed,
//!   lowercased); facet keys are folded too.
//! - **gender, education, political leaning**: exact canonical vocabulary values.
//! - **tags**: exact, case-sensitive; `tags_any` needs one of them, `tags_all` every one.
//! - **age, Big Five**: inclusive ranges; a record without the value never matches a range on it.
//! - **created, updated**: inclusive lower bound, exclusive upper bound, in Unix nanoseconds.
//! - Lists of accepted values (`genders`, `countries`, …) match any of their entries; an empty list
//!   does not filter. All filters combine with AND.
//! - **order**: by the sort key, then by id (bytewise), both in the requested direction. A missing
//!   age sorts as -1 (before every age when ascending). Names compare bytewise (UTF-8 order).
//! - **pages**: keyset cursors; a page holds at most `limit` records and `next` is set when more
//!   follow. Soft-deleted records never appear.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use persona_attributes::demographics::AgeGroup;
use persona_attributes::political::PoliticalSpectrum;
use persona_attributes::psychographics::Trait;
use persona_attributes::{Code, Timestamp, Vocab, Vocabulary};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::{Namespace, PersonaId};
use crate::record::{AnyRecord, Identity};

/// The default page size.
pub const DEFAULT_LIMIT: usize = 50;
/// The largest page size.
pub const MAX_LIMIT: usize = 1_000;

/// An inclusive range on one Big Five trait.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TraitRange {
    /// The trait.
    #[serde(rename = "trait")]
    pub which: Trait,
    /// Lowest accepted score.
    pub min: Option<f64>,
    /// Highest accepted score.
    pub max: Option<f64>,
}

/// A time window: `from` inclusive, `to` exclusive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    /// Earliest accepted instant.
    pub from: Option<Timestamp>,
    /// First instant no longer accepted.
    pub to: Option<Timestamp>,
}

impl TimeRange {
    /// True when neither bound is set.
    pub fn is_unbounded(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    /// True when `nanos` lies in the window.
    pub fn contains(&self, nanos: i64) -> bool {
        self.from.is_none_or(|from| nanos >= from.unix_nanos())
            && self.to.is_none_or(|to| nanos < to.unix_nanos())
    }
}

/// Which identities match. Every field defaults to "no constraint".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filter {
    /// Identities of any of these personas.
    pub persona_ids: Vec<PersonaId>,
    /// Only active (or only inactive) identities.
    pub active: Option<bool>,
    /// At least one of these tags.
    pub tags_any: Vec<String>,
    /// Every one of these tags.
    pub tags_all: Vec<String>,
    /// Whole words that must all appear in name, description or background.
    pub text: Option<String>,
    /// Lowest age, inclusive.
    pub age_min: Option<i32>,
    /// Highest age, inclusive.
    pub age_max: Option<i32>,
    /// Any of these genders (canonical values).
    pub genders: Vec<String>,
    /// Any of these countries (case-insensitive).
    pub countries: Vec<String>,
    /// Any of these regions (case-insensitive).
    pub regions: Vec<String>,
    /// Any of these cities (case-insensitive).
    pub cities: Vec<String>,
    /// Any of these education levels (canonical values).
    pub educations: Vec<String>,
    /// Any of these occupations (case-insensitive).
    pub occupations: Vec<String>,
    /// Any of these political leanings (canonical values).
    pub political_leanings: Vec<String>,
    /// Big Five ranges, all of which must hold.
    pub traits: Vec<TraitRange>,
    /// Creation window.
    pub created: TimeRange,
    /// Last-update window.
    pub updated: TimeRange,
}

/// What to sort by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// Creation time (the default).
    #[default]
    Created,
    /// Last update time.
    Updated,
    /// Name, bytewise.
    Name,
    /// Age; a missing age sorts as -1.
    Age,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Smallest first (the default).
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

/// An identity query: filter, order and page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Query {
    /// Which identities.
    pub filter: Filter,
    /// Sort key.
    pub sort: SortKey,
    /// Sort direction.
    pub direction: Direction,
    /// Page size, 1–1,000.
    pub limit: usize,
    /// Continue after the page that returned this cursor.
    pub cursor: Option<Cursor>,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            filter: Filter::default(),
            sort: SortKey::default(),
            direction: Direction::default(),
            limit: DEFAULT_LIMIT,
            cursor: None,
        }
    }
}

impl Query {
    /// Every identity, oldest first, 50 a page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only identities of `persona` (may be repeated: any of them).
    pub fn persona(mut self, persona: impl Into<PersonaId>) -> Self {
        self.filter.persona_ids.push(persona.into());
        self
    }

    /// Only active (`true`) or inactive (`false`) identities.
    pub fn active(mut self, active: bool) -> Self {
        self.filter.active = Some(active);
        self
    }

    /// Identities with at least one of the tags given through this method.
    pub fn any_tag(mut self, tag: impl Into<String>) -> Self {
        self.filter.tags_any.push(tag.into());
        self
    }

    /// Identities with every tag given through this method.
    pub fn all_tag(mut self, tag: impl Into<String>) -> Self {
        self.filter.tags_all.push(tag.into());
        self
    }

    /// Identities whose name, description or background contain every word of `text`.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.filter.text = Some(text.into());
        self
    }

    /// Identities aged `min..=max`.
    pub fn age(mut self, range: std::ops::RangeInclusive<i32>) -> Self {
        self.filter.age_min = Some(*range.start());
        self.filter.age_max = Some(*range.end());
        self
    }

    /// Identities of this gender (may be repeated: any of them).
    pub fn gender(mut self, gender: impl Into<Vocab<persona_attributes::Gender>>) -> Self {
        self.filter.genders.push(gender.into().as_str().to_owned());
        self
    }

    /// Identities living in `country` (case-insensitive; may be repeated).
    pub fn country(mut self, country: impl Into<String>) -> Self {
        self.filter.countries.push(country.into());
        self
    }

    /// Identities living in `region` (case-insensitive; may be repeated).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.filter.regions.push(region.into());
        self
    }

    /// Identities living in `city` (case-insensitive; may be repeated).
    pub fn city(mut self, city: impl Into<String>) -> Self {
        self.filter.cities.push(city.into());
        self
    }

    /// Identities with this education (may be repeated).
    pub fn education(mut self, education: persona_attributes::demographics::Education) -> Self {
        self.filter.educations.push(education.as_str().to_owned());
        self
    }

    /// Identities with this occupation (case-insensitive; may be repeated).
    pub fn occupation(mut self, occupation: impl Into<String>) -> Self {
        self.filter.occupations.push(occupation.into());
        self
    }

    /// Identities with this political leaning (may be repeated).
    pub fn political_leaning(
        mut self,
        leaning: persona_attributes::political::PoliticalLeaning,
    ) -> Self {
        self.filter
            .political_leanings
            .push(leaning.as_str().to_owned());
        self
    }

    /// Identities whose `which` score lies in `range`.
    pub fn trait_range(mut self, which: Trait, range: std::ops::RangeInclusive<f64>) -> Self {
        self.filter.traits.push(TraitRange {
            which,
            min: Some(*range.start()),
            max: Some(*range.end()),
        });
        self
    }

    /// Identities created in `[from, to)`.
    pub fn created_between(mut self, from: Option<Timestamp>, to: Option<Timestamp>) -> Self {
        self.filter.created = TimeRange { from, to };
        self
    }

    /// Identities last updated in `[from, to)`.
    pub fn updated_between(mut self, from: Option<Timestamp>, to: Option<Timestamp>) -> Self {
        self.filter.updated = TimeRange { from, to };
        self
    }

    /// Sort by `key` in `direction`.
    pub fn sort(mut self, key: SortKey, direction: Direction) -> Self {
        self.sort = key;
        self.direction = direction;
        self
    }

    /// At most `limit` records a page (1–1,000).
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Continue after the page that returned `cursor`.
    pub fn after(mut self, cursor: Cursor) -> Self {
        self.cursor = Some(cursor);
        self
    }

    /// Checks the limit, the ranges and the cursor against the handle's namespace.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `query.limit`, `query.filter.*` or `query.cursor`;
    /// [`Error::NamespaceViolation`] for a cursor from another namespace.
    pub fn check(&self, namespace: &Namespace) -> Result<()> {
        check_limit(self.limit)?;
        for range in &self.filter.traits {
            let bad = |v: Option<f64>| v.is_some_and(|v| !v.is_finite());
            if bad(range.min) || bad(range.max) {
                return Err(Error::invalid_field(
                    "query.filter.traits",
                    Code::OutOfRange,
                    "trait bounds must be finite numbers",
                ));
            }
        }
        if let Some(cursor) = &self.cursor {
            let position = cursor.decode(namespace)?;
            if position.sort != self.sort || position.direction != self.direction {
                return Err(Error::invalid_field(
                    "query.cursor",
                    Code::InvalidFormat,
                    "cursor was issued for another sort order",
                ));
            }
        }
        Ok(())
    }
}

pub(crate) fn check_limit(limit: usize) -> Result<()> {
    if limit == 0 || limit > MAX_LIMIT {
        return Err(Error::invalid_field(
            "query.limit",
            Code::OutOfRange,
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    Ok(())
}

/// A request for one page of records of one kind, in id order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListRequest {
    /// Page size, 1–1,000.
    pub limit: usize,
    /// Continue after the page that returned this cursor.
    pub cursor: Option<Cursor>,
}

impl Default for ListRequest {
    fn default() -> Self {
        ListRequest {
            limit: DEFAULT_LIMIT,
            cursor: None,
        }
    }
}

impl ListRequest {
    /// The first page of `limit` records.
    pub fn first(limit: usize) -> Self {
        ListRequest {
            limit,
            cursor: None,
        }
    }

    /// The id after which this page starts, checked against the handle's namespace.
    ///
    /// # Errors
    /// As [`Query::check`].
    pub fn start_after(&self, namespace: &Namespace) -> Result<Option<String>> {
        check_limit(self.limit)?;
        match &self.cursor {
            None => Ok(None),
            Some(cursor) => Ok(Some(cursor.decode(namespace)?.id)),
        }
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The records, in order.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Maps the items.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

/// An opaque position in a result list. Valid only in the namespace and sort order that issued it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(String);

/// A decoded [`Cursor`]: the sort key value and id of the last record of a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The namespace that issued the cursor.
    #[serde(rename = "n")]
    pub namespace: Namespace,
    /// The sort key (`Created` for id-ordered lists, which ignore it).
    #[serde(rename = "s")]
    pub sort: SortKey,
    /// The direction.
    #[serde(rename = "d")]
    pub direction: Direction,
    /// The sort value of the last record.
    #[serde(rename = "v")]
    pub value: SortValue,
    /// The id of the last record.
    #[serde(rename = "i")]
    pub id: String,
}

/// The value a record sorts by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SortValue {
    /// Timestamps (Unix nanoseconds) and ages.
    Int(i64),
    /// Names.
    Text(String),
}

impl Cursor {
    /// Encodes a position.
    pub fn encode(position: &Position) -> Cursor {
        let json = serde_json::to_vec(position).unwrap_or_default();
        Cursor(URL_SAFE_NO_PAD.encode(json))
    }

    /// Decodes the cursor and checks it belongs to `namespace`.
    ///
    /// # Errors
    /// [`Error::Invalid`] at `query.cursor` when it is not a cursor;
    /// [`Error::NamespaceViolation`] when another namespace issued it.
    pub fn decode(&self, namespace: &Namespace) -> Result<Position> {
        let invalid = || {
            Error::invalid_field(
                "query.cursor",
                Code::InvalidFormat,
                "is not a cursor issued by this SDK",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(&self.0).map_err(|_| invalid())?;
        let position: Position = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        if &position.namespace != namespace {
            return Err(Error::NamespaceViolation {
                expected: namespace.clone(),
                found: position.namespace,
            });
        }
        Ok(position)
    }

    /// The opaque string, for passing through an API.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for Cursor {
    fn from(value: String) -> Self {
        Cursor(value)
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A facet: a field whose values are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Facet {
    /// Gender, canonical values.
    Gender,
    /// Country, folded.
    Country,
    /// Education, canonical values.
    Education,
    /// Age group ([`AgeGroup`]).
    AgeGroup,
    /// Political spectrum ([`PoliticalSpectrum`]).
    PoliticalSpectrum,
}

impl Facet {
    /// Every facet.
    pub const ALL: [Facet; 5] = [
        Facet::Gender,
        Facet::Country,
        Facet::Education,
        Facet::AgeGroup,
        Facet::PoliticalSpectrum,
    ];

    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Facet::Gender => "gender",
            Facet::Country => "country",
            Facet::Education => "education",
            Facet::AgeGroup => "age_group",
            Facet::PoliticalSpectrum => "political_spectrum",
        }
    }
}

/// Counts per facet value. Records without a value for a facet are not counted in it.
pub type FacetCounts = BTreeMap<Facet, BTreeMap<String, u64>>;

/// Trimmed and lowercased, `None` when blank: how location and occupation are compared.
pub fn fold(value: &str) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        None
    } else {
        Some(trimmed.to_lowercase())
    }
}

/// Splits on every non-alphanumeric character and lowercases each word.
pub fn tokenize(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
}

/// The values of an identity that queries compare, extracted once per write.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexFields {
    /// Persona id.
    pub persona_id: String,
    /// Active flag.
    pub active: bool,
    /// Tags, as stored.
    pub tags: Vec<String>,
    /// Sorted, de-duplicated words of name, description and background.
    pub tokens: Vec<String>,
    /// Name.
    pub name: String,
    /// Age.
    pub age: Option<i32>,
    /// Canonical gender.
    pub gender: Option<String>,
    /// Folded country.
    pub country: Option<String>,
    /// Folded region.
    pub region: Option<String>,
    /// Folded city.
    pub city: Option<String>,
    /// Canonical education.
    pub education: Option<String>,
    /// Folded occupation.
    pub occupation: Option<String>,
    /// Canonical political leaning.
    pub political_leaning: Option<String>,
    /// Big Five scores in OCEAN order, when a personality is present.
    pub traits: Option<[f64; 5]>,
    /// Creation time, Unix nanoseconds (0 when unknown).
    pub created_at: i64,
    /// Update time, Unix nanoseconds (0 when unknown).
    pub updated_at: i64,
}

fn vocab<T: Vocabulary>(value: &Option<Vocab<T>>) -> Option<String> {
    value
        .as_ref()
        .filter(|v| !v.is_blank())
        .map(|v| v.as_str().to_owned())
}

impl IndexFields {
    /// Extracts the fields of `identity`.
    pub fn of(identity: &Identity) -> IndexFields {
        let attributes = &identity.rich_attributes;
        let demographics = attributes.demographics.as_ref();
        let location = demographics.and_then(|d| d.location.as_ref());
        let folded = |value: Option<&String>| value.and_then(|v| fold(v));
        let mut tokens: Vec<String> = tokenize(&identity.name)
            .chain(tokenize(&identity.description))
            .chain(tokenize(&identity.background))
            .collect();
        tokens.sort_unstable();
        tokens.dedup();
        let traits = attributes
            .psychographics
            .as_ref()
            .and_then(|p| p.personality.as_ref())
            .map(|p| Trait::ALL.map(|t| p.get(t)));
        IndexFields {
            persona_id: identity.persona_id.as_str().to_owned(),
            active: identity.active,
            tags: identity.tags.clone(),
            tokens,
            name: identity.name.clone(),
            age: demographics.and_then(|d| d.age),
            gender: demographics.and_then(|d| vocab(&d.gender)),
            country: folded(location.and_then(|l| l.country.as_ref())),
            region: folded(location.and_then(|l| l.region.as_ref())),
            city: folded(location.and_then(|l| l.city.as_ref())),
            education: demographics.and_then(|d| vocab(&d.education)),
            occupation: folded(demographics.and_then(|d| d.occupation.as_ref())),
            political_leaning: attributes
                .political_social
                .as_ref()
                .and_then(|p| vocab(&p.political_leaning)),
            traits,
            created_at: identity.created_at.map_or(0, |t| t.unix_nanos()),
            updated_at: identity.updated_at.map_or(0, |t| t.unix_nanos()),
        }
    }

    /// The age group facet value.
    pub fn age_group(&self) -> Option<AgeGroup> {
        self.age.map(AgeGroup::of)
    }

    /// The political spectrum facet value.
    pub fn political_spectrum(&self) -> Option<PoliticalSpectrum> {
        self.political_leaning
            .as_deref()
            .and_then(persona_attributes::political::PoliticalLeaning::parse)
            .map(PoliticalSpectrum::of)
    }

    /// The value this record sorts by under `key`.
    pub fn sort_value(&self, key: SortKey) -> SortValue {
        match key {
            SortKey::Created => SortValue::Int(self.created_at),
            SortKey::Updated => SortValue::Int(self.updated_at),
            SortKey::Name => SortValue::Text(self.name.clone()),
            SortKey::Age => SortValue::Int(self.age.map_or(-1, i64::from)),
        }
    }

    /// The value counted under `facet`, if any.
    pub fn facet_value(&self, facet: Facet) -> Option<String> {
        match facet {
            Facet::Gender => self.gender.clone(),
            Facet::Country => self.country.clone(),
            Facet::Education => self.education.clone(),
            Facet::AgeGroup => self.age_group().map(|g| g.as_static_str().to_owned()),
            Facet::PoliticalSpectrum => self
                .political_spectrum()
                .map(|s| s.as_static_str().to_owned()),
        }
    }
}

/// A [`Filter`] prepared for repeated matching (query words tokenized, folded values lowered).
#[derive(Debug, Clone)]
pub struct Matcher<'a> {
    filter: &'a Filter,
    words: Vec<String>,
    countries: Vec<String>,
    regions: Vec<String>,
    cities: Vec<String>,
    occupations: Vec<String>,
}

fn folded_all(values: &[String]) -> Vec<String> {
    values.iter().filter_map(|v| fold(v)).collect()
}

impl<'a> Matcher<'a> {
    /// Prepares `filter`.
    pub fn new(filter: &'a Filter) -> Self {
        Matcher {
            filter,
            words: query_words(filter),
            countries: folded_all(&filter.countries),
            regions: folded_all(&filter.regions),
            cities: folded_all(&filter.cities),
            occupations: folded_all(&filter.occupations),
        }
    }

    /// True when `fields` satisfy every constraint.
    pub fn matches(&self, fields: &IndexFields) -> bool {
        let f = self.filter;
        let one_of = |accepted: &[String], value: &Option<String>| {
            accepted.is_empty() || value.as_ref().is_some_and(|v| accepted.contains(v))
        };
        (f.persona_ids.is_empty()
            || f.persona_ids
                .iter()
                .any(|p| p.as_str() == fields.persona_id))
            && f.active.is_none_or(|active| active == fields.active)
            && (f.tags_any.is_empty() || f.tags_any.iter().any(|t| fields.tags.contains(t)))
            && f.tags_all.iter().all(|t| fields.tags.contains(t))
            && self
                .words
                .iter()
                .all(|w| fields.tokens.binary_search(w).is_ok())
            && f.age_min
                .is_none_or(|min| fields.age.is_some_and(|age| age >= min))
            && f.age_max
                .is_none_or(|max| fields.age.is_some_and(|age| age <= max))
            && one_of(&f.genders, &fields.gender)
            && one_of(&self.countries, &fields.country)
            && one_of(&self.regions, &fields.region)
            && one_of(&self.cities, &fields.city)
            && one_of(&f.educations, &fields.education)
            && one_of(&self.occupations, &fields.occupation)
            && one_of(&f.political_leanings, &fields.political_leaning)
            && f.traits.iter().all(|range| {
                fields.traits.is_some_and(|scores| {
                    let score = scores[trait_index(range.which)];
                    range.min.is_none_or(|min| score >= min)
                        && range.max.is_none_or(|max| score <= max)
                })
            })
            && f.created.contains(fields.created_at)
            && f.updated.contains(fields.updated_at)
    }
}

/// The words of the filter's text, as [`tokenize`] gives them, de-duplicated.
pub fn query_words(filter: &Filter) -> Vec<String> {
    let mut words: Vec<String> = filter
        .text
        .as_deref()
        .map(|t| tokenize(t).collect())
        .unwrap_or_default();
    words.sort_unstable();
    words.dedup();
    words
}

/// The position of `which` in OCEAN order.
pub const fn trait_index(which: Trait) -> usize {
    match which {
        Trait::Openness => 0,
        Trait::Conscientiousness => 1,
        Trait::Extraversion => 2,
        Trait::Agreeableness => 3,
        Trait::Neuroticism => 4,
    }
}

/// Compares two records' sort positions `(value, id)` in `direction`.
pub fn compare(a: (&SortValue, &str), b: (&SortValue, &str), direction: Direction) -> Ordering {
    let ascending = a.0.cmp(b.0).then_with(|| a.1.cmp(b.1));
    match direction {
        Direction::Asc => ascending,
        Direction::Desc => ascending.reverse(),
    }
}

/// The reference evaluator: the page `query` selects from `identities` (live records only).
///
/// # Errors
/// As [`Query::check`].
pub fn evaluate<'a>(
    query: &Query,
    namespace: &Namespace,
    identities: impl IntoIterator<Item = (&'a Identity, &'a IndexFields)>,
) -> Result<Page<Identity>> {
    query.check(namespace)?;
    let after = query
        .cursor
        .as_ref()
        .map(|c| c.decode(namespace))
        .transpose()?;
    let matcher = Matcher::new(&query.filter);
    let mut hits: Vec<(SortValue, &Identity)> = identities
        .into_iter()
        .filter(|(_, fields)| matcher.matches(fields))
        .map(|(identity, fields)| (fields.sort_value(query.sort), identity))
        .filter(|(value, identity)| {
            after.as_ref().is_none_or(|after| {
                compare(
                    (value, identity.id.as_str()),
                    (&after.value, &after.id),
                    query.direction,
                ) == Ordering::Greater
            })
        })
        .collect();
    let order = |a: &(SortValue, &Identity), b: &(SortValue, &Identity)| {
        compare(
            (&a.0, a.1.id.as_str()),
            (&b.0, b.1.id.as_str()),
            query.direction,
        )
    };
    let more = hits.len() > query.limit;
    if more {
        // Only the page needs ordering: move the `limit` first hits to the front in O(n), then
        // sort just those, instead of sorting every hit of a large data set.
        hits.select_nth_unstable_by(query.limit, order);
        hits.truncate(query.limit);
    }
    hits.sort_by(order);
    let next = match (more, hits.last()) {
        (true, Some((value, identity))) => Some(Cursor::encode(&Position {
            namespace: namespace.clone(),
            sort: query.sort,
            direction: query.direction,
            value: value.clone(),
            id: identity.id.as_str().to_owned(),
        })),
        _ => None,
    };
    Ok(Page {
        items: hits
            .into_iter()
            .map(|(_, identity)| identity.clone())
            .collect(),
        next,
    })
}

/// The cursor that continues a query after `last` (for backends that page natively).
pub fn next_cursor(
    query: &Query,
    namespace: &Namespace,
    last: &IndexFields,
    last_id: &str,
) -> Cursor {
    Cursor::encode(&Position {
        namespace: namespace.clone(),
        sort: query.sort,
        direction: query.direction,
        value: last.sort_value(query.sort),
        id: last_id.to_owned(),
    })
}

/// The cursor that continues an id-ordered list after `last_id`.
pub fn list_cursor(namespace: &Namespace, last_id: &str) -> Cursor {
    Cursor::encode(&Position {
        namespace: namespace.clone(),
        sort: SortKey::Created,
        direction: Direction::Asc,
        value: SortValue::Int(0),
        id: last_id.to_owned(),
    })
}

/// A page of at most `limit` records taken from `records`, which must already be live, in id order
/// and start after the request's cursor; `next` is set when more follow. For backends that keep
/// records in an ordered in-memory map.
pub fn page_in_id_order<'a>(
    namespace: &Namespace,
    limit: usize,
    records: impl IntoIterator<Item = &'a AnyRecord>,
) -> Page<AnyRecord> {
    let mut items: Vec<AnyRecord> = records.into_iter().take(limit + 1).cloned().collect();
    let next = if items.len() > limit {
        items.truncate(limit);
        items
            .last()
            .map(|last| list_cursor(namespace, last.id_str()))
    } else {
        None
    };
    Page { items, next }
}

/// How many of `identities` match `filter` (the reference count).
pub fn count_matching<'a>(
    filter: &Filter,
    identities: impl IntoIterator<Item = &'a IndexFields>,
) -> u64 {
    let matcher = Matcher::new(filter);
    identities
        .into_iter()
        .filter(|fields| matcher.matches(fields))
        .count() as u64
}

/// Reference facet counts over the identities matching `filter`.
pub fn count_facets<'a>(
    filter: &Filter,
    facets: &[Facet],
    identities: impl IntoIterator<Item = &'a IndexFields>,
) -> FacetCounts {
    let matcher = Matcher::new(filter);
    let mut counts: FacetCounts = facets.iter().map(|f| (*f, BTreeMap::new())).collect();
    for fields in identities.into_iter().filter(|f| matcher.matches(f)) {
        for facet in facets {
            if let Some(value) = fields.facet_value(*facet) {
                *counts.entry(*facet).or_default().entry(value).or_insert(0) += 1;
            }
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use persona_attributes::demographics::{Demographics, Location};

    fn person(id: &str, name: &str, age: Option<i32>, country: &str) -> (Identity, IndexFields) {
        let mut identity = Identity::new("p1".into(), name);
        identity.id = id.into();
        identity.rich_attributes.demographics = Some(Demographics {
            age,
            location: Some(Location {
                country: Some(country.into()),
                ..Location::default()
            }),
            ..Demographics::default()
        });
        let fields = IndexFields::of(&identity);
        (identity, fields)
    }

    #[test]
    fn tokens_are_whole_words() {
        let words: Vec<_> = tokenize("Élodie's e-mail: AI/ML").collect();
        assert_eq!(words, ["élodie", "s", "e", "mail", "ai", "ml"]);
    }

    #[test]
    fn filters_sort_and_page() {
        let ns = Namespace::default();
        let rows = [
            person("a", "Ann Lee", Some(30), "US"),
            person("b", "Bob Ray", None, "us "),
            person("c", "Cy Ann", Some(30), "FR"),
            person("d", "Di Fox", Some(45), "us"),
        ];
        let all = || rows.iter().map(|(i, f)| (i, f));
        let by_age = Query::new().sort(SortKey::Age, Direction::Asc).limit(2);
        let first = evaluate(&by_age, &ns, all()).unwrap();
        let ids: Vec<_> = first.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["b", "a"]);
        let second = evaluate(&by_age.clone().after(first.next.unwrap()), &ns, all()).unwrap();
        let ids: Vec<_> = second.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["c", "d"]);
        assert!(second.next.is_none());

        let us = evaluate(&Query::new().country("US").age(0..=40), &ns, all()).unwrap();
        assert_eq!(us.items.len(), 1);
        let ann = evaluate(&Query::new().text("ANN"), &ns, all()).unwrap();
        assert_eq!(ann.items.len(), 2);

        let counts = count_facets(
            &Filter::default(),
            &[Facet::Country],
            rows.iter().map(|(_, f)| f),
        );
        assert_eq!(counts[&Facet::Country]["us"], 3);
    }

    #[test]
    fn cursors_are_bound_to_namespace_and_order() {
        let ns = Namespace::default();
        let other = Namespace::new("other").unwrap();
        let cursor = list_cursor(&ns, "x");
        assert!(matches!(
            cursor.decode(&other),
            Err(Error::NamespaceViolation { .. })
        ));
        let query = Query::new()
            .sort(SortKey::Name, Direction::Asc)
            .after(cursor);
        assert!(matches!(query.check(&ns), Err(Error::Invalid(_))));
        assert!(matches!(
            Cursor::from("%%".to_owned()).decode(&ns),
            Err(Error::Invalid(_))
        ));
        assert!(Query::new().limit(0).check(&ns).is_err());
    }
}
