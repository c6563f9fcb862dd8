//! Health (reference §2.8).

use serde::{Deserialize, Serialize};

use crate::category::Categories;
use crate::keywords::{self, KeywordTable};
use crate::processor::{AnalysisContext, Processor};
use crate::text;
use crate::validate::{FieldPath, ValidationReport, rules};
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

/// Overall health from the average points of physical and mental health: ≥4.5 excellent,
/// ≥3.5 very-good, ≥2.5 good, ≥1.5 fair, else poor; unknown when neither is rated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OverallHealth {
    /// Nothing rated.
    Unknown,
    /// Average below 1.5.
    Poor,
    /// 1.5 up to 2.5.
    Fair,
    /// 2.5 up to 3.5.
    Good,
    /// 3.5 up to 4.5.
    VeryGood,
    /// 4.5 or more.
    Excellent,
}

/// A health risk factor; each lowers the wellness score by 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RiskFactor {
    /// Any chronic condition listed.
    ChronicConditions,
    /// Any addiction listed.
    SubstanceAddictions,
    /// Substance use heavy-drinking, heavy-smoking, regular-drinking, regular-smoking or
    /// recreational-drugs (ignored by the reference).
    SubstanceUse,
    /// Fitness level sedentary (ignored by the reference).
    Sedentary,
    /// Sleep quality poor, very-poor, insomnia or sleep-disorder (ignored by the reference).
    PoorSleep,
}

/// Support for mental health, from the mental-health value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MentalHealthSupport {
    /// in-therapy
    ProfessionalTherapy,
    /// medicated
    Medication,
    /// seeking-help
    SeekingHelp,
    /// stable
    StableManaged,
    /// Any other value.
    Unknown,
}

impl MentalHealthSupport {
    /// The support implied by `mental_health`.
    pub const fn of(mental_health: MentalHealth) -> Self {
        match mental_health {
            MentalHealth::InTherapy => MentalHealthSupport::ProfessionalTherapy,
            MentalHealth::Medicated => MentalHealthSupport::Medication,
            MentalHealth::SeekingHelp => MentalHealthSupport::SeekingHelp,
            MentalHealth::Stable => MentalHealthSupport::StableManaged,
            _ => MentalHealthSupport::Unknown,
        }
    }
}

impl FitnessLevel {
    /// The reference's description of the level, e.g. "Light exercise 1-3 days per week".
    pub const fn description(self) -> &'static str {
        match self {
            FitnessLevel::Sedentary => "Little to no physical activity",
            FitnessLevel::LightlyActive => "Light exercise 1-3 days per week",
            FitnessLevel::ModeratelyActive => "Moderate exercise 3-5 days per week",
            FitnessLevel::VeryActive => "Heavy exercise 6-7 days per week",
            FitnessLevel::ExtremelyActive => "Very heavy physical work or training",
            FitnessLevel::Athlete => "Professional or competitive athlete level",
        }
    }
}

/// Consistency of exercise, from its frequency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActivityConsistency {
    /// never
    None,
    /// rarely
    Inconsistent,
    /// weekly
    SomewhatConsistent,
    /// few-times-week
    Consistent,
    /// daily, multiple-daily, professional
    VeryConsistent,
}

impl ActivityConsistency {
    /// The consistency of `frequency`.
    pub const fn of(frequency: ExerciseFrequency) -> Self {
        use ExerciseFrequency as F;
        match frequency {
            F::Daily | F::MultipleDaily | F::Professional => ActivityConsistency::VeryConsistent,
            F::FewTimesWeek => ActivityConsistency::Consistent,
            F::Weekly => ActivityConsistency::SomewhatConsistent,
            F::Rarely => ActivityConsistency::Inconsistent,
            F::Never => ActivityConsistency::None,
        }
    }
}

/// The fitness part of a [`HealthProfile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FitnessProfile {
    /// Fitness level, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fitness_level: Option<FitnessLevel>,
    /// [`FitnessLevel::description`] of the level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fitness_description: Option<&'static str>,
    /// Exercise frequency, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exercise_frequency: Option<ExerciseFrequency>,
    /// Consistency of the frequency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_consistency: Option<ActivityConsistency>,
}

