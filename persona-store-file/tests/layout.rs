//! The on-disk layout, reopening, the load report and the lock.

use std::error::Error as _;
use std::path::Path;

use persona_core::{
    Actor, AuditQuery, Error, Filter, Group, Identity, Kind, Namespace, Persona, Query, Store,
    StoreExt, Version,
};
use persona_store_file::{FileStore, Issue, StoreLocked};
use persona_testkit::fixtures::{self, Generator};

fn actor() -> Actor {
    Actor::new("layout-test")
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

async fn seed(store: &FileStore) -> (Persona, Vec<Identity>, Group) {
    let persona = store
        .personas()
        .create(&actor(), fixtures::persona("Layout"))
        .await
        .unwrap();
    let identities: Vec<Identity> = Generator::new(3, persona.id.clone()).take(5).collect();
    let identities = store
        .identities()
        .put_many(&actor(), identities, persona_core::WriteMode::Create)
        .await
        .unwrap();
    let mut group = Group::new("Panel");
    group.member_ids = identities.iter().map(|i| i.id.clone()).collect();
    let group = store.groups().create(&actor(), group).await.unwrap();
    (persona, identities, group)
}

#[tokio::test]
async fn records_are_pretty_fr0g_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    let (persona, identities, group) = seed(&store).await;

    let path = dir.path().join(format!("personas/{}.json", persona.id));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("{\n  \"id\": "), "{text}");
    assert!(text.ends_with("}\n"));
    let value = json(&path);
    assert_eq!(value["name"], "Layout");
    assert_eq!(value["version"], 1);

    let identity = &identities[0];
    let value = json(&dir.path().join(format!("identities/{}.json", identity.id)));
    assert_eq!(value["persona_id"], persona.id.as_str());
    assert_eq!(value["is_active"], true);
    assert!(value["created_at"].is_string(), "RFC 3339 like fr0g-ai-aip");
    assert!(value["rich_attributes"].is_object());

    let value = json(&dir.path().join(format!("communities/{}.json", group.id)));
    assert_eq!(value["size"], 5);
    assert_eq!(value["member_ids"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn soft_deleted_records_leave_the_fr0g_folders() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    let (_, identities, _) = seed(&store).await;
    let id = identities[0].id.as_str();
    let path = dir.path().join(format!("identities/{id}.json"));
    store.identities().delete(&actor(), id).await.unwrap();
    assert!(!path.exists());
    drop(store);

    let store = FileStore::open(dir.path()).unwrap();
    assert!(store.load_report().is_clean(), "{}", store.load_report());
    assert!(store.identities().find(id).await.unwrap().is_none());
    let restored = store.identities().restore(&actor(), id).await.unwrap();
    assert_eq!(restored.version, Version(3));
    assert!(path.exists());
}

#[tokio::test]
async fn everything_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    let (persona, identities, group) = seed(&store).await;
    let mut changed = identities[1].clone();
    changed.description = "Changed once".into();
    store.identities().update(&actor(), changed).await.unwrap();
    store
        .identities()
        .delete(&actor(), identities[2].id.as_str())
        .await
        .unwrap();
    store
        .identities()
        .purge(&actor(), identities[3].id.as_str())
        .await
        .unwrap();
    let query = Query::new().limit(3);
    let before = (
        store.identities().query(&query).await.unwrap(),
        store.audit(&AuditQuery::default()).await.unwrap(),
        store
            .version(Kind::Identity, identities[1].id.as_str(), Version(1))
            .await
            .unwrap(),
        store
            .tombstone(Kind::Identity, identities[3].id.as_str())
            .await
            .unwrap(),
    );
    drop(store);

    let store = FileStore::open(dir.path()).unwrap();
    assert!(store.load_report().is_clean(), "{}", store.load_report());
    let after = (
        store.identities().query(&query).await.unwrap(),
        store.audit(&AuditQuery::default()).await.unwrap(),
        store
            .version(Kind::Identity, identities[1].id.as_str(), Version(1))
            .await
            .unwrap(),
        store
            .tombstone(Kind::Identity, identities[3].id.as_str())
            .await
            .unwrap(),
    );
    assert_eq!(before, after);
    assert_eq!(before.1.len(), 1 + 5 + 1 + 2 + 1);
    assert!(
        before
            .1
            .iter()
            .filter(|e| e.id == identities[3].id.as_str())
            .all(|e| e.label.is_none())
    );
    assert_eq!(
        store.personas().get(persona.id.as_str()).await.unwrap(),
        persona
    );
    assert_eq!(store.groups().get(group.id.as_str()).await.unwrap(), group);
    assert_eq!(
        store.identities().count(&Filter::default()).await.unwrap(),
        3
    );
    // The purged identity's content is gone from the log, not just from the index.
    let log = std::fs::read_to_string(dir.path().join(".persona/log")).unwrap();
    assert!(!log.contains(identities[3].name.as_str()));
}

