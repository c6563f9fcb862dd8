//! The public alias table: values other writers use for a vocabulary value, mapped to the canonical
//! one by `normalize`.
//!
//! Normalisation first brings a value to its canonical kebab-case form (trimmed, lowercased, `_` and
//! whitespace turned into `-`, repeated `-` collapsed, leading and trailing `-` dropped), so spelling variants such as `High_School`,
//! `high school` or `Prefer not to say` need no alias: they *are* `high-school` and
//! `prefer-not-to-say` once canonical. The table below holds only true synonyms, keyed by that
//! canonical form. Values that are ambiguous stay out of it on purpose and keep being reported by
//! validation: `graduate` (a master's? a doctorate? any degree?) is the prime example.
//!
//! ```
//! use persona_attributes::aliases::resolve;
//!
//! assert_eq!(resolve("education", "bachelors"), Some("bachelor"));
//! assert_eq!(resolve("political_leaning", "very-liberal"), Some("far-left"));
//! assert_eq!(resolve("education", "graduate"), None);
//! ```

/// One alias: in [`vocabulary`](Self::vocabulary), the canonical form [`from`](Self::from) means
/// [`to`](Self::to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Alias {
    /// The vocabulary's [`Vocabulary::NAME`](crate::Vocabulary::NAME), e.g. `"education"`.
    pub vocabulary: &'static str,
    /// The alias, in canonical kebab-case form (what `normalize` has made of the raw value).
    pub from: &'static str,
    /// The canonical vocabulary value it stands for.
    pub to: &'static str,
}

const fn alias(vocabulary: &'static str, from: &'static str, to: &'static str) -> Alias {
    Alias {
        vocabulary,
        from,
        to,
    }
}

/// Every alias `normalize` applies, grouped by vocabulary.
///
/// | vocabulary | aliases → value |
/// |---|---|
/// | `education`, `education_level` | `bachelors`, `bachelor-s`, `bachelor's` → `bachelor`; `masters`, `master-s`, `master's` → `master`; `phd`, `ph-d`, `ph.d`, `ph.d.`, `doctoral` → `doctorate` |
/// | `political_leaning` | `very-liberal` → `far-left`; `liberal` → `left`; `very-conservative` → `far-right`; `centrist`, `centre` → `center`; `centre-left` → `center-left`; `centre-right` → `center-right` |
/// | `socioeconomic_status` | `low-income` → `low`; `middle-income` → `middle`; `high-income` → `high` |
/// | `level` (risk tolerance) | `medium` → `moderate` |
/// | `gender` | `m`, `man` → `male`; `f`, `woman` → `female`; `nonbinary`, `enby` → `non-binary` |
/// | `urban_rural` | `city` → `urban`; `suburb`, `suburbs` → `suburban`; `countryside` → `rural` |
pub static ALIASES: &[Alias] = &[
    alias("education", "bachelors", "bachelor"),
    alias("education", "bachelor-s", "bachelor"),
    alias("education", "bachelor's", "bachelor"),
    alias("education", "masters", "master"),
    alias("education", "master-s", "master"),
    alias("education", "master's", "master"),
    alias("education", "phd", "doctorate"),
    alias("education", "ph-d", "doctorate"),
    alias("education", "ph.d", "doctorate"),
    alias("education", "ph.d.", "doctorate"),
    alias("education", "doctoral", "doctorate"),
    alias("education_level", "bachelors", "bachelor"),
    alias("education_level", "bachelor-s", "bachelor"),
    alias("education_level", "bachelor's", "bachelor"),
    alias("education_level", "masters", "master"),
    alias("education_level", "master-s", "master"),
    alias("education_level", "master's", "master"),
    alias("education_level", "phd", "doctorate"),
    alias("education_level", "ph-d", "doctorate"),
    alias("education_level", "ph.d", "doctorate"),
    alias("education_level", "ph.d.", "doctorate"),
    alias("education_level", "doctoral", "doctorate"),
    alias("political_leaning", "very-liberal", "far-left"),
    alias("political_leaning", "liberal", "left"),
    alias("political_leaning", "very-conservative", "far-right"),
    alias("political_leaning", "centrist", "center"),
    alias("political_leaning", "centre", "center"),
    alias("political_leaning", "centre-left", "center-left"),
    alias("political_leaning", "centre-right", "center-right"),
    alias("socioeconomic_status", "low-income", "low"),
    alias("socioeconomic_status", "middle-income", "middle"),
    alias("socioeconomic_status", "high-income", "high"),
    alias("level", "medium", "moderate"),
    alias("gender", "m", "male"),
    alias("gender", "man", "male"),
    alias("gender", "f", "female"),
    alias("gender", "woman", "female"),
    alias("gender", "nonbinary", "non-binary"),
    alias("gender", "enby", "non-binary"),
    alias("urban_rural", "city", "urban"),
    alias("urban_rural", "suburb", "suburban"),
    alias("urban_rural", "suburbs", "suburban"),
    alias("urban_rural", "countryside", "rural"),
];

