//! Property tests: serde round trip, normalize idempotence, and no panics on arbitrary input.

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDate;
use persona_attributes::behavioral::*;
use persona_attributes::cultural::*;
use persona_attributes::demographics::*;
use persona_attributes::health::*;
use persona_attributes::life_history::*;
use persona_attributes::political::*;
use persona_attributes::preferences::*;
use persona_attributes::psychographics::*;
use persona_attributes::{
    AnalysisContext, CurrentContext, Gender, Processor, RichAttributes, Timestamp, Vocab,
    Vocabulary, aliases,
};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};

// ---------------------------------------------------------------------------------------------
// Typed values.

/// Free text: plain words, messy whitespace and case, any Unicode, or nothing.
fn text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[A-Za-z][a-z]{0,8}( [a-z]{1,8}){0,2}",
        2 => "[ \t]{0,2}[A-Za-z_ -]{0,12}[ \t\n]{0,2}",
        1 => "\\PC{0,10}",
        1 => Just(String::new()),
    ]
    .boxed()
}

/// A vocabulary value as other writers spell it: canonical, an alias, messy case and separators,
/// or anything at all.
fn messy_vocab<T: Vocabulary>() -> BoxedStrategy<Vocab<T>> {
    let aliases: Vec<&'static str> = aliases::ALIASES
        .iter()
        .filter(|alias| alias.vocabulary == T::NAME)
        .map(|alias| alias.from)
        .chain(T::VALUES.iter().copied())
        .collect();
    let canonical = select(T::VALUES);
    prop_oneof![
        3 => canonical.clone().prop_map(Vocab::from_raw),
        2 => (select(aliases), 0..4u8).prop_map(|(value, style)| Vocab::from_raw(match style {
            0 => value.to_uppercase(),
            1 => value.replace('-', "_"),
            2 => format!("  {} ", value.replace('-', " ")),
            _ => value.to_owned(),
        })),
        1 => text().prop_map(Vocab::from_raw),
    ]
    .boxed()
}

fn opt<T: std::fmt::Debug + Clone + 'static>(
    strategy: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    option::of(strategy).boxed()
}

fn list() -> BoxedStrategy<Vec<String>> {
    vec(text(), 0..5).boxed()
}

/// Numbers that survive a JSON round trip exactly.
fn score() -> BoxedStrategy<f64> {
    (0..=120i32).prop_map(|n| f64::from(n) / 100.0).boxed()
}

fn timestamp() -> BoxedStrategy<Timestamp> {
    (-2_000_000_000i64..4_000_000_000, 0..1_000_000_000u32)
        .prop_map(|(seconds, nanos)| Timestamp::from_parts(seconds, nanos).unwrap())
        .boxed()
}

fn small_int() -> BoxedStrategy<i32> {
    prop_oneof![3 => -5..200i32, 1 => any::<i32>()].boxed()
}

fn demographics() -> impl Strategy<Value = Demographics> {
    let location = (
        opt(text()),
        opt(text()),
        opt(text()),
        opt(messy_vocab::<UrbanRural>()),
        opt(prop_oneof![
            Just("Europe/Paris".to_owned()),
            Just("UTC+2".to_owned()),
            text()
        ]),
    )
        .prop_map(|(country, region, city, urban_rural, timezone)| Location {
            country,
            region,
            city,
            urban_rural,
            timezone,
        });
    (
        (
            opt(small_int()),
            opt(messy_vocab::<Gender>()),
            opt(text()),
            opt(text()),
            opt(messy_vocab::<Education>()),
            opt(text()),
        ),
        (
            opt(messy_vocab::<SocioeconomicStatus>()),
            opt(location),
            list(),
            opt(text()),
            opt(small_int()),
        ),
    )
        .prop_map(
            |(
                (age, gender, ethnicity, nationality, education, occupation),
                (socioeconomic_status, location, languages, marital_status, children),
            )| Demographics {
                age,
                gender,
                ethnicity,
                nationality,
                education,
                occupation,
                socioeconomic_status,
                location,
                languages,
                marital_status,
                children,
            },
        )
}