/// Category of a diet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DietCategory {
    /// vegan, vegetarian, pescatarian
    PlantBased,
    /// keto, paleo, low-carb
    LowCarb,
    /// mediterranean
    Balanced,
    /// raw
    Specialized,
    /// Anything else, or no diet given.
    Standard,
}

impl DietCategory {
    /// The category of a diet.
    pub const fn of(diet: DietType) -> Self {
        use DietType as D;
        match diet {
            D::Vegan | D::Vegetarian | D::Pescatarian => DietCategory::PlantBased,
            D::Keto | D::Paleo | D::LowCarb => DietCategory::LowCarb,
            D::Mediterranean => DietCategory::Balanced,
            D::Raw => DietCategory::Specialized,
            D::Omnivore | D::LowFat | D::IntermittentFasting | D::Other => DietCategory::Standard,
        }
    }
}

/// How stress is managed, from the stress level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StressManagement {
    /// managed
    WellManaged,
    /// very-low, low
    LowStress,
    /// chronic, overwhelming
    NeedsIntervention,
    /// Anything else, or no level given.
    ModerateManagement,
}

impl StressManagement {
    /// The management implied by a stress level.
    pub const fn of(level: StressLevel) -> Self {
        match level {
            StressLevel::Managed => StressManagement::WellManaged,
            StressLevel::VeryLow | StressLevel::Low => StressManagement::LowStress,
            StressLevel::Chronic | StressLevel::Overwhelming => StressManagement::NeedsIntervention,
            _ => StressManagement::ModerateManagement,
        }
    }
}

/// Risk of a substance use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubstanceRisk {
    /// none
    NoRisk,
    /// social-drinking, social-smoking
    LowRisk,
    /// regular-drinking, regular-smoking
    ModerateRisk,
    /// heavy-drinking, heavy-smoking
    HighRisk,
    /// recovering
    Recovery,
    /// recreational-drugs, prescription-drugs, or no value given (as in the reference; the risk
    /// factors count recreational drugs).
    Unknown,
}

impl SubstanceRisk {
    /// The risk of a substance use.
    pub const fn of(usage: SubstanceUse) -> Self {
        use SubstanceUse as U;
        match usage {
            U::None => SubstanceRisk::NoRisk,
            U::SocialDrinking | U::SocialSmoking => SubstanceRisk::LowRisk,
            U::RegularDrinking | U::RegularSmoking => SubstanceRisk::ModerateRisk,
            U::HeavyDrinking | U::HeavySmoking => SubstanceRisk::HighRisk,
            U::Recovering => SubstanceRisk::Recovery,
            U::RecreationalDrugs | U::PrescriptionDrugs => SubstanceRisk::Unknown,
        }
    }
}

/// Lifestyle part of a [`HealthProfile`] (always present).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LifestyleFactors {
    /// Diet, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diet_type: Option<DietType>,
    /// Category of the diet (standard when none is given).
    pub diet_category: DietCategory,
    /// Sleep quality, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sleep_quality: Option<SleepQuality>,
    /// Stress level, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stress_level: Option<StressLevel>,
    /// Management implied by the stress level.
    pub stress_management: StressManagement,
    /// Substance use, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub substance_use: Option<SubstanceUse>,
    /// Risk of the substance use.
    pub substance_risk: SubstanceRisk,
}

/// Medical condition categories (keyword match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConditionCategory {
    /// diabetes
    Metabolic,
    /// hypertension, heart
    Cardiovascular,
    /// asthma, copd
    Respiratory,
    /// arthritis, back
    Musculoskeletal,
    /// depression, anxiety, bipolar
    MentalHealth,
    /// cancer, tumor
    Oncological,
    /// kidney
    Renal,
    /// liver
    Hepatic,
    /// thyroid
    Endocrine,
    /// migraine, epilepsy
    Neurological,
    /// Anything else.
    Other,
}

