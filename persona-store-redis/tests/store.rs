//! Redis-specific guarantees beyond the shared suite: exact equality with the reference evaluator
//! on a larger data set (both page strategies of the planner, facet counts), exact nanosecond time filters, and
//! index consistency after concurrent writers.

mod common;

use std::collections::HashSet;

use persona_core::attributes::Timestamp;
use persona_core::attributes::psychographics::Trait;
use persona_core::query::{
    Direction, Facet, Filter, IndexFields, Query, SortKey, count_facets, evaluate,
};
use persona_core::store::{Batch, WriteMode};
use persona_core::{Actor, Identity, MemoryStore, Persona, Store, StoreExt};
use persona_store_redis::redis::AsyncCommands;
use persona_store_redis::{LayoutError, RedisStore, ReindexStep};
use persona_testkit::fixtures::Generator;

fn actor() -> Actor {
    Actor::new("tests")
}

/// The prefix of every key of the store's default namespace: `{<prefix>:default}:`.
fn default_keys(store: &RedisStore) -> String {
    format!("{{{}:default}}:", store.prefix())
}

/// Creates the persona a test's identities reference.
async fn create_persona(store: &RedisStore) -> Persona {
    store
        .personas()
        .create(&actor(), Persona::new("P", "t", "p"))
        .await
        .unwrap()
}

/// Every live identity of the store, read back through `list`.
async fn all_identities(store: &RedisStore) -> Vec<Identity> {
    use futures::TryStreamExt;
    store
        .identities()
        .export()
        .try_collect()
        .await
        .expect("export")
}

