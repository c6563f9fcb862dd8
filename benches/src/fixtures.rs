//! Deterministic, realistic bench data: identities with all eight attribute categories populated,
//! drawn from the test kit's seeded [`Generator`], so every bench (and its hand-written baseline)
//! works on exactly the same documents.

use persona_core::{Identity, Persona, PersonaId};
use persona_testkit::fixtures::Generator;

/// The id of the persona every bench identity belongs to.
pub const PERSONA_ID: &str = "bench-persona";

/// The persona every bench identity belongs to.
pub fn persona() -> Persona {
    let mut persona = persona_testkit::fixtures::persona("Bench panel");
    persona.id = PERSONA_ID.into();
    persona
}

/// `count` identities of [`persona`], the same for the same `seed`.
pub fn identities(seed: u64, count: usize) -> Vec<Identity> {
    Generator::new(seed, PersonaId::from(PERSONA_ID))
        .take(count)
        .collect()
}