fn psychographics() -> impl Strategy<Value = Psychographics> {
    let personality =
        (score(), score(), score(), score(), score()).prop_map(|(o, c, e, a, n)| Personality {
            openness: o,
            conscientiousness: c,
            extraversion: e,
            agreeableness: a,
            neuroticism: n,
        });
    (
        opt(personality),
        list(),
        list(),
        opt(messy_vocab::<CognitiveStyle>()),
        opt(messy_vocab::<LearningStyle>()),
        opt(messy_vocab::<Level>()),
        opt(score()),
    )
        .prop_map(
            |(personality, values, core_beliefs, cognitive, learning, risk, openness)| {
                Psychographics {
                    personality,
                    values,
                    core_beliefs,
                    cognitive_style: cognitive,
                    learning_style: learning,
                    risk_tolerance: risk,
                    openness_to_change: openness,
                }
            },
        )
}

fn life_history() -> impl Strategy<Value = LifeHistory> {
    let event = (
        opt(messy_vocab::<EventType>()),
        opt(text()),
        opt(small_int()),
        opt(timestamp()),
        opt(messy_vocab::<Impact>()),
        opt(messy_vocab::<EventType>()),
        opt(small_int()),
        opt(small_int()),
    )
        .prop_map(
            |(kind, description, age, date, impact, event_type, age_at_event, year)| LifeEvent {
                kind,
                description,
                age,
                date,
                impact,
                event_type,
                age_at_event,
                year,
            },
        );
    let education = (
        (
            opt(messy_vocab::<EducationLevel>()),
            opt(text()),
            opt(text()),
            opt(timestamp()),
            opt(text()),
        ),
        (
            opt(text()),
            opt(small_int()),
            opt(small_int()),
            opt(any::<bool>()),
            opt(score()),
        ),
    )
        .prop_map(
            |(
                (level, field, institution, graduation, performance),
                (field_of_study, start_year, end_year, completed, gpa),
            )| EducationEntry {
                level,
                field,
                institution,
                graduation,
                performance,
                field_of_study,
                start_year,
                end_year,
                completed,
                gpa,
            },
        );
    let career = (
        (
            opt(text()),
            opt(messy_vocab::<Industry>()),
            opt(text()),
            opt(timestamp()),
            opt(timestamp()),
            opt(any::<bool>()),
        ),
        (
            opt(text()),
            opt(text()),
            opt(small_int()),
            opt(small_int()),
            opt(text()),
        ),
    )
        .prop_map(
            |(
                (title, industry, company, start_date, end_date, is_current),
                (salary, job_title, start_year, end_year, description),
            )| CareerEntry {
                title,
                industry,
                company,
                start_date,
                end_date,
                is_current,
                salary,
                job_title,
                start_year,
                end_year,
                description,
            },
        );
    (
        list(),
        list(),
        vec(event, 0..4),
        vec(education, 0..3),
        vec(career, 0..3),
    )
        .prop_map(
            |(
                childhood_traumas,
                adult_traumas,
                major_events,
                education_history,
                career_history,
            )| {
                LifeHistory {
                    childhood_traumas,
                    adult_traumas,
                    major_events,
                    education_history,
                    career_history,
                }
            },
        )
}

fn cultural() -> impl Strategy<Value = CulturalReligious> {
    (
        opt(text()),
        opt(messy_vocab::<Spirituality>()),
        opt(text()),
        list(),
        list(),
        vec(messy_vocab::<DietaryRestriction>(), 0..4),
    )
        .prop_map(
            |(religion, spirituality, cultural_background, traditions, holidays, dietary)| {
                CulturalReligious {
                    religion,
                    spirituality,
                    cultural_background,
                    traditions,
                    holidays,
                    dietary_restrictions: dietary,
                }
            },
        )
}

fn political() -> impl Strategy<Value = PoliticalSocial> {
    (
        opt(messy_vocab::<PoliticalLeaning>()),
        list(),
        list(),
        list(),
        opt(messy_vocab::<VotingHistory>()),
        list(),
    )
        .prop_map(
            |(leaning, activism, social_groups, causes, voting, media)| PoliticalSocial {
                political_leaning: leaning,
                activism,
                social_groups,
                causes,
                voting_history: voting,
                media_consumption: media,
            },
        )
}

