//! Batches whose outcome depends on op order and on rows the store does not read up front
//! (creates): the same error as the reference store, and nothing written.

mod common;

use persona_core::{
    Actor, Batch, Error, Identity, Kind, MemoryStore, Persona, Store, Version, WriteMode,
};

fn persona(id: &str) -> Persona {
    let mut persona = Persona::new("P", "topic", "prompt");
    persona.id = id.into();
    persona
}

fn identity(id: &str, persona: &str) -> Identity {
    let mut identity = Identity::new(persona.into(), "Ann");
    identity.id = id.into();
    identity
}

/// Identifies an outcome: the error variant with its kind and id, or success.
fn outcome(result: &Result<Vec<persona_core::AnyRecord>, Error>) -> String {
    match result {
        Ok(records) => format!("ok {}", records.len()),
        Err(Error::AlreadyExists { kind, id }) => format!("exists {kind} {id}"),
        Err(Error::NotFound { kind, id }) => format!("not found {kind} {id}"),
        Err(Error::VersionConflict { kind, id, .. }) => format!("conflict {kind} {id}"),
        Err(Error::Invalid(report)) => format!("invalid {report}"),
        Err(other) => format!("other {other:?}"),
    }
}

async fn seed(store: &impl Store) {
    let mut batch = Batch::new(Actor::new("seed"));
    batch.put(persona("p1"), WriteMode::Create).unwrap();
    batch.put(persona("p2"), WriteMode::Create).unwrap();
    batch.put(identity("i1", "p1"), WriteMode::Create).unwrap();
    batch.delete(Kind::Persona, "p2", None);
    store.apply(batch).await.unwrap();
}

fn scenarios() -> Vec<Batch> {
    let actor = Actor::new("t");
    let mut out = Vec::new();
    // A referenced persona that exists, then a create of that persona: the create fails.
    let mut b = Batch::new(actor.clone());
    b.put(identity("i2", "p1"), WriteMode::Create).unwrap();
    b.put(persona("p1"), WriteMode::Create).unwrap();
    out.push(b);
    // A create of a taken id before a stale update: the create's error comes first.
    let mut b = Batch::new(actor.clone());
    b.put(identity("i1", "p1"), WriteMode::Create).unwrap();
    b.put(identity("i1", "p1"), WriteMode::Update(Version(9)))
        .unwrap();
    out.push(b);
    let mut b = Batch::new(actor.clone());
    b.put(persona("p3"), WriteMode::Create).unwrap();
    b.put(identity("i1", "p1"), WriteMode::Create).unwrap();
    b.put(identity("i9", "missing"), WriteMode::Create).unwrap();
    out.push(b);
    // A stale update before a taken create: the update's error comes first.
    let mut b = Batch::new(actor.clone());
    b.put(identity("i1", "p1"), WriteMode::Update(Version(9)))
        .unwrap();
    b.put(persona("p1"), WriteMode::Create).unwrap();
    out.push(b);
    // Creating a soft-deleted persona's id fails; referencing it fails too.
    let mut b = Batch::new(actor.clone());
    b.put(identity("i3", "p2"), WriteMode::Create).unwrap();
    out.push(b);
    let mut b = Batch::new(actor.clone());
    b.put(persona("p2"), WriteMode::Create).unwrap();
    out.push(b);
    // Create, update and delete of a new id in one batch, then a later create of it.
    let mut b = Batch::new(actor.clone());
    b.put(persona("p4"), WriteMode::Create).unwrap();
    b.put(identity("i4", "p4"), WriteMode::Create).unwrap();
    b.put(identity("i4", "p4"), WriteMode::Update(Version(1)))
        .unwrap();
    b.delete(Kind::Identity, "i4", Some(Version(2)));
    b.restore(Kind::Identity, "i4", None);
    out.push(b);
    let mut b = Batch::new(actor.clone());
    b.put(identity("i4", "p4"), WriteMode::Create).unwrap();
    out.push(b);
    // Large batches (binary COPY): a taken id in the middle, and a taken id of another kind
    // after it.
    let mut b = Batch::new(actor.clone());
    for n in 0..100 {
        let id = if n == 60 {
            "i1".to_owned()
        } else {
            format!("c{n:03}")
        };
        b.put(identity(&id, "p1"), WriteMode::Create).unwrap();
    }
    b.put(persona("p1"), WriteMode::Create).unwrap();
    out.push(b);
    let mut b = Batch::new(actor.clone());
    b.put(persona("p1"), WriteMode::Create).unwrap();
    for n in 0..100 {
        b.put(identity(&format!("d{n:03}"), "p1"), WriteMode::Create)
            .unwrap();
    }
    out.push(b);
    let mut b = Batch::new(actor.clone());
    for n in 0..100 {
        b.put(identity(&format!("e{n:03}"), "p1"), WriteMode::Create)
            .unwrap();
    }
    b.put(identity("e050", "p1"), WriteMode::Update(Version(1)))
        .unwrap();
    out.push(b);
    // Restoring the deleted persona makes it usable in the same batch.
    let mut b = Batch::new(actor);
    b.restore(Kind::Persona, "p2", None);
    b.put(identity("i5", "p2"), WriteMode::Upsert).unwrap();
    out.push(b);
    out
}

