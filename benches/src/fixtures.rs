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

/// How many of the eight attribute categories `identity` has.
pub fn populated_categories(identity: &Identity) -> usize {
    let a = &identity.rich_attributes;
    [
        a.demographics.is_some(),
        a.psychographics.is_some(),
        a.life_history.is_some(),
        a.cultural_religious.is_some(),
        a.political_social.is_some(),
        a.health.is_some(),
        a.preferences.is_some(),
        a.behavioral_tendencies.is_some(),
    ]
    .into_iter()
    .filter(|present| *present)
    .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use persona_core::Record;

    #[test]
    fn identities_are_deterministic_complete_and_valid() {
        let persona = persona();
        let a = identities(7, &persona.id, 50);
        let b = identities(7, &persona.id, 50);
        assert_eq!(a, b);
        for identity in &a {
            assert_eq!(populated_categories(identity), 8);
            assert!(identity.validate().is_valid(), "{}", identity.validate());
        }
        let json = serde_json::to_vec(&a[0]).unwrap();
        assert!(json.len() > 1_000, "documents are realistic, not tiny");
    }
}
