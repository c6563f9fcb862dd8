//! Deterministic, realistic identities for the benches.
//!
//! The generator of `persona-testkit` fills all eight attribute categories (demographics,
//! psychographics, life history, cultural/religious, political/social, health, preferences,
//! behavioural tendencies) plus current context and custom fields, from a seed, so every run and
//! every backend's bench sees the same documents.

use persona_core::{Identity, Persona, PersonaId};
pub use persona_testkit::fixtures::Generator;

/// The persona the bench identities belong to (a fixed id, so runs are comparable).
pub fn persona() -> Persona {
    let mut persona = persona_testkit::fixtures::persona("Bench panel");
    persona.id = PersonaId::from("bench-persona");
    persona
}

/// `n` identities of `persona_id` drawn from `seed`.
pub fn identities(seed: u64, persona_id: &PersonaId, n: usize) -> Vec<Identity> {
    Generator::new(seed, persona_id.clone()).take(n).collect()
}