/// Every audit entry but its time, and every live record's id and version, per kind.
type AuditRow = (u64, String, Kind, String, Version, Option<String>, String);

async fn state(store: &dyn Store) -> (Vec<AuditRow>, Vec<Vec<(String, Version)>>) {
    let audit = store
        .audit(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            let action = format!("{:?}", e.action);
            (
                e.seq,
                action,
                e.kind,
                e.id,
                e.version,
                e.label,
                e.actor.as_str().to_owned(),
            )
        })
        .collect();
    let mut kinds = Vec::new();
    for kind in Kind::ALL {
        let page = store
            .list(kind, &persona_core::ListRequest::first(100))
            .await
            .unwrap();
        kinds.push(
            page.items
                .iter()
                .map(|r| (r.id_str().to_owned(), r.version()))
                .collect(),
        );
    }
    (audit, kinds)
}

const EXPECTED: [&str; 12] = [
    "exists persona p1",
    "exists identity i1",
    "exists identity i1",
    "conflict identity i1",
    "invalid",
    "exists persona p2",
    "ok 5",
    "exists identity i4",
    "exists identity i1",
    "exists persona p1",
    "ok 101",
    "ok 2",
];

#[tokio::test(flavor = "multi_thread")]
async fn batch_outcomes_match_the_reference_store() {
    let Some(store) = common::scratch().await else {
        return;
    };
    let memory = MemoryStore::new();
    seed(&store).await;
    seed(&memory).await;
    for (n, batch) in scenarios().into_iter().enumerate() {
        let expected = memory.apply(batch.clone()).await;
        let got = store.apply(batch).await;
        assert_eq!(outcome(&got), outcome(&expected), "scenario {n}");
        assert!(
            outcome(&got).starts_with(EXPECTED[n]),
            "scenario {n}: {}",
            outcome(&got)
        );
        if let (Ok(got), Ok(expected)) = (&got, &expected) {
            for (g, e) in got.iter().zip(expected) {
                assert_eq!(g.id_str(), e.id_str());
                assert_eq!(g.version(), e.version());
            }
        }
        assert_eq!(state(&store).await, state(&memory).await, "scenario {n}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nul_characters_are_refused_without_echoing_the_value() {
    let Some(store) = common::scratch().await else {
        return;
    };
    let mut batch = Batch::new(Actor::new("t"));
    batch
        .put(
            Persona::new("secret\0name", "topic", "prompt"),
            WriteMode::Create,
        )
        .unwrap();
    let err = store.apply(batch).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Backend {
                retryable: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!format!("{err:?}").contains("secret"), "{err:?}");
    let (audit, kinds) = state(&store).await;
    assert!(audit.is_empty());
    assert!(kinds.iter().all(Vec::is_empty));
}

/// A large upsert batch (binary `COPY`) reads its ids as missing, then another transaction
/// creates one of them before the `COPY` reaches it: the batch fails with `AlreadyExists` for
/// that id, as the `INSERT` path of small batches does, not with a retryable backend error, and
/// writes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn copy_conflict_with_a_concurrent_create_is_already_exists() {
    use persona_store_postgres::sqlx::{self, AssertSqlSafe};
    use std::time::{Duration, Instant};

    let Some(scratch) = common::scratch().await else {
        return;
    };
    let store = scratch.inner().clone();
    let schema = store.schema().to_owned();
    let mut seed_batch = Batch::new(Actor::new("seed"));
    seed_batch.put(persona("p1"), WriteMode::Create).unwrap();
    store.apply(seed_batch).await.unwrap();
    // The row the other transaction will create: written by the SDK in another namespace, then
    // copied into this one by hand.
    let other = store.with_namespace(persona_core::Namespace::new("other").unwrap());
    let mut other_batch = Batch::new(Actor::new("seed"));
    other_batch.put(persona("p1"), WriteMode::Create).unwrap();
    other_batch
        .put(identity("u050", "p1"), WriteMode::Create)
        .unwrap();
    other.apply(other_batch).await.unwrap();

    let columns = "id, version, deleted, action, actor, created_at, updated_at, doc, persona_id, \
                   active, terms, name, age, gender, country, region, city, education, \
                   occupation, political_leaning, age_group, political_spectrum, openness, \
                   conscientiousness, extraversion, agreeableness, neuroticism";
    let mut rival = store.pool().begin().await.unwrap();
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO {schema}.identities (ns, {columns}) \
         SELECT 'default', {columns} FROM {schema}.identities WHERE ns = 'other'"
    )))
    .execute(&mut *rival)
    .await
    .unwrap();

    let mut batch = Batch::new(Actor::new("t"));
    for n in 0..100 {
        batch
            .put(identity(&format!("u{n:03}"), "p1"), WriteMode::Upsert)
            .unwrap();
    }
    let writer = tokio::spawn({
        let store = store.clone();
        async move { store.apply(batch).await }
    });
    // Wait until the batch's COPY waits on the rival's uncommitted row, then commit the rival.
    let started = Instant::now();
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE wait_event_type = 'Lock' AND query LIKE 'COPY %' AND strpos(query, $1) > 0",
        )
        .bind(format!("\"{schema}\".identities"))
        .fetch_one(store.pool())
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the batch never waited on the rival row"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    rival.commit().await.unwrap();

    let err = writer.await.unwrap().unwrap_err();
    assert!(
        matches!(&err, Error::AlreadyExists { kind: Kind::Identity, id } if id == "u050"),
        "{err:?}"
    );
    let (audit, kinds) = state(&store).await;
    assert_eq!(audit.len(), 1, "only the seed's persona was audited");
    assert_eq!(kinds[1], vec![("u050".to_owned(), Version(1))]);
}

