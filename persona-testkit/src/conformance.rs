//! The conformance suite: one async function per behaviour of the store contract (SPEC §3).
//!
//! Backends run it through [`conformance_tests!`](crate::conformance_tests), which expands to one
//! `#[tokio::test]` per behaviour. Every function takes a fresh, empty store bound to the `default`
//! namespace (or any namespace: the suite only uses handles derived from it).

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use futures::TryStreamExt;
use persona_attributes::demographics::{Demographics, Education, Location};
use persona_attributes::psychographics::{Personality, Psychographics, Trait};
use persona_attributes::{Code, Gender, Timestamp, Vocab};
use persona_core::query::{
    self, Direction, Facet, Filter, IndexFields, ListRequest, Query, SortKey,
};
use persona_core::store::{Action, AuditQuery, Batch, WriteMode};
use persona_core::{
    Actor, AnyRecord, Error, Group, Identity, Kind, MemoryStore, Namespace, Persona, Record, Store,
    StoreExt, Version,
};

use crate::fixtures::{self, Generator};

fn actor() -> Actor {
    Actor::new("conformance")
}

fn other_namespace(store: &impl Store) -> Arc<dyn Store> {
    store.namespaced(Namespace::new("conformance-other").expect("valid namespace"))
}

async fn seed_persona<S: Store + ?Sized>(store: &S) -> Persona {
    store
        .personas()
        .create(&actor(), fixtures::persona("Panel"))
        .await
        .expect("create persona")
}

fn person(persona: &Persona, name: &str, age: Option<i32>, country: &str) -> Identity {
    let mut identity = Identity::new(persona.id.clone(), name);
    identity.description = format!("{name} lives in {country}");
    identity.rich_attributes.demographics = Some(Demographics {
        age,
        gender: Some(Vocab::Known(Gender::Female)),
        education: Some(Vocab::Known(Education::Master)),
        location: Some(Location {
            country: Some(country.into()),
            ..Location::default()
        }),
        ..Demographics::default()
    });
    identity
}

async fn seed_identities<S: Store + ?Sized>(
    store: &S,
    persona: &Persona,
    n: usize,
) -> Vec<Identity> {
    let records: Vec<Identity> = Generator::new(42, persona.id.clone()).take(n).collect();
    store
        .identities()
        .put_many(&actor(), records, WriteMode::Create)
        .await
        .expect("seed identities")
}

fn ids<R: Record>(records: &[R]) -> Vec<String> {
    records.iter().map(|r| r.id_str().to_owned()).collect()
}

fn assert_invalid(result: Result<impl std::fmt::Debug, Error>, path: &str, code: Code) {
    match result {
        Err(Error::Invalid(report)) => assert!(
            report.iter().any(|v| v.path == path && v.code == code),
            "expected {code} at {path}, got {report}"
        ),
        other => panic!("expected a validation error at {path}, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Create, read, write modes
// ---------------------------------------------------------------------------------------------

/// A created persona reads back equal, with version 1 and both timestamps set.
pub async fn persona_create_then_get<S: Store>(store: &S) {
    let persona = fixtures::persona("Tutor");
    let saved = store
        .personas()
        .create(&actor(), persona.clone())
        .await
        .unwrap();
    assert_eq!(saved.version, Version::FIRST);
    assert!(saved.created_at.is_some() && saved.updated_at.is_some());
    let read = store.personas().get(persona.id.as_str()).await.unwrap();
    assert_eq!(read, saved);
    assert_eq!(read.prompt, persona.prompt);
    assert_eq!(read.context, persona.context);
}

/// A fully populated identity reads back equal, rich attributes included.
pub async fn identity_create_then_get<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    let identity = Generator::new(1, persona.id.clone()).identity();
    let saved = store
        .identities()
        .create(&actor(), identity.clone())
        .await
        .unwrap();
    assert_eq!(saved.version, Version::FIRST);
    let read = store.identities().get(identity.id.as_str()).await.unwrap();
    assert_eq!(read, saved);
    assert_eq!(read.rich_attributes, identity.rich_attributes);
}

/// A created group reads back equal, with `size` computed from its members.
pub async fn group_create_then_get<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    let members = seed_identities(store, &persona, 3).await;
    let mut group = Group::new("Focus group");
    group.member_ids = members.iter().map(|m| m.id.clone()).collect();
    group.generation_config = Some(serde_json::json!({"target_size": 3}));
    let saved = store
        .groups()
        .create(&actor(), group.clone())
        .await
        .unwrap();
    assert_eq!(saved.size, 3);
    assert_eq!(store.groups().get(group.id.as_str()).await.unwrap(), saved);
}

/// Reading an unknown id gives `None` (and `NotFound` through `get`).
pub async fn get_missing_is_none<S: Store>(store: &S) {
    assert!(store.personas().find("nope").await.unwrap().is_none());
    assert!(matches!(
        store.identities().get("nope").await,
        Err(Error::NotFound {
            kind: Kind::Identity,
            ..
        })
    ));
}

/// Creating an id that exists fails with `AlreadyExists` and changes nothing.
pub async fn create_existing_id_fails<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    let mut again = persona.clone();
    again.name = "Other".into();
    again.version = Version::NEW;
    assert!(matches!(
        store.personas().create(&actor(), again).await,
        Err(Error::AlreadyExists {
            kind: Kind::Persona,
            ..
        })
    ));
    assert_eq!(
        store.personas().get(persona.id.as_str()).await.unwrap(),
        persona
    );
}

/// An update with the stored version writes version 2, keeps `created_at`, advances `updated_at`.
pub async fn update_bumps_version<S: Store>(store: &S) {
    let mut persona = seed_persona(store).await;
    persona.topic = "Updated topic".into();
    let updated = store
        .personas()
        .update(&actor(), persona.clone())
        .await
        .unwrap();
    assert_eq!(updated.version, Version(2));
    assert_eq!(updated.created_at, persona.created_at);
    assert!(updated.updated_at >= persona.updated_at);
    assert_eq!(
        store
            .personas()
            .get(persona.id.as_str())
            .await
            .unwrap()
            .topic,
        "Updated topic"
    );
}

/// An update with a stale version fails with `VersionConflict` and changes nothing.
pub async fn update_stale_version_conflicts<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    let mut first = persona.clone();
    first.topic = "first".into();
    store.personas().update(&actor(), first).await.unwrap();
    let mut stale = persona.clone();
    stale.topic = "stale".into();
    match store.personas().update(&actor(), stale).await {
        Err(Error::VersionConflict {
            expected, actual, ..
        }) => {
            assert_eq!((expected, actual), (Version(1), Version(2)));
        }
        other => panic!("expected a version conflict, got {other:?}"),
    }
    assert_eq!(
        store
            .personas()
            .get(persona.id.as_str())
            .await
            .unwrap()
            .topic,
        "first"
    );
}

/// Updating an id that does not exist fails with `NotFound`.
pub async fn update_missing_is_not_found<S: Store>(store: &S) {
    let mut persona = fixtures::persona("Ghost");
    persona.version = Version(1);
    assert!(matches!(
        store.personas().update(&actor(), persona).await,
        Err(Error::NotFound { .. })
    ));
}