fn health() -> impl Strategy<Value = Health> {
    (
        (
            opt(messy_vocab::<PhysicalHealth>()),
            opt(messy_vocab::<MentalHealth>()),
            list(),
            list(),
            list(),
            list(),
            opt(messy_vocab::<FitnessLevel>()),
        ),
        (
            opt(messy_vocab::<ExerciseFrequency>()),
            opt(messy_vocab::<DietType>()),
            opt(messy_vocab::<SleepQuality>()),
            opt(messy_vocab::<StressLevel>()),
            opt(messy_vocab::<SubstanceUse>()),
            list(),
            list(),
        ),
    )
        .prop_map(
            |(
                (physical, mental, disabilities, chronic, addictions, medications, fitness),
                (exercise, diet, sleep, stress, substance, medical, allergies),
            )| Health {
                physical_health: physical,
                mental_health: mental,
                disabilities,
                chronic_conditions: chronic,
                addictions,
                medications,
                fitness_level: fitness,
                exercise_frequency: exercise,
                diet_type: diet,
                sleep_quality: sleep,
                stress_level: stress,
                substance_use: substance,
                medical_conditions: medical,
                allergies,
            },
        )
}

fn preferences() -> impl Strategy<Value = Preferences> {
    (
        list(),
        list(),
        list(),
        list(),
        list(),
        list(),
        opt(messy_vocab::<TechnologyUse>()),
        opt(messy_vocab::<TravelStyle>()),
    )
        .prop_map(
            |(hobbies, interests, foods, music, movies, books, technology, travel)| Preferences {
                hobbies,
                interests,
                favorite_foods: foods,
                favorite_music: music,
                favorite_movies: movies,
                favorite_books: books,
                technology_use: technology,
                travel_style: travel,
            },
        )
}

fn behavioral() -> impl Strategy<Value = BehavioralTendencies> {
    (
        opt(messy_vocab::<DecisionMaking>()),
        opt(messy_vocab::<ConflictResolution>()),
        opt(messy_vocab::<CommunicationStyle>()),
        opt(messy_vocab::<LeadershipStyle>()),
        list(),
        opt(messy_vocab::<StressResponse>()),
    )
        .prop_map(
            |(decision, conflict, communication, leadership, coping, stress)| {
                BehavioralTendencies {
                    decision_making: decision,
                    conflict_resolution: conflict,
                    communication_style: communication,
                    leadership_style: leadership,
                    coping_mechanisms: coping,
                    stress_response: stress,
                }
            },
        )
}

fn current_context() -> impl Strategy<Value = CurrentContext> {
    (opt(text()), opt(score()), list(), list(), opt(text())).prop_map(
        |(mood, stress_level, current_goals, recent_events, life_stage)| CurrentContext {
            mood,
            stress_level,
            current_goals,
            recent_events,
            life_stage,
        },
    )
}

fn rich_attributes() -> impl Strategy<Value = RichAttributes> {
    (
        (
            opt(demographics()),
            opt(psychographics()),
            opt(life_history()),
            opt(cultural()),
            opt(political()),
        ),
        (
            opt(health()),
            opt(preferences()),
            opt(behavioral()),
            opt(current_context()),
            btree_map("[a-z_]{1,8}", text(), 0..3),
        ),
    )
        .prop_map(
            |(
                (demographics, psychographics, life_history, cultural_religious, political_social),
                (health, preferences, behavioral_tendencies, current_context, custom),
            )| RichAttributes {
                demographics,
                psychographics,
                life_history,
                cultural_religious,
                political_social,
                health,
                preferences,
                behavioral_tendencies,
                current_context,
                custom,
            },
        )
}

fn context() -> impl Strategy<Value = AnalysisContext> {
    (-5000..15000i32, 1..=12u32, 1..=28u32).prop_map(|(year, month, day)| {
        AnalysisContext::at(NaiveDate::from_ymd_opt(year, month, day).unwrap())
    })
}

