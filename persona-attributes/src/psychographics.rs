//! Psychographics: Big Five personality, values, beliefs and styles (reference §2.4).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::category::Categories;
use crate::keywords::{self, ExactTable};
use crate::processor::{AnalysisContext, Processor};
use crate::text;
use crate::validate::{FieldPath, ValidationReport, rules};
use crate::vocab::{Vocab, vocabulary};

vocabulary! {
    /// How a person prefers to think.
    CognitiveStyle as "cognitive_style" {
        Analytical = "analytical",
        Intuitive = "intuitive",
        Systematic = "systematic",
        Creative = "creative",
        Logical = "logical",
        Holistic = "holistic",
        DetailOriented = "detail-oriented",
        BigPicture = "big-picture",
    }
}

vocabulary! {
    /// How a person prefers to learn.
    LearningStyle as "learning_style" {
        Visual = "visual",
        Auditory = "auditory",
        Kinesthetic = "kinesthetic",
        ReadingWriting = "reading-writing",
        Multimodal = "multimodal",
        Experiential = "experiential",
        Theoretical = "theoretical",
        Practical = "practical",
    }
}

vocabulary! {
    /// Appetite for risk. Shared by other five-level scales.
    Level as "level" {
        VeryLow = "very-low",
        Low = "low",
        Moderate = "moderate",
        High = "high",
        VeryHigh = "very-high",
    }
}

/// The Big Five traits, each 0.0–1.0. Absent traits read as 0.0, as in the reference's protobuf model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Personality {
    /// Openness to experience.
    pub openness: f64,
    /// Conscientiousness.
    pub conscientiousness: f64,
    /// Extraversion.
    pub extraversion: f64,
    /// Agreeableness.
    pub agreeableness: f64,
    /// Neuroticism.
    pub neuroticism: f64,
}

/// One of the Big Five traits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trait {
    /// Openness to experience.
    Openness,
    /// Conscientiousness.
    Conscientiousness,
    /// Extraversion.
    Extraversion,
    /// Agreeableness.
    Agreeableness,
    /// Neuroticism.
    Neuroticism,
}

impl Trait {
    /// All five, in OCEAN order.
    pub const ALL: [Trait; 5] = [
        Trait::Openness,
        Trait::Conscientiousness,
        Trait::Extraversion,
        Trait::Agreeableness,
        Trait::Neuroticism,
    ];

    /// The wire name, e.g. `"openness"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Trait::Openness => "openness",
            Trait::Conscientiousness => "conscientiousness",
            Trait::Extraversion => "extraversion",
            Trait::Agreeableness => "agreeableness",
            Trait::Neuroticism => "neuroticism",
        }
    }
}

impl Personality {
    /// The score of one trait.
    pub const fn get(&self, which: Trait) -> f64 {
        match which {
            Trait::Openness => self.openness,
            Trait::Conscientiousness => self.conscientiousness,
            Trait::Extraversion => self.extraversion,
            Trait::Agreeableness => self.agreeableness,
            Trait::Neuroticism => self.neuroticism,
        }
    }
}

/// What drives a person and how they think.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Psychographics {
    /// Big Five scores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personality: Option<Personality>,
    /// Personal values (at most 20).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Core beliefs (at most 15).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub core_beliefs: Vec<String>,
    /// Preferred way of thinking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cognitive_style: Option<Vocab<CognitiveStyle>>,
    /// Preferred way of learning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learning_style: Option<Vocab<LearningStyle>>,
    /// Appetite for risk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_tolerance: Option<Vocab<Level>>,
    /// Openness to change, 0.0–1.0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub openness_to_change: Option<f64>,
}

/// How strongly a trait shows: ≥0.7 high, ≥0.3 moderate, else low.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TraitLevel {
    /// Below 0.3 (or not a number).
    Low,
    /// 0.3 up to 0.7.
    Moderate,
    /// 0.7 or more.
    High,
}

impl TraitLevel {
    /// The level of a trait score.
    pub fn of(score: f64) -> TraitLevel {
        if score >= 0.7 {
            TraitLevel::High
        } else if score >= 0.3 {
            TraitLevel::Moderate
        } else {
            TraitLevel::Low
        }
    }
}

/// The level of each Big Five trait (reference `GetPersonalityProfile`, typed).
///
/// [`Display`](fmt::Display) gives the reference's text description, e.g. "highly creative and open
/// to new experiences, moderately organized, …".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PersonalityProfile {
    /// Openness to experience.
    pub openness: TraitLevel,
    /// Conscientiousness.
    pub conscientiousness: TraitLevel,
    /// Extraversion.
    pub extraversion: TraitLevel,
    /// Agreeableness.
    pub agreeableness: TraitLevel,
    /// Neuroticism.
    pub neuroticism: TraitLevel,
}

