//! The validation corpus: `data/validation/*.jsonl`, one case per line,
//!
//! ```json
//! {"name": "...", "input": {<rich_attributes>}, "normalize": false,
//!  "expect": [{"code": "not_in_vocabulary", "path": "rich_attributes.demographics.education"}]}
//! ```
//!
//! Every case is deserialised into `RichAttributes`, normalised when `normalize` is true, and
//! validated; the report must hold exactly the expected multiset of `(code, path)` pairs (an empty
//! `expect` means valid).

use std::fs;
use std::path::PathBuf;

use persona_attributes::behavioral::*;
use persona_attributes::cultural::*;
use persona_attributes::demographics::*;
use persona_attributes::health::*;
use persona_attributes::life_history::*;
use persona_attributes::political::*;
use persona_attributes::preferences::*;
use persona_attributes::psychographics::*;
use persona_attributes::{Code, Gender, RichAttributes, Vocabulary};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    input: Value,
    #[serde(default)]
    normalize: bool,
    expect: Vec<Expected>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    code: Code,
    path: String,
}

/// `(where, case)` for every line of every corpus file, in file and line order.
fn corpus() -> Vec<(String, Case)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/validation");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus files in {}", dir.display());
    let mut cases = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for (number, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let at = format!("{name}:{}", number + 1);
            let case: Case = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{at}: not a corpus case: {e}"));
            cases.push((at, case));
        }
    }
    cases
}

