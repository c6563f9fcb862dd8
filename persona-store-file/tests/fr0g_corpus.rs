//! Opens a copy of the fr0g-ai-aip data directory (when `../shared/corpus` is present) and checks
//! that every record is readable, every quirk is reported, and opening changed no file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use persona_core::{Filter, Kind, ListRequest, Namespace, Record, Store, StoreExt};
use persona_store_file::{FileStore, Issue};

const MISSING_PERSONA: &str = "c7862bae43bf9f65";

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/fr0g-aip-data");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "skipping: {} is absent (a fresh clone has no ../shared)",
            dir.display()
        );
        None
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `root` (relative path → FNV-1a hash of its bytes).
fn hashes(root: &Path) -> BTreeMap<PathBuf, u64> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, u64>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let hash = std::fs::read(&path)
                    .unwrap()
                    .iter()
                    .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
                    });
                out.insert(path.strip_prefix(root).unwrap().to_path_buf(), hash);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

async fn all_ids(store: &FileStore, kind: Kind) -> Vec<String> {
    let mut ids = Vec::new();
    let mut request = ListRequest::first(100);
    loop {
        let page = store.list(kind, &request).await.unwrap();
        ids.extend(page.items.iter().map(|r| r.id_str().to_owned()));
        match page.next {
            Some(cursor) => request.cursor = Some(cursor),
            None => return ids,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn fr0g_data_directory_opens_as_is() {
    let Some(corpus) = corpus() else { return };
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().join("data");
    copy_tree(&corpus, &root);
    let before = hashes(&root);

    let store = FileStore::open(&root).unwrap();
    let report = store.load_report();
    let ns = Namespace::default();
    assert_eq!(report.loaded(&ns, Kind::Persona), 293);
    assert_eq!(report.loaded(&ns, Kind::Identity), 169);
    assert_eq!(report.loaded(&ns, Kind::Group), 6);
    assert_eq!(all_ids(&store, Kind::Persona).await.len(), 293);
    assert_eq!(all_ids(&store, Kind::Identity).await.len(), 169);
    assert_eq!(all_ids(&store, Kind::Group).await.len(), 6);
    assert_eq!(
        store.identities().count(&Filter::default()).await.unwrap(),
        169
    );

    // Both timestamp forms are read: protobuf objects and RFC 3339 strings.
    let mut proto = 0;
    let mut text = 0;
    for id in all_ids(&store, Kind::Identity).await {
        let raw = store.raw(format!("identities/{id}.json")).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        let identity = store.identities().get(&id).await.unwrap();
        let created = identity.created_at.expect("created_at read");
        match &value["created_at"] {
            serde_json::Value::Object(parts) => {
                proto += 1;
                assert_eq!(
                    created.as_datetime().timestamp(),
                    parts["seconds"].as_i64().unwrap()
                );
            }
            serde_json::Value::String(_) => text += 1,
            other => panic!("unexpected created_at {other}"),
        }
    }
    assert_eq!((proto, text), (18, 151));

    // The two identities of the missing persona are reported, not dropped.
    let missing: BTreeSet<String> = report
        .problems()
        .iter()
        .filter(|p| {
            matches!(&p.issue, Issue::MissingPersona { persona_id } if persona_id == MISSING_PERSONA)
        })
        .map(|p| p.id.clone().unwrap())
        .collect();
    assert_eq!(missing.len(), 2, "{report}");
    for id in &missing {
        let identity = store.identities().get(id).await.unwrap();
        assert_eq!(identity.persona_id.as_str(), MISSING_PERSONA);
    }

    // Out-of-vocabulary educations are reported with their path, and stay readable.
    let mut graduates = BTreeSet::new();
    for id in all_ids(&store, Kind::Identity).await {
        let raw = store.raw(format!("identities/{id}.json")).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        if value["rich_attributes"]["demographics"]["education"] == "graduate" {
            graduates.insert(id);
        }
    }
    assert_eq!(graduates.len(), 6);
    let reported: BTreeSet<String> = report
        .problems()
        .iter()
        .filter(|p| match &p.issue {
            Issue::Invalid { violations } => violations
                .iter()
                .any(|v| v.path == "rich_attributes.demographics.education"),
            _ => false,
        })
        .map(|p| p.id.clone().unwrap())
        .collect();
    assert_eq!(reported, graduates, "{report}");
    for id in &graduates {
        let identity = store.identities().get(id).await.unwrap();
        assert!(!identity.validate().is_valid());
    }
    for problem in report.problems() {
        assert!(
            matches!(
                problem.issue,
                Issue::Invalid { .. } | Issue::MissingPersona { .. }
            ),
            "unexpected problem {problem}"
        );
        assert!(!store.raw(&problem.path).unwrap().is_empty());
    }

    drop(store);
    let after = hashes(&root);
    for (path, hash) in &before {
        assert_eq!(after.get(path), Some(hash), "{} changed", path.display());
    }
    for path in after.keys().filter(|p| !before.contains_key(*p)) {
        assert!(
            path.starts_with(".persona"),
            "opening created {}",
            path.display()
        );
    }
}
