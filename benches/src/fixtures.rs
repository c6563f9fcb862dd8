//! Deterministic, realistic records for benches: seeded identities with all eight attribute
//! categories filled (drawn by the testkit's [`Generator`]).

use persona_core::{Identity, Persona, PersonaId};
use persona_testkit::fixtures::{self, Generator};

/// The persona every bench identity belongs to, with a fixed id.
pub fn persona() -> Persona {
    let mut persona = fixtures::persona("Bench respondents");
    persona.id = PersonaId::from("bench-persona");
    persona
}

/// `count` identities of [`persona`], the same for the same `seed`.
pub fn identities(seed: u64, count: usize) -> Vec<Identity> {
    Generator::new(seed, persona().id).take(count).collect()
}