/// Upsert creates a missing record and overwrites an existing one whatever its version.
pub async fn upsert_creates_then_overwrites<S: Store>(store: &S) {
    let persona = fixtures::persona("Upserted");
    let created = store
        .personas()
        .upsert(&actor(), persona.clone())
        .await
        .unwrap();
    assert_eq!(created.version, Version::FIRST);
    let mut changed = persona.clone();
    changed.topic = "overwritten".into();
    let overwritten = store.personas().upsert(&actor(), changed).await.unwrap();
    assert_eq!(overwritten.version, Version(2));
    assert_eq!(overwritten.created_at, created.created_at);
    assert_eq!(
        store
            .personas()
            .get(persona.id.as_str())
            .await
            .unwrap()
            .topic,
        "overwritten"
    );
}

/// Ids from other systems (fr0g-ai-aip's 16-hex ids) are kept as they are.
pub async fn foreign_ids_are_kept<S: Store>(store: &S) {
    let mut persona = fixtures::persona("Imported");
    persona.id = "049bd98fec26c01b".into();
    store.personas().create(&actor(), persona).await.unwrap();
    let page = store
        .personas()
        .list(&ListRequest::default())
        .await
        .unwrap();
    assert_eq!(ids(&page.items), ["049bd98fec26c01b"]);
}

/// Unicode text is stored and returned byte for byte.
pub async fn unicode_round_trips<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    let mut identity = person(&persona, "Zoë Ørsted 山田 ✓", Some(33), "Ísland");
    identity.background = "Emoji 🧪, combining é, RTL שלום".into();
    store
        .identities()
        .create(&actor(), identity.clone())
        .await
        .unwrap();
    let read = store.identities().get(identity.id.as_str()).await.unwrap();
    assert_eq!(
        (read.name, read.background),
        (identity.name, identity.background)
    );
}

// ---------------------------------------------------------------------------------------------
// Validation and references
// ---------------------------------------------------------------------------------------------

/// An invalid persona is rejected with every violation and nothing is written.
pub async fn invalid_persona_rejected_nothing_written<S: Store>(store: &S) {
    let mut persona = Persona::new("", "t", "x".repeat(10_001));
    persona.tags = vec!["t".into(); 21];
    let id = persona.id.clone();
    match store.personas().create(&actor(), persona).await {
        Err(Error::Invalid(report)) => {
            let paths: BTreeSet<_> = report.iter().map(|v| (v.path.clone(), v.code)).collect();
            assert!(paths.contains(&("name".into(), Code::Required)));
            assert!(paths.contains(&("prompt".into(), Code::TooLong)));
            assert!(paths.contains(&("tags".into(), Code::TooManyItems)));
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert!(store.personas().find(id.as_str()).await.unwrap().is_none());
    assert!(
        store
            .audit_log(&AuditQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
}

/// Identity validation reports rich-attribute violations with full paths.
pub async fn invalid_identity_reports_full_paths<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    let mut identity = person(&persona, "Bad", Some(200), "US");
    identity.tags = vec![String::new()];
    let id = identity.id.clone();
    let result = store.identities().create(&actor(), identity).await;
    let Err(Error::Invalid(report)) = result else {
        panic!("expected a validation error, got {result:?}");
    };
    let paths: BTreeSet<_> = report.iter().map(|v| (v.path.as_str(), v.code)).collect();
    assert!(
        paths.contains(&("rich_attributes.demographics.age", Code::OutOfRange)),
        "{report}"
    );
    assert!(paths.contains(&("tags[0]", Code::Required)), "{report}");
    assert!(
        store
            .identities()
            .find(id.as_str())
            .await
            .unwrap()
            .is_none()
    );
}

/// Ids that are unsafe as file names or keys are rejected.
pub async fn unsafe_ids_rejected<S: Store>(store: &S) {
    let mut persona = fixtures::persona("Traversal");
    persona.id = "../escape".into();
    assert_invalid(
        store.personas().create(&actor(), persona).await,
        "id",
        Code::InvalidFormat,
    );
}

/// An identity must reference an existing persona.
pub async fn identity_requires_existing_persona<S: Store>(store: &S) {
    let orphan = person(&fixtures::persona("Never stored"), "Orphan", Some(30), "US");
    let id = orphan.id.clone();
    assert_invalid(
        store.identities().create(&actor(), orphan).await,
        "persona_id",
        Code::InvalidReference,
    );
    assert!(
        store
            .identities()
            .find(id.as_str())
            .await
            .unwrap()
            .is_none()
    );
}

/// An identity cannot reference a soft-deleted persona.
pub async fn identity_rejects_deleted_persona<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    store
        .personas()
        .delete(&actor(), persona.id.as_str())
        .await
        .unwrap();
    assert_invalid(
        store
            .identities()
            .create(&actor(), person(&persona, "Late", None, "US"))
            .await,
        "persona_id",
        Code::InvalidReference,
    );
}

/// A persona created earlier in the same batch satisfies an identity's reference.
pub async fn batch_resolves_references_in_order<S: Store>(store: &S) {
    let persona = fixtures::persona("Batch");
    let identity = person(&persona, "Batched", Some(40), "FR");
    let mut batch = Batch::new(actor());
    batch.put(persona.clone(), WriteMode::Create).unwrap();
    batch.put(identity.clone(), WriteMode::Create).unwrap();
    let stored = store.write(batch).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[1].kind(), Kind::Identity);
    assert!(
        store
            .identities()
            .find(identity.id.as_str())
            .await
            .unwrap()
            .is_some()
    );
}

// ---------------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------------

/// Concurrent updates from the same version: exactly one wins, the others get `VersionConflict`.
pub async fn concurrent_updates_one_wins<S: Store + Clone>(store: &S) {
    let persona = seed_persona(store).await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            let mut change = persona.clone();
            change.topic = format!("writer {i}");
            tokio::spawn(async move { store.personas().update(&actor(), change).await })
        })
        .collect();
    let mut wins = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(saved) => {
                wins += 1;
                assert_eq!(saved.version, Version(2));
            }
            Err(Error::VersionConflict { .. }) => {}
            Err(other) if other.is_retryable() => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(
        store
            .personas()
            .get(persona.id.as_str())
            .await
            .unwrap()
            .version,
        Version(2)
    );
}

/// Concurrent creates of one id: exactly one succeeds.
pub async fn concurrent_creates_one_wins<S: Store + Clone>(store: &S) {
    let persona = fixtures::persona("Race");
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            let persona = persona.clone();
            tokio::spawn(async move { store.personas().create(&actor(), persona).await })
        })
        .collect();
    let mut wins = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => wins += 1,
            Err(Error::AlreadyExists { .. }) => {}
            Err(other) if other.is_retryable() => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(wins, 1);
}