/// Pages through `query` on the store and through the reference evaluator on the same records,
/// asserting every page (items and cursors) is identical.
async fn assert_pages_match(store: &RedisStore, records: &[Identity], query: Query) {
    let fields: Vec<IndexFields> = records.iter().map(IndexFields::of).collect();
    let ns = store.namespace().clone();
    let mut query = query;
    let mut pages = 0;
    loop {
        let want = evaluate(&query, &ns, records.iter().zip(&fields)).expect("reference");
        let got = store.query(&query).await.expect("query");
        let want_ids: Vec<_> = want.items.iter().map(|i| i.id.as_str()).collect();
        let got_ids: Vec<_> = got.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(got_ids, want_ids, "page {pages} of {query:?}");
        assert_eq!(got.items, want.items);
        assert_eq!(
            got.next, want.next,
            "cursor after page {pages} of {query:?}"
        );
        let count = store.count(&query.filter).await.expect("count");
        let want_count = records
            .iter()
            .zip(&fields)
            .filter(|(_, f)| persona_core::query::Matcher::new(&query.filter).matches(f))
            .count() as u64;
        assert_eq!(count, want_count, "count of {:?}", query.filter);
        pages += 1;
        match got.next {
            Some(cursor) if pages < 12 => query.cursor = Some(cursor),
            _ => break,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn large_data_set_matches_reference_for_every_plan() {
    let Some(store) = common::store().await else {
        return;
    };
    let persona = store
        .personas()
        .create(&actor(), persona_testkit::fixtures::persona("Panel"))
        .await
        .unwrap();
    let other = store
        .personas()
        .create(&actor(), persona_testkit::fixtures::persona("Other"))
        .await
        .unwrap();
    let mut generator = Generator::new(11, persona.id.clone());
    let mut second = Generator::new(12, other.id.clone());
    let mut batch_records: Vec<Identity> = (0..500).map(|_| generator.identity()).collect();
    batch_records.extend((0..100).map(|_| second.identity()));
    // a few without attributes: missing age sorts as -1, no traits, no facets
    for i in 0..20 {
        let mut bare = Identity::new(persona.id.clone(), format!("Bare {i}"));
        bare.id = format!("bare-{i:02}").into();
        batch_records.push(bare);
    }
    store
        .identities()
        .put_many(&actor(), batch_records, WriteMode::Create)
        .await
        .unwrap();
    let records = all_identities(&store).await;
    assert_eq!(records.len(), 620);

    let fields = records
        .iter()
        .map(IndexFields::of)
        .find(|f| f.country.is_some() && f.tokens.len() > 1 && f.occupation.is_some())
        .unwrap();
    let country = fields.country.clone().unwrap();
    let word = fields.tokens[0].clone();
    let mut filters = vec![
        Filter::default(),
        Query::new().active(true).filter,
        Query::new().active(false).filter,
        Query::new().persona(other.id.clone()).filter,
        Query::new().country(country.to_uppercase()).filter,
        Query::new().text(word.clone()).filter,
        Query::new()
            .text(format!("{word} {}", fields.tokens[1]))
            .filter,
        Query::new().age(30..=45).filter,
        // one country and an age range: the country's age index
        Query::new()
            .country(country.to_uppercase())
            .age(30..=60)
            .filter,
        Query::new()
            .country(country.clone())
            .age(25..=70)
            .trait_range(Trait::Openness, 0.3..=1.0)
            .filter,
        Query::new()
            .country(country.clone())
            .country("nowhere")
            .age(30..=60)
            .filter,
        Query::new().age(89..=90).active(true).filter,
        Query::new()
            .trait_range(Trait::Openness, 0.2..=0.6)
            .trait_range(Trait::Neuroticism, 0.5..=1.0)
            .filter,
        Query::new()
            .any_tag("urban")
            .any_tag("early-adopter")
            .filter,
        Query::new().all_tag("urban").all_tag("parent").filter,
        Query::new()
            .created_between(Some(Timestamp::from_unix_nanos(fields.created_at)), None)
            .filter,
    ];
    let genders = Filter {
        genders: vec!["female".into(), "non-binary".into()],
        occupations: vec![fields.occupation.clone().unwrap()],
        ..Filter::default()
    };
    filters.push(genders);

    let all_fields: Vec<IndexFields> = records.iter().map(IndexFields::of).collect();
    for filter in filters {
        let facets = store.facets(&filter, &Facet::ALL).await.expect("facets");
        assert_eq!(
            facets,
            count_facets(&filter, &Facet::ALL, &all_fields),
            "facets of {filter:?}"
        );
        for sort in [
            SortKey::Created,
            SortKey::Updated,
            SortKey::Name,
            SortKey::Age,
        ] {
            for direction in [Direction::Asc, Direction::Desc] {
                for limit in [7, 250] {
                    let query = Query {
                        filter: filter.clone(),
                        sort,
                        direction,
                        limit,
                        cursor: None,
                    };
                    assert_pages_match(&store, &records, query).await;
                }
            }
        }
    }
    store.clear_namespace().await.unwrap();
}

/// Two tags that are each on half the identities but together on only the last few: taken as
/// independent the planner expects a quarter to match and walks the sort index, finds nothing
/// for as many members as one tag holds, and must fall back to reading the tag's set — and still
/// return exactly the reference's pages.
#[tokio::test(flavor = "multi_thread")]
async fn a_walk_on_a_wrong_estimate_falls_back_to_the_candidates() {
    let Some(store) = common::store().await else {
        return;
    };
    let persona = create_persona(&store).await;
    let identities: Vec<Identity> = (0..1_300u32)
        .map(|i| {
            let mut identity = Identity::new(persona.id.clone(), format!("N{i}"));
            identity.id = format!("id-{i:05}").into();
            identity.created_at = Some(Timestamp::from_unix_nanos(1_000 + i64::from(i)));
            identity.tags = match i {
                1_290.. => vec!["left".into(), "right".into()],
                _ if i % 2 == 0 => vec!["left".into()],
                _ => vec!["right".into()],
            };
            identity
        })
        .collect();
    for chunk in identities.chunks(325) {
        store
            .identities()
            .put_many(&actor(), chunk.to_vec(), WriteMode::Create)
            .await
            .unwrap();
    }
    let records = all_identities(&store).await;
    for direction in [Direction::Asc, Direction::Desc] {
        for limit in [3, 20] {
            let mut query = Query::new().all_tag("left").all_tag("right").limit(limit);
            query.direction = direction;
            assert_pages_match(&store, &records, query).await;
        }
    }
    store.clear_namespace().await.unwrap();
}

/// Sets an identity's country, age and openness.
fn place(identity: &mut Identity, country: &str, age: i32, openness: f64) {
    let demographics = identity.rich_attributes.demographics.as_mut().unwrap();
    demographics.age = Some(age);
    demographics.location.as_mut().unwrap().country = Some(country.into());
    let psychographics = identity.rich_attributes.psychographics.as_mut().unwrap();
    psychographics.personality.as_mut().unwrap().openness = openness;
}

/// Pages in created order on one country and a short age range merge that country's per-age
/// created indexes: with other clauses (filtered while merging), without any, over one age,
/// over ages with no identities, and with two tags that look independent but meet only on the
/// last identities (the merge reads as many members as a tag holds, then falls back to the
/// candidates) — every page and cursor equal to the reference's.
#[tokio::test(flavor = "multi_thread")]
async fn merged_age_indexes_page_like_the_reference() {
    let Some(store) = common::store().await else {
        return;
    };
    let persona = create_persona(&store).await;
    let mut generator = Generator::new(21, persona.id.clone());
    let identities: Vec<Identity> = (0..1_500u32)
        .map(|i| {
            let mut identity = generator.identity();
            let country = if i % 10 < 8 { "DE" } else { "FR" };
            let openness = f64::from(i * 37 % 101) / 100.0;
            place(&mut identity, country, 40 + (i % 7) as i32, openness);
            // a few share a created time, so ids break ties across the merged indexes
            identity.created_at = Some(Timestamp::from_unix_nanos(1_000 + i64::from(i / 3)));
            identity.tags = match i {
                1_490.. => vec!["left".into(), "right".into()],
                _ if i % 2 == 0 => vec!["left".into()],
                _ => vec!["right".into()],
            };
            identity
        })
        .collect();
    for chunk in identities.chunks(500) {
        store
            .identities()
            .put_many(&actor(), chunk.to_vec(), WriteMode::Create)
            .await
            .unwrap();
    }
    let records = all_identities(&store).await;
    let queries = [
        Query::new()
            .country("de")
            .age(41..=44)
            .trait_range(Trait::Openness, 0.5..=1.0),
        Query::new().country("DE").age(40..=46),
        Query::new().country("de").age(42..=42),
        Query::new().country("fr").age(30..=41),
        Query::new()
            .country("de")
            .age(41..=45)
            .all_tag("left")
            .all_tag("right"),
    ];
    for query in queries {
        for direction in [Direction::Asc, Direction::Desc] {
            for limit in [3, 40] {
                let query = query.clone().sort(SortKey::Created, direction).limit(limit);
                assert_pages_match(&store, &records, query).await;
            }
        }
    }
    store.clear_namespace().await.unwrap();
}

/// An identity sits in the per-(country, age) created index of its current country and age
/// only: an update that changes both moves it, a soft delete takes it out, a restore puts it
/// back, a purge removes it.
#[tokio::test(flavor = "multi_thread")]
async fn per_age_created_indexes_follow_every_write() {
    let Some(store) = common::store().await else {
        return;
    };
    let mut raw = common::manager().await.unwrap();
    let base = default_keys(&store);
    let persona = create_persona(&store).await;
    let mut identity = Generator::new(3, persona.id.clone()).identity();
    place(&mut identity, "DE", 40, 0.9);
    let id = identity.id.to_string();
    let created = store.identities().create(&actor(), identity).await.unwrap();
    let members = |key: &str| {
        let key = format!("{base}{key}");
        let mut raw = raw.clone();
        async move {
            let members: Vec<Vec<u8>> = raw.zrange(&key, 0, -1).await.unwrap();
            members
                .into_iter()
                .map(|m| String::from_utf8(m[16..].to_vec()).unwrap())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(members("o:ca:40:de").await, std::slice::from_ref(&id));
    let by_age = Query::new().country("DE").age(38..=42);
    assert_eq!(
        store.identities().query(&by_age).await.unwrap().items.len(),
        1
    );

    let mut moved = created.clone();
    place(&mut moved, "FR", 41, 0.9);
    store.identities().update(&actor(), moved).await.unwrap();
    assert!(members("o:ca:40:de").await.is_empty());
    assert_eq!(members("o:ca:41:fr").await, std::slice::from_ref(&id));
    assert!(
        store
            .identities()
            .query(&by_age)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let moved_query = Query::new().country("fr").age(41..=41);
    assert_eq!(
        store.identities().query(&moved_query).await.unwrap().items[0]
            .id
            .as_str(),
        id
    );

    store.identities().delete(&actor(), &id).await.unwrap();
    assert!(members("o:ca:41:fr").await.is_empty());
    store.identities().restore(&actor(), &id).await.unwrap();
    assert_eq!(members("o:ca:41:fr").await, std::slice::from_ref(&id));
    store.identities().purge(&actor(), &id).await.unwrap();
    assert!(members("o:ca:41:fr").await.is_empty());
    let left: Vec<String> = raw.keys(format!("{base}o:ca:*")).await.unwrap();
    assert!(left.is_empty(), "{left:?}");
    store.clear_namespace().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn time_filters_and_sorts_are_exact_to_the_nanosecond() {
    let Some(store) = common::store().await else {
        return;
    };
    let persona = create_persona(&store).await;
    // 2^60 + k: an f64 score cannot tell these apart (its spacing there is 256 ns).
    let base: i64 = 1 << 60;
    let mut identities = Vec::new();
    for k in 0..6i64 {
        let mut identity = Identity::new(persona.id.clone(), format!("N{k}"));
        identity.id = format!("id-{}", 5 - k).into();
        identity.created_at = Some(Timestamp::from_unix_nanos(base + k / 2));
        identities.push(identity);
    }
    store
        .identities()
        .put_many(&actor(), identities, WriteMode::Create)
        .await
        .unwrap();
    assert_eq!(
        (base + 1) as f64,
        base as f64,
        "an f64 score would lose the difference"
    );

    let window = Query::new().created_between(
        Some(Timestamp::from_unix_nanos(base + 1)),
        Some(Timestamp::from_unix_nanos(base + 2)),
    );
    let page = store.identities().query(&window).await.unwrap();
    let mut ids: Vec<_> = page.items.iter().map(|i| i.id.to_string()).collect();
    ids.sort();
    assert_eq!(ids, ["id-2", "id-3"]);
    let records = all_identities(&store).await;
    for direction in [Direction::Asc, Direction::Desc] {
        for limit in [1, 2, 4] {
            let query = Query::new().sort(SortKey::Created, direction).limit(limit);
            assert_pages_match(&store, &records, query).await;
            let query = window
                .clone()
                .sort(SortKey::Created, direction)
                .limit(limit);
            assert_pages_match(&store, &records, query).await;
        }
    }
    store.clear_namespace().await.unwrap();
}

/// Checks, with raw commands, that every index entry names a live record and every live identity
/// is in the id index exactly once.
async fn assert_indexes_consistent(store: &RedisStore, manager: &mut impl AsyncCommands) {
    let base = default_keys(store);
    let mut index_keys: Vec<String> = Vec::new();
    for pattern in ["i:*", "n:*", "ids:identity"] {
        let found: Vec<String> = manager
            .keys(format!("{base}{pattern}"))
            .await
            .expect("keys");
        index_keys.extend(found);
    }
    let live: HashSet<String> = all_identities(store)
        .await
        .into_iter()
        .map(|i| i.id.to_string())
        .collect();
    for key in index_keys {
        let kind: String = persona_store_redis::redis::cmd("TYPE")
            .arg(&key)
            .query_async(manager)
            .await
            .unwrap();
        let members: Vec<String> = if kind == "set" {
            manager.smembers(&key).await.unwrap()
        } else {
            manager.zrange(&key, 0, -1).await.unwrap()
        };
        for member in members {
            assert!(live.contains(&member), "{key} names {member}, not live");
        }
    }
    // the created indexes per country and per (country, age): sort members (16 hex digits, then
    // the id) of live identities, each identity in the ones of its own country and age
    let records = all_identities(store).await;
    for (pattern, want) in [("o:c:*", "o:c:"), ("o:ca:*", "o:ca:")] {
        let keys: Vec<String> = manager.keys(format!("{base}{pattern}")).await.unwrap();
        let mut seen = 0;
        for key in keys {
            let members: Vec<Vec<u8>> = manager.zrange(&key, 0, -1).await.unwrap();
            for member in members {
                let id = String::from_utf8(member[16..].to_vec()).unwrap();
                let identity = records.iter().find(|i| i.id.as_str() == id);
                let fields = IndexFields::of(identity.expect("a live identity"));
                let expected = match (want, &fields.country, fields.age) {
                    ("o:c:", Some(country), _) => format!("{base}o:c:{country}"),
                    ("o:ca:", Some(country), Some(age)) => format!("{base}o:ca:{age}:{country}"),
                    _ => String::new(),
                };
                assert_eq!(key, expected, "{id}");
                seen += 1;
            }
        }
        let owners = records
            .iter()
            .map(IndexFields::of)
            .filter(|f| f.country.is_some() && (want == "o:c:" || f.age.is_some()))
            .count();
        assert_eq!(seen, owners, "{pattern}");
    }
    let count: u64 = manager.zcard(format!("{base}ids:identity")).await.unwrap();
    assert_eq!(count, live.len() as u64);
    for suffix in ["o:c", "o:u", "o:n", "o:a"] {
        let n: u64 = manager.zcard(format!("{base}{suffix}")).await.unwrap();
        assert_eq!(n, live.len() as u64, "{suffix}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_writers_never_leave_dangling_index_entries() {
    let Some(store) = common::store().await else {
        return;
    };
    let mut raw = common::manager().await.unwrap();
    let persona = create_persona(&store).await;
    let mut generator = Generator::new(5, persona.id.clone());
    let seeds: Vec<Identity> = (0..40).map(|_| generator.identity()).collect();
    store
        .identities()
        .put_many(&actor(), seeds.clone(), WriteMode::Create)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for worker in 0..6u64 {
        let store = store.clone();
        let seeds = seeds.clone();
        let persona_id = persona.id.clone();
        tasks.push(tokio::spawn(async move {
            let mut generator = Generator::new(100 + worker, persona_id);
            for round in 0..15usize {
                let target = &seeds[(round * 7 + worker as usize) % seeds.len()];
                let mut batch = Batch::new(Actor::new(format!("w{worker}")));
                let mut fresh = generator.identity();
                fresh.id = target.id.clone();
                match round % 5 {
                    0 | 1 => {
                        batch.put(fresh, WriteMode::Upsert).unwrap();
                    }
                    2 => {
                        batch.delete(persona_core::Kind::Identity, target.id.as_str(), None);
                    }
                    3 => {
                        batch.restore(persona_core::Kind::Identity, target.id.as_str(), None);
                    }
                    _ => {
                        let _ = store
                            .purge(persona_core::Kind::Identity, target.id.as_str(), &actor())
                            .await;
                        batch.put(fresh, WriteMode::Create).unwrap();
                    }
                }
                // conflicts, not-found and already-exists are expected between racing workers
                let _ = store.apply(batch).await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_indexes_consistent(&store, &mut raw).await;
    // Agreement with the reference: the same live records give the same answers.
    let records = all_identities(&store).await;
    let memory = MemoryStore::new();
    let fields: Vec<_> = records.iter().map(IndexFields::of).collect();
    let query = Query::new()
        .sort(SortKey::Name, Direction::Desc)
        .limit(1000);
    let want = evaluate(&query, memory.namespace(), records.iter().zip(&fields)).unwrap();
    assert_eq!(store.query(&query).await.unwrap().items, want.items);
    store.clear_namespace().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_batches_write_nothing_at_all() {
    let Some(store) = common::store().await else {
        return;
    };
    let mut raw = common::manager().await.unwrap();
    let persona = create_persona(&store).await;
    let pattern = format!("{{{}:default}}:*", store.prefix());
    let mut before: Vec<String> = raw.keys(&pattern).await.unwrap();
    before.sort();
    let mut generator = Generator::new(9, persona.id.clone());
    let mut batch = Batch::new(actor());
    for _ in 0..10 {
        batch.put(generator.identity(), WriteMode::Create).unwrap();
    }
    // the last op updates a missing record: the whole batch must fail
    batch
        .put(
            generator.identity(),
            WriteMode::Update(persona_core::Version(3)),
        )
        .unwrap();
    assert!(store.apply(batch).await.is_err());
    let mut after: Vec<String> = raw.keys(&pattern).await.unwrap();
    after.sort();
    assert_eq!(before, after, "a failed batch left keys behind");
    store.clear_namespace().await.unwrap();
    let left: Vec<String> = raw.keys(&pattern).await.unwrap();
    assert!(left.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn prefixes_and_namespaces_keep_apart() {
    let Some(store) = common::store().await else {
        return;
    };
    let other_prefix = store
        .clone()
        .with_prefix(&format!("{}-b", store.prefix()))
        .unwrap();
    let persona = create_persona(&store).await;
    assert!(
        other_prefix
            .personas()
            .find(persona.id.as_str())
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.clone().with_prefix("bad{prefix").is_err());
    store.clear_namespace().await.unwrap();
}

/// Runs the same setup and batch on this store and on the reference, and asserts the same
/// outcome: the same error (by its message), or the same records, versions and history.
async fn assert_batch_like_reference(
    setup: &[Batch],
    batch: Batch,
    check_ids: &[(persona_core::Kind, &str)],
) {
    let Some(store) = common::store().await else {
        return;
    };
    let reference = MemoryStore::new();
    let mut outcomes = Vec::new();
    for target in [&store as &dyn Store, &reference as &dyn Store] {
        for step in setup {
            target.apply(step.clone()).await.expect("setup batch");
        }
        let result = target.apply(batch.clone()).await;
        let mut seen = Vec::new();
        for (kind, id) in check_ids {
            let versions: Vec<_> = target
                .versions(*kind, id)
                .await
                .unwrap()
                .into_iter()
                .map(|v| (v.version, v.action, v.deleted))
                .collect();
            let mut contents = Vec::new();
            for (version, _, _) in &versions {
                let entry = target.version(*kind, id, *version).await.unwrap().unwrap();
                assert_eq!(entry.info.version, *version);
                contents.push((entry.record.id_str().to_owned(), entry.record.version()));
            }
            let live = target.get(*kind, id).await.unwrap().map(|r| r.version());
            seen.push((versions, contents, live));
        }
        let audit: Vec<_> = target
            .audit(&persona_core::AuditQuery::default())
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.seq, e.action, e.id, e.version, e.label))
            .collect();
        outcomes.push((
            result.map(|records| {
                records
                    .iter()
                    .map(|r| (r.id_str().to_owned(), r.version()))
                    .collect::<Vec<_>>()
            }),
            seen,
            audit,
        ));
    }
    let (mine, want) = (&outcomes[0], &outcomes[1]);
    match (&mine.0, &want.0) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        (a, b) => panic!("outcomes differ: {a:?} vs {b:?}"),
    }
    assert_eq!(mine.1, want.1, "versions, history entries, live state");
    assert_eq!(mine.2, want.2, "audit log");
    store.clear_namespace().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn history_and_fallbacks_match_reference() {
    use persona_core::Kind;
    let persona = {
        let mut p = Persona::new("P", "t", "p");
        p.id = "p1".into();
        p
    };
    let identity = |id: &str, persona: &str| {
        let mut i = Identity::new(persona.into(), format!("Name {id}"));
        i.id = id.into();
        i
    };
    let batch = |build: &dyn Fn(&mut Batch)| {
        let mut b = Batch::new(actor());
        build(&mut b);
        b
    };
    let with_persona = batch(&|b| {
        b.put(persona.clone(), WriteMode::Create).unwrap();
    });

    // several versions of one record in one batch, then more in a later batch
    let mut updated = identity("i1", "p1");
    updated.version = persona_core::Version(1);
    updated.name = "Renamed".into();
    let mut again = updated.clone();
    again.version = persona_core::Version(2);
    again.name = "Again".into();
    let setup = [
        with_persona.clone(),
        batch(&|b| {
            b.put(identity("i1", "p1"), WriteMode::Create).unwrap();
            b.put(updated.clone(), WriteMode::Update(persona_core::Version(1)))
                .unwrap();
            b.delete(Kind::Identity, "i1", None);
        }),
    ];
    let last = batch(&|b| {
        b.restore(Kind::Identity, "i1", Some(persona_core::Version(3)));
        b.put(again.clone(), WriteMode::Update(persona_core::Version(4)))
            .unwrap();
    });
    assert_batch_like_reference(&setup, last, &[(Kind::Identity, "i1")]).await;

    // creates only (the optimistic path), each failing in the reference for another reason
    let existing = [
        with_persona.clone(),
        batch(&|b| {
            b.put(identity("taken", "p1"), WriteMode::Create).unwrap();
        }),
    ];
    let clash = batch(&|b| {
        b.put(identity("fresh", "p1"), WriteMode::Create).unwrap();
        b.put(identity("taken", "p1"), WriteMode::Create).unwrap();
    });
    let ids = [(Kind::Identity, "fresh"), (Kind::Identity, "taken")];
    assert_batch_like_reference(&existing, clash, &ids).await;

    let twice = batch(&|b| {
        b.put(identity("dup", "p1"), WriteMode::Create).unwrap();
        b.put(identity("dup", "p1"), WriteMode::Create).unwrap();
    });
    assert_batch_like_reference(&existing, twice, &[(Kind::Identity, "dup")]).await;

    // an earlier op's missing persona wins over a later op's taken id
    let order = batch(&|b| {
        b.put(identity("orphan", "nobody"), WriteMode::Create)
            .unwrap();
        b.put(identity("taken", "p1"), WriteMode::Create).unwrap();
    });
    assert_batch_like_reference(&existing, order, &[(Kind::Identity, "orphan")]).await;

    // a soft-deleted persona, and a persona created after the identity referring to it
    let deleted_persona = [
        with_persona.clone(),
        batch(&|b| {
            b.delete(Kind::Persona, "p1", None);
        }),
    ];
    let on_deleted = batch(&|b| {
        b.put(identity("late", "p1"), WriteMode::Create).unwrap();
    });
    assert_batch_like_reference(&deleted_persona, on_deleted, &[(Kind::Identity, "late")]).await;
    let mut p2 = persona.clone();
    p2.id = "p2".into();
    let before_persona = batch(&|b| {
        b.put(identity("early", "p2"), WriteMode::Create).unwrap();
        b.put(p2.clone(), WriteMode::Create).unwrap();
    });
    assert_batch_like_reference(&[], before_persona, &[(Kind::Persona, "p2")]).await;
    let after_persona = batch(&|b| {
        b.put(p2.clone(), WriteMode::Create).unwrap();
        b.put(identity("later", "p2"), WriteMode::Create).unwrap();
    });
    let ids = [(Kind::Persona, "p2"), (Kind::Identity, "later")];
    assert_batch_like_reference(&[], after_persona, &ids).await;
}

/// The layout error behind `error`, if it is one.
fn layout_error(error: &persona_core::Error) -> Option<&LayoutError> {
    match error {
        persona_core::Error::Backend {
            source,
            retryable: false,
            ..
        } => source.downcast_ref::<LayoutError>(),
        _ => None,
    }
}

/// Writes `n` identities (80% in DE, ages 40–46, two tags) under a fresh persona, soft-deletes
/// every 50th and updates every 70th; returns the persona.
async fn seed_identities(store: &RedisStore, seed: u64, n: u32) -> Persona {
    let persona = create_persona(store).await;
    let mut generator = Generator::new(seed, persona.id.clone());
    let identities: Vec<Identity> = (0..n)
        .map(|i| {
            let mut identity = generator.identity();
            let country = if i % 10 < 8 { "DE" } else { "FR" };
            place(
                &mut identity,
                country,
                40 + (i % 7) as i32,
                f64::from(i % 101) / 100.0,
            );
            identity.created_at = Some(Timestamp::from_unix_nanos(1_000 + i64::from(i / 3)));
            identity
        })
        .collect();
    for chunk in identities.chunks(500) {
        store
            .identities()
            .put_many(&actor(), chunk.to_vec(), WriteMode::Create)
            .await
            .unwrap();
    }
    for (i, identity) in identities.iter().enumerate() {
        if i % 50 == 0 {
            store
                .identities()
                .delete(&actor(), identity.id.as_str())
                .await
                .unwrap();
        } else if i % 70 == 0 {
            let mut moved = store.identities().get(identity.id.as_str()).await.unwrap();
            place(&mut moved, "FR", 41, 0.5);
            store.identities().update(&actor(), moved).await.unwrap();
        }
    }
    persona
}

/// Every query of the per-(country, age) merge, and facets, equal the reference's.
async fn assert_answers_match(store: &RedisStore) {
    let records = all_identities(store).await;
    let queries = [
        Query::new().country("de").age(41..=44),
        Query::new()
            .country("FR")
            .age(40..=46)
            .trait_range(Trait::Openness, 0.2..=0.9),
        Query::new().country("de"),
        Query::new(),
    ];
    for query in queries {
        for direction in [Direction::Asc, Direction::Desc] {
            let query = query.clone().sort(SortKey::Created, direction).limit(40);
            assert_pages_match(store, &records, query).await;
        }
    }
    let fields: Vec<IndexFields> = records.iter().map(IndexFields::of).collect();
    for filter in [Filter::default(), Query::new().country("de").filter] {
        let facets = store.facets(&filter, &Facet::ALL).await.expect("facets");
        assert_eq!(facets, count_facets(&filter, &Facet::ALL, &fields));
    }
}

/// Data written before layouts were versioned (simulated: current data without the layout key,
/// the per-(country, age) created indexes and the facet counters) is refused by queries, counts,
/// facets, lists and writes with a `LayoutError`, never answered wrong; `get` still reads it;
/// `reindex` rebuilds the indexes to answers equal to the reference's and is then a no-op.
#[tokio::test(flavor = "multi_thread")]
async fn an_unversioned_namespace_is_refused_until_reindexed() {
    let Some(store) = common::store().await else {
        return;
    };
    let mut raw = common::manager().await.unwrap();
    let base = default_keys(&store);
    // a namespace never written answers (empty) and its first write sets the layout
    assert!(store.query(&Query::new()).await.unwrap().items.is_empty());
    let persona = seed_identities(&store, 31, 700).await;
    let layout: String = raw.get(format!("{base}layout")).await.unwrap();
    assert_eq!(layout, RedisStore::LAYOUT.to_string());

    let mut old: Vec<String> = raw.keys(format!("{base}o:ca:*")).await.unwrap();
    old.extend(
        raw.keys::<_, Vec<String>>(format!("{base}fc:*"))
            .await
            .unwrap(),
    );
    old.push(format!("{base}layout"));
    let _: () = raw.del(&old).await.unwrap();
    let mut before: Vec<String> = raw.keys(format!("{base}*")).await.unwrap();
    before.sort();

    let outdated = LayoutError::Outdated {
        found: None,
        expected: RedisStore::LAYOUT,
    };
    let merged = Query::new().country("de").age(41..=44);
    let error = store.query(&merged).await.unwrap_err();
    assert_eq!(layout_error(&error), Some(&outdated), "{error}");
    assert!(error.to_string().contains("redis"));
    let error = store.count(&merged.filter).await.unwrap_err();
    assert_eq!(layout_error(&error), Some(&outdated));
    let error = store
        .facets(&Filter::default(), &Facet::ALL)
        .await
        .unwrap_err();
    assert_eq!(layout_error(&error), Some(&outdated));
    let error = store
        .list(persona_core::Kind::Identity, &Default::default())
        .await
        .unwrap_err();
    assert_eq!(layout_error(&error), Some(&outdated));
    let error = store
        .personas()
        .create(&actor(), Persona::new("Q", "t", "p"))
        .await
        .unwrap_err();
    assert_eq!(layout_error(&error), Some(&outdated));
    let mut after: Vec<String> = raw.keys(format!("{base}*")).await.unwrap();
    after.sort();
    assert_eq!(before, after, "a refused write wrote something");
    assert_eq!(
        store.personas().get(persona.id.as_str()).await.unwrap(),
        persona
    );

    let indexed = store.reindex().await.unwrap();
    let records: Vec<String> = raw.keys(format!("{base}r:*")).await.unwrap();
    assert_eq!(indexed, records.len() as u64);
    let layout: String = raw.get(format!("{base}layout")).await.unwrap();
    assert_eq!(layout, RedisStore::LAYOUT.to_string());
    assert_indexes_consistent(&store, &mut raw).await;
    assert_answers_match(&store).await;
    assert_eq!(store.reindex().await.unwrap(), 0, "nothing left to rebuild");
    store
        .personas()
        .create(&actor(), Persona::new("Q", "t", "p"))
        .await
        .unwrap();

    // an older version number is rebuilt too; a newer one is refused, and not touched
    let _: () = raw.set(format!("{base}layout"), "0").await.unwrap();
    let error = store.query(&merged).await.unwrap_err();
    assert!(matches!(
        layout_error(&error),
        Some(LayoutError::Outdated { found: Some(0), .. })
    ));
    assert!(store.reindex().await.unwrap() > 0);
    assert_answers_match(&store).await;
    let newer = (RedisStore::LAYOUT + 1).to_string();
    let _: () = raw.set(format!("{base}layout"), &newer).await.unwrap();
    let error = store.reindex().await.unwrap_err();
    assert!(matches!(
        layout_error(&error),
        Some(LayoutError::Newer { .. })
    ));
    let layout: String = raw.get(format!("{base}layout")).await.unwrap();
    assert_eq!(layout, newer);
    store.clear_namespace().await.unwrap();
}

/// A rebuild interrupted after any step leaves the indexes holding exactly the entries of the
/// records it has indexed (every index entry is one of theirs, and theirs are all there), refuses
/// queries and writes meanwhile, and is finished by `reindex` from another handle.
#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_reindex_is_consistent_and_resumes() {
    let Some(store) = common::store().await else {
        return;
    };
    let mut raw = common::manager().await.unwrap();
    let base = default_keys(&store);
    seed_identities(&store, 32, 1_500).await;
    let _: () = raw.del(format!("{base}layout")).await.unwrap();

    let mut steps = 0;
    let mut filled = 0;
    loop {
        match store.reindex_step().await.unwrap() {
            ReindexStep::Progress { records } => filled += records,
            other => panic!("{other:?} before a record was indexed"),
        }
        steps += 1;
        if filled > 0 {
            break;
        }
    }
    let state: String = raw.get(format!("{base}layout")).await.unwrap();
    let error = store.query(&Query::new()).await.unwrap_err();
    assert_eq!(
        layout_error(&error),
        Some(&LayoutError::Rebuilding),
        "{state}"
    );
    let error = store
        .personas()
        .create(&actor(), Persona::new("Q", "t", "p"))
        .await
        .unwrap_err();
    assert_eq!(layout_error(&error), Some(&LayoutError::Rebuilding));

    // the records this rebuild has indexed carry its token; the indexes hold exactly theirs
    let token = state.split(':').nth(1).unwrap().to_owned();
    let keys: Vec<String> = raw.keys(format!("{base}r:identity:*")).await.unwrap();
    let mut covered_live = HashSet::new();
    let mut covered = 0;
    for key in &keys {
        let (built, live): (Option<String>, Option<String>) =
            persona_store_redis::redis::cmd("HMGET")
                .arg(key)
                .arg("b")
                .arg("d")
                .query_async(&mut raw)
                .await
                .unwrap();
        if built.as_deref() == Some(token.as_str()) {
            covered += 1;
            if live.is_some() {
                covered_live.insert(key[base.len() + "r:identity:".len()..].to_owned());
            }
        }
    }
    assert!(
        covered > 0 && covered < keys.len(),
        "{covered} of {}",
        keys.len()
    );
    let ids: Vec<String> = raw
        .zrange(format!("{base}ids:identity"), 0, -1)
        .await
        .unwrap();
    assert_eq!(ids.into_iter().collect::<HashSet<_>>(), covered_live);
    let created: u64 = raw.zcard(format!("{base}o:c")).await.unwrap();
    assert_eq!(created, covered_live.len() as u64);
    let counts: Vec<(String, u64)> = raw.hgetall(format!("{base}fc:2")).await.unwrap();
    let counted: u64 = counts.iter().map(|(_, n)| n).sum();
    assert_eq!(counted, covered_live.len() as u64, "country counters");

    // "crash": another handle finishes the rebuild from where it stopped
    let other = common::store()
        .await
        .unwrap()
        .with_prefix(store.prefix())
        .unwrap();
    let rest = other.reindex().await.unwrap();
    assert_eq!(
        filled + rest,
        keys.len() as u64 + 1,
        "every record once (plus the persona)"
    );
    assert!(steps > 0);
    assert_indexes_consistent(&store, &mut raw).await;
    assert_answers_match(&store).await;
    store.clear_namespace().await.unwrap();
}

/// The address of the test Redis.
fn redis_addr() -> std::net::SocketAddr {
    let url = persona_testkit::services::redis_url();
    let rest = url.trim_start_matches("redis://");
    let host = rest.split('/').next().unwrap_or("127.0.0.1:6379");
    host.parse()
        .unwrap_or_else(|_| "127.0.0.1:6379".parse().unwrap())
}

/// A write whose script reached Redis but whose reply never came back is reported as an
/// outcome-unknown (retryable backend) error, not as `Unavailable` — and it did apply.
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_reply_to_a_write_is_an_unknown_outcome() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let Some(direct) = common::store().await else {
        return;
    };
    // a proxy that forwards requests, and replies only while `replies` is set
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = listener.local_addr().unwrap();
    let replies = Arc::new(AtomicBool::new(true));
    let forward = Arc::clone(&replies);
    let upstream = redis_addr();
    let accept = tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = tokio::net::TcpStream::connect(upstream).await.unwrap();
            let (mut client_read, mut client_write) = client.into_split();
            let (mut server_read, mut server_write) = server.into_split();
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
            });
            let forward = Arc::clone(&forward);
            tokio::spawn(async move {
                let mut buffer = vec![0; 64 * 1024];
                while let Ok(n) = server_read.read(&mut buffer).await {
                    if n == 0 {
                        break;
                    }
                    if forward.load(Ordering::SeqCst)
                        && client_write.write_all(&buffer[..n]).await.is_err()
                    {
                        break;
                    }
                }
            });
        }
    });
    let client = persona_store_redis::redis::Client::open(format!("redis://{proxy}/")).unwrap();
    let config = persona_store_redis::redis::aio::ConnectionManagerConfig::new()
        .set_number_of_retries(1)
        .set_response_timeout(Some(std::time::Duration::from_secs(1)));
    let manager =
        persona_store_redis::redis::aio::ConnectionManager::new_with_config(client, config)
            .await
            .unwrap();
    let store = RedisStore::new(manager)
        .with_prefix(direct.prefix())
        .unwrap();
    store
        .personas()
        .create(&actor(), Persona::new("First", "t", "p"))
        .await
        .unwrap();

    replies.store(false, Ordering::SeqCst);
    let second = Persona::new("Second", "t", "p");
    let error = store
        .personas()
        .create(&actor(), second.clone())
        .await
        .unwrap_err();
    assert!(
        !matches!(error, persona_core::Error::Unavailable { .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
    let persona_core::Error::Backend { source, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(
        source.to_string().contains("may have been applied"),
        "{source}"
    );
    // and it was applied
    let mut applied = None;
    for _ in 0..100 {
        applied = direct.personas().find(second.id.as_str()).await.unwrap();
        if applied.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(applied.map(|p| p.name), Some("Second".to_owned()));
    accept.abort();
    direct.clear_namespace().await.unwrap();
}

/// A record hash of the first builds (soft-delete flag, no `v`) is reported, not guessed at.
#[tokio::test(flavor = "multi_thread")]
async fn reindex_reports_records_it_cannot_read() {
    let Some(store) = common::store().await else {
        return;
    };
    let mut raw = common::manager().await.unwrap();
    let base = default_keys(&store);
    let persona = create_persona(&store).await;
    let key = format!("{base}r:persona:{}", persona.id);
    let _: () = raw.hdel(&key, "v").await.unwrap();
    let _: () = raw.hset(&key, "x", "0").await.unwrap();
    let _: () = raw.del(format!("{base}layout")).await.unwrap();
    let error = store.reindex().await.unwrap_err();
    assert!(
        matches!(error, persona_core::Error::Corrupt { .. }),
        "{error:?}"
    );
    let error = store.query(&Query::new()).await.unwrap_err();
    assert_eq!(layout_error(&error), Some(&LayoutError::Rebuilding));
    store.clear_namespace().await.unwrap();
}

/// The layout check and the rebuild under Redis Cluster (`TEST_REDIS_CLUSTER_URL`, e.g. a
/// one-node cluster owning every slot: scripts may then only touch keys of the slot of their
/// declared key, so this checks that every key they reach carries the namespace's hash tag).
#[cfg(feature = "cluster")]
#[tokio::test(flavor = "multi_thread")]
async fn reindex_works_under_cluster() {
    let Ok(url) = std::env::var("TEST_REDIS_CLUSTER_URL") else {
        println!("skipping: TEST_REDIS_CLUSTER_URL is not set");
        return;
    };
    let prefix = format!("test-{}", persona_testkit::services::unique_suffix());
    let store = RedisStore::connect_cluster(&[url.as_str()])
        .await
        .unwrap()
        .with_prefix(&prefix)
        .unwrap();
    let client = persona_store_redis::redis::Client::open(url.as_str()).unwrap();
    let mut raw = persona_store_redis::redis::aio::ConnectionManager::new(client)
        .await
        .unwrap();
    let base = format!("{{{prefix}:default}}:");
    seed_identities(&store, 33, 700).await;
    let mut old: Vec<String> = raw.keys(format!("{base}o:ca:*")).await.unwrap();
    old.push(format!("{base}layout"));
    let _: () = raw.del(&old).await.unwrap();
    let error = store
        .query(&Query::new().country("de").age(41..=44))
        .await
        .unwrap_err();
    assert!(
        matches!(layout_error(&error), Some(LayoutError::Outdated { .. })),
        "{error:?}"
    );
    assert!(store.reindex().await.unwrap() > 700);
    assert_indexes_consistent(&store, &mut raw).await;
    assert_answers_match(&store).await;
    store.clear_namespace().await.unwrap();
}

/// After the server forgets its scripts (a restart, `SCRIPT FLUSH`), the write and rebuild
/// scripts, which the store sends as hand-built `EVALSHA`s, are loaded again and run.
#[tokio::test(flavor = "multi_thread")]
async fn scripts_the_server_forgot_are_loaded_again() {
    let Some(store) = common::store().await else {
        return;
    };
    let mut raw = common::manager().await.unwrap();
    let persona = create_persona(&store).await;
    let _: () = persona_store_redis::redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut raw)
        .await
        .unwrap();
    let identity = Generator::new(5, persona.id.clone()).identity();
    let created = store.identities().create(&actor(), identity).await.unwrap();
    assert_eq!(
        store.identities().get(created.id.as_str()).await.unwrap(),
        created
    );
    let _: () = raw
        .del(format!("{}layout", default_keys(&store)))
        .await
        .unwrap();
    let _: () = persona_store_redis::redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(store.reindex().await.unwrap(), 2);
    assert_eq!(all_identities(&store).await, vec![created]);
    store.clear_namespace().await.unwrap();
}
