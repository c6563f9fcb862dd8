//! Proptest strategies for differential query testing: random identities and random queries,
//! drawn from small value pools so filters, ties and pagination boundaries actually occur.

use persona_attributes::demographics::{Demographics, Education, Location};
use persona_attributes::political::{PoliticalLeaning, PoliticalSocial};
use persona_attributes::psychographics::{Personality, Psychographics, Trait};
use persona_attributes::{Gender, Timestamp, Vocab, Vocabulary};
use persona_core::query::{Direction, Filter, Query, SortKey, TimeRange, TraitRange};
use persona_core::{Identity, Namespace, PersonaId};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const WORDS: &[&str] = &["ann", "bo", "Cy", "dee", "ÉLAN", "ann-marie", "zoë", "x1"];
const COUNTRIES: &[&str] = &["US", "us", " Us ", "FR", "DE", "Ísland"];
const TAGS: &[&str] = &["a", "b", "c", "A"];
const PERSONAS: &[&str] = &["persona-1", "persona-2"];
const BASE: i64 = 1_750_000_000_000_000_000;

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..4).prop_map(|w| w.join(" "))
}

fn identity() -> impl Strategy<Value = Identity> {
    (
        (
            prop::sample::select(PERSONAS),
            text(),
            text(),
            any::<bool>(),
        ),
        prop::collection::vec(prop::sample::select(TAGS), 0..3),
        (
            prop::option::of(0..100i32),
            prop::option::of(prop::sample::select(COUNTRIES)),
        ),
        (
            prop::option::of(0..4usize),
            prop::option::of(0..8usize),
            prop::option::of(0..5usize),
        ),
        prop::option::of(prop::array::uniform5(0..=4u8)),
        (0..6i64),
    )
        .prop_map(
            |(
                (persona, name, description, active),
                tags,
                (age, country),
                (gender, education, leaning),
                traits,
                created,
            )| {
                let mut identity = Identity::new(PersonaId::from(persona), format!("N {name}"));
                identity.description = description;
                identity.active = active;
                identity.tags = tags.into_iter().map(str::to_owned).collect();
                identity.created_at = Some(Timestamp::from_unix_nanos(BASE + created));
                let genders = [
                    Gender::Male,
                    Gender::Female,
                    Gender::NonBinary,
                    Gender::Other(String::new()),
                ];
                identity.rich_attributes.demographics = Some(Demographics {
                    age,
                    gender: gender.map(|g| Vocab::Known(genders[g].clone())),
                    education: education.map(|e| Vocab::from_raw(Education::VALUES[e])),
                    occupation: country.map(|c| format!("{c} worker")),
                    location: country.map(|c| Location {
                        country: Some(c.to_owned()),
                        city: Some("Paris".into()),
                        ..Location::default()
                    }),
                    ..Demographics::default()
                });
                identity.rich_attributes.political_social = leaning.map(|l| PoliticalSocial {
                    political_leaning: Some(Vocab::from_raw(PoliticalLeaning::VALUES[l * 2])),
                    ..PoliticalSocial::default()
                });
                identity.rich_attributes.psychographics = traits.map(|t| Psychographics {
                    personality: Some(Personality {
                        openness: f64::from(t[0]) / 4.0,
                        conscientiousness: f64::from(t[1]) / 4.0,
                        extraversion: f64::from(t[2]) / 4.0,
                        agreeableness: f64::from(t[3]) / 4.0,
                        neuroticism: f64::from(t[4]) / 4.0,
                    }),
                    ..Psychographics::default()
                });
                identity
            },
        )
}

/// Each constraint is present with probability `P`, so most queries combine zero to three.
const P: f64 = 0.18;

fn sometimes<T: std::fmt::Debug + Default>(
    strategy: impl Strategy<Value = T>,
) -> impl Strategy<Value = T> {
    prop::option::weighted(P, strategy).prop_map(Option::unwrap_or_default)
}

fn strings(pool: &'static [&'static str], max: usize) -> impl Strategy<Value = Vec<String>> {
    sometimes(prop::collection::vec(prop::sample::select(pool), 1..=max))
        .prop_map(|values| values.into_iter().map(str::to_owned).collect())
}