/// Bulk writes keep the planner's statistics and the visibility map current: after 10,000
/// identity writes the store runs `VACUUM (ANALYZE)` on its identities table in the background
/// (so the planner sees how many rows a filter matches, and index-only scans can skip the table,
/// even where autovacuum is off or behind), and not before.
#[tokio::test(flavor = "multi_thread")]
async fn bulk_writes_vacuum_and_analyze_the_identities_table() {
    use persona_core::StoreExt;
    use persona_store_postgres::sqlx;
    let Some(store) = common::scratch().await else {
        return;
    };
    // (vacuum_count, analyze_count, reltuples) of the identities table.
    let state = || async {
        let row: (i64, i64, f32) = sqlx::query_as(
            "SELECT s.vacuum_count, s.analyze_count, c.reltuples FROM pg_stat_user_tables s \
             JOIN pg_class c ON c.oid = s.relid WHERE s.schemaname = $1 AND s.relname = 'identities'",
        )
        .bind(store.inner().schema())
        .fetch_one(store.inner().pool())
        .await
        .expect("table statistics");
        row
    };
    store
        .personas()
        .create(&Actor::new("t"), persona("p"))
        .await
        .unwrap();
    let mut generator = persona_testkit::fixtures::Generator::new(7, "p".into());
    for round in 0..4 {
        let batch: Vec<Identity> = (&mut generator).take(2_500).collect();
        store
            .identities()
            .put_many(&Actor::new("t"), batch, WriteMode::Create)
            .await
            .unwrap();
        let (vacuums, analyzes, tuples) = state().await;
        if round < 3 {
            let written = (round + 1) * 2_500;
            assert_eq!((vacuums, analyzes), (0, 0), "after {written} writes");
            // never analyzed (-1), or left at what the COPY itself estimated
            assert!(
                tuples < 10_000.0,
                "analyzed after {written} writes: {tuples}"
            );
        }
    }
    // The run started by the 10,000th write goes on in the background.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let (vacuums, analyzes, tuples) = loop {
        let state = state().await;
        if state.0 >= 1 && state.1 >= 1 || std::time::Instant::now() > deadline {
            break state;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        (vacuums, analyzes),
        (1, 1),
        "one VACUUM (ANALYZE) after 10,000 writes"
    );
    assert_eq!(tuples, 10_000.0);
}