static CONDITION_CATEGORIES: KeywordTable<ConditionCategory> = KeywordTable::new(
    ConditionCategory::Other,
    &[
        (ConditionCategory::Metabolic, &["diabetes"]),
        (
            ConditionCategory::Cardiovascular,
            &["hypertension", "heart"],
        ),
        (ConditionCategory::Respiratory, &["asthma", "copd"]),
        (ConditionCategory::Musculoskeletal, &["arthritis", "back"]),
        (
            ConditionCategory::MentalHealth,
            &["depression", "anxiety", "bipolar"],
        ),
        (ConditionCategory::Oncological, &["cancer", "tumor"]),
        (ConditionCategory::Renal, &["kidney"]),
        (ConditionCategory::Hepatic, &["liver"]),
        (ConditionCategory::Endocrine, &["thyroid"]),
        (ConditionCategory::Neurological, &["migraine", "epilepsy"]),
    ],
);

/// Allergy categories (keyword match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AllergyCategory {
    /// peanut, nut, dairy, egg, shellfish, soy, wheat, gluten
    Food,
    /// pollen, dust, mold, pet, cat, dog
    Environmental,
    /// penicillin, aspirin
    Medication,
    /// latex, nickel
    Contact,
    /// Anything else.
    Other,
}

static ALLERGY_CATEGORIES: KeywordTable<AllergyCategory> = KeywordTable::new(
    AllergyCategory::Other,
    &[
        (
            AllergyCategory::Food,
            &[
                "peanut",
                "nut",
                "dairy",
                "egg",
                "shellfish",
                "soy",
                "wheat",
                "gluten",
            ],
        ),
        (
            AllergyCategory::Environmental,
            &["pollen", "dust", "mold", "pet", "cat", "dog"],
        ),
        (AllergyCategory::Medication, &["penicillin", "aspirin"]),
        (AllergyCategory::Contact, &["latex", "nickel"]),
    ],
);

/// Keys that make an allergy list severe.
static SEVERE_ALLERGENS: KeywordTable<bool> =
    KeywordTable::new(false, &[(true, &["peanut", "shellfish", "penicillin"])]);

/// Severity of the allergies: severe when any mentions peanut, shellfish or penicillin; else by
/// count, ≥5 multiple, ≥3 moderate, else mild.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AllergySeverity {
    /// 1–2 allergies.
    Mild,
    /// 3–4.
    Moderate,
    /// 5 or more.
    Multiple,
    /// A peanut, shellfish or penicillin allergy.
    Severe,
}

/// The analysis of [`Health`] (reference `GetHealthProfile`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthProfile {
    /// From the physical and mental ratings.
    pub overall_health: OverallHealth,
    /// Risk factors, in declaration order.
    pub health_risk_factors: Vec<RiskFactor>,
    /// 50, plus physical (excellent +20, very-good +15, good +10, fair +5, poor −10) and mental
    /// (excellent +20, very-good and stable +15, good +10, fair +5, poor −10) points, minus 5 per
    /// risk factor, clamped to 0–100.
    pub wellness_score: u8,
    /// Physical health, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_health: Option<PhysicalHealth>,
    /// Mental health, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mental_health: Option<MentalHealth>,
    /// Support implied by the mental health.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mental_health_support: Option<MentalHealthSupport>,
    /// Present when a fitness level or an exercise frequency is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fitness_profile: Option<FitnessProfile>,
    /// Diet, sleep, stress and substances.
    pub lifestyle_factors: LifestyleFactors,
    /// True when any medical condition is listed. The reference stored this under the key
    /// `chronic_conditions`, overwriting the list of that name; here the list stays untouched.
    pub has_medical_conditions: bool,
    /// Medical conditions by category.
    pub condition_categories: Categories<ConditionCategory>,
    /// Allergies by category.
    pub allergy_categories: Categories<AllergyCategory>,
    /// Present when allergies are listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allergy_severity: Option<AllergySeverity>,
}

impl PhysicalHealth {
    /// Points towards overall health (excellent 5 … poor 1). `None` for values that are not a
    /// rating (disabled, chronic-condition, recovering).
    pub const fn points(self) -> Option<u8> {
        match self {
            PhysicalHealth::Excellent => Some(5),
            PhysicalHealth::VeryGood => Some(4),
            PhysicalHealth::Good => Some(3),
            PhysicalHealth::Fair => Some(2),
            PhysicalHealth::Poor => Some(1),
            PhysicalHealth::Disabled
            | PhysicalHealth::ChronicCondition
            | PhysicalHealth::Recovering => None,
        }
    }

