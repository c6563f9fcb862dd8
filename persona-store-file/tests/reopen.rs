//! After a seeded random mix of writes in two namespaces, reopening the directory gives back
//! exactly what the store answered before: records, every version, audit, tombstones, queries.

use persona_core::query::{Direction, SortKey};
use persona_core::{
    Actor, AnyRecord, AuditQuery, Batch, Facet, Filter, Group, Identity, Kind, ListRequest,
    Namespace, Persona, Query, Store, StoreExt, WriteMode,
};
use persona_store_file::FileStore;
use persona_testkit::fixtures::{self, Generator};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(Debug, PartialEq)]
struct Snapshot {
    records: Vec<AnyRecord>,
    versions: Vec<(String, Vec<persona_core::HistoryEntry>)>,
    audit: Vec<persona_core::AuditEntry>,
    tombstones: Vec<Option<persona_core::Tombstone>>,
    queries: Vec<Vec<Identity>>,
    facets: persona_core::FacetCounts,
}

async fn snapshot(store: &FileStore, ids: &[(Kind, String)]) -> Snapshot {
    let mut records = Vec::new();
    for kind in Kind::ALL {
        let page = store.list(kind, &ListRequest::first(1000)).await.unwrap();
        records.extend(page.items);
    }
    let mut versions = Vec::new();
    let mut tombstones = Vec::new();
    for (kind, id) in ids {
        let mut entries = Vec::new();
        for info in store.versions(*kind, id).await.unwrap() {
            entries.push(
                store
                    .version(*kind, id, info.version)
                    .await
                    .unwrap()
                    .unwrap(),
            );
        }
        versions.push((id.clone(), entries));
        tombstones.push(store.tombstone(*kind, id).await.unwrap());
    }
    let mut queries = Vec::new();
    for (sort, direction) in [
        (SortKey::Name, Direction::Asc),
        (SortKey::Age, Direction::Desc),
        (SortKey::Updated, Direction::Asc),
    ] {
        let query = Query::new().sort(sort, direction).limit(1000);
        queries.push(store.identities().query(&query).await.unwrap().items);
    }
    Snapshot {
        records,
        versions,
        audit: store.audit(&AuditQuery::default()).await.unwrap(),
        tombstones,
        queries,
        facets: store
            .facets(&Filter::default(), &[Facet::Gender, Facet::Country])
            .await
            .unwrap(),
    }
}

async fn random_writes(store: &FileStore, seed: u64) -> Vec<(Kind, String)> {
    let actor = Actor::new("reopen");
    let mut rng = StdRng::seed_from_u64(seed);
    let persona = store
        .personas()
        .create(&actor, fixtures::persona("Reopen"))
        .await
        .unwrap();
    let spare = store
        .personas()
        .create(&actor, fixtures::persona("Spare"))
        .await
        .unwrap();
    let mut generator = Generator::new(seed, persona.id.clone());
    let mut ids = vec![
        (Kind::Persona, persona.id.to_string()),
        (Kind::Persona, spare.id.to_string()),
    ];
    let mut identities: Vec<String> = Vec::new();
    for _ in 0..60 {
        let pick = |rng: &mut StdRng, ids: &[String]| ids[rng.random_range(0..ids.len())].clone();
        match rng.random_range(0..10) {
            0..=2 => {
                let mut batch = Batch::new(actor.clone());
                for _ in 0..rng.random_range(1..5) {
                    let identity = generator.identity();
                    identities.push(identity.id.to_string());
                    ids.push((Kind::Identity, identity.id.to_string()));
                    batch.put(identity, WriteMode::Create).unwrap();
                }
                store.write(batch).await.unwrap();
            }
            3..=4 if !identities.is_empty() => {
                let id = pick(&mut rng, &identities);
                if let Some(mut identity) = store.identities().find(&id).await.unwrap() {
                    identity.description = format!("revision {}", rng.random::<u16>());
                    identity.active = !identity.active;
                    store.identities().update(&actor, identity).await.unwrap();
                }
            }
            5 if !identities.is_empty() => {
                let id = pick(&mut rng, &identities);
                let _ = store.identities().delete(&actor, &id).await;
            }
            6 if !identities.is_empty() => {
                let id = pick(&mut rng, &identities);
                let _ = store.identities().restore(&actor, &id).await;
            }
            7 if !identities.is_empty() => {
                let id = pick(&mut rng, &identities);
                if store.identities().purge(&actor, &id).await.is_ok() {
                    identities.retain(|i| *i != id);
                }
            }
            8 => {
                let mut group = Group::new(format!("Group {}", rng.random::<u8>()));
                group.member_ids = identities
                    .iter()
                    .take(3)
                    .map(|i| i.as_str().into())
                    .collect();
                ids.push((Kind::Group, group.id.to_string()));
                store.groups().create(&actor, group).await.unwrap();
            }
            _ => {
                let mut persona: Persona = store.personas().get(spare.id.as_str()).await.unwrap();
                persona.tags.push(format!("t{}", rng.random::<u8>()));
                persona.tags.truncate(5);
                store.personas().update(&actor, persona).await.unwrap();
            }
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn reopening_gives_back_everything() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    let tenant = store.with_namespace(Namespace::new("tenant").unwrap());
    let ids = random_writes(&store, 7).await;
    let tenant_ids = random_writes(&tenant, 8).await;
    let before = (
        snapshot(&store, &ids).await,
        snapshot(&tenant, &tenant_ids).await,
    );
    assert!(before.0.records.len() > 20);
    assert!(before.0.audit.len() > 60);
    drop((store, tenant));

    let store = FileStore::open(dir.path()).unwrap();
    assert!(store.load_report().is_clean(), "{}", store.load_report());
    let tenant = store.with_namespace(Namespace::new("tenant").unwrap());
    let after = (
        snapshot(&store, &ids).await,
        snapshot(&tenant, &tenant_ids).await,
    );
    assert_eq!(before, after);
    for record in &after.0.records {
        assert!(record.validate().is_valid());
    }
    // History snapshots equal the records they describe.
    for (id, entries) in &after.0.versions {
        if let Some(last) = entries.last()
            && let Some(live) = after.0.records.iter().find(|r| r.id_str() == id)
        {
            assert_eq!(&last.record, live);
        }
    }
}