/// The canonical value `canonical_form` stands for in `vocabulary`, if it is an alias there.
///
/// `canonical_form` must already be in canonical kebab-case form (as `normalize` produces it); the
/// lookup is exact.
pub fn resolve(vocabulary: &str, canonical_form: &str) -> Option<&'static str> {
    ALIASES
        .iter()
        .find(|alias| alias.from == canonical_form && alias.vocabulary == vocabulary)
        .map(|alias| alias.to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::behavioral::*;
    use crate::cultural::*;
    use crate::demographics::*;
    use crate::health::*;
    use crate::life_history::*;
    use crate::political::*;
    use crate::preferences::*;
    use crate::psychographics::*;
    use crate::text::is_canonical;
    use crate::vocab::{Gender, Vocabulary};

    /// Some(true): a value of the closed set; Some(false): parses only as a free form.
    type Parses = fn(&str) -> Option<bool>;

    /// `(name, parses)` for every input vocabulary.
    fn vocabularies() -> Vec<(&'static str, Parses)> {
        fn probe<T: Vocabulary>() -> (&'static str, Parses) {
            (T::NAME, |value| {
                T::parse(value).map(|_| T::VALUES.contains(&value))
            })
        }
        vec![
            probe::<Gender>(),
            probe::<Education>(),
            probe::<SocioeconomicStatus>(),
            probe::<UrbanRural>(),
            probe::<CognitiveStyle>(),
            probe::<LearningStyle>(),
            probe::<Level>(),
            probe::<EventType>(),
            probe::<Impact>(),
            probe::<EducationLevel>(),
            probe::<Industry>(),
            probe::<Spirituality>(),
            probe::<DietaryRestriction>(),
            probe::<PoliticalLeaning>(),
            probe::<VotingHistory>(),
            probe::<PhysicalHealth>(),
            probe::<MentalHealth>(),
            probe::<FitnessLevel>(),
            probe::<ExerciseFrequency>(),
            probe::<DietType>(),
            probe::<SleepQuality>(),
            probe::<StressLevel>(),
            probe::<SubstanceUse>(),
            probe::<TechnologyUse>(),
            probe::<TravelStyle>(),
            probe::<DecisionMaking>(),
            probe::<ConflictResolution>(),
            probe::<CommunicationStyle>(),
            probe::<LeadershipStyle>(),
            probe::<StressResponse>(),
        ]
    }

    #[test]
    fn every_target_parses_and_every_source_does_not() {
        let vocabularies = vocabularies();
        for alias in ALIASES {
            let (_, parses) = vocabularies
                .iter()
                .find(|(name, _)| *name == alias.vocabulary)
                .unwrap_or_else(|| panic!("unknown vocabulary {}", alias.vocabulary));
            assert_eq!(parses(alias.to), Some(true), "{alias:?}: target");
            // Gender accepts any self-description, so its aliases parse as such; every other
            // vocabulary must reject the alias outright.
            let source = parses(alias.from);
            if alias.vocabulary == Gender::NAME {
                assert_eq!(source, Some(false), "{alias:?}: source");
            } else {
                assert_eq!(source, None, "{alias:?}: source");
            }
            assert!(is_canonical(alias.from), "{alias:?}: source not canonical");
            assert_ne!(alias.from, alias.to);
        }
    }

    #[test]
    fn no_duplicate_sources_and_graduate_stays_reported() {
        for (i, a) in ALIASES.iter().enumerate() {
            assert!(
                !ALIASES[..i]
                    .iter()
                    .any(|b| a.vocabulary == b.vocabulary && a.from == b.from),
                "{a:?}"
            );
        }
        assert_eq!(resolve("education", "graduate"), None);
        assert_eq!(resolve("education_level", "graduate"), None);
        assert_eq!(resolve("education", "phd"), Some("doctorate"));
        assert_eq!(resolve("level", "medium"), Some("moderate"));
        assert_eq!(resolve("impact", "medium"), None);
    }
}
