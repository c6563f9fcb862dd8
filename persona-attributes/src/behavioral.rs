//! Behavioural tendencies: decisions, conflict, communication, leadership, coping (reference §2.10).

use serde::{Deserialize, Serialize};

use crate::category::Categories;
use crate::keywords::{self, KeywordTable};
use crate::processor::{AnalysisContext, Processor};
use crate::psychographics::Level;
use crate::text;
use crate::validate::{FieldPath, ValidationReport, rules};
use crate::vocab::{Vocab, vocabulary};

vocabulary! {
    /// How a person makes decisions.
    DecisionMaking as "decision_making" {
        Analytical = "analytical",
        Intuitive = "intuitive",
        Collaborative = "collaborative",
        Decisive = "decisive",
        Cautious = "cautious",
        Impulsive = "impulsive",
        DataDriven = "data-driven",
        GutFeeling = "gut-feeling",
        ConsensusSeeking = "consensus-seeking",
        Independent = "independent",
        Systematic = "systematic",
        Flexible = "flexible",
    }
}

vocabulary! {
    /// How a person resolves conflict.
    ConflictResolution as "conflict_resolution" {
        Collaborative = "collaborative",
        Competitive = "competitive",
        Accommodating = "accommodating",
        Avoiding = "avoiding",
        Compromising = "compromising",
        Assertive = "assertive",
        Diplomatic = "diplomatic",
        Direct = "direct",
        Mediating = "mediating",
        Confrontational = "confrontational",
        Passive = "passive",
        Aggressive = "aggressive",
    }
}

vocabulary! {
    /// How a person communicates.
    CommunicationStyle as "communication_style" {
        Direct = "direct",
        Indirect = "indirect",
        Formal = "formal",
        Informal = "informal",
        Assertive = "assertive",
        Passive = "passive",
        Aggressive = "aggressive",
        Diplomatic = "diplomatic",
        Expressive = "expressive",
        Reserved = "reserved",
        Verbose = "verbose",
        Concise = "concise",
        Emotional = "emotional",
        Logical = "logical",
    }
}

vocabulary! {
    /// How a person leads.
    LeadershipStyle as "leadership_style" {
        Democratic = "democratic",
        Autocratic = "autocratic",
        LaissezFaire = "laissez-faire",
        Transformational = "transformational",
        Transactional = "transactional",
        Servant = "servant",
        Authentic = "authentic",
        Coaching = "coaching",
        Visionary = "visionary",
        Pacesetting = "pacesetting",
        Commanding = "commanding",
        Affiliative = "affiliative",
    }
}

vocabulary! {
    /// How a person responds to stress.
    StressResponse as "stress_response" {
        Fight = "fight",
        Flight = "flight",
        Freeze = "freeze",
        Fawn = "fawn",
        ProblemSolving = "problem-solving",
        EmotionFocused = "emotion-focused",
        Avoidance = "avoidance",
        SeekingSupport = "seeking-support",
        SelfSoothing = "self-soothing",
        Distraction = "distraction",
        Rumination = "rumination",
        ActionOriented = "action-oriented",
    }
}

/// How a person tends to behave.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BehavioralTendencies {
    /// Decision making.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_making: Option<Vocab<DecisionMaking>>,
    /// Conflict resolution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict_resolution: Option<Vocab<ConflictResolution>>,
    /// Communication style.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub communication_style: Option<Vocab<CommunicationStyle>>,
    /// Leadership style.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leadership_style: Option<Vocab<LeadershipStyle>>,
    /// Coping mechanisms (at most 20).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coping_mechanisms: Vec<String>,
    /// Stress response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stress_response: Option<Vocab<StressResponse>>,
}

/// Category of a decision-making style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecisionStyleCategory {
    /// analytical, data-driven, systematic, cautious
    Rational,
    /// intuitive, gut-feeling, impulsive
    Intuitive,
    /// flexible
    Adaptive,
    /// collaborative, consensus-seeking
    Social,
    /// decisive, independent
    Directive,
}