    const fn wellness(self) -> i32 {
        match self {
            PhysicalHealth::Excellent => 20,
            PhysicalHealth::VeryGood => 15,
            PhysicalHealth::Good => 10,
            PhysicalHealth::Fair => 5,
            PhysicalHealth::Poor => -10,
            _ => 0,
        }
    }
}

impl MentalHealth {
    /// Points towards overall health (excellent 5, very-good and stable 4, good 3, fair,
    /// seeking-help and in-therapy 2, poor 1). `None` for medicated, which is not a rating.
    pub const fn points(self) -> Option<u8> {
        match self {
            MentalHealth::Excellent => Some(5),
            MentalHealth::VeryGood | MentalHealth::Stable => Some(4),
            MentalHealth::Good => Some(3),
            MentalHealth::Fair | MentalHealth::SeekingHelp | MentalHealth::InTherapy => Some(2),
            MentalHealth::Poor => Some(1),
            MentalHealth::Medicated => None,
        }
    }

    const fn wellness(self) -> i32 {
        match self {
            MentalHealth::Excellent => 20,
            MentalHealth::VeryGood | MentalHealth::Stable => 15,
            MentalHealth::Good => 10,
            MentalHealth::Fair => 5,
            MentalHealth::Poor => -10,
            _ => 0,
        }
    }
}

fn overall_health(physical: Option<PhysicalHealth>, mental: Option<MentalHealth>) -> OverallHealth {
    let ratings = [
        physical.and_then(PhysicalHealth::points),
        mental.and_then(MentalHealth::points),
    ];
    let (sum, count) = ratings
        .iter()
        .flatten()
        .fold((0u32, 0u32), |(sum, count), points| {
            (sum + u32::from(*points), count + 1)
        });
    if count == 0 {
        return OverallHealth::Unknown;
    }
    match f64::from(sum) / f64::from(count) {
        avg if avg >= 4.5 => OverallHealth::Excellent,
        avg if avg >= 3.5 => OverallHealth::VeryGood,
        avg if avg >= 2.5 => OverallHealth::Good,
        avg if avg >= 1.5 => OverallHealth::Fair,
        _ => OverallHealth::Poor,
    }
}

impl Health {
    fn risk_factors(&self) -> Vec<RiskFactor> {
        let mut factors = Vec::new();
        if !self.chronic_conditions.is_empty() {
            factors.push(RiskFactor::ChronicConditions);
        }
        if !self.addictions.is_empty() {
            factors.push(RiskFactor::SubstanceAddictions);
        }
        if let Some(usage) = known(&self.substance_use) {
            use SubstanceUse as U;
            if matches!(
                usage,
                U::HeavyDrinking
                    | U::HeavySmoking
                    | U::RegularDrinking
                    | U::RegularSmoking
                    | U::RecreationalDrugs
            ) {
                factors.push(RiskFactor::SubstanceUse);
            }
        }
        if known(&self.fitness_level) == Some(FitnessLevel::Sedentary) {
            factors.push(RiskFactor::Sedentary);
        }
        if let Some(sleep) = known(&self.sleep_quality) {
            use SleepQuality as S;
            if matches!(
                sleep,
                S::Poor | S::VeryPoor | S::Insomnia | S::SleepDisorder
            ) {
                factors.push(RiskFactor::PoorSleep);
            }
        }
        factors
    }
}

fn known<T: Copy + crate::Vocabulary>(value: &Option<Vocab<T>>) -> Option<T> {
    value.as_ref().and_then(Vocab::known).copied()
}

impl Processor for Health {
    const CATEGORY: &'static str = "health";
    type Profile = HealthProfile;