impl PersonalityProfile {
    /// The levels of `personality`'s traits.
    pub fn of(personality: &Personality) -> Self {
        PersonalityProfile {
            openness: TraitLevel::of(personality.openness),
            conscientiousness: TraitLevel::of(personality.conscientiousness),
            extraversion: TraitLevel::of(personality.extraversion),
            agreeableness: TraitLevel::of(personality.agreeableness),
            neuroticism: TraitLevel::of(personality.neuroticism),
        }
    }

    /// The level of one trait.
    pub const fn get(&self, which: Trait) -> TraitLevel {
        match which {
            Trait::Openness => self.openness,
            Trait::Conscientiousness => self.conscientiousness,
            Trait::Extraversion => self.extraversion,
            Trait::Agreeableness => self.agreeableness,
            Trait::Neuroticism => self.neuroticism,
        }
    }

    /// The reference's phrase for one trait at its level.
    pub const fn phrase(&self, which: Trait) -> &'static str {
        use TraitLevel::{High, Low, Moderate};
        match (which, self.get(which)) {
            (Trait::Openness, High) => "highly creative and open to new experiences",
            (Trait::Openness, Moderate) => "moderately open to new ideas",
            (Trait::Openness, Low) => "prefers familiar and conventional approaches",
            (Trait::Conscientiousness, High) => "highly organized and disciplined",
            (Trait::Conscientiousness, Moderate) => "moderately organized",
            (Trait::Conscientiousness, Low) => "flexible and spontaneous",
            (Trait::Extraversion, High) => "highly social and outgoing",
            (Trait::Extraversion, Moderate) => "moderately social",
            (Trait::Extraversion, Low) => "introverted and reserved",
            (Trait::Agreeableness, High) => "highly cooperative and trusting",
            (Trait::Agreeableness, Moderate) => "moderately agreeable",
            (Trait::Agreeableness, Low) => "competitive and skeptical",
            (Trait::Neuroticism, High) => "emotionally sensitive",
            (Trait::Neuroticism, Moderate) => "moderately emotionally stable",
            (Trait::Neuroticism, Low) => "emotionally resilient",
        }
    }
}

impl fmt::Display for PersonalityProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, which) in Trait::ALL.into_iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(self.phrase(which))?;
        }
        Ok(())
    }
}

/// How a person decides, from personality: systematic when conscientiousness > 0.6 and openness
/// < 0.4; intuitive when openness > 0.6 and conscientiousness < 0.4; else balanced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecisionStyle {
    /// Organised and conventional.
    Systematic,
    /// Open and spontaneous.
    Intuitive,
    /// Neither.
    Balanced,
}

impl DecisionStyle {
    /// The decision style of `personality`.
    pub fn of(personality: &Personality) -> Self {
        let (o, c) = (personality.openness, personality.conscientiousness);
        if c > 0.6 && o < 0.4 {
            DecisionStyle::Systematic
        } else if o > 0.6 && c < 0.4 {
            DecisionStyle::Intuitive
        } else {
            DecisionStyle::Balanced
        }
    }
}

/// Value categories (exact match on the value's canonical form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueCategory {
    /// family, friendship, love, community
    Relationships,
    /// success, achievement, ambition, excellence
    Achievement,
    /// freedom, independence, self-reliance
    Autonomy,
    /// creativity, authenticity, individuality
    SelfExpression,
    /// justice, fairness, honesty, integrity
    Moral,
    /// security, stability, tradition
    Stability,
    /// adventure, excitement, novelty
    Stimulation,
    /// Anything else.
    Other,
}

static VALUE_CATEGORIES: ExactTable<ValueCategory> = ExactTable::new(
    ValueCategory::Other,
    &[
        (
            ValueCategory::Relationships,
            &["family", "friendship", "love", "community"],
        ),
        (
            ValueCategory::Achievement,
            &["success", "achievement", "ambition", "excellence"],
        ),
        (
            ValueCategory::Autonomy,
            &["freedom", "independence", "self-reliance"],
        ),
        (
            ValueCategory::SelfExpression,
            &["creativity", "authenticity", "individuality"],
        ),
        (
            ValueCategory::Moral,
            &["justice", "fairness", "honesty", "integrity"],
        ),
        (
            ValueCategory::Stability,
            &["security", "stability", "tradition"],
        ),
        (
            ValueCategory::Stimulation,
            &["adventure", "excitement", "novelty"],
        ),
    ],
);