impl DecisionStyleCategory {
    /// The category of a decision-making style.
    pub const fn of(style: DecisionMaking) -> Self {
        use DecisionMaking as D;
        match style {
            D::Analytical | D::DataDriven | D::Systematic | D::Cautious => Self::Rational,
            D::Intuitive | D::GutFeeling | D::Impulsive => Self::Intuitive,
            D::Flexible => Self::Adaptive,
            D::Collaborative | D::ConsensusSeeking => Self::Social,
            D::Decisive | D::Independent => Self::Directive,
        }
    }
}

/// Outcome a conflict-resolution style aims for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictApproach {
    /// collaborative, compromising, mediating, diplomatic
    WinWin,
    /// competitive, confrontational, aggressive
    WinLose,
    /// accommodating, passive
    LoseWin,
    /// avoiding
    LoseLose,
    /// assertive, direct
    Balanced,
}

impl ConflictApproach {
    /// The approach of a conflict-resolution style.
    pub const fn of(style: ConflictResolution) -> Self {
        use ConflictResolution as C;
        match style {
            C::Collaborative | C::Compromising | C::Mediating | C::Diplomatic => Self::WinWin,
            C::Competitive | C::Confrontational | C::Aggressive => Self::WinLose,
            C::Accommodating | C::Passive => Self::LoseWin,
            C::Avoiding => Self::LoseLose,
            C::Assertive | C::Direct => Self::Balanced,
        }
    }
}

/// Effectiveness of a communication style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommunicationEffectiveness {
    /// assertive, direct, diplomatic, concise, logical
    High,
    /// formal, informal, expressive
    Moderate,
    /// passive, aggressive, verbose, indirect
    NeedsImprovement,
    /// reserved, emotional
    Unknown,
}

impl CommunicationEffectiveness {
    /// The effectiveness of a communication style.
    pub const fn of(style: CommunicationStyle) -> Self {
        use CommunicationStyle as C;
        match style {
            C::Assertive | C::Direct | C::Diplomatic | C::Concise | C::Logical => Self::High,
            C::Formal | C::Informal | C::Expressive => Self::Moderate,
            C::Passive | C::Aggressive | C::Verbose | C::Indirect => Self::NeedsImprovement,
            C::Reserved | C::Emotional => Self::Unknown,
        }
    }
}

/// Approach of a leadership style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeadershipApproach {
    /// democratic, servant, coaching
    Participative,
    /// autocratic, commanding, pacesetting
    Directive,
    /// transformational, visionary, authentic
    Inspirational,
    /// transactional
    Transactional,
    /// laissez-faire
    HandsOff,
    /// affiliative
    RelationshipFocused,
}

impl LeadershipApproach {
    /// The approach of a leadership style.
    pub const fn of(style: LeadershipStyle) -> Self {
        use LeadershipStyle as L;
        match style {
            L::Democratic | L::Servant | L::Coaching => Self::Participative,
            L::Autocratic | L::Commanding | L::Pacesetting => Self::Directive,
            L::Transformational | L::Visionary | L::Authentic => Self::Inspirational,
            L::Transactional => Self::Transactional,
            L::LaissezFaire => Self::HandsOff,
            L::Affiliative => Self::RelationshipFocused,
        }
    }
}

/// Coping mechanism categories (keyword match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CopingCategory {
    /// exercise, sports, running, yoga
    Physical,
    /// meditation, mindfulness, breathing, relaxation
    Mindfulness,
    /// talking, friends, family, support-group
    Social,
    /// therapy, counseling, medication
    Professional,
    /// reading, journaling, problem-solving, planning
    Cognitive,
    /// music, art, writing, cooking
    Creative,
    /// alcohol, smoking, drugs
    Substance,
    /// shopping, eating, sleeping
    Behavioral,
    /// avoidance, denial, isolation
    Avoidance,
    /// Anything else.
    Other,
}