#[tokio::test]
async fn namespaces_live_under_the_sidecar() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    let tenant = store.with_namespace(Namespace::new("tenant-a").unwrap());
    let (persona, _, _) = seed(&tenant).await;
    let path = dir.path().join(format!(
        ".persona/namespaces/tenant-a/personas/{}.json",
        persona.id
    ));
    assert!(path.exists());
    assert!(
        !dir.path()
            .join(format!("personas/{}.json", persona.id))
            .exists()
    );
    assert!(
        store
            .personas()
            .find(persona.id.as_str())
            .await
            .unwrap()
            .is_none()
    );
    drop((store, tenant));

    let store = FileStore::open(dir.path()).unwrap();
    let tenant = store.with_namespace(Namespace::new("tenant-a").unwrap());
    assert_eq!(
        store
            .load_report()
            .loaded(tenant.namespace(), Kind::Identity),
        5
    );
    assert_eq!(
        tenant.personas().get(persona.id.as_str()).await.unwrap(),
        persona
    );
    assert!(
        store
            .personas()
            .find(persona.id.as_str())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn bad_files_are_reported_kept_and_readable() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    let (persona, identities, _) = seed(&store).await;
    drop(store);
    let root = dir.path();
    std::fs::write(
        root.join("personas/garbage.json"),
        b"{\"id\": \"garbage\", ",
    )
    .unwrap();
    std::fs::write(root.join("personas/not an id.json"), b"{}").unwrap();
    std::fs::write(root.join("personas/README.txt"), b"notes").unwrap();
    std::fs::write(root.join("personas/.x.json.tmp"), b"{\"id\"").unwrap();
    std::fs::write(
        root.join("personas/other.json"),
        serde_json::to_vec_pretty(
            &serde_json::json!({"id": "else", "name": "N", "topic": "t", "prompt": "p"}),
        )
        .unwrap(),
    )
    .unwrap();
    std::fs::write(
        root.join("personas/blank.json"),
        br#"{"id": "blank", "name": "Blank", "topic": "", "prompt": "p"}"#,
    )
    .unwrap();
    // An edit by fr0g-ai-aip drops the fields it does not know, such as `version`.
    let edited = root.join(format!("identities/{}.json", identities[0].id));
    let mut value = json(&edited);
    value.as_object_mut().unwrap().remove("version");
    value["description"] = "edited by fr0g".into();
    std::fs::write(&edited, serde_json::to_vec_pretty(&value).unwrap()).unwrap();
    // Removed outside the SDK.
    std::fs::remove_file(root.join(format!("identities/{}.json", identities[1].id))).unwrap();

    let store = FileStore::open(root).unwrap();
    let report = store.load_report();
    let issue = |name: &'static str| report.with_issue(name).collect::<Vec<_>>();
    let unparseable = issue("unparseable");
    assert_eq!(unparseable.len(), 1, "{report}");
    assert_eq!(unparseable[0].id.as_deref(), Some("garbage"));
    assert!(matches!(
        unparseable[0].issue,
        Issue::Unparseable {
            category: "eof",
            ..
        }
    ));
    assert_eq!(
        store.raw(&unparseable[0].path).unwrap(),
        b"{\"id\": \"garbage\", "
    );
    assert_eq!(issue("bad_file_name").len(), 1);
    assert_eq!(issue("ignored").len(), 1);
    assert_eq!(issue("stray_temp_file").len(), 1);
    assert!(!root.join("personas/.x.json.tmp").exists());
    assert_eq!(issue("id_mismatch").len(), 1);
    let invalid = issue("invalid");
    assert_eq!(invalid.len(), 1);
    assert_eq!(invalid[0].id.as_deref(), Some("blank"));
    let changed = issue("changed_outside");
    assert_eq!(changed.len(), 1);
    assert!(matches!(
        changed[0].issue,
        Issue::ChangedOutside {
            logged: Version(1),
            found: Version(0)
        }
    ));
    assert_eq!(issue("missing_file").len(), 1);
    assert_eq!(report.problems().len(), 8, "{report}");

    // Invalid records are readable; the externally edited one keeps counting versions.
    let blank = store.personas().get("blank").await.unwrap();
    assert!(blank.topic.is_empty());
    let edited = store
        .identities()
        .get(identities[0].id.as_str())
        .await
        .unwrap();
    assert_eq!(edited.description, "edited by fr0g");
    assert_eq!(edited.version, Version(1));
    let updated = store.identities().update(&actor(), edited).await.unwrap();
    assert_eq!(updated.version, Version(2));
    // A file removed outside is a soft delete: hidden, restorable.
    let gone = identities[1].id.as_str();
    assert!(store.identities().find(gone).await.unwrap().is_none());
    store.identities().restore(&actor(), gone).await.unwrap();

    // Writes never overwrite a file the store could not read.
    let mut replacement = fixtures::persona("Replacement");
    replacement.id = "garbage".into();
    let err = store
        .personas()
        .create(&actor(), replacement)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    assert_eq!(
        std::fs::read(root.join("personas/garbage.json")).unwrap(),
        b"{\"id\": \"garbage\", "
    );
    assert!(store.raw("../outside").is_err());
    assert!(
        store
            .personas()
            .find(persona.id.as_str())
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn torn_log_and_interrupted_batch_are_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    let (_, identities, _) = seed(&store).await;
    drop(store);
    let root = dir.path();
    let log_path = root.join(".persona/log");
    // The last batch (the group) committed but its files were never put in place and its done
    // marker never written; then a later append was cut short.
    let mut log = std::fs::read(&log_path).unwrap();
    let marker = log.iter().rposition(|b| *b == b'{').unwrap();
    assert!(log[marker..].starts_with(b"{\"done\":"));
    log.truncate(marker);
    log.extend_from_slice(b"{\"batch\":9,\"ops\":1,\"seq\":99,\"at\":\"2");
    std::fs::write(&log_path, &log).unwrap();
    let group_file = std::fs::read_dir(root.join("communities"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::remove_file(&group_file).unwrap();

    let store = FileStore::open(root).unwrap();
    let report = store.load_report();
    assert_eq!(report.with_issue("torn_log").count(), 1, "{report}");
    assert_eq!(report.with_issue("recovered").count(), 1, "{report}");
    assert_eq!(report.problems().len(), 2, "{report}");
    assert!(group_file.exists());
    assert_eq!(
        store.identities().count(&Filter::default()).await.unwrap(),
        5
    );
    store
        .identities()
        .delete(&actor(), identities[0].id.as_str())
        .await
        .unwrap();
    drop(store);
    let store = FileStore::open(root).unwrap();
    assert!(store.load_report().is_clean(), "{}", store.load_report());
}

#[tokio::test]
async fn one_writer_per_directory() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    let err = FileStore::open(dir.path()).unwrap_err();
    assert!(err.is_retryable());
    let locked = err.source().and_then(|s| s.downcast_ref::<StoreLocked>());
    assert!(locked.is_some(), "{err:?}");
    let clone = store.clone();
    drop(store);
    assert!(
        FileStore::open(dir.path()).is_err(),
        "a clone keeps the lock"
    );
    drop(clone);
    assert!(FileStore::open(dir.path()).is_ok());
}

#[tokio::test]
async fn capabilities_are_truthful() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    let caps = store.capabilities();
    assert!(!caps.multi_process);
    assert!(caps.atomic_batches && caps.history && caps.audit && caps.purge);
    assert_eq!(store.backend(), "file");
}

const LOCK_CHILD: &str = "PERSONA_LOCK_CHILD_DIR";

/// A second process cannot open a directory another process has open; it can once that one dies.
#[test]
fn one_writer_across_processes() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    if let Ok(dir) = std::env::var(LOCK_CHILD) {
        let _store = FileStore::open(&dir).unwrap();
        println!("opened");
        std::thread::sleep(std::time::Duration::from_secs(60));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "one_writer_across_processes", "--nocapture"])
        .env(LOCK_CHILD, dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(lines.any(|line| line.unwrap() == "opened"));
    let err = FileStore::open(dir.path()).unwrap_err();
    assert!(
        err.source()
            .and_then(|s| s.downcast_ref::<StoreLocked>())
            .is_some()
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(FileStore::open(dir.path()).is_ok());
}
