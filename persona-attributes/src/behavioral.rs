//! Behavioural tendencies: decisions, conflict, communication, leadership, coping (reference §2.10).

use serde::{Deserialize, Serialize};

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
