//! The persona SDK in one page, on the embedded default store (SQLite, no server): store personas
//! and identities, see validation, query with a cursor, analyse an identity, and read its history.
//!
//! Run with `cargo run --example quickstart`.

use persona_core::attributes::demographics::{Demographics, Education, Location};
use persona_core::attributes::{AnalysisContext, Gender, Vocab};
use persona_core::query::{Direction, Query, SortKey};
use persona_core::{Actor, Identity, Persona, StoreExt, Version, WriteMode};
use persona_store_sqlite::SqliteStore;
use persona_testkit::fixtures::Generator;

type Error = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // One file holds everything: records, history, audit. Start from a fresh one each run.
    let path = std::env::temp_dir().join("persona-quickstart.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let store = SqliteStore::open(&path)?;
    println!("opened {}", path.display());
    let me = Actor::new("quickstart");

    // A persona: the role. Identities: concrete people who embody it.
    let persona = store
        .personas()
        .create(
            &me,
            Persona::new(
                "Focus group",
                "Consumer research",
                "You are a panel member. Answer in character.",
            ),
        )
        .await?;
    let people: Vec<Identity> = Generator::new(2026, persona.id.clone()).take(40).collect();
    let people = store
        .identities()
        .put_many(&me, people, WriteMode::Create)
        .await?;
    println!(
        "stored persona {:?} and {} identities",
        persona.name,
        people.len()
    );

    // Every write is validated first; the report names every violation.
    let mut bad = Identity::new(persona.id.clone(), "");
    bad.rich_attributes.demographics = Some(Demographics {
        age: Some(212),
        gender: Some(Vocab::Known(Gender::Female)),
        education: Some(Vocab::from_raw("bachelors")),
        location: Some(Location {
            timezone: Some("somewhere".into()),
            ..Location::default()
        }),
        ..Demographics::default()
    });
    match store.identities().create(&me, bad).await {
        Err(error) => println!("\nrejected a bad identity: {error}"),
        Ok(_) => unreachable!("an invalid identity is never stored"),
    }

    // Queries: filters, sort, and cursor pagination.
    let query = Query::new()
        .age(25..=60)
        .education(Education::Master)
        .sort(SortKey::Age, Direction::Desc)
        .limit(3);
    let first = store.identities().query(&query).await?;
    println!("\nmasters aged 25-60, oldest first:");
    for person in &first.items {
        let age = person
            .rich_attributes
            .demographics
            .as_ref()
            .and_then(|d| d.age);
        println!("  {:<16} age {}", person.name, age.unwrap_or_default());
    }
    if let Some(cursor) = first.next {
        let second = store
            .identities()
            .query(&query.clone().after(cursor))
            .await?;
        println!("  … next page: {} more", second.items.len());
    }
    let texts = store
        .identities()
        .query(&Query::new().text("teacher").limit(50))
        .await?;
    println!(
        "\nidentities whose description mentions \"teacher\": {}",
        texts.items.len()
    );

    // Analysis: typed profiles derived from the attributes.
    let subject = &people[0];
    let profile = subject.rich_attributes.analyze(&AnalysisContext::default());
    println!("\nprofile of {}:", subject.name);
    println!(
        "  demographics: {}",
        serde_json::to_string(&profile.demographics)?
    );
    println!(
        "  behaviour:    {}",
        serde_json::to_string(&profile.behavioral_tendencies)?
    );

    // History: every write is a version; diff any two, roll back to any.
    let mut changed = subject.clone();
    changed.tags.push("follow-up".into());
    changed.description = "Agreed to a follow-up interview".into();
    store.identities().update(&me, changed).await?;
    let versions = store.identities().versions(subject.id.as_str()).await?;
    println!("\nhistory of {}: {} versions", subject.name, versions.len());
    for v in &versions {
        println!("  v{} {} by {}", v.version, v.action, v.actor);
    }
    let patch = store
        .identities()
        .diff(subject.id.as_str(), Version(1), Version(2))
        .await?;
    println!("diff v1 → v2: {}", serde_json::to_string(&patch)?);
    Ok(())
}