    /// Canonicalises the eight vocabulary fields; trims and de-duplicates every list, keeping case
    /// (as the reference's unused `Process` did).
    fn normalize(&mut self) {
        text::vocab(&mut self.physical_health);
        text::vocab(&mut self.mental_health);
        text::list(&mut self.disabilities, text::Case::Keep);
        text::list(&mut self.chronic_conditions, text::Case::Keep);
        text::list(&mut self.addictions, text::Case::Keep);
        text::list(&mut self.medications, text::Case::Keep);
        text::vocab(&mut self.fitness_level);
        text::vocab(&mut self.exercise_frequency);
        text::vocab(&mut self.diet_type);
        text::vocab(&mut self.sleep_quality);
        text::vocab(&mut self.stress_level);
        text::vocab(&mut self.substance_use);
        text::list(&mut self.medical_conditions, text::Case::Keep);
        text::list(&mut self.allergies, text::Case::Keep);
    }

    /// Every vocabulary field in its vocabulary; at most 10 disabilities, 15 chronic conditions,
    /// 10 addictions, 20 medications, 20 medical conditions and 15 allergies.
    fn validate_into(&self, at: &FieldPath<'_>, report: &mut ValidationReport) {
        macro_rules! vocab {
            ($($field:ident),+) => {$(
                if let Some(value) = &self.$field {
                    rules::vocabulary(value, &at.field(stringify!($field)), report);
                }
            )+};
        }
        macro_rules! cap {
            ($($field:ident <= $max:literal),+) => {$(
                rules::max_items(self.$field.len(), $max, &at.field(stringify!($field)), report);
            )+};
        }
        vocab!(physical_health, mental_health);
        cap!(
            disabilities <= 10,
            chronic_conditions <= 15,
            addictions <= 10,
            medications <= 20
        );
        vocab!(
            fitness_level,
            exercise_frequency,
            diet_type,
            sleep_quality,
            stress_level,
            substance_use
        );
        cap!(medical_conditions <= 20, allergies <= 15);
    }

