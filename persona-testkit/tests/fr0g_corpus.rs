//! Reads every persona and identity of the fr0g-ai-aip data directory (when `../shared/corpus` is
//! present) and compares the validation report with the checked-in summary
//! `data/fr0g-expected-summary.json`. Set `PERSONA_BLESS=1` to rewrite the summary after an
//! intended change.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use persona_core::{Identity, Persona, Record};
use serde_json::json;

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

fn read_all<T: serde::de::DeserializeOwned>(dir: &Path) -> Vec<(String, T)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            let value = serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("{} does not deserialise: {e}", path.display()));
            (
                path.file_stem().unwrap().to_string_lossy().into_owned(),
                value,
            )
        })
        .collect()
}

#[test]
fn fr0g_corpus_reads_and_validates_as_expected() {
    let Some(dir) = corpus() else { return };
    let personas: Vec<(String, Persona)> = read_all(&dir.join("personas"));
    let identities: Vec<(String, Identity)> = read_all(&dir.join("identities"));
    assert_eq!(personas.len(), 293);
    assert_eq!(identities.len(), 169);
    for (file, persona) in &personas {
        assert_eq!(persona.id.as_str(), file, "the file name is the id");
    }
    let persona_ids: BTreeSet<&str> = personas.iter().map(|(_, p)| p.id.as_str()).collect();

    let mut violations: BTreeMap<String, u64> = BTreeMap::new();
    let mut invalid_records = BTreeMap::from([("persona", 0u64), ("identity", 0u64)]);
    for (_, persona) in &personas {
        let report = persona.validate();
        if !report.is_valid() {
            *invalid_records.get_mut("persona").unwrap() += 1;
        }
        for v in report.iter() {
            *violations
                .entry(format!("persona {} {}", v.path, v.code))
                .or_default() += 1;
        }
    }
    let mut missing_personas = 0;
    for (_, identity) in &identities {
        let report = identity.validate();
        if !report.is_valid() {
            *invalid_records.get_mut("identity").unwrap() += 1;
        }
        for v in report.iter() {
            *violations
                .entry(format!("identity {} {}", v.path, v.code))
                .or_default() += 1;
        }
        if !persona_ids.contains(identity.persona_id.as_str()) {
            missing_personas += 1;
        }
    }
    let proto_timestamps = identities
        .iter()
        .filter(|(file, _)| {
            let raw = std::fs::read_to_string(dir.join("identities").join(format!("{file}.json")))
                .unwrap();
            raw.contains("\"seconds\"")
        })
        .count();
    assert!(
        identities
            .iter()
            .all(|(_, i)| i.created_at.is_some() && i.updated_at.is_some())
    );

    let summary = json!({
        "personas": personas.len(),
        "identities": identities.len(),
        "identities_with_protobuf_timestamps": proto_timestamps,
        "identities_referencing_missing_personas": missing_personas,
        "invalid_records": invalid_records,
        "violations": violations,
    });
    let expected_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/fr0g-expected-summary.json");
    if std::env::var("PERSONA_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(
            &expected_path,
            serde_json::to_string_pretty(&summary).unwrap() + "\n",
        )
        .unwrap();
    }
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
    assert_eq!(
        summary, expected,
        "validation summary changed; rerun with PERSONA_BLESS=1 if intended"
    );
    assert_eq!(proto_timestamps, 18);
    assert_eq!(
        violations.get("identity rich_attributes.demographics.education not_in_vocabulary"),
        Some(&6)
    );
    assert_eq!(missing_personas, 2);
}