impl CopingCategory {
    /// Whether the category counts as healthy (`Some(true)`), unhealthy (`Some(false)`) or
    /// neither (behavioral and other) in [`CopingEffectiveness`].
    pub const fn is_healthy(self) -> Option<bool> {
        use CopingCategory as C;
        match self {
            C::Physical
            | C::Mindfulness
            | C::Social
            | C::Professional
            | C::Cognitive
            | C::Creative => Some(true),
            C::Substance | C::Avoidance => Some(false),
            C::Behavioral | C::Other => None,
        }
    }
}

static COPING_CATEGORIES: KeywordTable<CopingCategory> = KeywordTable::new(
    CopingCategory::Other,
    &[
        (
            CopingCategory::Physical,
            &["exercise", "sports", "running", "yoga"],
        ),
        (
            CopingCategory::Mindfulness,
            &["meditation", "mindfulness", "breathing", "relaxation"],
        ),
        (
            CopingCategory::Social,
            &["talking", "friends", "family", "support-group"],
        ),
        (
            CopingCategory::Professional,
            &["therapy", "counseling", "medication"],
        ),
        (
            CopingCategory::Cognitive,
            &["reading", "journaling", "problem-solving", "planning"],
        ),
        (
            CopingCategory::Creative,
            &["music", "art", "writing", "cooking"],
        ),
        (CopingCategory::Substance, &["alcohol", "smoking", "drugs"]),
        (
            CopingCategory::Behavioral,
            &["shopping", "eating", "sleeping"],
        ),
        (
            CopingCategory::Avoidance,
            &["avoidance", "denial", "isolation"],
        ),
    ],
);

/// Effectiveness of the coping mechanisms: healthy > 2 × unhealthy very-effective; healthy >
/// unhealthy effective; equal mixed (so none at all is mixed); else concerning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CopingEffectiveness {
    /// More unhealthy than healthy mechanisms.
    Concerning,
    /// As many healthy as unhealthy.
    Mixed,
    /// More healthy than unhealthy.
    Effective,
    /// More than twice as many healthy as unhealthy.
    VeryEffective,
}

impl CopingEffectiveness {
    /// The effectiveness of `healthy` against `unhealthy` mechanisms.
    pub const fn of(healthy: usize, unhealthy: usize) -> Self {
        if healthy > 2 * unhealthy {
            CopingEffectiveness::VeryEffective
        } else if healthy > unhealthy {
            CopingEffectiveness::Effective
        } else if healthy == unhealthy {
            CopingEffectiveness::Mixed
        } else {
            CopingEffectiveness::Concerning
        }
    }
}

/// How a person manages stress, from the stress response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StressManagementStyle {
    /// problem-solving, action-oriented
    Proactive,
    /// seeking-support
    Social,
    /// emotion-focused, self-soothing
    Emotional,
    /// fight
    Confrontational,
    /// flight, freeze, avoidance, distraction
    Avoidant,
    /// fawn
    Accommodating,
    /// rumination
    Maladaptive,
}

impl StressManagementStyle {
    /// The style of a stress response.
    pub const fn of(response: StressResponse) -> Self {
        use StressResponse as R;
        match response {
            R::ProblemSolving | R::ActionOriented => Self::Proactive,
            R::SeekingSupport => Self::Social,
            R::EmotionFocused | R::SelfSoothing => Self::Emotional,
            R::Fight => Self::Confrontational,
            R::Flight | R::Freeze | R::Avoidance | R::Distraction => Self::Avoidant,
            R::Fawn => Self::Accommodating,
            R::Rumination => Self::Maladaptive,
        }
    }
}

/// How social a person is with others, from a score: ≥5 highly-social, ≥3 social,
/// ≥2 moderately-social, ≥1 somewhat-social, else independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InterpersonalStyle {
    /// Score 0.
    Independent,
    /// Score 1.
    SomewhatSocial,
    /// Score 2.
    ModeratelySocial,
    /// Score 3–4.
    Social,
    /// Score 5 or more.
    HighlySocial,
}