    /// Overall health, risk factors, wellness score, fitness and lifestyle, condition and allergy
    /// categories. Values that are not ratings (physical disabled, chronic-condition, recovering;
    /// mental medicated) no longer count as a zero-point factor in the overall health (the
    /// reference averaged them in as 0, so "disabled" alone gave "poor").
    fn analyze(&self, _context: &AnalysisContext) -> HealthProfile {
        let physical = known(&self.physical_health);
        let mental = known(&self.mental_health);
        let health_risk_factors = self.risk_factors();
        let wellness = 50
            + physical.map_or(0, PhysicalHealth::wellness)
            + mental.map_or(0, MentalHealth::wellness)
            - 5 * health_risk_factors.len() as i32;
        let fitness_level = known(&self.fitness_level);
        let exercise_frequency = known(&self.exercise_frequency);
        let fitness_profile = (self.fitness_level.is_some() || self.exercise_frequency.is_some())
            .then_some(FitnessProfile {
                fitness_level,
                fitness_description: fitness_level.map(FitnessLevel::description),
                exercise_frequency,
                activity_consistency: exercise_frequency.map(ActivityConsistency::of),
            });
        let diet_type = known(&self.diet_type);
        let stress_level = known(&self.stress_level);
        let substance_use = known(&self.substance_use);
        let allergy_severity = (!self.allergies.is_empty()).then(|| {
            use keywords::Classify;
            if self.allergies.iter().any(|a| SEVERE_ALLERGENS.classify(a)) {
                AllergySeverity::Severe
            } else {
                match self.allergies.len() {
                    5.. => AllergySeverity::Multiple,
                    3.. => AllergySeverity::Moderate,
                    _ => AllergySeverity::Mild,
                }
            }
        });
        HealthProfile {
            overall_health: overall_health(physical, mental),
            wellness_score: wellness.clamp(0, 100) as u8,
            health_risk_factors,
            physical_health: physical,
            mental_health: mental,
            mental_health_support: mental.map(MentalHealthSupport::of),
            fitness_profile,
            lifestyle_factors: LifestyleFactors {
                diet_type,
                diet_category: diet_type.map_or(DietCategory::Standard, DietCategory::of),
                sleep_quality: known(&self.sleep_quality),
                stress_level,
                stress_management: stress_level
                    .map_or(StressManagement::ModerateManagement, StressManagement::of),
                substance_use,
                substance_risk: substance_use.map_or(SubstanceRisk::Unknown, SubstanceRisk::of),
            },
            has_medical_conditions: !self.medical_conditions.is_empty(),
            condition_categories: keywords::group(&CONDITION_CATEGORIES, &self.medical_conditions),
            allergy_categories: keywords::group(&ALLERGY_CATEGORIES, &self.allergies),
            allergy_severity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Code;
    use serde_json::json;

    fn health(value: serde_json::Value) -> Health {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn normalize_trims_and_dedupes_case_sensitively() {
        let mut value = health(json!({
            "physical_health": "Very Good", "mental_health": "In_Therapy",
            "chronic_conditions": [" Asthma", "Asthma", "asthma", ""],
            "fitness_level": "Lightly-Active", "exercise_frequency": "few times week",
            "diet_type": "Low Carb", "sleep_quality": "VERY_POOR", "stress_level": " high ",
            "substance_use": "Social Drinking", "allergies": ["Peanuts "]
        }));
        value.normalize();
        let once = value.clone();
        value.normalize();
        assert_eq!(value, once);
        assert_eq!(value.chronic_conditions, ["Asthma", "asthma"]);
        assert_eq!(value.allergies, ["Peanuts"]);
        assert_eq!(
            value.physical_health,
            Some(Vocab::Known(PhysicalHealth::VeryGood))
        );
        assert_eq!(
            value.mental_health,
            Some(Vocab::Known(MentalHealth::InTherapy))
        );
        assert_eq!(
            value.exercise_frequency,
            Some(Vocab::Known(ExerciseFrequency::FewTimesWeek))
        );
        assert_eq!(
            value.sleep_quality,
            Some(Vocab::Known(SleepQuality::VeryPoor))
        );
        assert!(value.validate().is_valid());
    }

    #[test]
    fn every_rule_reports_path_and_code() {
        let list = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>();
        let value = health(json!({
            "physical_health": "meh", "mental_health": "meh", "disabilities": list(11),
            "chronic_conditions": list(16), "addictions": list(11), "medications": list(21),
            "fitness_level": "meh", "exercise_frequency": "meh", "diet_type": "meh",
            "sleep_quality": "meh", "stress_level": "meh", "substance_use": "meh",
            "medical_conditions": list(21), "allergies": list(16)
        }));
        let h = "rich_attributes.health";
        let got: Vec<_> = value
            .validate()
            .into_iter()
            .map(|v| (v.path, v.code))
            .collect();
        let want: Vec<_> = [
            ("physical_health", Code::NotInVocabulary),
            ("mental_health", Code::NotInVocabulary),
            ("disabilities", Code::TooManyItems),
            ("chronic_conditions", Code::TooManyItems),
            ("addictions", Code::TooManyItems),
            ("medications", Code::TooManyItems),
            ("fitness_level", Code::NotInVocabulary),
            ("exercise_frequency", Code::NotInVocabulary),
            ("diet_type", Code::NotInVocabulary),
            ("sleep_quality", Code::NotInVocabulary),
            ("stress_level", Code::NotInVocabulary),
            ("substance_use", Code::NotInVocabulary),
            ("medical_conditions", Code::TooManyItems),
            ("allergies", Code::TooManyItems),
        ]
        .into_iter()
        .map(|(p, c)| (format!("{h}.{p}"), c))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn analysis_counts_every_risk_factor_and_keeps_the_list() {
        let value = health(json!({
            "physical_health": "good", "mental_health": "stable",
            "chronic_conditions": ["asthma"], "addictions": ["nicotine"],
            "fitness_level": "sedentary", "exercise_frequency": "rarely",
            "diet_type": "keto", "sleep_quality": "insomnia", "stress_level": "chronic",
            "substance_use": "heavy-drinking",
            "medical_conditions": ["Type 2 diabetes", "lower back pain", "heartburn", "Panic attacks"],
            "allergies": ["Peanuts", "cats", "latex"]
        }));
        let profile = value.analyze(&AnalysisContext::default());
        assert_eq!(
            profile.health_risk_factors,
            [
                RiskFactor::ChronicConditions,
                RiskFactor::SubstanceAddictions,
                RiskFactor::SubstanceUse,
                RiskFactor::Sedentary,
                RiskFactor::PoorSleep
            ]
        );
        // 50 + 10 (good) + 15 (stable) - 5 * 5.
        assert_eq!(profile.wellness_score, 50);
        // (3 + 4) / 2 = 3.5.
        assert_eq!(profile.overall_health, OverallHealth::VeryGood);
        assert_eq!(
            profile.mental_health_support,
            Some(MentalHealthSupport::StableManaged)
        );
        let fitness = profile.fitness_profile.unwrap();
        assert_eq!(
            fitness.fitness_description,
            Some("Little to no physical activity")
        );
        assert_eq!(
            fitness.activity_consistency,
            Some(ActivityConsistency::Inconsistent)
        );
        let lifestyle = profile.lifestyle_factors;
        assert_eq!(lifestyle.diet_category, DietCategory::LowCarb);
        assert_eq!(
            lifestyle.stress_management,
            StressManagement::NeedsIntervention
        );
        assert_eq!(lifestyle.substance_risk, SubstanceRisk::HighRisk);
        assert!(profile.has_medical_conditions);
        let conditions = &profile.condition_categories;
        assert_eq!(conditions.count(ConditionCategory::Metabolic), 1);
        assert_eq!(conditions.count(ConditionCategory::Musculoskeletal), 1);
        // "heartburn" is one token: it is not "heart".
        assert_eq!(
            conditions.get(ConditionCategory::Other).collect::<Vec<_>>(),
            ["heartburn", "Panic attacks"]
        );
        let allergies = &profile.allergy_categories;
        assert_eq!(allergies.count(AllergyCategory::Food), 1);
        assert_eq!(allergies.count(AllergyCategory::Environmental), 1);
        assert_eq!(allergies.count(AllergyCategory::Contact), 1);
        assert_eq!(profile.allergy_severity, Some(AllergySeverity::Severe));
        let json = serde_json::to_value(&profile).unwrap();
        assert_eq!(json["health_risk_factors"][2], "substance-use");
        assert_eq!(json["has_medical_conditions"], true);
        assert_eq!(value.chronic_conditions, ["asthma"]);
    }

    #[test]
    fn scores_and_buckets() {
        let profile = |v: serde_json::Value| health(v).analyze(&AnalysisContext::default());
        let p = profile(json!({"physical_health": "excellent", "mental_health": "excellent"}));
        assert_eq!(
            (p.overall_health, p.wellness_score),
            (OverallHealth::Excellent, 90)
        );
        let p = profile(json!({"physical_health": "poor", "mental_health": "poor",
                               "chronic_conditions": ["x"], "addictions": ["y"],
                               "substance_use": "recreational-drugs", "fitness_level": "sedentary",
                               "sleep_quality": "poor", "allergies": ["a", "b", "c", "d", "e"]}));
        assert_eq!(
            (p.overall_health, p.wellness_score),
            (OverallHealth::Poor, 5)
        );
        assert_eq!(p.allergy_severity, Some(AllergySeverity::Multiple));
        // Not a rating: no longer averaged in as zero points.
        let p = profile(json!({"physical_health": "disabled", "mental_health": "good"}));
        assert_eq!(p.overall_health, OverallHealth::Good);
        let p = profile(json!({"physical_health": "recovering"}));
        assert_eq!(
            (p.overall_health, p.wellness_score),
            (OverallHealth::Unknown, 50)
        );
        let p = profile(json!({"mental_health": "medicated", "allergies": ["pollen"]}));
        assert_eq!(
            p.mental_health_support,
            Some(MentalHealthSupport::Medication)
        );
        assert_eq!(p.allergy_severity, Some(AllergySeverity::Mild));
        assert_eq!(p.fitness_profile, None);
        assert_eq!(p.lifestyle_factors.diet_category, DietCategory::Standard);
        assert_eq!(p.lifestyle_factors.substance_risk, SubstanceRisk::Unknown);
        assert!(!p.has_medical_conditions);
        let p = profile(
            json!({"physical_health": "fair", "mental_health": "seeking-help",
                               "allergies": ["a", "b", "c"]}),
        );
        assert_eq!(p.overall_health, OverallHealth::Fair);
        assert_eq!(p.allergy_severity, Some(AllergySeverity::Moderate));
    }
}
