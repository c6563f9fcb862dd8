//! Health (reference §2.8).

use serde::{Deserialize, Serialize};

use crate::vocab::{Vocab, vocabulary};

vocabulary! {
    /// Physical health.
    PhysicalHealth as "physical_health" {
        Excellent = "excellent",
        VeryGood = "very-good",
        Good = "good",
        Fair = "fair",
        Poor = "poor",
        Disabled = "disabled",
        ChronicCondition = "chronic-condition",
        Recovering = "recovering",
    }
}

vocabulary! {
    /// Mental health.
    MentalHealth as "mental_health" {
        Excellent = "excellent",
        VeryGood = "very-good",
        Good = "good",
        Fair = "fair",
        Poor = "poor",
        SeekingHelp = "seeking-help",
        InTherapy = "in-therapy",
        Medicated = "medicated",
        Stable = "stable",
    }
}

vocabulary! {
    /// Fitness level.
    FitnessLevel as "fitness_level" {
        Sedentary = "sedentary",
        LightlyActive = "lightly-active",
        ModeratelyActive = "moderately-active",
        VeryActive = "very-active",
        ExtremelyActive = "extremely-active",
        Athlete = "athlete",
    }
}

vocabulary! {
    /// How often a person exercises.
    ExerciseFrequency as "exercise_frequency" {
        Never = "never",
        Rarely = "rarely",
        Weekly = "weekly",
        FewTimesWeek = "few-times-week",
        Daily = "daily",
        MultipleDaily = "multiple-daily",
        Professional = "professional",
    }
}

vocabulary! {
    /// Diet.
    DietType as "diet_type" {
        Omnivore = "omnivore",
        Vegetarian = "vegetarian",
        Vegan = "vegan",
        Pescatarian = "pescatarian",
        Keto = "keto",
        Paleo = "paleo",
        Mediterranean = "mediterranean",
        LowCarb = "low-carb",
        LowFat = "low-fat",
        IntermittentFasting = "intermittent-fasting",
        Raw = "raw",
        Other = "other",
    }
}

vocabulary! {
    /// Sleep quality.
    SleepQuality as "sleep_quality" {
        Excellent = "excellent",
        Good = "good",
        Fair = "fair",
        Poor = "poor",
        VeryPoor = "very-poor",
        Insomnia = "insomnia",
        SleepDisorder = "sleep-disorder",
        Irregular = "irregular",
    }
}

vocabulary! {
    /// Stress level.
    StressLevel as "stress_level" {
        VeryLow = "very-low",
        Low = "low",
        Moderate = "moderate",
        High = "high",
        VeryHigh = "very-high",
        Chronic = "chronic",
        Managed = "managed",
        Overwhelming = "overwhelming",
    }
}

vocabulary! {
    /// Substance use.
    SubstanceUse as "substance_use" {
        None = "none",
        SocialDrinking = "social-drinking",
        RegularDrinking = "regular-drinking",
        HeavyDrinking = "heavy-drinking",
        SocialSmoking = "social-smoking",
        RegularSmoking = "regular-smoking",
        HeavySmoking = "heavy-smoking",
        RecreationalDrugs = "recreational-drugs",
        PrescriptionDrugs = "prescription-drugs",
        Recovering = "recovering",
    }
}

/// Physical and mental health.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Health {
    /// Physical health.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_health: Option<Vocab<PhysicalHealth>>,
    /// Mental health.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mental_health: Option<Vocab<MentalHealth>>,
    /// Disabilities (at most 10).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disabilities: Vec<String>,
    /// Chronic conditions (at most 15).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chronic_conditions: Vec<String>,
    /// Addictions (at most 10).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addictions: Vec<String>,
    /// Medications (at most 20).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub medications: Vec<String>,
    /// Fitness level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fitness_level: Option<Vocab<FitnessLevel>>,
    /// Exercise frequency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exercise_frequency: Option<Vocab<ExerciseFrequency>>,
    /// Diet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diet_type: Option<Vocab<DietType>>,
    /// Sleep quality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sleep_quality: Option<Vocab<SleepQuality>>,
    /// Stress level (a vocabulary here; `current_context.stress_level` is a number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stress_level: Option<Vocab<StressLevel>>,
    /// Substance use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub substance_use: Option<Vocab<SubstanceUse>>,
    /// Medical conditions (at most 20).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub medical_conditions: Vec<String>,
    /// Allergies (at most 15).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allergies: Vec<String>,
}