proptest! {
    #![proptest_config(Config::with_cases(256))]

    #[test]
    fn serde_round_trip(value in rich_attributes()) {
        let json = serde_json::to_string(&value).unwrap();
        let back: RichAttributes = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &value);
        let again = serde_json::to_string(&back).unwrap();
        prop_assert_eq!(again, json);
    }

    #[test]
    fn normalize_is_idempotent(value in rich_attributes(), context in context()) {
        let mut once = value.clone();
        once.normalize();
        let mut twice = once.clone();
        twice.normalize();
        prop_assert_eq!(&twice, &once);
        // What normalize produced survives JSON unchanged.
        let back: RichAttributes =
            serde_json::from_str(&serde_json::to_string(&once).unwrap()).unwrap();
        prop_assert_eq!(&back, &once);
        // And analysing it agrees with the pipeline.
        let processed = value.clone().process(&context);
        prop_assert_eq!(processed.report, once.validate());
        prop_assert_eq!(processed.profile, once.analyze(&context));
    }

    #[test]
    fn normalize_never_adds_violations(value in rich_attributes()) {
        let before = value.validate();
        let mut normalized = value.clone();
        normalized.normalize();
        let after = normalized.validate();
        // Normalising can only repair values (or drop blank ones), never break valid data.
        if before.is_valid() {
            prop_assert!(after.is_valid(), "{after}");
        }
        for violation in &after {
            prop_assert!(violation.path.starts_with("rich_attributes."));
            prop_assert!(!violation.message.is_empty());
        }
    }

    #[test]
    fn non_finite_numbers_are_reported_not_panicked_on(
        o in any::<f64>(), gpa in any::<f64>(), openness in any::<f64>(), age in any::<i32>(),
        start in any::<i32>(), end in any::<i32>(), context in context(),
    ) {
        let value = RichAttributes {
            demographics: Some(Demographics { age: Some(age), children: Some(age), ..Default::default() }),
            psychographics: Some(Psychographics {
                personality: Some(Personality { openness: o, ..Default::default() }),
                openness_to_change: Some(openness),
                ..Default::default()
            }),
            life_history: Some(LifeHistory {
                education_history: vec![EducationEntry {
                    gpa: Some(gpa), start_year: Some(start), end_year: Some(end), ..Default::default()
                }],
                career_history: vec![CareerEntry {
                    start_year: Some(start), end_year: Some(end), ..Default::default()
                }],
                major_events: vec![LifeEvent { age: Some(age), age_at_event: Some(end), ..Default::default() }],
                ..Default::default()
            }),
            ..Default::default()
        };
        let report = value.validate();
        let expect_range = |x: f64| !(0.0..=1.0).contains(&x);
        let paths: Vec<&str> = report.iter().map(|v| v.path.as_str()).collect();
        prop_assert_eq!(
            paths.contains(&"rich_attributes.psychographics.personality.openness"),
            expect_range(o)
        );
        prop_assert_eq!(
            paths.contains(&"rich_attributes.life_history.education_history[0].gpa"),
            !(0.0..=5.0).contains(&gpa)
        );
        prop_assert_eq!(
            paths.contains(&"rich_attributes.life_history.career_history[0].end_year"),
            end < start
        );
        let _ = value.analyze(&context);
    }
}

// ---------------------------------------------------------------------------------------------
// Arbitrary JSON shaped like rich attributes.

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Int,
    Float,
    Bool,
    Time,
    List,
    Object(&'static [(&'static str, Kind)]),
    Objects(&'static [(&'static str, Kind)]),
    StringMap,
}

use Kind::*;