fn filter() -> impl Strategy<Value = Filter> {
    (
        (
            sometimes(prop::collection::vec(prop::sample::select(PERSONAS), 1..2)),
            prop::option::weighted(P, any::<bool>()),
            strings(TAGS, 2),
            strings(TAGS, 2),
            prop::option::weighted(P, prop::sample::select(WORDS).prop_map(str::to_owned)),
        ),
        (
            prop::option::weighted(P, 0..60i32),
            prop::option::weighted(P, 40..100i32),
        ),
        (
            strings(&["male", "female", "other"], 2),
            strings(COUNTRIES, 2),
            strings(Education::VALUES, 3),
            strings(PoliticalLeaning::VALUES, 4),
        ),
        prop::option::weighted(P, (0..5usize, 0..=4u8, 0..=4u8)),
        (
            prop::option::weighted(P, 0..6i64),
            prop::option::weighted(P, 0..6i64),
        ),
    )
        .prop_map(|(basic, ages, values, trait_range, created)| {
            let (personas, active, tags_any, tags_all, text) = basic;
            let (genders, countries, educations, political_leanings) = values;
            Filter {
                persona_ids: personas.into_iter().map(PersonaId::from).collect(),
                active,
                tags_any,
                tags_all,
                text,
                age_min: ages.0,
                age_max: ages.1,
                genders,
                countries,
                educations,
                political_leanings,
                traits: trait_range
                    .map(|(t, a, b)| TraitRange {
                        which: Trait::ALL[t],
                        min: Some(f64::from(a.min(b)) / 4.0),
                        max: Some(f64::from(a.max(b)) / 4.0),
                    })
                    .into_iter()
                    .collect(),
                created: TimeRange {
                    from: created.0.map(|c| Timestamp::from_unix_nanos(BASE + c)),
                    to: created.1.map(|c| Timestamp::from_unix_nanos(BASE + c)),
                },
                ..Filter::default()
            }
        })
}

fn query() -> impl Strategy<Value = Query> {
    (
        filter(),
        prop::sample::select(
            &[
                SortKey::Created,
                SortKey::Updated,
                SortKey::Name,
                SortKey::Age,
            ][..],
        ),
        any::<bool>(),
        1..12usize,
    )
        .prop_map(|(filter, sort, desc, limit)| Query {
            filter,
            sort,
            direction: if desc {
                Direction::Desc
            } else {
                Direction::Asc
            },
            limit,
            cursor: None,
        })
}

/// 80 random identities (of personas `persona-1` and `persona-2`) and 60 random queries, the same
/// for every run (a fixed seed, so a failure reproduces), different per namespace name.
pub fn sample(namespace: &Namespace) -> (Vec<Identity>, Vec<Query>) {
    let mut seed = [7u8; 32];
    for (i, b) in namespace.as_str().bytes().enumerate() {
        seed[i % 32] ^= b;
    }
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
    );
    let records = prop::collection::vec(identity(), 80)
        .new_tree(&mut runner)
        .map(|tree| tree.current())
        .unwrap_or_default();
    let queries = prop::collection::vec(query(), 60)
        .new_tree(&mut runner)
        .map(|tree| tree.current())
        .unwrap_or_default();
    (records, queries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use persona_core::query::{IndexFields, evaluate};

    #[test]
    fn samples_exercise_filters_and_pages() {
        let namespace = Namespace::default();
        let (records, queries) = sample(&namespace);
        assert_eq!((records.len(), queries.len()), (80, 60));
        let fields: Vec<_> = records.iter().map(IndexFields::of).collect();
        let mut non_empty = 0;
        let mut multi_page = 0;
        for query in &queries {
            let page = evaluate(query, &namespace, records.iter().zip(&fields)).unwrap();
            non_empty += usize::from(!page.items.is_empty());
            multi_page += usize::from(page.next.is_some());
        }
        assert!(
            non_empty >= 15,
            "only {non_empty} of 60 queries match anything"
        );
        assert!(
            multi_page >= 5,
            "only {multi_page} of 60 queries span pages"
        );
    }
}