#[test]
fn every_case_reports_exactly_what_it_expects() {
    let cases = corpus();
    let mut failures = Vec::new();
    for (at, case) in &cases {
        let mut value: RichAttributes = match serde_json::from_value(case.input.clone()) {
            Ok(value) => value,
            Err(e) => {
                failures.push(format!(
                    "{at} {:?}: input does not deserialise: {e}",
                    case.name
                ));
                continue;
            }
        };
        if case.normalize {
            value.normalize();
        }
        let report = value.validate();
        let mut got: Vec<Expected> = report
            .iter()
            .map(|violation| Expected {
                code: violation.code,
                path: violation.path.clone(),
            })
            .collect();
        got.sort();
        let mut want = case.expect.clone();
        want.sort();
        if got != want {
            let show = |list: &[Expected]| {
                list.iter()
                    .map(|e| format!("\n      {} {}", e.code, e.path))
                    .collect::<String>()
            };
            failures.push(format!(
                "{at} {:?}\n    expected:{}\n    got:{}",
                case.name,
                show(&want),
                show(&got)
            ));
        }
        for violation in &report {
            assert!(
                !violation.message.is_empty(),
                "{at}: empty message for {}",
                violation.path
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_corpus_is_large_and_names_are_unique() {
    let cases = corpus();
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    let mut names: Vec<&str> = cases.iter().map(|(_, case)| case.name.as_str()).collect();
    names.sort_unstable();
    for pair in names.windows(2) {
        assert_ne!(pair[0], pair[1], "duplicate case name");
    }
    let invalid = cases.iter().filter(|(_, c)| !c.expect.is_empty()).count();
    let normalized = cases.iter().filter(|(_, c)| c.normalize).count();
    assert!(invalid * 4 >= cases.len(), "too few invalid cases");
    assert!(normalized >= 20, "too few normalize cases");
}

/// Each input vocabulary and the fields it governs (`[]` for any list index), under
/// `rich_attributes`.
fn vocabularies() -> Vec<(&'static str, &'static [&'static str])> {
    fn v<T: Vocabulary>(paths: &'static [&'static str]) -> (&'static str, &'static [&'static str]) {
        (T::NAME, paths)
    }
    vec![
        v::<Gender>(&["demographics.gender"]),
        v::<Education>(&["demographics.education"]),
        v::<SocioeconomicStatus>(&["demographics.socioeconomic_status"]),
        v::<UrbanRural>(&["demographics.location.urban_rural"]),
        v::<CognitiveStyle>(&["psychographics.cognitive_style"]),
        v::<LearningStyle>(&["psychographics.learning_style"]),
        v::<Level>(&["psychographics.risk_tolerance"]),
        v::<EventType>(&[
            "life_history.major_events[].type",
            "life_history.major_events[].event_type",
        ]),
        v::<Impact>(&["life_history.major_events[].impact"]),
        v::<EducationLevel>(&["life_history.education_history[].level"]),
        v::<Industry>(&["life_history.career_history[].industry"]),
        v::<Spirituality>(&["cultural_religious.spirituality"]),
        v::<DietaryRestriction>(&["cultural_religious.dietary_restrictions[]"]),
        v::<PoliticalLeaning>(&["political_social.political_leaning"]),
        v::<VotingHistory>(&["political_social.voting_history"]),
        v::<PhysicalHealth>(&["health.physical_health"]),
        v::<MentalHealth>(&["health.mental_health"]),
        v::<FitnessLevel>(&["health.fitness_level"]),
        v::<ExerciseFrequency>(&["health.exercise_frequency"]),
        v::<DietType>(&["health.diet_type"]),
        v::<SleepQuality>(&["health.sleep_quality"]),
        v::<StressLevel>(&["health.stress_level"]),
        v::<SubstanceUse>(&["health.substance_use"]),
        v::<TechnologyUse>(&["preferences.technology_use"]),
        v::<TravelStyle>(&["preferences.travel_style"]),
        v::<DecisionMaking>(&["behavioral_tendencies.decision_making"]),
        v::<ConflictResolution>(&["behavioral_tendencies.conflict_resolution"]),
        v::<CommunicationStyle>(&["behavioral_tendencies.communication_style"]),
        v::<LeadershipStyle>(&["behavioral_tendencies.leadership_style"]),
        v::<StressResponse>(&["behavioral_tendencies.stress_response"]),
    ]
}

/// `path` with every `[n]` written `[]`, without the `rich_attributes.` prefix.
fn pattern(path: &str) -> String {
    let path = path.strip_prefix("rich_attributes.").unwrap_or(path);
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str("[]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

/// Non-blank strings found at `pattern` in `value`.
fn strings_at<'a>(value: &'a Value, pattern: &str, out: &mut Vec<&'a str>) {
    let (head, rest) = match pattern.split_once('.') {
        Some((head, rest)) => (head, Some(rest)),
        None => (pattern, None),
    };
    let (field, each) = match head.strip_suffix("[]") {
        Some(field) => (field, true),
        None => (head, false),
    };
    let Some(found) = value.get(field) else {
        return;
    };
    let found: Vec<&Value> = if each {
        found
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    } else {
        vec![found]
    };
    for item in found {
        match rest {
            Some(rest) => strings_at(item, rest, out),
            None => out.extend(item.as_str().filter(|s| !s.trim().is_empty())),
        }
    }
}

#[test]
fn every_vocabulary_has_a_valid_and_an_invalid_case() {
    let cases = corpus();
    let mut missing = Vec::new();
    for (name, paths) in vocabularies() {
        let reported = cases.iter().any(|(_, case)| {
            case.expect.iter().any(|e| {
                e.code == Code::NotInVocabulary && paths.contains(&pattern(&e.path).as_str())
            })
        });
        let accepted = cases.iter().any(|(_, case)| {
            !case.normalize && case.expect.is_empty() && {
                let mut found = Vec::new();
                for path in paths {
                    strings_at(&case.input, path, &mut found);
                }
                !found.is_empty()
            }
        });
        if !reported {
            missing.push(format!("{name}: no case expects not_in_vocabulary"));
        }
        if !accepted {
            missing.push(format!("{name}: no valid case sets it"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn path_patterns() {
    assert_eq!(
        pattern("rich_attributes.life_history.major_events[13].impact"),
        "life_history.major_events[].impact"
    );
    let input = serde_json::json!({"a": {"b": [{"c": "x"}, {"c": " "}, {}]}});
    let mut found = Vec::new();
    strings_at(&input, "a.b[].c", &mut found);
    assert_eq!(found, ["x"]);
}