const LOCATION: &[(&str, Kind)] = &[
    ("country", Text),
    ("region", Text),
    ("city", Text),
    ("urban_rural", Text),
    ("timezone", Text),
];
const PERSONALITY: &[(&str, Kind)] = &[
    ("openness", Float),
    ("conscientiousness", Float),
    ("extraversion", Float),
    ("agreeableness", Float),
    ("neuroticism", Float),
];
const EVENT: &[(&str, Kind)] = &[
    ("type", Text),
    ("description", Text),
    ("age", Int),
    ("date", Time),
    ("impact", Text),
    ("event_type", Text),
    ("age_at_event", Int),
    ("year", Int),
];
const EDUCATION: &[(&str, Kind)] = &[
    ("level", Text),
    ("field", Text),
    ("institution", Text),
    ("graduation", Time),
    ("performance", Text),
    ("field_of_study", Text),
    ("start_year", Int),
    ("end_year", Int),
    ("completed", Bool),
    ("gpa", Float),
];
const CAREER: &[(&str, Kind)] = &[
    ("title", Text),
    ("industry", Text),
    ("company", Text),
    ("start_date", Time),
    ("end_date", Time),
    ("is_current", Bool),
    ("salary", Text),
    ("job_title", Text),
    ("start_year", Int),
    ("end_year", Int),
    ("description", Text),
];
const RICH: &[(&str, Kind)] = &[
    (
        "demographics",
        Object(&[
            ("age", Int),
            ("gender", Text),
            ("ethnicity", Text),
            ("nationality", Text),
            ("education", Text),
            ("occupation", Text),
            ("socioeconomic_status", Text),
            ("location", Object(LOCATION)),
            ("languages", List),
            ("marital_status", Text),
            ("children", Int),
        ]),
    ),
    (
        "psychographics",
        Object(&[
            ("personality", Object(PERSONALITY)),
            ("values", List),
            ("core_beliefs", List),
            ("cognitive_style", Text),
            ("learning_style", Text),
            ("risk_tolerance", Text),
            ("openness_to_change", Float),
        ]),
    ),
    (
        "life_history",
        Object(&[
            ("childhood_traumas", List),
            ("adult_traumas", List),
            ("major_events", Objects(EVENT)),
            ("education_history", Objects(EDUCATION)),
            ("career_history", Objects(CAREER)),
        ]),
    ),
    (
        "cultural_religious",
        Object(&[
            ("religion", Text),
            ("spirituality", Text),
            ("cultural_background", Text),
            ("traditions", List),
            ("holidays", List),
            ("dietary_restrictions", List),
        ]),
    ),
    (
        "political_social",
        Object(&[
            ("political_leaning", Text),
            ("activism", List),
            ("social_groups", List),
            ("causes", List),
            ("voting_history", Text),
            ("media_consumption", List),
        ]),
    ),
    (
        "health",
        Object(&[
            ("physical_health", Text),
            ("mental_health", Text),
            ("disabilities", List),
            ("chronic_conditions", List),
            ("addictions", List),
            ("medications", List),
            ("fitness_level", Text),
            ("exercise_frequency", Text),
            ("diet_type", Text),
            ("sleep_quality", Text),
            ("stress_level", Text),
            ("substance_use", Text),
            ("medical_conditions", List),
            ("allergies", List),
        ]),
    ),
    (
        "preferences",
        Object(&[
            ("hobbies", List),
            ("interests", List),
            ("favorite_foods", List),
            ("favorite_music", List),
            ("favorite_movies", List),
            ("favorite_books", List),
            ("technology_use", Text),
            ("travel_style", Text),
        ]),
    ),
    (
        "behavioral_tendencies",
        Object(&[
            ("decision_making", Text),
            ("conflict_resolution", Text),
            ("communication_style", Text),
            ("leadership_style", Text),
            ("coping_mechanisms", List),
            ("stress_response", Text),
        ]),
    ),
    (
        "current_context",
        Object(&[
            ("mood", Text),
            ("stress_level", Float),
            ("current_goals", List),
            ("recent_events", List),
            ("life_stage", Text),
        ]),
    ),
    ("custom", StringMap),
];

/// Any JSON scalar (the wrong type for most fields).
fn any_scalar() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,6}".prop_map(Value::from),
    ]
    .boxed()
}

/// Text that stresses the processors: vocabulary values, keywords, huge and odd strings.
fn json_text() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => text().prop_map(Value::from),
        2 => select(&[
            "female", "Bachelors", "graduate", "very_liberal", "medium", "non-fiction",
            "email", "software", "social media", "Peanuts", "heavy-drinking", "insomnia",
            "UTC", "Europe/Paris", "<b>", "ＭＡＬＥ", "İstanbul", "ß", "",
        ][..]).prop_map(Value::from),
        1 => (1..12_000usize).prop_map(|n| Value::from("é".repeat(n))),
    ]
    .boxed()
}

fn json_int() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => (-10..200i64).prop_map(Value::from),
        1 => select(&[i32::MIN as i64, i32::MAX as i64, 0, -1][..]).prop_map(Value::from),
        1 => any::<i32>().prop_map(Value::from),
    ]
    .boxed()
}