/// Read-modify-write with retry on conflict loses no update.
pub async fn no_lost_updates<S: Store + Clone>(store: &S) {
    let persona = seed_persona(store).await;
    let writers = 6;
    let tasks: Vec<_> = (0..writers)
        .map(|i| {
            let store = store.clone();
            let id = persona.id.clone();
            tokio::spawn(async move {
                loop {
                    let mut current = store.personas().get(id.as_str()).await.unwrap();
                    current.rag.push(format!("doc-{i}"));
                    match store.personas().update(&actor(), current).await {
                        Ok(_) => return,
                        Err(Error::VersionConflict { .. }) => continue,
                        Err(e) if e.is_retryable() => continue,
                        Err(e) => panic!("unexpected error {e:?}"),
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let last = store.personas().get(persona.id.as_str()).await.unwrap();
    assert_eq!(last.version, Version(1 + writers));
    let docs: BTreeSet<_> = last.rag.iter().cloned().collect();
    assert_eq!(docs.len(), writers as usize);
}

// ---------------------------------------------------------------------------------------------
// Soft delete, restore, purge
// ---------------------------------------------------------------------------------------------

/// A soft-deleted identity disappears from get, list, query, count and facets.
pub async fn delete_hides_everywhere<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    let seeded = seed_identities(store, &persona, 3).await;
    let gone = &seeded[0];
    let deleted = store
        .identities()
        .delete(&actor(), gone.id.as_str())
        .await
        .unwrap();
    assert_eq!(deleted.version, Version(2));
    assert!(
        store
            .identities()
            .find(gone.id.as_str())
            .await
            .unwrap()
            .is_none()
    );
    let listed = store
        .identities()
        .list(&ListRequest::default())
        .await
        .unwrap();
    assert!(!ids(&listed.items).contains(&gone.id.to_string()));
    let queried = store.identities().query(&Query::new()).await.unwrap();
    assert_eq!(queried.items.len(), 2);
    assert_eq!(
        store.identities().count(&Filter::default()).await.unwrap(),
        2
    );
    if store.capabilities().facets {
        let facets = store
            .identities()
            .facets(&Filter::default(), &[Facet::Gender])
            .await
            .unwrap();
        assert_eq!(facets[&Facet::Gender].values().sum::<u64>(), 2);
    }
}

/// Deleting an unknown or already deleted record is `NotFound`.
pub async fn delete_missing_or_twice_is_not_found<S: Store>(store: &S) {
    assert!(matches!(
        store.personas().delete(&actor(), "nope").await,
        Err(Error::NotFound { .. })
    ));
    let persona = seed_persona(store).await;
    store
        .personas()
        .delete(&actor(), persona.id.as_str())
        .await
        .unwrap();
    assert!(matches!(
        store.personas().delete(&actor(), persona.id.as_str()).await,
        Err(Error::NotFound { .. })
    ));
}

/// Restore brings a soft-deleted record back as a new version with its content.
pub async fn restore_brings_back<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    store
        .personas()
        .delete(&actor(), persona.id.as_str())
        .await
        .unwrap();
    let restored = store
        .personas()
        .restore(&actor(), persona.id.as_str())
        .await
        .unwrap();
    assert_eq!(restored.version, Version(3));
    assert_eq!(restored.prompt, persona.prompt);
    assert_eq!(
        store.personas().get(persona.id.as_str()).await.unwrap(),
        restored
    );
}

/// Restoring a live record fails; restoring an unknown one is `NotFound`.
pub async fn restore_live_or_missing_fails<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    assert!(matches!(
        store
            .personas()
            .restore(&actor(), persona.id.as_str())
            .await,
        Err(Error::AlreadyExists { .. })
    ));
    assert!(matches!(
        store.personas().restore(&actor(), "nope").await,
        Err(Error::NotFound { .. })
    ));
}

/// A soft-deleted id is still taken: create and upsert fail, update is `NotFound`.
pub async fn deleted_id_stays_taken<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    store
        .personas()
        .delete(&actor(), persona.id.as_str())
        .await
        .unwrap();
    let mut fresh = persona.clone();
    fresh.version = Version::NEW;
    assert!(matches!(
        store.personas().create(&actor(), fresh.clone()).await,
        Err(Error::AlreadyExists { .. })
    ));
    assert!(matches!(
        store.personas().upsert(&actor(), fresh).await,
        Err(Error::AlreadyExists { .. })
    ));
    let mut stale = persona.clone();
    stale.version = Version(2);
    assert!(matches!(
        store.personas().update(&actor(), stale).await,
        Err(Error::NotFound { .. })
    ));
}

/// Purge erases record and history and leaves a tombstone.
pub async fn purge_erases_record_and_history<S: Store>(store: &S) {
    if !store.capabilities().purge {
        return assert_unsupported(store.personas().purge(&actor(), "x").await);
    }
    let persona = seed_persona(store).await;
    let identity = store
        .identities()
        .create(&actor(), person(&persona, "Erase Me", Some(50), "DE"))
        .await
        .unwrap();
    let mut changed = identity.clone();
    changed.background = "Private history".into();
    store.identities().update(&actor(), changed).await.unwrap();
    let tombstone = store
        .identities()
        .purge(&actor(), identity.id.as_str())
        .await
        .unwrap();
    assert_eq!(tombstone.last_version, Version(2));
    assert_eq!(tombstone.kind, Kind::Identity);
    let id = identity.id.as_str();
    assert!(store.identities().find(id).await.unwrap().is_none());
    assert!(store.versions(Kind::Identity, id).await.unwrap().is_empty());
    assert!(
        store
            .version(Kind::Identity, id, Version(1))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.identities().tombstone(id).await.unwrap(),
        Some(tombstone)
    );
    assert_eq!(
        store.identities().count(&Filter::default()).await.unwrap(),
        0
    );
}

/// Purge removes personal data from the audit log and records the purge itself.
pub async fn purge_scrubs_audit<S: Store>(store: &S) {
    if !store.capabilities().purge || !store.capabilities().audit {
        return;
    }
    let persona = seed_persona(store).await;
    let identity = store
        .identities()
        .create(
            &actor(),
            person(&persona, "Wilhelmina Secretname", Some(50), "DE"),
        )
        .await
        .unwrap();
    let id = identity.id.as_str();
    store.identities().delete(&actor(), id).await.unwrap();
    store.identities().purge(&actor(), id).await.unwrap();
    let entries = store
        .audit_log(&AuditQuery::record(Kind::Identity, id))
        .await
        .unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries.last().unwrap().action, Action::Purge);
    let dump = serde_json::to_string(&entries).unwrap();
    assert!(
        !dump.contains("Secretname"),
        "personal data left in audit: {dump}"
    );
    // Other records' labels are untouched.
    let persona_entries = store
        .audit_log(&AuditQuery::record(Kind::Persona, persona.id.as_str()))
        .await
        .unwrap();
    assert_eq!(persona_entries[0].label.as_deref(), Some("Panel"));
}

/// A soft-deleted record can be purged.
pub async fn purge_deleted_record<S: Store>(store: &S) {
    if !store.capabilities().purge {
        return;
    }
    let persona = seed_persona(store).await;
    store
        .personas()
        .delete(&actor(), persona.id.as_str())
        .await
        .unwrap();
    let tombstone = store
        .personas()
        .purge(&actor(), persona.id.as_str())
        .await
        .unwrap();
    assert_eq!(tombstone.last_version, Version(2));
    assert!(matches!(
        store
            .personas()
            .restore(&actor(), persona.id.as_str())
            .await,
        Err(Error::NotFound { .. })
    ));
}

/// A persona still used by identities (even soft-deleted ones) cannot be purged.
pub async fn purge_referenced_persona_refused<S: Store>(store: &S) {
    if !store.capabilities().purge {
        return;
    }
    let persona = seed_persona(store).await;
    let identity = store
        .identities()
        .create(&actor(), person(&persona, "User", None, "US"))
        .await
        .unwrap();
    store
        .identities()
        .delete(&actor(), identity.id.as_str())
        .await
        .unwrap();
    assert!(matches!(
        store.personas().purge(&actor(), persona.id.as_str()).await,
        Err(Error::Referenced { count: 1, .. })
    ));
    assert!(
        store
            .personas()
            .find(persona.id.as_str())
            .await
            .unwrap()
            .is_some()
    );
    store
        .identities()
        .purge(&actor(), identity.id.as_str())
        .await
        .unwrap();
    store
        .personas()
        .purge(&actor(), persona.id.as_str())
        .await
        .unwrap();
}

/// Purging an unknown record is `NotFound`.
pub async fn purge_missing_is_not_found<S: Store>(store: &S) {
    if !store.capabilities().purge {
        return;
    }
    assert!(matches!(
        store.groups().purge(&actor(), "nope").await,
        Err(Error::NotFound { .. })
    ));
}

/// A purged id can be created again, starting from version 1.
pub async fn purged_id_can_be_recreated<S: Store>(store: &S) {
    if !store.capabilities().purge {
        return;
    }
    let persona = seed_persona(store).await;
    store
        .personas()
        .purge(&actor(), persona.id.as_str())
        .await
        .unwrap();
    let mut again = persona.clone();
    again.version = Version::NEW;
    let created = store.personas().create(&actor(), again).await.unwrap();
    assert_eq!(created.version, Version::FIRST);
    assert_eq!(
        store
            .personas()
            .versions(persona.id.as_str())
            .await
            .unwrap()
            .len(),
        1
    );
}

fn assert_unsupported<T: std::fmt::Debug>(result: Result<T, Error>) {
    assert!(
        matches!(result, Err(Error::Unsupported { .. })),
        "expected Unsupported, got {result:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// History
// ---------------------------------------------------------------------------------------------

/// Every write is a version: create, updates, delete and restore, with actor and action.
pub async fn history_lists_every_version<S: Store>(store: &S) {
    if !store.capabilities().history {
        return assert_unsupported(store.personas().versions("x").await);
    }
    let mut persona = seed_persona(store).await;
    persona.topic = "two".into();
    let persona = store
        .personas()
        .update(&Actor::new("editor"), persona)
        .await
        .unwrap();
    store
        .personas()
        .delete(&actor(), persona.id.as_str())
        .await
        .unwrap();
    store
        .personas()
        .restore(&actor(), persona.id.as_str())
        .await
        .unwrap();
    let versions = store
        .personas()
        .versions(persona.id.as_str())
        .await
        .unwrap();
    let summary: Vec<_> = versions
        .iter()
        .map(|v| (v.version.get(), v.action, v.deleted))
        .collect();
    assert_eq!(
        summary,
        [
            (1, Action::Create, false),
            (2, Action::Update, false),
            (3, Action::Delete, true),
            (4, Action::Restore, false)
        ]
    );
    assert_eq!(versions[1].actor.as_str(), "editor");
}

/// Any version can be read back with the content it had.
pub async fn read_any_version<S: Store>(store: &S) {
    if !store.capabilities().history {
        return;
    }
    let mut persona = seed_persona(store).await;
    let original = persona.topic.clone();
    persona.topic = "changed".into();
    store
        .personas()
        .update(&actor(), persona.clone())
        .await
        .unwrap();
    let v1 = store
        .personas()
        .at_version(persona.id.as_str(), Version(1))
        .await
        .unwrap();
    assert_eq!(v1.topic, original);
    assert_eq!(v1.version, Version(1));
    let v2 = store
        .personas()
        .at_version(persona.id.as_str(), Version(2))
        .await
        .unwrap();
    assert_eq!(v2.topic, "changed");
    assert!(matches!(
        store
            .personas()
            .at_version(persona.id.as_str(), Version(9))
            .await,
        Err(Error::NotFound { .. })
    ));
}

/// The diff of two versions is an RFC 6902 patch that turns one into the other.
pub async fn diff_is_json_patch<S: Store>(store: &S) {
    if !store.capabilities().history {
        return;
    }
    let persona = seed_persona(store).await;
    let mut identity = store
        .identities()
        .create(&actor(), person(&persona, "Differ", Some(30), "US"))
        .await
        .unwrap();
    identity.tags.push("new-tag".into());
    identity.rich_attributes.demographics.as_mut().unwrap().age = Some(31);
    store
        .identities()
        .update(&actor(), identity.clone())
        .await
        .unwrap();
    let id = identity.id.as_str();
    let patch = store
        .identities()
        .diff(id, Version(1), Version(2))
        .await
        .unwrap();
    let paths: Vec<String> = patch.0.iter().map(|op| op.path().to_string()).collect();
    assert!(
        paths
            .iter()
            .any(|p| p == "/rich_attributes/demographics/age"),
        "{paths:?}"
    );
    let mut old =
        serde_json::to_value(store.identities().at_version(id, Version(1)).await.unwrap()).unwrap();
    json_patch::patch(&mut old, &patch).unwrap();
    let new =
        serde_json::to_value(store.identities().at_version(id, Version(2)).await.unwrap()).unwrap();
    assert_eq!(old, new);
}

/// Rollback writes a new version whose content equals the old one.
pub async fn rollback_restores_old_content<S: Store>(store: &S) {
    if !store.capabilities().history {
        return;
    }
    let mut persona = seed_persona(store).await;
    let original = persona.clone();
    persona.topic = "mistake".into();
    persona.rag = vec!["wrong".into()];
    store
        .personas()
        .update(&actor(), persona.clone())
        .await
        .unwrap();
    let rolled = store
        .personas()
        .rollback(&actor(), persona.id.as_str(), Version(1))
        .await
        .unwrap();
    assert_eq!(rolled.version, Version(3));
    assert_eq!(
        (rolled.topic.as_str(), rolled.rag.len()),
        (original.topic.as_str(), 0)
    );
    assert_eq!(rolled.created_at, original.created_at);
    assert!(matches!(
        store
            .personas()
            .rollback(&actor(), persona.id.as_str(), Version(7))
            .await,
        Err(Error::NotFound { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------------------------

/// Every write records actor, action, kind, id, version and time, in order.
pub async fn audit_records_every_write<S: Store>(store: &S) {
    if !store.capabilities().audit {
        return assert_unsupported(store.audit_log(&AuditQuery::default()).await);
    }
    let before = Timestamp::now();
    let mut persona = store
        .personas()
        .create(&Actor::new("alice"), fixtures::persona("Audited"))
        .await
        .unwrap();
    persona.topic = "x".into();
    store
        .personas()
        .update(&Actor::new("bob"), persona.clone())
        .await
        .unwrap();
    store
        .personas()
        .delete(&Actor::new("carol"), persona.id.as_str())
        .await
        .unwrap();
    let entries = store
        .audit_log(&AuditQuery::record(Kind::Persona, persona.id.as_str()))
        .await
        .unwrap();
    let summary: Vec<_> = entries
        .iter()
        .map(|e| (e.actor.as_str(), e.action, e.kind, e.version.get()))
        .collect();
    assert_eq!(
        summary,
        [
            ("alice", Action::Create, Kind::Persona, 1),
            ("bob", Action::Update, Kind::Persona, 2),
            ("carol", Action::Delete, Kind::Persona, 3)
        ]
    );
    assert!(
        entries
            .iter()
            .all(|e| e.at >= before && e.id == persona.id.as_str())
    );
    assert!(entries.windows(2).all(|w| w[0].seq < w[1].seq));
}

/// The audit log pages by sequence number and filters by kind.
pub async fn audit_pages_by_seq<S: Store>(store: &S) {
    if !store.capabilities().audit {
        return;
    }
    let persona = seed_persona(store).await;
    seed_identities(store, &persona, 4).await;
    let all = store.audit_log(&AuditQuery::default()).await.unwrap();
    assert_eq!(all.len(), 5);
    let first_two = store
        .audit_log(&AuditQuery {
            limit: Some(2),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(first_two, all[..2]);
    let rest = store
        .audit_log(&AuditQuery {
            after_seq: Some(first_two[1].seq),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(rest, all[2..]);
    let identities = store
        .audit_log(&AuditQuery {
            kind: Some(Kind::Identity),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(identities.len(), 4);
}

/// A failed write leaves no audit entry and no history.
pub async fn failed_write_leaves_no_trace<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    let mut stale = persona.clone();
    stale.version = Version(5);
    assert!(store.personas().update(&actor(), stale).await.is_err());
    if store.capabilities().audit {
        assert_eq!(
            store.audit_log(&AuditQuery::default()).await.unwrap().len(),
            1
        );
    }
    if store.capabilities().history {
        assert_eq!(
            store
                .personas()
                .versions(persona.id.as_str())
                .await
                .unwrap()
                .len(),
            1
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Namespaces
// ---------------------------------------------------------------------------------------------

/// Another namespace cannot read, list or count this one's records.
pub async fn namespace_isolates_reads<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    seed_identities(store, &persona, 3).await;
    let other = other_namespace(store);
    assert_eq!(other.namespace().as_str(), "conformance-other");
    assert!(
        other
            .personas()
            .find(persona.id.as_str())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        other
            .personas()
            .list(&ListRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        other
            .identities()
            .query(&Query::new())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        other.identities().count(&Filter::default()).await.unwrap(),
        0
    );
    assert!(
        other
            .personas()
            .versions(persona.id.as_str())
            .await
            .is_err()
    );
    if other.capabilities().audit {
        assert!(
            other
                .audit_log(&AuditQuery::default())
                .await
                .unwrap()
                .is_empty()
        );
    }
    if other.capabilities().facets {
        let facets = other
            .identities()
            .facets(&Filter::default(), &Facet::ALL)
            .await
            .unwrap();
        assert!(facets.values().all(|counts| counts.is_empty()));
    }
}

/// Another namespace cannot update, delete, restore or purge this one's records.
pub async fn namespace_isolates_writes<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    let other = other_namespace(store);
    let mut change = persona.clone();
    change.topic = "hijacked".into();
    assert!(matches!(
        other.personas().update(&actor(), change).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        other.personas().delete(&actor(), persona.id.as_str()).await,
        Err(Error::NotFound { .. })
    ));
    if other.capabilities().purge {
        assert!(matches!(
            other.personas().purge(&actor(), persona.id.as_str()).await,
            Err(Error::NotFound { .. })
        ));
    }
    assert_eq!(
        store.personas().get(persona.id.as_str()).await.unwrap(),
        persona
    );
}

/// The same id lives independently in two namespaces.
pub async fn namespaces_hold_same_id_independently<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    let other = other_namespace(store);
    let mut twin = persona.clone();
    twin.version = Version::NEW;
    twin.topic = "twin".into();
    let saved = other.personas().create(&actor(), twin).await.unwrap();
    assert_eq!(saved.version, Version::FIRST);
    assert_eq!(
        store
            .personas()
            .get(persona.id.as_str())
            .await
            .unwrap()
            .topic,
        persona.topic
    );
    other
        .personas()
        .delete(&actor(), persona.id.as_str())
        .await
        .unwrap();
    assert!(
        store
            .personas()
            .find(persona.id.as_str())
            .await
            .unwrap()
            .is_some()
    );
}

/// An identity cannot reference a persona of another namespace.
pub async fn references_are_namespace_local<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    let other = other_namespace(store);
    assert_invalid(
        other
            .identities()
            .create(&actor(), person(&persona, "Crosser", None, "US"))
            .await,
        "persona_id",
        Code::InvalidReference,
    );
}

/// A cursor issued in one namespace is refused in another.
pub async fn cursor_from_other_namespace_refused<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    seed_identities(store, &persona, 3).await;
    let page = store
        .identities()
        .query(&Query::new().limit(1))
        .await
        .unwrap();
    let cursor = page.next.expect("more pages");
    let other = other_namespace(store);
    assert!(matches!(
        other
            .identities()
            .query(&Query::new().limit(1).after(cursor.clone()))
            .await,
        Err(Error::NamespaceViolation { .. })
    ));
    assert!(matches!(
        other
            .identities()
            .list(&ListRequest {
                limit: 1,
                cursor: Some(cursor)
            })
            .await,
        Err(Error::NamespaceViolation { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

async fn assert_same_as_reference<S: Store>(store: &S, stored: &[Identity], query: &Query) {
    let fields: Vec<IndexFields> = stored.iter().map(IndexFields::of).collect();
    let mut query = query.clone();
    let mut reference_cursor = None;
    let mut pages = 0;
    loop {
        let expected = query::evaluate(
            &Query {
                cursor: reference_cursor.clone(),
                ..query.clone()
            },
            store.namespace(),
            stored.iter().zip(&fields),
        )
        .unwrap();
        let actual = store.identities().query(&query).await.unwrap();
        assert_eq!(
            ids(&actual.items),
            ids(&expected.items),
            "page {pages} differs from the reference for {query:?}"
        );
        assert_eq!(
            actual.next.is_some(),
            expected.next.is_some(),
            "page {pages} `next` for {query:?}"
        );
        pages += 1;
        match (actual.next, expected.next) {
            (Some(next), Some(reference_next)) => {
                query.cursor = Some(next);
                reference_cursor = Some(reference_next);
            }
            _ => break,
        }
        assert!(pages < 10_000, "pagination does not end");
    }
    if query.cursor.is_none() || pages > 0 {
        let expected = stored
            .iter()
            .zip(&fields)
            .filter(|(_, f)| query::Matcher::new(&query.filter).matches(f))
            .count() as u64;
        assert_eq!(
            store.identities().count(&query.filter).await.unwrap(),
            expected,
            "count for {query:?}"
        );
    }
}

async fn query_dataset<S: Store>(store: &S) -> Vec<Identity> {
    let persona = seed_persona(store).await;
    let second = store
        .personas()
        .create(&actor(), fixtures::persona("Second"))
        .await
        .unwrap();
    let mut records = Vec::new();
    let specs: [(&str, Option<i32>, &str, &[&str]); 8] = [
        ("Ann Lee", Some(30), "US", &["vip"]),
        ("Bob Ray", None, "us ", &["vip", "beta"]),
        ("Cy Ann", Some(30), "FR", &[]),
        ("Di Fox", Some(45), "Us", &["beta"]),
        ("Ed Moss", Some(17), "DE", &["Beta"]),
        ("Flo Ng", Some(64), "JP", &["vip"]),
        ("Gus Ann-Marie", Some(80), "FR", &["beta", "vip"]),
        ("Hal Øst", Some(29), "NO", &[]),
    ];
    for (i, (name, age, country, tags)) in specs.into_iter().enumerate() {
        let owner = if i % 3 == 2 { &second } else { &persona };
        let mut identity = person(owner, name, age, country);
        identity.tags = tags.iter().map(|t| (*t).to_owned()).collect();
        identity.active = i % 4 != 3;
        let demographics = identity.rich_attributes.demographics.as_mut().unwrap();
        demographics.gender = Some(Vocab::Known(if i % 2 == 0 {
            Gender::Female
        } else {
            Gender::Male
        }));
        demographics.occupation = Some(if i % 2 == 0 { "Teacher" } else { "nurse" }.into());
        if i % 3 == 0 {
            demographics.education = None;
        }
        identity.rich_attributes.psychographics = (i != 5).then(|| Psychographics {
            personality: Some(Personality {
                openness: i as f64 / 10.0,
                conscientiousness: 0.5,
                extraversion: 1.0 - i as f64 / 10.0,
                agreeableness: 0.7,
                neuroticism: 0.2,
            }),
            ..Psychographics::default()
        });
        records.push(identity);
    }
    store
        .identities()
        .put_many(&actor(), records, WriteMode::Create)
        .await
        .unwrap()
}

/// Each filter, alone, returns exactly the reference evaluator's records.
pub async fn query_each_filter_matches_reference<S: Store>(store: &S) {
    let stored = query_dataset(store).await;
    let persona = stored[0].persona_id.clone();
    let queries = [
        Query::new(),
        Query::new().persona(persona),
        Query::new().active(false),
        Query::new().any_tag("vip").any_tag("beta"),
        Query::new().all_tag("vip").all_tag("beta"),
        Query::new().any_tag("beta"),
        Query::new().text("ann"),
        Query::new().text("ANN lee"),
        Query::new().text("marie"),
        Query::new().text("øst"),
        Query::new().text("nobody"),
        Query::new().age(30..=45),
        Query::new().age(0..=17),
        Query::new().gender(Gender::Male),
        Query::new().country("us"),
        Query::new().country("FR").country("jp"),
        Query::new().education(Education::Master),
        Query::new().occupation("TEACHER"),
        Query::new().trait_range(Trait::Openness, 0.2..=0.5),
        Query::new()
            .trait_range(Trait::Extraversion, 0.0..=0.6)
            .trait_range(Trait::Agreeableness, 0.7..=0.7),
        Query::new().created_between(stored[2].created_at, None),
        Query::new().updated_between(None, stored[3].updated_at),
        Query::new()
            .country("us")
            .age(18..=90)
            .trait_range(Trait::Neuroticism, 0.0..=0.5),
    ];
    for query in &queries {
        assert_same_as_reference(store, &stored, query).await;
    }
}

/// Every sort key in both directions, paged in twos, matches the reference order.
pub async fn query_sorts_match_reference<S: Store>(store: &S) {
    let stored = query_dataset(store).await;
    for key in [
        SortKey::Created,
        SortKey::Updated,
        SortKey::Name,
        SortKey::Age,
    ] {
        for direction in [Direction::Asc, Direction::Desc] {
            let query = Query::new().sort(key, direction).limit(2);
            assert_same_as_reference(store, &stored, &query).await;
        }
    }
}

/// Cursor pagination returns every record exactly once.
pub async fn pagination_returns_every_record_once<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    let seeded = seed_identities(store, &persona, 37).await;
    for limit in [1, 5, 37, 50] {
        let mut seen = Vec::new();
        let mut query = Query::new().limit(limit);
        loop {
            let page = store.identities().query(&query).await.unwrap();
            assert!(page.items.len() <= limit);
            seen.extend(ids(&page.items));
            match page.next {
                Some(next) => query = query.after(next),
                None => break,
            }
        }
        let unique: HashSet<_> = seen.iter().cloned().collect();
        assert_eq!(
            (seen.len(), unique.len()),
            (seeded.len(), seeded.len()),
            "limit {limit}"
        );
    }
}

/// Paging while other clients insert: every record present at the start is returned once.
pub async fn pagination_stable_under_concurrent_inserts<S: Store + Clone>(store: &S) {
    let persona = seed_persona(store).await;
    let seeded = seed_identities(store, &persona, 30).await;
    let writer = {
        let store = store.clone();
        let persona_id = persona.id.clone();
        tokio::spawn(async move {
            let mut generator = Generator::new(99, persona_id);
            for _ in 0..30 {
                store
                    .identities()
                    .create(&actor(), generator.identity())
                    .await
                    .unwrap();
                tokio::task::yield_now().await;
            }
        })
    };
    let mut seen = Vec::new();
    let mut query = Query::new().limit(4);
    loop {
        let page = store.identities().query(&query).await.unwrap();
        seen.extend(ids(&page.items));
        tokio::task::yield_now().await;
        match page.next {
            Some(next) => query = query.after(next),
            None => break,
        }
    }
    writer.await.unwrap();
    let unique: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "a record was returned twice");
    for identity in &seeded {
        assert!(
            unique.contains(identity.id.as_str()),
            "a pre-existing record was skipped"
        );
    }
}

/// Counts equal the number of matching records.
pub async fn count_matches_query<S: Store>(store: &S) {
    let stored = query_dataset(store).await;
    assert_eq!(
        store.identities().count(&Filter::default()).await.unwrap(),
        stored.len() as u64
    );
    let filter = Query::new().country("US").filter;
    assert_eq!(store.identities().count(&filter).await.unwrap(), 3);
}

/// Facet counts equal the reference's.
pub async fn facets_match_reference<S: Store>(store: &S) {
    if !store.capabilities().facets {
        return assert_unsupported(
            store
                .identities()
                .facets(&Filter::default(), &Facet::ALL)
                .await,
        );
    }
    let stored = query_dataset(store).await;
    let fields: Vec<_> = stored.iter().map(IndexFields::of).collect();
    for filter in [
        Filter::default(),
        Query::new().any_tag("vip").filter,
        Query::new().text("nobody").filter,
    ] {
        let expected = query::count_facets(&filter, &Facet::ALL, &fields);
        let actual = store
            .identities()
            .facets(&filter, &Facet::ALL)
            .await
            .unwrap();
        assert_eq!(actual, expected, "facets for {filter:?}");
    }
    let countries = store
        .identities()
        .facets(&Filter::default(), &[Facet::Country])
        .await
        .unwrap();
    assert_eq!(countries[&Facet::Country]["us"], 3);
}

/// Facet counts over the whole namespace follow every kind of write: an update that changes the
/// counted values, a soft delete, a restore and a purge (backends that keep running counts must
/// adjust them on each).
pub async fn facets_follow_every_write<S: Store>(store: &S) {
    if !store.capabilities().facets {
        return;
    }
    async fn assert_facets<S: Store>(store: &S, step: &str) {
        use futures::TryStreamExt;
        let live: Vec<Identity> = store.identities().export().try_collect().await.unwrap();
        let fields: Vec<_> = live.iter().map(IndexFields::of).collect();
        let expected = query::count_facets(&Filter::default(), &Facet::ALL, &fields);
        let actual = store
            .identities()
            .facets(&Filter::default(), &Facet::ALL)
            .await
            .unwrap();
        assert_eq!(actual, expected, "facets after {step}");
    }
    let stored = query_dataset(store).await;
    assert_facets(store, "the first writes").await;

    let mut moved = stored[0].clone();
    let demographics = moved.rich_attributes.demographics.as_mut().unwrap();
    demographics.location.as_mut().unwrap().country = Some("Kenya".into());
    demographics.age = Some(71);
    store.identities().update(&actor(), moved).await.unwrap();
    assert_facets(store, "an update of country and age").await;

    store
        .identities()
        .delete(&actor(), stored[1].id.as_str())
        .await
        .unwrap();
    assert_facets(store, "a soft delete").await;
    store
        .identities()
        .restore(&actor(), stored[1].id.as_str())
        .await
        .unwrap();
    assert_facets(store, "a restore").await;

    if store.capabilities().purge {
        store
            .identities()
            .purge(&actor(), stored[2].id.as_str())
            .await
            .unwrap();
        assert_facets(store, "a purge of a live identity").await;
        store
            .identities()
            .delete(&actor(), stored[3].id.as_str())
            .await
            .unwrap();
        store
            .identities()
            .purge(&actor(), stored[3].id.as_str())
            .await
            .unwrap();
        assert_facets(store, "a purge of a soft-deleted identity").await;
    }
}

/// Text search matches whole words only ("ann" does not match "anna").
pub async fn text_search_matches_whole_words<S: Store>(store: &S) {
    if !store.capabilities().text_search {
        return assert_unsupported(store.identities().query(&Query::new().text("x")).await);
    }
    let persona = seed_persona(store).await;
    let mut anna = person(&persona, "Anna Bell", None, "US");
    anna.background = "software engineer".into();
    let ann = person(&persona, "Ann Bell", None, "US");
    store
        .identities()
        .put_many(&actor(), vec![anna, ann.clone()], WriteMode::Create)
        .await
        .unwrap();
    let page = store
        .identities()
        .query(&Query::new().text("ann"))
        .await
        .unwrap();
    assert_eq!(ids(&page.items), [ann.id.to_string()]);
    let page = store
        .identities()
        .query(&Query::new().text("war"))
        .await
        .unwrap();
    assert!(page.items.is_empty());
    let page = store
        .identities()
        .query(&Query::new().text("Software"))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
}

/// Bad limits and cursors are typed errors naming the field.
pub async fn invalid_query_arguments_rejected<S: Store>(store: &S) {
    assert_invalid(
        store.identities().query(&Query::new().limit(0)).await,
        "query.limit",
        Code::OutOfRange,
    );
    assert_invalid(
        store.identities().query(&Query::new().limit(1001)).await,
        "query.limit",
        Code::OutOfRange,
    );
    let bogus = Query::new().after(persona_core::Cursor::from("not-a-cursor".to_owned()));
    assert_invalid(
        store.identities().query(&bogus).await,
        "query.cursor",
        Code::InvalidFormat,
    );
    assert_invalid(
        store.personas().list(&ListRequest::first(0)).await,
        "query.limit",
        Code::OutOfRange,
    );
}

/// Random records and random queries give exactly the reference evaluator's pages.
pub async fn differential_queries_match_reference<S: Store>(store: &S) {
    let (records, queries) = crate::differential::sample(store.namespace());
    let personas: BTreeSet<_> = records.iter().map(|r| r.persona_id.clone()).collect();
    for id in personas {
        let mut persona = fixtures::persona("Differential");
        persona.id = id;
        store.personas().create(&actor(), persona).await.unwrap();
    }
    let stored = store
        .identities()
        .put_many(&actor(), records, WriteMode::Create)
        .await
        .unwrap();
    for query in &queries {
        assert_same_as_reference(store, &stored, query).await;
    }
}

/// Personas and groups list in id order with cursors.
pub async fn list_pages_in_id_order<S: Store>(store: &S) {
    let mut created = Vec::new();
    for i in 0..7 {
        let mut persona = fixtures::persona(&format!("P{i}"));
        persona.id = format!("p-{}", 7 - i).into();
        created.push(store.personas().create(&actor(), persona).await.unwrap());
    }
    store.personas().delete(&actor(), "p-3").await.unwrap();
    let mut seen = Vec::new();
    let mut request = ListRequest::first(2);
    loop {
        let page = store.personas().list(&request).await.unwrap();
        seen.extend(ids(&page.items));
        match page.next {
            Some(next) => request.cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ["p-1", "p-2", "p-4", "p-5", "p-6", "p-7"]);
    let group = store
        .groups()
        .create(&actor(), Group::new("G"))
        .await
        .unwrap();
    let groups = store.groups().list(&ListRequest::default()).await.unwrap();
    assert_eq!(groups.items, [group]);
}

// ---------------------------------------------------------------------------------------------
// Bulk, export, import
// ---------------------------------------------------------------------------------------------

/// A batch whose last op fails writes nothing (atomic backends) or only the ops before it.
pub async fn batch_failure_is_all_or_nothing<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    let mut generator = Generator::new(5, persona.id.clone());
    let first = generator.identity();
    let mut batch = Batch::new(actor());
    batch.put(first.clone(), WriteMode::Create).unwrap();
    batch.put(generator.identity(), WriteMode::Create).unwrap();
    batch.put(persona.clone(), WriteMode::Create).unwrap();
    assert!(matches!(
        store.write(batch).await,
        Err(Error::AlreadyExists { .. })
    ));
    let count = store.identities().count(&Filter::default()).await.unwrap();
    if store.capabilities().atomic_batches {
        assert_eq!(count, 0, "an atomic batch left partial writes");
        if store.capabilities().audit {
            assert_eq!(
                store.audit_log(&AuditQuery::default()).await.unwrap().len(),
                1
            );
        }
    } else {
        assert!(count <= 2);
    }
}

/// Bulk writes store every record.
pub async fn put_many_stores_all<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    let seeded = seed_identities(store, &persona, 120).await;
    assert_eq!(seeded.len(), 120);
    assert!(seeded.iter().all(|i| i.version == Version::FIRST));
    assert_eq!(
        store.identities().count(&Filter::default()).await.unwrap(),
        120
    );
    let sample = store
        .identities()
        .get(seeded[77].id.as_str())
        .await
        .unwrap();
    assert_eq!(sample, seeded[77]);
}

/// A batch with an invalid record cannot be built, so nothing reaches the store.
pub async fn invalid_record_never_reaches_batch<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    let mut good = Generator::new(3, persona.id.clone()).identity();
    let mut bad = good.clone();
    bad.id = "bad-one".into();
    bad.name = String::new();
    good.id = "good-one".into();
    let result = store
        .identities()
        .put_many(&actor(), vec![good, bad], WriteMode::Create)
        .await;
    assert_invalid(result, "name", Code::Required);
    assert_eq!(
        store.identities().count(&Filter::default()).await.unwrap(),
        0
    );
}

/// Export streams every live record of every kind, personas first.
pub async fn export_streams_everything<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    seed_identities(store, &persona, 1_100).await;
    store
        .groups()
        .create(&actor(), Group::new("All"))
        .await
        .unwrap();
    let all: Vec<AnyRecord> = store.export_all().try_collect().await.unwrap();
    assert_eq!(all.len(), 1_102);
    assert_eq!(all[0].kind(), Kind::Persona);
    assert_eq!(all.last().unwrap().kind(), Kind::Group);
    let identities: HashSet<_> = all
        .iter()
        .filter(|r| r.kind() == Kind::Identity)
        .map(|r| r.id_str().to_owned())
        .collect();
    assert_eq!(identities.len(), 1_100);
}

/// Export then import into another namespace reproduces the same records.
pub async fn import_round_trips<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    let seeded = seed_identities(store, &persona, 25).await;
    let other = other_namespace(store);
    other
        .personas()
        .import(&actor(), store.personas().export(), WriteMode::Create, 10)
        .await
        .unwrap();
    let written = other
        .identities()
        .import(&actor(), store.identities().export(), WriteMode::Create, 10)
        .await
        .unwrap();
    assert_eq!(written, 25);
    for original in &seeded {
        let copy = other.identities().get(original.id.as_str()).await.unwrap();
        assert_eq!(copy.rich_attributes, original.rich_attributes);
        assert_eq!(copy.created_at, original.created_at);
    }
}

// ---------------------------------------------------------------------------------------------
// Handles, health, capabilities
// ---------------------------------------------------------------------------------------------

/// Health answers with the backend's name and the handle's namespace.
pub async fn health_reports_backend<S: Store>(store: &S) {
    let health = store.check_health().await.unwrap();
    assert_eq!(health.backend, store.backend());
    assert_eq!(&health.namespace, store.namespace());
}

/// Clones of a handle share the same data.
pub async fn clones_share_data<S: Store + Clone>(store: &S) {
    let clone = store.clone();
    let persona = seed_persona(&clone).await;
    assert_eq!(
        store.personas().get(persona.id.as_str()).await.unwrap(),
        persona
    );
}

/// The store works behind `Arc<dyn Store>`, so applications can pick a backend at run time.
pub async fn works_as_dyn_store<S: Store + Clone>(store: &S) {
    let dynamic: Arc<dyn Store> = Arc::new(store.clone());
    let persona = dynamic
        .personas()
        .create(&actor(), fixtures::persona("Dyn"))
        .await
        .unwrap();
    let identity = dynamic
        .identities()
        .create(&actor(), person(&persona, "Dyn Person", Some(20), "US"))
        .await
        .unwrap();
    assert_eq!(
        store.identities().get(identity.id.as_str()).await.unwrap(),
        identity
    );
    assert_eq!(dynamic.backend(), store.backend());
}

/// Declared capabilities hold: what is declared works, what is not returns `Unsupported`.
pub async fn capabilities_are_honoured<S: Store>(store: &S) {
    let caps = store.capabilities();
    let persona = seed_persona(store).await;
    let versions = store.versions(Kind::Persona, persona.id.as_str()).await;
    if caps.history {
        assert_eq!(versions.unwrap().len(), 1);
    } else {
        assert_unsupported(versions);
    }
    let audit = store.audit(&AuditQuery::default()).await;
    if caps.audit {
        assert_eq!(audit.unwrap().len(), 1);
    } else {
        assert_unsupported(audit);
    }
    let facets = store.facets(&Filter::default(), &[Facet::Gender]).await;
    if caps.facets {
        assert!(facets.is_ok());
    } else {
        assert_unsupported(facets);
    }
}

/// The same data in the reference `MemoryStore` answers every query identically.
pub async fn agrees_with_memory_store<S: Store>(store: &S) {
    let reference = MemoryStore::new().with_namespace(store.namespace().clone());
    for target in [store as &dyn Store, &reference as &dyn Store] {
        let persona = {
            let mut p = fixtures::persona("Shared");
            p.id = "shared-persona".into();
            target.personas().create(&actor(), p).await.unwrap()
        };
        let mut records: Vec<Identity> = Generator::new(11, persona.id.clone()).take(60).collect();
        for (i, record) in records.iter_mut().enumerate() {
            record.created_at = Some(Timestamp::from_unix_nanos(
                1_700_000_000_000_000_000 + (i as i64 % 7),
            ));
        }
        target
            .identities()
            .put_many(&actor(), records, WriteMode::Create)
            .await
            .unwrap();
    }
    let queries = [
        Query::new().sort(SortKey::Name, Direction::Asc).limit(7),
        Query::new().sort(SortKey::Age, Direction::Desc).limit(9),
        Query::new().country("us").limit(3),
        Query::new()
            .any_tag("vip")
            .sort(SortKey::Created, Direction::Desc)
            .limit(4),
    ];
    for query in queries {
        let mut query = query;
        loop {
            let expected = reference.identities().query(&query).await.unwrap();
            let actual = store.identities().query(&query).await.unwrap();
            assert_eq!(ids(&actual.items), ids(&expected.items), "{query:?}");
            match (actual.next, expected.next) {
                (Some(next), Some(_)) => query.cursor = Some(next),
                (None, None) => break,
                (a, e) => panic!("next differs: {a:?} vs {e:?}"),
            }
        }
    }
    if store.capabilities().facets {
        assert_eq!(
            store
                .identities()
                .facets(&Filter::default(), &Facet::ALL)
                .await
                .unwrap(),
            reference
                .identities()
                .facets(&Filter::default(), &Facet::ALL)
                .await
                .unwrap()
        );
    }
}

/// Export to JSON Lines and import the file into another namespace: every record comes back.
pub async fn jsonl_export_import_round_trips<S: Store>(store: &S) {
    let persona = seed_persona(store).await;
    let seeded = seed_identities(store, &persona, 30).await;
    let mut group = Group::new("Exported");
    group.member_ids = seeded.iter().take(5).map(|i| i.id.clone()).collect();
    store.groups().create(&actor(), group).await.unwrap();
    let mut writer = persona_core::jsonl::Writer::new(Vec::new()).unwrap();
    let mut exported = store.export_all();
    while let Some(record) = exported.try_next().await.unwrap() {
        writer.write(&record).unwrap();
    }
    drop(exported);
    assert_eq!(writer.written(), 32);
    let bytes = writer.finish().unwrap();
    let other = other_namespace(store);
    let reader = persona_core::jsonl::Reader::new(bytes.as_slice()).unwrap();
    let written = other
        .import_all(
            &actor(),
            futures::stream::iter(reader),
            WriteMode::Create,
            7,
        )
        .await
        .unwrap();
    assert_eq!(written, 32);
    assert_eq!(
        other.identities().count(&Filter::default()).await.unwrap(),
        30
    );
    let copy = other.identities().get(seeded[3].id.as_str()).await.unwrap();
    assert_eq!(copy.rich_attributes, seeded[3].rich_attributes);
}
