//! Deterministic, realistic, valid test data.
//!
//! [`Generator`] yields identities with all eight attribute categories populated from a seed, one at
//! a time (an iterator: nothing is held in memory), fast enough for a million records in seconds.
//! The same seed gives the same records for a given version of this crate.

use std::collections::BTreeMap;

use persona_attributes::behavioral::{
    BehavioralTendencies, CommunicationStyle, ConflictResolution, DecisionMaking, LeadershipStyle,
    StressResponse,
};
use persona_attributes::cultural::{CulturalReligious, DietaryRestriction, Spirituality};
use persona_attributes::demographics::{
    Demographics, Education, Location, SocioeconomicStatus, UrbanRural,
};
use persona_attributes::health::{
    DietType, ExerciseFrequency, FitnessLevel, Health, MentalHealth, PhysicalHealth, SleepQuality,
    StressLevel, SubstanceUse,
};
use persona_attributes::life_history::{
    CareerEntry, EducationEntry, EducationLevel, EventType, Impact, Industry, LifeEvent,
    LifeHistory,
};
use persona_attributes::political::{PoliticalLeaning, PoliticalSocial, VotingHistory};
use persona_attributes::preferences::{Preferences, TechnologyUse, TravelStyle};
use persona_attributes::psychographics::{
    CognitiveStyle, LearningStyle, Level, Personality, Psychographics,
};
use persona_attributes::{CurrentContext, Gender, RichAttributes, Vocab, Vocabulary};
use persona_core::{Identity, IdentityId, Persona, PersonaId};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const FIRST: &[&str] = &[
    "Ava", "Liam", "Noah", "Emma", "Mia", "Lucas", "Sofia", "Amara", "Kenji", "Priya", "Mateo",
    "Zara", "Olu", "Ingrid", "Chen", "Fatima", "Diego", "Hana", "Yusuf", "Elena", "Tariq", "Maya",
    "Jonas", "Aisha", "Ravi", "Lea", "Omar", "Nia", "Sven", "Ana",
];
const LAST: &[&str] = &[
    "Garcia", "Smith", "Okafor", "Tanaka", "Patel", "Muller", "Rossi", "Kim", "Nguyen", "Silva",
    "Cohen", "Haddad", "Larsen", "Novak", "Dubois", "Mensah", "Ivanova", "Costa", "Walsh", "Sato",
];
/// Countries used by the generator, with their regions and cities.
pub const PLACES: &[(&str, &str, &str, &str)] = &[
    ("US", "California", "San Diego", "America/Los_Angeles"),
    ("US", "New York", "Buffalo", "America/New_York"),
    ("US", "Texas", "Austin", "America/Chicago"),
    ("UK", "England", "Leeds", "Europe/London"),
    ("DE", "Bavaria", "Munich", "Europe/Berlin"),
    ("FR", "Occitanie", "Toulouse", "Europe/Paris"),
    ("JP", "Kanto", "Yokohama", "Asia/Tokyo"),
    ("IN", "Karnataka", "Bengaluru", "Asia/Kolkata"),
    ("BR", "Bahia", "Salvador", "America/Bahia"),
    ("NG", "Lagos", "Ikeja", "Africa/Lagos"),
    ("KR", "Gyeonggi", "Suwon", "Asia/Seoul"),
    ("CA", "Ontario", "Ottawa", "America/Toronto"),
];
const OCCUPATIONS: &[&str] = &[
    "teacher",
    "nurse",
    "software engineer",
    "electrician",
    "accountant",
    "chef",
    "farmer",
    "journalist",
    "pharmacist",
    "carpenter",
    "data analyst",
    "social worker",
    "architect",
    "pilot",
];
const HOBBIES: &[&str] = &[
    "reading",
    "running",
    "painting",
    "gaming",
    "hiking",
    "chess",
    "photography",
    "cooking",
    "volunteering",
    "woodworking",
    "yoga",
    "gardening",
];
const INTERESTS: &[&str] = &[
    "history",
    "technology",
    "politics",
    "design",
    "fitness",
    "travel",
    "finance",
    "psychology",
    "environment",
    "robotics",
    "literature",
    "nutrition",
];
const VALUES: &[&str] = &[
    "family",
    "freedom",
    "honesty",
    "success",
    "security",
    "adventure",
    "creativity",
];
const TAGS: &[&str] = &[
    "panel-a",
    "panel-b",
    "urban",
    "rural",
    "pilot",
    "vip",
    "survey-2026",
    "beta",
];

