//! Psychographics: Big Five personality, values, beliefs and styles (reference §2.4).

use serde::{Deserialize, Serialize};

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
