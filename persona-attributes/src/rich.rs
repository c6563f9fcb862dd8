//! [`RichAttributes`]: the eight categories together, and the pipeline that processes them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::behavioral::BehavioralTendencies;
use crate::cultural::CulturalReligious;
use crate::demographics::Demographics;
use crate::health::Health;
use crate::life_history::LifeHistory;
use crate::political::PoliticalSocial;
use crate::preferences::Preferences;
use crate::processor::{AnalysisContext, Processor};
use crate::psychographics::Psychographics;
use crate::validate::{FieldPath, ValidationReport};

/// Everything known about an identity beyond its name: the eight processed categories, the
/// unprocessed current context and free-form custom values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RichAttributes {
    /// Age, gender, education, location, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demographics: Option<Demographics>,
    /// Big Five personality, values and styles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psychographics: Option<Psychographics>,
    /// Traumas, events, education and career.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub life_history: Option<LifeHistory>,
    /// Culture, religion, traditions and diet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cultural_religious: Option<CulturalReligious>,
    /// Politics, activism and media.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub political_social: Option<PoliticalSocial>,
    /// Physical and mental health.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
    /// Hobbies, interests and tastes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferences: Option<Preferences>,
    /// Decisions, conflict, communication, leadership and coping.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub behavioral_tendencies: Option<BehavioralTendencies>,
    /// The person's situation right now. Not processed and not validated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_context: Option<CurrentContext>,
    /// Free-form values with no typed home. Not validated.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub custom: BTreeMap<String, String>,
}

/// The person's situation right now (no processor, as in the reference).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CurrentContext {
    /// Mood (free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mood: Option<String>,
    /// Stress as a number (unlike `health.stress_level`, which is a vocabulary).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stress_level: Option<f64>,
    /// Current goals.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub current_goals: Vec<String>,
    /// Recent events.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recent_events: Vec<String>,
    /// Life stage (free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub life_stage: Option<String>,
}

/// The analysis of every present category.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IdentityProfile {
    /// See [`Demographics`]'s processor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demographics: Option<<Demographics as Processor>::Profile>,
    /// See [`Psychographics`]'s processor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psychographics: Option<<Psychographics as Processor>::Profile>,
    /// See [`LifeHistory`]'s processor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub life_history: Option<<LifeHistory as Processor>::Profile>,
    /// See [`CulturalReligious`]'s processor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cultural_religious: Option<<CulturalReligious as Processor>::Profile>,
    /// See [`PoliticalSocial`]'s processor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub political_social: Option<<PoliticalSocial as Processor>::Profile>,
    /// See [`Health`]'s processor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<<Health as Processor>::Profile>,
    /// See [`Preferences`]'s processor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferences: Option<<Preferences as Processor>::Profile>,
    /// See [`BehavioralTendencies`]'s processor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub behavioral_tendencies: Option<<BehavioralTendencies as Processor>::Profile>,
}

/// The outcome of [`RichAttributes::process`].
#[derive(Debug, Clone, PartialEq)]
pub struct Processed {
    /// Every violation left after normalisation.
    pub report: ValidationReport,
    /// The analysis of every present category.
    pub profile: IdentityProfile,
}

/// Applies `$apply!(field, Type)` to each of the eight categories.
macro_rules! for_each_category {
    ($apply:ident) => {
        $apply!(demographics);
        $apply!(psychographics);
        $apply!(life_history);
        $apply!(cultural_religious);
        $apply!(political_social);
        $apply!(health);
        $apply!(preferences);
        $apply!(behavioral_tendencies);
    };
}

impl RichAttributes {
    /// Normalises every present category (see [`Processor::normalize`]). Idempotent.
    pub fn normalize(&mut self) {
        macro_rules! normalize {
            ($field:ident) => {
                if let Some(value) = self.$field.as_mut() {
                    value.normalize();
                }
            };
        }
        for_each_category!(normalize);
    }

    /// Appends every violation of every present category to `report`, with paths under `at`
    /// (normally `rich_attributes`).
    pub fn validate_into(&self, at: &FieldPath<'_>, report: &mut ValidationReport) {
        macro_rules! validate {
            ($field:ident) => {
                if let Some(value) = self.$field.as_ref() {
                    value.validate_into(&at.field(stringify!($field)), report);
                }
            };
        }
        for_each_category!(validate);
    }

    /// Every violation of every present category, with paths under `rich_attributes`.
    pub fn validate(&self) -> ValidationReport {
        let mut report = ValidationReport::new();
        self.validate_into(&FieldPath::root("rich_attributes"), &mut report);
        report
    }

    /// The analysis of every present category.
    pub fn analyze(&self, context: &AnalysisContext) -> IdentityProfile {
        IdentityProfile {
            demographics: self.demographics.as_ref().map(|v| v.analyze(context)),
            psychographics: self.psychographics.as_ref().map(|v| v.analyze(context)),
            life_history: self.life_history.as_ref().map(|v| v.analyze(context)),
            cultural_religious: self.cultural_religious.as_ref().map(|v| v.analyze(context)),
            political_social: self.political_social.as_ref().map(|v| v.analyze(context)),
            health: self.health.as_ref().map(|v| v.analyze(context)),
            preferences: self.preferences.as_ref().map(|v| v.analyze(context)),
            behavioral_tendencies: self
                .behavioral_tendencies
                .as_ref()
                .map(|v| v.analyze(context)),
        }
    }

    /// The pipeline: normalize, then validate, then analyze every present category.
    pub fn process(&mut self, context: &AnalysisContext) -> Processed {
        self.normalize();
        Processed {
            report: self.validate(),
            profile: self.analyze(context),
        }
    }
}