/// The analysis of [`BehavioralTendencies`] (reference `GetBehavioralProfile`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BehavioralProfile {
    /// Decision making, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_making: Option<DecisionMaking>,
    /// Its category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_style_category: Option<DecisionStyleCategory>,
    /// Conflict resolution, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict_resolution: Option<ConflictResolution>,
    /// Its approach.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict_approach: Option<ConflictApproach>,
    /// Communication style, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub communication_style: Option<CommunicationStyle>,
    /// Its effectiveness.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub communication_effectiveness: Option<CommunicationEffectiveness>,
    /// Leadership style, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leadership_style: Option<LeadershipStyle>,
    /// Its approach.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leadership_approach: Option<LeadershipApproach>,
    /// Coping mechanisms by category.
    pub coping_categories: Categories<CopingCategory>,
    /// Healthy against unhealthy mechanisms.
    pub coping_effectiveness: CopingEffectiveness,
    /// Stress response, when it is a vocabulary value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stress_response: Option<StressResponse>,
    /// Its management style.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stress_management_style: Option<StressManagementStyle>,
    /// +2 flexible decisions, +2 collaborative, diplomatic or compromising conflict resolution,
    /// +1 assertive or diplomatic communication, +1 democratic, coaching or transformational
    /// leadership; ≥5 very-high, ≥3 high, ≥2 moderate, ≥1 low, else very-low.
    pub behavioral_adaptability: Level,
    /// +2 collaborative decisions, +2 collaborative, diplomatic or accommodating conflict
    /// resolution, +1 diplomatic, expressive or informal communication, +1 democratic, servant,
    /// coaching or affiliative leadership.
    pub interpersonal_style: InterpersonalStyle,
}

impl Processor for BehavioralTendencies {
    const CATEGORY: &'static str = "behavioral_tendencies";
    type Profile = BehavioralProfile;

    /// Canonicalises the five vocabulary fields; trims and de-duplicates coping mechanisms,
    /// keeping case.
    fn normalize(&mut self) {
        text::vocab(&mut self.decision_making);
        text::vocab(&mut self.conflict_resolution);
        text::vocab(&mut self.communication_style);
        text::vocab(&mut self.leadership_style);
        text::list(&mut self.coping_mechanisms, text::Case::Keep);
        text::vocab(&mut self.stress_response);
    }

    /// The five vocabulary fields in their vocabularies; at most 20 coping mechanisms.
    fn validate_into(&self, at: &FieldPath<'_>, report: &mut ValidationReport) {
        if let Some(value) = &self.decision_making {
            rules::vocabulary(value, &at.field("decision_making"), report);
        }
        if let Some(value) = &self.conflict_resolution {
            rules::vocabulary(value, &at.field("conflict_resolution"), report);
        }
        if let Some(value) = &self.communication_style {
            rules::vocabulary(value, &at.field("communication_style"), report);
        }
        if let Some(value) = &self.leadership_style {
            rules::vocabulary(value, &at.field("leadership_style"), report);
        }
        let coping = at.field("coping_mechanisms");
        rules::max_items(self.coping_mechanisms.len(), 20, &coping, report);
        if let Some(value) = &self.stress_response {
            rules::vocabulary(value, &at.field("stress_response"), report);
        }
    }