/// The analysis of [`Psychographics`] (reference `GetCognitiveProfile`, plus the personality
/// levels of `GetPersonalityProfile` and `GetValueCategories`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PsychographicProfile {
    /// The cognitive style, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cognitive_style: Option<CognitiveStyle>,
    /// The learning style, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learning_style: Option<LearningStyle>,
    /// The risk tolerance, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_tolerance: Option<Level>,
    /// The decision style, when a personality is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_style: Option<DecisionStyle>,
    /// The trait levels, when a personality is given ("No personality data available" otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personality: Option<PersonalityProfile>,
    /// The values, by category.
    pub value_categories: Categories<ValueCategory>,
}

impl Processor for Psychographics {
    const CATEGORY: &'static str = "psychographics";
    type Profile = PsychographicProfile;

    /// Lowercases, trims and de-duplicates values and core beliefs (dropping empty ones), and
    /// canonicalises the three styles (`medium` risk tolerance becomes `moderate`). Scores are left
    /// alone: validation reports them.
    fn normalize(&mut self) {
        text::list(&mut self.values, text::Case::Lower);
        text::list(&mut self.core_beliefs, text::Case::Lower);
        text::vocab(&mut self.cognitive_style);
        text::vocab(&mut self.learning_style);
        text::vocab(&mut self.risk_tolerance);
    }

    /// Each Big Five trait and `openness_to_change` finite and within 0.0–1.0; at most 20 values
    /// and 15 core beliefs; the three styles in their vocabularies.
    fn validate_into(&self, at: &FieldPath<'_>, report: &mut ValidationReport) {
        if let Some(personality) = &self.personality {
            let at = at.field("personality");
            for which in Trait::ALL {
                rules::float_range(
                    personality.get(which),
                    0.0,
                    1.0,
                    &at.field(which.as_str()),
                    report,
                );
            }
        }
        rules::max_items(self.values.len(), 20, &at.field("values"), report);
        rules::max_items(
            self.core_beliefs.len(),
            15,
            &at.field("core_beliefs"),
            report,
        );
        if let Some(style) = &self.cognitive_style {
            rules::vocabulary(style, &at.field("cognitive_style"), report);
        }
        if let Some(style) = &self.learning_style {
            rules::vocabulary(style, &at.field("learning_style"), report);
        }
        if let Some(tolerance) = &self.risk_tolerance {
            rules::vocabulary(tolerance, &at.field("risk_tolerance"), report);
        }
        if let Some(openness) = self.openness_to_change {
            rules::float_range(openness, 0.0, 1.0, &at.field("openness_to_change"), report);
        }
    }