fn pick<'a, T: ?Sized>(rng: &mut StdRng, items: &'a [&'a T]) -> &'a T {
    items[rng.random_range(0..items.len())]
}

fn vocab<T: Vocabulary>(rng: &mut StdRng) -> Option<Vocab<T>> {
    Some(Vocab::from_raw(pick(rng, T::VALUES)))
}

fn some_of(rng: &mut StdRng, items: &[&str], max: usize) -> Vec<String> {
    let n = rng.random_range(1..=max.min(items.len()));
    let start = rng.random_range(0..items.len());
    (0..n)
        .map(|i| items[(start + i) % items.len()].to_owned())
        .collect()
}

fn score(rng: &mut StdRng) -> f64 {
    (rng.random_range(0..=100) as f64) / 100.0
}

/// A valid persona with a fresh id.
pub fn persona(name: &str) -> Persona {
    let mut persona = Persona::new(
        name,
        "Synthetic survey respondents",
        "You are a member of a synthetic focus group. Answer as the identity you are given.",
    );
    persona.context.insert("tone".into(), "candid".into());
    persona.tags = vec!["fixture".into()];
    persona
}

/// A seeded stream of realistic, valid identities of one persona.
#[derive(Debug)]
pub struct Generator {
    rng: StdRng,
    persona_id: PersonaId,
    produced: u64,
}

impl Generator {
    /// Identities of `persona_id`, drawn from `seed`.
    pub fn new(seed: u64, persona_id: PersonaId) -> Self {
        Generator {
            rng: StdRng::seed_from_u64(seed),
            persona_id,
            produced: 0,
        }
    }

    /// The next identity (ids are deterministic: `fx-<seed-stream>-<n>`).
    pub fn identity(&mut self) -> Identity {
        let rng = &mut self.rng;
        let n = self.produced;
        self.produced += 1;
        let name = format!("{} {}", pick(rng, FIRST), pick(rng, LAST));
        let mut identity = Identity::new(self.persona_id.clone(), name);
        identity.id = IdentityId::from(format!("fx-{:016x}-{n:08}", rng.random::<u64>() >> 8));
        let occupation = pick(rng, OCCUPATIONS);
        let (country, region, city, timezone) = PLACES[rng.random_range(0..PLACES.len())];
        let age = rng.random_range(18..=90);
        identity.description = format!("{occupation} from {city}");
        identity.background = format!(
            "Grew up in {region}, works as a {occupation}, enjoys {} on weekends.",
            pick(rng, HOBBIES)
        );
        identity.tags = some_of(rng, TAGS, 3);
        identity.active = rng.random_bool(0.9);
        identity.rich_attributes = RichAttributes {
            demographics: Some(Demographics {
                age: Some(age),
                gender: Some(Vocab::Known(match rng.random_range(0..10) {
                    0..=3 => Gender::Female,
                    4..=7 => Gender::Male,
                    8 => Gender::NonBinary,
                    _ => Gender::PreferNotToSay,
                })),
                ethnicity: Some("mixed".into()),
                nationality: Some(country.into()),
                education: vocab::<Education>(rng),
                occupation: Some(occupation.into()),
                socioeconomic_status: vocab::<SocioeconomicStatus>(rng),
                location: Some(Location {
                    country: Some(country.into()),
                    region: Some(region.into()),
                    city: Some(city.into()),
                    urban_rural: vocab::<UrbanRural>(rng),
                    timezone: Some(timezone.into()),
                }),
                languages: vec!["english".into()],
                marital_status: Some("married".into()),
                children: Some(rng.random_range(0..4)),
            }),
            psychographics: Some(Psychographics {
                personality: Some(Personality {
                    openness: score(rng),
                    conscientiousness: score(rng),
                    extraversion: score(rng),
                    agreeableness: score(rng),
                    neuroticism: score(rng),
                }),
                values: some_of(rng, VALUES, 3),
                core_beliefs: vec!["hard work pays off".into()],
                cognitive_style: vocab::<CognitiveStyle>(rng),
                learning_style: vocab::<LearningStyle>(rng),
                risk_tolerance: vocab::<Level>(rng),
                openness_to_change: Some(score(rng)),
            }),
            life_history: Some(LifeHistory {
                childhood_traumas: Vec::new(),
                adult_traumas: vec!["job loss".into()],
                major_events: vec![LifeEvent {
                    kind: vocab::<EventType>(rng),
                    description: Some("moved for work".into()),
                    age: Some(age.min(30)),
                    impact: vocab::<Impact>(rng),
                    ..LifeEvent::default()
                }],
                education_history: vec![EducationEntry {
                    level: vocab::<EducationLevel>(rng),
                    field: Some("economics".into()),
                    institution: Some("State University".into()),
                    start_year: Some(2000),
                    end_year: Some(2004),
                    completed: Some(true),
                    ..EducationEntry::default()
                }],
                career_history: vec![CareerEntry {
                    title: Some(occupation.into()),
                    industry: vocab::<Industry>(rng),
                    company: Some("Acme".into()),
                    is_current: Some(true),
                    start_year: Some(2010),
                    ..CareerEntry::default()
                }],
            }),
            cultural_religious: Some(CulturalReligious {
                religion: Some("none".into()),
                spirituality: vocab::<Spirituality>(rng),
                cultural_background: Some("american".into()),
                traditions: vec!["thanksgiving".into()],
                holidays: vec!["new-year".into()],
                dietary_restrictions: vec![Vocab::from_raw(pick(rng, DietaryRestriction::VALUES))],
            }),
            political_social: Some(PoliticalSocial {
                political_leaning: vocab::<PoliticalLeaning>(rng),
                activism: vec!["volunteering".into()],
                social_groups: vec!["community garden".into()],
                causes: vec!["environment".into()],
                voting_history: vocab::<VotingHistory>(rng),
                media_consumption: vec!["podcast".into(), "newspaper".into()],
            }),
            health: Some(Health {
                physical_health: vocab::<PhysicalHealth>(rng),
                mental_health: vocab::<MentalHealth>(rng),
                fitness_level: vocab::<FitnessLevel>(rng),
                exercise_frequency: vocab::<ExerciseFrequency>(rng),
                diet_type: vocab::<DietType>(rng),
                sleep_quality: vocab::<SleepQuality>(rng),
                stress_level: vocab::<StressLevel>(rng),
                substance_use: vocab::<SubstanceUse>(rng),
                allergies: vec!["pollen".into()],
                ..Health::default()
            }),
            preferences: Some(Preferences {
                hobbies: some_of(rng, HOBBIES, 3),
                interests: some_of(rng, INTERESTS, 4),
                favorite_foods: vec!["pasta".into(), "sushi".into()],
                favorite_music: vec!["jazz".into()],
                favorite_movies: vec!["documentary".into()],
                favorite_books: vec!["history".into()],
                technology_use: vocab::<TechnologyUse>(rng),
                travel_style: vocab::<TravelStyle>(rng),
            }),
            behavioral_tendencies: Some(BehavioralTendencies {
                decision_making: vocab::<DecisionMaking>(rng),
                conflict_resolution: vocab::<ConflictResolution>(rng),
                communication_style: vocab::<CommunicationStyle>(rng),
                leadership_style: vocab::<LeadershipStyle>(rng),
                coping_mechanisms: vec!["exercise".into(), "journaling".into()],
                stress_response: vocab::<StressResponse>(rng),
            }),
            current_context: Some(CurrentContext {
                mood: Some("curious".into()),
                stress_level: Some(score(rng)),
                current_goals: vec!["learn a language".into()],
                recent_events: Vec::new(),
                life_stage: Some("established".into()),
            }),
            custom: BTreeMap::from([("panel".to_owned(), "2026-q4".to_owned())]),
        };
        identity
    }
}

impl Iterator for Generator {
    type Item = Identity;

    fn next(&mut self) -> Option<Identity> {
        Some(self.identity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use persona_core::Record;

    #[test]
    fn generated_identities_are_valid_and_deterministic() {
        let persona = persona("Panel");
        let a: Vec<_> = Generator::new(7, persona.id.clone()).take(200).collect();
        let b: Vec<_> = Generator::new(7, persona.id.clone()).take(200).collect();
        assert_eq!(a, b);
        for identity in &a {
            let report = identity.validate();
            assert!(report.is_valid(), "{report}");
        }
        let ids: std::collections::HashSet<_> = a.iter().map(|i| i.id.clone()).collect();
        assert_eq!(ids.len(), a.len());
    }
}