    /// Categories of the four styles and the stress response, coping categories and
    /// effectiveness, behavioural adaptability and interpersonal style.
    fn analyze(&self, _context: &AnalysisContext) -> BehavioralProfile {
        let decision = self
            .decision_making
            .as_ref()
            .and_then(Vocab::known)
            .copied();
        let conflict = self
            .conflict_resolution
            .as_ref()
            .and_then(Vocab::known)
            .copied();
        let communication = self
            .communication_style
            .as_ref()
            .and_then(Vocab::known)
            .copied();
        let leadership = self
            .leadership_style
            .as_ref()
            .and_then(Vocab::known)
            .copied();
        let stress = self
            .stress_response
            .as_ref()
            .and_then(Vocab::known)
            .copied();
        let coping_categories = keywords::group(&COPING_CATEGORIES, &self.coping_mechanisms);
        let (mut healthy, mut unhealthy) = (0, 0);
        for (category, _) in coping_categories.iter() {
            match category.is_healthy() {
                Some(true) => healthy += 1,
                Some(false) => unhealthy += 1,
                None => {}
            }
        }

        use CommunicationStyle as Comm;
        use ConflictResolution as Conf;
        use LeadershipStyle as Lead;
        let points = |condition: bool, points: u8| if condition { points } else { 0 };
        let adaptability = points(decision == Some(DecisionMaking::Flexible), 2)
            + points(
                matches!(
                    conflict,
                    Some(Conf::Collaborative | Conf::Diplomatic | Conf::Compromising)
                ),
                2,
            )
            + points(
                matches!(communication, Some(Comm::Assertive | Comm::Diplomatic)),
                1,
            )
            + points(
                matches!(
                    leadership,
                    Some(Lead::Democratic | Lead::Coaching | Lead::Transformational)
                ),
                1,
            );
        let social = points(decision == Some(DecisionMaking::Collaborative), 2)
            + points(
                matches!(
                    conflict,
                    Some(Conf::Collaborative | Conf::Diplomatic | Conf::Accommodating)
                ),
                2,
            )
            + points(
                matches!(
                    communication,
                    Some(Comm::Diplomatic | Comm::Expressive | Comm::Informal)
                ),
                1,
            )
            + points(
                matches!(
                    leadership,
                    Some(Lead::Democratic | Lead::Servant | Lead::Coaching | Lead::Affiliative)
                ),
                1,
            );
        BehavioralProfile {
            decision_making: decision,
            decision_style_category: decision.map(DecisionStyleCategory::of),
            conflict_resolution: conflict,
            conflict_approach: conflict.map(ConflictApproach::of),
            communication_style: communication,
            communication_effectiveness: communication.map(CommunicationEffectiveness::of),
            leadership_style: leadership,
            leadership_approach: leadership.map(LeadershipApproach::of),
            coping_categories,
            coping_effectiveness: CopingEffectiveness::of(healthy, unhealthy),
            stress_response: stress,
            stress_management_style: stress.map(StressManagementStyle::of),
            behavioral_adaptability: match adaptability {
                5.. => Level::VeryHigh,
                3.. => Level::High,
                2 => Level::Moderate,
                1 => Level::Low,
                0 => Level::VeryLow,
            },
            interpersonal_style: match social {
                5.. => InterpersonalStyle::HighlySocial,
                3.. => InterpersonalStyle::Social,
                2 => InterpersonalStyle::ModeratelySocial,
                1 => InterpersonalStyle::SomewhatSocial,
                0 => InterpersonalStyle::Independent,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Code;
    use crate::vocab::Vocabulary;
    use serde_json::json;

    fn behavioral(value: serde_json::Value) -> BehavioralTendencies {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn normalize_is_idempotent() {
        let mut value = behavioral(json!({
            "decision_making": "Data Driven", "conflict_resolution": " Diplomatic",
            "communication_style": "LOGICAL", "leadership_style": "Laissez_Faire",
            "coping_mechanisms": [" Yoga", "Yoga", ""], "stress_response": "Problem Solving"
        }));
        value.normalize();
        let once = value.clone();
        value.normalize();
        assert_eq!(value, once);
        assert_eq!(
            value.decision_making,
            Some(Vocab::Known(DecisionMaking::DataDriven))
        );
        assert_eq!(
            value.leadership_style,
            Some(Vocab::Known(LeadershipStyle::LaissezFaire))
        );
        assert_eq!(value.coping_mechanisms, ["Yoga"]);
        assert!(value.validate().is_valid());
    }

    #[test]
    fn every_rule_reports_path_and_code() {
        let value = behavioral(json!({
            "decision_making": "coin-flip", "conflict_resolution": "duel",
            "communication_style": "mime", "leadership_style": "chaotic",
            "coping_mechanisms": (0..21).map(|i| i.to_string()).collect::<Vec<_>>(),
            "stress_response": "panic"
        }));
        let b = "rich_attributes.behavioral_tendencies";
        let got: Vec<_> = value
            .validate()
            .into_iter()
            .map(|v| (v.path, v.code, v.message))
            .collect();
        let want = [
            ("decision_making", Code::NotInVocabulary),
            ("conflict_resolution", Code::NotInVocabulary),
            ("communication_style", Code::NotInVocabulary),
            ("leadership_style", Code::NotInVocabulary),
            ("coping_mechanisms", Code::TooManyItems),
            ("stress_response", Code::NotInVocabulary),
        ];
        assert_eq!(got.len(), want.len());
        for ((path, code, _), (want_path, want_code)) in got.iter().zip(want) {
            assert_eq!(
                (path.as_str(), *code),
                (format!("{b}.{want_path}").as_str(), want_code)
            );
        }
        assert_eq!(
            got[3].2,
            rules::not_in_vocabulary_message::<LeadershipStyle>()
        );
        assert!(got[3].2.contains(LeadershipStyle::VALUES[0]));
        assert_eq!(got[4].2, "must have at most 20 items");
    }

    #[test]
    fn analysis_follows_the_reference_tables() {
        let value = behavioral(json!({
            "decision_making": "collaborative", "conflict_resolution": "diplomatic",
            "communication_style": "diplomatic", "leadership_style": "democratic",
            "coping_mechanisms": ["Yoga", "talking to friends", "journaling", "drinking alcohol",
                                  "stress eating", "binge watching"],
            "stress_response": "seeking-support"
        }));
        let profile = value.analyze(&AnalysisContext::default());
        assert_eq!(
            profile.decision_style_category,
            Some(DecisionStyleCategory::Social)
        );
        assert_eq!(profile.conflict_approach, Some(ConflictApproach::WinWin));
        assert_eq!(
            profile.communication_effectiveness,
            Some(CommunicationEffectiveness::High)
        );
        assert_eq!(
            profile.leadership_approach,
            Some(LeadershipApproach::Participative)
        );
        let coping = &profile.coping_categories;
        assert_eq!(coping.count(CopingCategory::Physical), 1);
        assert_eq!(coping.count(CopingCategory::Social), 1);
        assert_eq!(coping.count(CopingCategory::Cognitive), 1);
        assert_eq!(coping.count(CopingCategory::Substance), 1);
        assert_eq!(coping.count(CopingCategory::Behavioral), 1);
        assert_eq!(coping.count(CopingCategory::Other), 1);
        // 3 healthy > 2 × 1 unhealthy.
        assert_eq!(
            profile.coping_effectiveness,
            CopingEffectiveness::VeryEffective
        );
        assert_eq!(
            profile.stress_management_style,
            Some(StressManagementStyle::Social)
        );
        // 0 + 2 + 1 + 1.
        assert_eq!(profile.behavioral_adaptability, Level::High);
        // 2 + 2 + 1 + 1.
        assert_eq!(
            profile.interpersonal_style,
            InterpersonalStyle::HighlySocial
        );
        let json = serde_json::to_value(&profile).unwrap();
        assert_eq!(json["conflict_approach"], "win-win");
        assert_eq!(
            json["coping_categories"]["substance"][0],
            "drinking alcohol"
        );

        let empty = BehavioralTendencies::default().analyze(&AnalysisContext::default());
        assert_eq!(empty.coping_effectiveness, CopingEffectiveness::Mixed);
        assert_eq!(empty.behavioral_adaptability, Level::VeryLow);
        assert_eq!(empty.interpersonal_style, InterpersonalStyle::Independent);
        assert_eq!(
            CopingEffectiveness::of(2, 1),
            CopingEffectiveness::Effective
        );
        assert_eq!(
            CopingEffectiveness::of(1, 2),
            CopingEffectiveness::Concerning
        );
        let flexible = behavioral(
            json!({"decision_making": "flexible", "conflict_resolution": "compromising",
                                         "communication_style": "assertive", "leadership_style": "coaching"}),
        );
        let profile = flexible.analyze(&AnalysisContext::default());
        assert_eq!(profile.behavioral_adaptability, Level::VeryHigh);
        assert_eq!(
            profile.interpersonal_style,
            InterpersonalStyle::SomewhatSocial
        );
        assert_eq!(
            profile.decision_style_category,
            Some(DecisionStyleCategory::Adaptive)
        );
    }
}