    /// Styles echoed, decision style and trait levels from the personality, values by category.
    fn analyze(&self, _context: &AnalysisContext) -> PsychographicProfile {
        PsychographicProfile {
            cognitive_style: self
                .cognitive_style
                .as_ref()
                .and_then(Vocab::known)
                .copied(),
            learning_style: self.learning_style.as_ref().and_then(Vocab::known).copied(),
            risk_tolerance: self.risk_tolerance.as_ref().and_then(Vocab::known).copied(),
            decision_style: self.personality.as_ref().map(DecisionStyle::of),
            personality: self.personality.as_ref().map(PersonalityProfile::of),
            value_categories: keywords::group(&VALUE_CATEGORIES, &self.values),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Code;

    fn personality(o: f64, c: f64) -> Personality {
        Personality {
            openness: o,
            conscientiousness: c,
            extraversion: 0.5,
            agreeableness: 0.8,
            neuroticism: 0.1,
        }
    }

    #[test]
    fn normalize_lowercases_lists_and_maps_medium() {
        let mut value: Psychographics = serde_json::from_value(serde_json::json!({
            "values": [" Family", "family", "", "Honesty "],
            "core_beliefs": ["Hard Work Pays", "hard work pays"],
            "cognitive_style": "Detail_Oriented", "learning_style": "Reading Writing",
            "risk_tolerance": "Medium", "openness_to_change": 7.0
        }))
        .unwrap();
        value.normalize();
        let once = value.clone();
        value.normalize();
        assert_eq!(value, once);
        assert_eq!(value.values, ["family", "honesty"]);
        assert_eq!(value.core_beliefs, ["hard work pays"]);
        assert_eq!(
            value.cognitive_style,
            Some(Vocab::Known(CognitiveStyle::DetailOriented))
        );
        assert_eq!(
            value.learning_style,
            Some(Vocab::Known(LearningStyle::ReadingWriting))
        );
        assert_eq!(value.risk_tolerance, Some(Vocab::Known(Level::Moderate)));
        assert_eq!(value.openness_to_change, Some(7.0));
    }

    #[test]
    fn every_rule_reports_path_and_code() {
        let value = Psychographics {
            personality: Some(Personality {
                openness: f64::NAN,
                conscientiousness: -0.1,
                extraversion: 1.0,
                agreeableness: f64::INFINITY,
                neuroticism: 1.0000001,
            }),
            values: (0..21).map(|i| i.to_string()).collect(),
            core_beliefs: (0..16).map(|i| i.to_string()).collect(),
            cognitive_style: Some(Vocab::from_raw("clever")),
            learning_style: Some(Vocab::from_raw("osmosis")),
            risk_tolerance: Some(Vocab::from_raw("medium")),
            openness_to_change: Some(f64::NEG_INFINITY),
        };
        let report = value.validate();
        let p = "rich_attributes.psychographics";
        let got: Vec<_> = report.iter().map(|v| (v.path.clone(), v.code)).collect();
        let want: Vec<_> = [
            ("personality.openness", Code::OutOfRange),
            ("personality.conscientiousness", Code::OutOfRange),
            ("personality.agreeableness", Code::OutOfRange),
            ("personality.neuroticism", Code::OutOfRange),
            ("values", Code::TooManyItems),
            ("core_beliefs", Code::TooManyItems),
            ("cognitive_style", Code::NotInVocabulary),
            ("learning_style", Code::NotInVocabulary),
            ("risk_tolerance", Code::NotInVocabulary),
            ("openness_to_change", Code::OutOfRange),
        ]
        .into_iter()
        .map(|(path, code)| (format!("{p}.{path}"), code))
        .collect();
        assert_eq!(got, want);
        assert_eq!(
            report.violations()[0].message,
            "must be between 0.0 and 1.0"
        );
        let at_cap = Psychographics {
            values: (0..20).map(|i| i.to_string()).collect(),
            core_beliefs: (0..15).map(|i| i.to_string()).collect(),
            openness_to_change: Some(0.0),
            ..Default::default()
        };
        assert!(at_cap.validate().is_valid());
    }

    #[test]
    fn analysis_follows_the_reference_tables() {
        let value = Psychographics {
            personality: Some(personality(0.2, 0.9)),
            values: ["family", "Self Reliance", "honesty", "money"]
                .map(String::from)
                .to_vec(),
            cognitive_style: Some(CognitiveStyle::Analytical.into()),
            risk_tolerance: Some(Vocab::from_raw("medium")),
            ..Default::default()
        };
        let profile = value.analyze(&AnalysisContext::default());
        assert_eq!(profile.decision_style, Some(DecisionStyle::Systematic));
        assert_eq!(profile.cognitive_style, Some(CognitiveStyle::Analytical));
        assert_eq!(profile.risk_tolerance, None);
        let categories = &profile.value_categories;
        assert_eq!(
            categories
                .get(ValueCategory::Relationships)
                .collect::<Vec<_>>(),
            ["family"]
        );
        assert_eq!(
            categories.get(ValueCategory::Autonomy).collect::<Vec<_>>(),
            ["Self Reliance"]
        );
        assert_eq!(categories.count(ValueCategory::Moral), 1);
        assert_eq!(categories.count(ValueCategory::Other), 1);
        let levels = profile.personality.unwrap();
        assert_eq!(
            levels.to_string(),
            "prefers familiar and conventional approaches, highly organized and disciplined, \
             moderately social, highly cooperative and trusting, emotionally resilient"
        );
        assert_eq!(
            DecisionStyle::of(&personality(0.9, 0.2)),
            DecisionStyle::Intuitive
        );
        assert_eq!(
            DecisionStyle::of(&personality(0.6, 0.2)),
            DecisionStyle::Balanced
        );
        assert_eq!(TraitLevel::of(0.7), TraitLevel::High);
        assert_eq!(TraitLevel::of(0.3), TraitLevel::Moderate);
        assert_eq!(TraitLevel::of(0.2999), TraitLevel::Low);
        assert_eq!(TraitLevel::of(f64::NAN), TraitLevel::Low);
        let json = serde_json::to_value(&profile).unwrap();
        assert_eq!(json["value_categories"]["relationships"][0], "family");
        assert_eq!(json["personality"]["openness"], "low");
        let empty = Psychographics::default().analyze(&AnalysisContext::default());
        assert_eq!(empty.personality, None);
        assert!(empty.value_categories.is_empty());
    }
}