fn json_float() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => (-0.5..1.5f64).prop_map(Value::from),
        1 => select(&[0.0, 1.0, -0.0, 1e308, -1e308, 5e-324, 5.0][..]).prop_map(Value::from),
    ]
    .boxed()
}

fn json_value(kind: Kind, depth: u32) -> BoxedStrategy<Value> {
    let right = match kind {
        Text => json_text(),
        Int => json_int(),
        Float => json_float(),
        Bool => any::<bool>().prop_map(Value::from).boxed(),
        Time => prop_oneof![
            (0..4_000_000_000i64, 0..1_000_000_000i64)
                .prop_map(|(seconds, nanos)| json!({"seconds": seconds, "nanos": nanos})),
            Just(json!("2025-06-30T01:22:15.787549005-06:00")),
        ]
        .boxed(),
        List => prop_oneof![
            6 => vec(json_text(), 0..6),
            1 => vec(json_text(), 10..45),
        ]
        .prop_map(Value::from)
        .boxed(),
        Object(fields) => json_object(fields, depth),
        Objects(fields) => prop_oneof![
            6 => vec(json_object(fields, depth), 0..4),
            1 => vec(json_object(fields, depth), 9..30),
        ]
        .prop_map(Value::from)
        .boxed(),
        StringMap => btree_map("[a-z]{1,6}", "\\PC{0,8}", 0..3)
            .prop_map(|map| Value::Object(map.into_iter().map(|(k, v)| (k, v.into())).collect()))
            .boxed(),
    };
    // Now and then a value of the wrong type: deserialisation must fail cleanly.
    prop_oneof![60 => right, 1 => any_scalar()].boxed()
}

fn json_object(fields: &'static [(&'static str, Kind)], depth: u32) -> BoxedStrategy<Value> {
    let members: Vec<BoxedStrategy<Option<(String, Value)>>> = fields
        .iter()
        .map(|(name, kind)| {
            option::weighted(0.6, json_value(*kind, depth + 1))
                .prop_map(move |value| value.map(|value| ((*name).to_owned(), value)))
                .boxed()
        })
        .collect();
    members
        .prop_map(|members| Value::Object(members.into_iter().flatten().collect::<Map<_, _>>()))
        .boxed()
}

#[test]
fn validate_and_analyze_never_panic_on_arbitrary_json() {
    static PARSED: AtomicUsize = AtomicUsize::new(0);
    static REJECTED: AtomicUsize = AtomicUsize::new(0);
    let cases = 400;
    let mut runner = TestRunner::new(Config::with_cases(cases));
    runner
        .run(&(json_object(RICH, 0), context()), |(json, context)| {
            let value: RichAttributes = match serde_json::from_value(json) {
                Ok(value) => value,
                Err(_) => {
                    REJECTED.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
            };
            PARSED.fetch_add(1, Ordering::Relaxed);
            let report = value.validate();
            let _ = value.analyze(&context);
            for category in [
                value.demographics.as_ref().map(Processor::validate),
                value.health.as_ref().map(Processor::validate),
            ]
            .into_iter()
            .flatten()
            {
                for violation in &category {
                    prop_assert!(report.violations().contains(violation));
                }
            }
            let mut normalized = value.clone();
            let processed = normalized.process(&context);
            let mut twice = normalized.clone();
            twice.normalize();
            prop_assert_eq!(&twice, &normalized);
            prop_assert_eq!(&processed.report, &normalized.validate());
            for violation in &processed.report {
                prop_assert!(violation.path.starts_with("rich_attributes."));
            }
            Ok(())
        })
        .unwrap();
    let parsed = PARSED.load(Ordering::Relaxed);
    let rejected = REJECTED.load(Ordering::Relaxed);
    println!("arbitrary JSON: {parsed} deserialised, {rejected} rejected by serde");
    // Enough inputs must reach the processors for the property to mean something.
    assert!(
        parsed >= 100,
        "only {parsed} of {} inputs deserialised",
        parsed + rejected
    );
    assert!(
        rejected > 0,
        "the generator never produced a wrongly typed field"
    );
}
