//! The store returns exactly what the reference evaluator returns for the same data, page by page.

mod common;

use persona_core::attributes::demographics::{Demographics, Education, Location};
use persona_core::attributes::political::{PoliticalLeaning, PoliticalSocial};
use persona_core::attributes::psychographics::{Personality, Psychographics, Trait};
use persona_core::attributes::{Gender, Timestamp, Vocab, Vocabulary};
use persona_core::query::{self, Facet, Filter, IndexFields, TimeRange, TraitRange};
use persona_core::{
    Actor, AnyRecord, Batch, Direction, Identity, Kind, ListRequest, Persona, Query, SortKey,
    Store, WriteMode,
};

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn unit(&mut self) -> f64 {
        // Few distinct values, so ranges hit bounds exactly.
        self.below(11) as f64 / 10.0
    }
}

const WORDS: [&str; 10] = [
    "Ann", "lee", "BOB", "élodie", "data", "ai", "teacher", "e-mail", "Zoë", "ml",
];
const COUNTRIES: [&str; 5] = ["US", "us ", "France", "Japan", " "];
const CITIES: [&str; 4] = ["Paris", "paris", "Tokyo", "Austin"];
const TAGS: [&str; 5] = ["a", "b", "C", "c", "long tag"];

fn identity(rng: &mut Rng, personas: &[String], i: usize) -> Identity {
    let words = |rng: &mut Rng, n: usize| {
        (0..n)
            .map(|_| *rng.pick(&WORDS))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let name = format!("{} {}", words(rng, 1), words(rng, 1));
    let mut identity = Identity::new(rng.pick(personas).as_str().into(), name);
    identity.id = format!("id-{:03}-{}", rng.below(50), i).into();
    let n = rng.below(4);
    identity.description = words(rng, n);
    let n = rng.below(3);
    identity.background = words(rng, n);
    identity.active = rng.chance(70);
    identity.tags = (0..rng.below(3))
        .map(|_| rng.pick(&TAGS).to_string())
        .collect();
    identity.tags.dedup();
    identity.created_at = Some(Timestamp::from_unix_nanos(
        1_700_000_000_000_000_000 + rng.below(5) as i64 * 1_000,
    ));
    let location = Location {
        country: rng.chance(80).then(|| rng.pick(&COUNTRIES).to_string()),
        region: rng.chance(30).then(|| "CA".to_owned()),
        city: rng.chance(60).then(|| rng.pick(&CITIES).to_string()),
        ..Location::default()
    };
    if rng.chance(85) {
        identity.rich_attributes.demographics = Some(Demographics {
            age: rng.chance(80).then(|| 18 + rng.below(8) as i32 * 5),
            gender: rng
                .chance(80)
                .then(|| Vocab::from_raw(*rng.pick(Gender::VALUES))),
            education: rng
                .chance(70)
                .then(|| Vocab::from_raw(*rng.pick(&Education::VALUES[..4]))),
            occupation: rng
                .chance(60)
                .then(|| rng.pick(&["Teacher", "teacher ", "Nurse"]).to_string()),
            location: Some(location),
            ..Demographics::default()
        });
    }
    if rng.chance(70) {
        identity.rich_attributes.psychographics = Some(Psychographics {
            personality: Some(Personality {
                openness: rng.unit(),
                conscientiousness: rng.unit(),
                extraversion: rng.unit(),
                agreeableness: rng.unit(),
                neuroticism: rng.unit(),
            }),
            ..Psychographics::default()
        });
    }
    if rng.chance(60) {
        identity.rich_attributes.political_social = Some(PoliticalSocial {
            political_leaning: Some(Vocab::from_raw(*rng.pick(PoliticalLeaning::VALUES))),
            ..PoliticalSocial::default()
        });
    }
    identity
}

fn filter(rng: &mut Rng, personas: &[String]) -> Filter {
    let mut f = Filter::default();
    let some = |rng: &mut Rng| rng.chance(25);
    if some(rng) {
        f.persona_ids = vec![rng.pick(personas).as_str().into()];
    }
    if some(rng) {
        f.active = Some(rng.chance(50));
    }
    if some(rng) {
        f.tags_any = vec![rng.pick(&TAGS).to_string(), rng.pick(&TAGS).to_string()];
    }
    if some(rng) {
        f.tags_all = vec![rng.pick(&TAGS).to_string()];
    }
    if some(rng) {
        f.text = Some(format!(
            "{} {}",
            rng.pick(&WORDS),
            rng.pick(&["", "LEE", "mail", "!!"])
        ));
    }
    if some(rng) {
        f.age_min = Some(18 + rng.below(30) as i32);
    }
    if some(rng) {
        f.age_max = Some(30 + rng.below(30) as i32);
    }
    if some(rng) {
        f.genders = vec![rng.pick(Gender::VALUES).to_string()];
    }
    if some(rng) {
        f.countries = vec![
            rng.pick(&COUNTRIES).to_string(),
            rng.pick(&COUNTRIES).to_string(),
        ];
    }
    if rng.chance(10) {
        f.regions = vec!["ca".into()];
    }
    if some(rng) {
        f.cities = vec![rng.pick(&CITIES).to_string()];
    }
    if some(rng) {
        f.educations = vec![rng.pick(&Education::VALUES[..4]).to_string()];
    }
    if some(rng) {
        f.occupations = vec![" TEACHER".into()];
    }
    if some(rng) {
        f.political_leanings = vec![rng.pick(PoliticalLeaning::VALUES).to_string()];
    }
    if some(rng) {
        let which = *rng.pick(&Trait::ALL);
        f.traits.push(TraitRange {
            which,
            min: rng.chance(70).then(|| rng.unit()),
            max: rng.chance(50).then(|| rng.unit()),
        });
    }
    if some(rng) {
        let at = |n: usize| {
            Some(Timestamp::from_unix_nanos(
                1_700_000_000_000_000_000 + n as i64 * 1_000,
            ))
        };
        f.created = TimeRange {
            from: at(rng.below(3)),
            to: at(2 + rng.below(4)),
        };
    }
    f
}

/// A scratch store holding 240 identities (some soft-deleted, some updated), the live ones in id
/// order with their query fields, and the personas' ids.
async fn populated(
    rng: &mut Rng,
) -> Option<(
    persona_store_postgres::PostgresStore,
    Vec<Identity>,
    Vec<IndexFields>,
    Vec<String>,
)> {
    let store = common::store().await?;
    let actor = Actor::new("test");
    let mut personas = Vec::new();
    let mut batch = Batch::new(actor.clone());
    for i in 0..3 {
        let persona = Persona::new(format!("P{i}"), "topic", "prompt");
        personas.push(persona.id.as_str().to_owned());
        batch.put(persona, WriteMode::Create).unwrap();
    }
    store.apply(batch).await.unwrap();
    let mut batch = Batch::new(actor.clone());
    for i in 0..240 {
        batch
            .put(identity(rng, &personas, i), WriteMode::Upsert)
            .unwrap();
    }
    let written = store.apply(batch).await.unwrap();
    // Soft-delete some, update others in a second batch (a different updated_at).
    let mut batch = Batch::new(actor.clone());
    for record in written.iter().step_by(9) {
        batch.delete(Kind::Identity, record.id_str(), None);
    }
    for record in written
        .iter()
        .skip(4)
        .step_by(11)
        .filter(|r| written.iter().position(|w| w == *r).unwrap() % 9 != 0)
    {
        if let AnyRecord::Identity(identity) = record {
            let mut changed = (**identity).clone();
            changed.description.push_str(" data");
            batch.put(changed, WriteMode::Upsert).unwrap();
        }
    }
    store.apply(batch).await.unwrap();

    // Every live identity, read back through list().
    let mut live: Vec<Identity> = Vec::new();
    let mut request = ListRequest::first(37);
    loop {
        let page = store.list(Kind::Identity, &request).await.unwrap();
        live.extend(page.items.into_iter().filter_map(|r| match r {
            AnyRecord::Identity(i) => Some(*i),
            _ => None,
        }));
        match page.next {
            Some(next) => request.cursor = Some(next),
            None => break,
        }
    }
    assert!(live.len() > 150, "{}", live.len());
    assert!(live.windows(2).all(|w| w[0].id.as_str() < w[1].id.as_str()));
    let fields: Vec<IndexFields> = live.iter().map(IndexFields::of).collect();
    Some((store, live, fields, personas))
}

/// Runs `q` page by page through the cursor, comparing every page with the reference evaluator's;
/// returns the number of non-empty pages.
async fn compare_pages(
    store: &persona_store_postgres::PostgresStore,
    live: &[Identity],
    fields: &[IndexFields],
    mut q: Query,
    round: usize,
) -> usize {
    let ns = store.namespace().clone();
    let mut nonempty = 0;
    let mut pages = 0;
    loop {
        let expected = query::evaluate(&q, &ns, live.iter().zip(fields.iter())).unwrap();
        let got = store.query(&q).await.unwrap();
        let ids = |items: &[Identity]| items.iter().map(|i| i.id.to_string()).collect::<Vec<_>>();
        assert_eq!(
            ids(&got.items),
            ids(&expected.items),
            "round {round} page {pages}: {q:?}"
        );
        assert_eq!(got.items, expected.items);
        assert_eq!(got.next, expected.next, "round {round} page {pages}");
        if !got.items.is_empty() {
            nonempty += 1;
        }
        pages += 1;
        match got.next {
            Some(next) => q.cursor = Some(next),
            None => return nonempty,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn queries_match_the_reference_evaluator() {
    let mut rng = Rng(7);
    let Some((store, live, fields, personas)) = populated(&mut rng).await else {
        return;
    };

    let mut nonempty = 0;
    for round in 0..300 {
        let f = filter(&mut rng, &personas);
        let sort = *rng.pick(&[
            SortKey::Created,
            SortKey::Updated,
            SortKey::Name,
            SortKey::Age,
        ]);
        let direction = *rng.pick(&[Direction::Asc, Direction::Desc]);
        let q = Query {
            filter: f.clone(),
            sort,
            direction,
            limit: 1 + rng.below(40),
            cursor: None,
        };
        nonempty += compare_pages(&store, &live, &fields, q, round).await;
        let matcher = query::Matcher::new(&f);
        let expected = fields.iter().filter(|x| matcher.matches(x)).count() as u64;
        assert_eq!(store.count(&f).await.unwrap(), expected, "round {round}");
        if round % 3 == 0 {
            let expected = query::count_facets(&f, &Facet::ALL, fields.iter());
            assert_eq!(
                store.facets(&f, &Facet::ALL).await.unwrap(),
                expected,
                "round {round}"
            );
            let one = [Facet::Country];
            assert_eq!(
                store.facets(&f, &one).await.unwrap(),
                query::count_facets(&f, &one, fields.iter())
            );
        }
    }
    assert!(nonempty > 150, "too few non-empty pages: {nonempty}");
    store.drop_schema().await.unwrap();
}

/// Filters on one country with age, Big Five and creation ranges, in created order: the pages the
/// covering country index answers (ids from an index-only scan, then their rows), before and
/// after `VACUUM` has set the visibility map, equal the reference evaluator's.
#[tokio::test(flavor = "multi_thread")]
async fn covered_country_queries_match_the_reference_evaluator() {
    use persona_store_postgres::sqlx;
    let mut rng = Rng(11);
    let Some((store, live, fields, _)) = populated(&mut rng).await else {
        return;
    };
    let mut nonempty = 0;
    for round in 0..160 {
        if round == 80 {
            let statement = format!("VACUUM (ANALYZE) \"{}\".identities", store.schema());
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(store.pool())
                .await
                .unwrap();
        }
        let mut f = Filter {
            countries: vec![rng.pick(&COUNTRIES[..4]).to_string()],
            ..Filter::default()
        };
        match rng.below(4) {
            0 => f.age_min = Some(18 + rng.below(30) as i32),
            1 => f.age_max = Some(20 + rng.below(30) as i32),
            2 => {
                f.age_min = Some(18 + rng.below(20) as i32);
                f.age_max = f.age_min.map(|min| min + rng.below(20) as i32);
            }
            _ => {}
        }
        for _ in 0..rng.below(3) {
            f.traits.push(TraitRange {
                which: *rng.pick(&Trait::ALL),
                min: rng.chance(70).then(|| rng.unit()),
                max: rng.chance(40).then(|| rng.unit()),
            });
        }
        if rng.chance(20) {
            f.created = TimeRange {
                from: Some(Timestamp::from_unix_nanos(
                    1_700_000_000_000_000_000 + rng.below(3) as i64 * 1_000,
                )),
                to: None,
            };
        }
        let q = Query {
            filter: f,
            sort: SortKey::Created,
            direction: *rng.pick(&[Direction::Asc, Direction::Desc]),
            limit: 1 + rng.below(12),
            cursor: None,
        };
        nonempty += compare_pages(&store, &live, &fields, q, round).await;
    }
    assert!(nonempty > 100, "too few non-empty pages: {nonempty}");
    store.drop_schema().await.unwrap();
}
